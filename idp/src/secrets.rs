//! The provider's own secrets: the key-encryption key that seals private keys at rest, and the
//! hash key from which every keyed hash is derived (pairwise subjects, one-time-code hashes,
//! rate-limit ids, the browser-binding of logins).
//!
//! Production takes both from configuration (`IDP_KEY_ENCRYPTION_KEY`, `IDP_HASH_KEY`), the same
//! on every node. The embedded default generates them on first start into `DATA_DIR/kek.key` and
//! `DATA_DIR/hash.key`, created with mode 0600 in a 0700 folder, and reads them back afterwards,
//! so pairwise subjects and stored keys survive restarts.

use std::fmt;
use std::io::Write;
use std::path::Path;

use crate::config::Config;
use crate::jose::{JoseError, KeyEncryptionKey, decode, encode, hmac_sha256, random_bytes};

/// What keyed hashes are for: each purpose gets its own derived key, so a value hashed for one
/// purpose says nothing about another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Pairwise subject identifiers (OpenID Connect Core 8.1).
    PairwiseSubject,
    /// One-time codes at rest.
    OneTimeCode,
    /// Ids of rate-limit counters keyed by a phone or registry number.
    RateLimit,
    /// The stand-in masked phone shown for unknown registry numbers.
    Decoy,
    /// The audit trail's hash chain: without this key, a changed event cannot be re-chained.
    AuditChain,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::PairwiseSubject => b"dan/pairwise-subject/v1",
            Self::OneTimeCode => b"dan/one-time-code/v1",
            Self::RateLimit => b"dan/rate-limit/v1",
            Self::Decoy => b"dan/decoy/v1",
            Self::AuditChain => b"dan/audit-chain/v1",
        }
    }
}

/// The loaded secrets. `Debug` shows nothing.
#[derive(Clone)]
pub struct Secrets {
    /// Seals private keys at rest.
    pub kek: KeyEncryptionKey,
    derived: [[u8; 32]; 5],
}

/// Why the secrets could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// A key file could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// Which file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A key is not 32 bytes of base64url.
    #[error("{0}: {1}")]
    Invalid(&'static str, JoseError),
}

impl Secrets {
    /// Secrets from explicit keys.
    pub fn new(kek: KeyEncryptionKey, hash_key: &[u8]) -> Self {
        let derive = |p: Purpose| hmac_sha256(hash_key, p.label());
        Self {
            kek,
            derived: [
                derive(Purpose::PairwiseSubject),
                derive(Purpose::OneTimeCode),
                derive(Purpose::RateLimit),
                derive(Purpose::Decoy),
                derive(Purpose::AuditChain),
            ],
        }
    }

    /// The secrets the configuration names, or (embedded default) those kept in the data folder,
    /// generated on first start.
    pub fn load(config: &Config) -> Result<Self, SecretsError> {
        let kek_text = match &config.key_encryption_key {
            Some(text) => text.clone(),
            None => key_file(&config.data_dir.join("kek.key"))?,
        };
        let hash_text = match &config.hash_key {
            Some(text) => text.clone(),
            None => key_file(&config.data_dir.join("hash.key"))?,
        };
        let kek = KeyEncryptionKey::from_base64(&kek_text)
            .map_err(|e| SecretsError::Invalid("key-encryption key", e))?;
        let hash_key =
            decode(hash_text.trim()).map_err(|e| SecretsError::Invalid("hash key", e))?;
        if hash_key.len() != 32 {
            return Err(SecretsError::Invalid(
                "hash key",
                JoseError::BadKey("must be 32 bytes"),
            ));
        }
        Ok(Self::new(kek, &hash_key))
    }

    /// Fresh random secrets, for tests and tools.
    pub fn generate() -> Result<Self, JoseError> {
        Ok(Self::new(KeyEncryptionKey::generate()?, &random_bytes(32)?))
    }

    /// HMAC-SHA-256 of `data` under the key derived for `purpose`.
    pub fn keyed_hash(&self, purpose: Purpose, data: &[u8]) -> [u8; 32] {
        let index = match purpose {
            Purpose::PairwiseSubject => 0,
            Purpose::OneTimeCode => 1,
            Purpose::RateLimit => 2,
            Purpose::Decoy => 3,
            Purpose::AuditChain => 4,
        };
        hmac_sha256(&self.derived[index], data)
    }

    /// [`keyed_hash`](Self::keyed_hash) in base64url, for ids and stored values.
    pub fn keyed_id(&self, purpose: Purpose, data: &[u8]) -> String {
        encode(&self.keyed_hash(purpose, data))
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets(***)")
    }
}

/// Reads a key file, creating it with a new random key (mode 0600) when it does not exist.
fn key_file(path: &Path) -> Result<String, SecretsError> {
    let fail = |reason: String| SecretsError::File {
        path: path.display().to_string(),
        reason,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => return Ok(text.trim().to_owned()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(fail(e.to_string())),
        Err(_) => {}
    }
    if let Some(dir) = path.parent() {
        crate::database::create_private_dir(dir).map_err(|e| fail(e.to_string()))?;
    }
    let key = encode(&random_bytes(32).map_err(|e| fail(e.to_string()))?);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(key.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| fail(e.to_string()))?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(path)
            .map(|t| t.trim().to_owned())
            .map_err(|e| fail(e.to_string())),
        Err(e) => Err(fail(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("hash.key");
        let first = key_file(&path).unwrap();
        assert_eq!(decode(&first).unwrap().len(), 32);
        assert_eq!(
            key_file(&path).unwrap(),
            first,
            "a second start reads the same key"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn purposes_give_unrelated_hashes() {
        let secrets = Secrets::generate().unwrap();
        let a = secrets.keyed_hash(Purpose::PairwiseSubject, b"x");
        let b = secrets.keyed_hash(Purpose::RateLimit, b"x");
        assert_ne!(a, b);
        assert_eq!(a, secrets.keyed_hash(Purpose::PairwiseSubject, b"x"));
        assert_eq!(format!("{secrets:?}"), "Secrets(***)");
    }
}
