//! The ways to log in beyond the SMS code, through the real pages over HTTP on both backends,
//! with a software passkey (`webauthn-authenticator-rs`) and authenticator-app codes computed
//! from the enrolled secret at the provider's (manual) clock:
//!
//! - the citizen's account: an SMS login to it, a passkey and an authenticator app added;
//! - passkey logins after the registry number and usernameless, with `acr` substantial and
//!   `amr` `mfa`; a step-up of a low session in place, with the same `sid`;
//! - an essential level the citizen cannot reach: `unmet_authentication_requirements`;
//! - the method picker and the authenticator-app login, a code taken once, guesses limited;
//! - refusals of passkey answers (another login's challenge, malformed, replayed), audited;
//! - the last passkey removed only after a fresh passkey login.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use idp::audit::{AuditEvent, AuditFilter};
use idp::citizens::RegistryNumber;
use idp::clock::Clock;
use serde_json::Value;
use support::server::{
    Browser, CITIZEN, LoginPage, Seen, TestServer, authorize_url, confidential_client, csrf, pkce,
    query_of, redeem,
};
use uuid::Uuid;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};
use webauthn_rs_proto::AllowCredentials;

const RP: &str = "https://rp.example/cb";
/// The origin the passkey settings name (the server does not check the request's host).
const ORIGIN: &str = "http://localhost:8080";
const SETTINGS: &[(&str, &str)] = &[
    ("IDP_PASSKEY_RP_ID", "localhost"),
    ("IDP_PASSKEY_ORIGIN", ORIGIN),
];

type Device = WebauthnAuthenticator<SoftPasskey>;

fn device() -> Device {
    WebauthnAuthenticator::new(SoftPasskey::new(true))
}

