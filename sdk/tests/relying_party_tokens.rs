//! `RelyingParty` after the code exchange, against a fake DAN (`support::FakeOp`): the ID
//! token checks (OIDC Core 3.1.3.7), DAN's key rotation, userinfo, refresh, revocation,
//! RP-initiated logout, back-channel logout tokens, and a relying party without network.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use dan_sdk::jwt::VerifyError;
use dan_sdk::relying_party::{
    Acr, ClientAuth, ClientKey, Login, LoginError, LoginRequest, ProviderInfo, RelyingParty,
    RelyingPartyConfig, Secret, Tokens,
};
use serde_json::{Value, json};
use url::Url;

use self::support::{
    CLIENT_ID, FakeOp, REDIRECT_URI, Reply, SECRET, SUB, Signer, b64, basic, form_encode,
    id_claims, jwks, login, login_claims, login_with, query, relying_party, rp_config, unix_now,
    with, without,
};

mod support;

const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A provider with one ES256 key, and a relying party discovered there.
async fn provider() -> (FakeOp, Signer, RelyingParty) {
    let signer = Signer::es256("dan-1");
    let op = FakeOp::start(&[&signer]).await;
    let rp = relying_party(&op, basic()).await;
    (op, signer, rp)
}

/// The ID token refusal of a login asking `request` whose ID token `make` signs from the valid
/// claims; asserts that the login failed on the ID token and returns why.
async fn refused_with(
    request: &LoginRequest,
    make: impl FnOnce(&Signer, Value) -> String,
) -> VerifyError {
    let (op, signer, rp) = provider().await;
    let issuer = op.issuer.clone();
    let error = login_with(&rp, &op, request, |nonce| {
        make(&signer, id_claims(&issuer, nonce))
    })
    .await
    .unwrap_err();
    assert!(!error.is_server_error(), "{error:?}");
    match error {
        LoginError::IdToken(inner) => inner,
        other => panic!("not an ID token refusal: {other:?}"),
    }
}

async fn refused(make: impl FnOnce(&Signer, Value) -> String) -> VerifyError {
    refused_with(&LoginRequest::new(), make).await
}

fn part(token: &str, index: usize) -> &str {
    token.split('.').nth(index).unwrap()
}

// ---- the ID token's header and signature --------------------------------------------------

#[tokio::test]
async fn id_tokens_of_every_algorithm_and_jwt_typ_verify_oidc_core_3_1_3_7_6() {
    let signers = [
        Signer::es256("ec"),
        Signer::rs256("rsa"),
        Signer::eddsa("ed"),
    ];
    let op = FakeOp::start(&signers.each_ref()).await;
    let rp = relying_party(&op, basic()).await;
    for signer in &signers {
        for typ in [Some("JWT"), Some("application/jwt"), None] {
            let login = login_with(&rp, &op, &LoginRequest::new(), |nonce| {
                signer.sign_with(&signer.header_typed(typ), &id_claims(&op.issuer, nonce))
            })
            .await
            .unwrap_or_else(|e| panic!("{} {typ:?}: {e:?}", signer.alg()));
            assert_eq!(login.claims.sub, SUB);
        }
    }
    assert_eq!(op.count("/jwks"), 1);
}

#[tokio::test]
async fn an_id_token_with_alg_none_is_refused_rfc8725_3_1() {
    let error = refused(|_, claims| {
        let header = b64(json!({"alg": "none", "kid": "dan-1", "typ": "JWT"})
            .to_string()
            .as_bytes());
        format!("{header}.{}.", b64(claims.to_string().as_bytes()))
    })
    .await;
    assert_eq!(error, VerifyError::UnsupportedAlgorithm("none".into()));
}

#[tokio::test]
async fn an_id_token_signed_with_hmac_is_refused_rfc8725_3_1() {
    let error = refused(|signer, claims| {
        let header = with(signer.header_typed(Some("JWT")), "alg", json!("HS256"));
        signer.sign_with(&header, &claims)
    })
    .await;
    assert_eq!(error, VerifyError::UnsupportedAlgorithm("HS256".into()));
}

#[tokio::test]
async fn an_access_token_cannot_pass_for_an_id_token_rfc9068_2_1() {
    let error = refused(|signer, claims| signer.sign(&claims)).await;
    assert_eq!(error, VerifyError::WrongType);
}

#[tokio::test]
async fn a_logout_token_cannot_pass_for_an_id_token_oidc_backchannel_logout_2_4() {
    let error = refused(|signer, claims| signer.sign_logout_token(&claims)).await;
    assert_eq!(error, VerifyError::WrongType);
}

