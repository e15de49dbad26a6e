//! Properties every page must have: escaping, CSP hashes, labels, error ties, language, size.

mod corpus;
mod scan;

use std::collections::{BTreeMap, BTreeSet};

use corpus::{assert_escaped, every_page, evil, frame};
use scan::{Attrs, attributes, inline, tags};

use super::layout::hash_source;
use super::*;

#[test]
fn every_interpolated_value_is_escaped_in_text_and_attributes() {
    let pages: BTreeMap<String, Page> = every_page().into_iter().collect();
    let places: &[(&str, &[&str])] = &[
        (
            "rn-err-mn",
            &["svc", "mn", "en", "act", "csrf", "val", "err"],
        ),
        (
            "code-err-en",
            &["svc", "act", "csrf", "phone", "err", "note"],
        ),
        ("consent-mn", &["svc", "act", "csrf"]),
        ("logout-en", &["svc", "act", "csrf", "hn", "hv"]),
        ("error-mn", &["svc", "ttl", "err", "href", "label"]),
        ("kind6-en", &["svc", "detail", "href", "label"]),
        ("logged-out-mn", &["svc", "back"]),
        ("try-en", &["claims", "userinfo", "logout", "num", "start"]),
        ("form-post", &["fn", "fv", "uri"]),
        ("outbox", &["to", "sms", "at"]),
    ];
    for (name, checks) in places {
        let html = &pages[*name].html;
        for place in *checks {
            assert_escaped(html, place);
        }
    }
    // The header and the consent heading both carry the service name.
    assert!(
        pages["consent-en"]
            .html
            .matches(&escape(&evil("svc")))
            .count()
            >= 2
    );
}

#[test]
fn csp_hashes_match_the_inline_style_and_scripts_csp3_hash_source() {
    for (name, page) in every_page() {
        let styles = inline(&page.html, "style");
        assert_eq!(styles.len(), 1, "{name}");
        let style_src = format!("style-src {};", hash_source(&styles[0]));
        assert!(page.csp.contains(&style_src), "{name}");
        let scripts = inline(&page.html, "script");
        assert!(scripts.len() <= 1, "{name}");
        match scripts.first() {
            Some(script) => {
                let script_src = format!("script-src {};", hash_source(script));
                assert!(page.csp.contains(&script_src), "{name}");
            }
            None => assert!(!page.csp.contains("script-src"), "{name}"),
        }
        assert!(page.csp.starts_with("default-src 'none'; "), "{name}");
        for directive in [
            "img-src data:;",
            "frame-ancestors 'none';",
            "base-uri 'none'",
        ] {
            assert!(page.csp.contains(directive), "{name}: {directive}");
        }
        assert!(!page.csp.contains("unsafe"), "{name}");
        // Nothing the policy would block or that loads from elsewhere. The one image, the
        // enrollment's QR code, is an SVG drawn by DAN, inline as a data: URL.
        for banned in [" style=\"", " onclick", " onload", "<link", "<iframe"] {
            assert!(!page.html.contains(banned), "{name}: {banned}");
        }
        let inline_images = page
            .html
            .matches("<img class=\"qr\" src=\"data:image/svg+xml;base64,")
            .count();
        assert_eq!(page.html.matches("<img").count(), inline_images, "{name}");
        assert_eq!(page.html.matches(" src=").count(), inline_images, "{name}");
    }
}

#[test]
fn only_the_registry_number_passkey_and_form_post_pages_run_a_script() {
    for (name, page) in every_page() {
        let has_script = page.html.contains("<script>");
        let expected = name.starts_with("rn")
            || (name.starts_with("passkey") && !name.starts_with("passkey-none"))
            || name.starts_with("account")
            || name == "form-post";
        assert_eq!(has_script, expected, "{name}");
        let form_action = if name == "form-post" {
            "form-action https://rp.example;"
        } else {
            "form-action 'self';"
        };
        assert!(page.csp.contains(form_action), "{name}");
    }
}

