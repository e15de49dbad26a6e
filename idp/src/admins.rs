//! Administrators: accounts with a role ([`Role`], defined with the admin plane), and their
//! API tokens.
//!
//! A token is `dan_admin_` + 32 random bytes (base64url), shown once when issued and stored as
//! its SHA-256 digest, so the database never holds a usable token. Tokens expire (90 days by
//! default) and can be revoked by their public id. The first account and token come from the
//! command line (`idp admin create`).

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use dan_admin::roles::{Permission, Principal, Role};

use crate::clock::Clock;
use crate::database::StorageError;

/// The prefix of every admin token, so a leaked one is recognisable (secret scanners).
pub const TOKEN_PREFIX: &str = "dan_admin_";

/// An administrator's account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdminAccount {
    /// The account name: 3 to 64 of `a-z 0-9 . _ -`.
    pub name: String,
    /// The role.
    pub role: Role,
    /// The citizen this account belongs to (console sign-in through DAN), if tied.
    pub citizen_id: Option<Uuid>,
    /// Disabled accounts' tokens are refused.
    pub enabled: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// An issued token, without the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    /// Public id, for listing and revoking.
    pub id: String,
    /// The account it acts for.
    pub admin_name: String,
    /// What it is for ("ci", "laptop", ...).
    pub label: String,
    /// When issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token as issued: shown once. `Debug` does not show it.
pub struct IssuedToken(String);

impl IssuedToken {
    /// A new token: `prefix` and 32 random bytes, base64url-encoded.
    pub(crate) fn generate(prefix: &str) -> Result<Self, crate::jose::JoseError> {
        let random = crate::jose::random_bytes(32)?;
        Ok(Self(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random))))
    }

    /// The digest it is stored as (SHA-256, base64url): the database never holds the token.
    pub(crate) fn digest(&self) -> String {
        digest(&self.0)
    }

    /// The token, to hand to the administrator.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IssuedToken(***)")
    }
}

/// Why an admin operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// A value is not acceptable.
    #[error("{0}")]
    Invalid(&'static str),
    /// The account exists already.
    #[error("an administrator with this name exists")]
    Exists,
    /// No such account.
    #[error("no such administrator")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Durable storage of accounts and token digests.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Creates an account; `false` when the name is taken.
    async fn create_account(&self, account: &AdminAccount) -> Result<bool, StorageError>;
    /// One account.
    async fn account(&self, name: &str) -> Result<Option<AdminAccount>, StorageError>;
    /// Every account, by name.
    async fn accounts(&self) -> Result<Vec<AdminAccount>, StorageError>;
    /// Stores a token's digest and record.
    async fn insert_token(&self, digest: &str, record: &TokenRecord) -> Result<(), StorageError>;
    /// The record of the token with this digest.
    async fn token(&self, digest: &str) -> Result<Option<TokenRecord>, StorageError>;
    /// Marks a token revoked; `false` when there is no such live token.
    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StorageError>;
    /// Enables or disables an account; `false` when there is no such account.
    async fn set_enabled(&self, name: &str, enabled: bool) -> Result<bool, StorageError>;
    /// The tokens of an account, newest first.
    async fn tokens(&self, name: &str) -> Result<Vec<TokenRecord>, StorageError>;
}

/// Administrators and their tokens.
#[derive(Clone)]
pub struct Admins {
    store: Arc<dyn AdminStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Admins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Admins")
    }
}

