//! An independent relying-party library drives DAN, on the embedded default and on PostgreSQL +
//! Redis: the `openidconnect` crate (ramosbugs/openidconnect-rs, the Rust ecosystem's standard
//! OpenID Connect client, written to the spec's validation steps) discovers the provider,
//! sends the authorization request with PKCE,
//! state and nonce of its own making, redeems the code, verifies the ID token by its own rules
//! (OIDC Core 3.1.3.7), reads userinfo and refreshes. A library that has never seen DAN's code
//! accepting every response is the evidence that DAN speaks OpenID Connect, not just agrees with
//! its own tests.
//!
//! The login pages in between are driven by the harness's [`log_in`], as in `oidc.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use idp::jose::Algorithm;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreIdTokenClaims,
    CoreIdTokenVerifier, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreTokenResponse,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse,
};
use support::server::{Browser, TestServer, confidential_client, log_in, query_of};

const RP: &str = "https://rp.example/cb";

/// A client as `CoreClient::from_provider_metadata` builds it: the authorization endpoint is
/// known, the token and userinfo endpoints are whatever discovery said.
type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A relying party built the way the library's documentation says, registered at DAN as a
/// confidential `client_secret_basic` client whose ID tokens are signed with `alg`.
struct LibraryRp {
    client: DiscoveredClient,
    alg: CoreJwsSigningAlgorithm,
    /// The library's HTTP client; redirects off, as the library recommends (SSRF).
    http: reqwest::Client,
}

/// What one login through the library returned.
struct LoggedIn {
    tokens: CoreTokenResponse,
    nonce: Nonce,
}

impl LibraryRp {
    /// Registers `id` (ID tokens signed with `alg`, DAN's default when `None`) and builds the
    /// library's client from discovery (OIDC Discovery 1.0 section 4), which also fetches the JWKS.
    async fn register(server: &TestServer, id: &str, alg: Option<Algorithm>) -> Self {
        let (mut registered, secret) = confidential_client(id, RP);
        registered.id_token_signing_alg = alg;
        server.register(&registered).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        // An http issuer is accepted: the library checks only that the discovered `issuer`
        // equals the one asked for (OIDC Discovery 4.3), not the scheme.
        let issuer = IssuerUrl::new(server.base.clone()).unwrap();
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .expect("the library accepts DAN's discovery document and JWKS");
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(id.to_owned()),
            Some(ClientSecret::new(secret.expose().to_owned())),
        )
        .set_redirect_uri(RedirectUrl::new(RP.to_owned()).unwrap());
        let alg = match alg.unwrap_or(Algorithm::Es256) {
            Algorithm::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            Algorithm::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            Algorithm::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
        };
        Self { client, alg, http }
    }

    /// The library's ID token verifier, accepting only the algorithm this client registered
    /// (OIDC Core 3.1.3.7 step 7: "the algorithm sent by the Client in the
    /// id_token_signed_response_alg parameter during Registration"). Left alone, the library
    /// would accept every algorithm the discovery document lists.
    fn verifier(&self) -> CoreIdTokenVerifier<'_> {
        self.client
            .id_token_verifier()
            .set_allowed_algs([self.alg.clone()])
    }

    /// One login: the library's authorization URL (PKCE S256, state, nonce), the real login
    /// pages in a fresh browser, then the library's code exchange.
    async fn log_in(&self, server: &TestServer) -> LoggedIn {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        let location = log_in(server, &Browser::new(), url.as_str()).await;
        assert!(
            location.starts_with(RP),
            "the login ends at the client's redirect URI, not at {location}"
        );
        let response = query_of(&location);
        assert_eq!(
            response.get("state").map(String::as_str),
            Some(state.secret().as_str()),
            "the library's state comes back unchanged (RFC 6749 4.1.2)"
        );
        assert_eq!(
            response.get("iss"),
            Some(&server.base),
            "the response names the issuer (RFC 9207 section 2)"
        );
        let code = AuthorizationCode::new(response["code"].clone());
        let tokens = self
            .client
            .exchange_code(code)
            .expect("discovery gave a token endpoint")
            .set_pkce_verifier(verifier)
            .request_async(&self.http)
            .await
            .expect("the library redeems the code with client_secret_basic and PKCE");
        LoggedIn { tokens, nonce }
    }

    /// The ID token of `tokens`, verified by the library: signature by a JWKS key of the
    /// registered algorithm, `iss`, `aud`, `exp`, `iat` and the nonce check `nonce`.
    fn verified_claims<'t>(
        &self,
        tokens: &'t CoreTokenResponse,
        nonce: impl openidconnect::NonceVerifier,
    ) -> &'t CoreIdTokenClaims {
        let id_token = tokens.id_token().expect("an ID token for scope openid");
        let verifier = self.verifier();
        let claims = id_token
            .claims(&verifier, nonce)
            .unwrap_or_else(|e| panic!("the library rejects DAN's ID token: {e}"));
        // at_hash is optional in the code flow (OIDC Core 3.1.3.6); when present it must match.
        if let Some(at_hash) = claims.access_token_hash() {
            let expected = AccessTokenHash::from_token(
                tokens.access_token(),
                id_token.signing_alg().unwrap(),
                id_token.signing_key(&verifier).unwrap(),
            )
            .unwrap();
            assert_eq!(at_hash, &expected, "at_hash (OIDC Core 3.3.2.11)");
        }
        claims
    }

    /// Refreshes through the library.
    async fn refresh(
        &self,
        token: &RefreshToken,
    ) -> Result<CoreTokenResponse, CoreErrorResponseType> {
        match self
            .client
            .exchange_refresh_token(token)
            .expect("discovery gave a token endpoint")
            .request_async(&self.http)
            .await
        {
            Ok(tokens) => Ok(tokens),
            Err(RequestTokenError::ServerResponse(error)) => Err(error.error().clone()),
            Err(other) => panic!("the refresh failed outside OAuth: {other:?}"),
        }
    }
}

