//! The Digital ID app's foundation (issue 8): enrollment codes, enrolled devices, and the
//! device-signed tokens that authenticate every call of the app.
//!
//! A registration officer who checked the citizen in person issues a one-time
//! [`EnrollmentCode`]; the app sends it with the device's public key and gets a [`Device`] at
//! level [`DeviceLevel::High`]. A citizen logged in at `substantial` may enroll a device of
//! their own, recorded at [`DeviceLevel::Substantial`]. Afterwards every app call carries a
//! short-lived JWS signed by the device key, checked by [`DigitalId::authenticate`]. The
//! decoupled login and CIBA build on these; HTTP, the admin API and the pages call this module
//! and hold no rule of it.
//!
//! The choices, and why:
//!
//! - **Enrollment codes** are 12 characters of Crockford's base32 alphabet (no `I`, `L`, `O`,
//!   `U`), shown as `XXXX-XXXX-XXXX`: 60 random bits, read aloud or typed on a phone without
//!   confusion. Input is normalized: case, spaces and dashes do not matter, and `O`, `I`, `L`
//!   are read as `0`, `1`, `1`. A code lives [`ENROLLMENT_CODE_LIFETIME`] in the short-lived
//!   store, under the SHA-256 digest of its normalized form only (the store never holds the
//!   code, so a dump of it enrolls nothing), and is *taken* atomically: of two apps racing with
//!   one code, exactly one gets a device. An unknown, used and expired code are one answer,
//!   [`DigitalIdError::BadCode`].
//! - **Validation before the take.** The key, name, platform and attestation size are checked
//!   first, so a typo in the device name does not burn the officer's code. A key enrolled
//!   already (found only at insert, by the unique thumbprint index) puts the code back for the
//!   rest of its lifetime: the code was never used. A storage failure after the take does not
//!   put it back (the insert may have happened), so the officer issues a new code.
//! - **Keys** are EC P-256 public JWKs only (ES256, what phone secure elements hold): the point
//!   must be on the curve, and a JWK with private members (`d`, …) is refused, since a key
//!   that left the device is not device-bound. What is stored is the canonical public JWK
//!   (`kty`, `crv`, `x`, `y`) and its RFC 7638 thumbprint, unique across all devices and
//!   citizens, revoked devices included: a revoked key (a lost phone) never comes back; the
//!   app makes a new key to enroll again.
//! - **The attestation** blob is kept as given (at most [`MAX_ATTESTATION_BYTES`]) for a later
//!   verification against the platform vendors' roots; nothing here trusts it yet.
//! - **Device tokens** ([`DigitalId::authenticate`]) are compact JWS, `alg` `ES256` only (the
//!   device's key decides, never the token: `none`, `HS256` and the rest are refused before any
//!   key is read), `typ` absent, `JWT` or [`DEVICE_TOKEN_TYPE`]; claims `iss` (the device id),
//!   `iat`, `exp` with `exp - iat` at most [`DEVICE_TOKEN_MAX_SECONDS`], `jti`, and an optional
//!   `aud` that must then name the endpoint. Clocks may differ by [`CLOCK_SKEW_SECONDS`]. The
//!   signature is checked before the device's state is told, so a stolen device id alone
//!   learns nothing but [`TokenRefusal::Signature`]. The `jti` is recorded last, with
//!   `put_new` under the device and the `jti`'s digest, for the token's remaining lifetime plus
//!   the skew: a token refused for any other reason does not use up its `jti`, and a replay
//!   within the lifetime is [`TokenRefusal::Replayed`]. Other objects a device signs (the
//!   login approvals) must carry another `typ`, so they can never pass as a call token.
//! - **Last use** is written at most once a minute per device, so authenticating a call costs a
//!   read, a `put_new` and, rarely, a write.
//!
//! Nothing here logs a code, a token or a key: refusals are logged by reason only.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::clock::Clock;
use crate::database::StorageError;
use crate::ephemeral::{EphemeralStore, Key, StoreError};
use crate::jose::{self, Compact, JoseError, VerifyingKey};
use crate::tokens::digest;

