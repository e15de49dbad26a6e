//! The values of a login: what the e-service asks for, what it keeps while the citizen is at
//! DAN, and what it gets back.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jwt::VerifyError;
use crate::jwt::claims::Claims;

/// A token or secret: serializable, so an e-service can keep it in its own session store,
/// but never printed by `Debug`.
///
/// Keep it out of responses and logs; read it with [`Secret::expose`] where it is sent.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for sending it where it belongs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// A level of assurance (`acr`), in DAN's order: `low` < `substantial` < `high`
/// (ARCHITECTURE: SMS or TOTP; passkey; Digital ID).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Acr {
    /// SMS code or authenticator app.
    Low,
    /// A passkey with user verification.
    Substantial,
    /// The Digital ID app, after an in-person biometric check.
    High,
}

impl Acr {
    /// The `acr` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Substantial => "substantial",
            Self::High => "high",
        }
    }

    /// Reads an `acr` value; `None` for a value DAN does not define.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "low" => Some(Self::Low),
            "substantial" => Some(Self::Substantial),
            "high" => Some(Self::High),
            _ => None,
        }
    }
}

/// The `prompt` values DAN supports (OIDC Core 3.1.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// Do not show any page: answer `login_required` or `consent_required` instead.
    None,
    /// Authenticate again even with a session.
    Login,
    /// Ask for consent again.
    Consent,
}

/// What one login asks for, beyond the configured scopes. `LoginRequest::default()` asks for
/// nothing more. `Debug` does not show the login hint (a registry number).
#[derive(Clone, Default)]
pub struct LoginRequest {
    pub(crate) acr: Option<Acr>,
    pub(crate) scopes: Vec<String>,
    pub(crate) ui_locales: Vec<String>,
    pub(crate) login_hint: Option<String>,
    pub(crate) prompt: Option<Prompt>,
    pub(crate) max_age: Option<Duration>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("acr", &self.acr)
            .field("scopes", &self.scopes)
            .field("ui_locales", &self.ui_locales)
            .field(
                "login_hint",
                &self.login_hint.as_ref().map(|_| "[redacted]"),
            )
            .field("prompt", &self.prompt)
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl LoginRequest {
    /// A request for the configured scopes only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires at least this level of assurance (`acr_values`); the callback refuses an ID
    /// token below it.
    pub fn acr(mut self, level: Acr) -> Self {
        self.acr = Some(level);
        self
    }

    /// Asks for one more scope for this login.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// The citizen's preferred languages, most preferred first (`mn`, `en`).
    pub fn ui_locale(mut self, locale: impl Into<String>) -> Self {
        self.ui_locales.push(locale.into());
        self
    }

    /// Pre-fills the registry number on DAN's login page (`login_hint`).
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// Sets `prompt`.
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.prompt = Some(prompt);
        self
    }

    /// Requires an authentication no older than this (`max_age`); the callback checks
    /// `auth_time`.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }
}

/// What the e-service keeps (in its session, server-side or encrypted) while the citizen is at
/// DAN, and hands back to [`RelyingParty::finish_login`](super::RelyingParty::finish_login).
///
/// It holds the `state`, the `nonce` and the PKCE verifier, so it must not be shown to the
/// browser in the clear.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingLogin {
    pub(crate) state: Secret,
    pub(crate) nonce: Secret,
    pub(crate) code_verifier: Secret,
    pub(crate) acr: Option<Acr>,
    pub(crate) max_age: Option<u64>,
    /// The scopes asked for, `openid` first.
    #[serde(default)]
    pub(crate) scopes: Vec<String>,
    pub(crate) started_at: i64,
}

impl PendingLogin {
    /// The `state` sent to DAN: the callback carries it back, so an e-service that keeps
    /// several pending logins can find the right one with it.
    pub fn state(&self) -> &str {
        self.state.expose()
    }
}

