//! Signing keys (private, DAN's own) and verifying keys (public, from JWKs).

use std::fmt;

use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{MessageDigest, hash};
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use serde::Serialize;
use serde_json::{Value, json};

use super::{Algorithm, Compact, Header, JoseError, decode, encode};

const RSA_BITS: u32 = 2048;
/// Smallest RSA modulus accepted from a client's JWK.
const MIN_RSA_BITS: u32 = 2048;

fn p256() -> Result<EcGroup, JoseError> {
    Ok(EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?)
}

/// A private signing key with its key id. `Debug` shows only the id and algorithm.
pub struct SigningKey {
    kid: String,
    algorithm: Algorithm,
    key: PKey<Private>,
    /// For ES256, the EC key kept apart so signing skips a conversion per token.
    ec: Option<EcKey<Private>>,
}

impl SigningKey {
    /// A new key for `algorithm`.
    pub fn generate(algorithm: Algorithm, kid: impl Into<String>) -> Result<Self, JoseError> {
        let key = match algorithm {
            Algorithm::Es256 => {
                let group = p256()?;
                PKey::from_ec_key(EcKey::generate(&group)?)?
            }
            Algorithm::Rs256 => PKey::from_rsa(Rsa::generate(RSA_BITS)?)?,
            Algorithm::EdDsa => PKey::generate_ed25519()?,
        };
        Self::from_pkey(algorithm, kid.into(), key)
    }

    /// A key read back from its PKCS#8 DER form.
    pub fn from_pkcs8_der(
        algorithm: Algorithm,
        kid: impl Into<String>,
        der: &[u8],
    ) -> Result<Self, JoseError> {
        let key = PKey::private_key_from_pkcs8(der)?;
        Self::from_pkey(algorithm, kid.into(), key)
    }

    fn from_pkey(algorithm: Algorithm, kid: String, key: PKey<Private>) -> Result<Self, JoseError> {
        let expected = match algorithm {
            Algorithm::Es256 => Id::EC,
            Algorithm::Rs256 => Id::RSA,
            Algorithm::EdDsa => Id::ED25519,
        };
        if key.id() != expected {
            return Err(JoseError::BadKey("key type does not match the algorithm"));
        }
        let ec = match algorithm {
            Algorithm::Es256 => Some(key.ec_key()?),
            _ => None,
        };
        Ok(Self {
            kid,
            algorithm,
            key,
            ec,
        })
    }

    /// The private key in PKCS#8 DER, to be encrypted before it is stored.
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, JoseError> {
        Ok(self.key.private_key_to_pkcs8()?)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The public half as a JWK (with `kid`, `alg` and `use: sig`), for the JWKS.
    pub fn public_jwk(&self) -> Result<Value, JoseError> {
        let mut jwk = match self.algorithm {
            Algorithm::Es256 => {
                let ec = self.key.ec_key()?;
                let (x, y) = affine(&ec)?;
                json!({"kty": "EC", "crv": "P-256", "x": encode(&x), "y": encode(&y)})
            }
            Algorithm::Rs256 => {
                let rsa = self.key.rsa()?;
                json!({"kty": "RSA", "n": encode(&rsa.n().to_vec()), "e": encode(&rsa.e().to_vec())})
            }
            Algorithm::EdDsa => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": encode(&self.key.raw_public_key()?)})
            }
        };
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!(self.algorithm.as_str());
        jwk["use"] = json!("sig");
        Ok(jwk)
    }

    /// The matching verifying key.
    pub fn verifying_key(&self) -> Result<VerifyingKey, JoseError> {
        VerifyingKey::from_jwk(&self.public_jwk()?)
    }

    /// Signs `claims` as a compact JWS with header `{alg, kid, typ}`.
    pub fn sign(&self, typ: &str, claims: &impl Serialize) -> Result<String, JoseError> {
        let header = Header {
            alg: self.algorithm.as_str().to_owned(),
            kid: Some(self.kid.clone()),
            typ: Some(typ.to_owned()),
        };
        let header = serde_json::to_vec(&header).map_err(|e| JoseError::Crypto(e.to_string()))?;
        let payload = serde_json::to_vec(claims).map_err(|e| JoseError::Crypto(e.to_string()))?;
        let mut token = String::with_capacity(512);
        token.push_str(&encode(&header));
        token.push('.');
        token.push_str(&encode(&payload));
        let signature = self.sign_bytes(token.as_bytes())?;
        token.push('.');
        token.push_str(&encode(&signature));
        Ok(token)
    }

