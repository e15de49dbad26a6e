//! Dynamic client registration (RFC 7591) and its management protocol (RFC 7592), allowed only
//! with an initial access token that an administrator issued: agencies register their
//! e-services themselves, under control.
//!
//! - **Initial access tokens** (`dan_iat_...`) are issued through the admin API with a label,
//!   an expiry and a number of registrations (one by default); shown once, stored as a SHA-256
//!   digest, revocable. Each registration counts one use in the same transaction that writes
//!   the client, so a token used concurrently beyond its limit registers once only.
//! - **Registration** (`POST /register`) reads RFC 7591 metadata into the admin plane's
//!   settings and validates them with the very rules administrators' clients pass
//!   ([`crate::admin_plane`]): the restricted `national_id` scope, consent skipping and
//!   audiences are never self-registered.
//! - **Management** (`/register/{client_id}`, RFC 7592) is authenticated by the client's own
//!   registration access token (`dan_rat_...`, random, stored as a digest on the client's row,
//!   compared in constant time). Clients created by administrators have none, so they are not
//!   managed this way; nor is a client that holds a restricted scope (only a security
//!   administrator changes those).
//!
//! Choices where the RFCs leave room:
//! - A `PUT` never changes the client secret: `client_secret` is in its answer only when the
//!   new authentication method needs a secret and the old had none. Rotation is an
//!   administrator's operation (with a grace period). A `client_secret` sent in a `PUT` must be
//!   the current one (RFC 7592 2.2).
//! - The registration access token is not rotated on read or update; a read answers with the
//!   token presented (RFC 7592 3 wants it in the answer), which DAN cannot otherwise show.
//! - What only an administrator grants (audiences, consent skipping, a sector) is kept as the
//!   administrator set it by a `PUT`.
//! - Reads are not audited; registrations, updates, deletions and every refusal are
//!   ([`EventKind::ClientRegistration`]), never with a token or a secret.

mod metadata;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use dan_admin::problem::AdminFailure;
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use crate::admin_plane::from_settings;
use crate::admins::{IssuedToken, digest};
use crate::audit::{Actor, AuditLog, EventKind, NewEvent};
use crate::clients::{Client, ClientId, ClientRegistry, ClientSecret};
use crate::clock::Clock;
use crate::database::StorageError;

/// The prefix of initial access tokens, so a leaked one is recognisable.
pub const INITIAL_TOKEN_PREFIX: &str = "dan_iat_";
/// The prefix of registration access tokens.
pub const REGISTRATION_TOKEN_PREFIX: &str = "dan_rat_";
/// The longest an initial access token may live: 90 days.
pub const MAX_INITIAL_TOKEN_SECONDS: u32 = 90 * 86_400;
/// The most registrations one initial access token may allow.
pub const MAX_REGISTRATIONS: u32 = 1000;

/// An initial access token, without the token itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialTokenRecord {
    /// Public id, for listing and revoking.
    pub id: String,
    /// What it is for (the agency, the ticket).
    pub label: String,
    /// The administrator who issued it.
    pub created_by: String,
    /// When issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// How many registrations it allows.
    pub max_registrations: u32,
    /// How many it was used for.
    pub registrations: u32,
    /// When revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl InitialTokenRecord {
    /// Why the token cannot register a client at `now`, if it cannot.
    pub fn refusal(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if self.revoked_at.is_some() {
            Some("revoked")
        } else if self.expires_at <= now {
            Some("expired")
        } else if self.registrations >= self.max_registrations {
            Some("used_up")
        } else {
            None
        }
    }
}

/// What became of a registration written to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// The token's use was counted and the client written, together.
    Registered,
    /// The token was no longer usable (used up, revoked or expired meanwhile): nothing written.
    TokenRefused,
    /// The client id is taken: nothing written.
    IdTaken,
}

