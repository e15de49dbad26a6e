//! Digital ID devices on SQLite and on PostgreSQL (issue 8): an officer's one-time code
//! enrolls one device at `high`, a citizen's own enrollment is `substantial`; wrong, reused,
//! expired and raced codes; keys, names, platforms and attestations that are refused without
//! storing anything or burning the code; a key enrolled once; device tokens that authenticate
//! a call, and each way one is refused (expired, too long-lived, replayed, another key, another
//! device, unknown or revoked device, another algorithm, another audience); listing and
//! revocation bound to the citizen.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use idp::clock::{Clock, ManualClock};
use idp::database::Database;
use idp::database::digital_id::entity;
use idp::digital_id::{
    DEVICE_TOKEN_MAX_SECONDS, Device, DeviceLevel, DigitalId, DigitalIdError, ENROLLED_BY_CITIZEN,
    ENROLLMENT_CODE_LIFETIME, EnrollRequest, MAX_ATTESTATION_BYTES, TokenRefusal,
};
use idp::ephemeral::MemoryStore;
use idp::jose::{Algorithm, SigningKey, encode};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

const AUDIENCE: &str = "https://dan.example/digital-id/v1/pending";

struct Fixture {
    db: Database,
    digital_id: DigitalId,
    clock: Arc<ManualClock>,
}

fn fixture(db: Database) -> Fixture {
    let clock = Arc::new(ManualClock::new(
        chrono::Utc
            .timestamp_opt(1_800_000_000, 0)
            .single()
            .unwrap(),
    ));
    let ephemeral = Arc::new(MemoryStore::new(1000, clock.clone()));
    let digital_id = DigitalId::new(Arc::new(db.digital_id_devices()), ephemeral, clock.clone());
    Fixture {
        db,
        digital_id,
        clock,
    }
}

/// A device's key pair, as the app's secure element would hold it.
fn device_key() -> SigningKey {
    SigningKey::generate(Algorithm::Es256, "device").unwrap()
}

fn request(code: &str, key: &SigningKey) -> EnrollRequest {
    EnrollRequest {
        code: code.to_owned(),
        public_key: key.public_jwk().unwrap(),
        name: "Дорж's phone".to_owned(),
        platform: "Android 15".to_owned(),
        attestation: Some("attestation-blob".to_owned()),
    }
}

/// Every stored device row, to show that a refusal changed nothing.
async fn snapshot(db: &Database) -> Vec<entity::Model> {
    entity::Entity::find()
        .order_by_asc(entity::Column::Id)
        .all(db.connection())
        .await
        .unwrap()
}

async fn row(db: &Database, id: Uuid) -> entity::Model {
    entity::Entity::find_by_id(id.to_string())
        .one(db.connection())
        .await
        .unwrap()
        .unwrap()
}

fn now(f: &Fixture) -> i64 {
    f.clock.now().timestamp()
}

/// A device token over `claims`, signed by `key`.
fn token(key: &SigningKey, claims: &Value) -> String {
    key.sign("JWT", claims).unwrap()
}

/// The claims of a good token of `device`, issued now.
fn claims(f: &Fixture, device: Uuid) -> Value {
    json!({
        "iss": device.to_string(),
        "iat": now(f),
        "exp": now(f) + 30,
        "jti": Uuid::new_v4().to_string(),
    })
}

/// A token with a header of our choosing and a signature that is not one.
fn unsigned(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        encode(header.to_string().as_bytes()),
        encode(claims.to_string().as_bytes()),
        encode(signature)
    )
}

fn refusal(result: Result<Device, DigitalIdError>) -> TokenRefusal {
    match result {
        Err(DigitalIdError::TokenRefused(why)) => why,
        other => panic!("expected a token refusal, got {other:?}"),
    }
}

/// Enrolls a device for `citizen` with an officer's code.
async fn enrolled(f: &Fixture, citizen: Uuid, key: &SigningKey) -> Device {
    let code = f
        .digital_id
        .issue_code(citizen, "officer.bat")
        .await
        .unwrap();
    f.digital_id.enroll(request(&code.code, key)).await.unwrap()
}

