//! The two steps of an SMS login: the registry number, then the code.

use super::form::{self, Field};
use super::layout::{CYRILLIC_JS, Layout, NUMBER_JS};
use super::{Frame, Locale, Page, escape};

/// The 35 capital letters of the Mongolian Cyrillic alphabet, in alphabetical order.
pub(super) const MONGOLIAN_CAPITALS: [char; 35] = [
    'А', 'Б', 'В', 'Г', 'Д', 'Е', 'Ё', 'Ж', 'З', 'И', 'Й', 'К', 'Л', 'М', 'Н', 'О', 'Ө', 'П', 'Р',
    'С', 'Т', 'У', 'Ү', 'Ф', 'Х', 'Ц', 'Ч', 'Ш', 'Щ', 'Ъ', 'Ы', 'Ь', 'Э', 'Ю', 'Я',
];

/// Id of the registry number input (the Cyrillic helper script finds it by this id).
const REGISTRY_NUMBER_ID: &str = "registry-number";
/// Id of the code input.
const CODE_ID: &str = "code";

/// Step 1: "Enter your registry number".
///
/// Posts `csrf` and `registry_number` to `action`. With `passkey` (the action and the
/// WebAuthn options of a usernameless login), a passkey button follows the form (with
/// JavaScript), and the field offers the browser's passkey autofill. `value` refills the field after an error so
/// nothing typed is lost; `error` is a message already written in `frame.locale` (for example
/// "Latin letters were typed: use Cyrillic УБ, not YB"). The Cyrillic helper is a `<details>`
/// that works without JavaScript (the letters can be copied); with JavaScript the letters become
/// buttons that type into the field. Status 200, or 422 when `error` is given.
pub fn registry_number(
    frame: &Frame<'_>,
    action: &str,
    csrf: &str,
    value: Option<&str>,
    error: Option<&str>,
    passkey: Option<(&str, &str)>,
) -> Page {
    let locale = frame.locale;
    let t = locale.texts();
    let mut main = String::new();
    if let Some(message) = error {
        main.push_str(&form::error_summary(locale, REGISTRY_NUMBER_ID, message));
    }
    main.push_str(&format!("<h1>{}</h1>\n", escape(t.rn_heading)));
    main.push_str(&form::open(action, csrf, ""));
    main.push_str(
        &Field {
            id: REGISTRY_NUMBER_ID,
            name: "registry_number",
            label: t.rn_label,
            hint: Some(t.rn_hint),
            value: value.unwrap_or_default(),
            error,
            class: "",
            attrs: "autocomplete=\"username webauthn\" autocapitalize=\"characters\" \
                    spellcheck=\"false\" autocorrect=\"off\"",
        }
        .render(locale),
    );
    main.push_str(&cyrillic_helper(locale));
    main.push_str(&form::submit(t.continue_, false, None));
    main.push_str("</form>\n");
    if let Some((action, options)) = passkey {
        main.push_str(&super::methods::passkey_any(locale, action, csrf, options));
    }
    let mut layout = Layout::framed(frame, t.rn_heading, main);
    layout.has_error = error.is_some();
    layout.script = Some(if passkey.is_some() {
        NUMBER_JS
    } else {
        CYRILLIC_JS
    });
    layout.into_page(if error.is_some() { 422 } else { 200 })
}

/// The Cyrillic-letter helper: copyable letters without JavaScript, buttons with it.
fn cyrillic_helper(locale: Locale) -> String {
    let t = locale.texts();
    let buttons: String = MONGOLIAN_CAPITALS
        .iter()
        .map(|letter| {
            let letter = letter.to_string();
            let label = escape(&t.cyr_add.plain(&letter));
            let letter = escape(&letter);
            format!(
                "<li><button type=\"button\" data-letter=\"{letter}\" aria-label=\"{label}\">\
                 {letter}</button></li>"
            )
        })
        .collect();
    let letters = MONGOLIAN_CAPITALS
        .iter()
        .map(char::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "<details>\n<summary>{summary}</summary>\n\
         <div id=\"cyr-keys\" hidden>\n<p>{press}</p>\n<ul class=\"keys\" lang=\"mn\">{buttons}</ul>\n\
         <p id=\"cyr-live\" class=\"vh\" aria-live=\"polite\"></p>\n</div>\n\
         <div id=\"cyr-copy\">\n<p>{copy}</p>\n<p class=\"letters\" lang=\"mn\">{letters}</p>\n</div>\n\
         <p>{keyboard}</p>\n</details>\n",
        summary = escape(t.cyr_summary),
        press = escape(t.cyr_press),
        copy = escape(t.cyr_copy),
        letters = escape(&letters),
        keyboard = escape(t.cyr_keyboard),
    )
}

/// Step 2: "Enter the code".
///
/// Posts `csrf` and `code` to `action`; a second small form posts `csrf` to `resend_action`.
/// `masked_phone` is the already-masked number (for example `99**12`); `error` and `notice`
/// ("a new code was sent", shown with `role="status"`) are written in `frame.locale`.
/// The form has `novalidate` so that a mistyped code gets DAN's own message in the page's
/// language rather than the browser's. Status 200, or 422 when `error` is given.
pub fn code(
    frame: &Frame<'_>,
    action: &str,
    resend_action: &str,
    csrf: &str,
    masked_phone: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> Page {
    let locale = frame.locale;
    let t = locale.texts();
    let mut main = String::new();
    if let Some(message) = error {
        main.push_str(&form::error_summary(locale, CODE_ID, message));
    }
    main.push_str(&format!("<h1>{}</h1>\n", escape(t.code_heading)));
    if let Some(text) = notice {
        main.push_str(&form::notice(text));
    }
    let phone = format!("<b class=\"nowrap\">{}</b>", escape(masked_phone));
    main.push_str(&format!("<p>{}</p>\n", t.code_sent.fill(&phone)));
    main.push_str(&form::open(action, csrf, " novalidate"));
    main.push_str(
        &Field {
            id: CODE_ID,
            name: "code",
            label: t.code_label,
            hint: None,
            value: "",
            error,
            class: "code",
            attrs: "autocomplete=\"one-time-code\" inputmode=\"numeric\" pattern=\"[0-9]*\" \
                    maxlength=\"6\"",
        }
        .render(locale),
    );
    main.push_str(&form::submit(t.code_submit, false, None));
    main.push_str("</form>\n");
    main.push_str(&format!("<p>{}</p>\n", escape(t.code_missing)));
    main.push_str(&form::open(resend_action, csrf, ""));
    main.push_str(&form::submit(t.code_resend, true, None));
    main.push_str("</form>\n");
    let mut layout = Layout::framed(frame, t.code_heading, main);
    layout.has_error = error.is_some();
    layout.into_page(if error.is_some() { 422 } else { 200 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helper_offers_all_35_mongolian_capitals() {
        let letters: std::collections::BTreeSet<char> = MONGOLIAN_CAPITALS.into_iter().collect();
        assert_eq!(letters.len(), 35);
        assert!(letters.contains(&'Ө') && letters.contains(&'Ү') && letters.contains(&'Ё'));
        let html = cyrillic_helper(Locale::Mn);
        assert_eq!(html.matches("<button type=\"button\"").count(), 35);
        assert!(html.contains("aria-label=\"Ө үсэг нэмэх\">Ө</button>"));
        let html = cyrillic_helper(Locale::En);
        assert!(html.contains("aria-label=\"Add letter Ү\">Ү</button>"));
    }
}
