//! Dynamic client registration (RFC 7591) and its management protocol (RFC 7592) over real
//! HTTP, on both backends: an administrator issues an initial access token on the admin
//! listener, an agency registers with it on the public listener, the new client logs a citizen
//! in and gets tokens, and manages its registration with its registration access token. Every
//! refusal is checked for its exact error and for having written nothing; a single-use token
//! used concurrently registers once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use idp::admins::Role;
use idp::audit::{AuditFilter, EventKind};
use serde_json::{Value, json};
use support::server::{Browser, TestServer, authorize_url, log_in, pkce, query_of, redeem};

const REDIRECT: &str = "https://agency.example/cb";

/// Issues an admin token of `role` for a new account `name`.
async fn admin_token(server: &TestServer, name: &str, role: Role) -> String {
    let admins = &server.admin.admins;
    admins.create(name, role, None).await.unwrap();
    let (token, _) = admins
        .issue_token(name, "test", Duration::from_secs(3600))
        .await
        .unwrap();
    token.expose().to_owned()
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

/// A call to the admin API.
async fn admin(
    server: &TestServer,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Answer {
    let url = format!("{}/api/v1{path}", server.admin_base);
    let mut request = reqwest::Client::new()
        .request(method.parse().unwrap(), url)
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    send(request).await
}

/// Issues an initial access token for `uses` registrations; returns the token and its id.
async fn initial_token(server: &TestServer, admin_token: &str, uses: u32) -> (String, String) {
    let issued = admin(
        server,
        "POST",
        "/initial-access-tokens",
        admin_token,
        Some(json!({"label": "Land agency, ticket 42", "max_registrations": uses})),
    )
    .await;
    assert_eq!(issued.status, 201, "{}", issued.body);
    (
        issued.body["token"].as_str().unwrap().to_owned(),
        issued.body["record"]["id"].as_str().unwrap().to_owned(),
    )
}

/// `POST /register` with an optional bearer token and a raw body.
async fn register_raw(server: &TestServer, token: Option<&str>, body: Vec<u8>) -> Answer {
    let mut request = reqwest::Client::new()
        .post(server.url("/register"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    send(request).await
}

async fn register(server: &TestServer, token: Option<&str>, metadata: &Value) -> Answer {
    register_raw(server, token, serde_json::to_vec(metadata).unwrap()).await
}

/// A call to the client configuration endpoint (RFC 7592).
async fn manage(
    server: &TestServer,
    method: &str,
    client_id: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Answer {
    let mut request = reqwest::Client::new().request(
        method.parse().unwrap(),
        server.url(&format!("/register/{client_id}")),
    );
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    send(request).await
}

fn metadata() -> Value {
    json!({
        "redirect_uris": [REDIRECT],
        "client_name#mn": "Газрын алба",
        "client_name#en": "Land agency",
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "openid profile land:read",
        "logo_uri": "https://agency.example/logo.png",
    })
}

#[track_caller]
fn assert_error(answer: &Answer, status: u16, error: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["error"], error, "{}", answer.body);
    assert!(
        !answer.body["error_description"]
            .as_str()
            .unwrap()
            .is_empty(),
        "{}",
        answer.body
    );
    if status == 401 {
        let challenge = answer.headers["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with("Bearer") && challenge.contains(r#"error="invalid_token""#),
            "RFC 6750 3: {challenge}"
        );
    }
}

async fn client_ids(server: &TestServer) -> Vec<String> {
    let clients = server.provider.clients.list().await.unwrap();
    clients
        .into_iter()
        .map(|c| c.id.as_str().to_owned())
        .collect()
}

/// The registration count of an initial access token, through the admin API.
async fn registrations_of(server: &TestServer, admin_token: &str, id: &str) -> u64 {
    let listed = admin(server, "GET", "/initial-access-tokens", admin_token, None).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let record = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .cloned();
    record.unwrap()["registrations"].as_u64().unwrap()
}

async fn registration_events(server: &TestServer) -> Vec<Value> {
    let filter = AuditFilter {
        kind: Some(EventKind::ClientRegistration),
        ..AuditFilter::default()
    };
    let events = server.provider.audit.query(&filter, 0, 1000).await.unwrap();
    events
        .into_iter()
        .map(|e| json!({"actor": e.actor, "client": e.client_id, "detail": serde_json::from_str::<Value>(&e.detail).unwrap()}))
        .collect()
}

async fn client_credentials(server: &TestServer, id: &str, secret: &str) -> u16 {
    reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "land:read")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn an_agency_registers_logs_a_citizen_in_and_manages_its_registration_rfc7591_rfc7592(
    server: TestServer,
) {
    let manager = admin_token(&server, "saraa", Role::ClientManager).await;
    let (token, token_id) = initial_token(&server, &manager, 1).await;
    assert!(token.starts_with("dan_iat_"));

    let discovery: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["registration_endpoint"], server.url("/register"));

    let created = register(&server, Some(&token), &metadata()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.headers["cache-control"], "no-store");
    let body = &created.body;
    let id = body["client_id"].as_str().unwrap().to_owned();
    let secret = body["client_secret"].as_str().unwrap().to_owned();
    let access = body["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(access.starts_with("dan_rat_"));
    assert_eq!(body["client_secret_expires_at"], 0, "RFC 7591 3.2.1");
    assert!(body["client_id_issued_at"].as_i64().unwrap() > 0);
    assert_eq!(
        body["registration_client_uri"],
        server.url(&format!("/register/{id}"))
    );
    assert_eq!(body["client_name#mn"], "Газрын алба", "RFC 7591 2.2");
    assert_eq!(body["client_name#en"], "Land agency");
    assert_eq!(body["redirect_uris"], json!([REDIRECT]));
    assert_eq!(body["scope"], "openid profile land:read");
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["response_types"], json!(["code"]));
    assert!(
        body.get("logo_uri").is_none(),
        "what is not kept is not echoed"
    );
    assert_eq!(registrations_of(&server, &manager, &token_id).await, 1);
    let stored = server
        .provider
        .clients
        .find(&idp::clients::ClientId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.skip_consent && stored.enabled);

    // The new client logs a citizen in through the real pages and redeems the code.
    let (verifier, challenge) = pkce();
    let browser = Browser::new();
    let location = log_in(
        &server,
        &browser,
        &authorize_url(&server, &id, REDIRECT, &challenge, &[]),
    )
    .await;
    assert!(location.starts_with(REDIRECT), "{location}");
    let code = query_of(&location)["code"].clone();
    let (status, tokens) = redeem(&server, (&id, &secret), REDIRECT, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["id_token"].is_string());
    assert_eq!(client_credentials(&server, &id, &secret).await, 200);

    // RFC 7592 2.1: read with the registration access token; never the secret again.
    let read = manage(&server, "GET", &id, Some(&access), None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert!(read.body.get("client_secret").is_none());
    assert_eq!(read.body["client_name#en"], "Land agency");
    assert_eq!(read.body["registration_access_token"], access.as_str());

    // RFC 7592 2.2: replace; the secret is not changed by a PUT.
    let mut changed = read.body.clone();
    changed["client_name#en"] = json!("Land registry");
    changed["redirect_uris"] = json!([REDIRECT, "https://agency.example/cb2"]);
    let updated = manage(&server, "PUT", &id, Some(&access), Some(&changed)).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["client_name#en"], "Land registry");
    assert_eq!(updated.body["redirect_uris"].as_array().unwrap().len(), 2);
    assert!(updated.body.get("client_secret").is_none());
    assert_eq!(
        client_credentials(&server, &id, &secret).await,
        200,
        "same secret"
    );

    // It cannot change its id, choose a secret, or gain the national id.
    let mut other_id = changed.clone();
    other_id["client_id"] = json!("someone-else");
    let refused = manage(&server, "PUT", &id, Some(&access), Some(&other_id)).await;
    assert_error(&refused, 400, "invalid_client_metadata");
    let mut chosen = changed.clone();
    chosen["client_secret"] = json!("my-own-secret");
    let refused = manage(&server, "PUT", &id, Some(&access), Some(&chosen)).await;
    assert_error(&refused, 400, "invalid_client_metadata");
    let mut same_secret = changed.clone();
    same_secret["client_secret"] = json!(secret);
    let accepted = manage(&server, "PUT", &id, Some(&access), Some(&same_secret)).await;
    assert_eq!(
        accepted.status, 200,
        "the current secret may be sent: {}",
        accepted.body
    );
    let mut national = changed.clone();
    national["scope"] = json!("openid national_id");
    let refused = manage(&server, "PUT", &id, Some(&access), Some(&national)).await;
    assert_error(&refused, 400, "invalid_client_metadata");
    assert!(
        refused.body["error_description"]
            .as_str()
            .unwrap()
            .contains("national_id")
    );
    let read = manage(&server, "GET", &id, Some(&access), None).await;
    assert_eq!(read.body["scope"], "openid profile land:read", "unchanged");

    // RFC 7592 2.3: delete; the client and its registration access token are gone.
    let deleted = manage(&server, "DELETE", &id, Some(&access), None).await;
    assert_eq!(deleted.status, 204);
    let gone = manage(&server, "GET", &id, Some(&access), None).await;
    assert_error(&gone, 401, "invalid_token");
    assert_eq!(client_credentials(&server, &id, &secret).await, 401);

    let events = registration_events(&server).await;
    let actions: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["detail"]["action"].as_str().unwrap(),
                e["detail"]["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    for expected in [
        ("register", "ok"),
        ("update", "ok"),
        ("update", "refused"),
        ("delete", "ok"),
        ("read", "refused"),
    ] {
        assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
    }
    let registered = events
        .iter()
        .find(|e| e["detail"]["action"] == "register" && e["detail"]["outcome"] == "ok")
        .unwrap();
    assert_eq!(registered["actor"], format!("client:{id}"));
    assert_eq!(registered["detail"]["initial_token"], token_id.as_str());
    let trail = serde_json::to_string(&events).unwrap();
    for secret in [&token, &secret, &access] {
        assert!(
            !trail.contains(secret.as_str()),
            "no token or secret in the trail"
        );
    }
}

async fn refused_registrations_write_nothing_and_say_why_rfc7591_3_2_2(server: TestServer) {
    let manager = admin_token(&server, "saraa", Role::ClientManager).await;
    let (token, token_id) = initial_token(&server, &manager, 1).await;
    let before = client_ids(&server).await;

    // Not authorised: no token, an unknown one, another scheme, an admin token.
    let none = register(&server, None, &metadata()).await;
    assert_error(&none, 401, "invalid_token");
    let forged = register(&server, Some("dan_iat_forged"), &metadata()).await;
    assert_error(&forged, 401, "invalid_token");
    let basic = send(
        reqwest::Client::new()
            .post(server.url("/register"))
            .basic_auth("x", Some(&token))
            .json(&metadata()),
    )
    .await;
    assert_error(&basic, 401, "invalid_token");
    let admin_as_initial = register(&server, Some(&manager), &metadata()).await;
    assert_error(&admin_as_initial, 401, "invalid_token");

    // Invalid metadata, each with its RFC 7591 3.2.2 code.
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "redirect_uris",
            json!(["http://agency.example/cb"]),
            "invalid_redirect_uri",
        ),
        (
            "redirect_uris",
            json!(["https://agency.example/cb#x"]),
            "invalid_redirect_uri",
        ),
        (
            "redirect_uris",
            json!(["https://*.agency.example/cb"]),
            "invalid_redirect_uri",
        ),
        ("scope", json!("openid landd"), "invalid_client_metadata"),
        (
            "scope",
            json!("openid national_id"),
            "invalid_client_metadata",
        ),
        (
            "token_endpoint_auth_method",
            json!("client_secret_jwt"),
            "invalid_client_metadata",
        ),
        (
            "grant_types",
            json!(["implicit"]),
            "invalid_client_metadata",
        ),
        (
            "response_types",
            json!(["token"]),
            "invalid_client_metadata",
        ),
        ("subject_type", json!("secret"), "invalid_client_metadata"),
        (
            "backchannel_logout_uri",
            json!("http://agency.example/logout"),
            "invalid_client_metadata",
        ),
        (
            "software_statement",
            json!("eyJhbGciOiJub25lIn0.e30."),
            "invalid_software_statement",
        ),
    ];
    for (field, value, error) in cases {
        let mut bad = metadata();
        bad[field] = value.clone();
        let refused = register(&server, Some(&token), &bad).await;
        assert_error(&refused, 400, error);
        assert!(
            error != "invalid_client_metadata"
                || refused.body["error_description"]
                    .as_str()
                    .unwrap()
                    .contains(field),
            "{field}: {}",
            refused.body
        );
    }
    let malformed = register_raw(&server, Some(&token), b"{\"redirect_uris\": [".to_vec()).await;
    assert_error(&malformed, 400, "invalid_client_metadata");
    let not_object = register_raw(&server, Some(&token), b"[]".to_vec()).await;
    assert_error(&not_object, 400, "invalid_client_metadata");
    let mut huge = metadata();
    huge["client_name#en"] = json!("x".repeat(2 * 1024 * 1024));
    let oversize = register(&server, Some(&token), &huge).await;
    assert_eq!(oversize.status, 413);

    // Nothing was written, and the single-use token was not used by any refusal.
    assert_eq!(client_ids(&server).await, before);
    assert_eq!(registrations_of(&server, &manager, &token_id).await, 0);

    // Used up: it registers once, then never again.
    let first = register(&server, Some(&token), &metadata()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let after_first = client_ids(&server).await;
    let again = register(&server, Some(&token), &metadata()).await;
    assert_error(&again, 401, "invalid_token");

    // Revoked, and expired.
    let (revoked, revoked_id) = initial_token(&server, &manager, 5).await;
    let revoke = admin(
        &server,
        "POST",
        &format!("/initial-access-tokens/{revoked_id}/revoke"),
        &manager,
        None,
    )
    .await;
    assert_eq!(revoke.status, 200, "{}", revoke.body);
    assert!(revoke.body["revoked_at"].is_string());
    assert_error(
        &register(&server, Some(&revoked), &metadata()).await,
        401,
        "invalid_token",
    );
    let issued = admin(
        &server,
        "POST",
        "/initial-access-tokens",
        &manager,
        Some(json!({"label": "short", "expires_in": 60})),
    )
    .await;
    let expiring = issued.body["token"].as_str().unwrap().to_owned();
    server.clock.advance(Duration::from_secs(61));
    assert_error(
        &register(&server, Some(&expiring), &metadata()).await,
        401,
        "invalid_token",
    );
    assert_eq!(client_ids(&server).await, after_first);

    let events = registration_events(&server).await;
    let reasons: Vec<&str> = events
        .iter()
        .filter(|e| e["detail"]["outcome"] == "refused")
        .map(|e| e["detail"]["reason"].as_str().unwrap())
        .collect();
    for reason in [
        "no_token",
        "unknown_token",
        "used_up",
        "revoked",
        "expired",
        "invalid_redirect_uri",
        "invalid_client_metadata",
    ] {
        assert!(reasons.contains(&reason), "{reason} in {reasons:?}");
    }
    let trail = serde_json::to_string(&events).unwrap();
    for secret in [&token, &revoked, &expiring, &manager] {
        assert!(!trail.contains(secret.as_str()));
    }
}

/// Registers concurrently `attempts` times with one token; returns the statuses.
async fn race(server: &TestServer, token: &str, attempts: usize) -> Vec<u16> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..attempts {
        let (url, token) = (server.url("/register"), token.to_owned());
        set.spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&metadata())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = set.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses
}

async fn a_token_used_concurrently_beyond_its_limit_registers_only_its_limit(server: TestServer) {
    let manager = admin_token(&server, "saraa", Role::ClientManager).await;
    let before = client_ids(&server).await.len();
    let (single, single_id) = initial_token(&server, &manager, 1).await;
    let statuses = race(&server, &single, 8).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(registrations_of(&server, &manager, &single_id).await, 1);
    assert_eq!(client_ids(&server).await.len(), before + 1);

    let (three, three_id) = initial_token(&server, &manager, 3).await;
    let statuses = race(&server, &three, 8).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(registrations_of(&server, &manager, &three_id).await, 3);
    assert_eq!(client_ids(&server).await.len(), before + 4);
}

async fn a_registration_access_token_manages_only_its_own_client_rfc7592(server: TestServer) {
    let security = admin_token(&server, "dorj", Role::SecurityAdmin).await;
    let (token, _) = initial_token(&server, &security, 2).await;
    let a = register(&server, Some(&token), &metadata()).await.body;
    let b = register(&server, Some(&token), &metadata()).await.body;
    let (a_id, a_token) = (
        a["client_id"].as_str().unwrap(),
        a["registration_access_token"].as_str().unwrap(),
    );
    let b_token = b["registration_access_token"].as_str().unwrap();
    assert_ne!(a_id, b["client_id"].as_str().unwrap());

    let mut change = a.clone();
    change["client_name#en"] = json!("Hijacked");
    for (method, body) in [("GET", None), ("PUT", Some(&change)), ("DELETE", None)] {
        let with_other = manage(&server, method, a_id, Some(b_token), body).await;
        assert_error(&with_other, 401, "invalid_token");
        let without = manage(&server, method, a_id, None, body).await;
        assert_error(&without, 401, "invalid_token");
        let initial = manage(&server, method, a_id, Some(&token), body).await;
        assert_error(&initial, 401, "invalid_token");
    }
    let read = manage(&server, "GET", a_id, Some(a_token), None).await;
    assert_eq!(read.body["client_name#en"], "Land agency", "unchanged");

    // A client an administrator created has no registration access token.
    let created = admin(
        &server,
        "POST",
        "/clients",
        &security,
        Some(json!({"client_id": "by-admin", "name_mn": "А", "name_en": "A", "redirect_uris": [REDIRECT]})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    for token in [a_token, ""] {
        let refused = manage(
            &server,
            "GET",
            "by-admin",
            Some(token).filter(|t| !t.is_empty()),
            None,
        )
        .await;
        assert_error(&refused, 401, "invalid_token");
    }
    assert_error(
        &manage(&server, "GET", "no-such-client", Some(a_token), None).await,
        401,
        "invalid_token",
    );

    // Once a security admin grants it the national id, only administrators change it.
    let granted = admin(
        &server,
        "POST",
        &format!("/clients/{a_id}/restricted-scopes/national_id/grant"),
        &security,
        Some(json!({"reason": "land registration law"})),
    )
    .await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    let mut keep = manage(&server, "GET", a_id, Some(a_token), None).await.body;
    keep["client_name#en"] = json!("Land registry");
    assert_error(
        &manage(&server, "PUT", a_id, Some(a_token), Some(&keep)).await,
        403,
        "access_denied",
    );
    assert_error(
        &manage(&server, "DELETE", a_id, Some(a_token), None).await,
        403,
        "access_denied",
    );
    let read = manage(&server, "GET", a_id, Some(a_token), None).await;
    assert_eq!(read.body["client_name#en"], "Land agency");
}

async fn initial_access_tokens_are_issued_by_client_managers_and_listed_by_auditors(
    server: TestServer,
) {
    let security = admin_token(&server, "dorj", Role::SecurityAdmin).await;
    let manager = admin_token(&server, "saraa", Role::ClientManager).await;
    let auditor = admin_token(&server, "bold", Role::Auditor).await;
    // 128 Cyrillic characters (256 bytes) is a valid label.
    let input = json!({"label": "Т".repeat(128)});

    let refused = admin(
        &server,
        "POST",
        "/initial-access-tokens",
        &auditor,
        Some(input.clone()),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let by_manager = admin(
        &server,
        "POST",
        "/initial-access-tokens",
        &manager,
        Some(input.clone()),
    )
    .await;
    assert_eq!(by_manager.status, 201, "{}", by_manager.body);
    let record = &by_manager.body["record"];
    assert_eq!(record["max_registrations"], 1, "single use by default");
    assert_eq!(record["registrations"], 0);
    assert_eq!(record["created_by"], "saraa");
    let by_security = admin(
        &server,
        "POST",
        "/initial-access-tokens",
        &security,
        Some(input.clone()),
    )
    .await;
    assert_eq!(by_security.status, 201, "{}", by_security.body);

    let listed = admin(&server, "GET", "/initial-access-tokens", &auditor, None).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    for issued in [&by_manager, &by_security] {
        let token = issued.body["token"].as_str().unwrap();
        assert!(!listed.body.to_string().contains(token), "never listed");
    }

    let id = record["id"].as_str().unwrap();
    let path = format!("/initial-access-tokens/{id}/revoke");
    assert_eq!(
        admin(&server, "POST", &path, &auditor, None).await.status,
        403
    );
    let revoked = admin(&server, "POST", &path, &manager, None).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(
        admin(&server, "POST", &path, &manager, None).await.status,
        404
    );

    for (bad, field) in [
        (json!({"label": ""}), "label"),
        (json!({"label": "  "}), "label"),
        (json!({"label": "Т".repeat(129)}), "label"),
        (
            json!({"label": "x", "max_registrations": 0}),
            "max_registrations",
        ),
        (json!({"label": "x", "expires_in": 10}), "expires_in"),
        (
            json!({"label": "x", "expires_in": 91 * 86_400}),
            "expires_in",
        ),
    ] {
        let refused = admin(
            &server,
            "POST",
            "/initial-access-tokens",
            &manager,
            Some(bad),
        )
        .await;
        assert_eq!(refused.status, 400, "{field}: {}", refused.body);
        assert_eq!(refused.body["field"], field, "{}", refused.body);
    }

    let filter = AuditFilter {
        kind: Some(EventKind::AdminAction),
        ..AuditFilter::default()
    };
    let events = server.provider.audit.query(&filter, 0, 1000).await.unwrap();
    let recorded = |actor: &str, action: &str, outcome: &str| {
        events.iter().any(|e| {
            let detail: Value = serde_json::from_str(&e.detail).unwrap();
            e.actor == actor && detail["action"] == action && detail["outcome"] == outcome
        })
    };
    assert!(recorded("admin:saraa", "initial_tokens.create", "ok"));
    assert!(recorded("admin:bold", "initial_tokens.create", "403"));
    assert!(recorded("admin:saraa", "initial_tokens.revoke", "ok"));
    assert!(recorded("admin:bold", "initial_tokens.list", "ok"));
}

on_both_backends!(
    an_agency_registers_logs_a_citizen_in_and_manages_its_registration_rfc7591_rfc7592,
    refused_registrations_write_nothing_and_say_why_rfc7591_3_2_2,
    a_token_used_concurrently_beyond_its_limit_registers_only_its_limit,
    a_registration_access_token_manages_only_its_own_client_rfc7592,
    initial_access_tokens_are_issued_by_client_managers_and_listed_by_auditors,
);
