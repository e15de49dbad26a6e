//! Token introspection (RFC 7662): asking DAN whether a token is active, for opaque tokens or
//! to refuse a revoked access token before it expires.

use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{MAX_TOKEN_BYTES, ResourceServer, VerifyError};
use crate::http::{Fetch, read_capped};

/// The largest introspection answer read.
const MAX_INTROSPECTION_BYTES: usize = 64 * 1024;

/// DAN's answer to an introspection request (RFC 7662 2.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntrospectionResponse {
    /// Whether the token is active: issued by DAN, unexpired, unrevoked, and shown to this
    /// client (DAN shows a token only to its client and to the resource servers in its `aud`).
    pub active: bool,
    /// The other members (`sub`, `client_id`, `scope`, `exp`, ...); empty when inactive.
    pub claims: Map<String, Value>,
}

impl IntrospectionResponse {
    /// The `scope` member, split on spaces.
    pub fn scopes(&self) -> Vec<&str> {
        self.claims
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| s.split(' ').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }
}

impl ResourceServer {
    /// Introspects `token` at the issuer, authenticating as the confidential client
    /// `client_id` with `client_secret` (HTTP Basic, RFC 6749 2.3.1). An inactive token is
    /// `Ok` with `active: false`; only a failure to ask is an error.
    pub async fn introspect(
        &self,
        token: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<IntrospectionResponse, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::TooLarge {
                limit: MAX_TOKEN_BYTES,
            });
        }
        let failed = |e: reqwest::Error| VerifyError::Introspection(e.without_url().to_string());
        let endpoint = self
            .config
            .endpoint(&self.config.introspection_endpoint, "/introspect");
        let response = self
            .http
            .post(endpoint)
            .header(AUTHORIZATION, basic(client_id, client_secret))
            .header(ACCEPT, "application/json")
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .map_err(failed)?;
        let status = response.status();
        if !status.is_success() {
            return Err(VerifyError::Introspection(format!("HTTP status {status}")));
        }
        let body = read_capped(response, MAX_INTROSPECTION_BYTES)
            .await
            .map_err(|failure| match failure {
                Fetch::Unavailable(reason) => VerifyError::Introspection(reason),
                Fetch::TooLarge => VerifyError::Introspection("the answer is too large".to_owned()),
            })?;
        let mut body: Map<String, Value> = serde_json::from_slice(&body).map_err(|_| {
            VerifyError::Introspection("the answer is not a JSON object".to_owned())
        })?;
        let Some(Value::Bool(active)) = body.remove("active") else {
            return Err(VerifyError::Introspection(
                "the response has no boolean active member".to_owned(),
            ));
        };
        body.remove("ctx");
        Ok(IntrospectionResponse {
            active,
            claims: if active { body } else { Map::new() },
        })
    }
}

/// `Basic` credentials, each part form-encoded first as RFC 6749 2.3.1 asks.
fn basic(client_id: &str, client_secret: &str) -> String {
    use base64::Engine as _;
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(client_secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_encoded_first_rfc6749_2_3_1() {
        // "a:b" → "a%3Ab", "s p" → "s+p".
        assert_eq!(basic("a:b", "s p"), "Basic YSUzQWI6cytw");
    }
}
