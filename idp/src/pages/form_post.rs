//! OAuth 2.0 Form Post Response Mode: the authorization response delivered as an
//! auto-submitted HTML form instead of a query string.

use super::errors::{ErrorKind, error_kind};
use super::form;
use super::layout::{Banner, FORM_POST_JS, Layout};
use super::texts::dev as t;
use super::{Locale, Page, escape, url_attr};

/// The page that posts `fields` (for example `code`, `state`, `iss`) to `redirect_uri`
/// (OAuth 2.0 Form Post Response Mode, section 2). A hash-allowed inline script submits it on
/// load; without JavaScript a "Continue" button inside `<noscript>` does. The CSP's
/// `form-action` is the origin of `redirect_uri` only (see `form_action_source` for IPv6).
///
/// `redirect_uri` must be the already-validated, exactly registered URI. If its origin cannot
/// be read (see [`origin_of`]), nothing is posted: the result is the
/// [`ErrorKind::Internal`] page (500), because that is a bug upstream, not the citizen's doing.
pub fn form_post(redirect_uri: &str, fields: &[(&str, &str)]) -> Page {
    let Some(form_action) = form_action_source(redirect_uri) else {
        return error_kind(Locale::Mn, None, &ErrorKind::Internal, None);
    };
    let mut main = format!(
        "<h1>{}<span class=\"banner\" lang=\"en\"> / {}</span></h1>\n\
         <form id=\"form-post\" method=\"post\" action=\"{}\">\n",
        escape(t::FORM_POST_TITLE_MN),
        escape(t::FORM_POST_TITLE_EN),
        url_attr(redirect_uri),
    );
    for (name, value) in fields {
        main.push_str(&form::hidden(name, value));
    }
    main.push_str(&format!(
        "<noscript>\n<p>{} <span lang=\"en\">{}</span></p>\n\
         <button type=\"submit\" class=\"btn\">{} <span lang=\"en\">/ {}</span></button>\n\
         </noscript>\n</form>\n",
        escape(t::FORM_POST_NOSCRIPT_MN),
        escape(t::FORM_POST_NOSCRIPT_EN),
        escape(t::FORM_POST_BUTTON_MN),
        escape(t::FORM_POST_BUTTON_EN),
    ));
    let mut layout = Layout::bare(Locale::Mn, t::FORM_POST_TITLE_MN, Banner::None, main);
    layout.script = Some(FORM_POST_JS);
    layout.into_page_posting_to(200, &form_action)
}

/// The CSP source that lets a form post to `url`: its origin; for an IPv6 literal host
/// (`http://[::1]:3000`, RFC 8252 section 7.3), which no CSP host-source can express
/// (w3c/webappsec-csp#224), the scheme-source (`http:`). Safe because the page's only form is
/// ours and every value in it is escaped.
pub(super) fn form_action_source(url: &str) -> Option<String> {
    let origin = origin_of(url)?;
    match origin.split_once("://[") {
        Some((scheme, _)) => Some(format!("{scheme}:")),
        None => Some(origin),
    }
}

