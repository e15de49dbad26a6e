//! The committed OpenAPI document of the public listener's JSON API (`openapi/idp.json`,
//! dynamic client registration) is the one the code generates: a change to those endpoints
//! that is not committed with its document fails here.
//!
//! Regenerate with `DAN_UPDATE_OPENAPI=1 cargo test -p idp --test openapi`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/idp.json")
}

#[test]
fn the_committed_openapi_document_is_what_the_code_generates() {
    let generated = idp::http::openapi_json() + "\n";
    let path = committed_path();
    if std::env::var("DAN_UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: DAN_UPDATE_OPENAPI=1 cargo test -p idp --test openapi",
            path.display()
        )
    });
    assert!(
        committed == generated,
        "openapi/idp.json is stale: regenerate it with \
         DAN_UPDATE_OPENAPI=1 cargo test -p idp --test openapi, and commit it"
    );
}

#[test]
fn the_document_describes_registration_with_its_token_and_errors() {
    let document: serde_json::Value = serde_json::from_str(&idp::http::openapi_json()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(
        paths.keys().collect::<Vec<_>>(),
        ["/register", "/register/{client_id}"]
    );
    let register = &paths["/register"]["post"];
    assert_eq!(
        register["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ClientMetadata"
    );
    for status in ["201", "400", "401", "403", "409", "503"] {
        assert!(register["responses"][status].is_object(), "{status}");
    }
    assert!(
        register["responses"]["401"]["headers"]["WWW-AUTHENTICATE"].is_object(),
        "RFC 6750 3"
    );
    let metadata = &document["components"]["schemas"]["ClientMetadata"]["properties"];
    for member in [
        "redirect_uris",
        "client_name#mn",
        "client_name#en",
        "scope",
        "jwks",
    ] {
        assert!(metadata[member].is_object(), "{member}");
    }
    let operations = [
        register,
        &paths["/register/{client_id}"]["get"],
        &paths["/register/{client_id}"]["put"],
        &paths["/register/{client_id}"]["delete"],
    ];
    for operation in operations {
        let schemes = operation["security"].to_string();
        assert!(
            schemes.contains("RegistrationToken"),
            "a token is asked: {schemes}"
        );
    }
    assert_eq!(
        document["components"]["securitySchemes"]["RegistrationToken"]["scheme"],
        "bearer"
    );
}
