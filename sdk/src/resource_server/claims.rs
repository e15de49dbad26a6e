//! The claims of a verified access token (RFC 9068 2.2), typed.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::jwt::VerifyError;
use crate::jwt::claims::{Claims, numeric_date};

/// A verified DAN access token: who it speaks for, which client holds it, what it allows.
///
/// It is what [`ResourceServer::verify`](super::ResourceServer::verify) returns once every
/// check passed. It serializes to JSON, e.g. for a log or a downstream service. DAN's private
/// `ctx` claim is dropped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessToken {
    /// The issuer (`iss`), the configured one.
    pub iss: String,
    /// The subject (`sub`): the citizen's pairwise or public identifier for the client, or the
    /// client id for a client-credentials token.
    pub sub: String,
    /// The client the token was issued to (`client_id`).
    pub client_id: String,
    /// The granted scopes (`scope`, split on spaces).
    pub scopes: Vec<String>,
    /// The audiences (`aud`), one of them this resource server.
    pub aud: Vec<String>,
    /// Expiry (`exp`), seconds since the epoch.
    pub exp: i64,
    /// Issue time (`iat`), seconds since the epoch.
    pub iat: i64,
    /// The token's unique id (`jti`).
    pub jti: String,
    /// The level of assurance the citizen reached (`acr`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The authentication methods used (`amr`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// When the citizen authenticated (`auth_time`), seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The SSO session id (`sid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Every other claim, as sent (for example `nbf`).
    pub extra: Map<String, Value>,
}

impl AccessToken {
    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Reads the claims; every required claim of RFC 9068 2.2 must be there with its type.
    /// Returns the token and its `nbf`, if any.
    pub(crate) fn from_claims(
        claims: Map<String, Value>,
    ) -> Result<(Self, Option<i64>), VerifyError> {
        let mut c = Claims::new(claims);
        let aud = c.audiences()?;
        let scopes = c
            .optional_string("scope")?
            .map(|s| {
                s.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        c.take("ctx");
        let token = Self {
            iss: c.string("iss")?,
            sub: c.string("sub")?,
            client_id: c.string("client_id")?,
            scopes,
            aud,
            exp: c.time("exp")?,
            iat: c.time("iat")?,
            jti: c.string("jti")?,
            acr: c.optional_string("acr")?,
            amr: c.optional_strings("amr")?,
            auth_time: c.optional_time("auth_time")?,
            sid: c.optional_string("sid")?,
            extra: Map::new(),
        };
        let nbf = match c.peek("nbf") {
            None => None,
            Some(value) => Some(numeric_date(value).ok_or(VerifyError::MalformedClaim("nbf"))?),
        };
        Ok((
            Self {
                extra: c.rest(),
                ..token
            },
            nbf,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims() -> Value {
        json!({"iss": "https://dan.example", "sub": "s", "aud": "api", "exp": 20, "iat": 10,
               "jti": "j", "client_id": "c", "scope": "openid  profile", "ctx": "sealed",
               "nbf": 9.5, "custom": true})
    }

    fn read(value: Value) -> Result<(AccessToken, Option<i64>), VerifyError> {
        let Value::Object(map) = value else {
            unreachable!()
        };
        AccessToken::from_claims(map)
    }

    #[test]
    fn claims_are_typed_and_ctx_is_dropped() {
        let (token, nbf) = read(claims()).unwrap();
        assert_eq!(token.aud, ["api"]);
        assert_eq!(token.scopes, ["openid", "profile"]);
        assert_eq!(nbf, Some(9));
        assert!(!token.extra.contains_key("ctx"));
        assert_eq!(token.extra.get("custom"), Some(&json!(true)));
        assert!(token.has_scope("profile") && !token.has_scope("email"));
    }

    #[test]
    fn missing_and_mistyped_claims_are_named() {
        for name in ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"] {
            let mut value = claims();
            value.as_object_mut().unwrap().remove(name);
            assert_eq!(read(value).err(), Some(VerifyError::MissingClaim(name)));
        }
        for (name, bad) in [
            ("sub", json!(1)),
            ("aud", json!([1])),
            ("exp", json!("tomorrow")),
            ("amr", json!("pwd")),
            ("nbf", json!(null)),
            ("scope", json!(["a"])),
        ] {
            let mut value = claims();
            value[name] = bad;
            assert_eq!(read(value).err(), Some(VerifyError::MalformedClaim(name)));
        }
    }
}