async fn an_officers_code_enrolls_one_device_at_high(db: Database) {
    let f = fixture(db);
    let citizen = Uuid::new_v4();
    let key = device_key();

    let code = f
        .digital_id
        .issue_code(citizen, "officer.bat")
        .await
        .unwrap();
    // Three groups of four from the unambiguous alphabet, valid for 15 minutes.
    let groups: Vec<&str> = code.code.split('-').collect();
    assert_eq!(groups.len(), 3, "{:?}", code);
    for group in &groups {
        assert_eq!(group.len(), 4);
        assert!(
            group
                .bytes()
                .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b))
        );
    }
    assert_eq!(
        code.expires_at,
        f.clock.now() + chrono::Duration::from_std(ENROLLMENT_CODE_LIFETIME).unwrap()
    );
    assert!(
        !format!("{code:?}").contains(&code.code),
        "Debug shows the code"
    );

    let device = f
        .digital_id
        .enroll(request(&code.code, &key))
        .await
        .unwrap();
    assert_eq!(device.citizen_id, citizen);
    assert_eq!(device.level, DeviceLevel::High);
    assert_eq!(device.level.as_str(), "high");
    assert_eq!(device.enrolled_by, "officer.bat");
    assert_eq!(device.name, "Дорж's phone");
    assert_eq!(device.platform, "Android 15");
    assert_eq!(device.attestation.as_deref(), Some("attestation-blob"));
    assert!(device.revoked_at.is_none() && device.last_used_at.is_none());
    // The canonical public key only: kid, alg and use are not kept.
    let jwk = key.public_jwk().unwrap();
    assert_eq!(
        device.public_key,
        json!({"kty": "EC", "crv": "P-256", "x": jwk["x"], "y": jwk["y"]})
    );
    assert_eq!(device.thumbprint.len(), 43, "a base64url SHA-256");

    // Stored as returned, and listed.
    let stored = row(&f.db, device.id).await;
    assert_eq!(stored.citizen_id, citizen);
    assert_eq!(stored.level, "high");
    assert_eq!(stored.enrolled_by, "officer.bat");
    assert_eq!(stored.thumbprint, device.thumbprint);
    assert_eq!(stored.created_at, device.created_at);
    let listed = f.digital_id.devices(citizen).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, device.id);
    assert_eq!(listed[0].public_key, device.public_key);

    // The code is single use, even for another key.
    assert!(matches!(
        f.digital_id
            .enroll(request(&code.code, &device_key()))
            .await,
        Err(DigitalIdError::BadCode)
    ));
    assert_eq!(snapshot(&f.db).await.len(), 1);

    // Officers are account names; "citizen" is reserved for self-enrollment.
    assert!(matches!(
        f.digital_id.issue_code(citizen, ENROLLED_BY_CITIZEN).await,
        Err(DigitalIdError::InvalidOfficer)
    ));
    assert!(matches!(
        f.digital_id.issue_code(citizen, "").await,
        Err(DigitalIdError::InvalidOfficer)
    ));
}

async fn wrong_and_expired_codes_get_one_answer_and_store_nothing(db: Database) {
    let f = fixture(db);
    let citizen = Uuid::new_v4();
    let issued = f
        .digital_id
        .issue_code(citizen, "officer.bat")
        .await
        .unwrap();

    // Well formed but never issued (the issued one with one character changed), and not a
    // code at all.
    let mut wrong = issued.code.clone().into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    let wrong = String::from_utf8(wrong).unwrap();
    for code in [wrong.as_str(), "", "ABCD", "not a code at all!"] {
        assert!(
            matches!(
                f.digital_id.enroll(request(code, &device_key())).await,
                Err(DigitalIdError::BadCode)
            ),
            "{code:?}"
        );
    }
    assert!(snapshot(&f.db).await.is_empty());

    // Expired: 15 minutes after issue the code is gone.
    f.clock.advance(ENROLLMENT_CODE_LIFETIME);
    assert!(matches!(
        f.digital_id
            .enroll(request(&issued.code, &device_key()))
            .await,
        Err(DigitalIdError::BadCode)
    ));
    assert!(snapshot(&f.db).await.is_empty());

    // A second before the end it still works.
    let late = f
        .digital_id
        .issue_code(citizen, "officer.bat")
        .await
        .unwrap();
    f.clock
        .advance(ENROLLMENT_CODE_LIFETIME - Duration::from_secs(1));
    f.digital_id
        .enroll(request(&late.code, &device_key()))
        .await
        .unwrap();
    assert_eq!(snapshot(&f.db).await.len(), 1);
}

