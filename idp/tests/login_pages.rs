//! The login pages and SMS one-time codes over real HTTP, on both backends: the code rules
//! (five tries, resend after a minute, five codes an hour), the per-IP limit, no enumeration of
//! registry numbers, CSRF and browser binding, locked citizens, languages; and logout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use idp::citizens::{CitizenStatus, RegistryNumber};
use serde_json::Value;
use support::server::{
    Backends, Browser, CITIZEN, LoginPage, TestServer, authorize_url, backchannel_endpoint,
    confidential_client, csrf, log_in, pkce, query_of, redeem, userinfo,
};

const RP: &str = "https://rp.example/cb";

/// A browser at the registry-number page of a new login of `rp-one`.
async fn at_number_page(server: &TestServer, extra: &[(&str, &str)]) -> (Browser, LoginPage) {
    let id = idp::clients::ClientId::parse("rp-one").unwrap();
    if server.provider.clients.find(&id).await.unwrap().is_none() {
        let (client, _) = confidential_client("rp-one", RP);
        server.register(&client).await;
    }
    let browser = Browser::new();
    let (_, challenge) = pkce();
    let authorize = authorize_url(server, "rp-one", RP, &challenge, extra);
    let page = LoginPage::open(server, &browser, &authorize).await;
    (browser, page)
}

async fn a_bad_registry_number_gets_a_helpful_error_and_keeps_what_was_typed(server: TestServer) {
    let (browser, page) = at_number_page(&server, &[]).await;
    let seen = page
        .post(&browser, "number", &[("registry_number", "UB90010112")])
        .await;
    assert_eq!(seen.status, 422);
    assert!(
        seen.body.contains("aria-invalid=\"true\""),
        "the field is marked invalid"
    );
    assert!(
        seen.body.contains("UB90010112"),
        "what was typed stays in the field"
    );
    assert!(
        seen.body.contains("role=\"alert\""),
        "the error is announced"
    );
}

async fn a_wrong_code_five_times_ends_the_login(server: TestServer) {
    let (browser, page) = at_number_page(&server, &[]).await;
    let (number, phone) = CITIZEN;
    page.post(&browser, "number", &[("registry_number", number)])
        .await;
    let code = server.wait_for_code(phone, 0).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..=4).rev() {
        let seen = page.post(&browser, "code", &[("code", wrong)]).await;
        assert_eq!(seen.status, 422);
        assert!(
            seen.body.contains(&format!(": {left}.")),
            "{left} tries left announced"
        );
    }
    let fifth = page.post(&browser, "code", &[("code", wrong)]).await;
    assert_eq!(fifth.status, 429, "{}", fifth.body);
    // Even the right code no longer works: the login is over.
    let late = page.post(&browser, "code", &[("code", &code)]).await;
    assert_eq!(late.status, 400, "{}", late.body);
}

async fn a_code_expires_after_five_minutes(server: TestServer) {
    let (browser, page) = at_number_page(&server, &[]).await;
    let (number, phone) = CITIZEN;
    page.post(&browser, "number", &[("registry_number", number)])
        .await;
    let code = server.wait_for_code(phone, 0).await;
    // The store's own expiry runs on real time with Redis; the memory store follows the
    // injected clock. Either way the code must be refused after five minutes.
    server.clock.advance(Duration::from_secs(301));
    if server.provider.store.describe().starts_with("in-process") {
        let seen = page.post(&browser, "code", &[("code", &code)]).await;
        assert_eq!(seen.status, 422, "{}", seen.body);
    }
}

async fn a_new_code_waits_a_minute_and_five_an_hour_is_the_most(server: TestServer) {
    let (number, phone) = CITIZEN;
    let (browser, page) = at_number_page(&server, &[]).await;
    page.post(&browser, "number", &[("registry_number", number)])
        .await;
    server.wait_for_code(phone, 0).await;
    let early = page.post(&browser, "resend", &[]).await;
    assert_eq!(early.status, 200);
    assert!(early.body.contains("60"), "says how long to wait");
    assert_eq!(server.sms_count(phone), 1, "no second SMS within a minute");
    // Four more logins reach the hourly limit of five codes for this number and phone.
    for sent in 2..=5 {
        let (browser, page) = at_number_page(&server, &[]).await;
        page.post(&browser, "number", &[("registry_number", number)])
            .await;
        server.wait_for_code(phone, sent - 1).await;
    }
    let (browser, page) = at_number_page(&server, &[]).await;
    let sixth = page
        .post(&browser, "number", &[("registry_number", number)])
        .await;
    assert_eq!(sixth.status, 429);
    assert!(sixth.headers.contains_key("retry-after"));
    assert_eq!(server.sms_count(phone), 5);
}

