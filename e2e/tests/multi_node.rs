//! Two `idp` nodes on different ports sharing PostgreSQL and Redis, as production runs them
//! behind a load balancer: a login started on one completes on the other, a code redeemed on
//! one cannot be replayed on the other (and the replay revokes what it produced, everywhere),
//! and a refresh token issued by one is rotated by the other, its reuse detected by the first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use dan_e2e::CITIZEN;
use dan_e2e::dan::{Backend, Deployment, Idp};
use dan_e2e::pages::{HttpBrowser, LoginFlow};
use dan_sdk::relying_party::{
    Callback, ClientAuth, LoginError, LoginRequest, RelyingParty, RelyingPartyConfig, Secret,
};
use url::Url;

const REDIRECT: &str = "https://benefits.example/callback";

/// A relying party that sends its back-channel requests (token, userinfo, JWKS) to `node`,
/// as an e-service behind the load balancer would reach any node.
async fn relying_party_on(node: &Idp, config: &RelyingPartyConfig) -> RelyingParty {
    let discovered = RelyingParty::discover(config.clone()).await.unwrap();
    let mut info = (*discovered.provider().await).clone();
    let on_node = |url: &Url| Url::parse(&node.at(url.path())).unwrap();
    info.token_endpoint = on_node(&info.token_endpoint);
    info.jwks_uri = on_node(&info.jwks_uri);
    info.userinfo_endpoint = info.userinfo_endpoint.as_ref().map(on_node);
    info.revocation_endpoint = info.revocation_endpoint.as_ref().map(on_node);
    let jwks = reqwest::get(info.jwks_uri.clone())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    RelyingParty::with_provider(config.clone(), info, &jwks).unwrap()
}

/// The callback parameters of a redirect to the e-service.
fn callback_of(location: &str) -> Callback {
    assert!(
        location.starts_with(REDIRECT),
        "back at the e-service: {location}"
    );
    let url = Url::parse(location).unwrap();
    Callback::from_query(url.query().unwrap_or_default()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_codes_and_refresh_tokens_move_freely_between_two_nodes() {
    let Some(deployment) = Deployment::new(Backend::PostgresRedis).await else {
        return;
    };
    let one = deployment.start_node(&[]).await;
    let two = deployment.start_node(&[]).await;
    assert_ne!(one.url, two.url);
    let secret = deployment
        .add_client(&[
            "--id",
            "benefits-portal",
            "--name-mn",
            "Тэтгэмж",
            "--name-en",
            "Benefits",
            "--redirect-uri",
            REDIRECT,
            "--scope",
            "openid",
            "--scope",
            "profile",
        ])
        .await
        .unwrap();
    let config = RelyingPartyConfig::new(
        &deployment.issuer,
        "benefits-portal",
        REDIRECT,
        ClientAuth::SecretBasic(Secret::new(secret)),
    )
    .scope("profile");
    let via_one = relying_party_on(&one, &config).await;
    let via_two = relying_party_on(&two, &config).await;

    // Started on node one (authorize, number, SMS), finished on node two (code, consent).
    let (number, phone) = CITIZEN;
    let browser = HttpBrowser::new();
    let (url, pending) = via_one
        .authorization_url(&LoginRequest::new())
        .await
        .unwrap();
    let flow = LoginFlow::start(&browser, url.as_str()).await;
    let seen = one.outbox(phone).await.len();
    let sent = flow
        .post(&browser, &one.url, "number", &[("registry_number", number)])
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let code = one.new_code(phone, seen).await;
    let entered = flow
        .post(&browser, &two.url, "code", &[("code", &code)])
        .await;
    assert_eq!(
        entered.status, 303,
        "node two takes node one's login: {}",
        entered.body
    );
    let consent_page = browser
        .get(&two.at(entered.location.as_deref().unwrap()))
        .await;
    assert_eq!(consent_page.status, 200, "{}", consent_page.body);
    let allowed = flow
        .post(&browser, &two.url, "consent", &[("decision", "allow")])
        .await;
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    let callback = callback_of(allowed.location.as_deref().unwrap());

    // The code is redeemed on node two; the same code on node one is refused, and that
    // replay revokes the tokens node two issued (RFC 6749 4.1.2).
    let login = via_two.finish_login(&pending, &callback).await.unwrap();
    assert_eq!(login.claims.acr.as_deref(), Some("low"));
    via_one.userinfo(&login).await.unwrap();
    let replayed = via_one.finish_login(&pending, &callback).await.unwrap_err();
    assert!(
        matches!(&replayed, LoginError::Token { error, .. } if error == "invalid_grant"),
        "{replayed:?}"
    );
    let revoked = via_two.userinfo(&login).await.unwrap_err();
    assert!(
        matches!(revoked, LoginError::AccessTokenRefused(_)),
        "the replay revoked the access token on every node: {revoked:?}"
    );
    let refreshed = via_two.refresh(&login).await.unwrap_err();
    assert!(
        matches!(&refreshed, LoginError::Token { error, .. } if error == "invalid_grant"),
        "the replay revoked the refresh token: {refreshed:?}"
    );

    // A second login, by single sign-on through node two, redeemed on node one.
    let (url, pending) = via_one
        .authorization_url(&LoginRequest::new())
        .await
        .unwrap();
    let on_two = url.as_str().replacen(&deployment.issuer, &two.url, 1);
    let sso = browser.get(&on_two).await;
    assert_eq!(sso.status, 303, "{}", sso.body);
    let login = via_one
        .finish_login(&pending, &callback_of(sso.location.as_deref().unwrap()))
        .await
        .unwrap();
    assert!(
        login.claims.sid.is_some(),
        "the ID token names DAN's session"
    );

    // Issued by node one, rotated by node two; the spent token replayed on node one is
    // detected and revokes the family, including node two's new token.
    let rotated = via_two.refresh(&login).await.unwrap();
    assert_ne!(
        rotated.tokens.refresh_token, login.tokens.refresh_token,
        "the refresh token rotates"
    );
    via_one.userinfo(&rotated).await.unwrap();
    let reused = via_one.refresh(&login).await.unwrap_err();
    assert!(
        matches!(&reused, LoginError::Token { error, .. } if error == "invalid_grant"),
        "{reused:?}"
    );
    let family = via_two.refresh(&rotated).await.unwrap_err();
    assert!(
        matches!(&family, LoginError::Token { error, .. } if error == "invalid_grant"),
        "reuse revoked the whole family: {family:?}"
    );
}