#[tokio::test]
async fn a_tampered_id_token_is_refused_oidc_core_3_1_3_7_6() {
    let error = refused(|signer, claims| {
        let token = signer.sign_id_token(&claims);
        let mut signature = URL_SAFE_NO_PAD.decode(part(&token, 2)).unwrap();
        signature[7] ^= 1;
        format!(
            "{}.{}.{}",
            part(&token, 0),
            part(&token, 1),
            b64(&signature)
        )
    })
    .await;
    assert_eq!(error, VerifyError::BadSignature);
    let error = refused(|signer, claims| {
        let token = signer.sign_id_token(&claims);
        let forged = b64(with(claims, "sub", json!("someone-else"))
            .to_string()
            .as_bytes());
        format!("{}.{forged}.{}", part(&token, 0), part(&token, 2))
    })
    .await;
    assert_eq!(error, VerifyError::BadSignature);
}

#[tokio::test]
async fn a_huge_id_token_is_refused_before_any_work() {
    let error = refused(|signer, claims| {
        signer.sign_id_token(&with(claims, "padding", json!("x".repeat(16 * 1024))))
    })
    .await;
    assert_eq!(error, VerifyError::TooLarge { limit: 16 * 1024 });
}

// ---- DAN's keys ---------------------------------------------------------------------------

#[tokio::test]
async fn an_id_token_of_an_unknown_kid_is_refused_after_one_jwks_refetch_rfc7517_4_5() {
    let signer = Signer::es256("dan-1");
    let op = FakeOp::start(&[&signer]).await;
    let mut config = rp_config(&op, basic());
    config.min_refresh_interval = Duration::ZERO;
    let rp = RelyingParty::discover(config).await.unwrap();
    login(&rp, &op, &signer).await;
    assert_eq!(op.count("/jwks"), 1);
    let stranger = Signer::es256("stranger");
    let error = login_claims(&rp, &op, &stranger, |c| c).await.unwrap_err();
    assert!(
        matches!(error, LoginError::IdToken(VerifyError::UnknownKey)),
        "{error:?}"
    );
    assert_eq!(op.count("/jwks"), 2);
    // DAN rotates: the new key is fetched when an ID token first names it.
    let rotated = Signer::eddsa("dan-2");
    op.set_jwks(jwks(&[&signer, &rotated]));
    login(&rp, &op, &rotated).await;
    assert_eq!(op.count("/jwks"), 3);
    login(&rp, &op, &signer).await;
    login(&rp, &op, &rotated).await;
    assert_eq!(op.count("/jwks"), 3);
}

#[tokio::test]
async fn refetches_for_unknown_kids_are_rate_limited() {
    let (op, signer, rp) = provider().await;
    login(&rp, &op, &signer).await;
    let stranger = Signer::es256("stranger");
    for _ in 0..5 {
        let error = login_claims(&rp, &op, &stranger, |c| c).await.unwrap_err();
        assert!(
            matches!(error, LoginError::IdToken(VerifyError::UnknownKey)),
            "{error:?}"
        );
    }
    assert_eq!(op.count("/jwks"), 1);
}

#[tokio::test]
async fn keys_of_unknown_types_are_skipped_so_their_kid_is_unknown_rfc7517_5() {
    let signer = Signer::es256("dan-1");
    let op = FakeOp::start(&[]).await;
    let mut p521 = signer.jwk();
    p521["crv"] = json!("P-521");
    op.set_jwks(
        json!({"keys": [{"kty": "oct", "kid": "dan-1", "k": "c2VjcmV0"}, p521]}).to_string(),
    );
    let rp = relying_party(&op, basic()).await;
    let error = login_claims(&rp, &op, &signer, |c| c).await.unwrap_err();
    assert!(
        matches!(error, LoginError::IdToken(VerifyError::UnknownKey)),
        "{error:?}"
    );
    assert_eq!(op.count("/jwks"), 1);
}

#[tokio::test]
async fn an_unavailable_jwks_is_a_server_error() {
    let (op, signer, rp) = provider().await;
    op.set("/jwks", Reply::text(503, "text/plain", "down"));
    let error = login_claims(&rp, &op, &signer, |c| c).await.unwrap_err();
    assert!(
        matches!(error, LoginError::IdToken(VerifyError::JwksUnavailable(_))),
        "{error:?}"
    );
    assert!(error.is_server_error());
}

// ---- the ID token's claims ----------------------------------------------------------------

