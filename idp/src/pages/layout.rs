//! The document shell every page shares, the stylesheet, and the Content-Security-Policy.
//!
//! The stylesheet and the scripts are files next to this one, inlined into the page and
//! allowed by the base64 SHA-256 of their exact text (CSP Level 3, "hash-source"), so no
//! `'unsafe-inline'` is needed and nothing is fetched.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::{Frame, Locale, Page, escape, url_attr};

/// The one stylesheet.
pub(super) const CSS: &str = include_str!("style.css");
/// The Cyrillic-letter helper of the registry number page (progressive enhancement).
pub(super) const CYRILLIC_JS: &str = include_str!("cyrillic.js");
/// Runs the WebAuthn ceremony of a passkey form (login and account pages).
pub(super) const PASSKEY_JS: &str = include_str!("passkey.js");
/// The registry-number page's scripts: the Cyrillic helper and the usernameless passkey.
pub(super) const NUMBER_JS: &str = concat!(include_str!("cyrillic.js"), include_str!("passkey.js"));
/// Submits the form of the form-post page on load.
pub(super) const FORM_POST_JS: &str = include_str!("form_post.js");

static CSS_HASH: LazyLock<String> = LazyLock::new(|| hash_source(CSS));

/// The CSP hash-source (`'sha256-…'`) of an inline style or script.
pub(super) fn hash_source(text: &str) -> String {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// The policy of a page: nothing but the inline stylesheet, `data:` images, the given inline
/// script, and form posts to `form_action` (a CSP source list).
pub(super) fn csp(script: Option<&str>, form_action: &str) -> String {
    let script_src = script
        .map(|body| format!("script-src {}; ", hash_source(body)))
        .unwrap_or_default();
    format!(
        "default-src 'none'; {script_src}style-src {}; img-src data:; form-action {form_action}; \
         frame-ancestors 'none'; base-uri 'none'",
        *CSS_HASH
    )
}

/// What the header says about the e-service.
#[derive(Debug, Clone, Copy)]
pub(super) enum Banner<'a> {
    /// "Logging in to …".
    LoggingIn(&'a str),
    /// "Requested by …" (logout).
    RequestedBy(&'a str),
    /// Nothing about an e-service.
    None,
}

impl<'a> Banner<'a> {
    /// "Logging in to …" when the name is known and not blank.
    pub(super) fn logging_in(service_name: Option<&'a str>) -> Banner<'a> {
        match service_name {
            Some(name) if !name.trim().is_empty() => Banner::LoggingIn(name),
            _ => Banner::None,
        }
    }
}

/// One page before rendering.
#[derive(Debug)]
pub(super) struct Layout<'a> {
    pub locale: Locale,
    /// The step, plain text; the `<title>` is "step — DAN".
    pub title: &'a str,
    /// Prefixes the title with "Error: " so screen readers hear it first.
    pub has_error: bool,
    pub banner: Banner<'a>,
    /// URLs of this page in Mongolian and in English.
    pub switch: Option<(&'a str, &'a str)>,
    /// Markup placed between the header and `<main>` (the development warning).
    pub before_main: String,
    /// The content of `<main>`, HTML.
    pub main: String,
    /// An inline script placed at the end of `<body>` and allowed by its hash.
    pub script: Option<&'static str>,
    /// `<meta http-equiv="refresh">` seconds (development outbox only).
    pub refresh_secs: Option<u32>,
}

impl<'a> Layout<'a> {
    /// A page of a login: the e-service in the header, the language switch.
    pub(super) fn framed(frame: &Frame<'a>, title: &'a str, main: String) -> Layout<'a> {
        Layout {
            locale: frame.locale,
            title,
            has_error: false,
            banner: Banner::logging_in(Some(frame.service_name)),
            switch: Some((frame.switch_mn, frame.switch_en)),
            before_main: String::new(),
            main,
            script: None,
            refresh_secs: None,
        }
    }

    /// A page without a frame: header with DAN and, when known, the e-service.
    pub(super) fn bare(locale: Locale, title: &'a str, banner: Banner<'a>, main: String) -> Self {
        Layout {
            locale,
            title,
            has_error: false,
            banner,
            switch: None,
            before_main: String::new(),
            main,
            script: None,
            refresh_secs: None,
        }
    }

    /// The page, with forms allowed to post to this origin only.
    pub(super) fn into_page(self, status: u16) -> Page {
        self.into_page_posting_to(status, "'self'")
    }

    /// The page, with forms allowed to post to `form_action` (a CSP source list).
    pub(super) fn into_page_posting_to(self, status: u16, form_action: &str) -> Page {
        let csp = csp(self.script, form_action);
        Page {
            status,
            html: self.render(),
            csp,
        }
    }

    fn render(self) -> String {
        let t = self.locale.texts();
        let lang = self.locale.as_str();
        let prefix = if self.has_error { t.error_prefix } else { "" };
        let title = escape(&format!("{prefix}{} — {}", self.title, t.dan));
        let refresh = self
            .refresh_secs
            .map(|s| format!("<meta http-equiv=\"refresh\" content=\"{s}\">\n"))
            .unwrap_or_default();
        let banner = match self.banner {
            Banner::LoggingIn(name) => t.logging_in.fill(&format!("<b>{}</b>", escape(name))),
            Banner::RequestedBy(name) => t.requested_by.fill(&format!("<b>{}</b>", escape(name))),
            Banner::None => String::new(),
        };
        let banner = if banner.is_empty() {
            banner
        } else {
            format!("<p class=\"banner\">{banner}</p>\n")
        };
        let switch = self
            .switch
            .map(|(mn, en)| language_switch(self.locale, mn, en))
            .unwrap_or_default();
        let script = self
            .script
            .map(|s| format!("<script>{s}</script>\n"))
            .unwrap_or_default();
        format!(
            "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"robots\" content=\"noindex, nofollow\">\n\
             <meta name=\"color-scheme\" content=\"light\">\n{refresh}\
             <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n\
             <a class=\"skip\" href=\"#main\">{skip}</a>\n\
             <header class=\"top\">\n<div class=\"wrap\">\n\
             <p class=\"brand\">{dan}<span>{tagline}</span></p>\n{switch}{banner}</div>\n\
             </header>\n{before}<main id=\"main\" class=\"wrap\">\n{main}</main>\n\
             {script}</body>\n</html>\n",
            skip = escape(t.skip),
            dan = escape(t.dan),
            tagline = escape(t.tagline),
            before = self.before_main,
            main = self.main,
        )
    }
}

/// The two language links; the current one carries `aria-current`. Each name is written in its
/// own language so that a reader of the other language still finds it.
fn language_switch(current: Locale, mn: &str, en: &str) -> String {
    let link = |locale: Locale, href: &str, name: &str| {
        let current = if locale == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let code = locale.as_str();
        format!(
            "<li><a href=\"{}\" hreflang=\"{code}\" lang=\"{code}\"{current}>{}</a></li>",
            url_attr(href),
            escape(name)
        )
    };
    format!(
        "<nav aria-label=\"{}\">\n<ul class=\"lang\">{}{}</ul>\n</nav>\n",
        escape(current.texts().language),
        link(Locale::Mn, mn, "Монгол"),
        link(Locale::En, en, "English"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_lists_exactly_the_directives_of_the_baseline() {
        let policy = csp(None, "'self'");
        assert!(policy.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(policy.ends_with(
            "; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ));
        assert!(!policy.contains("script-src"));
        assert!(!policy.contains("unsafe"));
        let with_script = csp(Some(FORM_POST_JS), "https://rp.example");
        assert!(with_script.contains(&format!("script-src {};", hash_source(FORM_POST_JS))));
        assert!(with_script.contains("form-action https://rp.example;"));
    }

    #[test]
    fn hash_source_is_base64_sha256() {
        // printf '' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            hash_source(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }
}
