//! The SDK against the real `idp` binary, on both backends: an e-service that authenticates
//! with `private_key_jwt` logs a citizen in, reads userinfo, refreshes, revokes and builds its
//! logout URL; an API verifies DAN's access tokens with `ResourceServer`, by signature and by
//! introspection; a level of assurance DAN cannot reach is never reported as reached.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dan_e2e::CITIZEN;
use dan_e2e::dan::{Backend, Deployment, Idp};
use dan_e2e::pages::{HttpBrowser, LoginFlow};
use dan_sdk::jwt::VerifyError;
use dan_sdk::relying_party::{
    Acr, Callback, ClientAuth, ClientKey, Login, LoginError, LoginRequest, PendingLogin,
    RelyingParty, RelyingPartyConfig,
};
use dan_sdk::resource_server::{ResourceServer, ResourceServerConfig};
use serde_json::Value;
use url::Url;

const REDIRECT: &str = "https://records.example/callback";
const LOGGED_OUT: &str = "https://records.example/logged-out";
const API: &str = "https://api.records.example";

/// Registers `records` with `private_key_jwt` and its key's JWKS; returns the key.
async fn register_private_key_client(deployment: &Deployment) -> ClientKey {
    let key = ClientKey::generate_es256("records-2026").unwrap();
    let jwks = deployment.dir().join("records.jwks.json");
    std::fs::write(&jwks, key.public_jwks().unwrap().to_string()).unwrap();
    let secret = deployment
        .add_client(&[
            "--id",
            "records",
            "--name-mn",
            "Бүртгэл",
            "--name-en",
            "Records",
            "--redirect-uri",
            REDIRECT,
            "--post-logout-uri",
            LOGGED_OUT,
            "--auth-method",
            "private_key_jwt",
            "--jwks-file",
            jwks.to_str().unwrap(),
            "--scope",
            "openid",
            "--scope",
            "profile",
            "--scope",
            "phone",
        ])
        .await;
    assert_eq!(secret, None, "private_key_jwt clients have no secret");
    key
}

/// Drives DAN's pages from the authorization URL to the callback: number, code, consent.
async fn citizen_logs_in(dan: &Idp, browser: &HttpBrowser, url: &Url) -> Callback {
    let (number, phone) = CITIZEN;
    let flow = LoginFlow::start(browser, url.as_str()).await;
    let seen = dan.outbox(phone).await.len();
    let sent = flow
        .post(browser, &dan.url, "number", &[("registry_number", number)])
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let code = dan.new_code(phone, seen).await;
    let entered = flow
        .post(browser, &dan.url, "code", &[("code", &code)])
        .await;
    assert_eq!(entered.status, 303, "{}", entered.body);
    let mut location = entered.location.unwrap();
    if location.starts_with("/login/") {
        let allowed = flow
            .post(browser, &dan.url, "consent", &[("decision", "allow")])
            .await;
        assert_eq!(allowed.status, 303, "{}", allowed.body);
        location = allowed.location.unwrap();
    }
    assert!(location.starts_with(REDIRECT), "{location}");
    let query = Url::parse(&location)
        .unwrap()
        .query()
        .unwrap_or_default()
        .to_owned();
    Callback::from_query(&query).unwrap()
}

async fn log_in(dan: &Idp, rp: &RelyingParty, request: &LoginRequest) -> (PendingLogin, Callback) {
    let (url, pending) = rp.authorization_url(request).await.unwrap();
    let callback = citizen_logs_in(dan, &HttpBrowser::new(), &url).await;
    (pending, callback)
}