/// Durable storage of initial access tokens and registration access tokens; one contract
/// suite for every backend (`idp/tests/registration.rs`).
#[async_trait]
pub trait RegistrationStore: Send + Sync {
    /// Stores an initial access token's digest and record.
    async fn insert_initial_token(
        &self,
        digest: &str,
        record: &InitialTokenRecord,
    ) -> Result<(), StorageError>;
    /// The record of the initial access token with this digest.
    async fn initial_token(&self, digest: &str)
    -> Result<Option<InitialTokenRecord>, StorageError>;
    /// Every initial access token, newest first.
    async fn initial_tokens(&self) -> Result<Vec<InitialTokenRecord>, StorageError>;
    /// Revokes a live token by public id; `false` when there is none.
    async fn revoke_initial_token(&self, id: &str, at: DateTime<Utc>)
    -> Result<bool, StorageError>;
    /// In one transaction: counts one use of the initial access token with `initial_digest`
    /// if it is usable at `now`, and writes `client` with its registration access token's
    /// digest. Either both are written or neither.
    async fn register(
        &self,
        initial_digest: &str,
        now: DateTime<Utc>,
        client: &Client,
        registration_digest: &str,
    ) -> Result<Stored, StorageError>;
    /// A self-registered client and its registration access token's digest; `None` for an
    /// unknown client and for one an administrator created.
    async fn registered_client(
        &self,
        id: &ClientId,
    ) -> Result<Option<(Client, String)>, StorageError>;
}

/// Why a registration operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// No, an unknown, expired, revoked or used-up token (401, `invalid_token`).
    #[error("the access token is missing, unknown, expired, revoked or used up")]
    InvalidToken,
    /// A redirect URI is not acceptable (RFC 7591 3.2.2 `invalid_redirect_uri`).
    #[error("{0}")]
    InvalidRedirectUri(String),
    /// Some metadata is not acceptable (`invalid_client_metadata`).
    #[error("{0}")]
    InvalidMetadata(String),
    /// A software statement was sent (`invalid_software_statement`).
    #[error("{0}")]
    InvalidSoftwareStatement(String),
    /// The client holds a restricted scope: only a security administrator changes it (403).
    #[error("this client holds a restricted scope: a security administrator changes it")]
    Restricted,
    /// Another change came first (409): read again and retry.
    #[error("the registration was changed meanwhile: read it again and retry")]
    Conflict,
    /// An administrator's input is not acceptable.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// Storage (or the random source) failed; nothing was written.
    #[error("registration unavailable")]
    Unavailable,
}

impl From<StorageError> for RegistrationError {
    fn from(error: StorageError) -> Self {
        tracing::error!(%error, "client registration failed on storage");
        Self::Unavailable
    }
}

impl RegistrationError {
    /// The RFC 7591 3.2.2 / RFC 6750 error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidToken => "invalid_token",
            Self::InvalidRedirectUri(_) => "invalid_redirect_uri",
            Self::InvalidMetadata(_) | Self::Invalid { .. } => "invalid_client_metadata",
            Self::InvalidSoftwareStatement(_) => "invalid_software_statement",
            Self::Restricted => "access_denied",
            Self::Conflict => "invalid_request",
            Self::Unavailable => "temporarily_unavailable",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidToken => 401,
            Self::Restricted => 403,
            Self::Conflict => 409,
            Self::Unavailable => 503,
            _ => 400,
        }
    }
}

/// A refusal of the shared validation, in RFC 7591's terms.
fn metadata_refused(failure: AdminFailure) -> RegistrationError {
    match failure {
        AdminFailure::Invalid { field, reason } if field == "redirect_uris" => {
            RegistrationError::InvalidRedirectUri(format!("redirect_uris: {reason}"))
        }
        AdminFailure::Invalid { field, reason } if field == "registration" => {
            RegistrationError::InvalidMetadata(reason)
        }
        AdminFailure::Invalid { field, reason } => RegistrationError::InvalidMetadata(format!(
            "{}: {reason}",
            metadata::field_name(&field)
        )),
        _ => RegistrationError::Unavailable,
    }
}

fn holds_restricted(client: &Client) -> bool {
    client.allowed_scopes.iter().any(|scope| {
        crate::authorize::CATALOGUE
            .iter()
            .any(|s| s.restricted && s.name == scope)
    })
}

/// The request body as JSON.
fn parse(body: &[u8]) -> Result<Value, RegistrationError> {
    serde_json::from_slice(body)
        .map_err(|e| RegistrationError::InvalidMetadata(format!("the body is not JSON: {e}")))
}

/// Dynamic client registration on one node.
pub struct Registrations {
    store: Arc<dyn RegistrationStore>,
    clients: Arc<dyn ClientRegistry>,
    audit: Arc<AuditLog>,
    clock: Arc<dyn Clock>,
    issuer: String,
}

