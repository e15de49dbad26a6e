//! Error pages for people: what happened and what to do next, never internal details.
//!
//! A browser error whose redirect URI cannot be trusted is shown here and never redirected
//! (RFC 6749 section 4.1.2.1).

use super::form;
use super::layout::{Banner, Layout};
use super::texts::ErrorText;
use super::{Locale, Page, escape};

/// The errors a person can meet, each with standard texts in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// `client_id` is missing or not registered. 400.
    UnknownClient,
    /// `redirect_uri` does not exactly match a registered one; never redirected
    /// (RFC 6749 section 4.1.2.1). 400.
    BadRedirectUri,
    /// The login transaction is gone (expired or already finished). 400.
    RequestExpired,
    /// Too many wrong codes: this login is stopped. 429.
    TooManyAttempts,
    /// A rate limit (per IP, registry number or phone) was hit. 429; the handler should also
    /// send `Retry-After: retry_after_secs` (RFC 9110 section 10.2.3).
    RateLimited {
        /// Seconds until trying again makes sense.
        retry_after_secs: u64,
    },
    /// A fault on DAN's side; the details go to the log only. 500.
    Internal,
    /// A malformed request from the e-service; `detail` is shown to the person, so it must be
    /// safe to show (for example "missing parameter: response_type"). 400.
    BadRequest(String),
    /// The form's CSRF token did not match (an old tab, a reloaded form). 403, as for any
    /// refused form post; nothing was done.
    CsrfFailed,
}

impl ErrorKind {
    /// The HTTP status of this kind of error.
    pub fn status(&self) -> u16 {
        match self {
            ErrorKind::UnknownClient
            | ErrorKind::BadRedirectUri
            | ErrorKind::RequestExpired
            | ErrorKind::BadRequest(_) => 400,
            ErrorKind::CsrfFailed => 403,
            ErrorKind::TooManyAttempts | ErrorKind::RateLimited { .. } => 429,
            ErrorKind::Internal => 500,
        }
    }

    fn text(&self, locale: Locale) -> ErrorText {
        let t = locale.texts();
        match self {
            ErrorKind::UnknownClient => t.unknown_client,
            ErrorKind::BadRedirectUri => t.bad_redirect_uri,
            ErrorKind::RequestExpired => t.request_expired,
            ErrorKind::TooManyAttempts => t.too_many_attempts,
            ErrorKind::RateLimited { .. } => t.rate_limited,
            ErrorKind::Internal => t.internal,
            ErrorKind::BadRequest(_) => t.bad_request,
            ErrorKind::CsrfFailed => t.csrf_failed,
        }
    }
}

/// An error page with the caller's own `title` and `message` (plain text, in `locale`).
/// `next` is an optional link (`href`, label) to what the person should do next, for example
/// back to the e-service. `service_name`, when known, is shown in the header.
pub fn error(
    locale: Locale,
    service_name: Option<&str>,
    title: &str,
    message: &str,
    next: Option<(&str, &str)>,
    status: u16,
) -> Page {
    let body = format!("<p>{}</p>\n", escape(message));
    render(locale, service_name, title, body, next, status)
}

/// The error page of one [`ErrorKind`], with its standard texts and status
/// ([`ErrorKind::status`]).
pub fn error_kind(
    locale: Locale,
    service_name: Option<&str>,
    kind: &ErrorKind,
    next: Option<(&str, &str)>,
) -> Page {
    let t = locale.texts();
    let text = kind.text(locale);
    let mut body = format!("<p>{}</p>\n", escape(text.message));
    match kind {
        ErrorKind::RateLimited { retry_after_secs } => {
            let wait = locale.wait(*retry_after_secs);
            body.push_str(&format!(
                "<p>{}</p>\n",
                t.rate_limited_wait
                    .fill(&format!("<b>{}</b>", escape(&wait)))
            ));
        }
        ErrorKind::BadRequest(detail) if !detail.trim().is_empty() => {
            body.push_str(&format!(
                "<p>{}</p>\n",
                t.bad_request_detail
                    .fill(&format!("<code>{}</code>", escape(detail)))
            ));
        }
        _ => {}
    }
    render(locale, service_name, text.title, body, next, kind.status())
}

