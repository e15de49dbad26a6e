//! The key-encryption key: AES-256-GCM over private keys (and other secrets) at rest.

use std::fmt;

use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};

use super::{JoseError, decode, random_bytes};

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// The first byte of every ciphertext: the format version, so the format can change later.
const VERSION: u8 = 1;

/// A 256-bit AES-GCM key. Never printed.
#[derive(Clone)]
pub struct KeyEncryptionKey([u8; 32]);

impl KeyEncryptionKey {
    /// A new random key.
    pub fn generate() -> Result<Self, JoseError> {
        let bytes = random_bytes(32)?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(Self(key))
    }

    /// Reads a key written as 32 bytes in base64url (43 characters).
    pub fn from_base64(text: &str) -> Result<Self, JoseError> {
        let bytes = decode(text.trim()).map_err(|_| JoseError::BadKey("not base64url"))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| JoseError::BadKey("must be 32 bytes (43 base64url characters)"))?;
        Ok(Self(key))
    }

    /// The key as base64url, to write into the embedded default's key file.
    pub fn to_base64(&self) -> String {
        super::encode(&self.0)
    }

    /// Encrypts `plaintext`, binding it to `context` (for instance the key id), so a ciphertext
    /// moved to another row does not decrypt. Output: version, nonce, ciphertext, tag.
    pub fn encrypt(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, JoseError> {
        let nonce = random_bytes(NONCE_LEN)?;
        let mut tag = [0u8; TAG_LEN];
        let ciphertext = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&nonce),
            context,
            plaintext,
            &mut tag,
        )?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len() + TAG_LEN);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Decrypts what [`encrypt`](Self::encrypt) wrote with the same `context`.
    pub fn decrypt(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, JoseError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
            return Err(JoseError::Decrypt);
        }
        let (nonce, rest) = sealed[1..].split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(nonce),
            context,
            ciphertext,
            tag,
        )
        .map_err(|_| JoseError::Decrypt)
    }
}

impl fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyEncryptionKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let kek = KeyEncryptionKey::generate().unwrap();
        let sealed = kek.encrypt(b"private key", b"kid-1").unwrap();
        assert_eq!(kek.decrypt(&sealed, b"kid-1").unwrap(), b"private key");
        assert_eq!(kek.decrypt(&sealed, b"kid-2"), Err(JoseError::Decrypt));
        let other = KeyEncryptionKey::generate().unwrap();
        assert_eq!(other.decrypt(&sealed, b"kid-1"), Err(JoseError::Decrypt));
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(kek.decrypt(&tampered, b"kid-1"), Err(JoseError::Decrypt));
        assert_eq!(
            kek.decrypt(&sealed[..10], b"kid-1"),
            Err(JoseError::Decrypt)
        );
    }

    #[test]
    fn keys_read_back_from_base64_and_never_print() {
        let kek = KeyEncryptionKey::generate().unwrap();
        let again = KeyEncryptionKey::from_base64(&kek.to_base64()).unwrap();
        let sealed = kek.encrypt(b"x", b"").unwrap();
        assert_eq!(again.decrypt(&sealed, b"").unwrap(), b"x");
        assert_eq!(format!("{kek:?}"), "KeyEncryptionKey(***)");
        assert!(KeyEncryptionKey::from_base64("short").is_err());
    }
}