/// The authentication level and methods DAN asserts for an SMS login.
fn assert_sms_login(claims: &CoreIdTokenClaims) {
    assert_eq!(
        claims.auth_context_ref().map(|acr| acr.as_str()),
        Some("low"),
        "acr of an SMS one-time-code login"
    );
    let amr: Vec<&str> = claims
        .auth_method_refs()
        .expect("amr is present")
        .iter()
        .map(|m| m.as_str())
        .collect();
    assert_eq!(amr, ["sms", "otp"], "amr of an SMS one-time-code login");
}

async fn library_logs_in_verifies_the_es256_id_token_and_reads_userinfo_oidc_core_3_1(
    server: TestServer,
) {
    let rp = LibraryRp::register(&server, "rp-library", None).await;
    let LoggedIn { tokens, nonce } = rp.log_in(&server).await;
    let claims = rp.verified_claims(&tokens, &nonce);
    assert_eq!(claims.issuer().as_str(), server.base);
    assert_eq!(
        claims
            .audiences()
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        ["rp-library"]
    );
    assert_eq!(claims.nonce().map(Nonce::secret), Some(nonce.secret()));
    assert!(
        claims.auth_time().is_some(),
        "auth_time, which the library reads as a time"
    );
    assert_sms_login(claims);
    assert!(
        !claims.subject().as_str().contains("90010112"),
        "sub is pairwise, never the registry number"
    );
    // The library checks that userinfo's sub is the ID token's (OIDC Core 5.3.2).
    let userinfo: CoreUserInfoClaims = rp
        .client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .expect("discovery gave a userinfo endpoint")
        .request_async(&rp.http)
        .await
        .expect("the library accepts DAN's userinfo response");
    let given_name = userinfo.given_name().and_then(|name| name.get(None));
    assert_eq!(given_name.map(|n| n.as_str()), Some("Демо-Бат"));
}

async fn library_refresh_rotates_and_reuse_revokes_the_family_rfc9700_4_14_2(server: TestServer) {
    let rp = LibraryRp::register(&server, "rp-library", None).await;
    let LoggedIn { tokens, nonce } = rp.log_in(&server).await;
    let first = rp.verified_claims(&tokens, &nonce).clone();
    let old = tokens.refresh_token().expect("a refresh token").clone();

    let refreshed = rp.refresh(&old).await.expect("the first refresh succeeds");
    let new = refreshed
        .refresh_token()
        .expect("a rotated refresh token")
        .clone();
    assert_ne!(
        new.secret(),
        old.secret(),
        "the refresh token rotates (RFC 9700 4.14.2)"
    );
    if refreshed.id_token().is_some() {
        // OIDC Core 12.2: same iss, sub, aud and auth_time as the original; no nonce to check.
        let again = rp.verified_claims(&refreshed, |_: Option<&Nonce>| Ok(()));
        assert_eq!(again.issuer(), first.issuer());
        assert_eq!(again.subject(), first.subject());
        assert_eq!(again.audiences(), first.audiences());
        assert_eq!(again.auth_time(), first.auth_time());
    }

    assert_eq!(
        rp.refresh(&old).await.err(),
        Some(CoreErrorResponseType::InvalidGrant),
        "a rotated refresh token is refused (RFC 6749 5.2 invalid_grant)"
    );
    assert_eq!(
        rp.refresh(&new).await.err(),
        Some(CoreErrorResponseType::InvalidGrant),
        "reusing a rotated token revoked its whole family, the newest token too (RFC 9700 4.14.2)"
    );
}

async fn library_verifies_rs256_and_eddsa_id_tokens_of_clients_registered_for_them(
    server: TestServer,
) {
    for (id, alg) in [
        ("rp-rs256", Algorithm::Rs256),
        ("rp-eddsa", Algorithm::EdDsa),
    ] {
        let rp = LibraryRp::register(&server, id, Some(alg)).await;
        let LoggedIn { tokens, nonce } = rp.log_in(&server).await;
        let id_token = tokens.id_token().expect("an ID token");
        assert_eq!(
            id_token.signing_alg().unwrap(),
            &rp.alg,
            "{id}: signed with the registered id_token_signed_response_alg"
        );
        let claims = rp.verified_claims(&tokens, &nonce);
        assert_eq!(claims.audiences()[0].as_str(), id);
        assert_sms_login(claims);
    }
}

on_both_backends!(
    library_logs_in_verifies_the_es256_id_token_and_reads_userinfo_oidc_core_3_1,
    library_refresh_rotates_and_reuse_revokes_the_family_rfc9700_4_14_2,
    library_verifies_rs256_and_eddsa_id_tokens_of_clients_registered_for_them,
);