/// The parameters DAN sends back to the redirect URI (RFC 6749 4.1.2, RFC 9207). `Debug` does
/// not show the code.
#[derive(Clone, Default, Deserialize)]
pub struct Callback {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` of the pending login.
    pub state: Option<String>,
    /// The issuer (RFC 9207).
    pub iss: Option<String>,
    /// An OAuth error code, when the login did not succeed.
    pub error: Option<String>,
    /// DAN's description of the error.
    pub error_description: Option<String>,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("state", &self.state)
            .field("iss", &self.iss)
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .finish()
    }
}

impl Callback {
    /// Reads the callback from a query string (`a=b&c=d`, without `?`). A parameter given
    /// twice is refused: DAN never does that, so it is someone else's doing.
    pub fn from_query(query: &str) -> Result<Self, super::LoginError> {
        let mut callback = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "code" => &mut callback.code,
                "state" => &mut callback.state,
                "iss" => &mut callback.iss,
                "error" => &mut callback.error,
                "error_description" => &mut callback.error_description,
                _ => continue,
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(super::LoginError::MalformedCallback(
                    "a parameter is repeated",
                ));
            }
        }
        Ok(callback)
    }
}

/// The claims of a verified ID token (OIDC Core 2), typed. The `nonce` was checked and is
/// not kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// The issuer.
    pub iss: String,
    /// The citizen's identifier for this e-service: pairwise unless the e-service is
    /// registered for public identifiers. Key your accounts on it.
    pub sub: String,
    /// The audiences: this client, possibly with others.
    pub aud: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// When the citizen authenticated, seconds since the epoch.
    pub auth_time: Option<i64>,
    /// The level of assurance reached (`low`, `substantial`, `high`).
    pub acr: Option<String>,
    /// The authentication methods used (RFC 8176: `sms`, `otp`, `hwk`, `mfa`, ...).
    pub amr: Vec<String>,
    /// DAN's session id for this e-service: back-channel logout tokens name it.
    pub sid: Option<String>,
    /// The authorized party, when present.
    pub azp: Option<String>,
    /// Every other claim, as sent (names, birthdate, ... when the scopes released them).
    pub extra: Map<String, Value>,
}

impl IdTokenClaims {
    /// Reads the claims of an ID token, each required one with its type (OIDC Core 2).
    /// Returns the claims and the `nonce`.
    pub(crate) fn read(claims: Map<String, Value>) -> Result<(Self, Option<String>), VerifyError> {
        let mut c = Claims::new(claims);
        let nonce = c.optional_string("nonce")?;
        let claims = Self {
            iss: c.string("iss")?,
            sub: c.string("sub")?,
            aud: c.audiences()?,
            exp: c.time("exp")?,
            iat: c.time("iat")?,
            auth_time: c.optional_time("auth_time")?,
            acr: c.optional_string("acr")?,
            amr: c.optional_strings("amr")?.unwrap_or_default(),
            sid: c.optional_string("sid")?,
            azp: c.optional_string("azp")?,
            extra: Map::new(),
        };
        Ok((
            Self {
                extra: c.rest(),
                ..claims
            },
            nonce,
        ))
    }

    /// The level reached, if DAN defines it.
    pub fn level(&self) -> Option<Acr> {
        self.acr.as_deref().and_then(Acr::parse)
    }

    /// A string claim from [`extra`](Self::extra), such as `given_name`.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.extra.get(name).and_then(Value::as_str)
    }
}

/// The tokens of a login. Keep them server-side.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tokens {
    /// The access token, for DAN's userinfo endpoint and the APIs that accept it.
    pub access_token: Secret,
    /// The refresh token, when the e-service may refresh.
    pub refresh_token: Option<Secret>,
    /// The raw ID token: the `id_token_hint` of the logout.
    pub id_token: Option<Secret>,
    /// When the access token expires, seconds since the epoch.
    pub expires_at: Option<i64>,
    /// The scopes granted (may be fewer than asked for).
    pub scopes: Vec<String>,
}

/// A completed login: who logged in, how, and the tokens. Serializable, for the e-service's
/// own session store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Login {
    /// The verified ID token's claims.
    pub claims: IdTokenClaims,
    /// The tokens.
    pub tokens: Tokens,
}

/// The userinfo response (OIDC Core 5.3.2), for the same subject as the ID token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The subject, the ID token's.
    pub sub: String,
    /// The released claims (`given_name`, `family_name`, `birthdate`, `phone_number`,
    /// `address`, `national_id`, ...).
    pub claims: Map<String, Value>,
}

impl UserInfo {
    /// A string claim, such as `given_name`.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

/// A verified back-channel logout token (OIDC Back-Channel Logout 1.0, 2.4): end the local
/// sessions of this `sid`, or of every session of this `sub`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoutToken {
    /// The subject whose sessions end, when given.
    pub sub: Option<String>,
    /// The DAN session that ended, when given (the ID token's `sid`).
    pub sid: Option<String>,
    /// The token's id.
    pub jti: String,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
}
