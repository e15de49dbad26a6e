//! `RelyingParty` against a fake DAN (`support::FakeOp`): discovery, the authorization URL,
//! the callback checks, the code exchange with each client authentication method, and the
//! token endpoint's refusals. The ID token checks, userinfo, refresh, revocation and logout are
//! in `relying_party_tokens.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dan_sdk::relying_party::{
    Acr, Callback, ClientAuth, ClientKey, Login, LoginError, LoginRequest, PendingLogin, Prompt,
    RelyingParty, RelyingPartyConfig, Secret,
};
use serde_json::{Value, json};

use self::support::{
    CLIENT_ID, FakeOp, REDIRECT_URI, Reply, SECRET, SUB, Signer, b64, basic, callback, form_encode,
    id_claims, login, query, relying_party, rp_config, start, token_response, unix_now, with,
    without,
};

mod support;

/// A provider with one ES256 key.
async fn provider() -> (FakeOp, Signer) {
    let signer = Signer::es256("dan-1");
    let op = FakeOp::start(&[&signer]).await;
    (op, signer)
}

async fn discover_error(op: &FakeOp) -> LoginError {
    RelyingParty::discover(rp_config(op, basic()))
        .await
        .unwrap_err()
}

// ---- discovery ----------------------------------------------------------------------------

#[tokio::test]
async fn discovery_reads_the_providers_endpoints_oidc_discovery_4() {
    let (op, _) = provider().await;
    let rp = relying_party(&op, basic()).await;
    let info = rp.provider().await;
    assert_eq!(info.issuer, op.issuer);
    assert_eq!(info.authorization_endpoint.as_str(), op.url("/authorize"));
    assert_eq!(info.token_endpoint.as_str(), op.url("/token"));
    assert_eq!(
        info.userinfo_endpoint.as_ref().unwrap().as_str(),
        op.url("/userinfo")
    );
    assert_eq!(info.jwks_uri.as_str(), op.url("/jwks"));
    assert_eq!(
        info.revocation_endpoint.as_ref().unwrap().as_str(),
        op.url("/revoke")
    );
    assert_eq!(
        info.end_session_endpoint.as_ref().unwrap().as_str(),
        op.url("/logout")
    );
    assert!(info.iss_parameter_supported);
    assert_eq!(info.acr_values_supported, ["low", "substantial", "high"]);
    let request = op.only_request("/.well-known/openid-configuration");
    assert_eq!(request.method, "GET");
    // The keys are fetched when first needed, not at start.
    assert_eq!(op.count("/jwks"), 0);
    assert_eq!(rp.config().client_id, CLIENT_ID);
}

#[tokio::test]
async fn an_issuer_configured_with_a_trailing_slash_is_discovered_oidc_discovery_4_1() {
    let (op, _) = provider().await;
    let config =
        RelyingPartyConfig::new(format!("{}/", op.issuer), CLIENT_ID, REDIRECT_URI, basic());
    let rp = RelyingParty::discover(config).await.unwrap();
    assert_eq!(rp.provider().await.issuer, op.issuer);
}

#[tokio::test]
async fn a_discovery_document_that_is_not_json_is_refused() {
    let (op, _) = provider().await;
    op.set(
        "/.well-known/openid-configuration",
        Reply::text(200, "text/html", "<html>DAN</html>"),
    );
    let error = discover_error(&op).await;
    assert!(matches!(error, LoginError::BadDiscovery(_)), "{error:?}");
}