async fn unknown_and_locked_numbers_get_the_same_page_and_never_succeed(server: TestServer) {
    let directory = server.provider.citizens.clone();
    let locked = RegistryNumber::parse("ДА85122324").unwrap();
    let citizen = directory
        .find_by_registry_number(&locked)
        .await
        .unwrap()
        .unwrap();
    directory
        .set_status(citizen.id, CitizenStatus::Locked)
        .await
        .unwrap();
    let known = {
        let (browser, page) = at_number_page(&server, &[]).await;
        page.post(&browser, "number", &[("registry_number", CITIZEN.0)])
            .await
    };
    for number in ["ДА85122324", "ЮЮ99123199"] {
        let (browser, page) = at_number_page(&server, &[]).await;
        let seen = page
            .post(&browser, "number", &[("registry_number", number)])
            .await;
        assert_eq!(seen.status, known.status, "{number}");
        assert!(
            seen.body.contains("one-time-code"),
            "{number}: the same code page"
        );
        assert!(
            seen.body.contains("+976 ••••"),
            "{number}: a masked number is shown"
        );
        // The same number shows the same stand-in each time (no tell by change).
        let (again, again_page) = at_number_page(&server, &[]).await;
        let second = again_page
            .post(&again, "number", &[("registry_number", number)])
            .await;
        let masked = |body: &str| body[body.find("+976 ••••").unwrap()..][..20].to_owned();
        assert_eq!(masked(&seen.body), masked(&second.body), "{number}");
        // Every code fails.
        let tried = page.post(&browser, "code", &[("code", "123456")]).await;
        assert_eq!(tried.status, 422, "{number}");
    }
    assert_eq!(
        server.sms_count("+97699000002"),
        0,
        "a locked citizen gets no SMS"
    );
}

async fn forms_without_the_csrf_token_or_from_another_browser_are_refused(server: TestServer) {
    let (browser, page) = at_number_page(&server, &[]).await;
    let number_form = format!("{}/number", page.url);
    let no_token = browser
        .post(&number_form, &[("registry_number", CITIZEN.0)])
        .await;
    assert_eq!(no_token.status, 403);
    let wrong = browser
        .post(
            &number_form,
            &[("registry_number", CITIZEN.0), ("csrf", "forged")],
        )
        .await;
    assert_eq!(wrong.status, 403);
    let stranger = page
        .post(&Browser::new(), "number", &[("registry_number", CITIZEN.0)])
        .await;
    assert_eq!(
        stranger.status, 403,
        "a stolen link does not work in another browser"
    );
    assert_eq!(Browser::new().get(&page.url).await.status, 403);
    assert_eq!(server.sms_count(CITIZEN.1), 0, "nothing was sent");
    // The real browser can still go on: the refusals changed nothing.
    let seen = page
        .post(&browser, "number", &[("registry_number", CITIZEN.0)])
        .await;
    assert_eq!(seen.status, 200);
}

async fn a_citizen_locked_during_login_cannot_finish(server: TestServer) {
    let (browser, page) = at_number_page(&server, &[]).await;
    let (number, phone) = CITIZEN;
    page.post(&browser, "number", &[("registry_number", number)])
        .await;
    let code = server.wait_for_code(phone, 0).await;
    let directory = server.provider.citizens.clone();
    let citizen = directory
        .find_by_registry_number(&RegistryNumber::parse(number).unwrap())
        .await
        .unwrap()
        .unwrap();
    directory
        .set_status(citizen.id, CitizenStatus::Locked)
        .await
        .unwrap();
    let seen = page.post(&browser, "code", &[("code", &code)]).await;
    assert_ne!(seen.status, 303, "no way back to the e-service with a code");
    assert!(browser.cookie("dan_session").is_none(), "no session");
}