#[tokio::test]
async fn an_id_token_of_another_issuer_is_refused_oidc_core_3_1_3_7_2() {
    let error =
        refused(|s, c| s.sign_id_token(&with(c, "iss", json!("https://evil.example")))).await;
    assert_eq!(error, VerifyError::WrongIssuer);
}

#[tokio::test]
async fn an_id_token_for_another_client_is_refused_oidc_core_3_1_3_7_3() {
    let error = refused(|s, c| s.sign_id_token(&with(c, "aud", json!("other-service")))).await;
    assert_eq!(error, VerifyError::WrongAudience);
    let error = refused(|s, c| s.sign_id_token(&with(c, "aud", json!(["a", "b"])))).await;
    assert_eq!(error, VerifyError::WrongAudience);
}

#[tokio::test]
async fn an_id_token_with_several_audiences_needs_this_client_as_azp_oidc_core_3_1_3_7_4() {
    let error = refused(|s, c| s.sign_id_token(&with(c, "aud", json!([CLIENT_ID, "other"])))).await;
    assert_eq!(error, VerifyError::WrongAuthorizedParty);
    let error = refused(|s, c| {
        let c = with(c, "aud", json!([CLIENT_ID, "other"]));
        s.sign_id_token(&with(c, "azp", json!("other")))
    })
    .await;
    assert_eq!(error, VerifyError::WrongAuthorizedParty);
    let error = refused(|s, c| s.sign_id_token(&with(c, "azp", json!("other")))).await;
    assert_eq!(error, VerifyError::WrongAuthorizedParty);
    let (op, signer, rp) = provider().await;
    let login = login_claims(&rp, &op, &signer, |c| {
        with(
            with(c, "aud", json!([CLIENT_ID, "other"])),
            "azp",
            json!(CLIENT_ID),
        )
    })
    .await
    .unwrap();
    assert_eq!(login.claims.azp.as_deref(), Some(CLIENT_ID));
    assert_eq!(login.claims.aud, [CLIENT_ID, "other"]);
}

#[tokio::test]
async fn an_expired_id_token_is_refused_oidc_core_3_1_3_7_9() {
    let now = unix_now();
    let error = refused(|s, c| {
        s.sign_id_token(&with(
            with(c, "exp", json!(now - 60)),
            "iat",
            json!(now - 600),
        ))
    })
    .await;
    assert_eq!(error, VerifyError::Expired);
}

#[tokio::test]
async fn an_id_token_issued_in_the_future_is_refused_oidc_core_3_1_3_7_10() {
    let now = unix_now();
    let error = refused(|s, c| {
        s.sign_id_token(&with(
            with(c, "iat", json!(now + 120)),
            "exp",
            json!(now + 600),
        ))
    })
    .await;
    assert_eq!(error, VerifyError::NotYetValid);
}

#[tokio::test]
async fn an_id_token_without_the_nonce_is_refused_oidc_core_3_1_3_7_11() {
    let error = refused(|s, c| s.sign_id_token(&without(c, "nonce"))).await;
    assert_eq!(error, VerifyError::NonceMismatch);
}

#[tokio::test]
async fn a_nonce_mismatch_is_refused_oidc_core_3_1_3_7_11() {
    let error = refused(|s, c| {
        let nonce = format!("{}x", c["nonce"].as_str().unwrap());
        s.sign_id_token(&with(c, "nonce", json!(nonce)))
    })
    .await;
    assert_eq!(error, VerifyError::NonceMismatch);
}

#[tokio::test]
async fn an_id_token_below_the_acr_asked_for_is_refused_oidc_core_3_1_3_7_12() {
    let request = LoginRequest::new().acr(Acr::Substantial);
    let error = refused_with(&request, |s, c| {
        s.sign_id_token(&with(c, "acr", json!("low")))
    })
    .await;
    assert_eq!(
        error,
        VerifyError::InsufficientAcr {
            required: "substantial".into(),
            got: Some("low".into())
        }
    );
    let error = refused_with(&request, |s, c| s.sign_id_token(&without(c, "acr"))).await;
    assert_eq!(
        error,
        VerifyError::InsufficientAcr {
            required: "substantial".into(),
            got: None
        }
    );
}

#[tokio::test]
async fn an_id_token_with_an_acr_dan_does_not_define_is_refused_oidc_core_3_1_3_7_12() {
    let request = LoginRequest::new().acr(Acr::Low);
    let error = refused_with(&request, |s, c| {
        s.sign_id_token(&with(c, "acr", json!("urn:mace:incommon:iap:gold")))
    })
    .await;
    assert_eq!(
        error,
        VerifyError::InsufficientAcr {
            required: "low".into(),
            got: Some("urn:mace:incommon:iap:gold".into())
        }
    );
}

