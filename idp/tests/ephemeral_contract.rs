//! The contract of the short-lived store ([`EphemeralStore`]): one suite of generic test
//! functions, run against the in-process store (on a manual clock) and against Redis.
//!
//! A new backend is done when this suite passes on it. Test names show the backend:
//! `in_process::take_returns_the_value_exactly_once`, `redis::take_returns_the_value_exactly_once`.
//!
//! Time: the in-process store reads an injected clock, so its tests move the clock by exactly
//! the time to live. Redis keeps real time, so its tests use a short time to live and wait —
//! with a deadline — until the key is gone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use idp::clock::ManualClock;
use idp::ephemeral::{EphemeralStore, Key, MAX_VALUE_BYTES, MemoryStore, StoreError};

/// Long enough that nothing expires during a test.
const LONG: Duration = Duration::from_secs(600);

/// How long a Redis expiry may take to show, past its time to live.
const EXPIRY_DEADLINE: Duration = Duration::from_secs(5);

/// How a test lets a time to live run out.
enum Time {
    /// The in-process store reads this clock: moving it is time passing.
    Manual(Arc<ManualClock>),
    /// Redis keeps real time: wait for the key to go.
    Real,
}

impl Time {
    /// A time to live short enough to see run out in a test. On Redis it is also long enough
    /// that a busy machine does not lose a key between two consecutive commands.
    fn short_ttl(&self) -> Duration {
        match self {
            Self::Manual(_) => Duration::from_secs(30),
            Self::Real => Duration::from_millis(400),
        }
    }

