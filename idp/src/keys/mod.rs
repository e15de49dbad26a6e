//! Signing keys: generation, encryption at rest, the next → active → retired life cycle, and
//! the JWKS that publishes them.
//!
//! For each algorithm (ES256 by default; RS256 and EdDSA for clients that ask) there is one
//! *active* key that signs, one *next* key already published so that relying parties have cached
//! it before it signs anything, and *retired* keys that no longer sign but stay published until
//! every token they signed has expired. A rotation promotes next to active, retires the old
//! active key and generates a new next key, so no token in flight ever meets an unknown `kid`.
//!
//! The private half is stored PKCS#8-encoded and sealed with the key-encryption key
//! (AES-256-GCM, bound to the kid). Every node loads the keys from the database at start and
//! reloads them periodically ([`KeyRing::reload`]), so a rotation done on one node reaches all.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::database::StorageError;
use crate::jose::{Algorithm, Compact, JoseError, KeyEncryptionKey, SigningKey, VerifyingKey};

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// Published, not yet signing.
    Next,
    /// Signing.
    Active,
    /// No longer signing; published until its tokens have expired.
    Retired,
}

impl KeyState {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }

    /// Reads the stored form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "next" => Some(Self::Next),
            "active" => Some(Self::Active),
            "retired" => Some(Self::Retired),
            _ => None,
        }
    }
}

/// A key as stored: the private half sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredKey {
    /// The key id.
    pub kid: String,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// Its state.
    pub state: KeyState,
    /// PKCS#8 DER sealed with the key-encryption key, bound to the kid.
    pub sealed_private_key: Vec<u8>,
    /// The public JWK.
    pub public_jwk: Value,
    /// Generated.
    pub created_at: DateTime<Utc>,
    /// Became active.
    pub activated_at: Option<DateTime<Utc>>,
    /// Retired.
    pub retired_at: Option<DateTime<Utc>>,
}

/// The port to durable key storage.
#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
    /// Every stored key.
    async fn list(&self) -> Result<Vec<StoredKey>, StorageError>;
    /// Stores a new key.
    async fn insert(&self, key: &StoredKey) -> Result<(), StorageError>;
    /// Moves a key to `state` at `at`; returns whether it existed in `from`.
    async fn transition(
        &self,
        kid: &str,
        from: KeyState,
        state: KeyState,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Deletes a key (a retired key whose tokens have all expired).
    async fn delete(&self, kid: &str) -> Result<bool, StorageError>;
}

/// Why the key ring failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A key could not be generated, sealed or opened (a wrong key-encryption key, say).
    #[error("signing key {kid}: {source}")]
    Crypto {
        /// Which key.
        kid: String,
        /// Why.
        source: JoseError,
    },
    /// No active key for an algorithm.
    #[error("no active {0:?} key")]
    NoActiveKey(Algorithm),
}

/// What a key ring holds in memory.
struct Loaded {
    signing: HashMap<Algorithm, Arc<SigningKey>>,
    verifying: HashMap<String, VerifyingKey>,
    jwks: Arc<String>,
    summary: Vec<KeySummary>,
}

/// A key as the CLI and admin API list it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeySummary {
    /// The kid.
    pub kid: String,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// `next`, `active` or `retired`.
    pub state: &'static str,
    /// Generated.
    pub created_at: DateTime<Utc>,
    /// Became active.
    pub activated_at: Option<DateTime<Utc>>,
    /// Retired.
    pub retired_at: Option<DateTime<Utc>>,
}

/// The signing keys in use, shared by every handler.
pub struct KeyRing {
    store: Arc<dyn KeyStore>,
    kek: KeyEncryptionKey,
    clock: Arc<dyn Clock>,
    /// How long a retired key stays published: the longest token lifetime plus a margin.
    publish_retired_for: Duration,
    loaded: RwLock<Arc<Loaded>>,
}

impl KeyRing {
    /// Opens the ring: makes sure each algorithm has an active and a next key (generating them
    /// on first start), then loads them.
    pub async fn open(
        store: Arc<dyn KeyStore>,
        kek: KeyEncryptionKey,
        clock: Arc<dyn Clock>,
        publish_retired_for: Duration,
    ) -> Result<Self, KeyError> {
        let ring = Self {
            store,
            kek,
            clock,
            publish_retired_for,
            loaded: RwLock::new(Arc::new(Loaded {
                signing: HashMap::new(),
                verifying: HashMap::new(),
                jwks: Arc::new(String::new()),
                summary: Vec::new(),
            })),
        };
        let keys = ring.store.list().await?;
        for algorithm in Algorithm::ALL {
            let has = |state| {
                keys.iter()
                    .any(|k| k.algorithm == algorithm && k.state == state)
            };
            if !has(KeyState::Active) {
                ring.generate(algorithm, KeyState::Active).await?;
            }
            if !has(KeyState::Next) {
                ring.generate(algorithm, KeyState::Next).await?;
            }
        }
        ring.reload().await?;
        Ok(ring)
    }

    async fn generate(&self, algorithm: Algorithm, state: KeyState) -> Result<String, KeyError> {
        let kid = new_kid(algorithm);
        let crypto = |source| KeyError::Crypto {
            kid: kid.clone(),
            source,
        };
        let key = SigningKey::generate(algorithm, kid.clone()).map_err(crypto)?;
        let der = key.to_pkcs8_der().map_err(crypto)?;
        let sealed = self.kek.encrypt(&der, kid.as_bytes()).map_err(crypto)?;
        let now = self.clock.now();
        self.store
            .insert(&StoredKey {
                kid: kid.clone(),
                algorithm,
                state,
                sealed_private_key: sealed,
                public_jwk: key.public_jwk().map_err(crypto)?,
                created_at: now,
                activated_at: (state == KeyState::Active).then_some(now),
                retired_at: None,
            })
            .await?;
        Ok(kid)
    }