impl Registrations {
    /// Registration on `store`, changing clients through `clients` (the node's cached
    /// registry, so a change here is seen here at once), auditing to `audit`.
    pub fn new(
        store: Arc<dyn RegistrationStore>,
        clients: Arc<dyn ClientRegistry>,
        audit: Arc<AuditLog>,
        clock: Arc<dyn Clock>,
        issuer: String,
    ) -> Self {
        Self {
            store,
            clients,
            audit,
            clock,
            issuer,
        }
    }

    /// Issues an initial access token for `max_registrations` registrations within
    /// `lifetime_seconds`; the token is in the answer only.
    pub async fn issue_initial_token(
        &self,
        label: &str,
        lifetime_seconds: u32,
        max_registrations: u32,
        created_by: &str,
    ) -> Result<(IssuedToken, InitialTokenRecord), RegistrationError> {
        let invalid = |field, reason| Err(RegistrationError::Invalid { field, reason });
        // Characters, not bytes: a Mongolian label is Cyrillic (PostgreSQL's varchar(128)
        // counts characters too).
        let length = label.chars().count();
        if label.trim().is_empty() || length > 128 || label.chars().any(char::is_control) {
            return invalid("label", "the label must be 1 to 128 printable characters");
        }
        if !(60..=MAX_INITIAL_TOKEN_SECONDS).contains(&lifetime_seconds) {
            return invalid("expires_in", "from 60 seconds to 90 days");
        }
        if !(1..=MAX_REGISTRATIONS).contains(&max_registrations) {
            return invalid("max_registrations", "from 1 to 1000");
        }
        let token = IssuedToken::generate(INITIAL_TOKEN_PREFIX)
            .map_err(|_| RegistrationError::Unavailable)?;
        let id = crate::jose::random_token(12).map_err(|_| RegistrationError::Unavailable)?;
        let now = self.clock.now();
        let record = InitialTokenRecord {
            id,
            label: label.to_owned(),
            created_by: created_by.to_owned(),
            created_at: now,
            expires_at: now + chrono::Duration::seconds(i64::from(lifetime_seconds)),
            max_registrations,
            registrations: 0,
            revoked_at: None,
        };
        self.store
            .insert_initial_token(&token.digest(), &record)
            .await?;
        Ok((token, record))
    }

    /// Every initial access token (never the tokens), newest first.
    pub async fn initial_tokens(&self) -> Result<Vec<InitialTokenRecord>, RegistrationError> {
        Ok(self.store.initial_tokens().await?)
    }

    /// Revokes an initial access token by public id; `None` when there is no live one.
    pub async fn revoke_initial_token(
        &self,
        id: &str,
    ) -> Result<Option<InitialTokenRecord>, RegistrationError> {
        if !self
            .store
            .revoke_initial_token(id, self.clock.now())
            .await?
        {
            return Ok(None);
        }
        let tokens = self.store.initial_tokens().await?;
        Ok(tokens.into_iter().find(|t| t.id == id))
    }

    /// Records a refusal: what was tried, on which client or with which initial token (by
    /// public id), and why. Never the token.
    async fn refused(
        &self,
        action: &str,
        client: Option<&ClientId>,
        initial_token: Option<&str>,
        reason: &str,
    ) {
        let mut event = NewEvent::new(EventKind::ClientRegistration, Actor::System)
            .detail("action", action)
            .detail("outcome", "refused")
            .detail("reason", reason.chars().take(200).collect::<String>());
        if let Some(client) = client {
            event = event.client(client);
        }
        if let Some(id) = initial_token {
            event = event.detail("initial_token", id);
        }
        self.audit.note(event).await;
    }

    async fn changed(&self, action: &str, client: &Client, extra: Option<(&str, &str)>) {
        let mut event = NewEvent::new(
            EventKind::ClientRegistration,
            Actor::Client(client.id.clone()),
        )
        .client(&client.id)
        .detail("action", action)
        .detail("outcome", "ok")
        .detail("auth_method", client.auth_method.as_str())
        .detail("scopes", client.allowed_scopes.join(" "));
        if let Some((name, value)) = extra {
            event = event.detail(name, value);
        }
        self.audit.note(event).await;
    }

    /// The client configuration endpoint of a client (RFC 7592 1).
    fn client_uri(&self, id: &ClientId) -> String {
        format!("{}/register/{}", self.issuer, id.as_str())
    }