#[test]
fn every_visible_input_has_exactly_one_label_for_its_id_wcag_1_3_1() {
    for (name, page) in every_page() {
        for input in tags(&page.html, "input") {
            if input.get("type").map(String::as_str) == Some("hidden") {
                continue;
            }
            let id = input.get("id").expect("visible input without id");
            let labels = tags(&page.html, "label")
                .into_iter()
                .filter(|label| label.get("for") == Some(id))
                .count();
            assert_eq!(labels, 1, "{name}: {id}");
        }
    }
}

#[test]
fn field_errors_are_tied_to_their_field_and_summarised_wcag_3_3_1() {
    for (name, page) in every_page() {
        let html = &page.html;
        let ids: BTreeSet<String> = ["p", "div", "input", "main", "h1"]
            .iter()
            .flat_map(|tag| tags(html, tag))
            .filter_map(|attrs| attrs.get("id").cloned())
            .collect();
        let visible: Vec<Attrs> = tags(html, "input")
            .into_iter()
            .filter(|i| i.get("type").map(String::as_str) != Some("hidden"))
            .collect();
        for input in &visible {
            for token in input
                .get("aria-describedby")
                .into_iter()
                .flat_map(|v| v.split(' '))
            {
                assert!(
                    ids.contains(token),
                    "{name}: dangling aria-describedby {token}"
                );
            }
        }
        let with_error = name.contains("-err-");
        let invalid: Vec<&Attrs> = visible
            .iter()
            .filter(|i| i.get("aria-invalid").map(String::as_str) == Some("true"))
            .collect();
        assert_eq!(invalid.len(), usize::from(with_error), "{name}");
        if let Some(input) = invalid.first() {
            let id = &input["id"];
            let error_id = format!("{id}-error");
            assert!(
                input["aria-describedby"].split(' ').any(|t| t == error_id),
                "{name}"
            );
            assert!(
                html.contains("<div class=\"summary\" role=\"alert\">"),
                "{name}"
            );
            assert!(html.contains(&format!("<a href=\"#{id}\">")), "{name}");
            assert!(
                html.contains("<title>Алдаа: ") || html.contains("<title>Error: "),
                "{name}"
            );
            assert_eq!(page.status, 422, "{name}");
        } else if name.starts_with("rn") || name.starts_with("code") {
            assert!(!html.contains("role=\"alert\""), "{name}");
        }
    }
}

#[test]
fn pages_are_in_the_requested_language_with_the_switch_marking_it() {
    for (name, page) in every_page() {
        let lang = if name.ends_with("-en") || name == "outbox" {
            "en"
        } else {
            "mn"
        };
        assert!(
            page.html.contains(&format!("<html lang=\"{lang}\">")),
            "{name}"
        );
        let current: Vec<Attrs> = tags(&page.html, "a")
            .into_iter()
            .filter(|a| a.contains_key("aria-current"))
            .collect();
        if page.html.contains("class=\"lang\"") {
            assert_eq!(current.len(), 1, "{name}");
            assert_eq!(current[0]["hreflang"], lang, "{name}");
        }
    }
    let f = frame(Locale::En, "Tax", "/p?lang=mn", "/p?lang=en");
    let html = registry_number(&f, "/rn", "t", None, None, None).html;
    assert!(html.contains("<h1>Enter your registry number</h1>"));
    assert!(html.contains("href=\"/p?lang=mn\" hreflang=\"mn\" lang=\"mn\">Монгол</a>"));
    assert!(
        html.contains("href=\"/p?lang=en\" hreflang=\"en\" lang=\"en\" aria-current=\"page\">")
    );
    let mn = registry_number(
        &Frame {
            locale: Locale::Mn,
            ..f
        },
        "/rn",
        "t",
        None,
        None,
        None,
    )
    .html;
    assert!(mn.contains("<h1>Регистрийн дугаараа оруулна уу</h1>"));
    assert!(mn.contains("Та «<b>Tax</b>» үйлчилгээнд нэвтэрч байна"));
}