async fn private_key_jwt_client_lifecycle(backend: Backend) {
    let Some(deployment) = Deployment::new(backend).await else {
        return;
    };
    let dan = deployment.start_node(&[]).await;
    let key = register_private_key_client(&deployment).await;
    let config = RelyingPartyConfig::new(
        &deployment.issuer,
        "records",
        REDIRECT,
        ClientAuth::PrivateKeyJwt(key),
    )
    .scope("profile")
    .scope("phone")
    .post_logout_redirect_uri(LOGGED_OUT);
    let rp = RelyingParty::discover(config).await.unwrap();

    let request = LoginRequest::new().acr(Acr::Low).ui_locale("en");
    let (pending, callback) = log_in(&dan, &rp, &request).await;
    let login: Login = rp.finish_login(&pending, &callback).await.unwrap();
    assert_eq!(login.claims.iss, deployment.issuer);
    assert_eq!(login.claims.level(), Some(Acr::Low));
    assert!(
        login.claims.amr.contains(&"sms".to_owned()),
        "{:?}",
        login.claims.amr
    );
    assert!(login.claims.auth_time.is_some());
    let kept: Login = serde_json::from_str(&serde_json::to_string(&login).unwrap()).unwrap();

    let info = rp.userinfo(&kept).await.unwrap();
    assert_eq!(info.sub, login.claims.sub);
    assert_eq!(info.claim("given_name"), Some("Демо-Бат"));
    assert_eq!(info.claim("phone_number"), Some(CITIZEN.1));

    // Refresh rotates; the old refresh token is spent.
    let refreshed = rp.refresh(&kept).await.unwrap();
    assert_eq!(refreshed.claims.sub, login.claims.sub);
    assert_ne!(refreshed.tokens.refresh_token, login.tokens.refresh_token);
    rp.userinfo(&refreshed).await.unwrap();

    // The logout URL names the session by its ID token and comes back to the e-service.
    let logout = rp.logout_url(&refreshed, Some("bye")).await.unwrap();
    let params: Vec<(String, String)> = logout.query_pairs().into_owned().collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(param("post_logout_redirect_uri"), Some(LOGGED_OUT));
    assert_eq!(param("state"), Some("bye"));
    assert!(param("id_token_hint").is_some());
    let followed = HttpBrowser::new().get(logout.as_str()).await;
    assert_eq!(
        followed.status, 303,
        "DAN accepts the logout request: {}",
        followed.body
    );
    assert_eq!(
        followed.location.as_deref(),
        Some(&*format!("{LOGGED_OUT}?state=bye"))
    );

    // Revocation ends both tokens (RFC 7009).
    rp.revoke(&refreshed.tokens).await.unwrap();
    let after = rp.userinfo(&refreshed).await.unwrap_err();
    assert!(
        matches!(after, LoginError::AccessTokenRefused(_)),
        "{after:?}"
    );
    let after = rp.refresh(&refreshed).await.unwrap_err();
    assert!(
        matches!(&after, LoginError::Token { error, .. } if error == "invalid_grant"),
        "{after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_key_jwt_eservice_logs_in_refreshes_revokes_and_logs_out_embedded() {
    private_key_jwt_client_lifecycle(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_key_jwt_eservice_logs_in_refreshes_revokes_and_logs_out_postgres_redis() {
    private_key_jwt_client_lifecycle(Backend::PostgresRedis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_dan_cannot_reach_is_never_reported_as_reached() {
    let deployment = Deployment::new(Backend::Embedded).await.unwrap();
    let dan = deployment.start_node(&[]).await;
    let key = register_private_key_client(&deployment).await;
    let config = RelyingPartyConfig::new(
        &deployment.issuer,
        "records",
        REDIRECT,
        ClientAuth::PrivateKeyJwt(key),
    );
    let rp = RelyingParty::discover(config).await.unwrap();
    let (url, pending) = rp
        .authorization_url(&LoginRequest::new().acr(Acr::High))
        .await
        .unwrap();
    let browser = HttpBrowser::new();
    let start = browser.get(url.as_str()).await;
    let callback = if start
        .location
        .as_deref()
        .is_some_and(|l| l.starts_with(REDIRECT))
    {
        // DAN answered at once (unmet_authentication_requirements).
        let location = Url::parse(start.location.as_deref().unwrap()).unwrap();
        Callback::from_query(location.query().unwrap_or_default()).unwrap()
    } else {
        citizen_logs_in(&dan, &browser, &url).await
    };
    let refused = rp.finish_login(&pending, &callback).await.unwrap_err();
    assert!(
        matches!(
            &refused,
            LoginError::Authorization { error, .. } if error == "unmet_authentication_requirements"
        ) || matches!(
            &refused,
            LoginError::IdToken(VerifyError::InsufficientAcr { required, .. }) if required == "high"
        ),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_verifies_dans_access_tokens_by_signature_and_by_introspection() {
    let deployment = Deployment::new(Backend::Embedded).await.unwrap();
    let dan = deployment.start_node(&[]).await;
    let caller = deployment
        .add_client(&[
            "--id",
            "payroll-batch",
            "--name-mn",
            "Цалин",
            "--name-en",
            "Payroll",
            "--grant-type",
            "client_credentials",
            "--public-subject",
            "--scope",
            "benefits:read",
            "--audience",
            API,
        ])
        .await
        .unwrap();
    let api_secret = deployment
        .add_client(&[
            "--id",
            "records-api",
            "--name-mn",
            "API",
            "--name-en",
            "API",
            "--grant-type",
            "client_credentials",
            "--public-subject",
            "--audience",
            API,
        ])
        .await
        .unwrap();
    let issued: Value = reqwest::Client::new()
        .post(dan.at("/token"))
        .basic_auth("payroll-batch", Some(&caller))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "benefits:read"),
            ("resource", API),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issued["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("a token: {issued}"));

    let server = ResourceServer::new(
        ResourceServerConfig::new(&deployment.issuer, API).require_scope("benefits:read"),
    )
    .unwrap();
    let access = server.verify(token).await.unwrap();
    assert_eq!(access.client_id, "payroll-batch");
    assert!(access.has_scope("benefits:read"));

    let other = ResourceServer::new(ResourceServerConfig::new(
        &deployment.issuer,
        "https://other.example",
    ))
    .unwrap();
    assert_eq!(
        other.verify(token).await.unwrap_err(),
        VerifyError::WrongAudience
    );

    let introspected = server
        .introspect(token, "records-api", &api_secret)
        .await
        .unwrap();
    assert!(introspected.active, "{introspected:?}");
}