    fn answer(&self, client: &Client, access_token: &str) -> Map<String, Value> {
        let mut body = metadata::document(client);
        body.insert(
            "registration_client_uri".to_owned(),
            Value::String(self.client_uri(&client.id)),
        );
        body.insert(
            "registration_access_token".to_owned(),
            Value::String(access_token.to_owned()),
        );
        body
    }

    /// The initial access token `bearer` stands for, if it may register a client now.
    async fn initial_token(
        &self,
        bearer: Option<&str>,
    ) -> Result<(String, InitialTokenRecord), RegistrationError> {
        let presented = bearer.filter(|t| t.starts_with(INITIAL_TOKEN_PREFIX) && t.len() <= 128);
        let Some(presented) = presented else {
            let why = if bearer.is_some() {
                "unknown_token"
            } else {
                "no_token"
            };
            self.refused("register", None, None, why).await;
            return Err(RegistrationError::InvalidToken);
        };
        // Looked up by digest: comparing digests leaks nothing about the token.
        let token_digest = digest(presented);
        let Some(record) = self.store.initial_token(&token_digest).await? else {
            self.refused("register", None, None, "unknown_token").await;
            return Err(RegistrationError::InvalidToken);
        };
        if let Some(why) = record.refusal(self.clock.now()) {
            self.refused("register", None, Some(&record.id), why).await;
            return Err(RegistrationError::InvalidToken);
        }
        Ok((token_digest, record))
    }

    /// Registers a client (RFC 7591 3): `bearer` is the initial access token, `body` the
    /// metadata as sent. Answers the client information response (3.2.1).
    pub async fn register(
        &self,
        bearer: Option<&str>,
        body: &[u8],
    ) -> Result<Value, RegistrationError> {
        let (token_digest, record) = self.initial_token(bearer).await?;
        let built = parse(body)
            .and_then(|document| metadata::settings(&document))
            .and_then(|settings| {
                let id = crate::jose::random_token(12)
                    .ok()
                    .and_then(|r| ClientId::parse(&format!("dcr-{r}")).ok())
                    .ok_or(RegistrationError::Unavailable)?;
                from_settings(id, settings, None).map_err(metadata_refused)
            });
        let (client, secret) = match built {
            Ok(built) => built,
            Err(error) => {
                self.refused("register", None, Some(&record.id), error.code())
                    .await;
                return Err(error);
            }
        };
        let access = IssuedToken::generate(REGISTRATION_TOKEN_PREFIX)
            .map_err(|_| RegistrationError::Unavailable)?;
        let now = self.clock.now();
        match self
            .store
            .register(&token_digest, now, &client, &access.digest())
            .await?
        {
            Stored::Registered => {}
            Stored::TokenRefused => {
                // Used up (or revoked, or expired) since it was read: another registration
                // with the same token came first.
                self.refused("register", None, Some(&record.id), "used_up")
                    .await;
                return Err(RegistrationError::InvalidToken);
            }
            Stored::IdTaken => return Err(RegistrationError::Unavailable),
        }
        self.changed("register", &client, Some(("initial_token", &record.id)))
            .await;
        let mut body = self.answer(&client, access.expose());
        body.insert("client_id_issued_at".to_owned(), json!(now.timestamp()));
        if let Some(secret) = &secret {
            body.insert(
                "client_secret".to_owned(),
                Value::String(secret.expose().to_owned()),
            );
        }
        Ok(Value::Object(body))
    }

    /// The self-registered client `id`, if `bearer` is its registration access token.
    async fn authenticate(
        &self,
        id: &str,
        bearer: Option<&str>,
        action: &str,
    ) -> Result<Client, RegistrationError> {
        let Ok(id) = ClientId::parse(id) else {
            self.refused(action, None, None, "unknown_client").await;
            return Err(RegistrationError::InvalidToken);
        };
        let found = self.store.registered_client(&id).await?;
        let presented = digest(bearer.unwrap_or_default());
        match found {
            Some((client, stored)) if bool::from(stored.as_bytes().ct_eq(presented.as_bytes())) => {
                Ok(client)
            }
            Some(_) => {
                self.refused(action, Some(&id), None, "wrong_registration_token")
                    .await;
                Err(RegistrationError::InvalidToken)
            }
            None => {
                // Unknown, or created by an administrator: no registration access token.
                self.refused(action, Some(&id), None, "not_self_registered")
                    .await;
                Err(RegistrationError::InvalidToken)
            }
        }
    }

