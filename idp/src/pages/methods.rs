//! The login pages of the methods beyond the SMS code: the method picker, the
//! authenticator-app code, the passkey prompt, the "this e-service needs a stronger method"
//! page, and the passkey form the registry-number page adds.
//!
//! A passkey needs JavaScript (WebAuthn is a browser API): its button is `hidden` until the
//! script (`passkey.js`, inline and allowed by its hash) finds WebAuthn, and a `<noscript>`
//! says so. Every other path works without JavaScript.

use super::form::{self, Field};
use super::layout::{Layout, PASSKEY_JS};
use super::{Frame, Locale, Page, escape, url_attr};

/// A way to log in, as the picker shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodOption {
    /// A passkey.
    Passkey,
    /// An authenticator-app code.
    App,
    /// An SMS code.
    Sms,
}

impl MethodOption {
    fn value(self) -> &'static str {
        match self {
            Self::Passkey => "passkey",
            Self::App => "app",
            Self::Sms => "sms",
        }
    }
}

/// The texts of these pages.
struct MethodTexts {
    choose_heading: &'static str,
    choose_intro: &'static str,
    passkey: &'static str,
    passkey_hint: &'static str,
    app: &'static str,
    app_hint: &'static str,
    sms: &'static str,
    sms_hint: &'static str,
    other_ways: &'static str,
    app_heading: &'static str,
    app_label: &'static str,
    app_field_hint: &'static str,
    app_submit: &'static str,
    passkey_heading: &'static str,
    passkey_intro: &'static str,
    passkey_button: &'static str,
    passkey_any: &'static str,
    passkey_needs_js: &'static str,
    passkey_failed: &'static str,
    passkey_unsupported: &'static str,
    passkey_none: &'static str,
    continue_without: &'static str,
    unmet_heading: &'static str,
    unmet_text: &'static str,
    unmet_how: &'static str,
    unmet_account: &'static str,
    unmet_back: &'static str,
}

const MN: MethodTexts = MethodTexts {
    choose_heading: "Нэвтрэх аргаа сонгоно уу",
    choose_intro: "Танд нэвтрэх хэд хэдэн арга бий.",
    passkey: "Нэвтрэх түлхүүр (passkey)",
    passkey_hint: "Төхөөрөмжийнхөө хурууны хээ, царай эсвэл PIN кодоор.",
    app: "Баталгаажуулах апп-ын код",
    app_hint: "Таны бүртгүүлсэн апп дээрх 6 оронтой код.",
    sms: "SMS код",
    sms_hint: "Улсын бүртгэлд бүртгэлтэй утсанд тань код илгээнэ.",
    other_ways: "Өөр аргаар нэвтрэх",
    app_heading: "Апп-ын кодоо оруулна уу",
    app_label: "6 оронтой код",
    app_field_hint: "Баталгаажуулах апп дээр одоо харагдаж буй кодыг оруулна уу.",
    app_submit: "Нэвтрэх",
    passkey_heading: "Нэвтрэх түлхүүрээрээ нэвтэрнэ үү",
    passkey_intro: "Төхөөрөмж тань хурууны хээ, царай эсвэл PIN код асууна.",
    passkey_button: "Нэвтрэх түлхүүр ашиглах",
    passkey_any: "Нэвтрэх түлхүүрээр нэвтрэх",
    passkey_needs_js: "Нэвтрэх түлхүүр ашиглахад хөтчийн JavaScript идэвхтэй байх шаардлагатай.",
    passkey_failed: "Нэвтрэх түлхүүрээр баталгаажуулж чадсангүй. Дахин оролдоно уу.",
    passkey_unsupported: "Энэ хөтөч нэвтрэх түлхүүр дэмждэггүй.",
    passkey_none: "Танд одоогоор бүртгэлтэй нэвтрэх түлхүүр алга.",
    continue_without: "Нэвтрэх түлхүүргүйгээр үргэлжлүүлэх",
    unmet_heading: "Илүү найдвартай нэвтрэх арга шаардлагатай",
    unmet_text: "Энэ цахим үйлчилгээ нэвтрэх түлхүүр (passkey) шаардаж байна. Танд одоогоор бүртгэлтэй нэвтрэх түлхүүр алга.",
    unmet_how: "ДАН-ы бүртгэлдээ SMS кодоор нэвтэрч, «Нэвтрэх аргууд» хэсгээс нэвтрэх түлхүүр нэмээд дахин оролдоно уу.",
    unmet_account: "ДАН-ы бүртгэл рүү очих",
    unmet_back: "Цахим үйлчилгээ рүү буцах",
};

