//! DAN's discovery document (OpenID Connect Discovery 1.0), fetched, checked and cached.
//!
//! The document is parsed with the `openidconnect` crate's `ProviderMetadata`, extended with
//! the endpoints DAN also publishes (revocation, RP-initiated logout, RFC 9207 `iss`). It is
//! kept for the response's `Cache-Control: max-age` (60 s to 1 day); when a refresh fails the
//! last good document stays in use and the next try waits 30 s, so a DAN hiccup neither stops
//! logins nor queues them behind fetches.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{AdditionalProviderMetadata, ProviderMetadata};
use serde::{Deserialize, Serialize};
use url::Url;

use super::LoginError;
use crate::http::{Fetch, get_capped};
use crate::jwt::cache::max_age;

/// How long a stale document is used after a failed refresh before trying again.
const RETRY_AFTER_FAILURE: std::time::Duration = std::time::Duration::from_secs(30);
/// The largest discovery document read.
const MAX_DISCOVERY_BYTES: usize = 256 * 1024;

/// What DAN publishes beyond OpenID Connect Discovery 1.0 itself.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct DanMetadata {
    /// RFC 7009 (RFC 8414 2).
    revocation_endpoint: Option<Url>,
    /// OpenID Connect RP-Initiated Logout 1.0, 2.1.
    end_session_endpoint: Option<Url>,
    /// RFC 9207 3.
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
}

impl AdditionalProviderMetadata for DanMetadata {}

/// The `openidconnect` crate's provider metadata, with [`DanMetadata`].
type DanProviderMetadata = ProviderMetadata<
    DanMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The endpoints and capabilities of DAN that the relying party uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderInfo {
    /// The issuer, exactly as ID tokens carry it.
    pub issuer: String,
    /// Where browsers are sent to log in.
    pub authorization_endpoint: Url,
    /// Where codes and refresh tokens are redeemed.
    pub token_endpoint: Url,
    /// Where claims are read with an access token.
    pub userinfo_endpoint: Option<Url>,
    /// DAN's public keys.
    pub jwks_uri: Url,
    /// Where tokens are revoked (RFC 7009).
    pub revocation_endpoint: Option<Url>,
    /// Where the logout starts (RP-Initiated Logout 1.0).
    pub end_session_endpoint: Option<Url>,
    /// Whether authorization responses carry `iss` (RFC 9207); if so, it is required.
    pub iss_parameter_supported: bool,
    /// The levels of assurance DAN can reach.
    pub acr_values_supported: Vec<String>,
}

impl ProviderInfo {
    /// Reads and checks a discovery document for `issuer` (OIDC Discovery 1.0, 4.3: the
    /// document's `issuer` must be exactly the one it was fetched for).
    pub(crate) fn parse(issuer: &str, body: &[u8]) -> Result<Self, LoginError> {
        let metadata: DanProviderMetadata = serde_json::from_slice(body)
            .map_err(|e| LoginError::BadDiscovery(format!("not a discovery document: {e}")))?;
        if metadata.issuer().as_str() != issuer {
            return Err(LoginError::BadDiscovery(
                "its issuer is not the one it was fetched for".to_owned(),
            ));
        }
        let token_endpoint = metadata
            .token_endpoint()
            .ok_or_else(|| LoginError::BadDiscovery("it has no token_endpoint".to_owned()))?;
        let extra = metadata.additional_metadata();
        Ok(Self {
            issuer: issuer.to_owned(),
            authorization_endpoint: metadata.authorization_endpoint().url().clone(),
            token_endpoint: token_endpoint.url().clone(),
            userinfo_endpoint: metadata.userinfo_endpoint().map(|u| u.url().clone()),
            jwks_uri: metadata.jwks_uri().url().clone(),
            revocation_endpoint: extra.revocation_endpoint.clone(),
            end_session_endpoint: extra.end_session_endpoint.clone(),
            iss_parameter_supported: extra.authorization_response_iss_parameter_supported,
            acr_values_supported: metadata
                .acr_values_supported()
                .map(|values| values.iter().map(|v| v.as_str().to_owned()).collect())
                .unwrap_or_default(),
        })
    }
}

/// One fetched document and until when it may be used.
struct Cached {
    info: Arc<ProviderInfo>,
    expires_at: Instant,
}

/// The discovery document, fetched again when its `max-age` has passed.
pub(crate) struct Discovery {
    http: reqwest::Client,
    issuer: String,
    url: String,
    current: RwLock<Cached>,
    refresh: tokio::sync::Mutex<()>,
}

impl Discovery {
    /// Fetches the document now: a relying party that cannot reach DAN at start says so.
    pub(crate) async fn fetch(http: reqwest::Client, issuer: &str) -> Result<Self, LoginError> {
        let url = format!("{issuer}/.well-known/openid-configuration");
        let cached = download(&http, issuer, &url).await?;
        Ok(Self {
            http,
            issuer: issuer.to_owned(),
            url,
            current: RwLock::new(cached),
            refresh: tokio::sync::Mutex::new(()),
        })
    }