async fn pages_follow_ui_locales_and_the_language_switch(server: TestServer) {
    let (browser, login) = at_number_page(&server, &[("ui_locales", "en")]).await;
    let login = login.url;
    let page = browser.get(&login).await;
    assert!(page.body.contains("lang=\"en\""));
    assert!(
        page.body.contains("rp-one service"),
        "the e-service's English name"
    );
    let switched = browser.get(&format!("{login}?lang=mn")).await;
    assert!(switched.body.contains("lang=\"mn\""));
    assert!(switched.body.contains("rp-one үйлчилгээ"));
    let csp = switched.headers["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert!(switched.body.len() < 30 * 1024);
}

async fn logout_with_a_hint_ends_the_session_and_returns_with_state(server: TestServer) {
    let (client, secret) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let browser = Browser::new();
    let (verifier, challenge) = pkce();
    let location = log_in(
        &server,
        &browser,
        &authorize_url(&server, "rp-one", RP, &challenge, &[]),
    )
    .await;
    let code = query_of(&location)["code"].clone();
    let (_, tokens) = redeem(&server, ("rp-one", secret.expose()), RP, &code, &verifier).await;
    let hint = tokens["id_token"].as_str().unwrap();
    assert!(browser.cookie("dan_session").is_some());
    // A post-logout URI that is not registered is refused with a page.
    let bad = browser
        .get(&server.url(&format!(
            "/logout?id_token_hint={hint}&post_logout_redirect_uri=https://evil.example/"
        )))
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.location.is_none());
    let out = browser
        .get(&server.url(&format!(
            "/logout?id_token_hint={hint}&post_logout_redirect_uri={RP}/bye&state=s-9"
        )))
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(
        out.location.as_deref(),
        Some(format!("{RP}/bye?state=s-9").as_str())
    );
    assert!(
        browser.cookie("dan_session").is_none(),
        "the session cookie is cleared"
    );
    // The session is gone: prompt=none now fails.
    let (_, challenge) = pkce();
    let seen = browser
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("prompt", "none")],
        ))
        .await;
    assert_eq!(query_of(&seen.location.unwrap())["error"], "login_required");
}

async fn logout_without_a_hint_asks_first(server: TestServer) {
    let (client, _) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let browser = Browser::new();
    let (_, challenge) = pkce();
    log_in(
        &server,
        &browser,
        &authorize_url(&server, "rp-one", RP, &challenge, &[]),
    )
    .await;
    let ask = browser.get(&server.url("/logout")).await;
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("decision"), "a confirmation page");
    assert!(browser.cookie("dan_session").is_some(), "nothing ended yet");
    // A forged confirmation (no token) changes nothing.
    let forged = browser
        .post(&server.url("/logout/confirm"), &[("decision", "logout")])
        .await;
    assert_eq!(forged.status, 403);
    let done = browser
        .post(
            &server.url("/logout/confirm"),
            &[("decision", "logout"), ("csrf", &csrf(&ask.body))],
        )
        .await;
    assert_eq!(done.status, 200);
    assert!(browser.cookie("dan_session").is_none());
}

async fn back_channel_logout_reaches_every_client_of_the_session(server: TestServer) {
    let (endpoint, mut received) = backchannel_endpoint().await;
    let (mut client, _) = confidential_client("rp-bcl", RP);
    client.backchannel_logout_uri = Some(endpoint);
    client.check().unwrap();
    server.register(&client).await;
    let browser = Browser::new();
    let (_, challenge) = pkce();
    log_in(
        &server,
        &browser,
        &authorize_url(&server, "rp-bcl", RP, &challenge, &[]),
    )
    .await;
    let ask = browser.get(&server.url("/logout")).await;
    browser
        .post(
            &server.url("/logout/confirm"),
            &[("decision", "logout"), ("csrf", &csrf(&ask.body))],
        )
        .await;
    let body = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token within 10 s")
        .unwrap();
    let token = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .unwrap()
        .1
        .into_owned();
    let parsed = idp::jose::Compact::parse(&token).unwrap();
    assert_eq!(parsed.header.typ.as_deref(), Some("logout+jwt"));
    server.provider.tokens.keys().verify(&parsed).unwrap();
    let claims: Value = parsed.claims().unwrap();
    assert_eq!(claims["aud"], "rp-bcl");
    assert!(
        claims["sid"].is_string() && claims["sub"].is_string() && claims.get("nonce").is_none()
    );
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
}

