//! Authenticator apps (TOTP), a citizen's own method beyond the registry's phone (passkeys are
//! in [`crate::passkeys`]). Storage sits behind [`AuthenticatorStore`] (one SQL
//! implementation for SQLite and PostgreSQL, `database::authenticators`).
//!
//! An authenticator app is enrolled in two steps: [`Authenticators::enroll_totp`] makes a
//! secret (shown once, as text and as a QR code) and stores it sealed and unconfirmed;
//! [`Authenticators::confirm_totp`] confirms it with a first valid code. Only confirmed apps
//! log in ([`Authenticators::verify_totp`]). The step a code used is written with a condition
//! (`last_used_step` below it), so a code is accepted once across every node, however many try
//! it at the same instant.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::clock::Clock;
use crate::database::StorageError;
use crate::jose::KeyEncryptionKey;
use crate::totp::{self, TotpRefusal, TotpSecret};

/// The kind of an authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An authenticator app (TOTP).
    Totp,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        (name == "totp").then_some(Self::Totp)
    }
}

/// One stored authenticator.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredAuthenticator {
    /// Public id.
    pub id: String,
    /// Whose.
    pub citizen_id: Uuid,
    /// What kind.
    pub kind: Kind,
    /// The citizen's name for it.
    pub name: String,
    /// The secret, sealed under the key-encryption key with the id as context.
    pub sealed_secret: Option<Vec<u8>>,
    /// The last TOTP step used.
    pub last_used_step: Option<i64>,
    /// Confirmed with a first valid code.
    pub confirmed: bool,
    /// When enrolled.
    pub created_at: DateTime<Utc>,
    /// When last used to log in.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for StoredAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredAuthenticator")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("confirmed", &self.confirmed)
            .finish_non_exhaustive()
    }
}

/// Durable storage of authenticators.
#[async_trait]
pub trait AuthenticatorStore: Send + Sync {
    /// Stores a new authenticator.
    async fn insert(&self, authenticator: &StoredAuthenticator) -> Result<(), StorageError>;
    /// A citizen's authenticators, oldest first.
    async fn of_citizen(&self, citizen_id: Uuid) -> Result<Vec<StoredAuthenticator>, StorageError>;
    /// Records that `step` was used at `at`, only if no step at or after it was; returns
    /// whether it was recorded. Confirms the authenticator too.
    async fn use_step(
        &self,
        id: &str,
        citizen_id: Uuid,
        step: i64,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Renames one of a citizen's authenticators; `false` when there is no such.
    async fn rename(&self, id: &str, citizen_id: Uuid, name: &str) -> Result<bool, StorageError>;
    /// Removes one of a citizen's authenticators; `false` when there is no such.
    async fn remove(&self, id: &str, citizen_id: Uuid) -> Result<bool, StorageError>;
}

/// Why an authenticator operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticatorError {
    /// A name is not acceptable.
    #[error("a name is 1 to 64 printable characters")]
    InvalidName,
    /// No such authenticator of this citizen.
    #[error("no such authenticator")]
    NotFound,
    /// The code was refused.
    #[error(transparent)]
    Refused(#[from] TotpRefusal),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The citizen has as many authenticator apps as allowed ([`MAX_APPS`]).
    #[error("at most {MAX_APPS} authenticator apps")]
    TooMany,
    /// Randomness or sealing failed.
    #[error("the secret could not be made or read")]
    Crypto,
}

/// The most authenticator apps one citizen may have.
pub const MAX_APPS: usize = 5;
/// How long an enrollment waits for its first code.
pub const ENROLLMENT_MINUTES: i64 = 15;

/// An enrollment in progress: what the citizen's app needs, shown once.
#[derive(Debug)]
pub struct Enrollment {
    /// The authenticator's id, to confirm.
    pub id: String,
    /// The secret (for the text form and the QR code).
    pub secret: TotpSecret,
}

/// A citizen's authenticators.
#[derive(Clone)]
pub struct Authenticators {
    store: Arc<dyn AuthenticatorStore>,
    kek: KeyEncryptionKey,
    clock: Arc<dyn Clock>,
}

fn check_name(name: &str) -> Result<String, AuthenticatorError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(AuthenticatorError::InvalidName);
    }
    Ok(name.to_owned())
}

impl Authenticators {
    /// Authenticators on `store`, secrets sealed under `kek`.
    pub fn new(
        store: Arc<dyn AuthenticatorStore>,
        kek: KeyEncryptionKey,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { store, kek, clock }
    }

    /// Starts enrolling an authenticator app named `name`: stored sealed and unconfirmed.
    pub async fn enroll_totp(
        &self,
        citizen_id: Uuid,
        name: &str,
    ) -> Result<Enrollment, AuthenticatorError> {
        let name = check_name(name)?;
        let secret = TotpSecret::generate().map_err(|_| AuthenticatorError::Crypto)?;
        let id = crate::jose::random_token(12).map_err(|_| AuthenticatorError::Crypto)?;
        let sealed = self
            .kek
            .encrypt(secret.expose_bytes(), id.as_bytes())
            .map_err(|_| AuthenticatorError::Crypto)?;
        self.store
            .insert(&StoredAuthenticator {
                id: id.clone(),
                citizen_id,
                kind: Kind::Totp,
                name,
                sealed_secret: Some(sealed),
                last_used_step: None,
                confirmed: false,
                created_at: self.clock.now(),
                last_used_at: None,
            })
            .await?;
        Ok(Enrollment { id, secret })
    }

