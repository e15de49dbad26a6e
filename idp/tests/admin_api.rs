//! The admin API over real HTTP on the admin listener, on both backends: authentication by
//! admin token, every role against what it may and may not do (403 problem details, recorded
//! in the audit trail with the actor), client registration with the secret shown once and
//! usable at once, every refusal of bad input naming its field, a 2 MB body, paging, key
//! rotation (also two at once), and the audit trail read and verified through the API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use idp::admins::Role;
use serde_json::{Value, json};
use support::server::{
    Browser, CITIZEN, TestServer, authorize_url, backchannel_endpoint, confidential_client, log_in,
    pkce, query_of, redeem,
};

/// Issues an admin token of `role` for a new account `name`.
async fn token(server: &TestServer, name: &str, role: Role) -> String {
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
    content_type: String,
    body: Value,
}

async fn call(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let http = reqwest::Client::new();
    let url = format!("{}{path}", server.admin_base);
    let mut request = http.request(method.parse().unwrap(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        content_type,
        body,
    }
}

#[track_caller]
fn assert_problem(answer: &Answer, status: u16, field: Option<&str>) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(
        answer.content_type.starts_with("application/problem+json"),
        "problem details (RFC 9457): {} {}",
        answer.content_type,
        answer.body
    );
    assert_eq!(answer.body["status"], status, "{}", answer.body);
    assert!(
        answer.body["type"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(!answer.body["detail"].as_str().unwrap().is_empty());
    if let Some(field) = field {
        assert_eq!(answer.body["field"], field, "{}", answer.body);
    }
}

fn registration(id: &str) -> Value {
    json!({
        "client_id": id,
        "name_mn": "Тэтгэмж",
        "name_en": "Benefits",
        "redirect_uris": ["https://benefits.example/callback"],
        "scopes": ["openid", "profile"],
    })
}

async fn every_role_gets_what_it_may_and_a_problem_for_the_rest(server: TestServer) {
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    let manager = token(&server, "saraa", Role::ClientManager).await;
    let auditor = token(&server, "bold", Role::Auditor).await;

    let none = call(&server, "GET", "/api/v1/clients", None, None).await;
    assert_eq!(none.status, 401);
    let forged = call(
        &server,
        "GET",
        "/api/v1/clients",
        Some("dan_admin_forged"),
        None,
    )
    .await;
    assert_problem(&forged, 401, None);
    let me = call(&server, "GET", "/api/v1/me", Some(&manager), None).await;
    assert_eq!(me.body, json!({"name": "saraa", "role": "client-manager"}));

    // The client manager registers an e-service; its secret works at once.
    let mut body = registration("payroll");
    body["grant_types"] = json!(["client_credentials"]);
    body["redirect_uris"] = json!([]);
    body["subject_type"] = json!("public");
    body["scopes"] = json!(["payroll:read"]);
    let created = call(
        &server,
        "POST",
        "/api/v1/clients",
        Some(&manager),
        Some(body),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let secret = created.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(created.body["client"]["auth_method"], "client_secret_basic");
    let issued = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("payroll", Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "payroll:read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 200, "the new client's secret works");
    let read = call(
        &server,
        "GET",
        "/api/v1/clients/payroll",
        Some(&auditor),
        None,
    )
    .await;
    assert_eq!(read.status, 200);
    assert!(
        read.body.get("client_secret").is_none(),
        "never shown again"
    );

    // What each role may not do.
    let cases = [
        (
            &auditor,
            "POST",
            "/api/v1/clients",
            Some(registration("x-auditor")),
        ),
        (&auditor, "POST", "/api/v1/clients/payroll/disable", None),
        (&auditor, "DELETE", "/api/v1/clients/payroll", None),
        (&auditor, "POST", "/api/v1/keys/ES256/rotate", None),
        (&manager, "GET", "/api/v1/keys", None),
        (&manager, "POST", "/api/v1/keys/ES256/rotate", None),
        (&manager, "GET", "/api/v1/audit/events", None),
        (&manager, "GET", "/api/v1/audit/verify", None),
    ];
    for (token, method, path, body) in cases {
        let refused = call(&server, method, path, Some(token), body).await;
        assert_problem(&refused, 403, None);
    }
    let still = call(
        &server,
        "GET",
        "/api/v1/clients/payroll",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(still.body["enabled"], true, "nothing changed");

    // The security admin may do everything; disabling stops the client at once.
    let disabled = call(
        &server,
        "POST",
        "/api/v1/clients/payroll/disable",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(disabled.body["enabled"], false);
    let keys = call(&server, "GET", "/api/v1/keys", Some(&auditor), None).await;
    assert_eq!(keys.status, 200);
    assert!(
        keys.body
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["state"] == "active")
    );

    // Every request is in the audit trail with its actor and outcome.
    let trail = call(
        &server,
        "GET",
        "/api/v1/audit/events?kind=admin.action&limit=1000",
        Some(&auditor),
        None,
    )
    .await;
    assert_eq!(trail.status, 200, "{}", trail.body);
    let events = trail.body["items"].as_array().unwrap();
    let denied: Vec<&Value> = events
        .iter()
        .filter(|e| e["detail"]["outcome"] == "403")
        .collect();
    assert_eq!(denied.len(), 8, "{events:#?}");
    assert!(
        denied
            .iter()
            .any(|e| e["actor"] == "admin:bold" && e["detail"]["action"] == "keys.rotate")
    );
    assert!(events.iter().any(|e| e["actor"] == "admin:saraa"
        && e["detail"]["action"] == "clients.create"
        && e["client_id"] == "payroll"
        && e["detail"]["outcome"] == "ok"));
    let verified = call(&server, "GET", "/api/v1/audit/verify", Some(&auditor), None).await;
    assert_eq!(verified.body["intact"], true, "{}", verified.body);
}

async fn bad_input_is_refused_naming_the_field(server: TestServer) {
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    let mut cases: Vec<(Value, &str)> = Vec::new();
    for (uri, _why) in [
        (
            "http://benefits.example/callback",
            "plain http off loopback",
        ),
        ("https://benefits.example/callback#frag", "a fragment"),
        ("https://*.benefits.example/callback", "a wildcard"),
        ("benefits.example/callback", "not absolute"),
    ] {
        let mut body = registration("benefits");
        body["redirect_uris"] = json!([uri]);
        cases.push((body, "redirect_uris"));
    }
    let mut unknown_scope = registration("benefits");
    unknown_scope["scopes"] = json!(["openid", "profil"]);
    cases.push((unknown_scope, "scopes"));
    let mut restricted = registration("benefits");
    restricted["scopes"] = json!(["openid", "national_id"]);
    cases.push((restricted, "scopes"));
    let mut method = registration("benefits");
    method["auth_method"] = json!("client_secret_jwt");
    cases.push((method, "auth_method"));
    let mut grant = registration("benefits");
    grant["grant_types"] = json!(["password"]);
    cases.push((grant, "grant_types"));
    let mut id = registration("b");
    id["client_id"] = json!("b c");
    cases.push((id, "client_id"));
    let mut names = registration("benefits");
    names["name_en"] = json!(" ");
    cases.push((names, "registration"));
    for (body, field) in cases {
        let refused = call(&server, "POST", "/api/v1/clients", Some(&admin), Some(body)).await;
        assert_problem(&refused, 400, Some(field));
    }
    let listed = call(&server, "GET", "/api/v1/clients", Some(&admin), None).await;
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"benefits"), "nothing was written: {ids:?}");

    // Malformed JSON, a missing field, a wrong type: problem details too.
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/clients", server.admin_base);
    let malformed = http
        .post(&url)
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"client_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let missing = call(
        &server,
        "POST",
        "/api/v1/clients",
        Some(&admin),
        Some(json!({"client_id": "benefits"})),
    )
    .await;
    assert_problem(&missing, 400, None);

    // A 2 MB body is refused before it is read.
    let huge = format!(
        "{{\"client_id\":\"big\",\"name_mn\":\"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let refused = http
        .post(&url)
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 413);
    assert!(
        refused
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );

    // Duplicates, unknown clients, paging.
    let first = call(
        &server,
        "POST",
        "/api/v1/clients",
        Some(&admin),
        Some(registration("benefits")),
    )
    .await;
    assert_eq!(first.status, 201);
    let again = call(
        &server,
        "POST",
        "/api/v1/clients",
        Some(&admin),
        Some(registration("benefits")),
    )
    .await;
    assert_problem(&again, 409, None);
    let unknown = call(&server, "GET", "/api/v1/clients/nobody", Some(&admin), None).await;
    assert_problem(&unknown, 404, None);
    for id in ["c-1", "c-2", "c-3"] {
        let made = call(
            &server,
            "POST",
            "/api/v1/clients",
            Some(&admin),
            Some(registration(id)),
        )
        .await;
        assert_eq!(made.status, 201);
    }
    let page = call(
        &server,
        "GET",
        "/api/v1/clients?limit=2",
        Some(&admin),
        None,
    )
    .await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = call(
        &server,
        "GET",
        &format!("/api/v1/clients?limit=2&after={cursor}"),
        Some(&admin),
        None,
    )
    .await;
    let seen: Vec<String> = [&page.body, &rest.body]
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .map(|c| c["client_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "ordered, no repeats: {seen:?}"
    );
    let too_big = call(
        &server,
        "GET",
        "/api/v1/clients?limit=5000",
        Some(&admin),
        None,
    )
    .await;
    assert_problem(&too_big, 400, None);
    let bad_kind = call(
        &server,
        "GET",
        "/api/v1/audit/events?kind=nope",
        Some(&admin),
        None,
    )
    .await;
    assert_problem(&bad_kind, 400, Some("kind"));
}

async fn concurrent_rotations_leave_one_active_key_and_the_old_ones_published(server: TestServer) {
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    let jwks_before: Value = reqwest::get(server.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rotate = || {
        call(
            &server,
            "POST",
            "/api/v1/keys/ES256/rotate",
            Some(&admin),
            None,
        )
    };
    let (one, two) = tokio::join!(rotate(), rotate());
    for answer in [&one, &two] {
        assert!(
            answer.status == 200 || answer.status == 503,
            "a rotation succeeds or fails cleanly: {} {}",
            answer.status,
            answer.body
        );
    }
    assert!(
        one.status == 200 || two.status == 200,
        "at least one rotation happened"
    );
    let keys = call(&server, "GET", "/api/v1/keys", Some(&admin), None).await;
    let es256: Vec<&Value> = keys
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["algorithm"] == "ES256")
        .collect();
    let active = es256.iter().filter(|k| k["state"] == "active").count();
    assert_eq!(active, 1, "{es256:#?}");
    // Every ES256 key published before is still published (tokens in flight verify).
    server.provider.tokens.keys().reload().await.unwrap();
    let jwks_after: Value = reqwest::get(server.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids = |jwks: &Value| -> Vec<String> {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["alg"] == "ES256")
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    let after = kids(&jwks_after);
    for kid in kids(&jwks_before) {
        assert!(after.contains(&kid), "{kid} is still published: {after:?}");
    }
}

/// Client credentials with `secret`: the status the token endpoint answers.
async fn token_status(server: &TestServer, id: &str, secret: &str) -> u16 {
    reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn machine_client(id: &str) -> Value {
    json!({
        "client_id": id, "name_mn": "Цалин", "name_en": "Payroll", "redirect_uris": [],
        "grant_types": ["client_credentials"], "subject_type": "public",
        "scopes": ["payroll:read"],
    })
}

async fn settings_change_and_secrets_rotate_with_a_grace_period(server: TestServer) {
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    let created = call(
        &server,
        "POST",
        "/api/v1/clients",
        Some(&admin),
        Some(machine_client("payroll")),
    )
    .await;
    let old = created.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(token_status(&server, "payroll", &old).await, 200);

    // A change of settings keeps the secret; a bad one changes nothing.
    let mut settings = machine_client("payroll");
    settings.as_object_mut().unwrap().remove("client_id");
    settings["name_en"] = json!("Payroll (2026)");
    let updated = call(
        &server,
        "PUT",
        "/api/v1/clients/payroll",
        Some(&admin),
        Some(settings.clone()),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["client"]["name_en"], "Payroll (2026)");
    assert!(
        updated.body["client_secret"].is_null(),
        "the secret is kept"
    );
    let mut bad = settings.clone();
    bad["scopes"] = json!(["payrol"]);
    let refused = call(
        &server,
        "PUT",
        "/api/v1/clients/payroll",
        Some(&admin),
        Some(bad),
    )
    .await;
    assert_problem(&refused, 400, Some("scopes"));
    let read = call(
        &server,
        "GET",
        "/api/v1/clients/payroll",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(read.body["scopes"], json!(["payroll:read"]));
    assert_eq!(token_status(&server, "payroll", &old).await, 200);

    // Rotation: both secrets work during the grace period, only the new one after it.
    let rotated = call(
        &server,
        "POST",
        "/api/v1/clients/payroll/secret",
        Some(&admin),
        Some(json!({"grace_seconds": 3600})),
    )
    .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new = rotated.body["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_eq!(token_status(&server, "payroll", &new).await, 200);
    assert_eq!(
        token_status(&server, "payroll", &old).await,
        200,
        "old, within grace"
    );
    server.clock.advance(Duration::from_secs(3601));
    assert_eq!(
        token_status(&server, "payroll", &old).await,
        401,
        "old, after grace"
    );
    assert_eq!(token_status(&server, "payroll", &new).await, 200);
    let too_long = call(
        &server,
        "POST",
        "/api/v1/clients/payroll/secret",
        Some(&admin),
        Some(json!({"grace_seconds": 99_999_999})),
    )
    .await;
    assert_problem(&too_long, 400, None);
}

async fn two_rotations_at_once_never_lose_a_secret(server: TestServer) {
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    call(
        &server,
        "POST",
        "/api/v1/clients",
        Some(&admin),
        Some(machine_client("payroll")),
    )
    .await;
    let rotate = || {
        call(
            &server,
            "POST",
            "/api/v1/clients/payroll/secret",
            Some(&admin),
            Some(json!({"grace_seconds": 600})),
        )
    };
    let (one, two) = tokio::join!(rotate(), rotate());
    let mut handed_out = Vec::new();
    for answer in [&one, &two] {
        match answer.status {
            200 => handed_out.push(answer.body["client_secret"].as_str().unwrap().to_owned()),
            409 => assert_problem(answer, 409, None),
            other => panic!(
                "a rotation succeeds or conflicts, not {other}: {}",
                answer.body
            ),
        }
    }
    assert!(!handed_out.is_empty());
    for secret in handed_out {
        assert_eq!(
            token_status(&server, "payroll", &secret).await,
            200,
            "every secret handed out works (current, or previous within grace)"
        );
    }
}

async fn the_restricted_scope_is_granted_with_a_reason_by_a_security_admin_only(
    server: TestServer,
) {
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    let manager = token(&server, "saraa", Role::ClientManager).await;
    let catalogue = call(&server, "GET", "/api/v1/scopes", Some(&manager), None).await;
    let restricted: Vec<&str> = catalogue
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["restricted"] == true)
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(restricted, ["national_id"]);
    call(
        &server,
        "POST",
        "/api/v1/clients",
        Some(&admin),
        Some(registration("land")),
    )
    .await;
    let grant = "/api/v1/clients/land/restricted-scopes/national_id/grant";
    let reason = json!({"reason": "land registration needs the registry number (law 2024/17)"});
    let refused = call(&server, "POST", grant, Some(&manager), Some(reason.clone())).await;
    assert_problem(&refused, 403, None);
    let no_reason = call(
        &server,
        "POST",
        grant,
        Some(&admin),
        Some(json!({"reason": ""})),
    )
    .await;
    assert_problem(&no_reason, 400, None);
    let not_restricted = call(
        &server,
        "POST",
        "/api/v1/clients/land/restricted-scopes/profile/grant",
        Some(&admin),
        Some(reason.clone()),
    )
    .await;
    assert_problem(&not_restricted, 400, Some("scope"));
    let granted = call(&server, "POST", grant, Some(&admin), Some(reason.clone())).await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    assert!(
        granted.body["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("national_id"))
    );
    let twice = call(&server, "POST", grant, Some(&admin), Some(reason.clone())).await;
    assert_problem(&twice, 409, None);
    // A settings change may keep it, but not add it to another client.
    let withdrawn = call(
        &server,
        "POST",
        "/api/v1/clients/land/restricted-scopes/national_id/withdraw",
        Some(&admin),
        Some(json!({"reason": "the law changed"})),
    )
    .await;
    assert!(
        !withdrawn.body["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("national_id"))
    );
    let trail = call(
        &server,
        "GET",
        "/api/v1/audit/events?client_id=land&kind=admin.action",
        Some(&admin),
        None,
    )
    .await;
    let reasons: Vec<&str> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["detail"]["reason"].as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "land registration needs the registry number (law 2024/17)",
            "the law changed"
        ]
    );
}

async fn the_audit_trail_exports_as_ndjson_that_chains(server: TestServer) {
    let auditor = token(&server, "bold", Role::Auditor).await;
    for _ in 0..5 {
        call(&server, "GET", "/api/v1/clients", Some(&auditor), None).await;
    }
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/audit/export", server.admin_base))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/x-ndjson")
    );
    let text = response.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 5, "{text}");
    for pair in lines.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"], "the export chains");
        assert_eq!(
            pair[1]["seq"].as_i64().unwrap(),
            pair[0]["seq"].as_i64().unwrap() + 1
        );
    }
    let filtered = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/audit/export?kind=nope",
            server.admin_base
        ))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.status(), 400);
}