#[test]
fn every_page_is_under_30_kb_even_with_long_inputs() {
    for (name, page) in every_page() {
        assert!(
            page.html.len() < 30 * 1024,
            "{name}: {} bytes",
            page.html.len()
        );
    }
}

#[test]
fn every_page_has_the_document_landmarks() {
    for (name, page) in every_page() {
        let html = &page.html;
        assert!(html.starts_with("<!doctype html>\n<html lang=\""), "{name}");
        assert!(
            html.contains(
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            ),
            "{name}"
        );
        assert_eq!(html.matches("<main").count(), 1, "{name}");
        assert_eq!(html.matches("<h1").count(), 1, "{name}");
        assert_eq!(html.matches("<title>").count(), 1, "{name}");
        assert!(
            html.contains(" — ДАН</title>") || html.contains(" — DAN</title>"),
            "{name}"
        );
        let ids: Vec<String> = ["p", "div", "input", "main", "h1", "form"]
            .iter()
            .flat_map(|tag| tags(html, tag))
            .filter_map(|attrs| attrs.get("id").cloned())
            .collect();
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{name}: duplicate id");
    }
}

#[test]
fn every_form_posts_with_a_csrf_token_and_every_button_is_named() {
    for (name, page) in every_page() {
        let html = &page.html;
        for form in tags(html, "form") {
            assert_eq!(
                form.get("method").map(String::as_str),
                Some("post"),
                "{name}"
            );
        }
        let forms = html.split("<form").skip(1);
        for form in forms {
            let form = form.split("</form>").next().expect("closed form");
            if name != "form-post" {
                assert!(
                    form.contains("<input type=\"hidden\" name=\"csrf\" value=\""),
                    "{name}"
                );
            }
        }
        for part in html.split("<button").skip(1) {
            let (open, rest) = part.split_once('>').expect("button tag");
            let attrs = attributes(open);
            assert!(matches!(
                attrs.get("type").map(String::as_str),
                Some("submit" | "button")
            ));
            let text = rest
                .split("</button>")
                .next()
                .expect("closed button")
                .trim();
            assert!(
                !text.is_empty() || attrs.contains_key("aria-label"),
                "{name}"
            );
        }
    }
}

#[test]
fn fields_have_the_autocomplete_hints_for_password_managers_and_sms_autofill() {
    let f = frame(Locale::Mn, "Tax", "/mn", "/en");
    let rn = registry_number(&f, "/rn", "t", Some("УБ9001"), None, None);
    let input = tags(&rn.html, "input")
        .into_iter()
        .find(|i| i.contains_key("id"))
        .expect("input");
    // `webauthn`: the browser may offer passkeys in the field's autofill (conditional UI).
    assert_eq!(input["autocomplete"], "username webauthn");
    assert_eq!(input["name"], "registry_number");
    assert_eq!(input["value"], "УБ9001");
    let code_page = code(
        &f,
        "/code",
        "/resend",
        "t",
        "99**12",
        None,
        Some("Шинэ код илгээлээ."),
    );
    let input = tags(&code_page.html, "input")
        .into_iter()
        .find(|i| i.contains_key("id"))
        .expect("input");
    assert_eq!(input["autocomplete"], "one-time-code");
    assert_eq!(input["inputmode"], "numeric");
    assert_eq!(input["pattern"], "[0-9]*");
    assert_eq!(input["maxlength"], "6");
    assert_eq!(input["value"], "");
    assert!(
        code_page
            .html
            .contains("<p class=\"notice\" role=\"status\">Шинэ код илгээлээ.</p>")
    );
    assert!(
        code_page
            .html
            .contains("Бид <b class=\"nowrap\">99**12</b> дугаарт 6 оронтой код")
    );
    assert_eq!(tags(&code_page.html, "form").len(), 2);
    assert!(code_page.html.contains("action=\"/resend\""));
}