async fn code_input_is_normalized(db: Database) {
    let f = fixture(db);
    let citizen = Uuid::new_v4();
    let code = f
        .digital_id
        .issue_code(citizen, "officer.bat")
        .await
        .unwrap();
    // Lower case, spaces for dashes, and 0 and 1 typed as o, I or l.
    let typed: String = code
        .code
        .chars()
        .map(|c| match c {
            '-' => ' ',
            '0' => 'o',
            '1' => 'l',
            other => other.to_ascii_lowercase(),
        })
        .collect();
    let typed = format!("  {typed} ");
    assert_ne!(typed.trim(), code.code);
    let device = f
        .digital_id
        .enroll(request(&typed, &device_key()))
        .await
        .unwrap();
    assert_eq!(device.citizen_id, citizen);
}

async fn two_enrollments_racing_with_one_code_make_one_device(db: Database) {
    let f = fixture(db);
    let citizen = Uuid::new_v4();
    for _ in 0..5 {
        let code = f
            .digital_id
            .issue_code(citizen, "officer.bat")
            .await
            .unwrap();
        let (a, b) = (f.digital_id.clone(), f.digital_id.clone());
        let (ra, rb) = (
            request(&code.code, &device_key()),
            request(&code.code, &device_key()),
        );
        let (first, second) = tokio::join!(
            tokio::spawn(async move { a.enroll(ra).await }),
            tokio::spawn(async move { b.enroll(rb).await })
        );
        let results = [first.unwrap(), second.unwrap()];
        let enrolled = results.iter().filter(|r| r.is_ok()).count();
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(DigitalIdError::BadCode)))
            .count();
        assert_eq!((enrolled, refused), (1, 1), "{results:?}");
    }
    assert_eq!(f.digital_id.devices(citizen).await.unwrap().len(), 5);
    assert_eq!(snapshot(&f.db).await.len(), 5);
}