async fn a_locked_citizen_loses_every_session_and_cannot_log_in_until_unlocked(server: TestServer) {
    const RP: &str = "https://rp.example/cb";
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    let auditor = token(&server, "bold", Role::Auditor).await;
    let (client, secret) = confidential_client("rp-lock", RP);
    server.register(&client).await;
    let browser = Browser::new();
    let (verifier, challenge) = pkce();
    let authorize = authorize_url(&server, "rp-lock", RP, &challenge, &[]);
    let location = log_in(&server, &browser, &authorize).await;
    let tokens = redeem(
        &server,
        ("rp-lock", secret.expose()),
        RP,
        &query_of(&location)["code"],
        &verifier,
    )
    .await;
    assert_eq!(tokens.0, 200);

    // Look-up: by security admins only, with a reason, the number kept out of the trail.
    let (number, _) = CITIZEN;
    let lookup = json!({"registry_number": number, "reason": "fraud report 2026-118"});
    let refused = call(
        &server,
        "POST",
        "/api/v1/citizens/lookup",
        Some(&auditor),
        Some(lookup.clone()),
    )
    .await;
    assert_problem(&refused, 403, None);
    let bad = call(
        &server,
        "POST",
        "/api/v1/citizens/lookup",
        Some(&admin),
        Some(json!({"registry_number": "UB90010112", "reason": "typo check"})),
    )
    .await;
    assert_problem(&bad, 400, Some("registry_number"));
    let blank = call(
        &server,
        "POST",
        "/api/v1/citizens/lookup",
        Some(&admin),
        Some(json!({"registry_number": number, "reason": "     "})),
    )
    .await;
    assert_problem(&blank, 400, Some("reason"));
    let found = call(
        &server,
        "POST",
        "/api/v1/citizens/lookup",
        Some(&admin),
        Some(lookup),
    )
    .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["status"], "active");
    assert!(
        found.body["phone"].as_str().unwrap().contains('•'),
        "the phone is masked"
    );
    let id = found.body["citizen_id"].as_str().unwrap().to_owned();

    // Lock: the SSO session and the refresh token end; a new login is refused.
    let reason = json!({"reason": "account takeover suspected"});
    let locked = call(
        &server,
        "POST",
        &format!("/api/v1/citizens/{id}/lock"),
        Some(&admin),
        Some(reason.clone()),
    )
    .await;
    assert_eq!(locked.body["status"], "locked", "{}", locked.body);
    let again = call(
        &server,
        "POST",
        &format!("/api/v1/citizens/{id}/lock"),
        Some(&admin),
        Some(reason),
    )
    .await;
    assert_problem(&again, 409, None);
    let (_, challenge) = pkce();
    let start = browser
        .get(&authorize_url(&server, "rp-lock", RP, &challenge, &[]))
        .await;
    assert!(
        start.location.as_deref().unwrap().starts_with("/login/"),
        "no single sign-on for a locked citizen: {:?}",
        start.location
    );
    let refreshed = support::server::post_basic(
        &server,
        "/token",
        ("rp-lock", secret.expose()),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens.1["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(refreshed.0, 400, "{}", refreshed.1);

    // Unlocked: the citizen logs in again.
    let unlocked = call(
        &server,
        "POST",
        &format!("/api/v1/citizens/{id}/unlock"),
        Some(&admin),
        Some(json!({"reason": "identity confirmed at the service centre"})),
    )
    .await;
    assert_eq!(unlocked.body["status"], "active");
    server.clock.advance(Duration::from_millis(5));
    let fresh = Browser::new();
    let (verifier, challenge) = pkce();
    let location = log_in(
        &server,
        &fresh,
        &authorize_url(&server, "rp-lock", RP, &challenge, &[]),
    )
    .await;
    let redeemed = redeem(
        &server,
        ("rp-lock", secret.expose()),
        RP,
        &query_of(&location)["code"],
        &verifier,
    )
    .await;
    assert_eq!(redeemed.0, 200);

    let trail = call(
        &server,
        "GET",
        &format!("/api/v1/audit/events?citizen_id={id}&kind=admin.action"),
        Some(&auditor),
        None,
    )
    .await;
    let actions: Vec<&str> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["citizen.lookup", "citizen.lock", "citizen.unlock"]
    );
    assert!(
        !trail.body.to_string().contains(number),
        "no registry number in the trail"
    );
}

