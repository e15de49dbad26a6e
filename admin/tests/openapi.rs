//! The committed OpenAPI document (`openapi/admin.json`) is the one the code generates: a
//! change to the API that is not committed with its document fails here.
//!
//! Regenerate with `DAN_UPDATE_OPENAPI=1 cargo test -p dan-admin --test openapi`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/admin.json")
}

#[test]
fn the_committed_openapi_document_is_what_the_code_generates() {
    let generated = dan_admin::openapi_json() + "\n";
    let path = committed_path();
    if std::env::var("DAN_UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: DAN_UPDATE_OPENAPI=1 cargo test -p dan-admin --test openapi",
            path.display()
        )
    });
    assert!(
        committed == generated,
        "openapi/admin.json is stale: regenerate it with \
         DAN_UPDATE_OPENAPI=1 cargo test -p dan-admin --test openapi, and commit it"
    );
}

#[test]
fn the_document_describes_every_operation_with_its_security_and_problems() {
    let document: serde_json::Value = serde_json::from_str(&dan_admin::openapi_json()).unwrap();
    assert_eq!(document["openapi"], "3.0.0");
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/me",
        "/clients",
        "/clients/{client_id}",
        "/clients/{client_id}/disable",
        "/keys",
        "/keys/{algorithm}/rotate",
        "/audit/events",
        "/audit/verify",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    let create = &document["paths"]["/clients"]["post"];
    assert!(create["security"].as_array().is_some_and(|s| !s.is_empty()));
    for status in ["201", "400", "401", "403", "409"] {
        assert!(
            create["responses"].get(status).is_some(),
            "POST /clients documents {status}"
        );
    }
    assert!(
        create["responses"]["400"]["content"]
            .get("application/problem+json")
            .is_some()
    );
}