/// How long an enrollment code may be used.
pub const ENROLLMENT_CODE_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The longest a device token may live, `exp - iat`, in seconds.
pub const DEVICE_TOKEN_MAX_SECONDS: i64 = 60;
/// How far the device's clock may be off from the provider's, in seconds.
pub const CLOCK_SKEW_SECONDS: i64 = 5;
/// The largest key attestation kept, in bytes.
pub const MAX_ATTESTATION_BYTES: usize = 16 * 1024;
/// The `typ` a device token may carry (besides `JWT`, or none).
pub const DEVICE_TOKEN_TYPE: &str = "dan-device+jwt";
/// [`Device::enrolled_by`] of a device the citizen enrolled without an officer.
pub const ENROLLED_BY_CITIZEN: &str = "citizen";

/// The short-lived store's namespace of enrollment codes (by digest).
const CODES: &str = "digital_id_code";
/// The short-lived store's namespace of device tokens' `jti`s seen.
const JTIS: &str = "digital_id_jti";
/// Crockford's base32 alphabet: no `I`, `L`, `O`, `U`.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of an enrollment code.
const CODE_LENGTH: usize = 12;
/// How often, at most, a device's last use is written, in seconds.
const TOUCH_INTERVAL_SECONDS: i64 = 60;
/// The longest `jti` accepted.
const MAX_JTI_CHARS: usize = 128;

/// The level of assurance a device's logins reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceLevel {
    /// Enrolled with an officer's code after an in-person biometric check.
    High,
    /// Enrolled by the citizen from a session at `substantial`.
    Substantial,
}

impl DeviceLevel {
    /// `high` or `substantial` (as stored, and as the `acr` level's name).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Substantial => "substantial",
        }
    }

    /// Reads [`DeviceLevel::as_str`] back.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "high" => Some(Self::High),
            "substantial" => Some(Self::Substantial),
            _ => None,
        }
    }
}

/// A one-time enrollment code, shown once to the officer. `Debug` hides the code.
#[derive(Clone)]
pub struct EnrollmentCode {
    /// The code, `XXXX-XXXX-XXXX` (see the module docs for the alphabet).
    pub code: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for EnrollmentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentCode")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What the app sends to enroll with an officer's code. `Debug` hides the code.
#[derive(Clone)]
pub struct EnrollRequest {
    /// The enrollment code, as typed or scanned.
    pub code: String,
    /// The device's public key, an EC P-256 JWK.
    pub public_key: Value,
    /// The device's name (1 to 64 printable characters).
    pub name: String,
    /// The platform (1 to 64 printable characters, `iOS 18`, `Android 15`, …).
    pub platform: String,
    /// A key-attestation blob, kept as given for later verification (at most 16 KiB).
    pub attestation: Option<String>,
}

impl std::fmt::Debug for EnrollRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollRequest")
            .field("name", &self.name)
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

/// An enrolled device (no secret in it: the key is public).
#[derive(Clone, Debug)]
pub struct Device {
    /// Public id: the `iss` of its tokens.
    pub id: Uuid,
    /// Whose.
    pub citizen_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its platform.
    pub platform: String,
    /// The level its logins reach.
    pub level: DeviceLevel,
    /// The public key: a canonical EC P-256 JWK (`kty`, `crv`, `x`, `y`).
    pub public_key: Value,
    /// The key's RFC 7638 thumbprint (SHA-256, base64url).
    pub thumbprint: String,
    /// The key attestation, as the app sent it.
    pub attestation: Option<String>,
    /// The officer's account name, or [`ENROLLED_BY_CITIZEN`].
    pub enrolled_by: String,
    /// When enrolled.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a call (written at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When revoked; a revoked device authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why a device token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Not a compact JWS, claims not a JSON object, a `typ` of something else, or `iat` after
    /// `exp`.
    Malformed,
    /// The header's `alg` is not `ES256`.
    Algorithm,
    /// `iss` names no enrolled device.
    UnknownDevice,
    /// The device is revoked.
    Revoked,
    /// The signature does not verify with the device's key.
    Signature,
    /// `exp` has passed (beyond the skew).
    Expired,
    /// `exp - iat` is over [`DEVICE_TOKEN_MAX_SECONDS`], or `iat` is in the future (beyond the
    /// skew).
    LifetimeTooLong,
    /// The `jti` was seen before within the token's lifetime.
    Replayed,
    /// `iss`, `iat`, `exp` or `jti` is missing or not of its type.
    MissingClaim,
    /// `aud` is present and does not name this endpoint.
    Audience,
}

impl TokenRefusal {
    /// A stable snake_case reason, for audit events and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Algorithm => "algorithm",
            Self::UnknownDevice => "unknown_device",
            Self::Revoked => "revoked",
            Self::Signature => "signature",
            Self::Expired => "expired",
            Self::LifetimeTooLong => "lifetime_too_long",
            Self::Replayed => "replayed",
            Self::MissingClaim => "missing_claim",
            Self::Audience => "audience",
        }
    }
}