    fn sign_bytes(&self, input: &[u8]) -> Result<Vec<u8>, JoseError> {
        match (self.algorithm, &self.ec) {
            (Algorithm::Es256, Some(ec)) => {
                let digest = hash(MessageDigest::sha256(), input)?;
                let sig = EcdsaSig::sign(&digest, ec)?;
                let mut out = sig.r().to_vec_padded(32)?;
                out.extend_from_slice(&sig.s().to_vec_padded(32)?);
                Ok(out)
            }
            (Algorithm::Rs256, _) => {
                let mut signer = Signer::new(MessageDigest::sha256(), &self.key)?;
                signer.update(input)?;
                Ok(signer.sign_to_vec()?)
            }
            (Algorithm::EdDsa, _) => {
                let mut signer = Signer::new_without_digest(&self.key)?;
                Ok(signer.sign_oneshot_to_vec(input)?)
            }
            (Algorithm::Es256, None) => Err(JoseError::BadKey("EC key missing")),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

fn affine(ec: &EcKey<impl openssl::pkey::HasPublic>) -> Result<(Vec<u8>, Vec<u8>), JoseError> {
    let mut ctx = BigNumContext::new()?;
    let mut x = BigNum::new()?;
    let mut y = BigNum::new()?;
    ec.public_key()
        .affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx)?;
    Ok((x.to_vec_padded(32)?, y.to_vec_padded(32)?))
}

/// A public key that verifies signatures of one algorithm, read from a JWK.
#[derive(Clone)]
pub struct VerifyingKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: PKey<Public>,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

fn member<'a>(jwk: &'a Value, name: &'static str) -> Result<&'a str, JoseError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or(JoseError::BadKey(name))
}

impl VerifyingKey {
    /// Reads a public JWK: EC P-256 (ES256), RSA of at least 2048 bits (RS256) or OKP Ed25519
    /// (EdDSA). A JWK that says `alg` must say the algorithm its key type implies; one marked
    /// `use: enc` is refused.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JoseError> {
        if jwk
            .get("use")
            .and_then(Value::as_str)
            .is_some_and(|u| u != "sig")
        {
            return Err(JoseError::BadKey("use is not sig"));
        }
        let (algorithm, key) = match member(jwk, "kty")? {
            "EC" => {
                if member(jwk, "crv")? != "P-256" {
                    return Err(JoseError::BadKey("only the P-256 curve is accepted"));
                }
                let x = decode(member(jwk, "x")?)?;
                let y = decode(member(jwk, "y")?)?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(JoseError::BadKey("P-256 coordinates must be 32 bytes"));
                }
                let (group, x, y) = (p256()?, BigNum::from_slice(&x)?, BigNum::from_slice(&y)?);
                let ec = EcKey::from_public_key_affine_coordinates(&group, &x, &y)
                    .map_err(|_| JoseError::BadKey("point not on the curve"))?;
                ec.check_key()
                    .map_err(|_| JoseError::BadKey("point not on the curve"))?;
                (Algorithm::Es256, PKey::from_ec_key(ec)?)
            }
            "RSA" => {
                let n = BigNum::from_slice(&decode(member(jwk, "n")?)?)?;
                let e = BigNum::from_slice(&decode(member(jwk, "e")?)?)?;
                if n.num_bits() < MIN_RSA_BITS as i32 {
                    return Err(JoseError::BadKey("RSA keys must have at least 2048 bits"));
                }
                (
                    Algorithm::Rs256,
                    PKey::from_rsa(Rsa::from_public_components(n, e)?)?,
                )
            }
            "OKP" => {
                if member(jwk, "crv")? != "Ed25519" {
                    return Err(JoseError::BadKey("only the Ed25519 curve is accepted"));
                }
                let x = decode(member(jwk, "x")?)?;
                let key = PKey::public_key_from_raw_bytes(&x, Id::ED25519)
                    .map_err(|_| JoseError::BadKey("bad Ed25519 key"))?;
                (Algorithm::EdDsa, key)
            }
            _ => return Err(JoseError::BadKey("unsupported key type")),
        };
        if let Some(alg) = jwk.get("alg").and_then(Value::as_str)
            && Algorithm::parse(alg)? != algorithm
        {
            return Err(JoseError::AlgorithmMismatch);
        }
        Ok(Self {
            kid: jwk.get("kid").and_then(Value::as_str).map(str::to_owned),
            algorithm,
            key,
        })
    }

    /// The key id, when the JWK had one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Verifies `token`'s signature with this key. The header's `alg` must be this key's
    /// algorithm: the token never chooses how it is checked.
    pub fn verify(&self, token: &Compact<'_>) -> Result<(), JoseError> {
        if Algorithm::parse(&token.header.alg)? != self.algorithm {
            return Err(JoseError::AlgorithmMismatch);
        }
        let input = token.signing_input.as_bytes();
        let signature = &token.signature;
        let ok = match self.algorithm {
            Algorithm::Es256 => {
                if signature.len() != 64 {
                    return Err(JoseError::BadSignature);
                }
                let sig = EcdsaSig::from_private_components(
                    BigNum::from_slice(&signature[..32])?,
                    BigNum::from_slice(&signature[32..])?,
                )?;
                let digest = hash(MessageDigest::sha256(), input)?;
                sig.verify(&digest, &*self.key.ec_key()?).unwrap_or(false)
            }
            Algorithm::Rs256 => {
                let mut verifier = Verifier::new(MessageDigest::sha256(), &self.key)?;
                verifier.update(input)?;
                verifier.verify(signature).unwrap_or(false)
            }
            Algorithm::EdDsa => {
                let mut verifier = Verifier::new_without_digest(&self.key)?;
                verifier.verify_oneshot(signature, input).unwrap_or(false)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(JoseError::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Value {
        json!({"iss": "https://dan.example", "sub": "abc", "exp": 1})
    }

    #[test]
    fn every_algorithm_signs_and_verifies_and_survives_storage() {
        for alg in Algorithm::ALL {
            let key = SigningKey::generate(alg, format!("k-{}", alg.as_str())).unwrap();
            let token = key.sign("JWT", &claims()).unwrap();
            let parsed = Compact::parse(&token).unwrap();
            assert_eq!(parsed.header.alg, alg.as_str());
            assert_eq!(parsed.header.kid.as_deref(), Some(key.kid()));
            assert_eq!(parsed.header.typ.as_deref(), Some("JWT"));
            assert_eq!(parsed.claims::<Value>().unwrap(), claims());
            key.verifying_key().unwrap().verify(&parsed).unwrap();

            let restored =
                SigningKey::from_pkcs8_der(alg, key.kid(), &key.to_pkcs8_der().unwrap()).unwrap();
            assert_eq!(restored.public_jwk().unwrap(), key.public_jwk().unwrap());
        }
    }

    #[test]
    fn a_token_for_another_key_or_altered_fails() {
        let a = SigningKey::generate(Algorithm::Es256, "a").unwrap();
        let b = SigningKey::generate(Algorithm::Es256, "b").unwrap();
        let token = a.sign("JWT", &claims()).unwrap();
        let parsed = Compact::parse(&token).unwrap();
        assert_eq!(
            b.verifying_key().unwrap().verify(&parsed),
            Err(JoseError::BadSignature)
        );
        let (head, _) = token.rsplit_once('.').unwrap();
        let other_payload = format!(
            "{}.{}.{}",
            head.split('.').next().unwrap(),
            encode(br#"{"sub":"evil"}"#),
            token.rsplit('.').next().unwrap()
        );
        let altered = Compact::parse(&other_payload).unwrap();
        assert_eq!(
            a.verifying_key().unwrap().verify(&altered),
            Err(JoseError::BadSignature)
        );
    }

    #[test]
    fn the_key_not_the_token_chooses_the_algorithm() {
        let key = SigningKey::generate(Algorithm::Es256, "a").unwrap();
        let verifying = key.verifying_key().unwrap();
        for alg in ["none", "HS256", "RS256"] {
            let header = encode(format!(r#"{{"alg":"{alg}","kid":"a"}}"#).as_bytes());
            let token = format!("{header}.{}.", encode(b"{}"));
            let parsed = Compact::parse(&token).unwrap();
            assert!(verifying.verify(&parsed).is_err(), "{alg} accepted");
        }
    }

    #[test]
    fn bad_jwks_are_refused_with_a_reason() {
        let cases = [
            (json!({"kty": "oct", "k": "AA"}), "unsupported key type"),
            (
                json!({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}),
                "only the P-256 curve is accepted",
            ),
            (
                json!({"kty": "EC", "crv": "P-256", "x": encode(&[1; 32]), "y": encode(&[2; 32])}),
                "point not on the curve",
            ),
            (
                json!({"kty": "RSA", "n": encode(&[0xff; 128]), "e": "AQAB"}),
                "RSA keys must have at least 2048 bits",
            ),
            (json!({"kty": "EC", "crv": "P-256"}), "x"),
        ];
        for (jwk, reason) in cases {
            assert_eq!(
                VerifyingKey::from_jwk(&jwk).unwrap_err(),
                JoseError::BadKey(reason),
                "{jwk}"
            );
        }
        let key = SigningKey::generate(Algorithm::EdDsa, "e").unwrap();
        let mut jwk = key.public_jwk().unwrap();
        jwk["alg"] = json!("ES256");
        assert_eq!(
            VerifyingKey::from_jwk(&jwk).unwrap_err(),
            JoseError::AlgorithmMismatch
        );
        jwk["alg"] = json!("EdDSA");
        jwk["use"] = json!("enc");
        assert!(VerifyingKey::from_jwk(&jwk).is_err());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let key = SigningKey::generate(Algorithm::Es256, "kid-7").unwrap();
        let text = format!("{key:?}");
        assert!(text.contains("kid-7") && text.contains("Es256"));
        assert!(!text.contains("key:"));
    }
}