fn origin() -> Url {
    Url::parse(ORIGIN).unwrap()
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The WebAuthn options of the page's passkey form.
fn options_of(body: &str) -> String {
    let start = body.find("data-options=\"").expect("a passkey form") + 14;
    unescape(&body[start..start + body[start..].find('"').unwrap()])
}

async fn citizen_id(server: &TestServer) -> Uuid {
    let number = RegistryNumber::parse(CITIZEN.0).unwrap();
    server
        .provider
        .citizens
        .find_by_registry_number(&number)
        .await
        .unwrap()
        .unwrap()
        .id
        .0
}

async fn events(server: &TestServer) -> Vec<AuditEvent> {
    server
        .provider
        .audit
        .query(&AuditFilter::default(), 0, 1000)
        .await
        .unwrap()
}

fn detail(event: &AuditEvent) -> Value {
    serde_json::from_str(&event.detail).unwrap()
}

fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// Logs in to the account with an SMS code: ends on `/account`.
async fn account_login(server: &TestServer, browser: &Browser) {
    let start = browser.get(&server.url("/account")).await;
    assert_eq!(start.status, 303);
    let page = LoginPage::at(server, browser, start.location.as_deref().unwrap()).await;
    let code = page.code_for_citizen(server, browser).await;
    let entered = page.post(browser, "code", &[("code", &code)]).await;
    assert_eq!(entered.status, 303, "{}", entered.body);
    assert_eq!(
        entered.location.as_deref(),
        Some("/account"),
        "no code, no consent"
    );
}

/// Adds a passkey on the account page; returns its credential id.
async fn add_passkey(server: &TestServer, browser: &Browser, phone: &mut Device) -> Vec<u8> {
    let page = browser.get(&server.url("/account")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let options: CreationChallengeResponse = serde_json::from_str(&options_of(&page.body)).unwrap();
    let created = phone.do_registration(origin(), options).unwrap();
    let raw_id = created.raw_id.to_vec();
    let added = browser
        .post(
            &server.url("/account/passkeys"),
            &[
                ("csrf", &csrf(&page.body)),
                ("name", "My phone"),
                ("credential", &serde_json::to_string(&created).unwrap()),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(
        added.location.as_deref(),
        Some("/account?done=passkey_added")
    );
    raw_id
}

/// The passkey's answer to the options of a login page. Without allowed credentials (the
/// usernameless login) the software passkey is told which one to use and answers with the
/// citizen's user handle, as a discoverable credential does.
fn answer(phone: &mut Device, body: &str, raw_id: &[u8], citizen: Uuid) -> String {
    let mut options: RequestChallengeResponse = serde_json::from_str(&options_of(body)).unwrap();
    let usernameless = options.public_key.allow_credentials.is_empty();
    if usernameless {
        options.public_key.allow_credentials = vec![AllowCredentials {
            type_: "public-key".into(),
            id: raw_id.to_vec().into(),
            transports: None,
        }];
    }
    let mut assertion = phone.do_authentication(origin(), options).unwrap();
    if usernameless {
        assertion.response.user_handle = Some(citizen.as_bytes().to_vec().into());
    }
    serde_json::to_string(&assertion).unwrap()
}

/// Answers the passkey options of the login page `body` (see [`answer`]) and posts the answer
/// to the login `page`.
async fn post_passkey(
    page: &LoginPage,
    browser: &Browser,
    phone: &mut Device,
    body: &str,
    raw_id: &[u8],
    citizen: Uuid,
) -> Seen {
    let credential = answer(phone, body, raw_id, citizen);
    page.post(browser, "passkey", &[("credential", &credential)])
        .await
}

/// Allows consent when asked and returns the redirect to the e-service.
async fn through_consent(server: &TestServer, browser: &Browser, done: Seen) -> String {
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.location.unwrap();
    if !location.starts_with("/login/") {
        return location;
    }
    let page = LoginPage::at(server, browser, &location).await;
    let allowed = page
        .post(browser, "consent", &[("decision", "allow")])
        .await;
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    allowed.location.unwrap()
}

/// Redeems the code of a redirect and returns the ID token's claims.
async fn id_token(server: &TestServer, secret: &str, location: &str, verifier: &str) -> Value {
    let query = query_of(location);
    assert!(query.contains_key("code"), "{location}");
    let (status, tokens) = redeem(server, ("rp-one", secret), RP, &query["code"], verifier).await;
    assert_eq!(status, 200, "{tokens}");
    claims(tokens["id_token"].as_str().unwrap())
}

fn amr(claims: &Value) -> Vec<String> {
    claims["amr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

async fn a_passkey_added_on_the_account_logs_in_with_and_without_the_registry_number(
    server: TestServer,
) {
    let (client, secret) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let citizen = citizen_id(&server).await;
    let mut phone = device();
    let home = Browser::new();
    account_login(&server, &home).await;
    let raw_id = add_passkey(&server, &home, &mut phone).await;
    let listed = home.get(&server.url("/account")).await;
    assert!(listed.body.contains("My phone"), "listed on the account");

    // Usernameless, from the registry-number page, for an e-service asking for substantial.
    let browser = Browser::new();
    let (verifier, challenge) = pkce();
    let authorize = authorize_url(
        &server,
        "rp-one",
        RP,
        &challenge,
        &[("acr_values", "substantial")],
    );
    let page = LoginPage::open(&server, &browser, &authorize).await;
    let number_page = browser.get(&page.url).await;
    let done = post_passkey(
        &page,
        &browser,
        &mut phone,
        &number_page.body,
        &raw_id,
        citizen,
    )
    .await;
    let location = through_consent(&server, &browser, done).await;
    let token = id_token(&server, secret.expose(), &location, &verifier).await;
    assert_eq!(token["acr"], "substantial");
    let methods = amr(&token);
    assert!(methods.contains(&"mfa".to_owned()), "{methods:?}");
    assert!(methods.contains(&"user".to_owned()), "{methods:?}");
    assert!(
        methods.contains(&"hwk".to_owned()) || methods.contains(&"swk".to_owned()),
        "{methods:?}"
    );

    // After the registry number, with an essential level: only the passkey is offered.
    let browser = Browser::new();
    let (verifier, challenge) = pkce();
    let claims_param = r#"{"id_token":{"acr":{"essential":true,"values":["substantial"]}}}"#;
    let authorize = authorize_url(
        &server,
        "rp-one",
        RP,
        &challenge,
        &[("claims", claims_param)],
    );
    let page = LoginPage::open(&server, &browser, &authorize).await;
    let sms_before = server.sms_count(CITIZEN.1);
    let prompt = page
        .post(&browser, "number", &[("registry_number", CITIZEN.0)])
        .await;
    assert_eq!(prompt.status, 200, "{}", prompt.body);
    assert!(prompt.body.contains("data-webauthn=\"get\""));
    assert!(
        !prompt.body.contains("value=\"sms\""),
        "no SMS for an essential substantial"
    );
    assert_eq!(server.sms_count(CITIZEN.1), sms_before, "no code was sent");
    let done = post_passkey(&page, &browser, &mut phone, &prompt.body, &raw_id, citizen).await;
    let location = through_consent(&server, &browser, done).await;
    let token = id_token(&server, secret.expose(), &location, &verifier).await;
    assert_eq!(token["acr"], "substantial");
    let logins: Vec<Value> = events(&server)
        .await
        .iter()
        .filter(|e| e.kind == "login.succeeded")
        .map(detail)
        .collect();
    assert_eq!(
        logins
            .iter()
            .filter(|d| d["method"] == "passkey" && d["acr"] == "substantial")
            .count(),
        2
    );
}

async fn a_low_session_is_stepped_up_with_a_passkey_and_keeps_its_sid(server: TestServer) {
    let (client, secret) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let citizen = citizen_id(&server).await;
    let mut phone = device();
    let browser = Browser::new();
    account_login(&server, &browser).await;
    let raw_id = add_passkey(&server, &browser, &mut phone).await;

    // The SMS session serves a low request without a page but the consent.
    let (verifier, challenge) = pkce();
    let start = browser
        .get(&authorize_url(&server, "rp-one", RP, &challenge, &[]))
        .await;
    let location = through_consent(&server, &browser, start).await;
    let low = id_token(&server, secret.expose(), &location, &verifier).await;
    assert_eq!(low["acr"], "low");
    assert_eq!(amr(&low), ["sms", "otp"]);
    let cookie_before = browser.cookie("dan_session").unwrap();

    // Substantial: a passkey prompt for the same citizen, no registry number.
    let (verifier, challenge) = pkce();
    let start = browser
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("acr_values", "substantial")],
        ))
        .await;
    assert_eq!(start.status, 303);
    let page = LoginPage::at(&server, &browser, start.location.as_deref().unwrap()).await;
    let prompt = browser.get(&page.url).await;
    assert!(
        prompt.body.contains("data-webauthn=\"get\""),
        "a passkey prompt"
    );
    assert!(
        !prompt.body.contains("registry_number"),
        "no registry number"
    );
    let done = post_passkey(&page, &browser, &mut phone, &prompt.body, &raw_id, citizen).await;
    let location = through_consent(&server, &browser, done).await;
    let high = id_token(&server, secret.expose(), &location, &verifier).await;
    assert_eq!(high["acr"], "substantial");
    assert!(amr(&high).contains(&"mfa".to_owned()));
    assert_eq!(high["sid"], low["sid"], "the same session");
    assert_eq!(high["sub"], low["sub"]);
    let cookie_after = browser.cookie("dan_session").unwrap();
    assert_ne!(
        cookie_before, cookie_after,
        "a new cookie after the step-up"
    );
    // The old cookie no longer names a session.
    assert!(
        server
            .provider
            .sessions
            .find(&cookie_before)
            .await
            .unwrap()
            .is_none()
    );
    let stepped = events(&server)
        .await
        .into_iter()
        .filter(|e| e.kind == "login.succeeded")
        .map(|e| detail(&e))
        .find(|d| d["method"] == "passkey")
        .unwrap();
    assert_eq!(stepped["same_session"], true);

    // A second request for substantial is served by the session.
    let (_, challenge) = pkce();
    let again = browser
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("acr_values", "substantial")],
        ))
        .await;
    assert!(
        again.location.unwrap().starts_with(RP),
        "no page: the session is substantial now"
    );
}

