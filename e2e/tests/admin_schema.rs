//! The admin API against its own OpenAPI document, schema-driven: Schemathesis (from PyPI)
//! generates requests from `/openapi.json` — valid ones, invalid ones, unknown methods, and
//! stateful sequences — against the real binary, and checks that nothing answers 5xx, that
//! every status, content type, header and body is the documented one, and that invalid input
//! is refused.
//!
//! The README's test command installs Schemathesis and sets `DAN_SCHEMATHESIS` to its `st`
//! command. The one check left out is `positive_data_acceptance`: some rules cannot be said
//! in JSON Schema (a registry number's birth date, redirect URI rules, a scope's existence),
//! so schema-valid data may rightly be refused with 400.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dan_e2e::dan::{Backend, Deployment};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_keeps_to_its_openapi_document_under_schemathesis() {
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
            "fuzz",
            "--role",
            "security-admin",
            "--json",
        ])
        .await;
    assert!(created.status.success());
    let printed: Value = serde_json::from_slice(&created.stdout).unwrap();
    let token = printed["token"].as_str().unwrap();
    let report = dan_e2e::schemathesis::run(
        &st,
        &format!("{}/openapi.json", dan.admin_url),
        &format!("{}/api/v1", dan.admin_url),
        token,
        &dan,
    )
    .await;
    let document: Value = reqwest::get(format!("{}/openapi.json", dan.admin_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|methods| methods.as_object().unwrap().len())
        .sum();
    assert!(
        report.contains(&format!("Tested: {operations}")),
        "all {operations} operations were tested:\n{report}"
    );
}