/// The origin (`scheme://host[:port]`, RFC 6454) of an `http` or `https` URL, in the form a CSP
/// source expression uses: scheme and host lowercased, default port dropped, no user info,
/// path, query or fragment.
///
/// `None` for anything else, and for any character that could change the meaning of a CSP
/// header (space, `;`, `,`, quotes, non-ASCII): the URL was validated upstream, so a `None`
/// here means a bug there, and the caller must fail closed.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    // Browsers end the authority of http(s) URLs at `\` as well as at `/`, `?` and `#`.
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let (inner, after) = v6.split_once(']')?;
        let ok = !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
        if !ok {
            return None;
        }
        let port = match after {
            "" => "",
            _ => after.strip_prefix(':')?,
        };
        (format!("[{}]", inner.to_ascii_lowercase()), port)
    } else {
        let (host, port) = host_port.split_once(':').unwrap_or((host_port, ""));
        let ok = !host.is_empty()
            && !host.starts_with(['.', '-'])
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !ok {
            return None;
        }
        (host.to_ascii_lowercase(), port)
    };
    let port: Option<u16> = if port.is_empty() {
        None
    } else if port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) {
        // Above 65535 the parse fails; port 0 cannot be posted to.
        Some(port.parse().ok().filter(|n| *n != 0)?)
    } else {
        return None;
    };
    match port.map(|n| n.to_string()) {
        Some(n) if n != default_port => Some(format!("{scheme}://{host}:{n}")),
        _ => Some(format!("{scheme}://{host}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_drops_path_query_fragment_and_default_port_rfc6454() {
        let cases = [
            ("https://rp.example/cb?x=1", "https://rp.example"),
            ("http://127.0.0.1:8080/cb", "http://127.0.0.1:8080"),
            ("HTTPS://RP.Example:443/cb#f", "https://rp.example"),
            ("http://localhost:80", "http://localhost"),
            ("https://rp.example:8443?x=a/b", "https://rp.example:8443"),
            ("http://[::1]:3000/cb", "http://[::1]:3000"),
            ("http://[::1]/cb", "http://[::1]"),
            ("https://user:pw@rp.example/cb", "https://rp.example"),
            ("https://rp.example\\@evil.example/", "https://rp.example"),
        ];
        for (url, origin) in cases {
            assert_eq!(origin_of(url).as_deref(), Some(origin), "{url}");
        }
    }

    #[test]
    fn origin_refuses_what_could_break_the_policy_header() {
        for url in [
            "ftp://rp.example/",
            "rp.example/cb",
            "https:///cb",
            "https://rp.example;script-src */cb",
            "https://rp example/",
            "https://rp.example:80a/",
            "https://rp.example:99999/",
            "https://rp.example:0/",
            "https://[::1/cb",
            "https://[::1]x/cb",
            "https://bücher.example/",
            "https://'self'/",
            "javascript://rp.example/%0aalert(1)",
        ] {
            assert_eq!(origin_of(url), None, "{url}");
        }
    }

    #[test]
    fn form_post_posts_hidden_fields_to_the_redirect_uri_and_only_there() {
        let page = form_post(
            "https://rp.example/cb?x=1&y=2",
            &[
                ("code", "abc"),
                ("state", "s\"><script>"),
                ("iss", "https://dan.example"),
            ],
        );
        assert_eq!(page.status, 200);
        assert!(page.html.contains(
            "<form id=\"form-post\" method=\"post\" action=\"https://rp.example/cb?x=1&amp;y=2\">"
        ));
        assert!(
            page.html
                .contains("<input type=\"hidden\" name=\"code\" value=\"abc\">")
        );
        assert!(page.html.contains("value=\"s&quot;&gt;&lt;script&gt;\""));
        assert!(page.csp.contains("form-action https://rp.example;"));
        assert!(!page.csp.contains("'self'"));
        assert!(page.html.contains("<noscript>"));
    }

    #[test]
    fn ipv6_loopback_falls_back_to_the_scheme_source() {
        assert_eq!(
            form_action_source("http://[::1]:8080/cb").as_deref(),
            Some("http:")
        );
        let page = form_post("http://[::1]:8080/cb", &[("code", "abc")]);
        assert!(page.csp.contains("form-action http:;"));
        assert_eq!(
            form_action_source("http://127.0.0.1:8080/cb").as_deref(),
            Some("http://127.0.0.1:8080")
        );
    }

    #[test]
    fn form_post_with_an_unreadable_origin_posts_nothing() {
        let page = form_post("https://rp.example;x/cb", &[("code", "abc")]);
        assert_eq!(page.status, 500);
        assert!(!page.html.contains("abc"));
        assert!(!page.html.contains("<form"));
    }
}