async fn a_voluntary_level_may_go_on_at_the_sessions_own(server: TestServer) {
    let (client, secret) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let mut phone = device();
    let browser = Browser::new();
    account_login(&server, &browser).await;
    add_passkey(&server, &browser, &mut phone).await;
    // prompt=none with a voluntary level: the session as it is, no page.
    let (verifier, challenge) = pkce();
    let quiet = browser
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("acr_values", "substantial"), ("prompt", "none")],
        ))
        .await;
    let query = query_of(quiet.location.as_deref().unwrap());
    assert_eq!(
        query.get("error").map(String::as_str),
        Some("consent_required"),
        "served by the session (only consent is missing): {query:?}"
    );
    // The step-up page offers to go on without the passkey.
    let start = browser
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("acr_values", "substantial")],
        ))
        .await;
    let page = LoginPage::at(&server, &browser, start.location.as_deref().unwrap()).await;
    let prompt = browser.get(&page.url).await;
    assert!(prompt.body.contains("/continue\""), "{}", prompt.body);
    let went_on = page.post(&browser, "continue", &[]).await;
    let location = through_consent(&server, &browser, went_on).await;
    let token = id_token(&server, secret.expose(), &location, &verifier).await;
    assert_eq!(token["acr"], "low", "the session's own level");
    // An essential level has no such way out.
    let claims_param = r#"{"id_token":{"acr":{"essential":true,"values":["substantial"]}}}"#;
    let (_, challenge) = pkce();
    let start = browser
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("claims", claims_param)],
        ))
        .await;
    let page = LoginPage::at(&server, &browser, start.location.as_deref().unwrap()).await;
    let prompt = browser.get(&page.url).await;
    assert!(!prompt.body.contains("/continue\""));
    let refused = page.post(&browser, "continue", &[]).await;
    assert_ne!(refused.status, 303, "no way around an essential level");
}