async fn bad_requests_store_nothing_and_keep_the_code(db: Database) {
    let f = fixture(db);
    let citizen = Uuid::new_v4();
    let code = f
        .digital_id
        .issue_code(citizen, "officer.bat")
        .await
        .unwrap();
    let good = device_key();
    let good_jwk = good.public_jwk().unwrap();

    let rsa = SigningKey::generate(Algorithm::Rs256, "rsa")
        .unwrap()
        .public_jwk()
        .unwrap();
    let ed25519 = SigningKey::generate(Algorithm::EdDsa, "ed")
        .unwrap()
        .public_jwk()
        .unwrap();
    let p384 = json!({"kty": "EC", "crv": "P-384", "x": encode(&[1; 48]), "y": encode(&[2; 48])});
    let off_curve =
        json!({"kty": "EC", "crv": "P-256", "x": encode(&[1; 32]), "y": encode(&[2; 32])});
    let mut private = good_jwk.clone();
    private["d"] = json!(encode(&[3; 32]));
    let mut wrong_alg = good_jwk.clone();
    wrong_alg["alg"] = json!("RS256");
    let mut encryption = good_jwk.clone();
    encryption["use"] = json!("enc");
    let short = json!({"kty": "EC", "crv": "P-256", "x": encode(&[1; 31]), "y": encode(&[2; 32])});
    let keys = [
        (rsa, "only EC keys on the P-256 curve are accepted"),
        (ed25519, "only EC keys on the P-256 curve are accepted"),
        (p384, "only the P-256 curve is accepted"),
        (off_curve, "point not on the curve"),
        (private, "it holds a private key: send only the public part"),
        (wrong_alg, "alg, when given, must be ES256"),
        (encryption, "use is not sig"),
        (short, "P-256 coordinates must be 32 bytes"),
        (json!("a string"), "not a JWK (a JSON object)"),
        (json!({"kty": "EC", "crv": "P-256"}), "x"),
    ];
    for (jwk, reason) in keys {
        let mut bad = request(&code.code, &good);
        bad.public_key = jwk.clone();
        match f.digital_id.enroll(bad).await {
            Err(DigitalIdError::InvalidKey(why)) => assert_eq!(why, reason, "{jwk}"),
            other => panic!("{jwk}: expected InvalidKey, got {other:?}"),
        }
        // The citizen's own enrollment checks the same.
        assert!(matches!(
            f.digital_id
                .enroll_by_citizen(citizen, jwk.clone(), "phone", "iOS 18", None)
                .await,
            Err(DigitalIdError::InvalidKey(_))
        ));
    }

    let long_name = "x".repeat(65);
    for name in ["", "   ", "tab\there", long_name.as_str()] {
        let mut bad = request(&code.code, &good);
        bad.name = name.to_owned();
        assert!(
            matches!(
                f.digital_id.enroll(bad).await,
                Err(DigitalIdError::InvalidName)
            ),
            "{name:?}"
        );
    }
    let long_platform = "p".repeat(65);
    for platform in ["", "new\nline", long_platform.as_str()] {
        let mut bad = request(&code.code, &good);
        bad.platform = platform.to_owned();
        assert!(
            matches!(
                f.digital_id.enroll(bad).await,
                Err(DigitalIdError::InvalidPlatform)
            ),
            "{platform:?}"
        );
    }
    let mut bad = request(&code.code, &good);
    bad.attestation = Some("a".repeat(MAX_ATTESTATION_BYTES + 1));
    assert!(matches!(
        f.digital_id.enroll(bad).await,
        Err(DigitalIdError::AttestationTooLarge)
    ));
    assert!(matches!(
        f.digital_id
            .enroll_by_citizen(
                citizen,
                good_jwk.clone(),
                "phone",
                "iOS 18",
                Some("a".repeat(MAX_ATTESTATION_BYTES + 1))
            )
            .await,
        Err(DigitalIdError::AttestationTooLarge)
    ));
    assert!(snapshot(&f.db).await.is_empty());

    // None of that burnt the code; an attestation of exactly 16 KiB is kept as given, and the
    // name is trimmed.
    let mut fine = request(&code.code, &good);
    fine.attestation = Some("a".repeat(MAX_ATTESTATION_BYTES));
    fine.name = "  phone  ".to_owned();
    let device = f.digital_id.enroll(fine).await.unwrap();
    assert_eq!(device.name, "phone");
    assert_eq!(
        row(&f.db, device.id).await.attestation.map(|a| a.len()),
        Some(MAX_ATTESTATION_BYTES)
    );
}

async fn a_key_is_enrolled_once(db: Database) {
    let f = fixture(db);
    let (dorj, bat) = (Uuid::new_v4(), Uuid::new_v4());
    let key = device_key();
    let first = enrolled(&f, dorj, &key).await;

    // The same key again, with a fresh code, for anyone: a duplicate, and the code survives.
    let code = f.digital_id.issue_code(bat, "officer.bat").await.unwrap();
    assert!(matches!(
        f.digital_id.enroll(request(&code.code, &key)).await,
        Err(DigitalIdError::Duplicate)
    ));
    // The same key written another way (members reordered, no kid) is the same key.
    let jwk = key.public_jwk().unwrap();
    let reordered = json!({"y": jwk["y"], "x": jwk["x"], "kty": "EC", "crv": "P-256"});
    assert!(matches!(
        f.digital_id
            .enroll_by_citizen(bat, reordered, "phone", "iOS 18", None)
            .await,
        Err(DigitalIdError::Duplicate)
    ));
    assert_eq!(snapshot(&f.db).await.len(), 1);
    let other = f
        .digital_id
        .enroll(request(&code.code, &device_key()))
        .await
        .unwrap();
    assert_eq!(other.citizen_id, bat);

    // A revoked key never comes back.
    f.digital_id.revoke(dorj, first.id).await.unwrap();
    assert!(matches!(
        f.digital_id
            .enroll_by_citizen(dorj, key.public_jwk().unwrap(), "phone", "iOS 18", None)
            .await,
        Err(DigitalIdError::Duplicate)
    ));
    assert_eq!(snapshot(&f.db).await.len(), 2);
}

