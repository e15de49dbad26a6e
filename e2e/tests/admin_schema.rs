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

use std::time::Duration;

use dan_e2e::dan::{Backend, Deployment};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_keeps_to_its_openapi_document_under_schemathesis() {
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
            "fuzz",
            "--role",
            "security-admin",
            "--json",
        ])
        .await;
    assert!(created.status.success());
    let printed: Value = serde_json::from_slice(&created.stdout).unwrap();
    let token = printed["token"].as_str().unwrap();
    let run = tokio::process::Command::new(&st)
        .args([
            "run",
            &format!("{}/openapi.json", dan.admin_url),
            "--url",
            &format!("{}/api/v1", dan.admin_url),
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