#[tokio::test]
async fn a_discovery_document_of_another_issuer_is_refused_oidc_discovery_4_3() {
    let (op, _) = provider().await;
    op.set_discovery(&with(
        op.discovery(),
        "issuer",
        json!("https://evil.example"),
    ));
    let error = discover_error(&op).await;
    assert!(
        matches!(&error, LoginError::BadDiscovery(m) if m.contains("issuer")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_discovery_document_without_token_endpoint_is_refused_oidc_discovery_3() {
    let (op, _) = provider().await;
    op.set_discovery(&without(op.discovery(), "token_endpoint"));
    let error = discover_error(&op).await;
    assert!(
        matches!(&error, LoginError::BadDiscovery(m) if m.contains("token_endpoint")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_discovery_document_over_256_kib_is_refused() {
    let (op, _) = provider().await;
    let padding = "x".repeat(256 * 1024);
    op.set_discovery(&with(op.discovery(), "padding", json!(padding)));
    let error = discover_error(&op).await;
    assert!(
        matches!(&error, LoginError::BadDiscovery(m) if m.contains("256 KiB")),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unreachable_issuer_is_discovery_unavailable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let config = RelyingPartyConfig::new(
        format!("http://{address}"),
        CLIENT_ID,
        REDIRECT_URI,
        basic(),
    );
    let error = RelyingParty::discover(config).await.unwrap_err();
    assert!(
        matches!(error, LoginError::DiscoveryUnavailable(_)),
        "{error:?}"
    );
    assert!(error.is_server_error());
}

#[tokio::test]
async fn a_failing_discovery_endpoint_is_discovery_unavailable() {
    let (op, _) = provider().await;
    op.set(
        "/.well-known/openid-configuration",
        Reply::text(503, "text/plain", "down"),
    );
    let error = discover_error(&op).await;
    assert!(
        matches!(error, LoginError::DiscoveryUnavailable(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn invalid_configurations_are_refused_before_any_request() {
    let (op, _) = provider().await;
    let config = |auth| rp_config(&op, auth);
    let invalid = [
        RelyingPartyConfig {
            client_id: String::new(),
            ..config(basic())
        },
        RelyingPartyConfig {
            redirect_uri: format!("{REDIRECT_URI}#fragment"),
            ..config(basic())
        },
        RelyingPartyConfig {
            redirect_uri: "benefits.example/callback".into(),
            ..config(basic())
        },
        config(ClientAuth::SecretBasic(Secret::new(""))),
        config(ClientAuth::SecretPost(Secret::new(""))),
        RelyingPartyConfig::new("ftp://dan.example", CLIENT_ID, REDIRECT_URI, basic()),
        config(basic()).post_logout_redirect_uri("https://benefits.example/#bye"),
    ];
    for config in invalid {
        let described = format!("{config:?}");
        let error = RelyingParty::discover(config).await.unwrap_err();
        assert!(
            matches!(error, LoginError::InvalidConfig(_)),
            "{described}: {error:?}"
        );
    }
    assert_eq!(op.count("/.well-known/openid-configuration"), 0);
}

// ---- the authorization URL ----------------------------------------------------------------

#[tokio::test]
async fn the_authorization_url_asks_for_a_code_with_pkce_state_and_nonce_oidc_core_3_1_2_1() {
    let (op, _) = provider().await;
    let rp = relying_party(&op, basic()).await;
    let started = start(&rp, &LoginRequest::new().scope("phone")).await;
    let url = &started.url;
    assert_eq!(
        format!("{}://{}{}", url.scheme(), url.authority(), url.path()),
        op.url("/authorize")
    );
    let param = |name| query(url, name).unwrap_or_else(|| panic!("{name} missing in {url}"));
    assert_eq!(param("response_type"), "code");
    assert_eq!(param("client_id"), CLIENT_ID);
    assert_eq!(param("redirect_uri"), REDIRECT_URI);
    let scope = param("scope");
    let scopes: Vec<&str> = scope.split(' ').collect();
    assert!(scopes.contains(&"openid") && scopes.contains(&"profile") && scopes.contains(&"phone"));
    assert_eq!(
        scopes.iter().filter(|s| **s == "openid").count(),
        1,
        "{scope}"
    );
    assert_eq!(param("state"), started.pending.state());
    assert!(started.nonce.len() >= 16);
    assert_eq!(param("code_challenge_method"), "S256");
    // RFC 7636 4.2: the challenge is BASE64URL(SHA256(verifier)), 43 characters.
    let challenge = param("code_challenge");
    assert_eq!(challenge.len(), 43);
    let kept = serde_json::to_value(&started.pending).unwrap();
    let verifier = kept["code_verifier"].as_str().unwrap();
    assert!((43..=128).contains(&verifier.len()), "RFC 7636 4.1");
    assert_eq!(challenge, b64(&openssl::sha::sha256(verifier.as_bytes())));
    for absent in [
        "acr_values",
        "ui_locales",
        "login_hint",
        "prompt",
        "max_age",
    ] {
        assert_eq!(query(url, absent), None, "{absent}");
    }
}

#[tokio::test]
async fn the_authorization_url_carries_acr_locales_hint_prompt_and_max_age_oidc_core_3_1_2_1() {
    let (op, _) = provider().await;
    let rp = relying_party(&op, basic()).await;
    let request = LoginRequest::new()
        .acr(Acr::Substantial)
        .ui_locale("mn")
        .ui_locale("en")
        .login_hint("УБ12345678")
        .prompt(Prompt::Login)
        .max_age(Duration::from_secs(300));
    let url = start(&rp, &request).await.url;
    assert_eq!(query(&url, "acr_values").unwrap(), "substantial");
    assert_eq!(query(&url, "ui_locales").unwrap(), "mn en");
    assert_eq!(query(&url, "login_hint").unwrap(), "УБ12345678");
    assert_eq!(query(&url, "prompt").unwrap(), "login");
    assert_eq!(query(&url, "max_age").unwrap(), "300");
    for (prompt, value) in [(Prompt::None, "none"), (Prompt::Consent, "consent")] {
        let url = start(&rp, &LoginRequest::new().prompt(prompt)).await.url;
        assert_eq!(query(&url, "prompt").unwrap(), value);
    }
}

#[tokio::test]
async fn every_authorization_url_has_a_fresh_state_nonce_and_challenge_rfc6749_10_12() {
    let (op, _) = provider().await;
    let rp = relying_party(&op, basic()).await;
    let first = start(&rp, &LoginRequest::new()).await;
    let second = start(&rp, &LoginRequest::new()).await;
    for name in ["state", "nonce", "code_challenge"] {
        assert_ne!(query(&first.url, name), query(&second.url, name), "{name}");
    }
}

#[tokio::test]
async fn a_pending_login_round_trips_through_serde_and_never_prints_its_secrets() {
    let (op, signer) = provider().await;
    let rp = relying_party(&op, basic()).await;
    let started = start(&rp, &LoginRequest::new().acr(Acr::Low)).await;
    let stored = serde_json::to_string(&started.pending).unwrap();
    let verifier = serde_json::from_str::<Value>(&stored).unwrap()["code_verifier"]
        .as_str()
        .unwrap()
        .to_owned();
    let printed = format!("{:?}", started.pending);
    for secret in [started.pending.state(), &started.nonce, &verifier] {
        assert!(!printed.contains(secret), "{printed}");
    }
    let restored: PendingLogin = serde_json::from_str(&stored).unwrap();
    assert_eq!(restored.state(), started.pending.state());
    op.set_token_response(&token_response(
        &signer.sign_id_token(&id_claims(&op.issuer, &started.nonce)),
    ));
    let login = rp
        .finish_login(&restored, &callback(&op, &restored))
        .await
        .unwrap();
    assert_eq!(login.claims.sub, SUB);
    assert_eq!(op.only_request("/token").form()["code_verifier"], verifier);
}

// ---- completing a login -------------------------------------------------------------------

/// The checks every successful code exchange passes, whatever the client authentication.
fn assert_code_exchange(
    op: &FakeOp,
    pending: &PendingLogin,
) -> std::collections::HashMap<String, String> {
    let request = op.only_request("/token");
    assert_eq!(request.method, "POST");
    assert!(
        request
            .header("content-type")
            .unwrap()
            .starts_with("application/x-www-form-urlencoded")
    );
    let form = request.form();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "code-1");
    assert_eq!(form["redirect_uri"], REDIRECT_URI);
    let kept = serde_json::to_value(pending).unwrap();
    assert_eq!(
        form["code_verifier"],
        kept["code_verifier"].as_str().unwrap()
    );
    form
}

#[tokio::test]
async fn a_login_with_client_secret_basic_completes_oidc_core_3_1_3() {
    let (op, signer) = provider().await;
    let rp = relying_party(&op, basic()).await;
    let started = start(&rp, &LoginRequest::new()).await;
    let id_token = signer.sign_id_token(&id_claims(&op.issuer, &started.nonce));
    op.set_token_response(&token_response(&id_token));
    let before = unix_now();
    let login = rp
        .finish_login(&started.pending, &callback(&op, &started.pending))
        .await
        .unwrap();

    let form = assert_code_exchange(&op, &started.pending);
    // RFC 6749 2.3.1: id and secret form-encoded, then Basic.
    let credentials = format!("{}:{}", form_encode(CLIENT_ID), form_encode(SECRET));
    assert_eq!(
        op.only_request("/token").header("authorization").unwrap(),
        format!("Basic {}", STANDARD.encode(credentials))
    );
    assert!(!form.contains_key("client_secret") && !form.contains_key("client_assertion"));

    let claims = &login.claims;
    assert_eq!(claims.iss, op.issuer);
    assert_eq!(claims.sub, SUB);
    assert_eq!(claims.aud, [CLIENT_ID]);
    assert_eq!(claims.acr.as_deref(), Some("substantial"));
    assert_eq!(claims.level(), Some(Acr::Substantial));
    assert_eq!(claims.amr, ["hwk", "user"]);
    assert_eq!(claims.sid.as_deref(), Some("dan-session-1"));
    assert!(claims.auth_time.is_some());
    assert_eq!(claims.claim("given_name"), Some("Bat"));
    assert_eq!(claims.claim("family_name"), Some("Dorj"));
    assert!(!claims.extra.contains_key("nonce") && !claims.extra.contains_key("sub"));

    let tokens = &login.tokens;
    assert_eq!(tokens.access_token.expose(), "access-token-1");
    assert_eq!(
        tokens.refresh_token.as_ref().unwrap().expose(),
        "refresh-token-1"
    );
    assert_eq!(tokens.id_token.as_ref().unwrap().expose(), id_token);
    assert_eq!(tokens.scopes, ["openid", "profile"]);
    let expires_at = tokens.expires_at.unwrap();
    assert!((before + 300..=unix_now() + 300).contains(&expires_at));
    // The JWKS was fetched once, to check the signature.
    assert_eq!(op.count("/jwks"), 1);
}

#[tokio::test]
async fn a_login_round_trips_through_serde_and_never_prints_its_tokens() {
    let (op, signer) = provider().await;
    let rp = relying_party(&op, basic()).await;
    let login = login(&rp, &op, &signer).await;
    let stored = serde_json::to_string(&login).unwrap();
    let restored: Login = serde_json::from_str(&stored).unwrap();
    assert_eq!(restored.claims, login.claims);
    assert_eq!(restored.tokens.access_token, login.tokens.access_token);
    assert_eq!(restored.tokens.refresh_token, login.tokens.refresh_token);
    assert_eq!(restored.tokens.id_token, login.tokens.id_token);
    assert_eq!(restored.tokens.expires_at, login.tokens.expires_at);
    assert_eq!(restored.tokens.scopes, login.tokens.scopes);
    let printed = format!("{login:?}");
    let id_token = login.tokens.id_token.as_ref().unwrap().expose();
    for secret in ["access-token-1", "refresh-token-1", id_token] {
        assert!(!printed.contains(secret), "{printed}");
    }
    assert!(printed.contains(SUB));
}

#[tokio::test]
async fn a_login_with_client_secret_post_sends_the_secret_in_the_body_rfc6749_2_3_1() {
    let (op, signer) = provider().await;
    let rp = relying_party(&op, ClientAuth::SecretPost(Secret::new(SECRET))).await;
    let started = start(&rp, &LoginRequest::new()).await;
    op.set_token_response(&token_response(
        &signer.sign_id_token(&id_claims(&op.issuer, &started.nonce)),
    ));
    let login = rp
        .finish_login(&started.pending, &callback(&op, &started.pending))
        .await
        .unwrap();
    assert_eq!(login.claims.sub, SUB);
    let form = assert_code_exchange(&op, &started.pending);
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["client_secret"], SECRET);
    assert!(!form.contains_key("client_assertion"));
    assert_eq!(op.only_request("/token").header("authorization"), None);
}

#[tokio::test]
async fn a_login_with_private_key_jwt_sends_a_signed_client_assertion_oidc_core_9() {
    let (op, signer) = provider().await;
    let key = ClientKey::generate_es256("client-key-1").unwrap();
    let registered = key.public_jwks().unwrap();
    let rp = relying_party(&op, ClientAuth::PrivateKeyJwt(key)).await;
    let started = start(&rp, &LoginRequest::new()).await;
    op.set_token_response(&token_response(
        &signer.sign_id_token(&id_claims(&op.issuer, &started.nonce)),
    ));
    let before = unix_now();
    let login = rp
        .finish_login(&started.pending, &callback(&op, &started.pending))
        .await
        .unwrap();
    assert_eq!(login.claims.sub, SUB);

    let form = assert_code_exchange(&op, &started.pending);
    assert_eq!(op.only_request("/token").header("authorization"), None);
    assert!(!form.contains_key("client_secret"));
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let (header, claims) = support::verify_es256(&registered, &form["client_assertion"]);
    assert_eq!(header["kid"], "client-key-1");
    // RFC 7523 3: iss and sub are the client, aud names DAN (its issuer, which DAN accepts
    // at every endpoint), a short life, a jti.
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], CLIENT_ID);
    assert_eq!(claims["aud"], op.issuer);
    let iat = claims["iat"].as_i64().unwrap();
    assert!((before..=unix_now()).contains(&iat));
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > iat && exp - iat <= 300);
    assert!(claims["jti"].as_str().unwrap().len() >= 16);
}

#[tokio::test]
async fn every_client_assertion_has_a_fresh_jti_rfc7523_3() {
    let (op, signer) = provider().await;
    let key = ClientKey::generate_es256("client-key-1").unwrap();
    let registered = key.public_jwks().unwrap();
    let rp = relying_party(&op, ClientAuth::PrivateKeyJwt(key)).await;
    login(&rp, &op, &signer).await;
    login(&rp, &op, &signer).await;
    let jtis: Vec<Value> = op
        .requests("/token")
        .iter()
        .map(|r| support::verify_es256(&registered, &r.form()["client_assertion"]).1["jti"].clone())
        .collect();
    assert_eq!(jtis.len(), 2);
    assert_ne!(jtis[0], jtis[1]);
}

#[tokio::test]
async fn a_public_client_sends_only_its_client_id_rfc7636_4_5() {
    let (op, signer) = provider().await;
    let rp = relying_party(&op, ClientAuth::None).await;
    let started = start(&rp, &LoginRequest::new()).await;
    op.set_token_response(&token_response(
        &signer.sign_id_token(&id_claims(&op.issuer, &started.nonce)),
    ));
    rp.finish_login(&started.pending, &callback(&op, &started.pending))
        .await
        .unwrap();
    let form = assert_code_exchange(&op, &started.pending);
    assert_eq!(form["client_id"], CLIENT_ID);
    assert!(!form.contains_key("client_secret") && !form.contains_key("client_assertion"));
    assert_eq!(op.only_request("/token").header("authorization"), None);
}

// ---- the callback -------------------------------------------------------------------------

/// Finishes a started login with this callback.
async fn finish(callback: impl FnOnce(&FakeOp, &PendingLogin) -> Callback) -> (FakeOp, LoginError) {
    let (op, signer) = provider().await;
    let rp = relying_party(&op, basic()).await;
    let started = start(&rp, &LoginRequest::new()).await;
    op.set_token_response(&token_response(
        &signer.sign_id_token(&id_claims(&op.issuer, &started.nonce)),
    ));
    let error = rp
        .finish_login(&started.pending, &callback(&op, &started.pending))
        .await
        .unwrap_err();
    (op, error)
}

#[tokio::test]
async fn a_callback_with_another_state_is_refused_rfc6749_10_12() {
    let (op, error) = finish(|op, pending| Callback {
        state: Some(format!("{}x", pending.state())),
        ..callback(op, pending)
    })
    .await;
    assert!(matches!(error, LoginError::StateMismatch), "{error:?}");
    assert_eq!(op.count("/token"), 0);
}

#[tokio::test]
async fn a_callback_without_state_is_refused_rfc6749_10_12() {
    let (op, error) = finish(|op, pending| Callback {
        state: None,
        ..callback(op, pending)
    })
    .await;
    assert!(matches!(error, LoginError::StateMismatch), "{error:?}");
    assert_eq!(op.count("/token"), 0);
}

#[tokio::test]
async fn a_callback_from_another_issuer_is_refused_rfc9207_2_4() {
    let (op, error) = finish(|op, pending| Callback {
        iss: Some("https://evil.example".into()),
        ..callback(op, pending)
    })
    .await;
    assert!(matches!(error, LoginError::IssuerMismatch), "{error:?}");
    assert_eq!(op.count("/token"), 0);
}

#[tokio::test]
async fn a_callback_without_iss_is_refused_when_the_provider_sends_it_rfc9207_2_4() {
    let (op, error) = finish(|op, pending| Callback {
        iss: None,
        ..callback(op, pending)
    })
    .await;
    assert!(matches!(error, LoginError::IssuerMismatch), "{error:?}");
    assert_eq!(op.count("/token"), 0);
}

#[tokio::test]
async fn a_callback_without_iss_is_accepted_when_the_provider_does_not_send_it_rfc9207_2_4() {
    let (op, signer) = provider().await;
    op.set_discovery(&with(
        op.discovery(),
        "authorization_response_iss_parameter_supported",
        json!(false),
    ));
    let rp = relying_party(&op, basic()).await;
    let started = start(&rp, &LoginRequest::new()).await;
    op.set_token_response(&token_response(
        &signer.sign_id_token(&id_claims(&op.issuer, &started.nonce)),
    ));
    let no_iss = Callback {
        iss: None,
        ..callback(&op, &started.pending)
    };
    let login = rp.finish_login(&started.pending, &no_iss).await.unwrap();
    assert_eq!(login.claims.sub, SUB);
    // A wrong one is still refused.
    let started = start(&rp, &LoginRequest::new()).await;
    let wrong = Callback {
        iss: Some("https://evil.example".into()),
        ..callback(&op, &started.pending)
    };
    let error = rp.finish_login(&started.pending, &wrong).await.unwrap_err();
    assert!(matches!(error, LoginError::IssuerMismatch), "{error:?}");
}

#[tokio::test]
async fn an_error_callback_is_an_authorization_error_rfc6749_4_1_2_1() {
    let (op, error) = finish(|op, pending| Callback {
        code: None,
        error: Some("access_denied".into()),
        error_description: Some("the citizen declined".into()),
        ..callback(op, pending)
    })
    .await;
    let LoginError::Authorization { error, description } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(error, "access_denied");
    assert_eq!(description.as_deref(), Some("the citizen declined"));
    assert_eq!(op.count("/token"), 0);
}

#[tokio::test]
async fn an_error_callback_with_a_wrong_state_is_a_state_mismatch_rfc6749_10_12() {
    let (op, error) = finish(|op, pending| Callback {
        code: None,
        state: Some("forged".into()),
        error: Some("access_denied".into()),
        ..callback(op, pending)
    })
    .await;
    assert!(matches!(error, LoginError::StateMismatch), "{error:?}");
    assert_eq!(op.count("/token"), 0);
}

#[tokio::test]
async fn a_callback_without_code_is_refused_rfc6749_4_1_2() {
    let (op, error) = finish(|op, pending| Callback {
        code: None,
        ..callback(op, pending)
    })
    .await;
    assert!(matches!(error, LoginError::MissingCode), "{error:?}");
    assert_eq!(op.count("/token"), 0);
}

#[tokio::test]
async fn a_callback_query_is_read_and_a_repeated_parameter_is_refused() {
    let callback = Callback::from_query(
        "code=c%2B1&state=s+1&iss=http%3A%2F%2F127.0.0.1%3A1&session_state=ignored",
    )
    .unwrap();
    assert_eq!(callback.code.as_deref(), Some("c+1"));
    assert_eq!(callback.state.as_deref(), Some("s 1"));
    assert_eq!(callback.iss.as_deref(), Some("http://127.0.0.1:1"));
    assert_eq!(callback.error, None);
    for query in [
        "code=a&state=s&code=b",
        "code=a&state=s&state=t",
        "code=a&state=s&iss=x&iss=x",
        "error=access_denied&error=login_required&state=s",
    ] {
        let error = Callback::from_query(query).unwrap_err();
        assert!(
            matches!(error, LoginError::MalformedCallback(_)),
            "{query}: {error:?}"
        );
        assert!(
            !error.is_server_error(),
            "a forged callback is not DAN's fault"
        );
    }
}

#[tokio::test]
async fn a_pending_login_past_its_lifetime_is_refused() {
    let (op, _) = provider().await;
    let rp = relying_party(&op, basic()).await;
    let started = start(&rp, &LoginRequest::new()).await;
    let mut kept = serde_json::to_value(&started.pending).unwrap();
    kept["started_at"] = json!(unix_now() - 601);
    let stale: PendingLogin = serde_json::from_value(kept).unwrap();
    let error = rp
        .finish_login(&stale, &callback(&op, &stale))
        .await
        .unwrap_err();
    assert!(
        matches!(error, LoginError::PendingLoginExpired),
        "{error:?}"
    );
    assert_eq!(op.count("/token"), 0);
}

// ---- the token endpoint -------------------------------------------------------------------

#[tokio::test]
async fn a_token_endpoint_refusal_keeps_its_error_code_rfc6749_5_2() {
    let (op, error) = finish(|op, pending| {
        op.set(
            "/token",
            Reply::json(
                400,
                &json!({"error": "invalid_grant", "error_description": "the code was used"}),
            ),
        );
        callback(op, pending)
    })
    .await;
    let LoginError::Token {
        error: code,
        description,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(code, "invalid_grant");
    assert_eq!(description.as_deref(), Some("the code was used"));
    assert!(!error.is_server_error());
    assert_eq!(op.count("/token"), 1);
}

#[tokio::test]
async fn a_token_endpoint_failure_or_garbage_is_a_server_error() {
    for reply in [
        Reply::text(500, "text/plain", "internal error"),
        Reply::text(502, "text/html", "<html>bad gateway</html>"),
        Reply::text(500, "application/json", ""),
        Reply::text(200, "application/json", "not json"),
        Reply::text(200, "text/html", "<html>login</html>"),
        Reply::json(200, &json!({"token_type": "Bearer"})),
    ] {
        let described = format!("{reply:?}");
        let (_, error) = finish(move |op, pending| {
            op.set("/token", reply);
            callback(op, pending)
        })
        .await;
        assert!(
            error.is_server_error(),
            "{described} gave {error:?}, not a server error"
        );
    }
}

#[tokio::test]
async fn a_token_endpoint_that_is_temporarily_unavailable_is_a_server_error_rfc6749_5_2() {
    // DAN answers 503 temporarily_unavailable when its database is down, and 500
    // server_error on an internal error (idp/src/oauth.rs): try again later, not a refusal.
    for (status, code) in [(503, "temporarily_unavailable"), (500, "server_error")] {
        let (_, error) = finish(move |op, pending| {
            op.set("/token", Reply::json(status, &json!({"error": code})));
            callback(op, pending)
        })
        .await;
        assert!(error.is_server_error(), "{status} {code} gave {error:?}");
    }
}

#[tokio::test]
async fn a_token_response_without_id_token_is_refused_oidc_core_3_1_3_3() {
    let (op, error) = finish(|op, pending| {
        op.set_token_response(&without(token_response("unused"), "id_token"));
        callback(op, pending)
    })
    .await;
    assert!(matches!(error, LoginError::MissingIdToken), "{error:?}");
    assert_eq!(op.count("/token"), 1);
}
