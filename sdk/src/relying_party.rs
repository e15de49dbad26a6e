//! Logging citizens in to an e-service through DAN (OpenID Connect, authorization code flow
//! with PKCE).
//!
//! One [`RelyingParty`] per e-service, built once at start with [`RelyingParty::discover`] and
//! shared. A login has two halves:
//!
//! 1. [`RelyingParty::authorization_url`] gives the URL to send the browser to, and a
//!    [`PendingLogin`] (state, nonce, PKCE verifier) to keep in the e-service's session.
//! 2. At the redirect URI, [`RelyingParty::finish_login`] takes the pending login and the
//!    [`Callback`] parameters, checks `state` and `iss` (RFC 9207), redeems the code, verifies
//!    the ID token (signature against DAN's cached JWKS, `iss`, `aud`, `azp`, `exp`, `iat`,
//!    `nonce`, the level of assurance asked for, `auth_time` against `max_age`) and returns a
//!    typed [`Login`] that the e-service may keep in its session store.
//!
//! Then: [`RelyingParty::userinfo`], [`RelyingParty::refresh`], [`RelyingParty::revoke`],
//! [`RelyingParty::logout_url`] (RP-initiated logout) and
//! [`RelyingParty::verify_logout_token`] (back-channel logout).
//!
//! The discovery document is parsed with the `openidconnect` crate, which also builds the
//! authorization URL; the token endpoint is driven with the `oauth2` crate under it. ID tokens
//! are verified by the SDK's own JWS verifier (OpenSSL), the one the resource server uses, so
//! both share one rotation-aware key cache and run at the backend's native speed.
//!
//! ```no_run
//! use dan_sdk::relying_party::{
//!     Acr, Callback, ClientAuth, LoginRequest, RelyingParty, RelyingPartyConfig, Secret,
//! };
//!
//! # async fn example(query: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let config = RelyingPartyConfig::new(
//!     "https://dan.gov.mn",
//!     "benefits-portal",
//!     "https://benefits.gov.mn/callback",
//!     ClientAuth::SecretBasic(Secret::new("the secret DAN showed once")),
//! )
//! .scope("profile");
//! let rp = RelyingParty::discover(config).await?;
//!
//! // /login: send the browser to DAN, keep `pending` in the session.
//! let (url, pending) = rp.authorization_url(&LoginRequest::new().acr(Acr::Low)).await?;
//!
//! // /callback?code=...&state=...&iss=...
//! let login = rp.finish_login(&pending, &Callback::from_query(query)?).await?;
//! println!("{} logged in at {:?}", login.claims.sub, login.claims.acr);
//! # let _ = url;
//! # Ok(())
//! # }
//! ```

mod assertion;
mod discovery;
mod error;
mod login;
mod token_endpoint;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    AuthUrl, AuthenticationContextClass, ClientId, CsrfToken, IssuerUrl, JsonWebKeySet,
    LanguageTag, LoginHint, Nonce, PkceCodeChallenge, RedirectUrl, Scope,
};
use reqwest::header::{ACCEPT, AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::{Map, Value};
use url::Url;

pub use self::assertion::ClientKey;
use self::discovery::Discovery;
pub use self::discovery::ProviderInfo;
pub use self::error::LoginError;
pub use self::login::{
    Acr, Callback, IdTokenClaims, Login, LoginRequest, LogoutToken, PendingLogin, Prompt, Secret,
    Tokens, UserInfo,
};
use self::token_endpoint::TokenEndpoint;
use crate::http::{Fetch, read_capped};
use crate::jwt::cache::KeyCache;
use crate::jwt::claims::Claims;
use crate::jwt::keys::KeySet;
use crate::jwt::{self, VerifyError, unix_seconds};

/// The back-channel logout event (OIDC Back-Channel Logout 1.0, 2.4).
const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The largest userinfo response read.
const MAX_USERINFO_BYTES: usize = 64 * 1024;
/// How many logout-token ids are remembered to refuse replays.
const MAX_REMEMBERED_LOGOUTS: usize = 10_000;

/// How the e-service authenticates to DAN's token endpoint; it must be the method it
/// registered.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// `client_secret_basic`: the secret in an HTTP Basic header (RFC 6749 2.3.1).
    SecretBasic(Secret),
    /// `client_secret_post`: the secret in the form body.
    SecretPost(Secret),
    /// `private_key_jwt`: a JWT signed with the e-service's key (OIDC Core 9), no shared secret.
    PrivateKeyJwt(ClientKey),
    /// `none`: a public client (a native app); PKCE alone protects the code.
    None,
}