async fn changes_to_the_account_need_a_fresh_login(server: TestServer) {
    let citizen = citizen_id(&server).await;
    let mut phone = device();
    let home = Browser::new();
    account_login(&server, &home).await;
    let sms_before = server.sms_count(CITIZEN.1);
    add_passkey(&server, &home, &mut phone).await;
    // Delivery runs in the background: wait for the notice.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while server.sms_count(CITIZEN.1) == sms_before {
        assert!(
            std::time::Instant::now() < deadline,
            "the citizen is told by SMS"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let outbox = server.provider.outbox.as_ref().unwrap();
    let notice = &outbox.messages(Some(CITIZEN.1))[0].text;
    assert!(notice.contains("new way to log in"), "{notice}");
    assert!(!notice.chars().any(|c| c.is_ascii_digit()), "no code in it");
    // With a passkey, a second one needs a passkey login: the SMS session is not enough.
    let account = home.get(&server.url("/account")).await;
    assert!(!account.body.contains("data-webauthn=\"create\""));
    assert!(account.body.contains("action=\"/account/confirm\""));
    let forced = home
        .post(
            &server.url("/account/passkeys"),
            &[
                ("csrf", &csrf(&account.body)),
                ("name", "Second"),
                ("credential", "{}"),
            ],
        )
        .await;
    assert_eq!(forced.status, 303);
    assert!(forced.location.unwrap().starts_with("/login/"));
    // Five minutes later, an app needs a fresh login too.
    server.clock.advance(std::time::Duration::from_secs(301));
    let app = home
        .post(
            &server.url("/account/apps"),
            &[("csrf", &csrf(&account.body)), ("name", "Phone app")],
        )
        .await;
    assert_eq!(app.status, 303);
    let location = app.location.unwrap();
    assert!(location.starts_with("/login/"), "{location}");
    let again = browser_page(&server, &home, &location).await;
    assert!(again.contains("name=\"registry_number\""), "a fresh login");
    assert!(
        server
            .provider
            .authenticators
            .list(citizen)
            .await
            .unwrap()
            .is_empty(),
        "nothing was enrolled"
    );
    assert_eq!(
        server
            .provider
            .passkeys
            .as_ref()
            .unwrap()
            .list(citizen)
            .await
            .unwrap()
            .len(),
        1
    );
    let changes: Vec<Value> = events(&server)
        .await
        .iter()
        .filter(|e| e.kind == "method.changed")
        .map(detail)
        .collect();
    assert_eq!(
        changes
            .iter()
            .filter(|d| d["outcome"] == "confirm_first")
            .count(),
        2,
        "{changes:?}"
    );
}

async fn a_citizen_after_a_passkey_login_enrolls_a_digital_id_at_substantial(server: TestServer) {
    let citizen = citizen_id(&server).await;
    let mut phone = device();
    let home = Browser::new();
    account_login(&server, &home).await;
    let account = home.get(&server.url("/account")).await;
    let without = home
        .post(
            &server.url("/account/digital-id"),
            &[("csrf", &csrf(&account.body))],
        )
        .await;
    assert_eq!(without.status, 422, "a passkey first");
    let raw_id = add_passkey(&server, &home, &mut phone).await;
    let account = home.get(&server.url("/account")).await;
    let confirm = home
        .post(
            &server.url("/account/digital-id"),
            &[("csrf", &csrf(&account.body))],
        )
        .await;
    let location = confirm.location.unwrap();
    assert!(location.starts_with("/login/"), "a passkey login first");
    let page = LoginPage::at(&server, &home, &location).await;
    let prompt = home.get(&page.url).await;
    let back = post_passkey(&page, &home, &mut phone, &prompt.body, &raw_id, citizen).await;
    assert_eq!(back.location.as_deref(), Some("/account"));
    let account = home.get(&server.url("/account")).await;
    let issued = home
        .post(
            &server.url("/account/digital-id"),
            &[("csrf", &csrf(&account.body))],
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let start = issued
        .body
        .find("<code class=\"secret\" lang=\"en\">")
        .unwrap()
        + 31;
    let code = &issued.body[start..start + issued.body[start..].find('<').unwrap()];
    let key = idp::jose::SigningKey::generate(idp::jose::Algorithm::Es256, "own").unwrap();
    let enrolled: Value = support::server::http()
        .post(server.url("/digital-id/v1/enroll"))
        .json(&serde_json::json!({
            "code": code,
            "public_key": key.public_jwk().unwrap(),
            "name": "My phone",
            "platform": "iOS 18",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(enrolled["level"], "substantial", "{enrolled}");
    let devices = server.provider.digital_id.devices(citizen).await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].enrolled_by, "citizen");
}

async fn browser_page(server: &TestServer, browser: &Browser, location: &str) -> String {
    browser.get(&server.url(location)).await.body
}

async fn prompt_login_and_max_age_ask_again_at_the_level_asked(server: TestServer) {
    let (client, secret) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let citizen = citizen_id(&server).await;
    let mut phone = device();
    let browser = Browser::new();
    account_login(&server, &browser).await;
    let raw_id = add_passkey(&server, &browser, &mut phone).await;
    let (verifier, challenge) = pkce();
    let start = browser
        .get(&authorize_url(&server, "rp-one", RP, &challenge, &[]))
        .await;
    let location = through_consent(&server, &browser, start).await;
    let first = id_token(&server, secret.expose(), &location, &verifier).await;
    server.clock.advance(std::time::Duration::from_secs(5));
    for extra in [("prompt", "login"), ("max_age", "1")] {
        let (verifier, challenge) = pkce();
        let page = LoginPage::open(
            &server,
            &browser,
            &authorize_url(
                &server,
                "rp-one",
                RP,
                &challenge,
                &[extra, ("acr_values", "substantial")],
            ),
        )
        .await;
        let number_page = browser.get(&page.url).await;
        assert!(
            number_page.body.contains("name=\"registry_number\""),
            "{extra:?}: authenticate again"
        );
        let prompt = page
            .post(&browser, "number", &[("registry_number", CITIZEN.0)])
            .await;
        assert!(
            prompt.body.contains("data-webauthn=\"get\""),
            "{extra:?}: the passkey, the method of the level asked"
        );
        let done = post_passkey(&page, &browser, &mut phone, &prompt.body, &raw_id, citizen).await;
        let location = through_consent(&server, &browser, done).await;
        let again = id_token(&server, secret.expose(), &location, &verifier).await;
        assert_eq!(again["acr"], "substantial", "{extra:?}");
        assert!(
            again["auth_time"].as_i64().unwrap() > first["auth_time"].as_i64().unwrap(),
            "{extra:?}: a fresh auth_time"
        );
        assert_eq!(again["sid"], first["sid"], "{extra:?}: the same session");
        server.clock.advance(std::time::Duration::from_secs(5));
    }
}

async fn an_essential_level_without_a_passkey_is_unmet(server: TestServer) {
    let (client, _) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let browser = Browser::new();
    let (_, challenge) = pkce();
    let claims_param = r#"{"id_token":{"acr":{"essential":true,"values":["substantial"]}}}"#;
    let page = LoginPage::open(
        &server,
        &browser,
        &authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("claims", claims_param)],
        ),
    )
    .await;
    let sms_before = server.sms_count(CITIZEN.1);
    let unmet = page
        .post(&browser, "number", &[("registry_number", CITIZEN.0)])
        .await;
    assert_eq!(unmet.status, 200);
    assert!(unmet.body.contains("/account"), "says how to get a passkey");
    assert_eq!(server.sms_count(CITIZEN.1), sms_before, "no code was sent");
    // An unknown number sees the very same page.
    let stranger = Browser::new();
    let other = LoginPage::open(
        &server,
        &stranger,
        &authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("claims", claims_param)],
        ),
    )
    .await;
    let unknown = other
        .post(&stranger, "number", &[("registry_number", "УБ99123199")])
        .await;
    let normalized = |body: &str, page: &LoginPage| {
        let path = &page.url[page.url.find("/login/").unwrap()..];
        body.replace(path, "").replace(&page.csrf, "")
    };
    assert_eq!(
        normalized(&unknown.body, &other),
        normalized(&unmet.body, &page),
        "an unknown number cannot be told apart"
    );
    let back = page.post(&browser, "unmet", &[]).await;
    let query = query_of(back.location.as_deref().unwrap());
    assert_eq!(query["error"], "unmet_authentication_requirements");
    assert_eq!(query["state"], "st-1");
    // `high` is not offered at all: answered at once.
    let high = r#"{"id_token":{"acr":{"essential":true,"values":["high"]}}}"#;
    let at_once = browser
        .get(&authorize_url(
            &server,
            "rp-one",
            RP,
            &challenge,
            &[("claims", high)],
        ))
        .await;
    let query = query_of(at_once.location.as_deref().unwrap());
    assert_eq!(query["error"], "unmet_authentication_requirements");
}

