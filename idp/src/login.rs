//! Login transactions: one per authorization request that needs the citizen, from the first
//! page to the redirect back, kept in the short-lived store.
//!
//! A transaction is bound to the browser that started it (the digest of a random browser
//! cookie) and carries its own CSRF token for its forms, so neither a stolen link nor a forged
//! form can drive someone else's login. Each step checks the stage it expects; the last step
//! *takes* the transaction, so a double submit cannot issue two codes.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::authorize::AuthRequest;
use crate::ephemeral::{EphemeralStore, Key, StoreError};
use crate::jose;
use crate::tokens::digest;

const NAMESPACE: &str = "login";

/// How the citizen was authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authenticated {
    /// Who.
    pub citizen_id: Uuid,
    /// When (seconds since the epoch).
    pub auth_time: i64,
    /// Level.
    pub acr: String,
    /// Methods.
    pub amr: Vec<String>,
    /// The SSO session id.
    pub sid: String,
}

/// Where a login stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Waiting for the registry number.
    Number,
    /// A code was sent (or, for an unknown number, seems to be).
    CodeSent {
        /// The registry number entered (normalized), for a resend.
        registry_number: String,
        /// The citizen, when the number belongs to one who may log in.
        citizen_id: Option<Uuid>,
        /// The masked phone shown.
        masked_phone: String,
    },
    /// The citizen has more than one way to log in at the level asked: the picker.
    Choose {
        /// The registry number entered (normalized).
        registry_number: String,
        /// The citizen.
        citizen_id: Uuid,
    },
    /// Waiting for an authenticator-app code.
    App {
        /// The registry number entered (normalized), for the attempt limits.
        registry_number: String,
        /// The citizen.
        citizen_id: Uuid,
    },
    /// Waiting for a passkey of this citizen: after the registry number, or to step up an
    /// SSO session below the level asked.
    Passkey {
        /// The registry number entered, when it was (not for a step-up).
        registry_number: Option<String>,
        /// The citizen.
        citizen_id: Uuid,
    },
    /// The level asked for needs a method the citizen does not have.
    Unmet,
    /// Authenticated; waiting for consent.
    Consent(Authenticated),
}

/// A way to log in the login pages offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Choice {
    /// A passkey.
    Passkey,
    /// An authenticator-app code.
    App,
    /// An SMS code to the registry's phone.
    Sms,
}

impl Choice {
    /// The form value and path segment: `passkey`, `app`, `sms`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passkey => "passkey",
            Self::App => "app",
            Self::Sms => "sms",
        }
    }

    /// Reads a form value.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Passkey, Self::App, Self::Sms]
            .into_iter()
            .find(|c| c.as_str() == value)
    }

    /// The rank of the level it reaches.
    pub fn rank(self) -> usize {
        match self {
            Self::Passkey => crate::levels::Method::Passkey { synced: false }.rank(),
            Self::App => crate::levels::Method::Totp.rank(),
            Self::Sms => crate::levels::Method::Sms.rank(),
        }
    }
}

/// One login in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginTx {
    /// Its id (random, in the page URLs).
    pub id: String,
    /// The authorization request it serves.
    pub request: AuthRequest,
    /// Digest of the browser cookie it is bound to.
    pub binding: String,
    /// The CSRF token of its forms.
    pub csrf: String,
    /// `mn` or `en`.
    pub locale: String,
    /// Where it stands.
    pub stage: Stage,
}

/// Why a transaction could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// Unknown or expired.
    #[error("the login has expired")]
    Expired,
    /// Another browser, or a form without the right CSRF token.
    #[error("the form does not belong to this login")]
    Forged,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The transactions in the short-lived store.
pub struct Logins {
    store: Arc<dyn EphemeralStore>,
    lifetime: Duration,
}

impl Logins {
    /// Transactions that live `lifetime`.
    pub fn new(store: Arc<dyn EphemeralStore>, lifetime: Duration) -> Self {
        Self { store, lifetime }
    }

    fn key(id: &str) -> Key {
        Key::new(NAMESPACE, id.to_owned())
    }

    /// Starts a transaction for `request` in the browser whose cookie is `browser`.
    pub async fn start(
        &self,
        request: AuthRequest,
        browser: &str,
        locale: &str,
        stage: Stage,
    ) -> Result<LoginTx, StoreError> {
        let random = |n| jose::random_token(n).map_err(|e| StoreError::Unavailable(e.to_string()));
        let tx = LoginTx {
            id: random(24)?,
            request,
            binding: digest(browser),
            csrf: random(24)?,
            locale: locale.to_owned(),
            stage,
        };
        self.save(&tx).await?;
        Ok(tx)
    }

    /// Stores the transaction's new state.
    pub async fn save(&self, tx: &LoginTx) -> Result<(), StoreError> {
        let value =
            serde_json::to_vec(tx).map_err(|e| StoreError::Invalid(leak_free(e.to_string())))?;
        self.store
            .put(&Self::key(&tx.id), &value, self.lifetime)
            .await
    }

    /// Loads a transaction for a page view: it must belong to this browser.
    pub async fn load(&self, id: &str, browser: Option<&str>) -> Result<LoginTx, TxError> {
        let bytes = self
            .store
            .get(&Self::key(id))
            .await?
            .ok_or(TxError::Expired)?;
        let tx: LoginTx = serde_json::from_slice(&bytes).map_err(|_| TxError::Expired)?;
        let bound =
            browser.is_some_and(|b| bool::from(digest(b).as_bytes().ct_eq(tx.binding.as_bytes())));
        if !bound {
            return Err(TxError::Forged);
        }
        Ok(tx)
    }

    /// Loads a transaction for a form submission: browser and CSRF token must match.
    pub async fn load_for_form(
        &self,
        id: &str,
        browser: Option<&str>,
        csrf: Option<&str>,
    ) -> Result<LoginTx, TxError> {
        let tx = self.load(id, browser).await?;
        let csrf_ok = csrf.is_some_and(|c| bool::from(c.as_bytes().ct_eq(tx.csrf.as_bytes())));
        if !csrf_ok {
            return Err(TxError::Forged);
        }
        Ok(tx)
    }

    /// Ends the transaction; false when it was already ended (a double submit).
    pub async fn finish(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.store.take(&Self::key(id)).await?.is_some())
    }
}

fn leak_free(_detail: String) -> &'static str {
    "login transaction could not be encoded"
}
