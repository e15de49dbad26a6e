//! The issuer's public keys: reading a JWK Set (RFC 7517 5) and checking JWS signatures with
//! ES256 (RFC 7518 3.4), RS256 (RFC 7518 3.3) and EdDSA over Ed25519 (RFC 8037).

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{MessageDigest, hash};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Rsa;
use openssl::sign::Verifier;
use serde_json::Value;

use super::error::VerifyError;

/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: i32 = 2048;

/// The JWS algorithms accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// Ed25519.
    EdDsa,
}

impl Algorithm {
    /// The algorithm a header's `alg` names, if it is one of ours.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "ES256" => Some(Self::Es256),
            "RS256" => Some(Self::Rs256),
            "EdDSA" => Some(Self::EdDsa),
            _ => None,
        }
    }
}

/// One public key, whose type decides the algorithm it verifies.
pub(crate) enum PublicKey {
    /// P-256.
    Ec(EcKey<Public>),
    /// RSA, at least 2048 bits.
    Rsa(PKey<Public>),
    /// Ed25519.
    Ed25519(PKey<Public>),
}

impl PublicKey {
    /// The algorithm this key verifies.
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            Self::Ec(_) => Algorithm::Es256,
            Self::Rsa(_) => Algorithm::Rs256,
            Self::Ed25519(_) => Algorithm::EdDsa,
        }
    }

    /// Whether `signature` is this key's signature of `input`. Any OpenSSL error is a `false`.
    pub(crate) fn verify(&self, input: &[u8], signature: &[u8]) -> bool {
        let checked = match self {
            Self::Ec(key) => verify_es256(key, input, signature),
            Self::Rsa(key) => Verifier::new(MessageDigest::sha256(), key)
                .and_then(|mut v| v.verify_oneshot(signature, input)),
            Self::Ed25519(key) => Verifier::new_without_digest(key)
                .and_then(|mut v| v.verify_oneshot(signature, input)),
        };
        checked.unwrap_or(false)
    }

    /// Reads one JWK; `None` when it is not a usable signing key (RFC 7517 5: such keys are
    /// ignored, not fatal).
    fn from_jwk(jwk: &Value) -> Option<Self> {
        let text = |name: &str| jwk.get(name).and_then(Value::as_str);
        let bytes = |name: &str| text(name).and_then(|t| URL_SAFE_NO_PAD.decode(t).ok());
        if text("use").is_some_and(|u| u != "sig") {
            return None;
        }
        let key = match (text("kty")?, text("crv")) {
            ("EC", Some("P-256")) => {
                let (x, y) = (bytes("x")?, bytes("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return None;
                }
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).ok()?;
                let (x, y) = (BigNum::from_slice(&x).ok()?, BigNum::from_slice(&y).ok()?);
                let key = EcKey::from_public_key_affine_coordinates(&group, &x, &y).ok()?;
                key.check_key().ok()?;
                Self::Ec(key)
            }
            ("RSA", _) => {
                let n = BigNum::from_slice(&bytes("n")?).ok()?;
                let e = BigNum::from_slice(&bytes("e")?).ok()?;
                if n.num_bits() < MIN_RSA_BITS {
                    return None;
                }
                // Loaded through DER, the key is native to OpenSSL 3's provider rather than a
                // legacy `RSA` wrapped in a `PKey` (slightly faster in the benchmark).
                let der = Rsa::from_public_components(n, e)
                    .ok()?
                    .public_key_to_der()
                    .ok()?;
                Self::Rsa(PKey::public_key_from_der(&der).ok()?)
            }
            ("OKP", Some("Ed25519")) => {
                Self::Ed25519(PKey::public_key_from_raw_bytes(&bytes("x")?, Id::ED25519).ok()?)
            }
            _ => return None,
        };
        // A JWK that names its algorithm must name the one its type implies.
        match text("alg") {
            Some(alg) if Algorithm::parse(alg) != Some(key.algorithm()) => None,
            _ => Some(key),
        }
    }
}

/// ES256 signatures are the raw `r || s`, 32 bytes each (RFC 7518 3.4), not DER.
fn verify_es256(
    key: &EcKey<Public>,
    input: &[u8],
    signature: &[u8],
) -> Result<bool, openssl::error::ErrorStack> {
    let Some((r, s)) = signature
        .split_at_checked(32)
        .filter(|(_, s)| s.len() == 32)
    else {
        return Ok(false);
    };
    let sig = EcdsaSig::from_private_components(BigNum::from_slice(r)?, BigNum::from_slice(s)?)?;
    let digest = hash(MessageDigest::sha256(), input)?;
    sig.verify(&digest, key)
}

