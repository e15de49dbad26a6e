//! The consent page: what an e-service asks for, in plain words, and the citizen's choice.

use super::form;
use super::layout::Layout;
use super::{Frame, Locale, Page, escape};

/// A group of claims an e-service can ask for, as the citizen sees it. `openid` itself is not
/// listed: logging in alone releases only a pseudonymous identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeItem {
    /// `profile`: names, date of birth, sex.
    Profile,
    /// `phone`: the phone number.
    Phone,
    /// `address`: the address.
    Address,
    /// `email`: the email address.
    Email,
    /// The restricted national id scope: the registry number itself. Sensitive: it lets
    /// agencies join their records on one identifier.
    NationalId,
}

impl ScopeItem {
    /// Whether the page marks this item as sensitive, visually and in words.
    pub fn is_sensitive(self) -> bool {
        matches!(self, ScopeItem::NationalId)
    }

    /// What the item releases, in plain words.
    fn words(self, locale: Locale) -> &'static str {
        let t = locale.texts();
        match self {
            ScopeItem::Profile => t.scope_profile,
            ScopeItem::Phone => t.scope_phone,
            ScopeItem::Address => t.scope_address,
            ScopeItem::Email => t.scope_email,
            ScopeItem::NationalId => t.scope_national_id,
        }
    }
}

/// "`service` asks for your information": the list of what would be shared and one form with
/// two submit buttons, `decision=allow` and `decision=deny` (plus `csrf`), posted to `action`.
/// Duplicated items are shown once. `remember_note` adds the sentence saying the choice is
/// remembered and can be withdrawn later.
pub fn consent(
    frame: &Frame<'_>,
    action: &str,
    csrf: &str,
    scopes: &[ScopeItem],
    remember_note: bool,
) -> Page {
    let locale = frame.locale;
    let t = locale.texts();
    let mut main = format!(
        "<h1>{}</h1>\n",
        t.consent_heading.fill_text(frame.service_name)
    );
    let mut shown: Vec<ScopeItem> = Vec::with_capacity(scopes.len());
    for item in scopes {
        if !shown.contains(item) {
            shown.push(*item);
        }
    }
    if shown.is_empty() {
        main.push_str(&format!("<p>{}</p>\n", escape(t.consent_nothing)));
    } else {
        main.push_str(&format!(
            "<p>{}</p>\n<ul class=\"scopes\">\n",
            escape(t.consent_intro)
        ));
        for item in shown {
            main.push_str(&scope_line(locale, item));
        }
        main.push_str("</ul>\n");
    }
    main.push_str(&form::open(action, csrf, ""));
    main.push_str("<div class=\"actions\">\n");
    main.push_str(&form::submit(t.allow, false, Some("allow")));
    main.push_str(&form::submit(t.deny, true, Some("deny")));
    main.push_str("</div>\n</form>\n");
    main.push_str(&format!("<p>{}</p>\n", escape(t.deny_note)));
    if remember_note {
        main.push_str(&format!("<p>{}</p>\n", escape(t.remember)));
    }
    Layout::framed(frame, t.consent_title, main).into_page(200)
}

/// One list item; a sensitive one carries a visible "Sensitive" tag and a sentence saying why.
fn scope_line(locale: Locale, item: ScopeItem) -> String {
    let t = locale.texts();
    let words = escape(item.words(locale));
    if item.is_sensitive() {
        format!(
            "<li class=\"sensitive\"><b>{words}</b><span class=\"vh\"> — </span>\
             <span class=\"tag\">{}</span><br>{}</li>\n",
            escape(t.sensitive),
            escape(t.national_id_warning)
        )
    } else {
        format!("<li>{words}</li>\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Frame<'static> = Frame {
        locale: Locale::En,
        service_name: "Tax office",
        switch_mn: "?lang=mn",
        switch_en: "?lang=en",
    };

    #[test]
    fn lists_each_item_once_in_plain_words_and_marks_the_registry_number_sensitive() {
        let all = [
            ScopeItem::Profile,
            ScopeItem::Phone,
            ScopeItem::Address,
            ScopeItem::Email,
            ScopeItem::NationalId,
            ScopeItem::Phone,
        ];
        let page = consent(&FRAME, "/consent", "t", &all, true);
        let html = &page.html;
        let list = html
            .split("<ul class=\"scopes\">")
            .nth(1)
            .and_then(|rest| rest.split("</ul>").next())
            .expect("scope list");
        assert_eq!(list.matches("<li").count(), 5);
        assert_eq!(html.matches("Your phone number").count(), 1);
        assert!(html.contains("Your name, date of birth and sex"));
        assert!(html.contains(
            "<li class=\"sensitive\"><b>Your registry number</b><span class=\"vh\"> — </span>\
             <span class=\"tag\">Sensitive</span>"
        ));
        assert!(html.contains("<h1>Tax office asks for your information</h1>"));
        assert!(html.contains("name=\"decision\" value=\"allow\">Allow</button>"));
        assert!(html.contains("name=\"decision\" value=\"deny\">Deny</button>"));
        assert!(html.contains("withdraw"));
        assert_eq!(html.matches("<form").count(), 1);
    }

    #[test]
    fn without_claims_it_says_only_the_login_is_shared_and_can_omit_the_note() {
        let page = consent(&FRAME, "/consent", "t", &[], false);
        assert!(page.html.contains("Only that you have logged in."));
        assert!(!page.html.contains("class=\"scopes\""));
        assert!(!page.html.contains("withdraw"));
        let mn = consent(
            &Frame {
                locale: Locale::Mn,
                ..FRAME
            },
            "/c",
            "t",
            &[],
            false,
        );
        assert!(
            mn.html
                .contains("<h1>Tax office таны мэдээллийг хүсч байна</h1>")
        );
    }
}