fn render(
    locale: Locale,
    service_name: Option<&str>,
    title: &str,
    body: String,
    next: Option<(&str, &str)>,
    status: u16,
) -> Page {
    let mut main = format!("<h1>{}</h1>\n{body}", escape(title));
    if let Some((href, label)) = next {
        main.push_str("<p class=\"actions\">");
        main.push_str(&form::link_button(href, label, false));
        main.push_str("</p>\n");
    }
    let mut layout = Layout::bare(locale, title, Banner::logging_in(service_name), main);
    layout.has_error = true;
    layout.into_page(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_kinds() -> Vec<ErrorKind> {
        vec![
            ErrorKind::UnknownClient,
            ErrorKind::BadRedirectUri,
            ErrorKind::RequestExpired,
            ErrorKind::TooManyAttempts,
            ErrorKind::RateLimited {
                retry_after_secs: 90,
            },
            ErrorKind::Internal,
            ErrorKind::BadRequest("missing parameter: response_type".to_owned()),
            ErrorKind::CsrfFailed,
        ]
    }

    #[test]
    fn each_kind_has_its_status() {
        let statuses: Vec<u16> = all_kinds().iter().map(ErrorKind::status).collect();
        assert_eq!(statuses, [400, 400, 400, 429, 429, 500, 400, 403]);
        for kind in all_kinds() {
            assert_eq!(
                error_kind(Locale::Mn, None, &kind, None).status,
                kind.status()
            );
        }
    }

    #[test]
    fn each_kind_has_distinct_texts_in_both_languages() {
        for locale in [Locale::Mn, Locale::En] {
            let mut titles: Vec<&str> = all_kinds().iter().map(|k| k.text(locale).title).collect();
            titles.sort_unstable();
            titles.dedup();
            assert_eq!(titles.len(), 8, "{locale:?}");
        }
        let mn = error_kind(Locale::Mn, None, &ErrorKind::BadRedirectUri, None);
        let en = error_kind(Locale::En, None, &ErrorKind::BadRedirectUri, None);
        assert!(mn.html.contains("бүртгэлгүй хаягтай"));
        assert!(en.html.contains("an address DAN does not know"));
    }

    #[test]
    fn rate_limit_says_how_long_to_wait() {
        let kind = ErrorKind::RateLimited {
            retry_after_secs: 90,
        };
        let en = error_kind(Locale::En, None, &kind, None);
        assert!(en.html.contains("Try again in <b>2 minutes</b>."));
        let mn = error_kind(Locale::Mn, None, &kind, None);
        assert!(
            mn.html
                .contains("<b>2 минутын</b> дараа дахин оролдоно уу.")
        );
    }

    #[test]
    fn next_step_is_a_link_and_bad_request_shows_its_detail_escaped() {
        let kind = ErrorKind::BadRequest("<x>".to_owned());
        let page = error_kind(
            Locale::En,
            Some("Tax"),
            &kind,
            Some(("https://tax.example/", "Back to Tax")),
        );
        assert!(page.html.contains("Details: <code>&lt;x&gt;</code>"));
        assert!(
            page.html
                .contains("href=\"https://tax.example/\">Back to Tax</a>")
        );
        assert!(
            page.html
                .contains("<title>Error: Something is wrong with the request — DAN")
        );
        assert!(page.html.contains("Logging in to <b>Tax</b>"));
    }

    #[test]
    fn custom_error_page_uses_the_given_texts_and_status() {
        let page = error(Locale::Mn, None, "Гарчиг", "Тайлбар", None, 404);
        assert_eq!(page.status, 404);
        assert!(page.html.contains("<h1>Гарчиг</h1>\n<p>Тайлбар</p>"));
        assert!(!page.html.contains("class=\"banner\""));
    }
}
