//! Development pages of the embedded default: the SMS outbox and the "try it" demo e-service.
//! Never served in production mode (the configuration refuses to start with them on).

use super::form;
use super::layout::{Banner, Layout};
use super::texts::dev as t;
use super::{Locale, Page, escape, url_attr};

/// Where the development SMS outbox is served; [`try_it`] links to it.
pub const OUTBOX_PATH: &str = "/dev/outbox";

/// At most this many messages are listed, so the page stays small (under 30 KB).
const OUTBOX_LIMIT: usize = 20;
/// Longer messages are cut to this many characters (a long SMS is 3 segments of 153).
const OUTBOX_TEXT_CHARS: usize = 480;

/// The result of a finished demo login, shown by [`try_it`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryItResult {
    /// The verified ID token's claims, pretty-printed JSON.
    pub id_token_claims: String,
    /// The userinfo response, pretty-printed JSON.
    pub userinfo: String,
    /// Where the "Log out" link goes (RP-initiated logout).
    pub logout_href: String,
}

/// The development SMS outbox, clearly labelled DEVELOPMENT ONLY, refreshing every 5 seconds.
///
/// `entries` are `(to, text, sent_at)` in the order they were sent (oldest first); the page
/// lists the newest 20, newest first, each cut to 480 characters.
pub fn outbox(entries: &[(String, String, String)]) -> Page {
    let mut main = format!("<h1>{}</h1>\n", escape(t::OUTBOX_TITLE));
    if entries.is_empty() {
        main.push_str(&format!("<p>{}</p>\n", escape(t::OUTBOX_EMPTY)));
    } else {
        main.push_str(&format!(
            "<div class=\"scroll\">\n<table>\n<caption>{}</caption>\n<thead><tr>\
             <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
             </tr></thead>\n<tbody>\n",
            escape(t::OUTBOX_CAPTION),
            escape(t::COL_SENT),
            escape(t::COL_TO),
            escape(t::COL_TEXT),
        ));
        for (to, text, sent_at) in entries.iter().rev().take(OUTBOX_LIMIT) {
            main.push_str(&format!(
                "<tr><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td><td>{}</td></tr>\n",
                escape(sent_at),
                escape(to),
                escape(&shorten(text))
            ));
        }
        main.push_str("</tbody>\n</table>\n</div>\n");
    }
    let mut layout = Layout::bare(Locale::En, t::OUTBOX_TITLE, Banner::None, main);
    layout.before_main = format!(
        "<p class=\"dev\">{} <span lang=\"mn\">{}</span></p>\n",
        escape(t::OUTBOX_WARNING),
        escape(t::OUTBOX_WARNING_MN)
    );
    layout.refresh_secs = Some(5);
    layout.into_page(200)
}

/// The demo e-service of the embedded default: what it is, the demo registry numbers, where the
/// SMS code appears, a "Try logging in" link to `start_href`; after a login, the ID token claims,
/// the userinfo response and a log-out link.
pub fn try_it(
    locale: Locale,
    start_href: &str,
    demo_numbers: &[&str],
    result: Option<&TryItResult>,
) -> Page {
    let tx = locale.texts();
    let mut main = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(tx.try_heading),
        escape(tx.try_intro)
    );
    if let Some(result) = result {
        main.push_str(&format!(
            "<h2>{}</h2>\n<h3>{}</h3>\n<pre>{}</pre>\n<h3>{}</h3>\n<pre>{}</pre>\n\
             <p class=\"actions\">{}</p>\n",
            escape(tx.try_done),
            escape(tx.try_claims),
            escape(&result.id_token_claims),
            escape(tx.try_userinfo),
            escape(&result.userinfo),
            form::link_button(&result.logout_href, tx.logout, true).trim_end(),
        ));
    }
    main.push_str(&format!("<h2>{}</h2>\n", escape(tx.try_numbers)));
    if demo_numbers.is_empty() {
        main.push_str(&format!("<p>{}</p>\n", escape(tx.try_no_numbers)));
    } else {
        main.push_str("<ul>\n");
        for number in demo_numbers {
            main.push_str(&format!(
                "<li><code lang=\"mn\">{}</code></li>\n",
                escape(number)
            ));
        }
        main.push_str("</ul>\n");
    }
    let outbox_link = format!(
        "<a href=\"{}\">{}</a>",
        url_attr(OUTBOX_PATH),
        escape(OUTBOX_PATH)
    );
    main.push_str(&format!("<p>{}</p>\n", tx.try_sms.fill(&outbox_link)));
    main.push_str("<p class=\"actions\">");
    main.push_str(form::link_button(start_href, tx.try_start, false).trim_end());
    main.push_str("</p>\n");
    Layout::bare(locale, tx.try_heading, Banner::None, main).into_page(200)
}

