//! Client authentication at the token, introspection, revocation and PAR endpoints
//! (RFC 6749 2.3, OpenID Connect Core 9): `client_secret_basic`, `client_secret_post`,
//! `private_key_jwt` (RFC 7523) and `none` for public clients.
//!
//! A client must use exactly the method it registered, and exactly one method per request.
//! `private_key_jwt` assertions must name the client as `iss` and `sub`, DAN's issuer or the
//! endpoint's URL as `aud`, expire within five minutes, and carry a `jti` never seen before
//! (kept in the short-lived store until the assertion expires).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use crate::authorize::Params;
use crate::clients::{AuthMethod, Client, ClientId, ClientRegistry, ClientSecret};
use crate::clock::Clock;
use crate::ephemeral::{EphemeralStore, Key};
use crate::jose::{Compact, VerifyingKey};
use crate::oauth::OAuthError;

/// The assertion type of RFC 7523 section 2.2.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest an assertion may live.
const MAX_ASSERTION_LIFETIME: i64 = 300;
/// How long a fetched JWKS is trusted.
const JWKS_CACHE: Duration = Duration::from_secs(300);
/// The largest JWKS fetched.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// Authenticates clients.
pub struct ClientAuthenticator {
    clients: Arc<dyn ClientRegistry>,
    store: Arc<dyn EphemeralStore>,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    issuer: String,
    jwks_cache: Mutex<HashMap<String, (Instant, Vec<VerifyingKey>)>>,
}

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    aud: serde_json::Value,
    exp: i64,
    jti: String,
}

impl ClientAuthenticator {
    /// The authenticator.
    pub fn new(
        clients: Arc<dyn ClientRegistry>,
        store: Arc<dyn EphemeralStore>,
        clock: Arc<dyn Clock>,
        http: reqwest::Client,
        issuer: String,
    ) -> Self {
        Self {
            clients,
            store,
            clock,
            http,
            issuer,
            jwks_cache: Mutex::new(HashMap::new()),
        }
    }