    /// Lets `ttl` pass for `key`, which was written with that time to live: the manual clock
    /// moves by exactly `ttl`; on Redis, `get` is polled until the key is gone.
    async fn let_expire(&self, store: &dyn EphemeralStore, key: &Key, ttl: Duration) {
        match self {
            Self::Manual(clock) => clock.advance(ttl),
            Self::Real => {
                let deadline = Instant::now() + ttl + EXPIRY_DEADLINE;
                while store
                    .get(key)
                    .await
                    .expect("get while waiting for expiry")
                    .is_some()
                {
                    assert!(
                        Instant::now() < deadline,
                        "{key:?} still held {EXPIRY_DEADLINE:?} after its time to live of {ttl:?}"
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
}

fn key(id: &str) -> Key {
    Key::new("contract", id)
}

// ---- the contract ---------------------------------------------------------------------------

async fn put_then_get_returns_the_value(store: Arc<dyn EphemeralStore>, _time: Time) {
    let key = key("a");
    store.put(&key, b"pending login", LONG).await.unwrap();
    assert_eq!(
        store.get(&key).await.unwrap().as_deref(),
        Some(&b"pending login"[..])
    );
    // Reading does not consume.
    assert_eq!(
        store.get(&key).await.unwrap().as_deref(),
        Some(&b"pending login"[..])
    );
}

async fn put_replaces_what_was_there(store: Arc<dyn EphemeralStore>, _time: Time) {
    let key = key("a");
    store.put(&key, b"first", LONG).await.unwrap();
    store.put(&key, b"second", LONG).await.unwrap();
    assert_eq!(
        store.get(&key).await.unwrap().as_deref(),
        Some(&b"second"[..])
    );
}

async fn get_of_a_missing_key_is_none(store: Arc<dyn EphemeralStore>, _time: Time) {
    assert_eq!(store.get(&key("never-written")).await.unwrap(), None);
}

async fn put_new_stores_only_once(store: Arc<dyn EphemeralStore>, _time: Time) {
    let key = key("jti");
    assert!(
        store.put_new(&key, b"first", LONG).await.unwrap(),
        "a new key is stored"
    );
    assert!(
        !store.put_new(&key, b"second", LONG).await.unwrap(),
        "a held key is not stored again"
    );
    assert_eq!(
        store.get(&key).await.unwrap().as_deref(),
        Some(&b"first"[..]),
        "the first value stays"
    );
}

async fn take_returns_the_value_exactly_once(store: Arc<dyn EphemeralStore>, _time: Time) {
    let key = key("code");
    store
        .put(&key, b"authorization code state", LONG)
        .await
        .unwrap();
    assert_eq!(
        store.take(&key).await.unwrap().as_deref(),
        Some(&b"authorization code state"[..])
    );
    assert_eq!(
        store.take(&key).await.unwrap(),
        None,
        "a taken value is gone"
    );
    assert_eq!(store.get(&key).await.unwrap(), None);
}

async fn of_sixteen_concurrent_takers_exactly_one_gets_the_value(
    store: Arc<dyn EphemeralStore>,
    _time: Time,
) {
    const TAKERS: usize = 16;
    let key = key("code");
    store.put(&key, b"single use", LONG).await.unwrap();
    let start = Arc::new(tokio::sync::Barrier::new(TAKERS));
    let takers: Vec<_> = (0..TAKERS)
        .map(|_| {
            let (store, key, start) = (store.clone(), key.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                store.take(&key).await.unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for taker in takers {
        if let Some(value) = taker.await.unwrap() {
            assert_eq!(value, b"single use");
            winners += 1;
        }
    }
    assert_eq!(
        winners, 1,
        "exactly one of {TAKERS} concurrent takers gets the value"
    );
}

async fn delete_reports_whether_something_was_there(store: Arc<dyn EphemeralStore>, _time: Time) {
    let key = key("session");
    assert!(!store.delete(&key).await.unwrap(), "nothing to delete");
    store.put(&key, b"v", LONG).await.unwrap();
    assert!(store.delete(&key).await.unwrap(), "a held key is deleted");
    assert_eq!(store.get(&key).await.unwrap(), None);
    assert!(
        !store.delete(&key).await.unwrap(),
        "deleting twice finds nothing the second time"
    );
}

async fn increment_counts_one_two_three(store: Arc<dyn EphemeralStore>, _time: Time) {
    let key = key("attempts");
    assert_eq!(store.increment(&key, LONG).await.unwrap(), 1);
    assert_eq!(store.increment(&key, LONG).await.unwrap(), 2);
    assert_eq!(store.increment(&key, LONG).await.unwrap(), 3);
    assert_eq!(
        store.get(&key).await.unwrap().as_deref(),
        Some(&b"3"[..]),
        "counters are decimal text"
    );
}

async fn increment_keeps_the_first_expiry_a_fixed_window(
    store: Arc<dyn EphemeralStore>,
    time: Time,
) {
    let key = key("attempts");
    let window = time.short_ttl();
    assert_eq!(store.increment(&key, window).await.unwrap(), 1);
    // Later increments ask for a much longer life; the window must not move.
    assert_eq!(store.increment(&key, LONG).await.unwrap(), 2);
    assert_eq!(store.increment(&key, LONG).await.unwrap(), 3);
    time.let_expire(&*store, &key, window).await;
    assert_eq!(
        store.increment(&key, window).await.unwrap(),
        1,
        "after the window the counter restarts"
    );
}

async fn put_honours_the_time_to_live(store: Arc<dyn EphemeralStore>, time: Time) {
    let key = key("login");
    let ttl = time.short_ttl();
    store.put(&key, b"v", ttl).await.unwrap();
    assert!(
        store.get(&key).await.unwrap().is_some(),
        "held before its time to live passes"
    );
    time.let_expire(&*store, &key, ttl).await;
    assert_eq!(store.get(&key).await.unwrap(), None);
    assert_eq!(
        store.take(&key).await.unwrap(),
        None,
        "an expired value cannot be taken"
    );
    assert!(
        !store.delete(&key).await.unwrap(),
        "an expired value is not there to delete"
    );
}

async fn an_expired_key_can_be_put_new_again(store: Arc<dyn EphemeralStore>, time: Time) {
    let key = key("jti");
    let ttl = time.short_ttl();
    assert!(store.put_new(&key, b"first", ttl).await.unwrap());
    time.let_expire(&*store, &key, ttl).await;
    assert!(
        store.put_new(&key, b"second", LONG).await.unwrap(),
        "the expired key is free again"
    );
    assert_eq!(
        store.get(&key).await.unwrap().as_deref(),
        Some(&b"second"[..])
    );
}

async fn a_value_of_the_maximum_size_is_accepted(store: Arc<dyn EphemeralStore>, _time: Time) {
    let key = key("big");
    let value = vec![7u8; MAX_VALUE_BYTES];
    store.put(&key, &value, LONG).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), Some(value));
}

async fn values_over_the_maximum_size_are_refused_and_not_stored(
    store: Arc<dyn EphemeralStore>,
    _time: Time,
) {
    let key = key("too-big");
    let value = vec![7u8; MAX_VALUE_BYTES + 1];
    assert!(matches!(
        store.put(&key, &value, LONG).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.put_new(&key, &value, LONG).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(store.get(&key).await.unwrap(), None, "nothing was stored");
}

async fn a_zero_time_to_live_is_refused_and_nothing_stored(
    store: Arc<dyn EphemeralStore>,
    _time: Time,
) {
    let (put, put_new, counter) = (key("put"), key("put-new"), key("counter"));
    assert!(matches!(
        store.put(&put, b"v", Duration::ZERO).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.put_new(&put_new, b"v", Duration::ZERO).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.increment(&counter, Duration::ZERO).await,
        Err(StoreError::Invalid(_))
    ));
    for key in [put, put_new, counter] {
        assert_eq!(
            store.get(&key).await.unwrap(),
            None,
            "{key:?} holds nothing"
        );
    }
}

async fn the_same_id_in_different_namespaces_is_independent(
    store: Arc<dyn EphemeralStore>,
    _time: Time,
) {
    let otp = Key::new("otp", "same-id");
    let code = Key::new("code", "same-id");
    store.put(&otp, b"otp state", LONG).await.unwrap();
    assert_eq!(store.get(&code).await.unwrap(), None);
    store.put(&code, b"code state", LONG).await.unwrap();
    assert_eq!(
        store.get(&otp).await.unwrap().as_deref(),
        Some(&b"otp state"[..])
    );
    assert_eq!(
        store.take(&code).await.unwrap().as_deref(),
        Some(&b"code state"[..])
    );
    assert_eq!(
        store.get(&otp).await.unwrap().as_deref(),
        Some(&b"otp state"[..]),
        "taking one leaves the other"
    );
    assert_eq!(
        store
            .increment(&Key::new("attempts", "same-id"), LONG)
            .await
            .unwrap(),
        1
    );
}

async fn ping_answers(store: Arc<dyn EphemeralStore>, _time: Time) {
    store.ping().await.unwrap();
}

/// Declares each contract function as a test on the in-process store and on Redis, in modules
/// `in_process` and `redis`.
async fn touch_extends_a_live_value_and_never_brings_one_back(
    store: Arc<dyn EphemeralStore>,
    time: Time,
) {
    let key = key("console");
    let ttl = time.short_ttl();
    assert!(!store.touch(&key, LONG).await.unwrap(), "nothing to touch");
    assert_eq!(
        store.get(&key).await.unwrap(),
        None,
        "touch creates nothing"
    );
    store.put(&key, b"v", ttl).await.unwrap();
    assert!(store.touch(&key, LONG).await.unwrap());
    if let Time::Manual(clock) = &time {
        clock.advance(ttl * 2);
    }
    assert_eq!(
        store.get(&key).await.unwrap().as_deref(),
        Some(&b"v"[..]),
        "held past its first time to live"
    );
    assert!(store.delete(&key).await.unwrap());
    assert!(
        !store.touch(&key, LONG).await.unwrap(),
        "a deleted value stays deleted"
    );
    assert_eq!(store.get(&key).await.unwrap(), None);
    // And a touch with a short life lets it expire.
    store.put(&key, b"w", LONG).await.unwrap();
    assert!(store.touch(&key, ttl).await.unwrap());
    time.let_expire(&*store, &key, ttl).await;
    assert!(
        !store.touch(&key, LONG).await.unwrap(),
        "an expired value is gone"
    );
}

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod in_process {
            use super::*;

            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let clock = Arc::new(ManualClock::new(start_of_test()));
                    let store = Arc::new(MemoryStore::new(1_000, clock.clone()));
                    super::$name(store, Time::Manual(clock)).await;
                }
            )*
        }

        mod redis {
            use super::*;

            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(store) = crate::support::redis_store() else { return };
                    super::$name(store, Time::Real).await;
                }
            )*
        }
    };
}

on_both_stores!(
    put_then_get_returns_the_value,
    put_replaces_what_was_there,
    get_of_a_missing_key_is_none,
    put_new_stores_only_once,
    take_returns_the_value_exactly_once,
    of_sixteen_concurrent_takers_exactly_one_gets_the_value,
    delete_reports_whether_something_was_there,
    increment_counts_one_two_three,
    increment_keeps_the_first_expiry_a_fixed_window,
    put_honours_the_time_to_live,
    an_expired_key_can_be_put_new_again,
    a_value_of_the_maximum_size_is_accepted,
    values_over_the_maximum_size_are_refused_and_not_stored,
    a_zero_time_to_live_is_refused_and_nothing_stored,
    the_same_id_in_different_namespaces_is_independent,
    touch_extends_a_live_value_and_never_brings_one_back,
    ping_answers,
);

fn start_of_test() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

// ---- in-process only: exact instants and the memory bound ----------------------------------

mod in_process_only {
    use super::*;

    fn store(max_entries: usize) -> (Arc<ManualClock>, MemoryStore) {
        let clock = Arc::new(ManualClock::new(start_of_test()));
        (clock.clone(), MemoryStore::new(max_entries, clock))
    }

    #[tokio::test]
    async fn an_entry_lives_until_the_exact_instant_its_time_to_live_ends() {
        let (clock, store) = store(10);
        let key = key("login");
        store
            .put(&key, b"v", Duration::from_secs(60))
            .await
            .unwrap();
        clock.advance(Duration::from_millis(59_999));
        assert!(
            store.get(&key).await.unwrap().is_some(),
            "alive one millisecond before the end"
        );
        clock.advance(Duration::from_millis(1));
        assert_eq!(store.get(&key).await.unwrap(), None, "gone at the end");
    }

    #[tokio::test]
    async fn a_full_store_refuses_a_new_live_key() {
        let (_clock, store) = store(3);
        for id in ["a", "b", "c"] {
            store.put(&key(id), b"v", LONG).await.unwrap();
        }
        assert!(matches!(
            store.put(&key("d"), b"v", LONG).await,
            Err(StoreError::Full(3))
        ));
        assert!(matches!(
            store.put_new(&key("d"), b"v", LONG).await,
            Err(StoreError::Full(3))
        ));
        assert!(matches!(
            store.increment(&key("d"), LONG).await,
            Err(StoreError::Full(3))
        ));
        assert_eq!(store.get(&key("d")).await.unwrap(), None);
        // Nothing live was evicted to make room.
        assert_eq!(store.len(), 3);
        for id in ["a", "b", "c"] {
            assert!(
                store.get(&key(id)).await.unwrap().is_some(),
                "{id} is still held"
            );
        }
    }

    #[tokio::test]
    async fn a_full_store_still_replaces_a_key_it_holds() {
        let (_clock, store) = store(3);
        for id in ["a", "b", "c"] {
            store.put(&key(id), b"v", LONG).await.unwrap();
        }
        store.put(&key("a"), b"replaced", LONG).await.unwrap();
        assert!(matches!(
            store.increment(&key("counter"), LONG).await,
            Err(StoreError::Full(3))
        ));
        assert_eq!(
            store.get(&key("a")).await.unwrap().as_deref(),
            Some(&b"replaced"[..])
        );
    }

    #[tokio::test]
    async fn a_full_store_accepts_a_new_key_once_the_others_expired() {
        let (clock, store) = store(3);
        let ttl = Duration::from_secs(60);
        for id in ["a", "b", "c"] {
            store.put(&key(id), b"v", ttl).await.unwrap();
        }
        assert!(matches!(
            store.put(&key("d"), b"v", LONG).await,
            Err(StoreError::Full(3))
        ));
        clock.advance(ttl);
        store.put(&key("d"), b"v", LONG).await.unwrap();
        assert_eq!(
            store.get(&key("d")).await.unwrap().as_deref(),
            Some(&b"v"[..])
        );
        assert_eq!(store.len(), 1, "the expired entries were swept");
    }
}

// ---- Redis only: an outage and the recovery from it -----------------------------------------

mod redis_outage {
    use idp::ephemeral::RedisStore;

    use super::*;

    /// How long the store waits for Redis in these tests.
    const STORE_TIMEOUT: Duration = Duration::from_millis(500);
    /// Longest an operation may take to fail while Redis is down.
    const PROMPTLY: Duration = Duration::from_secs(3);
    /// Longest a start or a recovery may take.
    const RECOVERY_DEADLINE: Duration = Duration::from_secs(10);

    async fn wait_until_it_answers(store: &RedisStore, what: &str) {
        let deadline = Instant::now() + RECOVERY_DEADLINE;
        while let Err(err) = store.ping().await {
            assert!(
                Instant::now() < deadline,
                "{what}: Redis did not answer within {RECOVERY_DEADLINE:?}: {err}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `operation` and checks that it fails as `Unavailable`, promptly.
    async fn assert_unavailable_promptly<T: std::fmt::Debug>(
        name: &str,
        operation: impl Future<Output = Result<T, StoreError>>,
    ) {
        let started = Instant::now();
        let result = tokio::time::timeout(PROMPTLY, operation)
            .await
            .unwrap_or_else(|_| panic!("{name} hung for {PROMPTLY:?} while Redis was down"));
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{name} while Redis is down: {result:?}"
        );
        assert!(
            started.elapsed() < PROMPTLY,
            "{name} took {:?}",
            started.elapsed()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn operations_fail_as_unavailable_during_an_outage_and_the_store_recovers_by_itself() {
        let Some(mut server) = crate::support::OwnRedis::start() else {
            return;
        };
        let store = RedisStore::new(&server.url(), "outage", STORE_TIMEOUT).unwrap();
        wait_until_it_answers(&store, "first start").await;
        let key = key("login");
        store.put(&key, b"before", LONG).await.unwrap();
        assert_eq!(
            store.get(&key).await.unwrap().as_deref(),
            Some(&b"before"[..])
        );

        server.stop();
        assert_unavailable_promptly("ping", store.ping()).await;
        assert_unavailable_promptly("put", store.put(&key, b"during", LONG)).await;
        assert_unavailable_promptly("put_new", store.put_new(&key, b"during", LONG)).await;
        assert_unavailable_promptly("get", store.get(&key)).await;
        assert_unavailable_promptly("take", store.take(&key)).await;
        assert_unavailable_promptly("delete", store.delete(&key)).await;
        assert_unavailable_promptly("increment", store.increment(&key, LONG)).await;

        server.restart();
        wait_until_it_answers(&store, "restart on the same port").await;
        // The restarted server kept nothing (no persistence); the same store object works.
        assert_eq!(store.get(&key).await.unwrap(), None);
        store.put(&key, b"after", LONG).await.unwrap();
        assert_eq!(
            store.get(&key).await.unwrap().as_deref(),
            Some(&b"after"[..])
        );
        assert_eq!(
            store
                .increment(&super::key("attempts"), LONG)
                .await
                .unwrap(),
            1
        );
    }
}