/// The stored form of a bearer token: its SHA-256 digest, base64url-encoded. A token carries
/// 256 random bits, so a fast digest is enough (nothing to guess).
pub(crate) fn digest(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

impl Admins {
    /// Administrators on `store`.
    pub fn new(store: Arc<dyn AdminStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Creates an account.
    pub async fn create(
        &self,
        name: &str,
        role: Role,
        citizen_id: Option<Uuid>,
    ) -> Result<AdminAccount, AdminError> {
        let valid = (3..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if !valid {
            return Err(AdminError::Invalid(
                "the name must be 3 to 64 of a-z, 0-9, '.', '_' and '-'",
            ));
        }
        let account = AdminAccount {
            name: name.to_owned(),
            role,
            citizen_id,
            enabled: true,
            created_at: self.clock.now(),
        };
        if !self.store.create_account(&account).await? {
            return Err(AdminError::Exists);
        }
        Ok(account)
    }

    /// Issues a token for `name`, valid for `ttl`.
    pub async fn issue_token(
        &self,
        name: &str,
        label: &str,
        ttl: std::time::Duration,
    ) -> Result<(IssuedToken, TokenRecord), AdminError> {
        if self.store.account(name).await?.is_none() {
            return Err(AdminError::NotFound);
        }
        if label.len() > 128 || label.chars().any(char::is_control) {
            return Err(AdminError::Invalid(
                "the label must be at most 128 printable characters",
            ));
        }
        let token = IssuedToken::generate(TOKEN_PREFIX)
            .map_err(|_| AdminError::Invalid("no randomness available"))?;
        let id = crate::jose::random_token(12)
            .map_err(|_| AdminError::Invalid("no randomness available"))?;
        let now = self.clock.now();
        let ttl = chrono::Duration::from_std(ttl)
            .map_err(|_| AdminError::Invalid("the lifetime is too long"))?;
        let record = TokenRecord {
            id,
            admin_name: name.to_owned(),
            label: label.to_owned(),
            created_at: now,
            expires_at: now + ttl,
            revoked_at: None,
        };
        self.store.insert_token(&token.digest(), &record).await?;
        Ok((token, record))
    }

    /// Who a presented token acts for: `None` for an unknown, expired or revoked token, or a
    /// disabled account.
    pub async fn authenticate(&self, presented: &str) -> Result<Option<Principal>, AdminError> {
        Ok(self
            .authenticate_with_id(presented)
            .await?
            .map(|(principal, _)| principal))
    }

    /// Like [`Admins::authenticate`], with the token's public id (a console session keeps
    /// it, not the token).
    pub async fn authenticate_with_id(
        &self,
        presented: &str,
    ) -> Result<Option<(Principal, String)>, AdminError> {
        if !presented.starts_with(TOKEN_PREFIX) || presented.len() > 128 {
            return Ok(None);
        }
        // Looked up by digest: comparing digests leaks nothing about the token.
        let Some(record) = self.store.token(&digest(presented)).await? else {
            return Ok(None);
        };
        Ok(self
            .principal_of(&record)
            .await?
            .map(|principal| (principal, record.id)))
    }

    /// Who the token `token_id` of account `name` acts for, while it is live and the account
    /// enabled (a console session asks on every request).
    pub async fn principal_by_token_id(
        &self,
        name: &str,
        token_id: &str,
    ) -> Result<Option<Principal>, AdminError> {
        let tokens = self.store.tokens(name).await?;
        match tokens.iter().find(|t| t.id == token_id) {
            Some(record) => self.principal_of(record).await,
            None => Ok(None),
        }
    }

    /// The principal of a token record: `None` when it is revoked or expired, or its account
    /// is disabled.
    async fn principal_of(&self, record: &TokenRecord) -> Result<Option<Principal>, AdminError> {
        if record.revoked_at.is_some() || record.expires_at <= self.clock.now() {
            return Ok(None);
        }
        let Some(account) = self.store.account(&record.admin_name).await? else {
            return Ok(None);
        };
        Ok(account.enabled.then_some(Principal {
            name: account.name,
            role: account.role,
        }))
    }

    /// Revokes a token by its public id.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, AdminError> {
        Ok(self.store.revoke_token(id, self.clock.now()).await?)
    }

    /// Disables (every token refused at once) or enables an account.
    pub async fn set_enabled(&self, name: &str, enabled: bool) -> Result<(), AdminError> {
        if self.store.set_enabled(name, enabled).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound)
        }
    }

    /// The tokens of an account (never the tokens themselves), newest first.
    pub async fn tokens(&self, name: &str) -> Result<Vec<TokenRecord>, AdminError> {
        if self.store.account(name).await?.is_none() {
            return Err(AdminError::NotFound);
        }
        Ok(self.store.tokens(name).await?)
    }

    /// Every account.
    pub async fn accounts(&self) -> Result<Vec<AdminAccount>, AdminError> {
        Ok(self.store.accounts().await?)
    }
}
