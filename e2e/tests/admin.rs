//! The admin plane of the real `idp` binary, on both backends, driven by the SDK's admin
//! client: the first administrator from the command line, an e-service registered through
//! the API that a citizen then logs in to, its secret rotated, the login visible in the audit
//! trail, the trail exported and verified, and (on PostgreSQL) a row changed behind DAN's back
//! reported by the verification.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dan_e2e::CITIZEN;
use dan_e2e::dan::{Backend, Deployment};
use dan_e2e::pages::{HttpBrowser, LoginFlow, query_of};
use dan_sdk::admin::{AdminClient, AdminError, AuditFilter, ClientInput, ClientSettings};
use serde_json::Value;

const REDIRECT: &str = "https://benefits.example/callback";

async fn administered_end_to_end(backend: Backend) {
    let Some(deployment) = Deployment::new(backend).await else {
        return;
    };
    let dan = deployment.start_node(&[]).await;
    let created = deployment
        .cli(&[
            "admin",
            "create",
            "--name",
            "dorj",
            "--role",
            "security-admin",
            "--json",
        ])
        .await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let printed: Value = serde_json::from_slice(&created.stdout).unwrap();
    let token = printed["token"].as_str().unwrap();
    let admin = AdminClient::new(&dan.admin_url, token).unwrap();
    assert_eq!(admin.me().await.unwrap().role, "security-admin");

    // An e-service registered through the API...
    let mut settings = ClientSettings::web("Тэтгэмж", "Benefits", &[REDIRECT]);
    settings.skip_consent = true;
    let registered = admin
        .create_client(&ClientInput {
            client_id: "benefits".into(),
            settings,
        })
        .await
        .unwrap();
    let secret = registered.client_secret.unwrap();
    let refused = admin
        .create_client(&ClientInput {
            client_id: "bad".into(),
            settings: ClientSettings::web("Муу", "Bad", &["http://bad.example/cb"]),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, AdminError::Problem(p) if p.status == 400
            && p.field.as_deref() == Some("redirect_uris")),
        "{refused:?}"
    );

    // ...that a citizen logs in to, its code redeemed with the secret the API showed.
    let browser = HttpBrowser::new();
    let verifier = "v".repeat(43);
    let challenge = {
        use base64::Engine as _;
        use openssl::sha::sha256;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()))
    };
    let authorize = format!(
        "{}/authorize?response_type=code&client_id=benefits&redirect_uri={}&scope=openid%20profile\
         &state=s1&nonce=n1&code_challenge={challenge}&code_challenge_method=S256",
        dan.url,
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let flow = LoginFlow::start(&browser, &authorize).await;
    let (number, phone) = CITIZEN;
    let seen = dan.outbox(phone).await.len();
    flow.post(&browser, &dan.url, "number", &[("registry_number", number)])
        .await;
    let code = dan.new_code(phone, seen).await;
    let back = flow
        .post(&browser, &dan.url, "code", &[("code", &code)])
        .await;
    let params = query_of(back.location.as_deref().unwrap());
    let redeemed = reqwest::Client::new()
        .post(format!("{}/token", dan.url))
        .basic_auth("benefits", Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params["code"].as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(redeemed.status(), 200);

    // The secret rotates; both work during the grace period.
    let rotated = admin.rotate_secret("benefits", 600).await.unwrap();
    assert_ne!(rotated.client_secret, secret);

    // The login is in the audit trail, which exports and verifies.
    let logins = admin
        .audit_events(
            &AuditFilter {
                client_id: Some("benefits".into()),
                kind: Some("login.succeeded".into()),
                ..AuditFilter::default()
            },
            0,
            100,
        )
        .await
        .unwrap();
    assert_eq!(logins.items.len(), 1, "{logins:?}");
    assert_eq!(logins.items[0].detail["method"], "sms");
    let (ndjson, next) = admin
        .audit_export(&AuditFilter::default(), 0)
        .await
        .unwrap();
    assert_eq!(next, None);
    let lines: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|e| e["detail"]["action"] == "admin.create")
    );
    let report = admin.verify_audit().await.unwrap();
    assert!(report.intact, "{report:?}");

    // Off-boarding: the token is listed (never shown again), and disabling the account
    // refuses it at once.
    let listed = deployment
        .cli(&["admin", "tokens", "--name", "dorj", "--json"])
        .await;
    assert!(listed.status.success());
    let tokens: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(tokens[0]["id"], printed["token_id"]);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains(token));
    let disabled = deployment
        .cli(&["admin", "disable", "--name", "dorj"])
        .await;
    assert!(disabled.status.success());
    let refused = admin.me().await.unwrap_err();
    assert!(
        matches!(&refused, AdminError::Problem(p) if p.status == 401),
        "{refused:?}"
    );
    deployment.cli(&["admin", "enable", "--name", "dorj"]).await;
    assert_eq!(admin.me().await.unwrap().name, "dorj");

    // A row changed directly in the database is reported.
    let tampered = deployment.sql(
        "UPDATE audit_events SET detail = '{\"method\":\"passkey\"}' \
         WHERE kind = 'login.succeeded'",
    );
    if tampered.is_some() {
        let report = admin.verify_audit().await.unwrap();
        assert!(!report.intact);
        assert_eq!(report.first_broken, Some(logins.items[0].seq));
        assert_eq!(report.reason.as_deref(), Some("hash"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_runs_dan_through_the_admin_api_embedded() {
    administered_end_to_end(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_runs_dan_through_the_admin_api_postgres_redis() {
    administered_end_to_end(Backend::PostgresRedis).await;
}
