//! Verifying DAN access tokens in an API (a resource server).
//!
//! DAN's access tokens are JWTs (RFC 9068) signed with ES256, RS256 or EdDSA.
//! [`ResourceServer::verify`] checks one completely, in this order, each failure with its own
//! [`VerifyError`]: size, compact form, `alg`, `typ` (`at+jwt`), `kid` against the issuer's
//! JWKS, that the key's type matches `alg`, the signature, then the claims `iss`, `aud`,
//! `exp`, `nbf`/`iat` and the required scopes. It returns a typed [`AccessToken`].
//!
//! The issuer's keys are fetched when first needed and kept as long as the JWKS response's
//! `Cache-Control: max-age` allows (60 s to 1 day; 300 s if unsaid). A token signed with a
//! key the cache does not know triggers one early refresh, at most once per
//! [`ResourceServerConfig::min_refresh_interval`], so a flood of forged `kid`s cannot make
//! the server hammer DAN. Concurrent refreshes are coalesced into one request.
//!
//! [`ResourceServer::introspect`] asks DAN instead (RFC 7662), for opaque tokens or when a
//! revoked token must be refused before it expires. With the `poem` feature, `Bearer`
//! extracts and verifies the token of a poem request.
//!
//! ```no_run
//! use dan_sdk::resource_server::{ResourceServer, ResourceServerConfig};
//!
//! # async fn handle(authorization_header: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let config = ResourceServerConfig::new("https://dan.example", "https://api.agency.example")
//!     .require_scope("benefits:read");
//! let server = ResourceServer::new(config)?;
//! let token = authorization_header.strip_prefix("Bearer ").unwrap_or_default();
//! match server.verify(token).await {
//!     Ok(access) => println!("request for {} by {}", access.sub, access.client_id),
//!     Err(refused) => println!("refused: {refused}"),
//! }
//! # Ok(())
//! # }
//! ```

mod claims;
mod introspection;
#[cfg(feature = "poem")]
mod poem;

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

pub use self::claims::AccessToken;
pub use self::introspection::IntrospectionResponse;
#[cfg(feature = "poem")]
pub use self::poem::Bearer;
use crate::jwt;
use crate::jwt::cache::KeyCache;
use crate::jwt::keys::KeySet;
pub use crate::jwt::{MAX_TOKEN_BYTES, VerifyError};