impl std::fmt::Display for TokenRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a Digital ID operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DigitalIdError {
    /// The enrollment code is unknown, used or expired (one answer for all three).
    #[error("the enrollment code is not valid: it may be mistyped, used or expired")]
    BadCode,
    /// The public key is not acceptable; the reason names the problem.
    #[error("the device key is not acceptable: {0}")]
    InvalidKey(&'static str),
    /// The device name is not acceptable.
    #[error("a device name is 1 to 64 printable characters")]
    InvalidName,
    /// The platform is not acceptable.
    #[error("a platform is 1 to 64 printable characters")]
    InvalidPlatform,
    /// The attestation is larger than [`MAX_ATTESTATION_BYTES`].
    #[error("the key attestation is larger than 16 KiB")]
    AttestationTooLarge,
    /// The officer's account name is not one (3 to 64 of `a-z 0-9 . _ -`, not `citizen`).
    #[error("not an officer's account name")]
    InvalidOfficer,
    /// This key is enrolled already (on any device, revoked ones included).
    #[error("this key is already enrolled")]
    Duplicate,
    /// A device token was refused.
    #[error("device token refused: {0}")]
    TokenRefused(TokenRefusal),
    /// No such device of this citizen (or it is revoked already).
    #[error("no such device")]
    NotFound,
    /// Durable storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The short-lived store or the cryptography failed.
    #[error("digital id unavailable: {0}")]
    Unavailable(String),
}

impl From<TokenRefusal> for DigitalIdError {
    fn from(refusal: TokenRefusal) -> Self {
        Self::TokenRefused(refusal)
    }
}

impl From<StoreError> for DigitalIdError {
    fn from(err: StoreError) -> Self {
        Self::Unavailable(err.to_string())
    }
}

/// Durable storage of Digital ID devices.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a new device; `false` (and nothing stored) when its thumbprint is stored
    /// already, for any citizen, revoked or not.
    async fn insert(&self, device: &Device) -> Result<bool, StorageError>;
    /// The device with this id, revoked or not.
    async fn find(&self, id: Uuid) -> Result<Option<Device>, StorageError>;
    /// A citizen's devices, revoked ones included, oldest first.
    async fn of_citizen(&self, citizen_id: Uuid) -> Result<Vec<Device>, StorageError>;
    /// Revokes one of a citizen's devices at `at`; `false` when there is no such device or it
    /// is revoked already.
    async fn revoke(
        &self,
        id: Uuid,
        citizen_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Records that device `id` authenticated a call at `at`.
    async fn touch(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StorageError>;
}

/// What the short-lived store holds under an enrollment code's digest.
#[derive(Serialize, Deserialize)]
struct PendingEnrollment {
    citizen_id: Uuid,
    officer: String,
    expires_at: DateTime<Utc>,
    /// Issued to the citizen themselves (on the account page, after a passkey login): the
    /// device gets [`DeviceLevel::Substantial`].
    #[serde(default)]
    by_citizen: bool,
}

/// A validated device, not yet bound to a citizen.
struct Candidate {
    name: String,
    platform: String,
    public_key: Value,
    thumbprint: String,
    attestation: Option<String>,
}

/// Citizens' Digital ID devices: enrollment, device authentication, listing, revocation.
#[derive(Clone)]
pub struct DigitalId {
    store: Arc<dyn DeviceStore>,
    ephemeral: Arc<dyn EphemeralStore>,
    clock: Arc<dyn Clock>,
}

/// A name or platform: trimmed, 1 to 64 characters, none a control character.
fn printable(text: &str) -> Option<String> {
    let text = text.trim();
    let ok = !text.is_empty() && text.chars().count() <= 64 && !text.chars().any(char::is_control);
    ok.then(|| text.to_owned())
}

/// An officer's account name, as admin accounts have them.
fn check_officer(officer: &str) -> Result<(), DigitalIdError> {
    let ok = (3..=64).contains(&officer.len())
        && officer
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && officer != ENROLLED_BY_CITIZEN;
    if ok {
        Ok(())
    } else {
        Err(DigitalIdError::InvalidOfficer)
    }
}

/// A code as typed, in its canonical form (12 alphabet characters), if it can be one.
fn normalize_code(code: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_LENGTH);
    for c in code.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '\t' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || out.len() == CODE_LENGTH {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_LENGTH).then_some(out)
}

/// Draws a code: each random byte's low five bits pick a character (256 is a multiple of 32,
/// so no character is likelier than another).
fn draw_code() -> Result<String, DigitalIdError> {
    let bytes = jose::random_bytes(CODE_LENGTH)
        .map_err(|e| DigitalIdError::Unavailable(format!("randomness: {e}")))?;
    let mut code = String::with_capacity(CODE_LENGTH + 2);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[usize::from(b & 31)]));
    }
    Ok(code)
}

