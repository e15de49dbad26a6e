//! Digital ID enrollment over real HTTP on both backends: a registration officer issues a
//! one-time code through the admin API, the app enrolls its P-256 key with it at
//! `POST /digital-id/v1/enroll`, and authenticates later calls with short-lived device tokens.
//! Each refusal (wrong role, reused or wrong code, bad key, a key enrolled twice, a token
//! expired, replayed, signed by another key or missing) gets a clear answer and an audit event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use idp::audit::{AuditEvent, AuditFilter};
use idp::clock::Clock;
use idp::jose::{Algorithm, SigningKey};
use serde_json::{Value, json};
use support::server::{CITIZEN, TestServer};
use uuid::Uuid;

async fn token(server: &TestServer, name: &str, role: idp::admins::Role) -> String {
    let admins = &server.admin.admins;
    admins.create(name, role, None).await.unwrap();
    let (token, _) = admins
        .issue_token(name, "test", Duration::from_secs(3600))
        .await
        .unwrap();
    token.expose().to_owned()
}

async fn issue(server: &TestServer, bearer: &str, registry_number: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/digital-id/enrollment-codes",
            server.admin_base
        ))
        .bearer_auth(bearer)
        .json(&json!({"registry_number": registry_number}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn enroll(server: &TestServer, code: &str, key: &SigningKey) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/digital-id/v1/enroll"))
        .json(&json!({
            "code": code,
            "public_key": key.public_jwk().unwrap(),
            "name": "Миний утас",
            "platform": "Android 15",
        }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn device_token(server: &TestServer, key: &SigningKey, device: &str, lifetime: i64) -> String {
    let now = server.clock.now().timestamp();
    key.sign(
        idp::digital_id::DEVICE_TOKEN_TYPE,
        &json!({
            "iss": device,
            "iat": now,
            "exp": now + lifetime,
            "jti": Uuid::new_v4().to_string(),
            "aud": format!("{}/digital-id/v1", server.base),
        }),
    )
    .unwrap()
}

async fn own_device(server: &TestServer, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(server.url("/digital-id/v1/device"));
    if let Some(token) = token {
        request = request.header("authorization", format!("DeviceToken {token}"));
    }
    request.send().await.unwrap()
}

async fn events(server: &TestServer) -> Vec<AuditEvent> {
    server
        .provider
        .audit
        .query(&AuditFilter::default(), 0, 1000)
        .await
        .unwrap()
}

async fn an_officer_issues_a_code_and_the_app_enrolls_and_authenticates(server: TestServer) {
    use idp::admins::Role;
    let officer = token(&server, "officer.bat", Role::RegistrationOfficer).await;
    let auditor = token(&server, "bold", Role::Auditor).await;
    // Roles: an auditor may not; an unknown number is 404; a malformed one is 400.
    assert_eq!(issue(&server, &auditor, CITIZEN.0).await.0, 403);
    assert_eq!(issue(&server, &officer, "УБ99123199").await.0, 404);
    assert_eq!(issue(&server, &officer, "not a number").await.0, 400);
    let (status, issued) = issue(&server, &officer, CITIZEN.0).await;
    assert_eq!(status, 201, "{issued}");
    assert_eq!(issued["level"], "high");
    let code = issued["code"].as_str().unwrap().to_owned();

    // The app enrolls; the same code a second time is refused.
    let key = SigningKey::generate(Algorithm::Es256, "phone").unwrap();
    let wrong = enroll(&server, "ABCD-EFGH-JKMN", &key).await;
    assert_eq!(wrong.0, 400);
    assert_eq!(wrong.1["error"], "invalid_code");
    let (status, device) = enroll(&server, &code, &key).await;
    assert_eq!(status, 201, "{device}");
    assert_eq!(device["level"], "high");
    let device_id = device["device_id"].as_str().unwrap().to_owned();
    let other = SigningKey::generate(Algorithm::Es256, "other").unwrap();
    let reused = enroll(&server, &code, &other).await;
    assert_eq!(
        (reused.0, reused.1["error"].clone()),
        (400, json!("invalid_code"))
    );
    // The same key with a new code: already enrolled.
    let (_, again) = issue(&server, &officer, CITIZEN.0).await;
    let twice = enroll(&server, again["code"].as_str().unwrap(), &key).await;
    assert_eq!(
        (twice.0, twice.1["error"].clone()),
        (409, json!("key_enrolled"))
    );
    // A key that is not EC P-256: refused, and the code still works afterwards.
    let rsa = SigningKey::generate(Algorithm::Rs256, "rsa").unwrap();
    let bad = enroll(&server, again["code"].as_str().unwrap(), &rsa).await;
    assert_eq!((bad.0, bad.1["error"].clone()), (400, json!("invalid_key")));
    let third = SigningKey::generate(Algorithm::Es256, "tablet").unwrap();
    assert_eq!(
        enroll(&server, again["code"].as_str().unwrap(), &third)
            .await
            .0,
        201,
        "a refused key did not burn the code"
    );

    // Device tokens.
    let good = device_token(&server, &key, &device_id, 30);
    let answer = own_device(&server, Some(&good)).await;
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["device_id"], device_id.as_str());
    let replayed = own_device(&server, Some(&good)).await;
    assert_eq!(replayed.status(), 401, "a jti is used once");
    assert!(replayed.headers().contains_key("www-authenticate"));
    let forged = device_token(&server, &other, &device_id, 30);
    assert_eq!(own_device(&server, Some(&forged)).await.status(), 401);
    let long = device_token(&server, &key, &device_id, 600);
    assert_eq!(own_device(&server, Some(&long)).await.status(), 401);
    let stale = device_token(&server, &key, &device_id, 30);
    server.clock.advance(Duration::from_secs(60));
    assert_eq!(own_device(&server, Some(&stale)).await.status(), 401);
    assert_eq!(own_device(&server, None).await.status(), 401);
    assert_eq!(own_device(&server, Some("not.a.token")).await.status(), 401);

    // The trail: the officer's issue, the enrollment, the refused tokens.
    let trail = events(&server).await;
    let details: Vec<Value> = trail
        .iter()
        .map(|e| serde_json::from_str(&e.detail).unwrap())
        .collect();
    assert!(
        trail
            .iter()
            .zip(&details)
            .any(|(e, d)| e.actor == "admin:officer.bat"
                && d["action"] == "digital_id.enrollment_code"
                && e.citizen_id.is_some())
    );
    assert!(
        details
            .iter()
            .any(|d| d["method"] == "digital_id" && d["outcome"] == "enrolled")
    );
    assert!(details.iter().any(|d| d["outcome"] == "bad_code"));
    for reason in [
        "device_token_replayed",
        "device_token_signature",
        "device_token_expired",
        "device_token_lifetime_too_long",
    ] {
        assert!(
            details.iter().any(|d| d["reason"] == reason),
            "{reason} audited: {details:?}"
        );
    }
    // Anonymous garbage is refused without filling the trail.
    assert!(
        !details
            .iter()
            .any(|d| d["reason"] == "device_token_malformed"),
        "{details:?}"
    );
    // No registry number in the trail.
    assert!(trail.iter().all(|e| !e.detail.contains(CITIZEN.0)));
}

async fn devices_are_listed_and_revoked_by_the_citizen_and_by_a_security_admin(server: TestServer) {
    use idp::admins::Role;
    use support::server::{Browser, LoginPage, csrf};
    let officer = token(&server, "officer.bat", Role::RegistrationOfficer).await;
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    let mut ids = Vec::new();
    let mut keys = Vec::new();
    for name in ["phone", "tablet"] {
        let (_, issued) = issue(&server, &officer, CITIZEN.0).await;
        let key = SigningKey::generate(Algorithm::Es256, name).unwrap();
        let (status, device) = enroll(&server, issued["code"].as_str().unwrap(), &key).await;
        assert_eq!(status, 201);
        ids.push(device["device_id"].as_str().unwrap().to_owned());
        keys.push(key);
    }
    // The admin look-up lists both, at high, enrolled by an officer.
    let found: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/citizens/lookup", server.admin_base))
        .bearer_auth(&admin)
        .json(&json!({"registry_number": CITIZEN.0, "reason": "ticket 11"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let devices: Vec<&Value> = found["methods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "digital_id")
        .collect();
    assert_eq!(devices.len(), 2, "{found}");
    assert!(devices.iter().all(|d| d["level"] == "high"
        && d["source"] == "registration_officer"
        && d["removable"] == true));
    // A security admin revokes the tablet.
    let citizen = found["citizen_id"].as_str().unwrap();
    let revoked = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/citizens/{citizen}/methods/{}/remove",
            server.admin_base, ids[1]
        ))
        .bearer_auth(&admin)
        .json(&json!({"reason": "tablet stolen, ticket 11"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let tablet = device_token(&server, &keys[1], &ids[1], 30);
    assert_eq!(own_device(&server, Some(&tablet)).await.status(), 401);

    // The citizen sees the phone on the account page and revokes it there.
    let browser = Browser::new();
    let start = browser.get(&server.url("/account")).await;
    let page = LoginPage::at(&server, &browser, start.location.as_deref().unwrap()).await;
    let code = page.code_for_citizen(&server, &browser).await;
    let entered = page.post(&browser, "code", &[("code", &code)]).await;
    assert_eq!(entered.location.as_deref(), Some("/account"));
    let account = browser.get(&server.url("/account")).await;
    assert!(
        account.body.contains("Миний утас (Android 15)"),
        "{}",
        account.body
    );
    assert!(
        !account.body.contains(&ids[1]),
        "a revoked device is not listed"
    );
    let removed = browser
        .post(
            &server.url(&format!("/account/methods/device/{}/remove", ids[0])),
            &[("csrf", &csrf(&account.body))],
        )
        .await;
    assert_eq!(removed.location.as_deref(), Some("/account?done=removed"));
    let phone = device_token(&server, &keys[0], &ids[0], 30);
    assert_eq!(own_device(&server, Some(&phone)).await.status(), 401);
    assert!(
        server
            .provider
            .digital_id
            .devices(Uuid::parse_str(citizen).unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn enrollment_guesses_are_limited_per_address(server: TestServer) {
    let key = SigningKey::generate(Algorithm::Es256, "guess").unwrap();
    for _ in 0..10 {
        let (status, body) = enroll(&server, "AAAA-BBBB-CCCC", &key).await;
        assert_eq!(
            (status, body["error"].clone()),
            (400, json!("invalid_code"))
        );
    }
    let response = reqwest::Client::new()
        .post(server.url("/digital-id/v1/enroll"))
        .json(
            &json!({"code": "AAAA-BBBB-CCCC", "public_key": key.public_jwk().unwrap(),
                      "name": "x", "platform": "y"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "60");
}

on_both_backends!(
    enrollment_guesses_are_limited_per_address,
    an_officer_issues_a_code_and_the_app_enrolls_and_authenticates,
    devices_are_listed_and_revoked_by_the_citizen_and_by_a_security_admin,
);