/// What a resource server accepts. Start from [`ResourceServerConfig::new`]; the defaults are
/// the safe ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceServerConfig {
    /// The issuer, exactly as in DAN's discovery document and the tokens' `iss`.
    pub issuer: String,
    /// This API's audience: a token's `aud` must contain it.
    pub audience: String,
    /// Where the issuer's keys are; `{issuer}/jwks` when `None`.
    pub jwks_uri: Option<String>,
    /// The introspection endpoint; `{issuer}/introspect` when `None`.
    pub introspection_endpoint: Option<String>,
    /// Scopes every token must have.
    pub required_scopes: Vec<String>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat` (default 30 s).
    pub leeway: Duration,
    /// The shortest time between two JWKS refreshes caused by unknown `kid`s (default 30 s).
    pub min_refresh_interval: Duration,
}

impl ResourceServerConfig {
    /// A configuration for tokens from `issuer` meant for `audience`, with no required scope,
    /// 30 s of leeway and JWKS refreshes at most every 30 s.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_uri: None,
            introspection_endpoint: None,
            required_scopes: Vec::new(),
            leeway: Duration::from_secs(30),
            min_refresh_interval: Duration::from_secs(30),
        }
    }

    /// Fetches keys from `uri` instead of `{issuer}/jwks`.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// Introspects at `uri` instead of `{issuer}/introspect`.
    pub fn introspection_endpoint(mut self, uri: impl Into<String>) -> Self {
        self.introspection_endpoint = Some(uri.into());
        self
    }

    /// Requires `scope` in every token.
    pub fn require_scope(mut self, scope: impl Into<String>) -> Self {
        self.required_scopes.push(scope.into());
        self
    }

    /// Sets the tolerated clock skew.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Sets the shortest time between two refreshes caused by unknown `kid`s.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }

    fn endpoint(&self, chosen: &Option<String>, path: &str) -> String {
        chosen
            .clone()
            .unwrap_or_else(|| format!("{}{path}", self.issuer.trim_end_matches('/')))
    }

    fn validate(&self) -> Result<(), VerifyError> {
        if self.issuer.is_empty() {
            return Err(VerifyError::InvalidConfig("issuer is empty"));
        }
        if self.audience.is_empty() {
            return Err(VerifyError::InvalidConfig("audience is empty"));
        }
        for uri in [
            self.endpoint(&self.jwks_uri, "/jwks"),
            self.endpoint(&self.introspection_endpoint, "/introspect"),
        ] {
            match url::Url::parse(&uri) {
                Ok(url) if crate::http::is_trusted_transport(&url) => {}
                _ => {
                    return Err(VerifyError::InvalidConfig(
                        "the JWKS and introspection URIs must be https URLs (http on loopback)",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Verifies DAN access tokens. Build one per API and share it (it is `Send + Sync`; put it in
/// an `Arc`): it holds the JWKS cache.
pub struct ResourceServer {
    config: ResourceServerConfig,
    http: reqwest::Client,
    keys: KeyCache,
}

impl std::fmt::Debug for ResourceServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceServer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ResourceServer {
    /// A resource server that fetches the issuer's keys from its JWKS URI when first needed.
    pub fn new(config: ResourceServerConfig) -> Result<Self, VerifyError> {
        config.validate()?;
        let http = http_client()?;
        let keys = KeyCache::remote(
            http.clone(),
            config.endpoint(&config.jwks_uri, "/jwks"),
            config.min_refresh_interval,
        );
        Ok(Self { config, http, keys })
    }

    /// A resource server with fixed keys, given as a JWK Set document: it never fetches keys
    /// (for tests and air-gapped deployments). Keys it cannot use are skipped.
    pub fn with_jwks(config: ResourceServerConfig, jwks_json: &str) -> Result<Self, VerifyError> {
        config.validate()?;
        let keys = KeyCache::fixed(KeySet::parse(jwks_json.as_bytes())?);
        Ok(Self {
            config,
            http: http_client()?,
            keys,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ResourceServerConfig {
        &self.config
    }

    /// Fetches the issuer's keys now, whatever the cache holds (no-op for fixed keys).
    pub async fn refresh_keys(&self) -> Result<(), VerifyError> {
        self.keys.refresh().await
    }

    /// Verifies an access token (the part after `Bearer `) at the current time.
    pub async fn verify(&self, token: &str) -> Result<AccessToken, VerifyError> {
        self.verify_at(token, SystemTime::now()).await
    }

    /// Verifies an access token as if the time were `now`.
    pub async fn verify_at(
        &self,
        token: &str,
        now: SystemTime,
    ) -> Result<AccessToken, VerifyError> {
        let claims = jwt::verify_signed(token, &self.keys, |typ| {
            typ.is_some_and(|typ| jwt::is_type(typ, "at+jwt"))
        })
        .await?;
        self.check_claims(claims, now)
    }

    fn check_claims(
        &self,
        claims: Map<String, Value>,
        now: SystemTime,
    ) -> Result<AccessToken, VerifyError> {
        let (token, nbf) = AccessToken::from_claims(claims)?;
        if token.iss != self.config.issuer {
            return Err(VerifyError::WrongIssuer);
        }
        if !token.aud.contains(&self.config.audience) {
            return Err(VerifyError::WrongAudience);
        }
        let now = jwt::unix_seconds(now);
        let leeway = i64::try_from(self.config.leeway.as_secs()).unwrap_or(i64::MAX);
        if now >= token.exp.saturating_add(leeway) {
            return Err(VerifyError::Expired);
        }
        let not_before = nbf.unwrap_or(i64::MIN).max(token.iat);
        if not_before > now.saturating_add(leeway) {
            return Err(VerifyError::NotYetValid);
        }
        let missing: Vec<String> = self
            .config
            .required_scopes
            .iter()
            .filter(|s| !token.has_scope(s))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(VerifyError::InsufficientScope { missing });
        }
        Ok(token)
    }
}

fn http_client() -> Result<reqwest::Client, VerifyError> {
    crate::http::client().map_err(|_| VerifyError::InvalidConfig("the HTTP client cannot be built"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_is_validated() {
        let bad = [
            ResourceServerConfig::new("", "api"),
            ResourceServerConfig::new("https://dan.example", ""),
            ResourceServerConfig::new("https://dan.example", "api").jwks_uri("file:///etc/keys"),
            ResourceServerConfig::new("not a url", "api"),
        ];
        for config in bad {
            assert!(matches!(
                ResourceServer::new(config),
                Err(VerifyError::InvalidConfig(_))
            ));
        }
        let server = ResourceServer::new(ResourceServerConfig::new("https://dan.example/", "api"));
        assert!(server.is_ok());
    }
}
