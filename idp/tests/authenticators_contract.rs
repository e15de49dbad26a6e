//! Authenticator apps (TOTP) on SQLite and on PostgreSQL: enrolled sealed and unconfirmed,
//! confirmed by a first code computed from the enrolled secret at a fixed time, a code taken
//! once (also by eight requests at the same instant), drift of one step either side, wrong and
//! malformed codes, rename and remove bound to the citizen, and the secret never stored in
//! clear.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use idp::authenticators::{AuthenticatorError, Authenticators};
use idp::clock::ManualClock;
use idp::database::Database;
use idp::jose::KeyEncryptionKey;
use idp::totp::{STEP_SECONDS, TotpRefusal};
use uuid::Uuid;

/// A fixed instant, 15 s into a step.
const START: i64 = 1_800_000_015;

fn service(db: &Database) -> (Authenticators, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(
        chrono::Utc.timestamp_opt(START, 0).single().unwrap(),
    ));
    let service = Authenticators::new(
        Arc::new(db.authenticators()),
        KeyEncryptionKey::generate().unwrap(),
        clock.clone(),
    );
    (service, clock)
}

fn now(clock: &ManualClock) -> u64 {
    use idp::clock::Clock;
    u64::try_from(clock.now().timestamp()).unwrap()
}

async fn an_app_is_enrolled_confirmed_and_then_logs_in_once_per_code(db: Database) {
    let (apps, clock) = service(&db);
    let citizen = Uuid::new_v4();
    let enrolled = apps.enroll_totp(citizen, "  My phone ").await.unwrap();
    let listed = apps.list(citizen).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "My phone");
    assert!(!listed[0].confirmed, "unconfirmed until a first code");
    let sealed = listed[0].sealed_secret.clone().unwrap();
    assert!(
        !sealed
            .windows(enrolled.secret.expose_bytes().len())
            .any(|w| w == enrolled.secret.expose_bytes()),
        "the secret is stored sealed"
    );
    // An unconfirmed app does not log in.
    let code = enrolled.secret.code_at(now(&clock));
    assert!(matches!(
        apps.verify_totp(citizen, &code).await,
        Err(AuthenticatorError::Refused(TotpRefusal::Wrong))
    ));
    apps.confirm_totp(citizen, &enrolled.id, &code)
        .await
        .unwrap();
    assert!(apps.list(citizen).await.unwrap()[0].confirmed);
    // The confirming code was used: it does not log in afterwards.
    assert!(matches!(
        apps.verify_totp(citizen, &code).await,
        Err(AuthenticatorError::Refused(TotpRefusal::Replayed))
    ));
    // The next step's code logs in, once.
    clock.advance(Duration::from_secs(STEP_SECONDS));
    let next = enrolled.secret.code_at(now(&clock));
    assert_eq!(apps.verify_totp(citizen, &next).await.unwrap(), enrolled.id);
    assert!(matches!(
        apps.verify_totp(citizen, &next).await,
        Err(AuthenticatorError::Refused(TotpRefusal::Replayed))
    ));
    // A code a step behind (a slow phone clock) after a newer one is a replay, too.
    clock.advance(Duration::from_secs(STEP_SECONDS));
    let behind = enrolled.secret.code_at(now(&clock) - STEP_SECONDS);
    assert!(matches!(
        apps.verify_totp(citizen, &behind).await,
        Err(AuthenticatorError::Refused(TotpRefusal::Replayed))
    ));
    // A step ahead is accepted (drift), two are not.
    let ahead = enrolled.secret.code_at(now(&clock) + STEP_SECONDS);
    assert!(apps.verify_totp(citizen, &ahead).await.is_ok());
    clock.advance(Duration::from_secs(4 * STEP_SECONDS));
    let far = enrolled.secret.code_at(now(&clock) + 2 * STEP_SECONDS);
    assert!(matches!(
        apps.verify_totp(citizen, &far).await,
        Err(AuthenticatorError::Refused(TotpRefusal::Wrong))
    ));
    assert!(matches!(
        apps.verify_totp(citizen, "12 34").await,
        Err(AuthenticatorError::Refused(TotpRefusal::Malformed))
    ));
}

async fn eight_requests_with_one_code_at_once_log_in_once(db: Database) {
    let (apps, clock) = service(&db);
    let citizen = Uuid::new_v4();
    let enrolled = apps.enroll_totp(citizen, "phone").await.unwrap();
    let first = enrolled.secret.code_at(now(&clock));
    apps.confirm_totp(citizen, &enrolled.id, &first)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(STEP_SECONDS));
    let code = enrolled.secret.code_at(now(&clock));
    let attempts = (0..8).map(|_| {
        let apps = apps.clone();
        let code = code.clone();
        tokio::spawn(async move { apps.verify_totp(citizen, &code).await })
    });
    let mut accepted = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(AuthenticatorError::Refused(TotpRefusal::Replayed)) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(accepted, 1, "a code logs in once");
}

async fn apps_belong_to_their_citizen(db: Database) {
    let (apps, clock) = service(&db);
    let (dorj, bat) = (Uuid::new_v4(), Uuid::new_v4());
    let enrolled = apps.enroll_totp(dorj, "phone").await.unwrap();
    let code = enrolled.secret.code_at(now(&clock));
    // Another citizen can neither confirm, use, rename nor remove it.
    assert!(matches!(
        apps.confirm_totp(bat, &enrolled.id, &code).await,
        Err(AuthenticatorError::NotFound)
    ));
    assert!(matches!(
        apps.rename(bat, &enrolled.id, "mine").await,
        Err(AuthenticatorError::NotFound)
    ));
    assert!(matches!(
        apps.remove(bat, &enrolled.id).await,
        Err(AuthenticatorError::NotFound)
    ));
    apps.confirm_totp(dorj, &enrolled.id, &code).await.unwrap();
    assert!(apps.verify_totp(bat, &code).await.is_err());
    // Bad names are refused and change nothing.
    for name in ["", "   ", "a\u{7}b", &"x".repeat(65)] {
        assert!(matches!(
            apps.rename(dorj, &enrolled.id, name).await,
            Err(AuthenticatorError::InvalidName)
        ));
    }
    assert_eq!(apps.list(dorj).await.unwrap()[0].name, "phone");
    apps.rename(dorj, &enrolled.id, "Утас").await.unwrap();
    assert_eq!(apps.list(dorj).await.unwrap()[0].name, "Утас");
    apps.remove(dorj, &enrolled.id).await.unwrap();
    assert!(apps.list(dorj).await.unwrap().is_empty());
    clock.advance(Duration::from_secs(STEP_SECONDS));
    let later = enrolled.secret.code_at(now(&clock));
    assert!(apps.verify_totp(dorj, &later).await.is_err(), "removed");
}

on_both_databases!(
    an_app_is_enrolled_confirmed_and_then_logs_in_once_per_code,
    eight_requests_with_one_code_at_once_log_in_once,
    apps_belong_to_their_citizen,
);