async fn ending_a_citizens_sessions_ends_single_sign_on_everywhere(server: TestServer) {
    const RP: &str = "https://rp.example/cb";
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    let (endpoint, mut received) = backchannel_endpoint().await;
    let (mut client, _) = confidential_client("rp-end", RP);
    client.backchannel_logout_uri = Some(endpoint);
    server.register(&client).await;
    let browser = Browser::new();
    let (_, challenge) = pkce();
    let authorize = authorize_url(&server, "rp-end", RP, &challenge, &[]);
    log_in(&server, &browser, &authorize).await;
    let sso = browser.get(&authorize).await;
    assert!(
        sso.location.as_deref().unwrap().starts_with(RP),
        "single sign-on before: {:?}",
        sso.location
    );
    let lookup = json!({"registry_number": CITIZEN.0, "reason": "lost phone reported"});
    let found = call(
        &server,
        "POST",
        "/api/v1/citizens/lookup",
        Some(&admin),
        Some(lookup),
    )
    .await;
    let id = found.body["citizen_id"].as_str().unwrap().to_owned();
    let methods = &found.body["methods"];
    assert_eq!(methods.as_array().unwrap().len(), 1, "{}", found.body);
    assert_eq!(methods[0]["kind"], "sms");
    assert_eq!(methods[0]["level"], "low");
    assert_eq!(methods[0]["source"], "civil_registry");
    assert_eq!(methods[0]["removable"], false);
    let label = methods[0]["label"].as_str().unwrap();
    assert!(
        label.contains('•') && !label.contains(&CITIZEN.1[4..]),
        "masked: {label}"
    );
    let ended = call(
        &server,
        "POST",
        &format!("/api/v1/citizens/{id}/sessions/end"),
        Some(&admin),
        Some(json!({"reason": "lost phone reported"})),
    )
    .await;
    assert_eq!(ended.status, 204, "{}", ended.body);
    // The e-service hears of it (Back-Channel Logout): every session of this subject.
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
    server.provider.tokens.keys().verify(&parsed).unwrap();
    let claims: Value = parsed.claims().unwrap();
    assert_eq!(claims["aud"], "rp-end");
    let citizen = uuid::Uuid::parse_str(&id).unwrap();
    assert_eq!(
        claims["sub"],
        server.provider.tokens.subject(&client, citizen),
        "the subject this e-service knows"
    );
    assert!(
        claims.get("sid").is_none(),
        "all sessions, not one: {claims}"
    );
    let after = browser.get(&authorize).await;
    assert!(
        after.location.as_deref().unwrap().starts_with("/login/"),
        "the citizen must authenticate again: {:?}",
        after.location
    );
    let still = call(
        &server,
        "POST",
        "/api/v1/citizens/lookup",
        Some(&admin),
        Some(json!({"registry_number": CITIZEN.0, "reason": "check status"})),
    )
    .await;
    assert_eq!(
        still.body["status"], "active",
        "ending sessions does not lock"
    );
}