/// An e-service's registration with DAN. Start from [`RelyingPartyConfig::new`]; the defaults
/// are what most e-services want.
#[derive(Clone, Debug)]
pub struct RelyingPartyConfig {
    /// DAN's issuer URL, exactly as its discovery document says (no trailing slash).
    pub issuer: String,
    /// The client id DAN registered.
    pub client_id: String,
    /// The redirect URI, byte for byte as registered.
    pub redirect_uri: String,
    /// The client authentication method, as registered.
    pub auth: ClientAuth,
    /// The scopes asked for in every login; `openid` is always included.
    pub scopes: Vec<String>,
    /// Where DAN sends the browser after logout (registered as a post-logout redirect URI).
    pub post_logout_redirect_uri: Option<String>,
    /// Clock skew tolerated on `exp`, `iat` and `auth_time`: 30 s by default.
    pub leeway: Duration,
    /// How long a pending login may wait for its callback: 10 minutes by default.
    pub pending_login_lifetime: Duration,
    /// The shortest time between two JWKS fetches caused by unknown `kid`s: 30 s by default.
    pub min_refresh_interval: Duration,
}

impl RelyingPartyConfig {
    /// A configuration with the defaults: scope `openid`, 30 s leeway, 10-minute pending logins.
    pub fn new(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        auth: ClientAuth,
    ) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            auth,
            scopes: vec!["openid".to_owned()],
            post_logout_redirect_uri: None,
            leeway: Duration::from_secs(30),
            pending_login_lifetime: Duration::from_secs(600),
            min_refresh_interval: Duration::from_secs(30),
        }
    }

    /// Adds a scope to every login (`profile`, `phone`, `address`, `national_id`, ...).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        let scope = scope.into();
        if !self.scopes.contains(&scope) {
            self.scopes.push(scope);
        }
        self
    }

    /// Sets the post-logout redirect URI.
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_logout_redirect_uri = Some(uri.into());
        self
    }

    fn validate(&self) -> Result<(), LoginError> {
        let web_url = |value: &str| {
            Url::parse(value)
                .ok()
                .filter(|u| matches!(u.scheme(), "https" | "http") && u.fragment().is_none())
        };
        if !Url::parse(&self.issuer).is_ok_and(|u| crate::http::is_trusted_transport(&u)) {
            return Err(LoginError::InvalidConfig(
                "the issuer must be an https URL (http only on loopback, for development)",
            ));
        }
        if self.client_id.is_empty() {
            return Err(LoginError::InvalidConfig("the client id is empty"));
        }
        if web_url(&self.redirect_uri).is_none() {
            return Err(LoginError::InvalidConfig(
                "the redirect URI is not an http(s) URL without a fragment",
            ));
        }
        if let Some(uri) = &self.post_logout_redirect_uri
            && web_url(uri).is_none()
        {
            return Err(LoginError::InvalidConfig(
                "the post-logout redirect URI is not an http(s) URL",
            ));
        }
        if let ClientAuth::SecretBasic(secret) | ClientAuth::SecretPost(secret) = &self.auth
            && secret.expose().is_empty()
        {
            return Err(LoginError::InvalidConfig("the client secret is empty"));
        }
        Ok(())
    }
}

/// What an ID token must satisfy beyond its signature and DAN's issuer.
struct Expected<'a> {
    nonce: Option<&'a str>,
    acr: Option<Acr>,
    max_age: Option<u64>,
    now: SystemTime,
}

/// An e-service's client of DAN. Build one at start and share it (`Arc`); it caches the
/// discovery document and DAN's keys.
pub struct RelyingParty {
    config: RelyingPartyConfig,
    http: reqwest::Client,
    discovery: Discovery,
    keys: KeyCache,
    /// Logout-token ids already accepted, with their expiry, to refuse replays.
    logouts: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

impl RelyingParty {
    /// Fetches DAN's discovery document and prepares the key cache. Fails when DAN cannot be
    /// reached or its document is unusable, so a misconfiguration shows at start.
    pub async fn discover(config: RelyingPartyConfig) -> Result<Self, LoginError> {
        config.validate()?;
        let http = http_client()?;
        let discovery = Discovery::fetch(http.clone(), &config.issuer).await?;
        let jwks_uri = discovery.get().await.jwks_uri.to_string();
        let keys = KeyCache::remote(http.clone(), jwks_uri, config.min_refresh_interval);
        Ok(Self {
            config,
            http,
            discovery,
            keys,
            logouts: Mutex::new(HashMap::new()),
        })
    }