const EN: MethodTexts = MethodTexts {
    choose_heading: "Choose how to log in",
    choose_intro: "You have more than one way to log in.",
    passkey: "Passkey",
    passkey_hint: "With your device's fingerprint, face or PIN.",
    app: "Authenticator app code",
    app_hint: "The 6-digit code in the app you set up.",
    sms: "SMS code",
    sms_hint: "A code sent to the phone number in the civil registry.",
    other_ways: "Log in another way",
    app_heading: "Enter the code from your app",
    app_label: "6-digit code",
    app_field_hint: "Enter the code your authenticator app shows now.",
    app_submit: "Log in",
    passkey_heading: "Log in with your passkey",
    passkey_intro: "Your device will ask for your fingerprint, face or PIN.",
    passkey_button: "Use my passkey",
    passkey_any: "Log in with a passkey",
    passkey_needs_js: "A passkey needs JavaScript to be turned on in your browser.",
    passkey_failed: "The passkey could not be used. Try again.",
    passkey_unsupported: "This browser does not support passkeys.",
    passkey_none: "You have no passkey at the moment.",
    continue_without: "Continue without a passkey",
    unmet_heading: "This e-service needs a stronger way to log in",
    unmet_text: "This e-service asks for a passkey, and you do not have one yet.",
    unmet_how: "Log in to your DAN account with an SMS code, add a passkey under “Ways to log in”, then try again.",
    unmet_account: "Go to my DAN account",
    unmet_back: "Back to the e-service",
};

fn texts(locale: Locale) -> &'static MethodTexts {
    match locale {
        Locale::Mn => &MN,
        Locale::En => &EN,
    }
}

/// Texts the login handler needs outside these pages: "the passkey could not be used".
pub fn passkey_failed_text(locale: Locale) -> &'static str {
    texts(locale).passkey_failed
}

const APP_CODE_ID: &str = "app-code";

/// The picker: one button per way offered, each posting `method` to `action`.
pub fn choose(frame: &Frame<'_>, action: &str, csrf: &str, offered: &[MethodOption]) -> Page {
    let t = texts(frame.locale);
    let mut main = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(t.choose_heading),
        escape(t.choose_intro)
    );
    main.push_str(&form::open(action, csrf, ""));
    main.push_str("<ul class=\"methods\">\n");
    for option in offered {
        let (label, hint) = match option {
            MethodOption::Passkey => (t.passkey, t.passkey_hint),
            MethodOption::App => (t.app, t.app_hint),
            MethodOption::Sms => (t.sms, t.sms_hint),
        };
        main.push_str(&format!(
            "<li><button type=\"submit\" class=\"btn secondary pick\" name=\"method\" \
             value=\"{}\">{}<span class=\"hint\">{}</span></button></li>\n",
            option.value(),
            escape(label),
            escape(hint)
        ));
    }
    main.push_str("</ul>\n</form>\n");
    Layout::framed(frame, t.choose_heading, main).into_page(200)
}

/// The "log in another way" buttons under the app and passkey pages.
fn other_ways(locale: Locale, action: &str, csrf: &str, others: &[MethodOption]) -> String {
    if others.is_empty() {
        return String::new();
    }
    let t = texts(locale);
    let mut html = format!("<h2>{}</h2>\n", escape(t.other_ways));
    html.push_str(&form::open(action, csrf, ""));
    for option in others {
        let label = match option {
            MethodOption::Passkey => t.passkey,
            MethodOption::App => t.app,
            MethodOption::Sms => t.sms,
        };
        html.push_str(&format!(
            "<button type=\"submit\" class=\"btn secondary\" name=\"method\" value=\"{}\">{}</button>\n",
            option.value(),
            escape(label)
        ));
    }
    html.push_str("</form>\n");
    html
}

/// "Enter the code from your app": posts `csrf` and `code` to `action`; `others` go to
/// `method_action`. Status 200, or 422 when `error` is given.
pub fn app_code(
    frame: &Frame<'_>,
    action: &str,
    method_action: &str,
    csrf: &str,
    others: &[MethodOption],
    error: Option<&str>,
) -> Page {
    let locale = frame.locale;
    let t = texts(locale);
    let mut main = String::new();
    if let Some(message) = error {
        main.push_str(&form::error_summary(locale, APP_CODE_ID, message));
    }
    main.push_str(&format!("<h1>{}</h1>\n", escape(t.app_heading)));
    main.push_str(&form::open(action, csrf, " novalidate"));
    main.push_str(
        &Field {
            id: APP_CODE_ID,
            name: "code",
            label: t.app_label,
            hint: Some(t.app_field_hint),
            value: "",
            error,
            class: "code",
            attrs: "autocomplete=\"one-time-code\" inputmode=\"numeric\" pattern=\"[0-9]*\" \
                    maxlength=\"6\"",
        }
        .render(locale),
    );
    main.push_str(&form::submit(t.app_submit, false, None));
    main.push_str("</form>\n");
    main.push_str(&other_ways(locale, method_action, csrf, others));
    let mut layout = Layout::framed(frame, t.app_heading, main);
    layout.has_error = error.is_some();
    layout.into_page(if error.is_some() { 422 } else { 200 })
}

/// A form that runs a WebAuthn ceremony with the server's options and posts the answer as
/// `credential`.
pub(super) struct WebAuthnForm<'a> {
    /// `get` (log in) or `create` (add a passkey).
    pub kind: &'static str,
    /// Where the answer is posted.
    pub action: &'a str,
    /// The form's CSRF token.
    pub csrf: &'a str,
    /// The server's options (JSON).
    pub options: &'a str,
    /// Whether the browser's passkey autofill is asked for on load (conditional UI).
    pub conditional: bool,
    /// Fields (already HTML) before the button.
    pub fields: &'a str,
    /// The button's label.
    pub button: &'a str,
}