async fn a_citizens_own_enrollment_is_substantial(db: Database) {
    let f = fixture(db);
    let citizen = Uuid::new_v4();
    let key = device_key();
    let device = f
        .digital_id
        .enroll_by_citizen(
            citizen,
            key.public_jwk().unwrap(),
            "tablet",
            "iPadOS 18",
            None,
        )
        .await
        .unwrap();
    assert_eq!(device.level, DeviceLevel::Substantial);
    assert_eq!(device.enrolled_by, ENROLLED_BY_CITIZEN);
    assert_eq!(device.attestation, None);
    let stored = row(&f.db, device.id).await;
    assert_eq!(stored.level, "substantial");
    assert_eq!(stored.enrolled_by, "citizen");
    // Its tokens authenticate like any other device's.
    let authenticated = f
        .digital_id
        .authenticate(&token(&key, &claims(&f, device.id)), AUDIENCE)
        .await
        .unwrap();
    assert_eq!(authenticated.level, DeviceLevel::Substantial);
}

async fn a_device_token_authenticates_a_call(db: Database) {
    let f = fixture(db);
    let citizen = Uuid::new_v4();
    let key = device_key();
    let device = enrolled(&f, citizen, &key).await;

    // Without aud, and with aud naming the endpoint (a string, or an array holding it); typ
    // may be absent or DAN's own.
    let plain = f
        .digital_id
        .authenticate(&token(&key, &claims(&f, device.id)), AUDIENCE)
        .await
        .unwrap();
    assert_eq!(plain.id, device.id);
    assert_eq!(plain.citizen_id, citizen);
    assert_eq!(plain.last_used_at, Some(f.clock.now()));
    assert_eq!(
        row(&f.db, device.id).await.last_used_at,
        Some(f.clock.now())
    );
    let mut with_aud = claims(&f, device.id);
    with_aud["aud"] = json!(AUDIENCE);
    f.digital_id
        .authenticate(&token(&key, &with_aud), AUDIENCE)
        .await
        .unwrap();
    with_aud["aud"] = json!(["https://other.example", AUDIENCE]);
    with_aud["jti"] = json!("another");
    f.digital_id
        .authenticate(&token(&key, &with_aud), AUDIENCE)
        .await
        .unwrap();
    f.digital_id
        .authenticate(
            &key.sign("dan-device+jwt", &claims(&f, device.id)).unwrap(),
            AUDIENCE,
        )
        .await
        .unwrap();

    // The longest lifetime, at the edge of the skew.
    let first_use = f.clock.now();
    f.clock.advance(Duration::from_secs(30));
    let mut longest = claims(&f, device.id);
    longest["exp"] = json!(now(&f) + DEVICE_TOKEN_MAX_SECONDS);
    f.digital_id
        .authenticate(&token(&key, &longest), AUDIENCE)
        .await
        .unwrap();
    // Last use is written at most once a minute.
    assert_eq!(row(&f.db, device.id).await.last_used_at, Some(first_use));
    let mut late = claims(&f, device.id);
    late["iat"] = json!(now(&f) - 40);
    late["exp"] = json!(now(&f) - 4);
    f.digital_id
        .authenticate(&token(&key, &late), AUDIENCE)
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(30));
    let later = f
        .digital_id
        .authenticate(&token(&key, &claims(&f, device.id)), AUDIENCE)
        .await
        .unwrap();
    assert_eq!(later.last_used_at, Some(f.clock.now()));
    assert_eq!(
        row(&f.db, device.id).await.last_used_at,
        Some(f.clock.now())
    );
}

