//! The SDK's admin client against the committed OpenAPI document (`openapi/admin.json`):
//! every documented operation has a method and every method a documented operation, and each
//! SDK type has exactly the properties of its schema, so the client cannot drift from the API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use dan_sdk::admin::{
    AuditEventView, AuditPage, ChainReportView, CitizenView, ClientInput, ClientPage,
    ClientSettings, ClientView, Count, CreatedClient, EnrollmentCode, HourView, InitialTokenInput,
    InitialTokenView, IssuedInitialToken, KeyView, Me, MethodView, OPERATIONS, Problem,
    RotatedSecret, ScopeView, StatisticsView,
};
use serde::Serialize;
use serde_json::{Value, json};

fn document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/admin.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_documented_operation_has_a_method_and_no_other() {
    let document = document();
    let mut documented = BTreeSet::new();
    for (path, methods) in document["paths"].as_object().unwrap() {
        for method in methods.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let covered: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(covered, documented);
}

/// The property names of schema `name`, following `allOf` (flattened objects).
fn properties(document: &Value, name: &str) -> BTreeSet<String> {
    let schema = &document["components"]["schemas"][name];
    assert!(!schema.is_null(), "schema {name} exists");
    let mut names = BTreeSet::new();
    if let Some(props) = schema["properties"].as_object() {
        names.extend(props.keys().cloned());
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        if let Some(reference) = part["$ref"].as_str() {
            let inner = reference.rsplit('/').next().unwrap();
            names.extend(properties(document, inner));
        }
        if let Some(props) = part["properties"].as_object() {
            names.extend(props.keys().cloned());
        }
    }
    names
}

fn keys<T: Serialize>(value: &T) -> BTreeSet<String> {
    serde_json::to_value(value)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn each_type_has_exactly_the_properties_of_its_schema() {
    let document = document();
    let settings = ClientSettings::web("Нэр", "Name", &["https://a.example/cb"]);
    let view: ClientView = serde_json::from_value(json!({
        "client_id": "a", "name_mn": "Нэр", "name_en": "Name", "redirect_uris": [],
        "post_logout_redirect_uris": [], "scopes": [], "grant_types": [], "auth_method": "none",
        "subject_type": "public", "sector_identifier": null, "jwks_uri": null, "jwks": null,
        "audiences": [], "backchannel_logout_uri": null, "require_par": false,
        "skip_consent": false, "enabled": true,
    }))
    .unwrap();
    let event = AuditEventView {
        seq: 1,
        at: String::new(),
        kind: String::new(),
        actor: String::new(),
        citizen_id: None,
        client_id: None,
        detail: json!({}),
        prev_hash: String::new(),
        hash: String::new(),
    };
    let cases: Vec<(&str, BTreeSet<String>)> = vec![
        ("ClientView", keys(&view)),
        ("ClientSettings", keys(&settings)),
        (
            "ClientInput",
            keys(&ClientInput {
                client_id: "a".into(),
                settings: settings.clone(),
            }),
        ),
        (
            "CreatedClient",
            keys(&CreatedClient {
                client: view.clone(),
                client_secret: None,
            }),
        ),
        (
            "ClientPage",
            keys(&ClientPage {
                items: vec![],
                next_cursor: None,
            }),
        ),
        (
            "RotatedSecret",
            keys(&RotatedSecret {
                client_secret: String::new(),
                previous_valid_until: String::new(),
            }),
        ),
        (
            "ScopeView",
            keys(&ScopeView {
                name: String::new(),
                claims: vec![],
                restricted: false,
                description: String::new(),
            }),
        ),
        (
            "KeyView",
            keys(&KeyView {
                kid: String::new(),
                algorithm: String::new(),
                state: String::new(),
                created_at: String::new(),
            }),
        ),
        ("AuditEventView", keys(&event)),
        (
            "Count",
            keys(&Count {
                name: String::new(),
                count: 0,
            }),
        ),
        (
            "HourView",
            keys(&HourView {
                hour: String::new(),
                logins_by_method: vec![],
                logins_by_level: vec![],
                failures_by_reason: vec![],
            }),
        ),
        (
            "StatisticsView",
            keys(&StatisticsView {
                hours: vec![],
                recent_sessions: 0,
                top_clients: vec![],
            }),
        ),
        (
            "CitizenView",
            keys(&CitizenView {
                citizen_id: String::new(),
                registry_number: String::new(),
                family_name: String::new(),
                given_name: String::new(),
                birth_date: String::new(),
                status: String::new(),
                phone: None,
                methods: vec![],
            }),
        ),
        (
            "MethodView",
            keys(&MethodView {
                id: Some(String::new()),
                kind: String::new(),
                level: String::new(),
                label: String::new(),
                source: String::new(),
                removable: false,
            }),
        ),
        (
            "AuditPage",
            keys(&AuditPage {
                items: vec![],
                next_cursor: None,
            }),
        ),
        (
            "ChainReportView",
            keys(&ChainReportView {
                events: 0,
                intact: true,
                first_broken: None,
                reason: None,
                head: None,
            }),
        ),
        (
            "Me",
            keys(&Me {
                name: String::new(),
                role: String::new(),
            }),
        ),
        (
            "InitialTokenInput",
            keys(&InitialTokenInput::single_use("x")),
        ),
        (
            "InitialTokenView",
            keys(&InitialTokenView {
                id: String::new(),
                label: String::new(),
                created_by: String::new(),
                created_at: String::new(),
                expires_at: String::new(),
                max_registrations: 1,
                registrations: 0,
                revoked_at: Some(String::new()),
            }),
        ),
        (
            "IssuedInitialToken",
            keys(&IssuedInitialToken {
                token: String::new(),
                record: InitialTokenView {
                    id: String::new(),
                    label: String::new(),
                    created_by: String::new(),
                    created_at: String::new(),
                    expires_at: String::new(),
                    max_registrations: 1,
                    registrations: 0,
                    revoked_at: None,
                },
            }),
        ),
        (
            "EnrollmentCodeView",
            keys(&EnrollmentCode {
                code: String::new(),
                expires_at: String::new(),
                citizen_id: String::new(),
                level: String::new(),
            }),
        ),
        (
            "Problem",
            keys(&Problem {
                kind: String::new(),
                title: String::new(),
                status: 400,
                detail: String::new(),
                field: None,
            }),
        ),
    ];
    for (schema, sdk) in cases {
        assert_eq!(sdk, properties(&document, schema), "{schema}");
    }
}