#[tokio::test]
async fn an_id_token_above_the_acr_asked_for_is_accepted_oidc_core_3_1_3_7_12() {
    let (op, signer, rp) = provider().await;
    let request = LoginRequest::new().acr(Acr::Substantial);
    let login = login_with(&rp, &op, &request, |nonce| {
        signer.sign_id_token(&with(id_claims(&op.issuer, nonce), "acr", json!("high")))
    })
    .await
    .unwrap();
    assert_eq!(login.claims.level(), Some(Acr::High));
}

#[tokio::test]
async fn an_authentication_older_than_max_age_is_refused_oidc_core_3_1_3_7_13() {
    let request = LoginRequest::new().max_age(Duration::from_secs(60));
    let old = unix_now() - 600;
    let error = refused_with(&request, |s, c| {
        s.sign_id_token(&with(c, "auth_time", json!(old)))
    })
    .await;
    assert_eq!(error, VerifyError::AuthenticationTooOld);
    let error = refused_with(&request, |s, c| s.sign_id_token(&without(c, "auth_time"))).await;
    assert_eq!(error, VerifyError::AuthenticationTooOld);
    // A recent one passes.
    let (op, signer, rp) = provider().await;
    let login = login_with(&rp, &op, &request, |nonce| {
        signer.sign_id_token(&id_claims(&op.issuer, nonce))
    })
    .await
    .unwrap();
    assert!(login.claims.auth_time.unwrap() >= unix_now() - 60);
}

#[tokio::test]
async fn an_id_token_without_sub_is_refused_oidc_core_2() {
    let error = refused(|s, c| s.sign_id_token(&without(c, "sub"))).await;
    assert_eq!(error, VerifyError::MissingClaim("sub"));
    let error = refused(|s, c| s.sign_id_token(&with(c, "exp", json!("tomorrow")))).await;
    assert_eq!(error, VerifyError::MalformedClaim("exp"));
}

// ---- userinfo -----------------------------------------------------------------------------

#[tokio::test]
async fn userinfo_returns_the_claims_with_the_access_token_oidc_core_5_3() {
    let (op, signer, rp) = provider().await;
    let login = login(&rp, &op, &signer).await;
    let claims = json!({"sub": SUB, "given_name": "Bat", "phone_number": "+97699112233"});
    op.set("/userinfo", Reply::json(200, &claims));
    let info = rp.userinfo(&login).await.unwrap();
    assert_eq!(info.sub, SUB);
    assert_eq!(info.claim("given_name"), Some("Bat"));
    assert_eq!(info.claim("phone_number"), Some("+97699112233"));
    assert!(!info.claims.contains_key("sub"));
    let request = op.only_request("/userinfo");
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.header("authorization"),
        Some("Bearer access-token-1")
    );
}

#[tokio::test]
async fn userinfo_about_another_subject_is_refused_oidc_core_5_3_2() {
    let (op, signer, rp) = provider().await;
    let login = login(&rp, &op, &signer).await;
    op.set(
        "/userinfo",
        Reply::json(200, &json!({"sub": "someone-else"})),
    );
    let error = rp.userinfo(&login).await.unwrap_err();
    assert!(matches!(error, LoginError::SubjectMismatch), "{error:?}");
}

#[tokio::test]
async fn a_refused_access_token_at_userinfo_is_reported_with_its_challenge_rfc6750_3_1() {
    let (op, signer, rp) = provider().await;
    let login = login(&rp, &op, &signer).await;
    let challenge = r#"Bearer error="invalid_token", error_description="expired""#;
    op.set(
        "/userinfo",
        Reply::json(401, &json!({})).header("WWW-Authenticate", challenge),
    );
    let error = rp.userinfo(&login).await.unwrap_err();
    assert!(
        matches!(&error, LoginError::AccessTokenRefused(c) if c == challenge),
        "{error:?}"
    );
    assert!(!error.is_server_error());
}

#[tokio::test]
async fn an_unreadable_userinfo_response_is_a_bad_response() {
    let (op, signer, rp) = provider().await;
    let login = login(&rp, &op, &signer).await;
    for reply in [
        Reply::text(200, "text/html", "<html>hello</html>"),
        Reply::json(200, &json!(["not", "an", "object"])),
        Reply::json(200, &json!({"given_name": "no sub"})),
        Reply::json(200, &json!({"sub": 42})),
    ] {
        let described = format!("{reply:?}");
        op.set("/userinfo", reply);
        let error = rp.userinfo(&login).await.unwrap_err();
        assert!(
            matches!(error, LoginError::BadResponse(_)),
            "{described}: {error:?}"
        );
        assert!(error.is_server_error());
    }
    op.set("/userinfo", Reply::text(500, "text/plain", "oops"));
    let error = rp.userinfo(&login).await.unwrap_err();
    assert!(matches!(error, LoginError::Unavailable(_)), "{error:?}");
}