/// The secret shown as text on the enrollment page.
fn secret_of(body: &str) -> idp::totp::TotpSecret {
    let start = body.find("<code class=\"secret\" lang=\"en\">").unwrap() + 31;
    let text: String = body[start..start + body[start..].find('<').unwrap()]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let bytes = totp_rs::Secret::Encoded(text).to_bytes().unwrap();
    idp::totp::TotpSecret::from_bytes(bytes)
}

fn now(server: &TestServer) -> u64 {
    u64::try_from(server.clock.now().timestamp()).unwrap()
}

async fn an_authenticator_app_is_enrolled_and_logs_in_once_per_code(server: TestServer) {
    let (client, secret) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let home = Browser::new();
    account_login(&server, &home).await;
    let account = home.get(&server.url("/account")).await;
    let enrolling = home
        .post(
            &server.url("/account/apps"),
            &[("csrf", &csrf(&account.body)), ("name", "Phone app")],
        )
        .await;
    assert_eq!(enrolling.status, 200, "{}", enrolling.body);
    assert!(
        enrolling.body.contains("src=\"data:image/svg+xml;base64,"),
        "a QR code"
    );
    let app = secret_of(&enrolling.body);
    let id_start = enrolling.body.find("name=\"id\" value=\"").unwrap() + 17;
    let id = &enrolling.body[id_start..id_start + enrolling.body[id_start..].find('"').unwrap()];
    // A wrong first code: the same page again, QR included, nothing confirmed.
    let right = app.code_at(now(&server));
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = home
        .post(
            &server.url("/account/apps/confirm"),
            &[("csrf", &csrf(&account.body)), ("id", id), ("code", wrong)],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("data:image/svg+xml;base64,"));
    let confirmed = home
        .post(
            &server.url("/account/apps/confirm"),
            &[("csrf", &csrf(&account.body)), ("id", id), ("code", &right)],
        )
        .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    assert_eq!(
        confirmed.location.as_deref(),
        Some("/account?done=app_added")
    );
    server.clock.advance(std::time::Duration::from_secs(30));

    // The picker offers the app and the SMS code; the app logs in.
    let log_in_with_app = |code: String| {
        let server = &server;
        async move {
            let browser = Browser::new();
            let (verifier, challenge) = pkce();
            let page = LoginPage::open(
                server,
                &browser,
                &authorize_url(server, "rp-one", RP, &challenge, &[]),
            )
            .await;
            let picker = page
                .post(&browser, "number", &[("registry_number", CITIZEN.0)])
                .await;
            assert_eq!(picker.status, 200);
            assert!(picker.body.contains("value=\"app\""), "{}", picker.body);
            assert!(picker.body.contains("value=\"sms\""));
            let app_page = page.post(&browser, "method", &[("method", "app")]).await;
            assert_eq!(app_page.status, 200);
            let entered = page.post(&browser, "app", &[("code", &code)]).await;
            (browser, page, entered, verifier)
        }
    };
    let code = app.code_at(now(&server));
    let (browser, _, entered, verifier) = log_in_with_app(code.clone()).await;
    let location = through_consent(&server, &browser, entered).await;
    let token = id_token(&server, secret.expose(), &location, &verifier).await;
    assert_eq!(token["acr"], "low");
    assert_eq!(amr(&token), ["otp"]);
    // The same code again, in another login: refused as used.
    let (_, _, replayed, _) = log_in_with_app(code).await;
    assert_eq!(replayed.status, 422);
    assert!(
        replayed.body.contains("аль хэдийн ашигласан"),
        "{}",
        replayed.body
    );
    let reasons: Vec<Value> = events(&server)
        .await
        .iter()
        .filter(|e| e.kind == "login.failed")
        .map(detail)
        .collect();
    assert!(
        reasons
            .iter()
            .any(|d| d["method"] == "totp" && d["reason"] == "replayed_code")
    );
    // Guessing: five tries per login, the fifth wrong one ends it.
    server.clock.advance(std::time::Duration::from_secs(30));
    let right = app.code_at(now(&server));
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (browser, page, first, _) = log_in_with_app(wrong.to_owned()).await;
    assert_eq!(first.status, 422);
    for _ in 0..3 {
        let again = page.post(&browser, "app", &[("code", wrong)]).await;
        assert_eq!(again.status, 422);
    }
    let last = page.post(&browser, "app", &[("code", wrong)]).await;
    assert_eq!(last.status, 429, "too many attempts: {}", last.body);
    // The login is over: even the right code does nothing now.
    let after = page.post(&browser, "app", &[("code", &right)]).await;
    assert_ne!(after.status, 303);
}