/// A second registry number typed into the same login (another tab, or an attacker racing two
/// submissions) changes nothing: the login stays bound to the first number, and the code sent
/// to the first citizen's phone logs in the first citizen only.
async fn a_code_only_ever_logs_in_the_citizen_it_was_sent_for(server: TestServer) {
    let (client, secret) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let browser = Browser::new();
    let (verifier, challenge) = pkce();
    let authorize = authorize_url(&server, "rp-one", RP, &challenge, &[]);
    let page = LoginPage::open(&server, &browser, &authorize).await;
    let code = page.code_for_citizen(&server, &browser).await;
    let other = page
        .post(&browser, "number", &[("registry_number", "ДА85122324")])
        .await;
    assert!(
        other.body.contains("one-time-code"),
        "the login stays at the first number's code: {}",
        other.body
    );
    assert_eq!(
        server.sms_count("+97699000002"),
        0,
        "no code for the second number"
    );
    let entered = page.post(&browser, "code", &[("code", &code)]).await;
    let consent = browser
        .get(&server.url(entered.location.as_deref().unwrap()))
        .await;
    assert_eq!(consent.status, 200);
    let done = page
        .post(&browser, "consent", &[("decision", "allow")])
        .await;
    let code = query_of(&done.location.unwrap())["code"].clone();
    let (_, tokens) = redeem(&server, ("rp-one", secret.expose()), RP, &code, &verifier).await;
    let (_, userinfo) = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(
        userinfo["given_name"], "Демо-Бат",
        "the first citizen, not the second"
    );
}