// ---- refresh ------------------------------------------------------------------------------

/// A token response to a refresh, with a new ID token of these claims if any.
fn refreshed(id_token: Option<String>) -> Value {
    let mut response = json!({
        "access_token": "access-token-2", "token_type": "Bearer", "expires_in": 600,
        "refresh_token": "refresh-token-2", "scope": "openid profile",
    });
    if let Some(id_token) = id_token {
        response["id_token"] = json!(id_token);
    }
    response
}

#[tokio::test]
async fn a_refresh_sends_the_refresh_token_and_returns_new_tokens_rfc6749_6() {
    let (op, signer, rp) = provider().await;
    let first = login(&rp, &op, &signer).await;
    let id_token = signer.sign_id_token(&with(
        without(id_claims(&op.issuer, ""), "nonce"),
        "given_name",
        json!("Batbold"),
    ));
    op.set_token_response(&refreshed(Some(id_token.clone())));
    let second = rp.refresh(&first).await.unwrap();
    let request = &op.requests("/token")[1];
    assert_eq!(request.method, "POST");
    assert!(
        request
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    let form = request.form();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "refresh-token-1");
    assert!(!form.contains_key("code") && !form.contains_key("code_verifier"));
    assert_eq!(second.tokens.access_token.expose(), "access-token-2");
    assert_eq!(
        second.tokens.refresh_token.unwrap().expose(),
        "refresh-token-2"
    );
    assert_eq!(second.tokens.id_token.unwrap().expose(), id_token);
    assert_eq!(second.claims.sub, SUB);
    assert_eq!(second.claims.claim("given_name"), Some("Batbold"));
}

#[tokio::test]
async fn a_refresh_without_id_token_or_new_refresh_token_keeps_the_old_ones_oidc_core_12_2() {
    let (op, signer, rp) = provider().await;
    let first = login(&rp, &op, &signer).await;
    op.set_token_response(&without(refreshed(None), "refresh_token"));
    let second = rp.refresh(&first).await.unwrap();
    assert_eq!(second.tokens.access_token.expose(), "access-token-2");
    assert_eq!(second.tokens.refresh_token, first.tokens.refresh_token);
    assert_eq!(second.tokens.id_token, first.tokens.id_token);
    assert_eq!(second.claims, first.claims);
}

#[tokio::test]
async fn a_refreshed_id_token_about_another_citizen_is_refused_oidc_core_12_2() {
    let (op, signer, rp) = provider().await;
    let first = login(&rp, &op, &signer).await;
    let claims = with(
        without(id_claims(&op.issuer, ""), "nonce"),
        "sub",
        json!("someone-else"),
    );
    op.set_token_response(&refreshed(Some(signer.sign_id_token(&claims))));
    let error = rp.refresh(&first).await.unwrap_err();
    assert!(matches!(error, LoginError::SubjectMismatch), "{error:?}");
    let claims = with(id_claims(&op.issuer, ""), "aud", json!("other-service"));
    op.set_token_response(&refreshed(Some(signer.sign_id_token(&claims))));
    let error = rp.refresh(&first).await.unwrap_err();
    assert!(
        matches!(error, LoginError::IdToken(VerifyError::WrongAudience)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refused_refresh_keeps_the_error_code_rfc6749_5_2() {
    let (op, signer, rp) = provider().await;
    let first = login(&rp, &op, &signer).await;
    op.set(
        "/token",
        Reply::json(400, &json!({"error": "invalid_grant"})),
    );
    let error = rp.refresh(&first).await.unwrap_err();
    assert!(
        matches!(&error, LoginError::Token { error, .. } if error == "invalid_grant"),
        "{error:?}"
    );
    let mut no_refresh = first.clone();
    no_refresh.tokens.refresh_token = None;
    let error = rp.refresh(&no_refresh).await.unwrap_err();
    assert!(matches!(error, LoginError::NoRefreshToken), "{error:?}");
    assert_eq!(op.count("/token"), 2);
}

// ---- revocation ---------------------------------------------------------------------------

fn tokens(refresh: bool) -> Tokens {
    Tokens {
        access_token: Secret::new("access-token-1"),
        refresh_token: refresh.then(|| Secret::new("refresh-token-1")),
        id_token: None,
        expires_at: None,
        scopes: vec!["openid".into()],
    }
}

#[tokio::test]
async fn revoke_posts_the_refresh_token_then_the_access_token_with_hints_rfc7009_2_1() {
    let (op, _, rp) = provider().await;
    rp.revoke(&tokens(true)).await.unwrap();
    let requests = op.requests("/revoke");
    let sent: Vec<_> = requests.iter().map(|r| r.form_pairs()).collect();
    let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
    assert_eq!(
        sent,
        [
            vec![
                pair("token", "refresh-token-1"),
                pair("token_type_hint", "refresh_token")
            ],
            vec![
                pair("token", "access-token-1"),
                pair("token_type_hint", "access_token")
            ],
        ]
    );
    // RFC 6749 2.3.1: id and secret form-encoded, then Basic.
    let credentials = format!("{}:{}", form_encode(CLIENT_ID), form_encode(SECRET));
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.header("authorization").unwrap(),
            format!("Basic {}", STANDARD.encode(&credentials))
        );
    }
    // Without a refresh token, only the access token is revoked.
    rp.revoke(&tokens(false)).await.unwrap();
    assert_eq!(op.count("/revoke"), 3);
    assert_eq!(op.requests("/revoke")[2].form()["token"], "access-token-1");
}

#[tokio::test]
async fn revoke_with_client_secret_post_sends_the_secret_in_the_body_rfc7009_2_1() {
    let op = FakeOp::start(&[]).await;
    let rp = relying_party(&op, ClientAuth::SecretPost(Secret::new(SECRET))).await;
    rp.revoke(&tokens(false)).await.unwrap();
    let request = op.only_request("/revoke");
    assert_eq!(request.header("authorization"), None);
    let form = request.form();
    assert_eq!(form["token"], "access-token-1");
    assert_eq!(form["token_type_hint"], "access_token");
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["client_secret"], SECRET);
}

