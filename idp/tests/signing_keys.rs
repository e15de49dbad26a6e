//! Signing keys on both databases: generated on first start and sealed at rest, rotated with
//! overlap (a token signed before a rotation still verifies), retired keys withdrawn once their
//! tokens have expired, and a wrong key-encryption key refused at start.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use idp::clock::ManualClock;
use idp::database::Database;
use idp::jose::{Algorithm, Compact, KeyEncryptionKey};
use idp::keys::{KeyError, KeyRing, KeyStore};
use serde_json::{Value, json};

const PUBLISH_RETIRED_FOR: Duration = Duration::from_secs(900);

fn es256_kids(ring: &KeyRing) -> Vec<String> {
    let jwks: Value = serde_json::from_str(&ring.jwks()).unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["alg"] == "ES256")
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

async fn rotation_keeps_tokens_in_flight_valid(db: Database) {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let store: Arc<dyn KeyStore> = Arc::new(db.oidc());
    let kek = KeyEncryptionKey::generate().unwrap();
    let ring = KeyRing::open(
        store.clone(),
        kek.clone(),
        clock.clone(),
        PUBLISH_RETIRED_FOR,
    )
    .await
    .unwrap();
    let before = ring.signer(Algorithm::Es256).unwrap();
    let token = before.sign("JWT", &json!({"sub": "x"})).unwrap();
    let published = es256_kids(&ring);
    assert_eq!(published.len(), 2, "active and next");
    let next = published
        .iter()
        .find(|k| *k != before.kid())
        .unwrap()
        .clone();

    let now_signing = ring.rotate(Algorithm::Es256).await.unwrap();
    assert_eq!(
        now_signing, next,
        "the next key, published in advance, becomes active"
    );
    assert_eq!(ring.signer(Algorithm::Es256).unwrap().kid(), next);
    assert_eq!(
        es256_kids(&ring).len(),
        3,
        "retired, active and a new next key"
    );
    ring.verify(&Compact::parse(&token).unwrap())
        .expect("a token signed before the rotation still verifies");
    assert_eq!(
        ring.signer(Algorithm::Rs256).unwrap().algorithm(),
        Algorithm::Rs256,
        "other algorithms are untouched"
    );

    // A second node opening the same database sees the same keys.
    let other = KeyRing::open(store.clone(), kek, clock.clone(), PUBLISH_RETIRED_FOR)
        .await
        .unwrap();
    assert_eq!(other.signer(Algorithm::Es256).unwrap().kid(), next);

    clock.advance(PUBLISH_RETIRED_FOR + Duration::from_secs(1));
    ring.reload().await.unwrap();
    assert!(
        !es256_kids(&ring).contains(&before.kid().to_owned()),
        "the retired key is withdrawn once its tokens have expired"
    );
    assert!(ring.verify(&Compact::parse(&token).unwrap()).is_err());
}

async fn private_keys_are_sealed_and_need_the_right_key_encryption_key(db: Database) {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let store: Arc<dyn KeyStore> = Arc::new(db.oidc());
    let kek = KeyEncryptionKey::generate().unwrap();
    let ring = KeyRing::open(store.clone(), kek, clock.clone(), PUBLISH_RETIRED_FOR)
        .await
        .unwrap();
    let signer = ring.signer(Algorithm::Es256).unwrap();
    let stored = store.list().await.unwrap();
    let row = stored.iter().find(|k| k.kid == signer.kid()).unwrap();
    let der = signer.to_pkcs8_der().unwrap();
    assert!(
        !row.sealed_private_key
            .windows(16)
            .any(|w| der.windows(16).any(|d| d == w)),
        "no stretch of the private key is stored in clear"
    );
    let wrong = KeyEncryptionKey::generate().unwrap();
    let refused = KeyRing::open(store, wrong, clock, PUBLISH_RETIRED_FOR).await;
    assert!(matches!(refused, Err(KeyError::Crypto { .. })));
}

on_both_databases!(
    rotation_keeps_tokens_in_flight_valid,
    private_keys_are_sealed_and_need_the_right_key_encryption_key,
);
