//! Client secrets: generated from the operating system's CSPRNG, shown once, stored only as a
//! SHA-256 digest and compared in constant time.
//!
//! A fast digest is enough here because a secret carries 256 random bits: there is nothing to
//! guess and so nothing for a slow password hash to slow down.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A client secret in clear, as given to the agency once. Never printed: `Debug` is redacted
/// and there is no `Display`.
pub struct ClientSecret(String);

/// The stored form of a secret: `sha256:` and the base64url digest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretHash(String);

impl ClientSecret {
    /// A new secret of 32 random bytes, base64url-encoded (43 characters).
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A secret as presented by a client.
    pub fn from_presented(value: &str) -> Self {
        Self(value.to_owned())
    }

    /// The secret in clear, to show once to the administrator who created it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The stored form.
    pub fn hash(&self) -> SecretHash {
        SecretHash(format!(
            "sha256:{}",
            URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes()))
        ))
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(***)")
    }
}

impl SecretHash {
    /// A stored hash read back.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is the secret this hash was made from, in time independent of where
    /// the two differ.
    pub fn verify(&self, presented: &ClientSecret) -> bool {
        let candidate = presented.hash();
        self.0.as_bytes().ct_eq(candidate.0.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_verifies_against_its_hash_only() {
        let secret = ClientSecret::generate().unwrap();
        assert_eq!(secret.expose().len(), 43);
        let hash = secret.hash();
        assert!(hash.as_str().starts_with("sha256:"));
        assert!(!hash.as_str().contains(secret.expose()));
        assert!(hash.verify(&ClientSecret::from_presented(secret.expose())));
        assert!(!hash.verify(&ClientSecret::from_presented("wrong")));
        let other = ClientSecret::generate().unwrap();
        assert_ne!(other.expose(), secret.expose());
        assert!(!hash.verify(&other));
    }

    #[test]
    fn secrets_never_print() {
        let secret = ClientSecret::generate().unwrap();
        assert_eq!(format!("{secret:?}"), "ClientSecret(***)");
    }
}