#[tokio::test]
async fn revoke_with_private_key_jwt_sends_a_client_assertion_for_dans_issuer_rfc7523_3() {
    let op = FakeOp::start(&[]).await;
    let key = ClientKey::generate_es256("client-key-1").unwrap();
    let registered = key.public_jwks().unwrap();
    let rp = relying_party(&op, ClientAuth::PrivateKeyJwt(key)).await;
    rp.revoke(&tokens(true)).await.unwrap();
    let requests = op.requests("/revoke");
    assert_eq!(requests.len(), 2);
    let mut jtis = Vec::new();
    for request in &requests {
        assert_eq!(request.header("authorization"), None);
        let form = request.form();
        assert_eq!(form["client_id"], CLIENT_ID);
        assert!(!form.contains_key("client_secret"));
        assert_eq!(
            form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        );
        let (_, claims) = support::verify_es256(&registered, &form["client_assertion"]);
        assert_eq!(claims["iss"], CLIENT_ID);
        assert_eq!(claims["sub"], CLIENT_ID);
        // DAN accepts its issuer at every endpoint (idp/src/client_auth.rs).
        assert_eq!(claims["aud"], op.issuer);
        jtis.push(claims["jti"].clone());
    }
    assert_ne!(jtis[0], jtis[1]);
}