async fn passkey_answers_for_another_login_malformed_or_replayed_are_refused(server: TestServer) {
    let (client, _) = confidential_client("rp-one", RP);
    server.register(&client).await;
    let citizen = citizen_id(&server).await;
    let mut phone = device();
    let home = Browser::new();
    account_login(&server, &home).await;
    let raw_id = add_passkey(&server, &home, &mut phone).await;
    let open = |browser: Browser| {
        let server = &server;
        async move {
            let (_, challenge) = pkce();
            let page = LoginPage::open(
                server,
                &browser,
                &authorize_url(server, "rp-one", RP, &challenge, &[]),
            )
            .await;
            let body = browser.get(&page.url).await.body;
            (browser, page, body)
        }
    };
    let (browser_a, _, body_a) = open(Browser::new()).await;
    let (browser_b, page_b, _) = open(Browser::new()).await;
    // Login A's challenge, posted to login B.
    let for_a = answer(&mut phone, &body_a, &raw_id, citizen);
    let refused = page_b
        .post(&browser_b, "passkey", &[("credential", &for_a)])
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("passkey could not be used")
            || refused.body.contains("баталгаажуулж чадсангүй")
    );
    // Malformed JSON.
    let malformed = page_b
        .post(&browser_b, "passkey", &[("credential", "{\"id\":")])
        .await;
    assert_eq!(malformed.status, 422);
    // Replayed: a good answer logs in once; the same answer again is refused.
    let (browser_c, page_c, body_c) = open(Browser::new()).await;
    let good = answer(&mut phone, &body_c, &raw_id, citizen);
    let first = page_c
        .post(&browser_c, "passkey", &[("credential", &good)])
        .await;
    assert_eq!(first.status, 303, "{}", first.body);
    let (browser_d, page_d, _) = open(Browser::new()).await;
    let replayed = page_d
        .post(&browser_d, "passkey", &[("credential", &good)])
        .await;
    assert_eq!(replayed.status, 422);
    drop(browser_a);
    let reasons: Vec<String> = events(&server)
        .await
        .iter()
        .filter(|e| e.kind == "login.failed")
        .map(|e| detail(e)["reason"].as_str().unwrap().to_owned())
        .collect();
    assert!(reasons.contains(&"challenge".to_owned()), "{reasons:?}");
    assert!(reasons.contains(&"malformed".to_owned()), "{reasons:?}");
    assert!(
        reasons.iter().filter(|r| *r == "challenge").count() >= 2,
        "the replay too: {reasons:?}"
    );
}

