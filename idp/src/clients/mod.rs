//! Relying parties (the e-services) and their registration: identifiers, redirect URIs,
//! authentication methods, secrets.
//!
//! This is the first part of the OpenID Connect core (issue 4): the client record and its
//! parts, validated once at the edge. Storage and the endpoints that use clients come next.

mod cache;
mod secret;

pub use cache::CachedRegistry;

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

pub use secret::{ClientSecret, SecretHash};

/// A client identifier: 3 to 64 characters of `[A-Za-z0-9._-]`, chosen by the administrator or
/// generated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientId(String);

/// Why a client registration value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// A malformed client id.
    #[error("a client id is 3 to 64 characters of letters, digits, '.', '_' and '-'")]
    ClientId,
    /// A redirect URI that is not acceptable, and why.
    #[error("redirect URI refused: {0}")]
    RedirectUri(&'static str),
    /// An unknown authentication method, grant type or subject type.
    #[error("unknown {0}")]
    Unknown(&'static str),
    /// A registration whose parts do not fit together, and why.
    #[error("registration refused: {0}")]
    Inconsistent(&'static str),
}

impl ClientId {
    /// Validates a client id.
    pub fn parse(input: &str) -> Result<Self, ClientError> {
        let valid = (3..=64).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if valid {
            Ok(Self(input.to_owned()))
        } else {
            Err(ClientError::ClientId)
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A registered redirect (or post-logout redirect) URI, compared byte for byte at login.
///
/// Accepted: `https` URLs; `http` only on a loopback host (`127.0.0.1`, `[::1]`, `localhost`)
/// for native apps (RFC 8252 section 7.3). Refused: fragments (RFC 6749 section 3.1.2), wildcards,
/// user information, and anything that is not an absolute URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Validates a redirect URI for registration.
    ///
    /// ```
    /// use idp::clients::RedirectUri;
    /// assert!(RedirectUri::parse("https://service.gov.mn/callback").is_ok());
    /// assert!(RedirectUri::parse("http://127.0.0.1:8400/cb").is_ok());
    /// assert!(RedirectUri::parse("http://service.gov.mn/callback").is_err());
    /// assert!(RedirectUri::parse("https://*.gov.mn/callback").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Self, ClientError> {
        if input.contains('*') {
            return Err(ClientError::RedirectUri("wildcards are not allowed"));
        }
        if input.contains('#') {
            return Err(ClientError::RedirectUri("a redirect URI has no fragment"));
        }
        let url = Url::parse(input).map_err(|_| ClientError::RedirectUri("not an absolute URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ClientError::RedirectUri(
                "no user or password in a redirect URI",
            ));
        }
        let loopback = matches!(
            url.host(),
            Some(url::Host::Ipv4(ip)) if ip.is_loopback()
        ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
            || url.host_str() == Some("localhost");
        match url.scheme() {
            "https" if url.host().is_some() => Ok(Self(input.to_owned())),
            "http" if loopback => Ok(Self(input.to_owned())),
            "http" => Err(ClientError::RedirectUri(
                "http is allowed only on a loopback host",
            )),
            _ => Err(ClientError::RedirectUri("the scheme must be https")),
        }
    }

    /// The URI exactly as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` (from an authorization request) is this URI, byte for byte.
    pub fn matches(&self, candidate: &str) -> bool {
        self.0 == candidate
    }
}

macro_rules! string_conversions {
    ($($ty:ty),*) => {$(
        impl TryFrom<String> for $ty {
            type Error = ClientError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> Self {
                value.0
            }
        }
    )*};
}
string_conversions!(ClientId, RedirectUri);

/// The grants a client may use at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// The code flow (with PKCE).
    AuthorizationCode,
    /// Refresh tokens, rotated on use.
    RefreshToken,
    /// Machine-to-machine access for the client itself.
    ClientCredentials,
}

impl GrantType {
    /// The OAuth name (`authorization_code`, `refresh_token`, `client_credentials`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }

    /// Reads an OAuth grant type name.
    pub fn parse(input: &str) -> Result<Self, ClientError> {
        match input {
            "authorization_code" => Ok(Self::AuthorizationCode),
            "refresh_token" => Ok(Self::RefreshToken),
            "client_credentials" => Ok(Self::ClientCredentials),
            _ => Err(ClientError::Inconsistent(
                "grant type must be authorization_code, refresh_token or client_credentials",
            )),
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How `sub` is derived for a client's users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    /// A keyed hash of the sector and the citizen: agencies cannot join data on `sub`.
    Pairwise,
    /// The same `sub` for every client allowed it.
    Public,
}

/// A registered relying party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// The client id.
    pub id: ClientId,
    /// Name shown to citizens, in Mongolian.
    pub name_mn: String,
    /// Name shown to citizens, in English.
    pub name_en: String,
    /// Where authorization responses may go, matched exactly.
    pub redirect_uris: Vec<RedirectUri>,
    /// Where RP-initiated logout may return, matched exactly.
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// Scopes the client may ask for.
    pub allowed_scopes: Vec<String>,
    /// Grants the client may use.
    pub grant_types: Vec<GrantType>,
    /// How the client authenticates.
    pub auth_method: AuthMethod,
    /// The digest of the client secret, for secret-based methods.
    pub secret_hash: Option<SecretHash>,
    /// How `sub` is derived.
    pub subject_type: SubjectType,
    /// The sector for pairwise subjects (OpenID Connect Core 8.1); when absent, the host of
    /// the redirect URIs, which must then all share one host.
    #[serde(default)]
    pub sector_identifier: Option<String>,
    /// The client's public keys for `private_key_jwt`, by URL (https).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// The client's public keys for `private_key_jwt`, inline (a JWKS document).
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    /// The algorithm of the ID tokens it receives (`id_token_signed_response_alg`): ES256
    /// when unset.
    #[serde(default)]
    pub id_token_signing_alg: Option<crate::jose::Algorithm>,
    /// Audiences (resource servers) its client_credentials tokens may name (RFC 8707); a
    /// resource server registers its own resource URL here to introspect tokens meant for it.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Where back-channel logout tokens are posted (https).
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// Whether authorization requests must come through PAR (RFC 9126).
    #[serde(default)]
    pub require_par: bool,
    /// First-party services may skip the consent page.
    pub skip_consent: bool,
    /// Whether the client may be used.
    pub enabled: bool,
    /// The secret before the last rotation, accepted until its grace period ends.
    #[serde(default)]
    pub previous_secret: Option<PreviousSecret>,
    /// The stored revision, counted by the registry: a change names the revision it was made
    /// from, and is refused when another change came first. Not part of the document.
    #[serde(skip)]
    pub revision: i64,
}

/// A rotated-out secret, still accepted until `until` so the e-service can deploy the new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousSecret {
    /// Its digest.
    pub hash: SecretHash,
    /// When it stops working.
    pub until: chrono::DateTime<chrono::Utc>,
}

impl Client {
    /// Checks the rules that tie the registration's parts together.
    pub fn check(&self) -> Result<(), ClientError> {
        let refuse = |why| Err(ClientError::Inconsistent(why));
        if self.name_mn.trim().is_empty() || self.name_en.trim().is_empty() {
            return refuse("names in Mongolian and English are required");
        }
        if self.grant_types.contains(&GrantType::AuthorizationCode) && self.redirect_uris.is_empty()
        {
            return refuse("the code flow needs at least one redirect URI");
        }
        match (self.auth_method, self.secret_hash.is_some()) {
            (AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost, false) => {
                return refuse("a secret-based method needs a secret");
            }
            (AuthMethod::PrivateKeyJwt | AuthMethod::None, true) => {
                return refuse("only secret-based methods keep a secret");
            }
            _ => {}
        }
        if self.auth_method == AuthMethod::PrivateKeyJwt
            && self.jwks_uri.is_none() == self.jwks.is_none()
        {
            return refuse("private_key_jwt needs the client's jwks_uri or jwks, not both");
        }
        if let Some(jwks) = &self.jwks {
            let keys = jwks.get("keys").and_then(serde_json::Value::as_array);
            let usable = keys.is_some_and(|keys| {
                !keys.is_empty()
                    && keys
                        .iter()
                        .all(|k| crate::jose::VerifyingKey::from_jwk(k).is_ok())
            });
            if !usable {
                return refuse("jwks must be a JWKS whose keys are all usable public keys");
            }
        }
        if self.auth_method == AuthMethod::None
            && self.grant_types.contains(&GrantType::ClientCredentials)
        {
            return refuse("a public client cannot use client_credentials");
        }
        for uri in [&self.jwks_uri, &self.backchannel_logout_uri]
            .into_iter()
            .flatten()
        {
            // https, or http to a loopback address (a service on the same machine, and tests),
            // as RFC 8252 7.3 allows for redirect URIs.
            let acceptable = Url::parse(uri).is_ok_and(|u| {
                u.fragment().is_none()
                    && (u.scheme() == "https"
                        || (u.scheme() == "http"
                            && matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"))))
            });
            if !acceptable {
                return refuse(
                    "jwks_uri and backchannel_logout_uri must be https URLs (http only on \
                     loopback) without fragment",
                );
            }
        }
        if self.subject_type == SubjectType::Pairwise && self.sector().is_none() {
            return refuse("redirect URIs on several hosts need a sector_identifier");
        }
        Ok(())
    }

    /// The sector whose citizens share pairwise subjects: the registered sector identifier, or
    /// the one host of all redirect URIs.
    pub fn sector(&self) -> Option<String> {
        if let Some(sector) = &self.sector_identifier {
            return Some(sector.clone());
        }
        let mut hosts = self
            .redirect_uris
            .iter()
            .filter_map(|uri| Url::parse(uri.as_str()).ok()?.host_str().map(str::to_owned));
        let first = hosts.next()?;
        hosts.all(|h| h == first).then_some(first)
    }
}

/// The port to durable storage of clients; one contract suite for every backend
/// (`idp/tests/client_registry_contract.rs`).
#[async_trait::async_trait]
pub trait ClientRegistry: Send + Sync {
    /// Registers a new client; `Ok(false)` when the id is taken (nothing changed).
    async fn create(&self, client: &Client) -> Result<bool, crate::database::StorageError>;
    /// Finds a client by id.
    async fn find(&self, id: &ClientId) -> Result<Option<Client>, crate::database::StorageError>;
    /// Every client, by id.
    async fn list(&self) -> Result<Vec<Client>, crate::database::StorageError>;
    /// Enables or disables a client; returns whether it exists.
    async fn set_enabled(
        &self,
        id: &ClientId,
        enabled: bool,
    ) -> Result<bool, crate::database::StorageError>;
    /// Removes a client; returns whether it existed.
    async fn delete(&self, id: &ClientId) -> Result<bool, crate::database::StorageError>;
    /// Stores a changed registration made from revision `client.revision`; `Ok(false)` (and
    /// nothing changed) when the client is gone or another change came first.
    async fn replace(&self, client: &Client) -> Result<bool, crate::database::StorageError>;
}

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// HTTP Basic with the client secret.
    ClientSecretBasic,
    /// The client secret in the form body.
    ClientSecretPost,
    /// A JWT signed with the client's key (RFC 7523).
    PrivateKeyJwt,
    /// A public client: no authentication, PKCE required.
    None,
}

impl AuthMethod {
    /// The registered name (OpenID Connect Discovery `token_endpoint_auth_methods_supported`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    /// Reads a registered name.
    pub fn parse(input: &str) -> Result<Self, ClientError> {
        [
            Self::ClientSecretBasic,
            Self::ClientSecretPost,
            Self::PrivateKeyJwt,
            Self::None,
        ]
        .into_iter()
        .find(|m| m.as_str() == input)
        .ok_or(ClientError::Unknown("authentication method"))
    }

    /// Whether the method uses a shared secret.
    pub fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_plain() {
        assert!(ClientId::parse("tax-office.web").is_ok());
        for bad in ["ab", "has space", "ü-service", &"x".repeat(65)] {
            assert_eq!(ClientId::parse(bad), Err(ClientError::ClientId), "{bad}");
        }
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_without_fragment_or_wildcard_rfc6749_3_1_2() {
        for good in [
            "https://service.gov.mn/callback",
            "https://service.gov.mn:8443/cb?tenant=1",
            "http://127.0.0.1:8400/cb",
            "http://[::1]:8400/cb",
            "http://localhost/cb",
        ] {
            assert!(RedirectUri::parse(good).is_ok(), "{good}");
        }
        let refused = [
            ("http://service.gov.mn/callback", "loopback"),
            ("https://service.gov.mn/callback#x", "fragment"),
            ("https://*.gov.mn/callback", "wildcards"),
            ("https://user:pw@service.gov.mn/cb", "user"),
            ("/callback", "absolute"),
            ("javascript:alert(1)", "https"),
            ("mn.gov.app:/cb", "https"),
        ];
        for (bad, why) in refused {
            let err = RedirectUri::parse(bad).unwrap_err();
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn redirect_uris_match_exactly() {
        let uri = RedirectUri::parse("https://service.gov.mn/callback").unwrap();
        assert!(uri.matches("https://service.gov.mn/callback"));
        for near in [
            "https://service.gov.mn/callback/",
            "https://service.gov.mn/Callback",
            "https://service.gov.mn/callback?x=1",
            "HTTPS://service.gov.mn/callback",
        ] {
            assert!(!uri.matches(near), "{near}");
        }
    }

    fn registration() -> Client {
        Client {
            id: ClientId::parse("tax-office").unwrap(),
            name_mn: "Татварын алба".to_owned(),
            name_en: "Tax office".to_owned(),
            redirect_uris: vec![
                RedirectUri::parse("https://tax.gov.mn/callback").unwrap(),
                RedirectUri::parse("https://tax.gov.mn/other").unwrap(),
            ],
            post_logout_redirect_uris: vec![],
            allowed_scopes: vec!["openid".to_owned()],
            grant_types: vec![GrantType::AuthorizationCode],
            auth_method: AuthMethod::ClientSecretBasic,
            secret_hash: Some(ClientSecret::generate().unwrap().hash()),
            subject_type: SubjectType::Pairwise,
            sector_identifier: None,
            jwks_uri: None,
            jwks: None,
            id_token_signing_alg: None,
            audiences: Vec::new(),
            backchannel_logout_uri: None,
            require_par: false,
            skip_consent: false,
            enabled: true,
            previous_secret: None,
            revision: 0,
        }
    }

    #[test]
    fn a_consistent_registration_passes_and_its_sector_is_its_host_oidc_core_8_1() {
        let client = registration();
        assert_eq!(client.check(), Ok(()));
        assert_eq!(client.sector().as_deref(), Some("tax.gov.mn"));
    }

    #[test]
    fn inconsistent_registrations_are_refused_with_the_reason() {
        type Spoil = fn(&mut Client);
        let cases: [(&str, Spoil); 7] = [
            ("names", |c| c.name_en = " ".to_owned()),
            ("redirect URI", |c| c.redirect_uris.clear()),
            ("needs a secret", |c| c.secret_hash = None),
            ("only secret-based", |c| c.auth_method = AuthMethod::None),
            ("jwks_uri", |c| {
                c.auth_method = AuthMethod::PrivateKeyJwt;
                c.secret_hash = None;
            }),
            ("https", |c| {
                c.backchannel_logout_uri = Some("http://tax.gov.mn/logout".to_owned())
            }),
            ("sector_identifier", |c| {
                c.redirect_uris
                    .push(RedirectUri::parse("https://other.gov.mn/cb").unwrap());
            }),
        ];
        for (why, spoil) in cases {
            let mut client = registration();
            spoil(&mut client);
            let err = client.check().unwrap_err();
            assert!(err.to_string().contains(why), "{why}: {err}");
        }
        let mut public = registration();
        public
            .redirect_uris
            .push(RedirectUri::parse("https://other.gov.mn/cb").unwrap());
        public.sector_identifier = Some("gov.mn".to_owned());
        assert_eq!(public.check(), Ok(()));
    }

    #[test]
    fn auth_methods_round_trip() {
        for name in [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ] {
            assert_eq!(AuthMethod::parse(name).unwrap().as_str(), name);
        }
        assert!(AuthMethod::parse("client_secret_jwt").is_err());
    }
}
