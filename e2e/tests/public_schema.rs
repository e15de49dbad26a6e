//! The public listener's registration API (RFC 7591/7592) against its committed OpenAPI
//! document, `openapi/idp.json`, schema-driven with Schemathesis (from PyPI) against the real
//! binary: no 5xx, every status, content type, header and body the documented one, invalid
//! input refused. As for the admin API, `positive_data_acceptance` is left out: redirect URI
//! rules and the scope catalogue cannot be said in JSON Schema, so schema-valid metadata may
//! rightly be refused with 400.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use dan_e2e::dan::{Backend, Deployment};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_client_registration_keeps_to_openapi_idp_json_under_schemathesis() {
    let Ok(st) = std::env::var("DAN_SCHEMATHESIS") else {
        assert!(
            !dan_e2e::servers_required(),
            "DAN_SCHEMATHESIS is not set: run ./scripts/test, which installs Schemathesis"
        );
        eprintln!("skipped: DAN_SCHEMATHESIS is not set (./scripts/test sets it)");
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
    let run = tokio::process::Command::new(&st)
        .args([
            "run",
            document,
            "--url",
            &dan.url,
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            "25",
            "--seed",
            "20261125",
            "--no-color",
        ])
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("Schemathesis finishes within 10 minutes")
        .expect("run Schemathesis");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "Schemathesis found failures:\n{report}\n{}\n--- idp\n{}",
        String::from_utf8_lossy(&output.stderr),
        dan.log()
    );
    assert!(
        report.contains("Tested: 4"),
        "all 4 operations were tested:\n{report}"
    );
}