async fn the_last_passkey_goes_only_after_a_fresh_passkey_login(server: TestServer) {
    let citizen = citizen_id(&server).await;
    let mut phone = device();
    let home = Browser::new();
    account_login(&server, &home).await;
    let raw_id = add_passkey(&server, &home, &mut phone).await;
    let listed = server
        .provider
        .passkeys
        .as_ref()
        .unwrap()
        .list(citizen)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let remove = format!("/account/methods/passkey/{}/remove", listed[0].id);
    let account = home.get(&server.url("/account")).await;
    // The SMS session may not remove it: first a passkey login.
    let confirm = home
        .post(&server.url(&remove), &[("csrf", &csrf(&account.body))])
        .await;
    assert_eq!(confirm.status, 303);
    let location = confirm.location.unwrap();
    assert!(location.starts_with("/login/"), "{location}");
    assert_eq!(
        server
            .provider
            .passkeys
            .as_ref()
            .unwrap()
            .list(citizen)
            .await
            .unwrap()
            .len(),
        1,
        "still there"
    );
    let page = LoginPage::at(&server, &home, &location).await;
    let prompt = home.get(&page.url).await;
    let back = post_passkey(&page, &home, &mut phone, &prompt.body, &raw_id, citizen).await;
    assert_eq!(back.location.as_deref(), Some("/account"), "{}", back.body);
    let account = home.get(&server.url("/account")).await;
    let removed = home
        .post(&server.url(&remove), &[("csrf", &csrf(&account.body))])
        .await;
    assert_eq!(removed.location.as_deref(), Some("/account?done=removed"));
    assert!(
        server
            .provider
            .passkeys
            .as_ref()
            .unwrap()
            .list(citizen)
            .await
            .unwrap()
            .is_empty()
    );
    // A forged form (no CSRF token) changes nothing.
    let forged = home
        .post(
            &server.url("/account/apps"),
            &[("csrf", "not-it"), ("name", "x")],
        )
        .await;
    assert_ne!(forged.status, 200);
    assert!(
        server
            .provider
            .authenticators
            .list(citizen)
            .await
            .unwrap()
            .is_empty()
    );
    let changes: Vec<Value> = events(&server)
        .await
        .iter()
        .filter(|e| e.kind == "method.changed")
        .map(detail)
        .collect();
    assert!(changes.iter().any(|d| d["outcome"] == "confirm_first"));
    assert!(
        changes
            .iter()
            .any(|d| d["action"] == "remove" && d["outcome"] == "removed")
    );
}

