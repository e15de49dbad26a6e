//! Every page, rendered with hostile and long inputs.

use super::super::*;

/// A value that would break out of text or an attribute if it were not escaped. Each place
/// gets its own tag name so a failure names the place.
pub(super) fn evil(place: &str) -> String {
    format!("<{place}>&\"'")
}

/// `evil(place)` must appear escaped and never raw.
pub(super) fn assert_escaped(html: &str, place: &str) {
    assert!(!html.contains(&format!("<{place}>")), "{place} not escaped");
    // Spelled out rather than computed with `escape`, so a broken `escape` fails here too.
    let escaped = format!("&lt;{place}&gt;&amp;&quot;&#39;");
    assert!(
        html.contains(&escaped),
        "{place} missing or wrongly escaped"
    );
}

/// A login frame.
pub(super) fn frame<'a>(
    locale: Locale,
    service: &'a str,
    switch_mn: &'a str,
    switch_en: &'a str,
) -> Frame<'a> {
    Frame {
        locale,
        service_name: service,
        switch_mn,
        switch_en,
    }
}

/// Every page, in both languages where it has one, with errors and notices on, every input
/// hostile (`evil`) and the service name 200 characters long.
pub(super) fn every_page() -> Vec<(String, Page)> {
    let service = format!("{}{}", evil("svc"), "Төрийн үйлчилгээ ".repeat(12));
    assert!(service.chars().count() >= 200);
    let (mn, en, act, csrf) = (
        format!("/x?{}", evil("mn")),
        format!("/x?{}", evil("en")),
        format!("/a?{}", evil("act")),
        evil("csrf"),
    );
    let long = "Урт мессеж ".repeat(30);
    let (err, note) = (
        format!("{}{long}", evil("err")),
        format!("{}{long}", evil("note")),
    );
    let hidden = [(evil("hn").leak() as &str, evil("hv").leak() as &str)];
    let mut pages = Vec::new();
    for locale in [Locale::Mn, Locale::En] {
        let f = frame(locale, &service, &mn, &en);
        let l = locale.as_str();
        let value = evil("val");
        pages.push((
            format!("rn-{l}"),
            registry_number(&f, &act, &csrf, None, None, None),
        ));
        pages.push((
            format!("rn-err-{l}"),
            registry_number(
                &f,
                &act,
                &csrf,
                Some(&value),
                Some(&err),
                Some((&act, &evil("opts"))),
            ),
        ));
        pages.push((
            format!("code-{l}"),
            code(&f, &act, &act, &csrf, "99**12", None, None),
        ));
        pages.push((
            format!("code-err-{l}"),
            code(
                &f,
                &act,
                &act,
                &csrf,
                &evil("phone"),
                Some(&err),
                Some(&note),
            ),
        ));
        let all = [MethodOption::Passkey, MethodOption::App, MethodOption::Sms];
        pages.push((format!("choose-{l}"), choose(&f, &act, &csrf, &all)));
        pages.push((
            format!("app-{l}"),
            app_code(&f, &act, &act, &csrf, &all[..1], None),
        ));
        pages.push((
            format!("app-err-{l}"),
            app_code(&f, &act, &act, &csrf, &all[1..], Some(&err)),
        ));
        let opts = evil("opts");
        let prompt = |options, continue_action, error| PasskeyPrompt {
            action: &act,
            method_action: &act,
            csrf: &csrf,
            options,
            others: &all[1..],
            continue_action,
            error,
        };
        pages.push((
            format!("passkey-{l}"),
            passkey(&f, &prompt(Some(&opts), None, None)),
        ));
        pages.push((
            format!("passkey-refused-{l}"),
            passkey(&f, &prompt(Some(&opts), Some(&act), Some(&err))),
        ));
        pages.push((
            format!("passkey-none-{l}"),
            passkey(&f, &prompt(None, Some(&act), None)),
        ));
        pages.push((format!("unmet-{l}"), unmet(&f, &act, &csrf, &act)));
        let row = MethodRow {
            id: evil("rid"),
            name: evil("rname"),
            added: evil("radded"),
            last_used: Some(evil("rused")),
            level: Some(evil("rlevel")),
        };
        let rows = [row];
        let account_page = |error: Option<(&'static str, &'static str)>, add_passkey| AccountPage {
            locale,
            csrf: "csrf-token",
            name: "Бат Болд",
            phone: Some("+976 ••••12 34"),
            devices: &rows,
            passkeys: &rows,
            apps: &rows,
            add_passkey,
            notice: Some("notice"),
            error,
            typed: "typed",
        };
        let create = AddPasskey::Create("{\"publicKey\":{}}");
        pages.push((format!("account-{l}"), account(&account_page(None, create))));
        pages.push((
            format!("account-err-{l}"),
            account(&account_page(Some((APP_NAME_ID, "bad name")), create)),
        ));
        pages.push((
            format!("device-code-{l}"),
            device_code(locale, &evil("dcode"), &evil("duntil")),
        ));
        pages.push((
            format!("confirm-first-{l}"),
            account(&account_page(None, AddPasskey::ConfirmFirst)),
        ));
        pages.push((
            format!("enroll-{l}"),
            app_enrollment(locale, &csrf, &evil("eid"), &evil("secret"), None, None),
        ));
        pages.push((
            format!("enroll-err-{l}"),
            app_enrollment(
                locale,
                &csrf,
                &evil("eid"),
                &evil("secret"),
                Some("data:image/svg+xml;base64,AAAA"),
                Some(&err),
            ),
        ));
        let scopes = [
            ScopeItem::Profile,
            ScopeItem::Phone,
            ScopeItem::Address,
            ScopeItem::Email,
            ScopeItem::NationalId,
        ];
        pages.push((
            format!("consent-{l}"),
            consent(&f, &act, &csrf, &scopes, true),
        ));
        pages.push((
            format!("logout-{l}"),
            logout_confirm(&f, &act, &csrf, &hidden),
        ));
        let next = (format!("/n?{}", evil("href")), evil("label"));
        pages.push((
            format!("error-{l}"),
            error(
                locale,
                Some(&service),
                &evil("ttl"),
                &err,
                Some((&next.0, &next.1)),
                400,
            ),
        ));
        for (i, kind) in [
            ErrorKind::UnknownClient,
            ErrorKind::BadRedirectUri,
            ErrorKind::RequestExpired,
            ErrorKind::TooManyAttempts,
            ErrorKind::RateLimited {
                retry_after_secs: 3600,
            },
            ErrorKind::Internal,
            ErrorKind::BadRequest(format!("{}{long}", evil("detail"))),
            ErrorKind::CsrfFailed,
        ]
        .iter()
        .enumerate()
        {
            let page = error_kind(locale, Some(&service), kind, Some((&next.0, &next.1)));
            pages.push((format!("kind{i}-{l}"), page));
        }
        pages.push((
            format!("logged-out-{l}"),
            logged_out(
                locale,
                Some(&service),
                Some(&format!("/b?{}", evil("back"))),
            ),
        ));
        let result = TryItResult {
            id_token_claims: format!("{}{}", evil("claims"), "{\"k\": \"v\"}\n".repeat(150)),
            userinfo: format!("{}{}", evil("userinfo"), "{\"k\": \"v\"}\n".repeat(150)),
            logout_href: format!("/o?{}", evil("logout")),
        };
        let numbers = [evil("num").leak() as &str, "УБ90010112"];
        pages.push((
            format!("try-{l}"),
            try_it(
                locale,
                &format!("/s?{}", evil("start")),
                &numbers,
                Some(&result),
            ),
        ));
    }
    let fields = [
        (evil("fn").leak() as &str, evil("fv").leak() as &str),
        ("code", "abc"),
    ];
    pages.push((
        "form-post".to_owned(),
        form_post(&format!("https://rp.example/cb?{}", evil("uri")), &fields),
    ));
    let entries: Vec<_> = (0..60)
        .map(|_| (evil("to"), format!("{}{long}", evil("sms")), evil("at")))
        .collect();
    pages.push(("outbox".to_owned(), outbox(&entries)));
    pages
}