/// `text` cut to [`OUTBOX_TEXT_CHARS`] characters, with "…" when cut.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(OUTBOX_TEXT_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: usize) -> (String, String, String) {
        (
            format!("9911{n:04}"),
            format!("DAN code: {n:06}"),
            format!("2026-01-01T00:{:02}:{:02}Z", n / 60, n % 60),
        )
    }

    #[test]
    fn outbox_is_labelled_refreshes_and_lists_newest_first() {
        let entries: Vec<_> = (0..3).map(message).collect();
        let page = outbox(&entries);
        assert!(page.html.contains("<p class=\"dev\">DEVELOPMENT ONLY"));
        assert!(
            page.html
                .contains("<caption>SMS messages, newest first (DEVELOPMENT ONLY)")
        );
        assert!(
            page.html
                .contains("<meta http-equiv=\"refresh\" content=\"5\">")
        );
        let newest = page.html.find("DAN code: 000002").expect("newest");
        let oldest = page.html.find("DAN code: 000000").expect("oldest");
        assert!(newest < oldest);
        assert!(outbox(&[]).html.contains("No messages yet."));
    }

    #[test]
    fn outbox_keeps_only_the_newest_messages() {
        let entries: Vec<_> = (0..120).map(message).collect();
        let page = outbox(&entries);
        assert_eq!(page.html.matches("<tr><td").count(), OUTBOX_LIMIT);
        assert!(page.html.contains("DAN code: 000119"));
        assert!(page.html.contains("DAN code: 000100"));
        assert!(!page.html.contains("DAN code: 000099"));
        let long = "ж".repeat(OUTBOX_TEXT_CHARS + 1);
        let page = outbox(&[("99".to_owned(), long, "now".to_owned())]);
        assert!(
            page.html
                .contains(&format!("{}…</td>", "ж".repeat(OUTBOX_TEXT_CHARS)))
        );
    }

    #[test]
    fn try_it_explains_the_demo_and_shows_the_result() {
        let page = try_it(
            Locale::En,
            "/demo/start",
            &["УБ90010112", "ДА85122301"],
            None,
        );
        assert!(
            page.html
                .contains("<li><code lang=\"mn\">УБ90010112</code></li>")
        );
        assert!(
            page.html
                .contains("<a href=\"/dev/outbox\">/dev/outbox</a>")
        );
        assert!(
            page.html
                .contains("href=\"/demo/start\">Try logging in</a>")
        );
        assert!(!page.html.contains("<pre>"));
        let result = TryItResult {
            id_token_claims: "{\n  \"sub\": \"abc\"\n}".to_owned(),
            userinfo: "{\n  \"name\": \"Бат\"\n}".to_owned(),
            logout_href: "/demo/logout".to_owned(),
        };
        let page = try_it(Locale::Mn, "/demo/start", &[], Some(&result));
        assert!(
            page.html
                .contains("<pre>{\n  &quot;sub&quot;: &quot;abc&quot;\n}</pre>")
        );
        assert!(page.html.contains("href=\"/demo/logout\">Гарах</a>"));
        assert!(page.html.contains("Туршилтын иргэн бүртгэгдээгүй байна."));
    }
}