/// The usable keys of one JWK Set, by `kid`.
#[derive(Default)]
pub(crate) struct KeySet {
    keys: HashMap<String, Arc<PublicKey>>,
}

impl KeySet {
    /// Reads a JWK Set. A document that is not a JSON object with a `keys` array of objects is
    /// [`VerifyError::BadJwks`]; keys of unknown type or curve, keys for encryption, keys
    /// without `kid` and keys with bad parameters are skipped (RFC 7517 5). The first key with
    /// a given `kid` wins.
    pub(crate) fn parse(json: &[u8]) -> Result<Self, VerifyError> {
        let document: Value = serde_json::from_slice(json)
            .map_err(|_| VerifyError::BadJwks("the document is not JSON"))?;
        let keys = document
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(VerifyError::BadJwks("there is no keys array"))?;
        let mut set = Self::default();
        for jwk in keys {
            if !jwk.is_object() {
                return Err(VerifyError::BadJwks("a member of keys is not an object"));
            }
            let Some(kid) = jwk.get("kid").and_then(Value::as_str) else {
                continue;
            };
            if set.keys.contains_key(kid) {
                continue;
            }
            if let Some(key) = PublicKey::from_jwk(jwk) {
                set.keys.insert(kid.to_owned(), Arc::new(key));
            }
        }
        Ok(set)
    }

    /// The key with this `kid`.
    pub(crate) fn get(&self, kid: &str) -> Option<Arc<PublicKey>> {
        self.keys.get(kid).cloned()
    }

    /// How many usable keys the set has.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ec::EcKey;
    use serde_json::json;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn ec_jwk(kid: &str) -> Value {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = EcKey::generate(&group).unwrap();
        let mut ctx = openssl::bn::BigNumContext::new().unwrap();
        let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
        key.public_key()
            .affine_coordinates(&group, &mut x, &mut y, &mut ctx)
            .unwrap();
        json!({"kty": "EC", "crv": "P-256", "kid": kid,
               "x": b64(&x.to_vec_padded(32).unwrap()), "y": b64(&y.to_vec_padded(32).unwrap())})
    }

    #[test]
    fn unusable_keys_are_skipped_rfc7517_5() {
        let mut wrong_alg = ec_jwk("wrong-alg");
        wrong_alg["alg"] = json!("RS256");
        let mut for_encryption = ec_jwk("enc");
        for_encryption["use"] = json!("enc");
        let jwks = json!({"keys": [
            {"kty": "oct", "kid": "hmac", "k": "AAAA"},
            {"kty": "EC", "crv": "P-384", "kid": "p384", "x": "AA", "y": "AA"},
            {"kty": "EC", "crv": "P-256", "kid": "off-curve", "x": b64(&[1; 32]), "y": b64(&[2; 32])},
            {"kty": "RSA", "kid": "small", "n": b64(&[0xff; 128]), "e": "AQAB"},
            {"kty": "OKP", "crv": "X25519", "kid": "x25519", "x": b64(&[9; 32])},
            {"kty": "EC", "crv": "P-256", "kid": "no-x"},
            wrong_alg, for_encryption,
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
            ec_jwk("good"),
        ]});
        let set = KeySet::parse(jwks.to_string().as_bytes()).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.get("good").is_some());
    }

    #[test]
    fn documents_that_are_not_jwk_sets_are_refused() {
        for (document, reason) in [
            ("not json", "the document is not JSON"),
            ("[]", "there is no keys array"),
            (r#"{"keys": {}}"#, "there is no keys array"),
            (r#"{"keys": [1]}"#, "a member of keys is not an object"),
        ] {
            assert_eq!(
                KeySet::parse(document.as_bytes()).err(),
                Some(VerifyError::BadJwks(reason))
            );
        }
    }

    #[test]
    fn es256_signatures_of_the_wrong_length_do_not_verify() {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let private = EcKey::generate(&group).unwrap();
        let public = EcKey::from_public_key(&group, private.public_key()).unwrap();
        let key = PublicKey::Ec(public);
        for length in [0, 31, 63, 65, 72] {
            assert!(!key.verify(b"input", &vec![1; length]));
        }
    }
}
