//! `private_key_jwt` client authentication (OIDC Core 9, RFC 7523 2.2): the e-service proves
//! who it is with a short JWT signed by its own key, so no shared secret exists to leak.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::BigNumContext;
use openssl::ec::PointConversionForm;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::sign::Signer;
use serde_json::{Value, json};

use super::LoginError;
use crate::jwt::unix_seconds;

/// How long a client assertion is valid: DAN accepts at most 5 minutes.
const ASSERTION_LIFETIME_SECS: i64 = 60;

/// The `client_assertion_type` of RFC 7523 2.2.
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The e-service's private key for `private_key_jwt`: EC P-256 (ES256), RSA of at least
/// 2048 bits (RS256) or Ed25519 (EdDSA). Its public half is registered with DAN as a JWKS.
///
/// `Debug` shows the key id and algorithm, never the key.
#[derive(Clone)]
pub struct ClientKey {
    key: PKey<Private>,
    kid: String,
    alg: &'static str,
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl ClientKey {
    /// Reads a PEM private key (PKCS#8 or the traditional forms) and names it `kid`.
    pub fn from_pem(pem: &[u8], kid: impl Into<String>) -> Result<Self, LoginError> {
        let key = PKey::private_key_from_pem(pem)
            .map_err(|_| LoginError::InvalidConfig("the client key is not a PEM private key"))?;
        Self::new(key, kid.into())
    }

    /// Draws a new EC P-256 key (ES256), for example for a test or a first registration.
    pub fn generate_es256(kid: impl Into<String>) -> Result<Self, LoginError> {
        let group = openssl::ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)
            .map_err(|_| LoginError::Assertion("P-256 is unavailable"))?;
        let key = openssl::ec::EcKey::generate(&group)
            .and_then(PKey::from_ec_key)
            .map_err(|_| LoginError::Assertion("cannot draw a key"))?;
        Self::new(key, kid.into())
    }

    fn new(key: PKey<Private>, kid: String) -> Result<Self, LoginError> {
        let alg = match key.id() {
            Id::EC => {
                let curve = key.ec_key().ok().and_then(|k| k.group().curve_name());
                if curve != Some(Nid::X9_62_PRIME256V1) {
                    return Err(LoginError::InvalidConfig("an EC client key must be P-256"));
                }
                "ES256"
            }
            Id::RSA if key.bits() >= 2048 => "RS256",
            Id::RSA => {
                return Err(LoginError::InvalidConfig(
                    "an RSA client key needs 2048 bits",
                ));
            }
            Id::ED25519 => "EdDSA",
            _ => {
                return Err(LoginError::InvalidConfig(
                    "the client key type is not supported",
                ));
            }
        };
        if kid.is_empty() {
            return Err(LoginError::InvalidConfig("the client key needs a kid"));
        }
        Ok(Self { key, kid, alg })
    }

    /// The key's id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK Set document, to register with DAN
    /// (`idp clients add --jwks-file`).
    pub fn public_jwks(&self) -> Result<Value, LoginError> {
        let b64 = |bytes: Vec<u8>| URL_SAFE_NO_PAD.encode(bytes);
        let fail = |_| LoginError::Assertion("cannot export the public key");
        let mut jwk = match self.alg {
            "ES256" => {
                let ec = self.key.ec_key().map_err(fail)?;
                let mut ctx = BigNumContext::new().map_err(fail)?;
                let point = ec
                    .public_key()
                    .to_bytes(ec.group(), PointConversionForm::UNCOMPRESSED, &mut ctx)
                    .map_err(fail)?;
                let (x, y) = point[1..].split_at(32);
                json!({"kty": "EC", "crv": "P-256", "x": b64(x.to_vec()), "y": b64(y.to_vec())})
            }
            "RS256" => {
                let rsa = self.key.rsa().map_err(fail)?;
                json!({"kty": "RSA", "n": b64(rsa.n().to_vec()), "e": b64(rsa.e().to_vec())})
            }
            _ => {
                let raw = self.key.raw_public_key().map_err(fail)?;
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(raw)})
            }
        };
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!(self.alg);
        jwk["use"] = json!("sig");
        Ok(json!({ "keys": [jwk] }))
    }

    /// A client assertion for `client_id` at `audience` (DAN's issuer), valid for a
    /// minute from `now`, with a fresh random `jti` (DAN refuses a replayed one).
    pub(crate) fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        now: SystemTime,
    ) -> Result<String, LoginError> {
        let iat = unix_seconds(now);
        let mut jti = [0u8; 16];
        openssl::rand::rand_bytes(&mut jti).map_err(|_| LoginError::Assertion("no randomness"))?;
        let header = json!({"alg": self.alg, "typ": "JWT", "kid": self.kid});
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "iat": iat,
            "exp": iat + ASSERTION_LIFETIME_SECS,
            "jti": URL_SAFE_NO_PAD.encode(jti),
        });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .sign(input.as_bytes())
            .map_err(|_| LoginError::Assertion("the signature failed"))?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    fn sign(&self, input: &[u8]) -> Result<Vec<u8>, openssl::error::ErrorStack> {
        if self.alg == "EdDSA" {
            return Signer::new_without_digest(&self.key)?.sign_oneshot_to_vec(input);
        }
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key)?;
        signer.update(input)?;
        let der = signer.sign_to_vec()?;
        if self.alg == "RS256" {
            return Ok(der);
        }
        // ES256 wants r || s, each 32 bytes (RFC 7518 3.4), not DER.
        let signature = EcdsaSig::from_der(&der)?;
        let mut raw = signature.r().to_vec_padded(32)?;
        raw.extend(signature.s().to_vec_padded(32)?);
        Ok(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::keys::KeySet;

    #[test]
    fn assertions_verify_with_the_published_jwks_rfc7523_3() {
        let ec = ClientKey::generate_es256("k1").unwrap();
        let rsa = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        let rsa = ClientKey::new(rsa, "k2".into()).unwrap();
        let ed = ClientKey::new(PKey::generate_ed25519().unwrap(), "k3".into()).unwrap();
        for key in [ec, rsa, ed] {
            let jwks = key.public_jwks().unwrap().to_string();
            let keys = KeySet::parse(jwks.as_bytes()).unwrap();
            let token = key
                .assertion("svc", "https://dan.example/token", SystemTime::now())
                .unwrap();
            let (input, signature) = token.rsplit_once('.').unwrap();
            let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
            let public = keys.get(key.kid()).unwrap();
            assert!(public.verify(input.as_bytes(), &signature), "{}", key.alg);
            let claims = input.split('.').nth(1).unwrap();
            let claims: Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
            assert_eq!(claims["iss"], "svc");
            assert_eq!(claims["sub"], "svc");
            assert_eq!(claims["aud"], "https://dan.example/token");
            assert_eq!(
                claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
                60
            );
        }
    }

    #[test]
    fn weak_or_unknown_keys_are_refused() {
        let small = PKey::from_rsa(openssl::rsa::Rsa::generate(1024).unwrap()).unwrap();
        assert!(ClientKey::new(small, "k".into()).is_err());
        let p384 = openssl::ec::EcGroup::from_curve_name(Nid::SECP384R1).unwrap();
        let p384 = PKey::from_ec_key(openssl::ec::EcKey::generate(&p384).unwrap()).unwrap();
        assert!(ClientKey::new(p384, "k".into()).is_err());
        assert!(ClientKey::from_pem(b"not pem", "k").is_err());
        assert!(ClientKey::generate_es256("").is_err());
        let key = ClientKey::generate_es256("k").unwrap();
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }
}