impl WebAuthnForm<'_> {
    /// The form as HTML, in `locale`.
    pub(super) fn render(&self, locale: Locale) -> String {
        let t = texts(locale);
        format!(
            "<form method=\"post\" action=\"{action}\" data-webauthn=\"{kind}\" data-options=\"{options}\"\
             {conditional} data-failed=\"{failed}\" data-unsupported=\"{unsupported}\">\n{csrf}\
             <input type=\"hidden\" name=\"credential\" value=\"\">\n{fields}\
             <p class=\"field-error\" data-webauthn-status role=\"alert\" hidden></p>\n\
             <button type=\"submit\" class=\"btn\" data-webauthn-show hidden>{button}</button>\n\
             <noscript><p>{needs_js}</p></noscript>\n</form>\n",
            action = url_attr(self.action),
            kind = self.kind,
            options = escape(self.options),
            conditional = if self.conditional {
                " data-conditional=\"1\""
            } else {
                ""
            },
            failed = escape(t.passkey_failed),
            unsupported = escape(t.passkey_unsupported),
            csrf = form::hidden("csrf", self.csrf),
            fields = self.fields,
            button = escape(self.button),
            needs_js = escape(t.passkey_needs_js),
        )
    }
}

/// The usernameless passkey login the registry-number page offers: a button (with
/// JavaScript), and the browser's passkey autofill on the registry-number field where the
/// browser offers conditional UI.
pub(super) fn passkey_any(locale: Locale, action: &str, csrf: &str, options: &str) -> String {
    let t = texts(locale);
    WebAuthnForm {
        kind: "get",
        action,
        csrf,
        options,
        conditional: true,
        fields: "",
        button: t.passkey_any,
    }
    .render(locale)
}

/// What the passkey prompt shows.
#[derive(Debug)]
pub struct PasskeyPrompt<'a> {
    /// Where the passkey's answer goes.
    pub action: &'a str,
    /// Where "log in another way" goes.
    pub method_action: &'a str,
    /// The CSRF token of the login's forms.
    pub csrf: &'a str,
    /// The WebAuthn options; `None` when the citizen has no passkey any more.
    pub options: Option<&'a str>,
    /// The other ways offered.
    pub others: &'a [MethodOption],
    /// "Continue without a passkey" (a voluntary step-up): where it posts.
    pub continue_action: Option<&'a str>,
    /// The refusal of a passkey, in the page's language.
    pub error: Option<&'a str>,
}

/// "Log in with your passkey": the prompt for a known citizen (after the registry number, or
/// to step up). Status 200, or 422 with an error.
pub fn passkey(frame: &Frame<'_>, prompt: &PasskeyPrompt<'_>) -> Page {
    let locale = frame.locale;
    let t = texts(locale);
    let mut main = String::new();
    if let Some(message) = prompt.error {
        main.push_str(&format!(
            "<div class=\"summary\" role=\"alert\">\n<h2>{}</h2>\n<p>{}</p>\n</div>\n",
            escape(locale.texts().error_summary),
            escape(message)
        ));
    }
    main.push_str(&format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(t.passkey_heading),
        escape(t.passkey_intro)
    ));
    match prompt.options {
        Some(options) => main.push_str(
            &WebAuthnForm {
                kind: "get",
                action: prompt.action,
                csrf: prompt.csrf,
                options,
                conditional: false,
                fields: "",
                button: t.passkey_button,
            }
            .render(locale),
        ),
        None => main.push_str(&format!("<p>{}</p>\n", escape(t.passkey_none))),
    }
    if let Some(action) = prompt.continue_action {
        main.push_str(&form::open(action, prompt.csrf, ""));
        main.push_str(&form::submit(t.continue_without, true, None));
        main.push_str("</form>\n");
    }
    main.push_str(&other_ways(
        locale,
        prompt.method_action,
        prompt.csrf,
        prompt.others,
    ));
    let mut layout = Layout::framed(frame, t.passkey_heading, main);
    layout.has_error = prompt.error.is_some();
    layout.script = prompt.options.map(|_| PASSKEY_JS);
    layout.into_page(if prompt.error.is_some() { 422 } else { 200 })
}

/// "This e-service needs a stronger way to log in": how to get one, and the way back
/// (`action`, which answers the e-service with `unmet_authentication_requirements`).
pub fn unmet(frame: &Frame<'_>, action: &str, csrf: &str, account_url: &str) -> Page {
    let t = texts(frame.locale);
    let mut main = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p>{}</p>\n<p><a href=\"{}\">{}</a></p>\n",
        escape(t.unmet_heading),
        escape(t.unmet_text),
        escape(t.unmet_how),
        url_attr(account_url),
        escape(t.unmet_account),
    );
    main.push_str(&form::open(action, csrf, ""));
    main.push_str(&form::submit(t.unmet_back, false, None));
    main.push_str("</form>\n");
    Layout::framed(frame, t.unmet_heading, main).into_page(200)
}