    /// Reloads the keys from storage; retired keys past their publication time are deleted.
    pub async fn reload(&self) -> Result<(), KeyError> {
        let now = self.clock.now();
        let mut keys = self.store.list().await?;
        let expired: Vec<String> = keys
            .iter()
            .filter(|k| {
                k.state == KeyState::Retired
                    && k.retired_at.is_some_and(|at| {
                        now.signed_duration_since(at).to_std().unwrap_or_default()
                            > self.publish_retired_for
                    })
            })
            .map(|k| k.kid.clone())
            .collect();
        for kid in &expired {
            self.store.delete(kid).await?;
        }
        keys.retain(|k| !expired.contains(&k.kid));
        // Of two active keys (two nodes generating at once on first start), the one activated
        // last signs; both stay published.
        keys.sort_by(|a, b| (a.activated_at, &a.kid).cmp(&(b.activated_at, &b.kid)));
        let mut signing = HashMap::new();
        let mut verifying = HashMap::new();
        let mut published = Vec::new();
        for key in &keys {
            let crypto = |source| KeyError::Crypto {
                kid: key.kid.clone(),
                source,
            };
            if key.state == KeyState::Active {
                let der = self
                    .kek
                    .decrypt(&key.sealed_private_key, key.kid.as_bytes())
                    .map_err(crypto)?;
                let signer = SigningKey::from_pkcs8_der(key.algorithm, key.kid.clone(), &der)
                    .map_err(crypto)?;
                signing.insert(key.algorithm, Arc::new(signer));
            }
            verifying.insert(
                key.kid.clone(),
                VerifyingKey::from_jwk(&key.public_jwk).map_err(crypto)?,
            );
            published.push(key.public_jwk.clone());
        }
        let jwks = json!({ "keys": published }).to_string();
        let summary = keys
            .iter()
            .map(|k| KeySummary {
                kid: k.kid.clone(),
                algorithm: k.algorithm,
                state: k.state.as_str(),
                created_at: k.created_at,
                activated_at: k.activated_at,
                retired_at: k.retired_at,
            })
            .collect();
        let loaded = Arc::new(Loaded {
            signing,
            verifying,
            jwks: Arc::new(jwks),
            summary,
        });
        *self
            .loaded
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = loaded;
        Ok(())
    }

    fn loaded(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The key that signs with `algorithm` now.
    pub fn signer(&self, algorithm: Algorithm) -> Result<Arc<SigningKey>, KeyError> {
        self.loaded()
            .signing
            .get(&algorithm)
            .cloned()
            .ok_or(KeyError::NoActiveKey(algorithm))
    }

    /// Verifies a token DAN signed: its `kid` must be a published key. Returns nothing on
    /// success; the caller then checks the claims.
    pub fn verify(&self, token: &Compact<'_>) -> Result<(), JoseError> {
        let loaded = self.loaded();
        let key = token
            .header
            .kid
            .as_deref()
            .and_then(|kid| loaded.verifying.get(kid))
            .ok_or(JoseError::BadKey("unknown kid"))?;
        key.verify(token)
    }

    /// The JWKS document (RFC 7517 section 5), serialized once per reload.
    pub fn jwks(&self) -> Arc<String> {
        self.loaded().jwks.clone()
    }

    /// Every published key, oldest activation first.
    pub fn summary(&self) -> Vec<KeySummary> {
        self.loaded().summary.clone()
    }

    /// Whether `kid` is published (verifies tokens) now.
    pub fn publishes(&self, kid: &str) -> bool {
        self.loaded().verifying.contains_key(kid)
    }

    /// Withdraws a retired key at once, before its tokens expire: it leaves the JWKS and every
    /// token it signed stops verifying (on the other nodes within their minute's reload). For
    /// a compromised key: rotate first, then withdraw. `Ok(false)` when `kid` is not a retired
    /// key (an active or next key must be rotated away first).
    pub async fn withdraw(&self, kid: &str) -> Result<bool, KeyError> {
        let keys = self.store.list().await?;
        let retired = keys
            .iter()
            .any(|k| k.kid == kid && k.state == KeyState::Retired);
        if !retired {
            return Ok(false);
        }
        self.store.delete(kid).await?;
        self.reload().await?;
        Ok(true)
    }

    /// Rotates `algorithm`: next becomes active, active becomes retired, a new next key is
    /// generated. Safe to run on one node while others serve: they reload within a minute,
    /// and until then they sign with the old key, which stays published.
    pub async fn rotate(&self, algorithm: Algorithm) -> Result<String, KeyError> {
        let keys = self.store.list().await?;
        let now = self.clock.now();
        let next = keys
            .iter()
            .find(|k| k.algorithm == algorithm && k.state == KeyState::Next)
            .map(|k| k.kid.clone());
        let next = match next {
            Some(kid) => kid,
            None => self.generate(algorithm, KeyState::Next).await?,
        };
        for old in keys
            .iter()
            .filter(|k| k.algorithm == algorithm && k.state == KeyState::Active)
        {
            self.store
                .transition(&old.kid, KeyState::Active, KeyState::Retired, now)
                .await?;
        }
        self.store
            .transition(&next, KeyState::Next, KeyState::Active, now)
            .await?;
        self.generate(algorithm, KeyState::Next).await?;
        self.reload().await?;
        Ok(next)
    }
}

fn new_kid(algorithm: Algorithm) -> String {
    let prefix = match algorithm {
        Algorithm::Es256 => "es256",
        Algorithm::Rs256 => "rs256",
        Algorithm::EdDsa => "eddsa",
    };
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}
