//! Server-rendered pages for people: the login, consent, logout and error pages a citizen sees,
//! plus the OAuth 2.0 form-post page and the two development pages of the embedded default.
//!
//! No template engine: each page is a small function returning a [`Page`] (status, HTML and the
//! exact Content-Security-Policy for that HTML). Every interpolated value, in text and in
//! attributes, goes through the one escaping function, [`escape`].
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`Locale`], [`Page`], [`Frame`], [`escape`] |
//! | `texts.rs` | every Mongolian and English sentence |
//! | `layout.rs` | the document shell, the stylesheet (`style.css`) and the CSP |
//! | `form.rs` | form parts shared by the pages: fields, error summary, hidden inputs |
//! | `login.rs` | [`registry_number`], [`code`] (with the Cyrillic helper, `cyrillic.js`) |
//! | `account.rs` | [`account()`], [`app_enrollment`], [`device_code`]: the citizen's own ways to log in |
//! | `consent.rs` | [`consent()`], [`ScopeItem`] |
//! | `errors.rs` | [`error`], [`error_kind`], [`ErrorKind`] |
//! | `form_post.rs` | [`form_post()`], [`origin_of`] (OAuth 2.0 Form Post Response Mode) |
//! | `methods.rs` | [`choose`], [`app_code`], [`passkey()`], [`unmet`]: the methods beyond SMS (`passkey.js`) |
//! | `logout.rs` | [`logout_confirm`], [`logged_out`] |
//! | `dev.rs` | [`outbox`], [`try_it`] (development only) |
//! | `tests/` | properties of every page: escaping, CSP hashes, labels, error ties, size |
//!
//! Security: the only stylesheet and the scripts are inline and allowed by their
//! SHA-256 hashes; nothing is loaded from elsewhere; `frame-ancestors 'none'`. Handlers send
//! [`Page::csp`] as the `Content-Security-Policy` header and [`CONTENT_TYPE`] as `Content-Type`.

mod account;
mod consent;
mod dev;
mod errors;
mod form;
mod form_post;
mod layout;
mod login;
mod logout;
mod methods;
mod texts;

#[cfg(test)]
mod tests;

pub use account::{
    APP_NAME_ID, AccountMessage, AccountPage, AddPasskey, MethodRow, PASSKEY_NAME_ID, account,
    app_enrollment, device_code, level_words,
};
pub use consent::{ScopeItem, consent};
pub use dev::{OUTBOX_PATH, TryItResult, outbox, try_it};
pub use errors::{ErrorKind, error, error_kind};
pub use form_post::{form_post, origin_of};
pub use login::{code, registry_number};
pub use logout::{logged_out, logout_confirm};
pub use methods::{
    MethodOption, PasskeyPrompt, app_code, choose, passkey, passkey_failed_text, unmet,
};

/// The `Content-Type` of every page.
pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// The language a page is written in. Mongolian unless the citizen or the e-service asked for
/// English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// Mongolian (Cyrillic script).
    #[default]
    Mn,
    /// English.
    En,
}

impl Locale {
    /// Picks the language from the OpenID Connect `ui_locales` parameter: a space-separated list
    /// of BCP 47 tags in order of preference. The first tag whose primary language is `mn` or
    /// `en` wins (`mn-Cyrl-MN`, `en-GB`, `EN` all count; `mnk` does not, it is another
    /// language); without one, Mongolian.
    pub fn negotiate(ui_locales: Option<&str>) -> Locale {
        ui_locales
            .unwrap_or_default()
            .split_ascii_whitespace()
            .find_map(Locale::parse)
            .unwrap_or_default()
    }

    /// Reads one language tag (`mn`, `en`, `en-US`, `mn_MN`, case-insensitive), for example
    /// from a `lang` query parameter or cookie. `None` for any other language.
    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("mn") {
            Some(Locale::Mn)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Locale::En)
        } else {
            None
        }
    }

    /// The tag used in `lang` attributes and URLs: `"mn"` or `"en"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Mn => "mn",
            Locale::En => "en",
        }
    }
}

/// A rendered page: what a handler needs to answer the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// HTTP status code.
    pub status: u16,
    /// The whole document, UTF-8.
    pub html: String,
    /// The full `Content-Security-Policy` header value for exactly this HTML.
    pub csp: String,
}