fn code_key(normalized: &str) -> Key {
    Key::new(CODES, digest(normalized))
}

/// Private members of any JWK key type (RFC 7518 section 6).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Checks a device key: a public EC P-256 JWK with its point on the curve. Returns the
/// canonical JWK and its RFC 7638 thumbprint.
fn check_key(jwk: &Value) -> Result<(Value, String), DigitalIdError> {
    let Some(members) = jwk.as_object() else {
        return Err(DigitalIdError::InvalidKey("not a JWK (a JSON object)"));
    };
    if PRIVATE_MEMBERS.iter().any(|m| members.contains_key(*m)) {
        return Err(DigitalIdError::InvalidKey(
            "it holds a private key: send only the public part",
        ));
    }
    if jwk.get("kty").and_then(Value::as_str) != Some("EC") {
        return Err(DigitalIdError::InvalidKey(
            "only EC keys on the P-256 curve are accepted",
        ));
    }
    if jwk.get("crv").and_then(Value::as_str) != Some("P-256") {
        return Err(DigitalIdError::InvalidKey(
            "only the P-256 curve is accepted",
        ));
    }
    VerifyingKey::from_jwk(jwk).map_err(|err| {
        DigitalIdError::InvalidKey(match err {
            JoseError::BadKey(why) => why,
            JoseError::Malformed(_) => "x and y must be base64url",
            JoseError::AlgorithmMismatch | JoseError::UnsupportedAlgorithm(_) => {
                "alg, when given, must be ES256"
            }
            _ => "not a usable key",
        })
    })?;
    // Re-encoded from the bytes, so one key has one text (and one thumbprint).
    let coordinate = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(|text| jose::decode(text).ok())
            .map(|bytes| jose::encode(&bytes))
            .ok_or(DigitalIdError::InvalidKey("x and y must be base64url"))
    };
    let (x, y) = (coordinate("x")?, coordinate("y")?);
    // RFC 7638 section 3.2: the required members in lexicographic order, no whitespace.
    let thumbprint = digest(&format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
    ));
    let canonical = serde_json::json!({"kty": "EC", "crv": "P-256", "x": x, "y": y});
    Ok((canonical, thumbprint))
}

/// The claims of a device token that are checked (others are ignored).
struct Claims {
    iss: String,
    iat: i64,
    exp: i64,
    jti: String,
    aud: Option<Value>,
}

fn read_claims(token: &Compact<'_>) -> Result<Claims, TokenRefusal> {
    let claims: serde_json::Map<String, Value> =
        token.claims().map_err(|_| TokenRefusal::Malformed)?;
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(TokenRefusal::MissingClaim)
    };
    let number = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_i64)
            .ok_or(TokenRefusal::MissingClaim)
    };
    let jti = text("jti")?;
    if jti.is_empty() || jti.chars().count() > MAX_JTI_CHARS {
        return Err(TokenRefusal::MissingClaim);
    }
    Ok(Claims {
        iss: text("iss")?,
        iat: number("iat")?,
        exp: number("exp")?,
        jti,
        aud: claims.get("aud").cloned(),
    })
}

fn audience_matches(aud: &Value, audience: &str) -> bool {
    match aud {
        Value::String(one) => one == audience,
        Value::Array(many) => many.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    }
}

fn refused(why: TokenRefusal) -> DigitalIdError {
    tracing::debug!(reason = why.as_str(), "device token refused");
    DigitalIdError::TokenRefused(why)
}