    /// Starts enrolling an authenticator app for the citizen's own account page: at most
    /// [`MAX_APPS`] confirmed apps, and one enrollment at a time (a new one drops any
    /// unconfirmed one, so abandoned enrollments do not pile up).
    pub async fn start_app(
        &self,
        citizen_id: Uuid,
        name: &str,
    ) -> Result<Enrollment, AuthenticatorError> {
        check_name(name)?;
        let existing = self.store.of_citizen(citizen_id).await?;
        if existing.iter().filter(|a| a.confirmed).count() >= MAX_APPS {
            return Err(AuthenticatorError::TooMany);
        }
        for pending in existing.iter().filter(|a| !a.confirmed) {
            self.store.remove(&pending.id, citizen_id).await?;
        }
        self.enroll_totp(citizen_id, name).await
    }

    /// An unconfirmed enrollment of the citizen, younger than [`ENROLLMENT_MINUTES`], with
    /// its secret (to show the QR code again after a wrong first code).
    pub async fn enrollment(
        &self,
        citizen_id: Uuid,
        id: &str,
    ) -> Result<Enrollment, AuthenticatorError> {
        let stored = self.pending(citizen_id, id).await?;
        let sealed = stored
            .sealed_secret
            .as_ref()
            .ok_or(AuthenticatorError::Crypto)?;
        let secret = self
            .kek
            .decrypt(sealed, stored.id.as_bytes())
            .map(TotpSecret::from_bytes)
            .map_err(|_| AuthenticatorError::Crypto)?;
        Ok(Enrollment {
            id: stored.id,
            secret,
        })
    }

    async fn pending(
        &self,
        citizen_id: Uuid,
        id: &str,
    ) -> Result<StoredAuthenticator, AuthenticatorError> {
        let oldest = self.clock.now() - chrono::Duration::minutes(ENROLLMENT_MINUTES);
        self.store
            .of_citizen(citizen_id)
            .await?
            .into_iter()
            .find(|a| a.id == id && a.kind == Kind::Totp && !a.confirmed && a.created_at > oldest)
            .ok_or(AuthenticatorError::NotFound)
    }

    /// Confirms an enrollment with a first valid code; the code's step counts as used.
    pub async fn confirm_totp(
        &self,
        citizen_id: Uuid,
        id: &str,
        code: &str,
    ) -> Result<(), AuthenticatorError> {
        let stored = self.pending(citizen_id, id).await?;
        self.accept(&stored, code).await.map(|_| ())
    }

    /// Checks a login code against the citizen's confirmed authenticator apps; the id of the
    /// one that took it. A code is taken once.
    pub async fn verify_totp(
        &self,
        citizen_id: Uuid,
        code: &str,
    ) -> Result<String, AuthenticatorError> {
        let apps: Vec<StoredAuthenticator> = self
            .store
            .of_citizen(citizen_id)
            .await?
            .into_iter()
            .filter(|a| a.kind == Kind::Totp && a.confirmed)
            .collect();
        let mut refusal = TotpRefusal::Wrong;
        for app in &apps {
            match self.accept(app, code).await {
                Ok(id) => return Ok(id),
                Err(AuthenticatorError::Refused(why)) => {
                    if why != TotpRefusal::Wrong {
                        refusal = why;
                    }
                }
                // One unreadable app does not keep the citizen from the others.
                Err(AuthenticatorError::Crypto) => {
                    tracing::error!(authenticator = %app.id, "an authenticator's secret does not open");
                }
                Err(other) => return Err(other),
            }
        }
        Err(refusal.into())
    }

    /// Checks `code` against one authenticator and records its step, once.
    async fn accept(
        &self,
        stored: &StoredAuthenticator,
        code: &str,
    ) -> Result<String, AuthenticatorError> {
        let sealed = stored
            .sealed_secret
            .as_ref()
            .ok_or(AuthenticatorError::Crypto)?;
        let secret = self
            .kek
            .decrypt(sealed, stored.id.as_bytes())
            .map(TotpSecret::from_bytes)
            .map_err(|_| AuthenticatorError::Crypto)?;
        let now = self.clock.now();
        let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
        let last = stored.last_used_step.and_then(|s| u64::try_from(s).ok());
        let step = totp::check(&secret, code, seconds, last)?;
        let step = i64::try_from(step).map_err(|_| AuthenticatorError::Crypto)?;
        if !self
            .store
            .use_step(&stored.id, stored.citizen_id, step, now)
            .await?
        {
            // Another request took this step (or a later one) meanwhile.
            return Err(TotpRefusal::Replayed.into());
        }
        Ok(stored.id.clone())
    }

    /// A citizen's authenticators.
    pub async fn list(
        &self,
        citizen_id: Uuid,
    ) -> Result<Vec<StoredAuthenticator>, AuthenticatorError> {
        Ok(self.store.of_citizen(citizen_id).await?)
    }

    /// Renames one of a citizen's authenticators.
    pub async fn rename(
        &self,
        citizen_id: Uuid,
        id: &str,
        name: &str,
    ) -> Result<(), AuthenticatorError> {
        let name = check_name(name)?;
        if !self.store.rename(id, citizen_id, &name).await? {
            return Err(AuthenticatorError::NotFound);
        }
        Ok(())
    }

    /// Removes one of a citizen's authenticators.
    pub async fn remove(&self, citizen_id: Uuid, id: &str) -> Result<(), AuthenticatorError> {
        if !self.store.remove(id, citizen_id).await? {
            return Err(AuthenticatorError::NotFound);
        }
        Ok(())
    }
}