impl Page {
    /// Lets a form on this page end in a redirect to `redirect_uri`'s origin.
    ///
    /// Chromium and Safari apply `form-action` to every redirect that follows a form
    /// submission (w3c/webappsec-csp#8), so a form that posts to DAN and is answered with a
    /// 302/303 to the e-service's `redirect_uri` (code form, consent form, logout confirmation
    /// with a `post_logout_redirect_uri`) is blocked unless that origin is listed. Call this with
    /// the already-validated redirect URI when rendering such a page. An address whose origin
    /// cannot be read is ignored: the policy stays at `'self'` (fails closed).
    pub fn allow_form_redirect_to(mut self, redirect_uri: &str) -> Page {
        if let Some(origin) = form_post::form_action_source(redirect_uri) {
            let from = "form-action 'self'";
            if self.csp.contains(from) {
                self.csp = self.csp.replace(from, &format!("{from} {origin}"));
            }
        }
        self
    }
}

/// What every page of a login shows around its content.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// The language of the page.
    pub locale: Locale,
    /// The e-service's name in that language, shown on every page (escaped).
    pub service_name: &'a str,
    /// URL of this same page in Mongolian, for the language switch.
    pub switch_mn: &'a str,
    /// URL of this same page in English, for the language switch.
    pub switch_en: &'a str,
}

/// Escapes text for HTML element content and for double- or single-quoted attribute values:
/// `&`, `<`, `>`, `"` and `'` become character references. The one escaping function of this
/// module: every value that is not a literal piece of markup goes through it.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A URL for an `href` or form `action`, escaped. Only `http:`, `https:` and relative URLs are
/// kept; anything else (`javascript:`, `data:`) becomes `#`. The CSP would block script URLs
/// anyway; this is the second lock.
fn url_attr(url: &str) -> String {
    let scheme_end = url.find(':');
    let path_start = url.find(['/', '?', '#']);
    let relative = match (scheme_end, path_start) {
        (None, _) => true,
        (Some(colon), Some(slash)) => slash < colon,
        (Some(_), None) => false,
    };
    let lower = url.trim_start().to_ascii_lowercase();
    if relative || lower.starts_with("https://") || lower.starts_with("http://") {
        escape(url)
    } else {
        "#".to_owned()
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn escape_replaces_the_five_special_characters() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("УБ90010112"), "УБ90010112");
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn negotiate_takes_the_first_supported_language_oidc_core_3_1_2_1() {
        assert_eq!(Locale::negotiate(None), Locale::Mn);
        assert_eq!(Locale::negotiate(Some("")), Locale::Mn);
        assert_eq!(Locale::negotiate(Some("en")), Locale::En);
        assert_eq!(Locale::negotiate(Some("fr-CA en-GB mn")), Locale::En);
        assert_eq!(Locale::negotiate(Some("mn-Cyrl-MN en")), Locale::Mn);
        assert_eq!(Locale::negotiate(Some("  EN-us\tmn ")), Locale::En);
        assert_eq!(Locale::negotiate(Some("de fr ru")), Locale::Mn);
        assert_eq!(Locale::negotiate(Some("mnk en")), Locale::En);
        assert_eq!(Locale::negotiate(Some("english")), Locale::Mn);
    }

    #[test]
    fn parse_and_as_str_round_trip() {
        for locale in [Locale::Mn, Locale::En] {
            assert_eq!(Locale::parse(locale.as_str()), Some(locale));
        }
        assert_eq!(Locale::parse("mn_MN"), Some(Locale::Mn));
        assert_eq!(Locale::parse("En"), Some(Locale::En));
        assert_eq!(Locale::parse("ru"), None);
        assert_eq!(Locale::parse(""), None);
        assert_eq!(Locale::default(), Locale::Mn);
    }

    #[test]
    fn url_attr_keeps_web_and_relative_urls_and_drops_script_urls() {
        assert_eq!(url_attr("/login?lang=en&x=1"), "/login?lang=en&amp;x=1");
        assert_eq!(url_attr("https://rp.example/cb"), "https://rp.example/cb");
        assert_eq!(url_attr("HTTP://127.0.0.1:8080/"), "HTTP://127.0.0.1:8080/");
        assert_eq!(url_attr("?lang=mn"), "?lang=mn");
        assert_eq!(url_attr("page?next=a:b"), "page?next=a:b");
        assert_eq!(url_attr("javascript:alert(1)"), "#");
        assert_eq!(url_attr(" JavaScript:alert(1)"), "#");
        assert_eq!(url_attr("data:text/html,<x>"), "#");
    }

    #[test]
    fn allow_form_redirect_to_adds_only_the_origin() {
        let page = Page {
            status: 200,
            html: String::new(),
            csp: "default-src 'none'; form-action 'self'; base-uri 'none'".to_owned(),
        };
        let widened = page
            .clone()
            .allow_form_redirect_to("https://rp.example/cb?x=1");
        assert_eq!(
            widened.csp,
            "default-src 'none'; form-action 'self' https://rp.example; base-uri 'none'"
        );
        let unchanged = page
            .clone()
            .allow_form_redirect_to("https://rp.example; script-src *");
        assert_eq!(unchanged.csp, page.csp);
    }
}