async fn device_tokens_are_refused_for_each_reason(db: Database) {
    let f = fixture(db);
    let citizen = Uuid::new_v4();
    let key = device_key();
    let device = enrolled(&f, citizen, &key).await;
    let other_key = device_key();
    let other = enrolled(&f, Uuid::new_v4(), &other_key).await;
    let auth = |token: String| {
        let digital_id = f.digital_id.clone();
        async move { digital_id.authenticate(&token, AUDIENCE).await }
    };

    // Expired (beyond the 5 s skew).
    let mut expired = claims(&f, device.id);
    expired["iat"] = json!(now(&f) - 35);
    expired["exp"] = json!(now(&f) - 5);
    assert_eq!(
        refusal(auth(token(&key, &expired)).await),
        TokenRefusal::Expired
    );
    // Living longer than 60 s, or issued in the future.
    let mut long = claims(&f, device.id);
    long["exp"] = json!(now(&f) + DEVICE_TOKEN_MAX_SECONDS + 1);
    assert_eq!(
        refusal(auth(token(&key, &long)).await),
        TokenRefusal::LifetimeTooLong
    );
    let mut future = claims(&f, device.id);
    future["iat"] = json!(now(&f) + 30);
    future["exp"] = json!(now(&f) + 60);
    assert_eq!(
        refusal(auth(token(&key, &future)).await),
        TokenRefusal::LifetimeTooLong
    );
    // Replayed.
    let once = token(&key, &claims(&f, device.id));
    auth(once.clone()).await.unwrap();
    assert_eq!(refusal(auth(once).await), TokenRefusal::Replayed);
    // Signed by another key, or claiming another device.
    assert_eq!(
        refusal(auth(token(&other_key, &claims(&f, device.id))).await),
        TokenRefusal::Signature
    );
    assert_eq!(
        refusal(auth(token(&key, &claims(&f, other.id))).await),
        TokenRefusal::Signature
    );
    // An unknown device, or an iss that is no device id.
    assert_eq!(
        refusal(auth(token(&key, &claims(&f, Uuid::new_v4()))).await),
        TokenRefusal::UnknownDevice
    );
    let mut not_an_id = claims(&f, device.id);
    not_an_id["iss"] = json!("https://dan.example");
    assert_eq!(
        refusal(auth(token(&key, &not_an_id)).await),
        TokenRefusal::UnknownDevice
    );
    // Another algorithm in the header: none, HMAC, or ES256 under another name.
    for alg in ["none", "HS256", "RS256", "ES384", "es256"] {
        let header = json!({"alg": alg, "typ": "JWT"});
        let forged = unsigned(&header, &claims(&f, device.id), &[7; 64]);
        assert_eq!(
            refusal(auth(forged).await),
            TokenRefusal::Algorithm,
            "{alg}"
        );
        let empty = unsigned(&header, &claims(&f, device.id), &[]);
        assert_eq!(refusal(auth(empty).await), TokenRefusal::Algorithm, "{alg}");
    }
    // Another audience; refused before its jti is recorded, so it still works where it
    // belongs.
    let mut elsewhere = claims(&f, device.id);
    elsewhere["aud"] = json!("https://dan.example/digital-id/v1/other");
    let elsewhere = token(&key, &elsewhere);
    assert_eq!(
        refusal(auth(elsewhere.clone()).await),
        TokenRefusal::Audience
    );
    f.digital_id
        .authenticate(&elsewhere, "https://dan.example/digital-id/v1/other")
        .await
        .unwrap();
    // Missing claims.
    for missing in ["iss", "iat", "exp", "jti"] {
        let mut without = claims(&f, device.id);
        without.as_object_mut().unwrap().remove(missing);
        assert_eq!(
            refusal(auth(token(&key, &without)).await),
            TokenRefusal::MissingClaim,
            "{missing}"
        );
    }
    let mut text_exp = claims(&f, device.id);
    text_exp["exp"] = json!("soon");
    assert_eq!(
        refusal(auth(token(&key, &text_exp)).await),
        TokenRefusal::MissingClaim
    );
    // Malformed: not a JWS, claims not an object, another typ.
    let huge = "a".repeat(20_000);
    for garbage in ["", "a.b", "not.a.token", huge.as_str()] {
        assert_eq!(
            refusal(auth(garbage.to_owned()).await),
            TokenRefusal::Malformed,
            "{garbage:.20}"
        );
    }
    assert_eq!(
        refusal(auth(token(&key, &json!([1, 2]))).await),
        TokenRefusal::Malformed
    );
    assert_eq!(
        refusal(
            auth(
                key.sign("dan-approval+jwt", &claims(&f, device.id))
                    .unwrap()
            )
            .await
        ),
        TokenRefusal::Malformed
    );

    // A revoked device: refused, even with a good signature.
    f.digital_id.revoke(citizen, device.id).await.unwrap();
    assert_eq!(
        refusal(auth(token(&key, &claims(&f, device.id))).await),
        TokenRefusal::Revoked
    );
    // The stable reasons.
    let reasons = [
        (TokenRefusal::Malformed, "malformed"),
        (TokenRefusal::Algorithm, "algorithm"),
        (TokenRefusal::UnknownDevice, "unknown_device"),
        (TokenRefusal::Revoked, "revoked"),
        (TokenRefusal::Signature, "signature"),
        (TokenRefusal::Expired, "expired"),
        (TokenRefusal::LifetimeTooLong, "lifetime_too_long"),
        (TokenRefusal::Replayed, "replayed"),
        (TokenRefusal::MissingClaim, "missing_claim"),
        (TokenRefusal::Audience, "audience"),
    ];
    for (refusal, reason) in reasons {
        assert_eq!(refusal.as_str(), reason);
    }
}