    /// A relying party with a fixed discovery document and fixed keys (a JWK Set document):
    /// it fetches neither (tests, benchmarks, air-gapped networks).
    pub fn with_provider(
        config: RelyingPartyConfig,
        info: ProviderInfo,
        jwks_json: &str,
    ) -> Result<Self, LoginError> {
        config.validate()?;
        if info.issuer != config.issuer {
            return Err(LoginError::InvalidConfig(
                "the provider information is for another issuer",
            ));
        }
        let keys = KeyCache::fixed(KeySet::parse(jwks_json.as_bytes())?);
        let http = http_client()?;
        Ok(Self {
            discovery: Discovery::fixed(http.clone(), info),
            config,
            http,
            keys,
            logouts: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &RelyingPartyConfig {
        &self.config
    }

    /// DAN's endpoints, from the cached discovery document.
    pub async fn provider(&self) -> std::sync::Arc<ProviderInfo> {
        self.discovery.get().await
    }

    /// The URL to send the browser to, and the pending login to keep until the callback.
    /// Every request has PKCE (S256), a fresh `state` and a fresh `nonce`.
    pub async fn authorization_url(
        &self,
        request: &LoginRequest,
    ) -> Result<(Url, PendingLogin), LoginError> {
        let info = self.discovery.get().await;
        let issuer = IssuerUrl::new(info.issuer.clone())
            .map_err(|_| LoginError::InvalidConfig("the issuer is not a URL"))?;
        let redirect = RedirectUrl::new(self.config.redirect_uri.clone())
            .map_err(|_| LoginError::InvalidConfig("the redirect URI is not a URL"))?;
        let client = CoreClient::new(
            ClientId::new(self.config.client_id.clone()),
            issuer,
            JsonWebKeySet::default(),
        )
        .set_auth_uri(AuthUrl::from_url(info.authorization_endpoint.clone()))
        .set_redirect_uri(redirect);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut auth = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        let mut scopes = vec!["openid".to_owned()];
        for scope in self.config.scopes.iter().chain(&request.scopes) {
            if !scopes.contains(scope) {
                auth = auth.add_scope(Scope::new(scope.clone()));
                scopes.push(scope.clone());
            }
        }
        if let Some(level) = request.acr {
            auth = auth
                .add_auth_context_value(AuthenticationContextClass::new(level.as_str().to_owned()));
        }
        for locale in &request.ui_locales {
            auth = auth.add_ui_locale(LanguageTag::new(locale.clone()));
        }
        if let Some(hint) = &request.login_hint {
            auth = auth.set_login_hint(LoginHint::new(hint.clone()));
        }
        if let Some(prompt) = request.prompt {
            auth = auth.add_prompt(match prompt {
                Prompt::None => CoreAuthPrompt::None,
                Prompt::Login => CoreAuthPrompt::Login,
                Prompt::Consent => CoreAuthPrompt::Consent,
            });
        }
        if let Some(max_age) = request.max_age {
            auth = auth.set_max_age(max_age);
        }
        let (url, state, nonce) = auth.url();
        let pending = PendingLogin {
            state: Secret::new(state.secret().clone()),
            nonce: Secret::new(nonce.secret().clone()),
            code_verifier: Secret::new(verifier.secret().clone()),
            acr: request.acr,
            max_age: request.max_age.map(|d| d.as_secs()),
            scopes,
            started_at: unix_seconds(SystemTime::now()),
        };
        Ok((url, pending))
    }

    /// Completes a login at the redirect URI: checks the callback against the pending login,
    /// redeems the code and verifies the ID token. The pending login must not be used again.
    pub async fn finish_login(
        &self,
        pending: &PendingLogin,
        callback: &Callback,
    ) -> Result<Login, LoginError> {
        let now = SystemTime::now();
        let age = unix_seconds(now).saturating_sub(pending.started_at);
        if age > i64::try_from(self.config.pending_login_lifetime.as_secs()).unwrap_or(i64::MAX) {
            return Err(LoginError::PendingLoginExpired);
        }
        let state_matches = callback.state.as_deref().is_some_and(|state| {
            let expected = pending.state.expose().as_bytes();
            state.len() == expected.len() && openssl::memcmp::eq(state.as_bytes(), expected)
        });
        if !state_matches {
            return Err(LoginError::StateMismatch);
        }
        let info = self.discovery.get().await;
        match callback.iss.as_deref() {
            Some(iss) if iss == info.issuer => {}
            None if !info.iss_parameter_supported => {}
            _ => return Err(LoginError::IssuerMismatch),
        }
        if let Some(error) = &callback.error {
            return Err(LoginError::Authorization {
                error: error.clone(),
                description: callback.error_description.clone(),
            });
        }
        let code = callback.code.as_deref().ok_or(LoginError::MissingCode)?;
        let mut tokens = self
            .token_endpoint(&info)
            .exchange_code(code, &pending.code_verifier)
            .await?;
        let id_token = tokens.id_token.as_ref().ok_or(LoginError::MissingIdToken)?;
        let expected = Expected {
            nonce: Some(pending.nonce.expose()),
            acr: pending.acr,
            max_age: pending.max_age,
            now,
        };
        let claims = self.check_id_token(id_token.expose(), &expected).await?;
        if tokens.scopes.is_empty() {
            // RFC 6749 5.1: no scope in the answer means the scopes asked for.
            tokens.scopes = pending.scopes.clone();
        }
        Ok(Login { claims, tokens })
    }

    /// Verifies an ID token issued to this e-service (OIDC Core 3.1.3.7): signature, `iss`,
    /// `aud`, `azp`, `exp`, `iat`, and the `nonce` when one is given.
    pub async fn verify_id_token(
        &self,
        id_token: &str,
        nonce: Option<&str>,
    ) -> Result<IdTokenClaims, VerifyError> {
        let expected = Expected {
            nonce,
            acr: None,
            max_age: None,
            now: SystemTime::now(),
        };
        self.check_id_token(id_token, &expected).await
    }

    async fn check_id_token(
        &self,
        id_token: &str,
        expected: &Expected<'_>,
    ) -> Result<IdTokenClaims, VerifyError> {
        // ID tokens are typed JWT or not at all; at+jwt and logout+jwt are other kinds.
        let claims = jwt::verify_signed(id_token, &self.keys, |typ| {
            typ.is_none_or(|typ| jwt::is_type(typ, "jwt"))
        })
        .await?;
        let (claims, nonce) = IdTokenClaims::read(claims)?;
        self.check_issued_to_us(&claims.iss, &claims.aud, claims.azp.as_deref())?;
        let now = unix_seconds(expected.now);
        let leeway = i64::try_from(self.config.leeway.as_secs()).unwrap_or(i64::MAX);
        if now >= claims.exp.saturating_add(leeway) {
            return Err(VerifyError::Expired);
        }
        if claims.iat > now.saturating_add(leeway) {
            return Err(VerifyError::NotYetValid);
        }
        if let Some(wanted) = expected.nonce {
            let matches = nonce.as_deref().is_some_and(|nonce| {
                nonce.len() == wanted.len()
                    && openssl::memcmp::eq(nonce.as_bytes(), wanted.as_bytes())
            });
            if !matches {
                return Err(VerifyError::NonceMismatch);
            }
        }
        if let Some(required) = expected.acr
            && claims.level().is_none_or(|got| got < required)
        {
            return Err(VerifyError::InsufficientAcr {
                required: required.as_str().to_owned(),
                got: claims.acr.clone(),
            });
        }
        if let Some(max_age) = expected.max_age {
            let max_age = i64::try_from(max_age).unwrap_or(i64::MAX);
            let fresh = claims
                .auth_time
                .is_some_and(|at| at.saturating_add(max_age).saturating_add(leeway) >= now);
            if !fresh {
                return Err(VerifyError::AuthenticationTooOld);
            }
        }
        Ok(claims)
    }

    /// `iss` is DAN, `aud` contains this client, and `azp`, when present or needed because of
    /// several audiences, is this client (OIDC Core 3.1.3.7 steps 2-5).
    fn check_issued_to_us(
        &self,
        iss: &str,
        aud: &[String],
        azp: Option<&str>,
    ) -> Result<(), VerifyError> {
        if iss != self.config.issuer {
            return Err(VerifyError::WrongIssuer);
        }
        let client_id = self.config.client_id.as_str();
        if !aud.iter().any(|a| a == client_id) {
            return Err(VerifyError::WrongAudience);
        }
        if (aud.len() > 1 || azp.is_some()) && azp != Some(client_id) {
            return Err(VerifyError::WrongAuthorizedParty);
        }
        Ok(())
    }

    /// The citizen's claims from DAN's userinfo endpoint (OIDC Core 5.3), checked to be about
    /// the logged-in subject.
    pub async fn userinfo(&self, login: &Login) -> Result<UserInfo, LoginError> {
        let info = self.discovery.get().await;
        let Some(endpoint) = &info.userinfo_endpoint else {
            return Err(LoginError::BadDiscovery(
                "it has no userinfo_endpoint".to_owned(),
            ));
        };
        let token = login.tokens.access_token.expose();
        let response = self
            .http
            .get(endpoint.clone())
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| LoginError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            let challenge = response
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("no WWW-Authenticate")
                .chars()
                .take(200)
                .collect();
            return Err(LoginError::AccessTokenRefused(challenge));
        }
        if !status.is_success() {
            return Err(LoginError::Unavailable(format!(
                "userinfo: HTTP status {status}"
            )));
        }
        let body =
            read_capped(response, MAX_USERINFO_BYTES)
                .await
                .map_err(|failure| match failure {
                    Fetch::Unavailable(reason) => LoginError::Unavailable(reason),
                    Fetch::TooLarge => {
                        LoginError::BadResponse("the userinfo response is too large".to_owned())
                    }
                })?;
        let mut claims: Map<String, Value> = serde_json::from_slice(&body).map_err(|_| {
            LoginError::BadResponse("the userinfo response is not a JSON object".to_owned())
        })?;
        let Some(Value::String(sub)) = claims.remove("sub") else {
            return Err(LoginError::BadResponse(
                "the userinfo response has no sub".to_owned(),
            ));
        };
        if sub != login.claims.sub {
            return Err(LoginError::SubjectMismatch);
        }
        Ok(UserInfo { sub, claims })
    }

    /// Refreshes a login's tokens (RFC 6749 6). DAN rotates the refresh token: keep the
    /// returned login, the old refresh token is spent (and using it again revokes the whole
    /// family). A new ID token must be about the same citizen (OIDC Core 12.2).
    pub async fn refresh(&self, login: &Login) -> Result<Login, LoginError> {
        let Some(refresh_token) = &login.tokens.refresh_token else {
            return Err(LoginError::NoRefreshToken);
        };
        let info = self.discovery.get().await;
        let mut tokens = self.token_endpoint(&info).refresh(refresh_token).await?;
        let claims = match &tokens.id_token {
            Some(id_token) => {
                let expected = Expected {
                    nonce: None,
                    acr: None,
                    max_age: None,
                    now: SystemTime::now(),
                };
                let claims = self.check_id_token(id_token.expose(), &expected).await?;
                if claims.sub != login.claims.sub {
                    return Err(LoginError::SubjectMismatch);
                }
                // OIDC Core 12.2: auth_time stays the original authentication's.
                if claims.auth_time.is_some() && claims.auth_time != login.claims.auth_time {
                    return Err(LoginError::RefreshChangedIdToken("auth_time"));
                }
                claims
            }
            None => {
                tokens.id_token = login.tokens.id_token.clone();
                login.claims.clone()
            }
        };
        if tokens.refresh_token.is_none() {
            // RFC 6749 6: no new refresh token means the old one stays in use.
            tokens.refresh_token = login.tokens.refresh_token.clone();
        }
        if tokens.scopes.is_empty() {
            // RFC 6749 5.1: no scope in the answer means the scopes granted before.
            tokens.scopes = login.tokens.scopes.clone();
        }
        Ok(Login { claims, tokens })
    }

    /// Revokes a login's refresh token (and with it every token of its family) and its access
    /// token (RFC 7009), for example when the citizen logs out of the e-service only.
    pub async fn revoke(&self, tokens: &Tokens) -> Result<(), LoginError> {
        let info = self.discovery.get().await;
        let endpoint = self.token_endpoint(&info);
        if let Some(refresh) = &tokens.refresh_token {
            endpoint.revoke(refresh, "refresh_token").await?;
        }
        endpoint.revoke(&tokens.access_token, "access_token").await
    }

    /// The URL that ends the citizen's DAN session (OpenID Connect RP-Initiated Logout 1.0):
    /// with the ID token as hint, the configured post-logout redirect URI and `state`.
    pub async fn logout_url(&self, login: &Login, state: Option<&str>) -> Result<Url, LoginError> {
        let info = self.discovery.get().await;
        let Some(endpoint) = &info.end_session_endpoint else {
            return Err(LoginError::BadDiscovery(
                "it has no end_session_endpoint".to_owned(),
            ));
        };
        let mut url = endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            if let Some(hint) = &login.tokens.id_token {
                query.append_pair("id_token_hint", hint.expose());
            }
            query.append_pair("client_id", &self.config.client_id);
            if let Some(uri) = &self.config.post_logout_redirect_uri {
                query.append_pair("post_logout_redirect_uri", uri);
                if let Some(state) = state {
                    query.append_pair("state", state);
                }
            }
        }
        Ok(url)
    }

    /// Verifies a back-channel logout token that DAN POSTed to the e-service's back-channel
    /// logout URI (OIDC Back-Channel Logout 1.0, 2.6): signature, `typ` `logout+jwt`, `iss`,
    /// `aud`, `iat`, `exp`, the logout event, `sub` or `sid`, no `nonce`, and a `jti` not seen
    /// before by this relying party. Answer 200 when it verifies, 400 otherwise.
    pub async fn verify_logout_token(&self, token: &str) -> Result<LogoutToken, VerifyError> {
        let claims = jwt::verify_signed(token, &self.keys, |typ| {
            typ.is_some_and(|typ| jwt::is_type(typ, "logout+jwt"))
        })
        .await?;
        let mut c = Claims::new(claims);
        let iss = c.string("iss")?;
        let aud = c.audiences()?;
        let azp = c.optional_string("azp")?;
        self.check_issued_to_us(&iss, &aud, azp.as_deref())?;
        let iat = c.time("iat")?;
        let exp = c.time("exp")?;
        let jti = c.string("jti")?;
        let sub = c.optional_string("sub")?;
        let sid = c.optional_string("sid")?;
        if c.peek("nonce").is_some() {
            return Err(VerifyError::NonceMismatch);
        }
        let has_event = c
            .peek("events")
            .and_then(Value::as_object)
            .and_then(|events| events.get(LOGOUT_EVENT))
            .is_some_and(Value::is_object);
        if !has_event {
            return Err(VerifyError::NotALogoutToken("no back-channel logout event"));
        }
        if sub.is_none() && sid.is_none() {
            return Err(VerifyError::NotALogoutToken("neither sub nor sid"));
        }
        let now = unix_seconds(SystemTime::now());
        let leeway = i64::try_from(self.config.leeway.as_secs()).unwrap_or(i64::MAX);
        if now >= exp.saturating_add(leeway) {
            return Err(VerifyError::Expired);
        }
        if iat > now.saturating_add(leeway) {
            return Err(VerifyError::NotYetValid);
        }
        self.remember_logout(&jti, exp.saturating_add(leeway), now)?;
        Ok(LogoutToken { sub, sid, jti, iat })
    }

    /// Records a logout token's `jti` until it expires; a second one is a replay. When the
    /// memory is full, the entry that expires soonest makes room: a logout is never refused
    /// for want of space (the signature and `exp` still bound what a replay can do).
    fn remember_logout(&self, jti: &str, until: i64, now: i64) -> Result<(), VerifyError> {
        let mut seen = match self.logouts.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        seen.retain(|_, expires| *expires > now);
        if seen.contains_key(jti) {
            return Err(VerifyError::Replayed);
        }
        if seen.len() >= MAX_REMEMBERED_LOGOUTS {
            let soonest = seen
                .iter()
                .min_by_key(|(_, expires)| **expires)
                .map(|(id, _)| id.clone());
            if let Some(id) = soonest {
                seen.remove(&id);
            }
        }
        seen.insert(jti.to_owned(), until);
        Ok(())
    }

    fn token_endpoint<'a>(&'a self, info: &'a ProviderInfo) -> TokenEndpoint<'a> {
        TokenEndpoint {
            config: &self.config,
            info,
            http: &self.http,
        }
    }
}

fn http_client() -> Result<reqwest::Client, LoginError> {
    crate::http::client().map_err(|_| LoginError::InvalidConfig("the HTTP client cannot be built"))
}