/// The race of the same attack: two numbers submitted at once. Whichever citizen's phone
/// received the code is the citizen that code logs in.
async fn racing_two_numbers_logs_in_only_the_citizen_whose_phone_got_the_code(server: TestServer) {
    let (client, _) = confidential_client("rp-one", RP);
    let mut client = client;
    client.skip_consent = true;
    server.register(&client).await;
    let browser = Browser::new();
    let (_, challenge) = pkce();
    let authorize = authorize_url(&server, "rp-one", RP, &challenge, &[]);
    let page = LoginPage::open(&server, &browser, &authorize).await;
    let (a, b) = tokio::join!(
        page.post(&browser, "number", &[("registry_number", "УБ90010112")]),
        page.post(&browser, "number", &[("registry_number", "ДА85122324")]),
    );
    // One is sent; the other is told to wait (a page with an error, 422) or, if it came
    // second, shown the code page.
    assert!([a.status, b.status].iter().all(|s| [200, 422].contains(s)));
    let (phone, name) = loop {
        if server.sms_count("+97699000001") > 0 {
            break ("+97699000001", "Демо-Бат");
        }
        if server.sms_count("+97699000002") > 0 {
            break ("+97699000002", "Демо-Сараа");
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    let code = server.wait_for_code(phone, 0).await;
    let entered = page.post(&browser, "code", &[("code", &code)]).await;
    if entered.status != 303 {
        // The stage names the other citizen: their code was never sent, so nobody logs in.
        assert_eq!(entered.status, 422, "{}", entered.body);
        return;
    }
    let session = browser.cookie("dan_session").unwrap();
    let citizen = server
        .provider
        .sessions
        .find(&session)
        .await
        .unwrap()
        .unwrap()
        .citizen_id;
    let record = server
        .provider
        .citizens
        .find_by_id(idp::citizens::CitizenId(citizen))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.record.given_name, name,
        "the session is the phone owner's"
    );
}

on_both_backends!(
    racing_two_numbers_logs_in_only_the_citizen_whose_phone_got_the_code,
    a_code_only_ever_logs_in_the_citizen_it_was_sent_for,
    a_bad_registry_number_gets_a_helpful_error_and_keeps_what_was_typed,
    a_wrong_code_five_times_ends_the_login,
    a_code_expires_after_five_minutes,
    a_new_code_waits_a_minute_and_five_an_hour_is_the_most,
    unknown_and_locked_numbers_get_the_same_page_and_never_succeed,
    forms_without_the_csrf_token_or_from_another_browser_are_refused,
    a_citizen_locked_during_login_cannot_finish,
    pages_follow_ui_locales_and_the_language_switch,
    logout_with_a_hint_ends_the_session_and_returns_with_state,
    logout_without_a_hint_asks_first,
    back_channel_logout_reaches_every_client_of_the_session,
);

/// The per-IP limit on starting logins: 429 with Retry-After, on the embedded default (the
/// counter logic is the store's, covered by the contract suite on Redis).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_logins_from_one_address_get_429_with_retry_after() {
    let server = TestServer::start(Backends::Embedded, &[("IDP_LOGIN_RATE_PER_IP", "2")])
        .await
        .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let (browser, page) = at_number_page(&server, &[]).await;
        let seen = page
            .post(&browser, "number", &[("registry_number", "ЮЮ99123199")])
            .await;
        statuses.push(seen.status);
        if seen.status == 429 {
            assert_eq!(seen.headers["retry-after"], "60");
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
}

/// `GET /dev/outbox`: JSON newest first with `to`, `text`, `sent_at`, filtered by `?to=`; a
/// page for browsers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_development_outbox_lists_messages_newest_first() {
    let server = TestServer::start(Backends::Embedded, &[]).await.unwrap();
    for number in [CITIZEN.0, "ДА85122324"] {
        let (browser, page) = at_number_page(&server, &[]).await;
        page.post(&browser, "number", &[("registry_number", number)])
            .await;
    }
    server.wait_for_code("+97699000002", 0).await;
    server.wait_for_code(CITIZEN.1, 0).await;
    let all: Value = reqwest::get(server.url("/dev/outbox"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2);
    for message in all {
        let keys: Vec<&String> = message.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["sent_at", "text", "to"]);
    }
    assert!(
        all[0]["sent_at"].as_str() >= all[1]["sent_at"].as_str(),
        "newest first"
    );
    let one: Value = reqwest::get(server.url("/dev/outbox?to=%2B97699000002"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["to"], "+97699000002");
    let html = reqwest::Client::new()
        .get(server.url("/dev/outbox"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(
        html.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

/// Without the outbox (as in production) there is no `/dev/outbox` and no try-it page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_outbox_there_is_no_development_route() {
    let server = TestServer::start(
        Backends::Embedded,
        &[("IDP_DEV_OUTBOX", "false"), ("IDP_DEMO_DATA", "false")],
    )
    .await
    .unwrap();
    for path in ["/dev/outbox", "/try"] {
        let status = reqwest::get(server.url(path)).await.unwrap().status();
        assert_eq!(status, 404, "{path}");
    }
}

async fn authorize_status(server: &TestServer, forwarded_for: &str) -> u16 {
    reqwest::Client::new()
        .get(server.url("/authorize?client_id=nobody"))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Behind a trusted load balancer the limit applies per citizen address (the rightmost
/// untrusted `X-Forwarded-For` entry); from anyone else the header is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorize_limit_counts_the_forwarded_address_only_from_trusted_proxies() {
    let behind = TestServer::start(
        Backends::Embedded,
        &[
            ("IDP_AUTHORIZE_RATE_PER_IP", "2"),
            ("IDP_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await
    .unwrap();
    // A spoofed leftmost entry does not help: the balancer appended the real address.
    for _ in 0..2 {
        assert_eq!(authorize_status(&behind, "1.1.1.1, 10.0.0.1").await, 400);
    }
    assert_eq!(authorize_status(&behind, "2.2.2.2, 10.0.0.1").await, 429);
    assert_eq!(
        authorize_status(&behind, "10.0.0.2").await,
        400,
        "another citizen"
    );

    let direct = TestServer::start(Backends::Embedded, &[("IDP_AUTHORIZE_RATE_PER_IP", "2")])
        .await
        .unwrap();
    for forwarded in ["10.0.0.1", "10.0.0.2"] {
        assert_eq!(authorize_status(&direct, forwarded).await, 400);
    }
    assert_eq!(
        authorize_status(&direct, "10.0.0.3").await,
        429,
        "an untrusted peer cannot pick its address"
    );
}
