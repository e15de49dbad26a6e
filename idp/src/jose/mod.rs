//! JOSE: JSON Web Signatures in compact form (RFC 7515), JSON Web Keys (RFC 7517), the
//! algorithms DAN signs with (RFC 7518, RFC 8037), and the key-encryption key that protects
//! private keys at rest.
//!
//! Everything cryptographic goes through OpenSSL, which the TLS stack already links: no second
//! implementation of P-256 or RSA enters the build, and signing uses its optimized code paths.
//!
//! Verification is strict by construction: the algorithm comes from the key, never from the
//! token, so `alg: none` and algorithm confusion cannot pass ([`VerifyingKey::verify`]).

mod kek;
mod keys;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

pub use kek::KeyEncryptionKey;
pub use keys::{SigningKey, VerifyingKey};

/// A signature algorithm DAN signs and verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// ECDSA on P-256 with SHA-256: the default.
    #[serde(rename = "ES256")]
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys, for relying parties that need it.
    #[serde(rename = "RS256")]
    Rs256,
    /// Ed25519 (RFC 8037).
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl Algorithm {
    /// Every algorithm, default first.
    pub const ALL: [Algorithm; 3] = [Algorithm::Es256, Algorithm::Rs256, Algorithm::EdDsa];

    /// The JOSE name (`ES256`, `RS256`, `EdDSA`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// Reads a JOSE name; anything else (including `none`) is refused.
    pub fn parse(name: &str) -> Result<Self, JoseError> {
        match name {
            "ES256" => Ok(Self::Es256),
            "RS256" => Ok(Self::Rs256),
            "EdDSA" => Ok(Self::EdDsa),
            other => Err(JoseError::UnsupportedAlgorithm(
                other.chars().take(16).collect(),
            )),
        }
    }
}

/// What can go wrong with a token or a key. Messages name the problem, never key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JoseError {
    /// Not three base64url parts, or a part that does not decode.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// An algorithm DAN does not accept (`none` included).
    #[error("unsupported algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The token's `alg` is not the key's.
    #[error("the token's algorithm does not match the key")]
    AlgorithmMismatch,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// A JWK that is not a usable public key.
    #[error("unusable key: {0}")]
    BadKey(&'static str),
    /// Decryption failed: wrong key, or the ciphertext was altered.
    #[error("decryption failed")]
    Decrypt,
    /// The cryptographic library failed.
    #[error("cryptography failed: {0}")]
    Crypto(String),
}

impl From<openssl::error::ErrorStack> for JoseError {
    fn from(error: openssl::error::ErrorStack) -> Self {
        Self::Crypto(error.to_string())
    }
}

/// The protected header of a compact JWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The algorithm, as the token says (checked against the key on verification).
    pub alg: String,
    /// The key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The media type (`JWT`, `at+jwt`, `logout+jwt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// A compact JWS split into its parts, not yet verified.
#[derive(Debug)]
pub struct Compact<'a> {
    /// The decoded header.
    pub header: Header,
    /// The decoded payload bytes.
    pub payload: Vec<u8>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

/// The largest token accepted for parsing, so a hostile input cannot cost much.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

impl<'a> Compact<'a> {
    /// Splits and decodes `token` without verifying it.
    pub fn parse(token: &'a str) -> Result<Self, JoseError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(JoseError::Malformed("token too long"));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JoseError::Malformed("not three parts"));
        };
        let header_bytes = decode(header)?;
        let header: Header = serde_json::from_slice(&header_bytes)
            .map_err(|_| JoseError::Malformed("header is not a JSON object"))?;
        let payload = decode(payload)?;
        let signature = decode(signature)?;
        let signing_input = &token[..token.len() - signature_len(token)];
        Ok(Self {
            header,
            payload,
            signing_input,
            signature,
        })
    }

    /// The payload as JSON claims.
    pub fn claims<T: serde::de::DeserializeOwned>(&self) -> Result<T, JoseError> {
        serde_json::from_slice(&self.payload).map_err(|_| JoseError::Malformed("bad claims"))
    }
}

/// Length of the signature part plus its leading dot.
fn signature_len(token: &str) -> usize {
    token.rfind('.').map_or(0, |dot| token.len() - dot)
}

/// Base64url without padding.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding.
pub fn decode(text: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JoseError::Malformed("bad base64url"))
}

/// HMAC-SHA-256 of `data` under `key` (RFC 2104), on the `sha2` crate: it cannot fail.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(data)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// `len` random bytes from the operating system's CSPRNG.
pub fn random_bytes(len: usize) -> Result<Vec<u8>, JoseError> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| JoseError::Crypto(e.to_string()))?;
    Ok(bytes)
}

/// A random base64url token carrying `bytes` bytes of entropy (codes, handles, refresh tokens).
pub fn random_token(bytes: usize) -> Result<String, JoseError> {
    Ok(encode(&random_bytes(bytes)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_round_trip_and_none_is_refused() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::parse(alg.as_str()), Ok(alg));
        }
        assert!(matches!(
            Algorithm::parse("none"),
            Err(JoseError::UnsupportedAlgorithm(_))
        ));
        assert!(Algorithm::parse("HS256").is_err());
    }

    #[test]
    fn compact_parsing_refuses_malformed_tokens() {
        assert_eq!(
            Compact::parse("a.b").unwrap_err(),
            JoseError::Malformed("not three parts")
        );
        assert_eq!(
            Compact::parse("a.b.c.d").unwrap_err(),
            JoseError::Malformed("not three parts")
        );
        assert_eq!(
            Compact::parse("!!.e30.AA").unwrap_err(),
            JoseError::Malformed("bad base64url")
        );
        let not_object = format!("{}.e30.AA", encode(b"[1]"));
        assert_eq!(
            Compact::parse(&not_object).unwrap_err(),
            JoseError::Malformed("header is not a JSON object")
        );
        let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(Compact::parse(&huge).is_err());
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_case_6_with_a_long_key() {
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn random_tokens_differ() {
        let a = random_token(32).unwrap();
        let b = random_token(32).unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
