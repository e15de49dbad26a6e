//! Schemathesis (from PyPI; the README's test command installs it and sets
//! `DAN_SCHEMATHESIS` to its `st` command) run against the real binary: every check but
//! `positive_data_acceptance`, a fixed seed, 25 examples per operation.

use std::time::Duration;

use crate::dan::Idp;

/// The `st` command, or `None` (the test is skipped) when it is not installed outside CI.
pub fn command() -> Option<String> {
    match std::env::var("DAN_SCHEMATHESIS") {
        Ok(st) => Some(st),
        Err(_) => {
            assert!(
                !crate::servers_required(),
                "DAN_SCHEMATHESIS is not set: run ./scripts/test, which installs Schemathesis"
            );
            eprintln!("skipped: DAN_SCHEMATHESIS is not set (./scripts/test sets it)");
            None
        }
    }
}

/// Runs `st` on `document` (a URL or a file) against `base` with a Bearer `token`; fails the
/// test, with the report and the node's log, when Schemathesis finds anything. Returns the
/// report.
pub async fn run(st: &str, document: &str, base: &str, token: &str, dan: &Idp) -> String {
    let run = tokio::process::Command::new(st)
        .args([
            "run",
            document,
            "--url",
            base,
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
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "Schemathesis found failures:\n{report}\n{}\n--- idp\n{}",
        String::from_utf8_lossy(&output.stderr),
        dan.log()
    );
    report
}