async fn a_client_holding_the_national_id_is_changed_by_security_admins_only(server: TestServer) {
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    let manager = token(&server, "saraa", Role::ClientManager).await;
    call(
        &server,
        "POST",
        "/api/v1/clients",
        Some(&admin),
        Some(registration("land")),
    )
    .await;
    call(
        &server,
        "POST",
        "/api/v1/clients/land/restricted-scopes/national_id/grant",
        Some(&admin),
        Some(json!({"reason": "land registration law"})),
    )
    .await;
    let mut hijack = registration("land");
    hijack.as_object_mut().unwrap().remove("client_id");
    hijack["redirect_uris"] = json!(["https://attacker.example/cb"]);
    hijack["scopes"] = json!(["openid", "national_id"]);
    hijack["skip_consent"] = json!(true);
    let refused = [
        call(
            &server,
            "PUT",
            "/api/v1/clients/land",
            Some(&manager),
            Some(hijack.clone()),
        )
        .await,
        call(
            &server,
            "POST",
            "/api/v1/clients/land/secret",
            Some(&manager),
            Some(json!({"grace_seconds": 0})),
        )
        .await,
        call(
            &server,
            "DELETE",
            "/api/v1/clients/land",
            Some(&manager),
            None,
        )
        .await,
    ];
    for answer in &refused {
        assert_problem(answer, 403, None);
    }
    let unchanged = call(&server, "GET", "/api/v1/clients/land", Some(&manager), None).await;
    assert_eq!(
        unchanged.body["redirect_uris"],
        json!(["https://benefits.example/callback"])
    );
    // Disabling only takes power away: a client manager may.
    let disabled = call(
        &server,
        "POST",
        "/api/v1/clients/land/disable",
        Some(&manager),
        None,
    )
    .await;
    assert_eq!(disabled.body["enabled"], false);
    let reenable = call(
        &server,
        "POST",
        "/api/v1/clients/land/enable",
        Some(&manager),
        None,
    )
    .await;
    assert_problem(&reenable, 403, None);
    let by_admin = call(
        &server,
        "PUT",
        "/api/v1/clients/land",
        Some(&admin),
        Some(hijack),
    )
    .await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.body);
    assert_eq!(
        by_admin.body["client"]["enabled"], false,
        "a settings change never re-enables"
    );
    // Leaving the restricted scope out of a change keeps it: it is withdrawn only with a
    // reason, by its own operation.
    let mut without = registration("land");
    without.as_object_mut().unwrap().remove("client_id");
    without["scopes"] = json!(["openid", "profile"]);
    let kept = call(
        &server,
        "PUT",
        "/api/v1/clients/land",
        Some(&admin),
        Some(without),
    )
    .await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert_eq!(
        kept.body["client"]["scopes"],
        json!(["openid", "profile", "national_id"])
    );
}

