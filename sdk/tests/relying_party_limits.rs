//! `RelyingParty` at its edges, against a fake DAN (`support::FakeOp`): answers too large to
//! read (sent chunked, so no `Content-Length` warns), insecure transports, configurations that
//! contradict themselves, what a refresh may not change, and what `Debug` never shows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dan_sdk::relying_party::{
    ClientAuth, LoginError, LoginRequest, ProviderInfo, RelyingParty, RelyingPartyConfig, Secret,
};
use serde_json::json;
use url::Url;

use self::support::{
    CLIENT_ID, FakeOp, REDIRECT_URI, Reply, Signer, basic, callback, id_claims, jwks, login,
    login_with, start, token_response, with, without,
};

mod support;

async fn provider() -> (FakeOp, Signer, RelyingParty) {
    let signer = Signer::es256("dan-1");
    let op = FakeOp::start(&[&signer]).await;
    let rp = support::relying_party(&op, basic()).await;
    (op, signer, rp)
}

/// A JSON object larger than 64 KiB.
fn huge_object() -> serde_json::Value {
    json!({"sub": support::SUB, "padding": "x".repeat(100 * 1024)})
}

#[tokio::test]
async fn a_huge_userinfo_answer_is_refused_while_streaming() {
    let (op, signer, rp) = provider().await;
    let login = login(&rp, &op, &signer).await;
    op.set("/userinfo", Reply::json(200, &huge_object()).chunked());
    let error = rp.userinfo(&login).await.unwrap_err();
    assert!(
        matches!(&error, LoginError::BadResponse(m) if m.contains("too large")),
        "{error:?}"
    );
    // The same answer in a small size is read: the limit, not chunking, refused it.
    op.set(
        "/userinfo",
        Reply::json(200, &json!({"sub": support::SUB})).chunked(),
    );
    assert_eq!(rp.userinfo(&login).await.unwrap().sub, support::SUB);
}

#[tokio::test]
async fn a_huge_token_answer_is_refused_while_streaming() {
    let (op, _signer, rp) = provider().await;
    let started = start(&rp, &LoginRequest::new()).await;
    op.set("/token", Reply::json(200, &huge_object()).chunked());
    let error = rp
        .finish_login(&started.pending, &callback(&op, &started.pending))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, LoginError::Unavailable(m) if m.contains("64 KiB")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_huge_discovery_document_is_refused_while_streaming() {
    let signer = Signer::es256("dan-1");
    let op = FakeOp::start(&[&signer]).await;
    op.set(
        "/.well-known/openid-configuration",
        Reply::json(200, &json!({"padding": "x".repeat(300 * 1024)})).chunked(),
    );
    let error = RelyingParty::discover(support::rp_config(&op, basic()))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, LoginError::BadDiscovery(m) if m.contains("256 KiB")),
        "{error:?}"
    );
}

#[tokio::test]
async fn plain_http_is_refused_outside_loopback() {
    for issuer in [
        "http://dan.gov.mn",
        "http://10.1.2.3:8080",
        "ftp://dan.gov.mn",
    ] {
        let config = RelyingPartyConfig::new(issuer, CLIENT_ID, REDIRECT_URI, basic());
        let error = RelyingParty::discover(config).await.unwrap_err();
        assert!(
            matches!(error, LoginError::InvalidConfig(m) if m.contains("https")),
            "{issuer}"
        );
    }
}

#[tokio::test]
async fn provider_information_for_another_issuer_is_refused() {
    let signer = Signer::es256("dan-1");
    let url = |path: &str| Url::parse(&format!("https://other.example{path}")).unwrap();
    let info = ProviderInfo {
        issuer: "https://other.example".into(),
        authorization_endpoint: url("/authorize"),
        token_endpoint: url("/token"),
        userinfo_endpoint: None,
        jwks_uri: url("/jwks"),
        revocation_endpoint: None,
        end_session_endpoint: None,
        iss_parameter_supported: true,
        acr_values_supported: vec![],
    };
    let config = RelyingPartyConfig::new("https://dan.example", CLIENT_ID, REDIRECT_URI, basic());
    let error = RelyingParty::with_provider(config, info, &jwks(&[&signer])).unwrap_err();
    assert!(matches!(error, LoginError::InvalidConfig(_)), "{error:?}");
}

#[tokio::test]
async fn a_refreshed_id_token_keeps_the_original_auth_time_oidc_core_12_2() {
    let (op, signer, rp) = provider().await;
    let first = login(&rp, &op, &signer).await;
    let original = first.claims.auth_time.unwrap();
    let claims = with(
        without(id_claims(&op.issuer, ""), "nonce"),
        "auth_time",
        json!(original + 600),
    );
    let mut response = token_response(&signer.sign_id_token(&claims));
    response["refresh_token"] = json!("refresh-token-2");
    op.set_token_response(&response);
    let error = rp.refresh(&first).await.unwrap_err();
    assert!(
        matches!(error, LoginError::RefreshChangedIdToken("auth_time")),
        "{error:?}"
    );
}

#[tokio::test]
async fn without_scope_in_the_answer_the_scopes_asked_for_were_granted_rfc6749_5_1() {
    let (op, signer, rp) = provider().await;
    let request = LoginRequest::new().scope("phone");
    let login = login_with(&rp, &op, &request, |nonce| {
        signer.sign_id_token(&id_claims(&op.issuer, nonce))
    })
    .await;
    // The fake answers with "openid profile": kept as sent.
    assert_eq!(login.unwrap().tokens.scopes, ["openid", "profile"]);
    let started = start(&rp, &request).await;
    op.set_token_response(&without(
        token_response(&signer.sign_id_token(&id_claims(&op.issuer, &started.nonce))),
        "scope",
    ));
    let login = rp
        .finish_login(&started.pending, &callback(&op, &started.pending))
        .await
        .unwrap();
    assert_eq!(login.tokens.scopes, ["openid", "profile", "phone"]);
}

#[tokio::test]
async fn debug_output_never_shows_codes_hints_or_secrets() {
    let (op, _signer, rp) = provider().await;
    let started = start(&rp, &LoginRequest::new()).await;
    let callback = callback(&op, &started.pending);
    let shown = format!("{callback:?}");
    assert!(!shown.contains("code-1"), "{shown}");
    let request = LoginRequest::new().login_hint("УБ90010112");
    let shown = format!("{request:?}");
    assert!(!shown.contains("УБ90010112"), "{shown}");
    let auth = ClientAuth::SecretPost(Secret::new("s3cr3t-value"));
    assert!(!format!("{auth:?}").contains("s3cr3t-value"));
}
