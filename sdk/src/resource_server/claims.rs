//! The claims of a verified access token (RFC 9068 2.2), typed.

use serde::Serialize;
use serde_json::{Map, Value};

use super::VerifyError;

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
        mut claims: Map<String, Value>,
    ) -> Result<(Self, Option<i64>), VerifyError> {
        let c = &mut claims;
        let aud = match c.remove("aud") {
            None => return Err(VerifyError::MissingClaim("aud")),
            Some(Value::String(one)) => vec![one],
            Some(Value::Array(many)) => strings(many, "aud")?,
            Some(_) => return Err(VerifyError::MalformedClaim("aud")),
        };
        let scopes = optional_string(c, "scope")?
            .map(|s| {
                s.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        c.remove("ctx");
        let token = Self {
            iss: required(optional_string(c, "iss")?, "iss")?,
            sub: required(optional_string(c, "sub")?, "sub")?,
            client_id: required(optional_string(c, "client_id")?, "client_id")?,
            scopes,
            aud,
            exp: required(optional_time(c, "exp")?, "exp")?,
            iat: required(optional_time(c, "iat")?, "iat")?,
            jti: required(optional_string(c, "jti")?, "jti")?,
            acr: optional_string(c, "acr")?,
            amr: match c.remove("amr") {
                None => None,
                Some(Value::Array(many)) => Some(strings(many, "amr")?),
                Some(_) => return Err(VerifyError::MalformedClaim("amr")),
            },
            auth_time: optional_time(c, "auth_time")?,
            sid: optional_string(c, "sid")?,
            extra: Map::new(),
        };
        let nbf = match c.get("nbf") {
            None => None,
            Some(value) => Some(numeric_date(value).ok_or(VerifyError::MalformedClaim("nbf"))?),
        };
        Ok((
            Self {
                extra: claims,
                ..token
            },
            nbf,
        ))
    }
}

fn required<T>(value: Option<T>, name: &'static str) -> Result<T, VerifyError> {
    value.ok_or(VerifyError::MissingClaim(name))
}

fn optional_string(
    claims: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, VerifyError> {
    match claims.remove(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(VerifyError::MalformedClaim(name)),
    }
}

fn optional_time(
    claims: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, VerifyError> {
    match claims.remove(name) {
        None => Ok(None),
        Some(value) => numeric_date(&value)
            .map(Some)
            .ok_or(VerifyError::MalformedClaim(name)),
    }
}

/// A NumericDate (RFC 7519 2): seconds since the epoch, possibly with a fraction, which is
/// dropped.
fn numeric_date(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() < 1e15)
            .map(|f| f.trunc() as i64)
    })
}

fn strings(values: Vec<Value>, name: &'static str) -> Result<Vec<String>, VerifyError> {
    values
        .into_iter()
        .map(|v| match v {
            Value::String(text) => Ok(text),
            _ => Err(VerifyError::MalformedClaim(name)),
        })
        .collect()
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