    /// Reads a registration (RFC 7592 2.1).
    pub async fn read(&self, id: &str, bearer: Option<&str>) -> Result<Value, RegistrationError> {
        let client = self.authenticate(id, bearer, "read").await?;
        Ok(Value::Object(
            self.answer(&client, bearer.unwrap_or_default()),
        ))
    }

    /// Replaces a registration (RFC 7592 2.2) with the same validation as a new one.
    pub async fn update(
        &self,
        id: &str,
        bearer: Option<&str>,
        body: &[u8],
    ) -> Result<Value, RegistrationError> {
        let existing = self.authenticate(id, bearer, "update").await?;
        let result = self.replace(&existing, body).await;
        match result {
            Ok((client, secret)) => {
                self.changed("update", &client, None).await;
                let mut body = self.answer(&client, bearer.unwrap_or_default());
                if let Some(secret) = &secret {
                    body.insert(
                        "client_secret".to_owned(),
                        Value::String(secret.expose().to_owned()),
                    );
                }
                Ok(Value::Object(body))
            }
            Err(error) => {
                self.refused("update", Some(&existing.id), None, error.code())
                    .await;
                Err(error)
            }
        }
    }

    async fn replace(
        &self,
        existing: &Client,
        body: &[u8],
    ) -> Result<(Client, Option<ClientSecret>), RegistrationError> {
        if holds_restricted(existing) {
            return Err(RegistrationError::Restricted);
        }
        let document = parse(body)?;
        if document.get("client_id").and_then(Value::as_str) != Some(existing.id.as_str()) {
            return Err(RegistrationError::InvalidMetadata(
                "client_id must be the client's own id (RFC 7592 2.2)".to_owned(),
            ));
        }
        if let Some(sent) = document.get("client_secret") {
            let current = sent.as_str().is_some_and(|s| {
                existing
                    .secret_hash
                    .as_ref()
                    .is_some_and(|h| h.verify(&ClientSecret::from_presented(s)))
            });
            if !current {
                return Err(RegistrationError::InvalidMetadata(
                    "client_secret must be the secret issued (a client cannot choose its own; \
                     leave it out)"
                        .to_owned(),
                ));
            }
        }
        let mut settings = metadata::settings(&document)?;
        // What only an administrator grants stays as the administrator set it.
        settings.audiences = existing.audiences.clone();
        settings.skip_consent = existing.skip_consent;
        settings.sector_identifier = existing.sector_identifier.clone();
        let (client, secret) = from_settings(existing.id.clone(), settings, Some(existing))
            .map_err(metadata_refused)?;
        if !self.clients.replace(&client).await? {
            return Err(RegistrationError::Conflict);
        }
        Ok((client, secret))
    }

    /// Deletes a registration (RFC 7592 2.3); its registration access token dies with it.
    pub async fn delete(&self, id: &str, bearer: Option<&str>) -> Result<(), RegistrationError> {
        let client = self.authenticate(id, bearer, "delete").await?;
        if holds_restricted(&client) {
            self.refused("delete", Some(&client.id), None, "restricted")
                .await;
            return Err(RegistrationError::Restricted);
        }
        if !self.clients.delete(&client.id).await? {
            return Err(RegistrationError::Conflict);
        }
        self.changed("delete", &client, None).await;
        Ok(())
    }
}

/// An RFC 3339 time, to the second.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_refused_when_revoked_expired_or_used_up() {
        let now = Utc::now();
        let live = InitialTokenRecord {
            id: "t".into(),
            label: "agency".into(),
            created_by: "root".into(),
            created_at: now,
            expires_at: now + chrono::Duration::hours(1),
            max_registrations: 1,
            registrations: 0,
            revoked_at: None,
        };
        assert_eq!(live.refusal(now), None);
        let used = InitialTokenRecord {
            registrations: 1,
            ..live.clone()
        };
        assert_eq!(used.refusal(now), Some("used_up"));
        assert_eq!(
            live.refusal(now + chrono::Duration::hours(1)),
            Some("expired")
        );
        let revoked = InitialTokenRecord {
            revoked_at: Some(now),
            ..live
        };
        assert_eq!(revoked.refusal(now), Some("revoked"));
    }
}