async fn devices_and_revocation_are_bound_to_the_citizen(db: Database) {
    let f = fixture(db);
    let (dorj, bat) = (Uuid::new_v4(), Uuid::new_v4());
    let first = enrolled(&f, dorj, &device_key()).await;
    f.clock.advance(Duration::from_secs(1));
    let second = enrolled(&f, dorj, &device_key()).await;
    let bats = enrolled(&f, bat, &device_key()).await;

    // Oldest first, each citizen their own.
    let ids: Vec<Uuid> = f
        .digital_id
        .devices(dorj)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, [first.id, second.id]);
    assert_eq!(f.digital_id.devices(bat).await.unwrap().len(), 1);
    assert!(
        f.digital_id
            .devices(Uuid::new_v4())
            .await
            .unwrap()
            .is_empty()
    );

    // Another citizen's device, or an unknown one: not found, nothing revoked.
    assert!(matches!(
        f.digital_id.revoke(bat, first.id).await,
        Err(DigitalIdError::NotFound)
    ));
    assert!(matches!(
        f.digital_id.revoke(dorj, Uuid::new_v4()).await,
        Err(DigitalIdError::NotFound)
    ));
    assert!(row(&f.db, first.id).await.revoked_at.is_none());

    // The owner revokes: gone from the list, kept in storage with the time, once only.
    f.clock.advance(Duration::from_secs(1));
    f.digital_id.revoke(dorj, first.id).await.unwrap();
    let ids: Vec<Uuid> = f
        .digital_id
        .devices(dorj)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, [second.id]);
    assert_eq!(row(&f.db, first.id).await.revoked_at, Some(f.clock.now()));
    assert!(matches!(
        f.digital_id.revoke(dorj, first.id).await,
        Err(DigitalIdError::NotFound)
    ));
    assert!(row(&f.db, bats.id).await.revoked_at.is_none());
    assert_eq!(snapshot(&f.db).await.len(), 3);
}

on_both_databases!(
    an_officers_code_enrolls_one_device_at_high,
    wrong_and_expired_codes_get_one_answer_and_store_nothing,
    code_input_is_normalized,
    two_enrollments_racing_with_one_code_make_one_device,
    bad_requests_store_nothing_and_keep_the_code,
    a_key_is_enrolled_once,
    a_citizens_own_enrollment_is_substantial,
    a_device_token_authenticates_a_call,
    device_tokens_are_refused_for_each_reason,
    devices_and_revocation_are_bound_to_the_citizen,
);
