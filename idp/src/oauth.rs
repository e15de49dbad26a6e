//! OAuth 2.0 and OpenID Connect error codes (RFC 6749 section 5.2, OpenID Connect Core 3.1.2.6,
//! RFC 6750 section 3.1), the one error type every protocol operation returns. The HTTP layer
//! maps it once: JSON at the token-style endpoints, a redirect to a trusted redirect URI, or a
//! page for people.

use std::fmt;

use crate::database::StorageError;
use crate::ephemeral::StoreError;
use crate::jose::JoseError;

/// An error code from the OAuth and OpenID Connect registries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `invalid_request`.
    InvalidRequest,
    /// `invalid_client` (401 at the token endpoint).
    InvalidClient,
    /// `invalid_grant`.
    InvalidGrant,
    /// `unauthorized_client`.
    UnauthorizedClient,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `unsupported_response_type`.
    UnsupportedResponseType,
    /// `invalid_scope`.
    InvalidScope,
    /// `access_denied`.
    AccessDenied,
    /// `login_required`.
    LoginRequired,
    /// `consent_required`.
    ConsentRequired,
    /// `interaction_required`.
    InteractionRequired,
    /// `invalid_request_uri` (PAR).
    InvalidRequestUri,
    /// `unmet_authentication_requirements` (OpenID Connect EAP ACR Values).
    UnmetAuthenticationRequirements,
    /// `invalid_token` (RFC 6750).
    InvalidToken,
    /// `insufficient_scope` (RFC 6750).
    InsufficientScope,
    /// `temporarily_unavailable`.
    TemporarilyUnavailable,
    /// `server_error`.
    ServerError,
    /// `slow_down`: too many requests (rate limits).
    SlowDown,
    /// `invalid_target` (RFC 8707): an audience the client may not name.
    InvalidTarget,
}

impl ErrorCode {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::InvalidRequestUri => "invalid_request_uri",
            Self::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::ServerError => "server_error",
            Self::SlowDown => "slow_down",
            Self::InvalidTarget => "invalid_target",
        }
    }

    /// The HTTP status of a JSON error response with this code.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidClient | Self::InvalidToken => 401,
            Self::InsufficientScope => 403,
            Self::ServerError => 500,
            Self::TemporarilyUnavailable => 503,
            Self::SlowDown => 429,
            _ => 400,
        }
    }
}

/// A protocol error: a code and a description safe to show the client (never a secret, a
/// registry number or an internal detail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The code.
    pub code: ErrorCode,
    /// Human-readable, for the developer.
    pub description: String,
}

impl OAuthError {
    /// An error with a description.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    /// `invalid_request`.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_grant`.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    /// `invalid_client`.
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    /// `server_error`, after logging the internal cause (which the client never sees).
    pub fn internal(context: &str, cause: &dyn fmt::Display) -> Self {
        tracing::error!(%cause, "{context}");
        Self::new(ErrorCode::ServerError, "internal error")
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for OAuthError {}

impl From<StorageError> for OAuthError {
    fn from(error: StorageError) -> Self {
        if error.is_unavailable() {
            tracing::warn!(%error, "database unavailable");
            Self::new(ErrorCode::TemporarilyUnavailable, "try again shortly")
        } else {
            Self::internal("database error", &error)
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        tracing::warn!(%error, "short-lived store error");
        Self::new(ErrorCode::TemporarilyUnavailable, "try again shortly")
    }
}

impl From<JoseError> for OAuthError {
    fn from(error: JoseError) -> Self {
        Self::internal("signing failed", &error)
    }
}
