//! Access-token and ID-token verifications per second on one thread with the JWKS cached
//! (ES256, RS256), against the raw OpenSSL signature-verification rate for the same key and
//! algorithm.
//!
//! ```text
//! cargo bench -p sdk --bench verify
//! DAN_BENCH_SECONDS=5 cargo bench -p sdk --bench verify
//! ```
//!
//! "Raw" is what the signature alone costs: SHA-256 of the signing input and the OpenSSL
//! verification, with the signature already decoded. "SDK" is [`ResourceServer::verify`] on the
//! whole access token (size, base64url, header, key lookup, signature, claims, scopes), and
//! `RelyingParty::verify_id_token` on a whole ID token (the same, then `iss`, `aud`, `azp`,
//! `exp`, `iat`, `nonce`).

use std::error::Error;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dan_sdk::relying_party::{ClientAuth, ProviderInfo, RelyingParty, RelyingPartyConfig};
use dan_sdk::resource_server::{ResourceServer, ResourceServerConfig};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{MessageDigest, hash};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const ISSUER: &str = "https://dan.example";
const AUDIENCE: &str = "https://api.agency.example";
const NONCE: &str = "n-0S6_WzA2Mj";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// One algorithm's key, its JWK, and a raw verifier for the baseline.
enum Key {
    Es256(EcKey<Private>),
    Rs256(PKey<Private>),
}

impl Key {
    fn alg(&self) -> &'static str {
        match self {
            Self::Es256(_) => "ES256",
            Self::Rs256(_) => "RS256",
        }
    }

    fn jwk(&self) -> Result<Value> {
        Ok(match self {
            Self::Es256(key) => {
                let mut ctx = BigNumContext::new()?;
                let (mut x, mut y) = (BigNum::new()?, BigNum::new()?);
                key.public_key()
                    .affine_coordinates(key.group(), &mut x, &mut y, &mut ctx)?;
                json!({"kty": "EC", "crv": "P-256", "kid": "k", "alg": "ES256",
                       "x": b64(&x.to_vec_padded(32)?), "y": b64(&y.to_vec_padded(32)?)})
            }
            Self::Rs256(key) => {
                let rsa = key.rsa()?;
                json!({"kty": "RSA", "kid": "k", "alg": "RS256",
                       "n": b64(&rsa.n().to_vec()), "e": b64(&rsa.e().to_vec())})
            }
        })
    }

    fn sign(&self, input: &[u8]) -> Result<Vec<u8>> {
        Ok(match self {
            Self::Es256(key) => {
                let sig = EcdsaSig::sign(&hash(MessageDigest::sha256(), input)?, key)?;
                let mut out = sig.r().to_vec_padded(32)?;
                out.extend(sig.s().to_vec_padded(32)?);
                out
            }
            Self::Rs256(key) => {
                Signer::new(MessageDigest::sha256(), key)?.sign_oneshot_to_vec(input)?
            }
        })
    }

    /// A DAN-shaped ID token for `benefits-app`, valid for an hour.
    fn id_token(&self) -> Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let header = json!({"alg": self.alg(), "kid": "k", "typ": "JWT"});
        let claims = json!({
            "iss": ISSUER, "sub": "Zk3mP0q9", "aud": "benefits-app", "exp": now + 3600,
            "iat": now, "auth_time": now - 60, "nonce": NONCE, "acr": "low",
            "amr": ["sms", "otp"], "sid": "s-5a6b7c8d9e0f",
        });
        self.signed(&header, &claims)
    }

    fn signed(&self, header: &Value, claims: &Value) -> Result<String> {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        Ok(format!("{input}.{}", b64(&self.sign(input.as_bytes())?)))
    }

    /// A DAN-shaped access token, valid for an hour.
    fn token(&self) -> Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let header = json!({"alg": self.alg(), "kid": "k", "typ": "at+jwt"});
        let claims = json!({
            "iss": ISSUER, "sub": "Zk3mP0q9", "aud": [AUDIENCE, "https://dan.example/userinfo"],
            "exp": now + 3600, "iat": now, "jti": "0192f1c2-7a2b-7c3d-8e4f-5a6b7c8d9e0f",
            "client_id": "benefits-app", "scope": "openid profile benefits:read",
            "auth_time": now - 60, "acr": "urn:dan:loa:substantial", "amr": ["otp"],
            "sid": "s-5a6b7c8d9e0f", "ctx": "A".repeat(96),
        });
        self.signed(&header, &claims)
    }

    /// The raw check: hash and verify, the signature already decoded.
    fn raw_verifier(&self, token: &str) -> Result<Box<dyn Fn() -> bool>> {
        let (input, signature) = token.rsplit_once('.').ok_or("token")?;
        let (input, signature) = (
            input.as_bytes().to_vec(),
            URL_SAFE_NO_PAD.decode(signature)?,
        );
        Ok(match self {
            Self::Es256(key) => {
                let public: EcKey<Public> = EcKey::from_public_key(key.group(), key.public_key())?;
                let (r, s) = signature.split_at_checked(32).ok_or("short signature")?;
                let sig = EcdsaSig::from_private_components(
                    BigNum::from_slice(r)?,
                    BigNum::from_slice(s)?,
                )?;
                Box::new(move || {
                    hash(MessageDigest::sha256(), &input)
                        .and_then(|digest| sig.verify(&digest, &public))
                        .unwrap_or(false)
                })
            }
            Self::Rs256(key) => {
                let public = PKey::public_key_from_der(&key.public_key_to_der()?)?;
                Box::new(move || {
                    Verifier::new(MessageDigest::sha256(), &public)
                        .and_then(|mut v| v.verify_oneshot(&signature, &input))
                        .unwrap_or(false)
                })
            }
        })
    }
}