async fn the_dashboard_counts_logins_failures_sessions_and_clients(server: TestServer) {
    const RP: &str = "https://rp.example/cb";
    let auditor = token(&server, "bold", Role::Auditor).await;
    let manager = token(&server, "saraa", Role::ClientManager).await;
    let (client, _) = confidential_client("rp-stats", RP);
    server.register(&client).await;
    let browser = Browser::new();
    let (_, challenge) = pkce();
    let page = support::server::LoginPage::open(
        &server,
        &browser,
        &authorize_url(&server, "rp-stats", RP, &challenge, &[]),
    )
    .await;
    let code = page.code_for_citizen(&server, &browser).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    page.post(&browser, "code", &[("code", wrong)]).await;
    let entered = page.post(&browser, "code", &[("code", &code)]).await;
    assert_eq!(entered.status, 303);

    let refused = call(&server, "GET", "/api/v1/statistics", Some(&manager), None).await;
    assert_problem(&refused, 403, None);
    let figures = call(&server, "GET", "/api/v1/statistics", Some(&auditor), None).await;
    assert_eq!(figures.status, 200, "{}", figures.body);
    let hours = figures.body["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    let now = hours.last().unwrap();
    let count = |list: &Value, name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["count"].as_u64().unwrap())
    };
    assert_eq!(count(&now["logins_by_method"], "sms"), Some(1), "{now}");
    assert_eq!(count(&now["logins_by_level"], "low"), Some(1));
    assert_eq!(count(&now["failures_by_reason"], "wrong_code"), Some(1));
    let earlier: u64 = hours[..23]
        .iter()
        .map(|h| count(&h["logins_by_method"], "sms").unwrap())
        .sum();
    assert_eq!(earlier, 0, "only this hour has logins");
    assert_eq!(figures.body["recent_sessions"], 1);
    assert_eq!(
        figures.body["top_clients"],
        json!([{"name": "rp-stats", "count": 1}])
    );
}

