//! The in-process short-lived store of the embedded default.
//!
//! A hash map behind a mutex, with expiry measured on the injected [`Clock`]. Memory is bounded
//! by a maximum number of entries: when the map is full, expired entries are swept, and if it is
//! still full the write is refused with [`StoreError::Full`] — evicting live entries would
//! silently drop pending logins or reset rate-limit counters.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{EphemeralStore, Key, StoreError, check_ttl, check_value};
use crate::clock::Clock;

struct Entry {
    value: Vec<u8>,
    expires_at: DateTime<Utc>,
}

/// The in-process store.
pub struct MemoryStore {
    entries: Mutex<HashMap<Key, Entry>>,
    max_entries: usize,
    clock: Arc<dyn Clock>,
}

impl MemoryStore {
    /// A store that holds at most `max_entries` live entries.
    pub fn new(max_entries: usize, clock: Arc<dyn Clock>) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            max_entries: max_entries.max(1),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Entry>> {
        // A panic while holding the lock cannot leave the map half-updated (every update is a
        // single map operation), so a poisoned lock is safe to keep using.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn expiry(&self, ttl: Duration) -> DateTime<Utc> {
        let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        self.clock
            .now()
            .checked_add_signed(ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Makes room for one new key: sweeps expired entries when full, refuses when still full.
    fn make_room(&self, entries: &mut HashMap<Key, Entry>, key: &Key) -> Result<(), StoreError> {
        if entries.len() < self.max_entries || entries.contains_key(key) {
            return Ok(());
        }
        let now = self.clock.now();
        entries.retain(|_, entry| entry.expires_at > now);
        if entries.len() >= self.max_entries {
            return Err(StoreError::Full(entries.len()));
        }
        Ok(())
    }

    /// The live entry under `key`, dropping it if it has expired.
    fn live<'a>(&self, entries: &'a mut HashMap<Key, Entry>, key: &Key) -> Option<&'a mut Entry> {
        let now = self.clock.now();
        if entries.get(key).is_some_and(|e| e.expires_at <= now) {
            entries.remove(key);
        }
        entries.get_mut(key)
    }

    /// Live entries now held (expired ones not yet swept are not counted).
    pub fn len(&self) -> usize {
        let now = self.clock.now();
        self.lock().values().filter(|e| e.expires_at > now).count()
    }

    /// Whether no live entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl EphemeralStore for MemoryStore {
    async fn put(&self, key: &Key, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        check_value(value, ttl)?;
        let mut entries = self.lock();
        self.make_room(&mut entries, key)?;
        entries.insert(
            key.clone(),
            Entry {
                value: value.to_vec(),
                expires_at: self.expiry(ttl),
            },
        );
        Ok(())
    }

    async fn put_new(&self, key: &Key, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        check_value(value, ttl)?;
        let mut entries = self.lock();
        if self.live(&mut entries, key).is_some() {
            return Ok(false);
        }
        self.make_room(&mut entries, key)?;
        entries.insert(
            key.clone(),
            Entry {
                value: value.to_vec(),
                expires_at: self.expiry(ttl),
            },
        );
        Ok(true)
    }

    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let mut entries = self.lock();
        Ok(self.live(&mut entries, key).map(|e| e.value.clone()))
    }

    async fn take(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let mut entries = self.lock();
        let now = self.clock.now();
        Ok(entries
            .remove(key)
            .filter(|e| e.expires_at > now)
            .map(|e| e.value))
    }

    async fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        let mut entries = self.lock();
        let now = self.clock.now();
        Ok(entries.remove(key).is_some_and(|e| e.expires_at > now))
    }

    async fn increment(&self, key: &Key, ttl: Duration) -> Result<u64, StoreError> {
        check_ttl(ttl)?;
        let mut entries = self.lock();
        if let Some(entry) = self.live(&mut entries, key) {
            let count = counter_value(&entry.value)?.saturating_add(1);
            entry.value = count.to_string().into_bytes();
            return Ok(count);
        }
        self.make_room(&mut entries, key)?;
        entries.insert(
            key.clone(),
            Entry {
                value: b"1".to_vec(),
                expires_at: self.expiry(ttl),
            },
        );
        Ok(1)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn describe(&self) -> String {
        format!("in-process (at most {} entries)", self.max_entries)
    }
}

/// Counters are stored as decimal text, as Redis stores them.
fn counter_value(value: &[u8]) -> Result<u64, StoreError> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(StoreError::Invalid(
            "the key holds a value that is not a counter",
        ))
}
