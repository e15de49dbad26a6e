//! Why a token was refused, or why it could not be checked.

/// Why a token was refused, or why it could not be checked: an access token by
/// [`ResourceServer::verify`](crate::resource_server::ResourceServer::verify), an ID token or a
/// logout token by the [`RelyingParty`](crate::relying_party::RelyingParty).
///
/// Messages are precise but never contain the token. [`VerifyError::is_server_error`] and
/// [`VerifyError::bearer_error`] say how to answer the client (RFC 6750 3.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The configuration given to the constructor is unusable.
    #[error("invalid resource server configuration: {0}")]
    InvalidConfig(&'static str),
    /// The token is longer than [`MAX_TOKEN_BYTES`](super::MAX_TOKEN_BYTES).
    #[error("the token is longer than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The token is not a compact JWS with a JSON header and a JSON object as claims.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header names an algorithm this SDK does not accept (`none`, `HS256`, ...).
    #[error("unsupported algorithm {0:?}: only ES256, RS256 and EdDSA are accepted")]
    UnsupportedAlgorithm(String),
    /// The header's `typ` says this is another kind of token: access tokens have `at+jwt`
    /// (RFC 9068 2.1), logout tokens `logout+jwt`, ID tokens `JWT` or none.
    #[error("wrong token type (typ): this is not the kind of token expected here")]
    WrongType,
    /// No key in the issuer's JWKS has the header's `kid`, even after a refresh.
    #[error("unknown key: the issuer's JWKS has no key with this kid")]
    UnknownKey,
    /// The header's `alg` is not the algorithm of the key its `kid` names.
    #[error("the header's alg does not match the type of the key named by kid")]
    AlgorithmMismatch,
    /// The signature does not verify with the issuer's key.
    #[error("the signature does not verify")]
    BadSignature,
    /// A required claim is absent.
    #[error("the required claim {0} is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type.
    #[error("the claim {0} has the wrong type")]
    MalformedClaim(&'static str),
    /// `iss` is not the configured issuer.
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    /// `aud` does not contain the configured audience.
    #[error("the token is not meant for this audience")]
    WrongAudience,
    /// `exp` is in the past, beyond the leeway.
    #[error("the token has expired")]
    Expired,
    /// `nbf` or `iat` is in the future, beyond the leeway.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// The token lacks scopes the resource requires.
    #[error("insufficient scope: missing {}", missing.join(" "))]
    InsufficientScope {
        /// The required scopes the token does not have.
        missing: Vec<String>,
    },
    /// The ID token's `nonce` is not the one sent with the authorization request
    /// (OIDC Core 3.1.3.7 step 11), or a logout token carries one.
    #[error("the nonce does not match the login's")]
    NonceMismatch,
    /// The ID token has several audiences and `azp` is not this client (OIDC Core 3.1.3.7).
    #[error("the ID token's authorized party (azp) is not this client")]
    WrongAuthorizedParty,
    /// The login's level of assurance (`acr`) is below the one asked for.
    #[error("level of assurance {got:?} is below the {required} asked for")]
    InsufficientAcr {
        /// The level asked for.
        required: String,
        /// The level the ID token reports.
        got: Option<String>,
    },
    /// `auth_time` is older than the `max_age` asked for (OIDC Core 3.1.2.1), or missing.
    #[error("the citizen authenticated longer ago than max_age allows")]
    AuthenticationTooOld,
    /// A logout token without the back-channel logout event, or with neither `sub` nor `sid`
    /// (OIDC Back-Channel Logout 1.0, 2.4).
    #[error("not a back-channel logout token: {0}")]
    NotALogoutToken(&'static str),
    /// A single-use token (a logout token's `jti`) was presented again.
    #[error("the token was already used")]
    Replayed,
    /// The JWKS could not be fetched.
    #[error("the issuer's JWKS is unavailable: {0}")]
    JwksUnavailable(String),
    /// The JWKS was fetched but is not a JWK Set (RFC 7517 5).
    #[error("the issuer's JWKS is malformed: {0}")]
    BadJwks(&'static str),
    /// The introspection endpoint could not be used.
    #[error("introspection failed: {0}")]
    Introspection(String),
}

impl VerifyError {
    /// Whether the failure is on this side or the issuer's (JWKS or introspection down, bad
    /// configuration) rather than the token's: answer 503, not 401.
    pub fn is_server_error(&self) -> bool {
        matches!(
            self,
            Self::InvalidConfig(_)
                | Self::JwksUnavailable(_)
                | Self::BadJwks(_)
                | Self::Introspection(_)
        )
    }

    /// The RFC 6750 3.1 answer for a refused token: the HTTP status and the `error` code for
    /// `WWW-Authenticate`, `insufficient_scope` (403) or `invalid_token` (401). `None` for
    /// [server errors](Self::is_server_error).
    pub fn bearer_error(&self) -> Option<(u16, &'static str)> {
        match self {
            _ if self.is_server_error() => None,
            Self::InsufficientScope { .. } => Some((403, "insufficient_scope")),
            _ => Some((401, "invalid_token")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_errors_are_403_and_token_errors_401_rfc6750_3_1() {
        let missing = VerifyError::InsufficientScope {
            missing: vec!["a".into(), "b".into()],
        };
        assert_eq!(missing.bearer_error(), Some((403, "insufficient_scope")));
        assert_eq!(missing.to_string(), "insufficient scope: missing a b");
        assert_eq!(
            VerifyError::Expired.bearer_error(),
            Some((401, "invalid_token"))
        );
        assert_eq!(
            VerifyError::JwksUnavailable("down".into()).bearer_error(),
            None
        );
    }
}