async fn a_compromised_key_is_rotated_then_withdrawn_and_its_tokens_stop_working(
    server: TestServer,
) {
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    let auditor = token(&server, "bold", Role::Auditor).await;
    let mut body = registration("payroll");
    body["grant_types"] = json!(["client_credentials"]);
    body["redirect_uris"] = json!([]);
    body["subject_type"] = json!("public");
    body["scopes"] = json!(["payroll:read"]);
    let created = call(&server, "POST", "/api/v1/clients", Some(&admin), Some(body)).await;
    let secret = created.body["client_secret"].as_str().unwrap().to_owned();
    let issued: Value = reqwest::Client::new()
        .post(server.url("/token"))
        .basic_auth("payroll", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = issued["access_token"].as_str().unwrap().to_owned();
    let introspect = || async {
        let answer: Value = reqwest::Client::new()
            .post(server.url("/introspect"))
            .basic_auth("payroll", Some(&secret))
            .form(&[("token", access.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["active"] == true
    };
    assert!(introspect().await);
    let active = |keys: &Value| -> String {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["algorithm"] == "ES256" && k["state"] == "active")
            .unwrap()["kid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let before = call(&server, "GET", "/api/v1/keys", Some(&admin), None).await;
    let compromised = active(&before.body);
    let reason = json!({"reason": "key material exposed in incident 2026-11"});
    let path = format!("/api/v1/keys/{compromised}/withdraw");
    let refused = call(&server, "POST", &path, Some(&admin), Some(reason.clone())).await;
    assert_problem(&refused, 409, None);
    let by_auditor = call(&server, "POST", &path, Some(&auditor), Some(reason.clone())).await;
    assert_problem(&by_auditor, 403, None);
    call(
        &server,
        "POST",
        "/api/v1/keys/ES256/rotate",
        Some(&admin),
        None,
    )
    .await;
    assert!(
        introspect().await,
        "a rotated-out key still verifies its tokens"
    );
    let withdrawn = call(&server, "POST", &path, Some(&admin), Some(reason)).await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    assert!(
        !withdrawn.body.to_string().contains(&compromised),
        "gone from the list"
    );
    let jwks: Value = reqwest::get(server.url("/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !jwks.to_string().contains(&compromised),
        "gone from the JWKS"
    );
    assert!(!introspect().await, "its tokens no longer verify");
}

async fn a_citizens_authenticator_app_is_listed_and_removed_with_a_reason(server: TestServer) {
    use idp::clock::Clock;
    let admin = token(&server, "dorj", Role::SecurityAdmin).await;
    let auditor = token(&server, "bold", Role::Auditor).await;
    let citizen = server
        .admin
        .citizens
        .find_by_registry_number(&idp::citizens::RegistryNumber::parse(CITIZEN.0).unwrap())
        .await
        .unwrap()
        .unwrap();
    let apps = &server.provider.authenticators;
    let phone = apps.enroll_totp(citizen.id.0, "Phone").await.unwrap();
    let now = u64::try_from(server.clock.now().timestamp()).unwrap();
    apps.confirm_totp(citizen.id.0, &phone.id, &phone.secret.code_at(now))
        .await
        .unwrap();
    apps.enroll_totp(citizen.id.0, "never confirmed")
        .await
        .unwrap();
    let lookup = json!({"registry_number": CITIZEN.0, "reason": "ticket 7"});
    let found = call(
        &server,
        "POST",
        "/api/v1/citizens/lookup",
        Some(&admin),
        Some(lookup),
    )
    .await;
    let methods = found.body["methods"].as_array().unwrap().clone();
    assert_eq!(
        methods.len(),
        2,
        "the phone and the confirmed app: {}",
        found.body
    );
    assert_eq!(methods[1]["kind"], "totp");
    assert_eq!(methods[1]["label"], "Phone");
    assert_eq!(methods[1]["source"], "citizen");
    assert_eq!(methods[1]["removable"], true);
    assert_eq!(methods[1]["id"], phone.id.as_str());
    assert!(
        methods[0].get("id").is_none(),
        "the registry's phone has no id"
    );
    let id = citizen.id.0;
    let path = format!("/api/v1/citizens/{id}/methods/{}/remove", phone.id);
    let reason = json!({"reason": "phone stolen, ticket 7"});
    let refused = call(&server, "POST", &path, Some(&auditor), Some(reason.clone())).await;
    assert_problem(&refused, 403, None);
    let short = call(
        &server,
        "POST",
        &path,
        Some(&admin),
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_problem(&short, 400, Some("reason"));
    let unknown = call(
        &server,
        "POST",
        &format!("/api/v1/citizens/{id}/methods/nope/remove"),
        Some(&admin),
        Some(reason.clone()),
    )
    .await;
    assert_problem(&unknown, 404, None);
    assert_eq!(apps.list(id).await.unwrap().len(), 2, "nothing removed yet");
    let removed = call(&server, "POST", &path, Some(&admin), Some(reason)).await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(removed.body["methods"].as_array().unwrap().len(), 1);
    let later = phone.secret.code_at(now + 60);
    server.clock.advance(Duration::from_secs(60));
    assert!(
        apps.verify_totp(id, &later).await.is_err(),
        "it no longer logs in"
    );
    let events = server
        .provider
        .audit
        .query(&idp::audit::AuditFilter::default(), 0, 1000)
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.detail.contains("citizen.remove_method")
                && e.detail.contains("phone stolen, ticket 7")),
        "the removal and its reason are in the audit trail"
    );
}

on_both_backends!(
    a_citizens_authenticator_app_is_listed_and_removed_with_a_reason,
    a_compromised_key_is_rotated_then_withdrawn_and_its_tokens_stop_working,
    the_dashboard_counts_logins_failures_sessions_and_clients,
    ending_a_citizens_sessions_ends_single_sign_on_everywhere,
    a_client_holding_the_national_id_is_changed_by_security_admins_only,
    a_locked_citizen_loses_every_session_and_cannot_log_in_until_unlocked,
    the_restricted_scope_is_granted_with_a_reason_by_a_security_admin_only,
    the_audit_trail_exports_as_ndjson_that_chains,
    settings_change_and_secrets_rotate_with_a_grace_period,
    two_rotations_at_once_never_lose_a_secret,
    every_role_gets_what_it_may_and_a_problem_for_the_rest,
    bad_input_is_refused_naming_the_field,
    concurrent_rotations_leave_one_active_key_and_the_old_ones_published,
);