async fn a_security_admin_sees_and_removes_a_citizens_passkey(server: TestServer) {
    let citizen = citizen_id(&server).await;
    let mut phone = device();
    let home = Browser::new();
    account_login(&server, &home).await;
    add_passkey(&server, &home, &mut phone).await;
    let admins = &server.admin.admins;
    admins
        .create("dorj", idp::admins::Role::SecurityAdmin, None)
        .await
        .unwrap();
    let (token, _) = admins
        .issue_token("dorj", "test", std::time::Duration::from_secs(600))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let found: Value = http
        .post(format!("{}/api/v1/citizens/lookup", server.admin_base))
        .bearer_auth(token.expose())
        .json(&serde_json::json!({"registry_number": CITIZEN.0, "reason": "ticket 9"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let passkey = found["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "passkey")
        .cloned()
        .unwrap_or_else(|| panic!("the passkey is listed: {found}"));
    assert_eq!(passkey["level"], "substantial");
    assert_eq!(passkey["label"], "My phone");
    assert_eq!(passkey["removable"], true);
    let removed = http
        .post(format!(
            "{}/api/v1/citizens/{citizen}/methods/{}/remove",
            server.admin_base,
            passkey["id"].as_str().unwrap()
        ))
        .bearer_auth(token.expose())
        .json(&serde_json::json!({"reason": "device lost, ticket 9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    let after: Value = removed.json().await.unwrap();
    assert!(
        !after["methods"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["kind"] == "passkey"),
        "{after}"
    );
    let passkeys = server.provider.passkeys.as_ref().unwrap();
    assert!(passkeys.list(citizen).await.unwrap().is_empty());
}

async fn discovery_lists_the_levels_passkeys_reach(server: TestServer) {
    let doc: Value = support::server::http()
        .get(server.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["acr_values_supported"],
        serde_json::json!(["low", "substantial"])
    );
}

on_both_backends!(
    settings = super::SETTINGS;
    discovery_lists_the_levels_passkeys_reach,
    a_security_admin_sees_and_removes_a_citizens_passkey,
    a_passkey_added_on_the_account_logs_in_with_and_without_the_registry_number,
    a_low_session_is_stepped_up_with_a_passkey_and_keeps_its_sid,
    prompt_login_and_max_age_ask_again_at_the_level_asked,
    a_voluntary_level_may_go_on_at_the_sessions_own,
    changes_to_the_account_need_a_fresh_login,
    a_citizen_after_a_passkey_login_enrolls_a_digital_id_at_substantial,
    an_essential_level_without_a_passkey_is_unmet,
    an_authenticator_app_is_enrolled_and_logs_in_once_per_code,
    passkey_answers_for_another_login_malformed_or_replayed_are_refused,
    the_last_passkey_goes_only_after_a_fresh_passkey_login,
);
