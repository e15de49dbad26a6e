//! The public listener's registration API (RFC 7591/7592) against its committed OpenAPI
//! document, `openapi/idp.json`, schema-driven with Schemathesis (from PyPI) against the real
//! binary: no 5xx, every status, content type, header and body the documented one, invalid
//! input refused. As for the admin API, `positive_data_acceptance` is left out: redirect URI
//! rules and the scope catalogue cannot be said in JSON Schema, so schema-valid metadata may
//! rightly be refused with 400.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dan_e2e::dan::{Backend, Deployment};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_client_registration_keeps_to_openapi_idp_json_under_schemathesis() {
    let Some(st) = dan_e2e::schemathesis::command() else {
        return;
    };
    let deployment = Deployment::new(Backend::Embedded).await.unwrap();
    let dan = deployment.start_node(&[]).await;
    let created = deployment
        .cli(&[
            "admin",
            "create",
            "--name",
            "agency-desk",
            "--role",
            "client-manager",
            "--json",
        ])
        .await;
    assert!(created.status.success());
    let printed: Value = serde_json::from_slice(&created.stdout).unwrap();
    let admin_token = printed["token"].as_str().unwrap();
    // An initial access token that many generated registrations may use.
    let issued: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/initial-access-tokens", dan.admin_url))
        .bearer_auth(admin_token)
        .json(&json!({"label": "schemathesis", "max_registrations": 1000}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issued["token"].as_str().expect("an initial access token");
    let document = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/idp.json");
    let report = dan_e2e::schemathesis::run(&st, document, &dan.url, token, &dan).await;
    assert!(
        report.contains("Tested: 4"),
        "all 4 operations were tested:\n{report}"
    );
}
