//! Short-lived state: pending logins, codes, counters, ceremony state — everything that must
//! expire and must be shared by every node.
//!
//! One port, [`EphemeralStore`], with two implementations that pass the same contract suite
//! (`idp/tests/ephemeral_contract.rs`):
//!
//! - [`RedisStore`] for production: shared by every node, reconnecting by itself;
//! - [`MemoryStore`] for the embedded default: one process, expiry honoured, memory bounded.
//!
//! Keys are built from a fixed namespace and an id ([`Key`]); the id is wrapped in a Redis
//! Cluster hash tag (`dan:otp:{abc}`), so that the keys of one flow (a code and its attempt
//! counter, say) can share an id and land in the same slot. Ids must carry no personal data:
//! a flow that keys state by a registry or phone number (rate limits, for instance) hashes it
//! with a secret key first.

mod memory;
mod redis;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

pub use self::memory::{DEFAULT_MAX_BYTES, MemoryStore};
pub use self::redis::RedisStore;

/// A key of the short-lived store: a namespace that says what the value is, and an id.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Key {
    namespace: &'static str,
    id: String,
}

impl Key {
    /// A key in `namespace` (lower case letters, digits and `_`, fixed in code) for `id`.
    pub fn new(namespace: &'static str, id: impl Into<String>) -> Self {
        debug_assert!(
            namespace
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "namespace {namespace:?} must be [a-z0-9_]"
        );
        Self {
            namespace,
            id: id.into(),
        }
    }

    /// The namespace.
    pub fn namespace(&self) -> &'static str {
        self.namespace
    }

    /// The full key under `prefix`, with the id as a Redis Cluster hash tag. Braces and `%`
    /// in the id are percent-encoded, so no id can end the tag early or collide with another.
    pub fn render(&self, prefix: &str) -> String {
        let mut id = String::with_capacity(self.id.len());
        for c in self.id.chars() {
            match c {
                '%' => id.push_str("%25"),
                '{' => id.push_str("%7B"),
                '}' => id.push_str("%7D"),
                other => id.push(other),
            }
        }
        format!("{prefix}:{}:{{{id}}}", self.namespace)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Ids are often secrets (codes, request handles): show only the namespace.
        write!(f, "Key({}:…)", self.namespace)
    }
}

/// A failure of the short-lived store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached or did not answer in time; retrying later may work.
    #[error("short-lived store unavailable: {0}")]
    Unavailable(String),
    /// The in-process store is full of live entries and refuses new ones rather than evict
    /// security state.
    #[error("short-lived store is full ({0} live entries)")]
    Full(usize),
    /// A value was refused (too large, or a zero time to live).
    #[error("invalid value for the short-lived store: {0}")]
    Invalid(&'static str),
}

/// Largest value either store accepts, so one caller cannot exhaust memory.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// The port to short-lived state. Every operation is atomic on its own key.
#[async_trait]
pub trait EphemeralStore: Send + Sync + 'static {
    /// Stores `value` under `key` for `ttl`, replacing what was there.
    async fn put(&self, key: &Key, value: &[u8], ttl: Duration) -> Result<(), StoreError>;

    /// Stores `value` only if `key` holds nothing; returns whether it was stored. The building
    /// block for "seen before?" checks such as JWT `jti` replay.
    async fn put_new(&self, key: &Key, value: &[u8], ttl: Duration) -> Result<bool, StoreError>;

    /// Reads the value under `key`.
    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError>;

    /// Reads and deletes the value in one step: of two concurrent takers, exactly one gets it.
    /// Single-use things (authorization codes, ceremony state) are always taken, never read.
    async fn take(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError>;

    /// Deletes `key`; returns whether it held something.
    async fn delete(&self, key: &Key) -> Result<bool, StoreError>;

    /// Gives the value under `key` a new time to live `ttl`, if it is still there; returns
    /// whether it was. Never brings back a value deleted meanwhile (a sliding expiry that a
    /// read-then-put would resurrect).
    async fn touch(&self, key: &Key, ttl: Duration) -> Result<bool, StoreError>;

    /// Adds one to the counter under `key` and returns the new count. The first increment
    /// creates the counter with `ttl`; later ones keep its expiry (a fixed window).
    async fn increment(&self, key: &Key, ttl: Duration) -> Result<u64, StoreError>;

    /// Checks that the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// A short description for the startup banner (`in-process`, `redis://host:port`).
    fn describe(&self) -> String;
}

/// Refuses values and lifetimes that no caller should use.
fn check_value(value: &[u8], ttl: Duration) -> Result<(), StoreError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(StoreError::Invalid("value larger than 64 KiB"));
    }
    check_ttl(ttl)
}

fn check_ttl(ttl: Duration) -> Result<(), StoreError> {
    if ttl.is_zero() {
        return Err(StoreError::Invalid("time to live must be positive"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_render_with_a_hash_tag_and_hide_their_id() {
        let key = Key::new("otp", "abc123");
        assert_eq!(key.render("dan"), "dan:otp:{abc123}");
        assert_eq!(
            Key::new("otp", "a}b{%").render("dan"),
            "dan:otp:{a%7Db%7B%25}"
        );
        assert_eq!(format!("{key:?}"), "Key(otp:…)");
    }
}
