//! Why a login, a refresh or a logout could not be completed.

use crate::jwt::VerifyError;

/// Why the [`RelyingParty`](super::RelyingParty) could not do what was asked.
///
/// Messages are precise but never contain a token, a code or a secret.
/// [`LoginError::is_server_error`] tells a failure of DAN or of the network (try again later)
/// from a refusal (start the login again).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The configuration given to the constructor is unusable.
    #[error("invalid relying party configuration: {0}")]
    InvalidConfig(&'static str),
    /// The discovery document could not be fetched.
    #[error("DAN's discovery document is unavailable: {0}")]
    DiscoveryUnavailable(String),
    /// The discovery document was fetched but cannot be used (OIDC Discovery 1.0, 4.3).
    #[error("DAN's discovery document is unusable: {0}")]
    BadDiscovery(String),
    /// The callback's `state` is not the pending login's: a forged or crossed callback
    /// (RFC 6749 10.12). Start the login again.
    #[error("the callback's state does not match the pending login")]
    StateMismatch,
    /// The callback's `iss` is missing or not the issuer (RFC 9207 2.4): the response may come
    /// from another provider (mix-up attack).
    #[error("the callback's iss is missing or is not DAN's issuer (RFC 9207)")]
    IssuerMismatch,
    /// The callback's query is not one DAN sends (a parameter repeated): someone else's doing.
    #[error("malformed callback: {0}")]
    MalformedCallback(&'static str),
    /// The callback carries neither a code nor an error.
    #[error("the callback has no code")]
    MissingCode,
    /// The pending login is older than its lifetime.
    #[error("the pending login has expired; start again")]
    PendingLoginExpired,
    /// DAN answered the authorization request with an error (RFC 6749 4.1.2.1), for example
    /// `access_denied` when the citizen declined, or `unmet_authentication_requirements`.
    #[error("DAN refused the login: {error}")]
    Authorization {
        /// The OAuth error code.
        error: String,
        /// DAN's human-readable description, if any.
        description: Option<String>,
    },
    /// DAN's token endpoint refused the request (RFC 6749 5.2), for example `invalid_grant`
    /// for a used or expired code or refresh token.
    #[error("DAN's token endpoint refused: {error}")]
    Token {
        /// The OAuth error code.
        error: String,
        /// DAN's human-readable description, if any.
        description: Option<String>,
    },
    /// A response from DAN could not be read.
    #[error("unexpected response from DAN: {0}")]
    BadResponse(String),
    /// DAN could not be reached, or answered with a server error.
    #[error("DAN is unavailable: {0}")]
    Unavailable(String),
    /// The token response has no ID token though `openid` was asked for.
    #[error("the token response has no ID token")]
    MissingIdToken,
    /// The ID token (or a logout token) was refused; the inner error says why.
    #[error("the ID token was refused: {0}")]
    IdToken(#[from] VerifyError),
    /// The userinfo response is for another subject than the ID token (OIDC Core 5.3.2).
    #[error("the userinfo response is for another subject")]
    SubjectMismatch,
    /// The access token was refused at the userinfo endpoint (RFC 6750 3.1): refresh it or log
    /// in again.
    #[error("DAN refused the access token: {0}")]
    AccessTokenRefused(String),
    /// [`refresh`](super::RelyingParty::refresh) was asked of a login without a refresh token.
    #[error("this login has no refresh token")]
    NoRefreshToken,
    /// A refreshed ID token changed what must stay the same (OIDC Core 12.2).
    #[error("the refreshed ID token changed {0}")]
    RefreshChangedIdToken(&'static str),
    /// The client assertion for `private_key_jwt` could not be signed.
    #[error("cannot sign the client assertion: {0}")]
    Assertion(&'static str),
}

impl LoginError {
    /// Whether the failure is DAN's or the network's (try again later) rather than a refusal
    /// of this login (start again, or show the citizen what happened).
    pub fn is_server_error(&self) -> bool {
        match self {
            Self::DiscoveryUnavailable(_) | Self::Unavailable(_) | Self::BadResponse(_) => true,
            Self::IdToken(inner) => inner.is_server_error(),
            _ => false,
        }
    }
}