/// Runs `check` in batches until `duration` has passed; returns checks per second.
fn rate(duration: Duration, mut check: impl FnMut() -> bool) -> Result<f64> {
    for _ in 0..200 {
        if !check() {
            return Err("a check failed during warm-up".into());
        }
    }
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < duration {
        for _ in 0..100 {
            if !check() {
                return Err("a check failed".into());
            }
        }
        count += 100;
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}

/// Like [`rate`], for an asynchronous check.
async fn async_rate<F, Fut>(duration: Duration, mut check: F) -> Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if !check().await {
            return Err("a check failed during warm-up".into());
        }
    }
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < duration {
        for _ in 0..100 {
            if !check().await {
                return Err("a check failed".into());
            }
        }
        count += 100;
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}

/// A relying party for `benefits-app` with fixed provider metadata and keys: no network.
fn relying_party(jwks: &str) -> Result<RelyingParty> {
    let url = |path: &str| url::Url::parse(&format!("{ISSUER}{path}"));
    let info = ProviderInfo {
        issuer: ISSUER.to_owned(),
        authorization_endpoint: url("/authorize")?,
        token_endpoint: url("/token")?,
        userinfo_endpoint: Some(url("/userinfo")?),
        jwks_uri: url("/jwks")?,
        revocation_endpoint: None,
        end_session_endpoint: None,
        iss_parameter_supported: true,
        acr_values_supported: vec!["low".to_owned()],
    };
    let config = RelyingPartyConfig::new(
        ISSUER,
        "benefits-app",
        "https://benefits.example/callback",
        ClientAuth::None,
    );
    Ok(RelyingParty::with_provider(config, info, jwks)?)
}

fn report(alg: &str, token: &str, sdk: f64, raw: f64) {
    println!(
        "{alg:<6} {token:<7} {sdk:>14.0} {raw:>14.0} {:>7.1}%",
        100.0 * sdk / raw
    );
}

fn main() -> Result<()> {
    if !std::env::args().any(|a| a == "--bench") {
        // Run as a test (`cargo test --benches`): nothing to check.
        return Ok(());
    }
    let seconds = std::env::var("DAN_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let duration = Duration::from_secs(seconds);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    let keys = [
        Key::Es256(EcKey::generate(&group)?),
        Key::Rs256(PKey::from_rsa(Rsa::generate(2048)?)?),
    ];
    println!("token verification, one thread, JWKS cached, {seconds} s per figure");
    println!(
        "{:<6} {:<7} {:>14} {:>14} {:>8}",
        "alg", "token", "sdk verify/s", "raw openssl/s", "ratio"
    );
    for key in &keys {
        let jwks = json!({"keys": [key.jwk()?]}).to_string();
        let access_token = key.token()?;
        let config = ResourceServerConfig::new(ISSUER, AUDIENCE).require_scope("benefits:read");
        let server = ResourceServer::with_jwks(config, &jwks)?;
        let id_token = key.id_token()?;
        let rp = relying_party(&jwks)?;
        let raw_rate = rate(duration, key.raw_verifier(&access_token)?)?;
        let access_rate = runtime.block_on(async {
            async_rate(duration, || async {
                server.verify(&access_token).await.is_ok()
            })
            .await
        })?;
        report(key.alg(), "access", access_rate, raw_rate);
        let raw_rate = rate(duration, key.raw_verifier(&id_token)?)?;
        let id_rate = runtime.block_on(async {
            async_rate(duration, || async {
                rp.verify_id_token(&id_token, Some(NONCE)).await.is_ok()
            })
            .await
        })?;
        report(key.alg(), "id", id_rate, raw_rate);
    }
    Ok(())
}