impl DigitalId {
    /// The service on its stores and clock.
    pub fn new(
        store: Arc<dyn DeviceStore>,
        ephemeral: Arc<dyn EphemeralStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            ephemeral,
            clock,
        }
    }

    /// A registration officer (by account name) who verified the citizen in person issues a
    /// one-time code: single use, [`ENROLLMENT_CODE_LIFETIME`], kept in the short-lived store
    /// under its digest only. The caller checks that the citizen exists and may enroll, and
    /// audits the issue with the officer.
    #[tracing::instrument(name = "digital_id.issue_code", skip_all)]
    pub async fn issue_code(
        &self,
        citizen_id: Uuid,
        officer: &str,
    ) -> Result<EnrollmentCode, DigitalIdError> {
        check_officer(officer)?;
        self.issue(citizen_id, officer, false).await
    }

    /// A citizen logged in at `substantial` (checked by the caller) gets a code for a device
    /// of their own: the same single use and lifetime, and the device enrolled with it is at
    /// [`DeviceLevel::Substantial`], `enrolled_by` [`ENROLLED_BY_CITIZEN`].
    #[tracing::instrument(name = "digital_id.issue_self_code", skip_all)]
    pub async fn issue_self_code(
        &self,
        citizen_id: Uuid,
    ) -> Result<EnrollmentCode, DigitalIdError> {
        self.issue(citizen_id, ENROLLED_BY_CITIZEN, true).await
    }

    async fn issue(
        &self,
        citizen_id: Uuid,
        officer: &str,
        by_citizen: bool,
    ) -> Result<EnrollmentCode, DigitalIdError> {
        let expires_at = self.clock.now().trunc_subsecs(0)
            + chrono::Duration::seconds(ENROLLMENT_CODE_LIFETIME.as_secs() as i64);
        let pending = serde_json::to_vec(&PendingEnrollment {
            citizen_id,
            officer: officer.to_owned(),
            expires_at,
            by_citizen,
        })
        .map_err(|e| DigitalIdError::Unavailable(format!("enrollment state: {e}")))?;
        // 60 random bits: a collision with a live code is negligible, and refused anyway.
        for _ in 0..3 {
            let code = draw_code()?;
            let key = code_key(&normalize_code(&code).unwrap_or_default());
            if self
                .ephemeral
                .put_new(&key, &pending, ENROLLMENT_CODE_LIFETIME)
                .await?
            {
                return Ok(EnrollmentCode { code, expires_at });
            }
        }
        Err(DigitalIdError::Unavailable(
            "could not draw an unused enrollment code".into(),
        ))
    }

    /// The app enrolls with an officer's code: the device is the code's citizen's, at
    /// [`DeviceLevel::High`], `enrolled_by` the officer. The request is validated first (key,
    /// name, platform, attestation size), so a bad request leaves the code usable; then the
    /// code is taken atomically, so it enrolls at most one device. A key enrolled already is
    /// [`DigitalIdError::Duplicate`] and leaves the code usable too.
    #[tracing::instrument(name = "digital_id.enroll", skip_all)]
    pub async fn enroll(&self, request: EnrollRequest) -> Result<Device, DigitalIdError> {
        let candidate = Self::candidate(
            &request.public_key,
            &request.name,
            &request.platform,
            request.attestation,
        )?;
        let normalized = normalize_code(&request.code).ok_or(DigitalIdError::BadCode)?;
        let key = code_key(&normalized);
        let taken = self
            .ephemeral
            .take(&key)
            .await?
            .ok_or(DigitalIdError::BadCode)?;
        let pending: PendingEnrollment = serde_json::from_slice(&taken)
            .map_err(|_| DigitalIdError::Unavailable("unreadable enrollment state".into()))?;
        let now = self.clock.now();
        if now >= pending.expires_at {
            return Err(DigitalIdError::BadCode);
        }
        let level = if pending.by_citizen {
            DeviceLevel::Substantial
        } else {
            DeviceLevel::High
        };
        let result = self
            .insert(pending.citizen_id, candidate, level, &pending.officer)
            .await;
        if matches!(result, Err(DigitalIdError::Duplicate)) {
            // The code enrolled nothing: give it back for the rest of its lifetime.
            if let Ok(left) = (pending.expires_at - now).to_std()
                && !left.is_zero()
            {
                self.ephemeral.put(&key, &taken, left).await?;
            }
        }
        result
    }

    /// A citizen logged in at `substantial` enrolls a device of their own: level
    /// [`DeviceLevel::Substantial`], `enrolled_by` [`ENROLLED_BY_CITIZEN`], no code. The caller
    /// checks the session's level.
    #[tracing::instrument(name = "digital_id.enroll_by_citizen", skip_all)]
    pub async fn enroll_by_citizen(
        &self,
        citizen_id: Uuid,
        public_key: Value,
        name: &str,
        platform: &str,
        attestation: Option<String>,
    ) -> Result<Device, DigitalIdError> {
        let candidate = Self::candidate(&public_key, name, platform, attestation)?;
        self.insert(
            citizen_id,
            candidate,
            DeviceLevel::Substantial,
            ENROLLED_BY_CITIZEN,
        )
        .await
    }

    fn candidate(
        public_key: &Value,
        name: &str,
        platform: &str,
        attestation: Option<String>,
    ) -> Result<Candidate, DigitalIdError> {
        let (public_key, thumbprint) = check_key(public_key)?;
        let name = printable(name).ok_or(DigitalIdError::InvalidName)?;
        let platform = printable(platform).ok_or(DigitalIdError::InvalidPlatform)?;
        if attestation
            .as_ref()
            .is_some_and(|a| a.len() > MAX_ATTESTATION_BYTES)
        {
            return Err(DigitalIdError::AttestationTooLarge);
        }
        Ok(Candidate {
            name,
            platform,
            public_key,
            thumbprint,
            attestation,
        })
    }

    async fn insert(
        &self,
        citizen_id: Uuid,
        candidate: Candidate,
        level: DeviceLevel,
        enrolled_by: &str,
    ) -> Result<Device, DigitalIdError> {
        let device = Device {
            id: Uuid::new_v4(),
            citizen_id,
            name: candidate.name,
            platform: candidate.platform,
            level,
            public_key: candidate.public_key,
            thumbprint: candidate.thumbprint,
            attestation: candidate.attestation,
            enrolled_by: enrolled_by.to_owned(),
            created_at: self.clock.now().trunc_subsecs(6),
            last_used_at: None,
            revoked_at: None,
        };
        if !self.store.insert(&device).await? {
            return Err(DigitalIdError::Duplicate);
        }
        Ok(device)
    }

    /// Authenticates an app call: `token` is a compact JWS signed by an enrolled device's key
    /// (see the module docs for the rules), `audience` the value an `aud` claim must have when
    /// present (the issuer and the endpoint's path, say). Returns the device, which is not
    /// revoked. A refusal is [`DigitalIdError::TokenRefused`] with its reason.
    #[tracing::instrument(name = "digital_id.authenticate", skip_all)]
    pub async fn authenticate(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<Device, DigitalIdError> {
        let parsed = Compact::parse(token).map_err(|_| refused(TokenRefusal::Malformed))?;
        if parsed.header.alg != "ES256" {
            return Err(refused(TokenRefusal::Algorithm));
        }
        if parsed
            .header
            .typ
            .as_deref()
            .is_some_and(|typ| typ != "JWT" && typ != DEVICE_TOKEN_TYPE)
        {
            return Err(refused(TokenRefusal::Malformed));
        }
        let claims = read_claims(&parsed).map_err(refused)?;
        let device_id =
            Uuid::parse_str(&claims.iss).map_err(|_| refused(TokenRefusal::UnknownDevice))?;
        let mut device = self
            .store
            .find(device_id)
            .await?
            .ok_or_else(|| refused(TokenRefusal::UnknownDevice))?;
        let key = VerifyingKey::from_jwk(&device.public_key).map_err(|_| {
            DigitalIdError::Storage(StorageError::Corrupt(format!(
                "digital id device {}: public key",
                device.id
            )))
        })?;
        key.verify(&parsed)
            .map_err(|_| refused(TokenRefusal::Signature))?;
        if device.revoked_at.is_some() {
            return Err(refused(TokenRefusal::Revoked));
        }
        let now = self.clock.now();
        let seconds = now.timestamp();
        if claims.iat > claims.exp {
            return Err(refused(TokenRefusal::Malformed));
        }
        if claims.exp - claims.iat > DEVICE_TOKEN_MAX_SECONDS
            || claims.iat > seconds + CLOCK_SKEW_SECONDS
        {
            return Err(refused(TokenRefusal::LifetimeTooLong));
        }
        if claims.exp + CLOCK_SKEW_SECONDS <= seconds {
            return Err(refused(TokenRefusal::Expired));
        }
        if claims
            .aud
            .as_ref()
            .is_some_and(|aud| !audience_matches(aud, audience))
        {
            return Err(refused(TokenRefusal::Audience));
        }
        // Last: a token refused above leaves its jti unused. Accepted until exp + skew, so
        // remembered as long.
        let remember = u64::try_from(claims.exp + CLOCK_SKEW_SECONDS - seconds).unwrap_or(1);
        let first_use = self
            .ephemeral
            .put_new(
                &Key::new(JTIS, format!("{}:{}", device.id, digest(&claims.jti))),
                b"1",
                Duration::from_secs(remember.max(1)),
            )
            .await?;
        if !first_use {
            return Err(refused(TokenRefusal::Replayed));
        }
        let stale = device
            .last_used_at
            .is_none_or(|at| (now - at).num_seconds() >= TOUCH_INTERVAL_SECONDS);
        if stale {
            let at = now.trunc_subsecs(6);
            match self.store.touch(device.id, at).await {
                Ok(()) => device.last_used_at = Some(at),
                // The call is authenticated; a missed last-use stamp is not worth refusing it.
                Err(err) => tracing::warn!(error = %err, "recording a device's last use failed"),
            }
        }
        Ok(device)
    }

    /// A citizen's devices that are not revoked, oldest first.
    pub async fn devices(&self, citizen_id: Uuid) -> Result<Vec<Device>, DigitalIdError> {
        let mut devices = self.store.of_citizen(citizen_id).await?;
        devices.retain(|d| d.revoked_at.is_none());
        Ok(devices)
    }

    /// Revokes one of a citizen's devices: its tokens are refused from now on, and its key can
    /// never be enrolled again. [`DigitalIdError::NotFound`] when it is not the citizen's or is
    /// revoked already.
    #[tracing::instrument(name = "digital_id.revoke", skip_all)]
    pub async fn revoke(&self, citizen_id: Uuid, device_id: Uuid) -> Result<(), DigitalIdError> {
        let at = self.clock.now().trunc_subsecs(6);
        if !self.store.revoke(device_id, citizen_id, at).await? {
            return Err(DigitalIdError::NotFound);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_codes_are_grouped_and_normalize_to_themselves() {
        for _ in 0..100 {
            let code = draw_code().unwrap();
            assert_eq!(code.len(), 14);
            assert_eq!(code.matches('-').count(), 2);
            let normalized = normalize_code(&code).unwrap();
            assert_eq!(normalized, code.replace('-', ""));
        }
    }

    #[test]
    fn code_input_ignores_case_spaces_dashes_and_reads_lookalikes() {
        assert_eq!(
            normalize_code(" abcd-efgh 0123 ").as_deref(),
            Some("ABCDEFGH0123")
        );
        assert_eq!(
            normalize_code("oIL2-3456-789A").as_deref(),
            Some("01123456789A")
        );
        assert_eq!(normalize_code("ABCD-EFGH-012"), None, "too short");
        assert_eq!(normalize_code("ABCD-EFGH-01234"), None, "too long");
        assert_eq!(
            normalize_code("ABCD-EFGH-012U"),
            None,
            "U is not in the alphabet"
        );
        assert_eq!(normalize_code("ABCD-EFGH-012Ж"), None);
    }

    #[test]
    fn the_thumbprint_is_rfc_7638_whatever_the_jwk_carries_besides() {
        let key = crate::jose::SigningKey::generate(crate::jose::Algorithm::Es256, "k").unwrap();
        let jwk = key.public_jwk().unwrap();
        let (x, y) = (jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap());
        let (canonical, thumbprint) = check_key(&jwk).unwrap();
        // RFC 7638 section 3.2: required members only, lexicographic order, no whitespace.
        assert_eq!(
            thumbprint,
            digest(&format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
            ))
        );
        assert_eq!(
            canonical,
            serde_json::json!({"kty": "EC", "crv": "P-256", "x": x, "y": y})
        );
        let bare = serde_json::json!({"y": y, "x": x, "crv": "P-256", "kty": "EC"});
        assert_eq!(check_key(&bare).unwrap().1, thumbprint);
    }

    #[test]
    fn officers_are_account_names_but_not_citizen() {
        assert!(check_officer("officer.bat").is_ok());
        assert!(check_officer("citizen").is_err());
        assert!(check_officer("Officer").is_err());
        assert!(check_officer("ab").is_err());
    }
}