    /// Authenticates the client of a request with `authorization` (the header, if any) and
    /// form `params`, at `endpoint` (its full URL, an accepted assertion audience).
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        params: &Params,
        endpoint: &str,
    ) -> Result<Client, OAuthError> {
        let basic = authorization
            .and_then(|h| {
                h.strip_prefix("Basic ")
                    .or_else(|| h.strip_prefix("basic "))
            })
            .map(decode_basic)
            .transpose()?;
        let post_secret = params.get("client_secret");
        let assertion = params.get("client_assertion");
        let presented = usize::from(basic.is_some())
            + usize::from(post_secret.is_some())
            + usize::from(assertion.is_some());
        if presented > 1 {
            return Err(OAuthError::invalid_request(
                "use exactly one client authentication method",
            ));
        }
        if let Some((id, secret)) = basic {
            if params.get("client_id").is_some_and(|p| p != id) {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the authenticated client",
                ));
            }
            let client = self.client(&id).await?;
            return self.check_secret(client, AuthMethod::ClientSecretBasic, &secret);
        }
        if let Some(secret) = post_secret {
            let id = params
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_client("client_id is missing"))?;
            let client = self.client(id).await?;
            return self.check_secret(client, AuthMethod::ClientSecretPost, secret);
        }
        if let Some(assertion) = assertion {
            if params.get("client_assertion_type") != Some(JWT_BEARER) {
                return Err(OAuthError::invalid_request(
                    "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ));
            }
            return self.check_assertion(assertion, params, endpoint).await;
        }
        let id = params
            .get("client_id")
            .ok_or_else(|| OAuthError::invalid_client("client authentication is missing"))?;
        let client = self.client(id).await?;
        if client.auth_method != AuthMethod::None {
            return Err(OAuthError::invalid_client(
                "this client must authenticate with its registered method",
            ));
        }
        Ok(client)
    }

    async fn client(&self, id: &str) -> Result<Client, OAuthError> {
        let unknown = || OAuthError::invalid_client("unknown client or bad credentials");
        let id = ClientId::parse(id).map_err(|_| unknown())?;
        let client = self.clients.find(&id).await?.ok_or_else(unknown)?;
        if !client.enabled {
            return Err(OAuthError::invalid_client("the client is disabled"));
        }
        Ok(client)
    }

    /// The current secret, or the previous one during its grace period after a rotation.
    fn check_secret(
        &self,
        client: Client,
        method: AuthMethod,
        secret: &str,
    ) -> Result<Client, OAuthError> {
        if client.auth_method != method {
            return Err(OAuthError::invalid_client(
                "this client must authenticate with its registered method",
            ));
        }
        let presented = ClientSecret::from_presented(secret);
        let current = client
            .secret_hash
            .as_ref()
            .is_some_and(|hash| hash.verify(&presented));
        let previous = client
            .previous_secret
            .as_ref()
            .is_some_and(|p| p.until > self.clock.now() && p.hash.verify(&presented));
        let valid = current || previous;
        if valid {
            Ok(client)
        } else {
            Err(OAuthError::invalid_client(
                "unknown client or bad credentials",
            ))
        }
    }

    async fn check_assertion(
        &self,
        assertion: &str,
        params: &Params,
        endpoint: &str,
    ) -> Result<Client, OAuthError> {
        let bad = |why: &str| OAuthError::invalid_client(format!("client assertion: {why}"));
        let parsed = Compact::parse(assertion).map_err(|_| bad("malformed"))?;
        let claims: AssertionClaims = parsed.claims().map_err(|_| bad("missing claims"))?;
        if claims.iss != claims.sub {
            return Err(bad("iss and sub must both be the client id"));
        }
        if params.get("client_id").is_some_and(|id| id != claims.sub) {
            return Err(bad("client_id differs from the assertion's subject"));
        }
        let client = self.client(&claims.sub).await?;
        if client.auth_method != AuthMethod::PrivateKeyJwt {
            return Err(OAuthError::invalid_client(
                "this client must authenticate with its registered method",
            ));
        }
        let keys = self.client_keys(&client).await?;
        let verified = keys
            .iter()
            .filter(|k| {
                parsed.header.kid.is_none()
                    || k.kid().is_none()
                    || k.kid() == parsed.header.kid.as_deref()
            })
            .any(|k| k.verify(&parsed).is_ok());
        if !verified {
            return Err(bad("signature does not verify with the client's keys"));
        }
        let audiences: Vec<&str> = match &claims.aud {
            serde_json::Value::String(one) => vec![one.as_str()],
            serde_json::Value::Array(many) => many.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        if !audiences
            .iter()
            .any(|a| *a == self.issuer || *a == endpoint)
        {
            return Err(bad("aud must be the issuer or this endpoint"));
        }
        let now = self.clock.now().timestamp();
        if claims.exp <= now {
            return Err(bad("expired"));
        }
        if claims.exp > now + MAX_ASSERTION_LIFETIME {
            return Err(bad("expires too far in the future (at most 5 minutes)"));
        }
        let first_use = self
            .store
            .put_new(
                &Key::new("assertion_jti", format!("{}:{}", client.id, claims.jti)),
                b"1",
                Duration::from_secs(u64::try_from(claims.exp - now).unwrap_or(1).max(1)),
            )
            .await?;
        if !first_use {
            return Err(bad("jti was already used"));
        }
        Ok(client)
    }

    async fn client_keys(&self, client: &Client) -> Result<Vec<VerifyingKey>, OAuthError> {
        if let Some(jwks) = &client.jwks {
            return Ok(keys_of(jwks));
        }
        let Some(uri) = &client.jwks_uri else {
            return Ok(Vec::new());
        };
        if let Some((at, keys)) = self
            .jwks_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(uri)
            && at.elapsed() < JWKS_CACHE
        {
            return Ok(keys.clone());
        }
        let fetched = async {
            let mut response = self.http.get(uri).send().await.ok()?;
            if !response.status().is_success()
                || response
                    .content_length()
                    .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
            {
                return None;
            }
            // Read in chunks, stopping past the limit: a lying or missing length costs nothing.
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await.ok()? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > MAX_JWKS_BYTES {
                    return None;
                }
            }
            serde_json::from_slice::<serde_json::Value>(&bytes).ok()
        }
        .await;
        let Some(jwks) = fetched else {
            tracing::warn!(client = %client.id, "cannot fetch the client's jwks_uri");
            return Err(OAuthError::invalid_client(
                "the client's jwks_uri could not be fetched",
            ));
        };
        let keys = keys_of(&jwks);
        self.jwks_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(uri.clone(), (Instant::now(), keys.clone()));
        Ok(keys)
    }
}

fn keys_of(jwks: &serde_json::Value) -> Vec<VerifyingKey> {
    jwks.get("keys")
        .and_then(serde_json::Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(|k| VerifyingKey::from_jwk(k).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Decodes `client_secret_basic` credentials: base64 of the form-url-encoded id and secret
/// (RFC 6749 2.3.1).
fn decode_basic(encoded: &str) -> Result<(String, String), OAuthError> {
    let bad = || OAuthError::invalid_client("malformed Basic credentials");
    let bytes = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Ok((decode(id).ok_or_else(bad)?, decode(secret).ok_or_else(bad)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded_rfc6749_2_3_1() {
        let header = STANDARD.encode("my%3Aclient:s%2Bcret");
        assert_eq!(
            decode_basic(&header).unwrap(),
            ("my:client".to_owned(), "s+cret".to_owned())
        );
        assert!(decode_basic("!!!").is_err());
        assert!(decode_basic(&STANDARD.encode("no-colon")).is_err());
    }
}