#[tokio::test]
async fn a_refused_or_failed_revocation_is_reported_rfc7009_2_2_1() {
    let (op, _, rp) = provider().await;
    op.set(
        "/revoke",
        Reply::json(
            400,
            &json!({"error": "unauthorized_client", "error_description": "not yours"}),
        ),
    );
    let error = rp.revoke(&tokens(true)).await.unwrap_err();
    let LoginError::Token {
        error: code,
        description,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(code, "unauthorized_client");
    assert_eq!(description.as_deref(), Some("not yours"));
    assert!(!error.is_server_error());
    // The refresh token's revocation failed: the access token's is not attempted.
    assert_eq!(op.count("/revoke"), 1);
    op.set("/revoke", Reply::text(503, "text/plain", "down"));
    let error = rp.revoke(&tokens(false)).await.unwrap_err();
    assert!(matches!(error, LoginError::Unavailable(_)), "{error:?}");
    assert!(error.is_server_error());
}

#[tokio::test]
async fn revoke_without_a_revocation_endpoint_is_a_bad_discovery_rfc8414_2() {
    let op = FakeOp::start(&[]).await;
    op.set_discovery(&without(op.discovery(), "revocation_endpoint"));
    let rp = relying_party(&op, basic()).await;
    let error = rp.revoke(&tokens(true)).await.unwrap_err();
    assert!(matches!(error, LoginError::BadDiscovery(_)), "{error:?}");
    assert_eq!(op.count("/revoke"), 0);
}

// ---- RP-initiated logout ------------------------------------------------------------------

#[tokio::test]
async fn the_logout_url_carries_the_id_token_hint_client_redirect_and_state_rp_logout_2() {
    let signer = Signer::es256("dan-1");
    let op = FakeOp::start(&[&signer]).await;
    let config = rp_config(&op, basic()).post_logout_redirect_uri("https://benefits.example/bye");
    let rp = RelyingParty::discover(config).await.unwrap();
    let login = login(&rp, &op, &signer).await;
    let url = rp.logout_url(&login, Some("logout-state")).await.unwrap();
    assert_eq!(url.as_str().split('?').next().unwrap(), op.url("/logout"));
    let id_token = login.tokens.id_token.as_ref().unwrap().expose();
    assert_eq!(query(&url, "id_token_hint").unwrap(), id_token);
    assert_eq!(query(&url, "client_id").unwrap(), CLIENT_ID);
    assert_eq!(
        query(&url, "post_logout_redirect_uri").unwrap(),
        "https://benefits.example/bye"
    );
    assert_eq!(query(&url, "state").unwrap(), "logout-state");
}

#[tokio::test]
async fn without_a_post_logout_redirect_uri_the_logout_url_has_no_state_rp_logout_3() {
    let (op, signer, rp) = provider().await;
    let mut login: Login = login(&rp, &op, &signer).await;
    let url = rp.logout_url(&login, Some("logout-state")).await.unwrap();
    assert_eq!(query(&url, "client_id").unwrap(), CLIENT_ID);
    assert!(query(&url, "id_token_hint").is_some());
    assert_eq!(query(&url, "post_logout_redirect_uri"), None);
    assert_eq!(query(&url, "state"), None);
    login.tokens.id_token = None;
    let url = rp.logout_url(&login, None).await.unwrap();
    assert_eq!(query(&url, "id_token_hint"), None);
}

// ---- a relying party without network, and back-channel logout tokens ----------------------

const FIXED_ISSUER: &str = "https://dan.example";

fn fixed(signer: &Signer) -> RelyingParty {
    let url = |path: &str| Url::parse(&format!("{FIXED_ISSUER}{path}")).unwrap();
    let info = ProviderInfo {
        issuer: FIXED_ISSUER.into(),
        authorization_endpoint: url("/authorize"),
        token_endpoint: url("/token"),
        userinfo_endpoint: Some(url("/userinfo")),
        jwks_uri: url("/jwks"),
        revocation_endpoint: None,
        end_session_endpoint: None,
        iss_parameter_supported: true,
        acr_values_supported: vec!["low".into()],
    };
    let config = RelyingPartyConfig::new(FIXED_ISSUER, CLIENT_ID, REDIRECT_URI, basic());
    RelyingParty::with_provider(config, info, &jwks(&[signer])).unwrap()
}

#[tokio::test]
async fn with_provider_verifies_id_tokens_without_network_oidc_core_3_1_3_7() {
    let signer = Signer::rs256("dan-1");
    let rp = fixed(&signer);
    let token = signer.sign_id_token(&id_claims(FIXED_ISSUER, "n-1"));
    let claims = rp.verify_id_token(&token, Some("n-1")).await.unwrap();
    assert_eq!(claims.sub, SUB);
    assert_eq!(claims.claim("given_name"), Some("Bat"));
    assert!(rp.verify_id_token(&token, None).await.is_ok());
    assert_eq!(
        rp.verify_id_token(&token, Some("n-2")).await.unwrap_err(),
        VerifyError::NonceMismatch
    );
    let stranger = Signer::es256("stranger");
    let token = stranger.sign_id_token(&id_claims(FIXED_ISSUER, "n-1"));
    assert_eq!(
        rp.verify_id_token(&token, None).await.unwrap_err(),
        VerifyError::UnknownKey
    );
    let (url, _) = rp.authorization_url(&LoginRequest::new()).await.unwrap();
    assert!(url.as_str().starts_with("https://dan.example/authorize?"));
    let info = rp.provider().await.as_ref().clone();
    let config = rp.config().clone();
    let error = RelyingParty::with_provider(config, info, "{\"keys\": 1}").unwrap_err();
    assert!(
        matches!(error, LoginError::IdToken(VerifyError::BadJwks(_))),
        "{error:?}"
    );
}

fn logout_claims() -> Value {
    let now = unix_now();
    json!({
        "iss": FIXED_ISSUER, "aud": CLIENT_ID, "iat": now, "exp": now + 120,
        "jti": "logout-1", "sid": "dan-session-1", "sub": SUB,
        "events": { LOGOUT_EVENT: {} },
    })
}

async fn logout_refused(claims: Value) -> VerifyError {
    let signer = Signer::es256("dan-1");
    fixed(&signer)
        .verify_logout_token(&signer.sign_logout_token(&claims))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_valid_logout_token_verifies_once_oidc_backchannel_logout_2_6() {
    let signer = Signer::eddsa("dan-1");
    let rp = fixed(&signer);
    let token = signer.sign_logout_token(&logout_claims());
    let logout = rp.verify_logout_token(&token).await.unwrap();
    assert_eq!(logout.sid.as_deref(), Some("dan-session-1"));
    assert_eq!(logout.sub.as_deref(), Some(SUB));
    assert_eq!(logout.jti, "logout-1");
    assert_eq!(logout.iat, logout_claims()["iat"].as_i64().unwrap());
    assert_eq!(
        rp.verify_logout_token(&token).await.unwrap_err(),
        VerifyError::Replayed
    );
    // Another jti is another logout; sub or sid alone is enough.
    let only_sid = with(without(logout_claims(), "sub"), "jti", json!("logout-2"));
    let logout = rp
        .verify_logout_token(&signer.sign_logout_token(&only_sid))
        .await
        .unwrap();
    assert_eq!(logout.sub, None);
    let only_sub = with(without(logout_claims(), "sid"), "jti", json!("logout-3"));
    let logout = rp
        .verify_logout_token(&signer.sign_logout_token(&only_sub))
        .await
        .unwrap();
    assert_eq!(logout.sid, None);
}

#[tokio::test]
async fn a_logout_token_with_a_nonce_is_refused_oidc_backchannel_logout_2_4() {
    let error = logout_refused(with(logout_claims(), "nonce", json!("n-1"))).await;
    assert_eq!(error, VerifyError::NonceMismatch);
}

#[tokio::test]
async fn a_logout_token_without_the_logout_event_is_refused_oidc_backchannel_logout_2_4() {
    let error = logout_refused(without(logout_claims(), "events")).await;
    assert!(
        matches!(error, VerifyError::NotALogoutToken(_)),
        "{error:?}"
    );
    let other = with(logout_claims(), "events", json!({"urn:other:event": {}}));
    assert!(matches!(
        logout_refused(other).await,
        VerifyError::NotALogoutToken(_)
    ));
    let not_object = with(logout_claims(), "events", json!({ LOGOUT_EVENT: "yes" }));
    assert!(matches!(
        logout_refused(not_object).await,
        VerifyError::NotALogoutToken(_)
    ));
}

#[tokio::test]
async fn a_logout_token_without_sub_or_sid_is_refused_oidc_backchannel_logout_2_4() {
    let error = logout_refused(without(without(logout_claims(), "sub"), "sid")).await;
    assert!(
        matches!(error, VerifyError::NotALogoutToken(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_id_token_cannot_pass_for_a_logout_token_oidc_backchannel_logout_2_6() {
    let signer = Signer::es256("dan-1");
    let rp = fixed(&signer);
    for typ in [Some("JWT"), Some("at+jwt"), None] {
        let token = signer.sign_with(&signer.header_typed(typ), &logout_claims());
        assert_eq!(
            rp.verify_logout_token(&token).await.unwrap_err(),
            VerifyError::WrongType
        );
    }
    let token = signer.sign_with(
        &signer.header_typed(Some("application/logout+jwt")),
        &logout_claims(),
    );
    assert!(rp.verify_logout_token(&token).await.is_ok());
}

#[tokio::test]
async fn an_expired_logout_token_is_refused_oidc_backchannel_logout_2_6() {
    let now = unix_now();
    let claims = with(
        with(logout_claims(), "exp", json!(now - 60)),
        "iat",
        json!(now - 300),
    );
    assert_eq!(logout_refused(claims).await, VerifyError::Expired);
}

#[tokio::test]
async fn a_logout_token_for_another_client_or_issuer_is_refused_oidc_backchannel_logout_2_6() {
    let error = logout_refused(with(logout_claims(), "aud", json!("other-service"))).await;
    assert_eq!(error, VerifyError::WrongAudience);
    let error = logout_refused(with(logout_claims(), "iss", json!("https://evil.example"))).await;
    assert_eq!(error, VerifyError::WrongIssuer);
    let error = logout_refused(without(logout_claims(), "jti")).await;
    assert_eq!(error, VerifyError::MissingClaim("jti"));
}