    /// A document from an already known one (tests, or a deployment that pins it).
    pub(crate) fn fixed(http: reqwest::Client, info: ProviderInfo) -> Self {
        let far = Instant::now() + std::time::Duration::from_secs(100 * 365 * 86_400);
        Self {
            http,
            url: String::new(),
            issuer: info.issuer.clone(),
            current: RwLock::new(Cached {
                info: Arc::new(info),
                expires_at: far,
            }),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    fn snapshot(&self) -> (Arc<ProviderInfo>, Instant) {
        let guard = match self.current.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        (guard.info.clone(), guard.expires_at)
    }

    /// The document: the cached one while fresh, else fetched again (concurrent callers share
    /// one fetch); the stale one if the fetch fails.
    pub(crate) async fn get(&self) -> Arc<ProviderInfo> {
        let (info, expires_at) = self.snapshot();
        if Instant::now() < expires_at || self.url.is_empty() {
            return info;
        }
        let _one_at_a_time = self.refresh.lock().await;
        let (info, expires_at) = self.snapshot();
        if Instant::now() < expires_at {
            return info;
        }
        match download(&self.http, &self.issuer, &self.url).await {
            Ok(fresh) => {
                let info = fresh.info.clone();
                match self.current.write() {
                    Ok(mut guard) => *guard = fresh,
                    Err(poisoned) => *poisoned.into_inner() = fresh,
                }
                info
            }
            Err(_) => {
                // Keep serving the last good document, and let callers wait for no more
                // fetches for a while: a DAN outage must not queue every login behind one.
                let retry_at = Instant::now() + RETRY_AFTER_FAILURE;
                match self.current.write() {
                    Ok(mut guard) => guard.expires_at = retry_at,
                    Err(poisoned) => poisoned.into_inner().expires_at = retry_at,
                }
                info
            }
        }
    }
}

async fn download(http: &reqwest::Client, issuer: &str, url: &str) -> Result<Cached, LoginError> {
    let (body, cache_control) = get_capped(http, url, "application/json", MAX_DISCOVERY_BYTES)
        .await
        .map_err(|failure| match failure {
            Fetch::Unavailable(reason) => LoginError::DiscoveryUnavailable(reason),
            Fetch::TooLarge => LoginError::BadDiscovery("it is larger than 256 KiB".to_owned()),
        })?;
    let info = ProviderInfo::parse(issuer, &body)?;
    Ok(Cached {
        info: Arc::new(info),
        expires_at: Instant::now() + max_age(cache_control.as_deref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> serde_json::Value {
        json!({
            "issuer": "https://dan.example",
            "authorization_endpoint": "https://dan.example/authorize",
            "token_endpoint": "https://dan.example/token",
            "userinfo_endpoint": "https://dan.example/userinfo",
            "jwks_uri": "https://dan.example/jwks",
            "revocation_endpoint": "https://dan.example/revoke",
            "end_session_endpoint": "https://dan.example/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "acr_values_supported": ["low", "substantial"],
            "authorization_response_iss_parameter_supported": true,
            "some_future_field": {"ignored": true}
        })
    }

    fn parse(value: &serde_json::Value) -> Result<ProviderInfo, LoginError> {
        ProviderInfo::parse("https://dan.example", value.to_string().as_bytes())
    }

    #[test]
    fn a_discovery_document_is_read_with_dans_extensions() {
        let info = parse(&document()).unwrap();
        assert_eq!(info.token_endpoint.as_str(), "https://dan.example/token");
        assert_eq!(
            info.end_session_endpoint.unwrap().as_str(),
            "https://dan.example/logout"
        );
        assert!(info.iss_parameter_supported);
        assert_eq!(info.acr_values_supported, ["low", "substantial"]);
    }

    #[test]
    fn a_document_for_another_issuer_is_refused_oidc_discovery_4_3() {
        let mut doc = document();
        doc["issuer"] = json!("https://evil.example");
        let error = parse(&doc).unwrap_err();
        assert!(matches!(error, LoginError::BadDiscovery(ref m) if m.contains("issuer")));
    }

    #[test]
    fn malformed_documents_are_refused_with_a_reason() {
        for (field, bad) in [
            ("token_endpoint", json!(null)),
            ("jwks_uri", json!(42)),
            ("authorization_endpoint", json!("not a url")),
            ("response_types_supported", json!("code")),
        ] {
            let mut doc = document();
            if bad.is_null() {
                doc.as_object_mut().unwrap().remove(field);
            } else {
                doc[field] = bad;
            }
            assert!(
                matches!(parse(&doc), Err(LoginError::BadDiscovery(_))),
                "{field}"
            );
        }
        for body in [&b""[..], b"[]", b"{", b"\xff\xfe"] {
            assert!(matches!(
                ProviderInfo::parse("https://dan.example", body),
                Err(LoginError::BadDiscovery(_))
            ));
        }
    }
}
