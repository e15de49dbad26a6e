//! Logging out of DAN (OpenID Connect RP-Initiated Logout 1.0): the confirmation and the
//! "you have logged out" page.

use super::form;
use super::layout::{Banner, Layout};
use super::{Frame, Locale, Page, escape};

/// "Log out of DAN?": one form posted to `action` with `csrf`, the `hidden` fields (for example
/// `state`, `post_logout_redirect_uri`, `client_id`, carried through unchanged and escaped), and
/// two buttons: `decision=logout` and `decision=stay`. The header names the e-service that asked
/// (`frame.service_name`; an empty name shows none).
///
/// When the answer will redirect to a `post_logout_redirect_uri`, widen the policy with
/// [`Page::allow_form_redirect_to`].
pub fn logout_confirm(
    frame: &Frame<'_>,
    action: &str,
    csrf: &str,
    hidden: &[(&str, &str)],
) -> Page {
    let t = frame.locale.texts();
    let mut main = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(t.logout_heading),
        escape(t.logout_text)
    );
    main.push_str(&form::open(action, csrf, ""));
    for (name, value) in hidden {
        main.push_str(&form::hidden(name, value));
    }
    main.push_str("<div class=\"actions\">\n");
    main.push_str(&form::submit(t.logout, false, Some("logout")));
    main.push_str(&form::submit(t.stay, true, Some("stay")));
    main.push_str("</div>\n</form>\n");
    let mut layout = Layout::framed(frame, t.logout_heading, main);
    layout.banner = if frame.service_name.trim().is_empty() {
        Banner::None
    } else {
        Banner::RequestedBy(frame.service_name)
    };
    layout.into_page(200)
}

/// "You have logged out", with advice for shared computers and, when `back` is given, a link
/// back to the e-service (named when `service_name` is known).
pub fn logged_out(locale: Locale, service_name: Option<&str>, back: Option<&str>) -> Page {
    let t = locale.texts();
    let mut main = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(t.logged_out_heading),
        escape(t.logged_out_text)
    );
    if let Some(href) = back {
        let label = match service_name {
            Some(name) if !name.trim().is_empty() => t.back_to.plain(name),
            _ => t.back_to_service.to_owned(),
        };
        main.push_str("<p class=\"actions\">");
        main.push_str(&form::link_button(href, &label, false));
        main.push_str("</p>\n");
    }
    Layout::bare(locale, t.logged_out_heading, Banner::None, main).into_page(200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_carries_hidden_fields_and_both_decisions() {
        let frame = Frame {
            locale: Locale::En,
            service_name: "Tax",
            switch_mn: "/logout?lang=mn",
            switch_en: "/logout?lang=en",
        };
        let page = logout_confirm(&frame, "/logout", "tok", &[("state", "s1")]);
        assert!(page.html.contains("<h1>Log out of DAN?</h1>"));
        assert!(
            page.html
                .contains("<input type=\"hidden\" name=\"state\" value=\"s1\">")
        );
        assert!(
            page.html
                .contains("name=\"decision\" value=\"logout\">Log out</button>")
        );
        assert!(
            page.html
                .contains("name=\"decision\" value=\"stay\">Cancel</button>")
        );
        assert!(page.html.contains("Requested by <b>Tax</b>"));
        assert!(!page.html.contains("Logging in"));
        let anonymous = logout_confirm(
            &Frame {
                service_name: "",
                ..frame
            },
            "/l",
            "t",
            &[],
        );
        assert!(!anonymous.html.contains("class=\"banner\""));
    }

    #[test]
    fn logged_out_links_back_only_when_asked() {
        let page = logged_out(Locale::Mn, Some("Татвар"), Some("https://tax.example/"));
        assert!(page.html.contains("<h1>Та системээс гарлаа</h1>"));
        assert!(
            page.html
                .contains("href=\"https://tax.example/\">«Татвар» үйлчилгээ рүү буцах</a>")
        );
        let page = logged_out(Locale::En, None, Some("/"));
        assert!(page.html.contains(">Back to the e-service</a>"));
        let page = logged_out(Locale::En, Some("Tax"), None);
        assert!(!page.html.contains("class=\"btn"));
    }
}
