//! The in-process short-lived store of the embedded default.
//!
//! A hash map behind a mutex, with expiry measured on the injected [`Clock`]. Memory is bounded
//! twice: by a number of entries and by a byte budget (ids, values and a fixed overhead per
//! entry). When a write would cross either bound, expired entries are swept; if it still would,
//! the write is refused with [`StoreError::Full`] — evicting live entries would silently drop
//! pending logins or reset rate-limit counters.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{EphemeralStore, Key, StoreError, check_ttl, check_value};
use crate::clock::Clock;

/// Bytes counted for an entry besides its id and value (map slot, key, timestamps).
const ENTRY_OVERHEAD: usize = 96;

/// The byte budget when none is given: 64 MiB.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

struct Entry {
    value: Vec<u8>,
    expires_at: DateTime<Utc>,
}

fn cost(key: &Key, value: &[u8]) -> usize {
    key.id.len() + value.len() + ENTRY_OVERHEAD
}

/// The map and the bytes it holds, always changed together.
#[derive(Default)]
struct Entries {
    map: HashMap<Key, Entry>,
    bytes: usize,
}

impl Entries {
    fn insert(&mut self, key: &Key, value: Vec<u8>, expires_at: DateTime<Utc>) {
        self.bytes += cost(key, &value);
        if let Some(old) = self.map.insert(key.clone(), Entry { value, expires_at }) {
            self.bytes -= cost(key, &old.value);
        }
    }

    fn remove(&mut self, key: &Key) -> Option<Entry> {
        let entry = self.map.remove(key)?;
        self.bytes -= cost(key, &entry.value);
        Some(entry)
    }

    fn sweep(&mut self, now: DateTime<Utc>) {
        let mut freed = 0;
        self.map.retain(|key, entry| {
            let live = entry.expires_at > now;
            if !live {
                freed += cost(key, &entry.value);
            }
            live
        });
        self.bytes -= freed;
    }
}

/// The in-process store.
pub struct MemoryStore {
    entries: Mutex<Entries>,
    max_entries: usize,
    max_bytes: usize,
    clock: Arc<dyn Clock>,
}

impl MemoryStore {
    /// A store that holds at most `max_entries` live entries, within [`DEFAULT_MAX_BYTES`].
    pub fn new(max_entries: usize, clock: Arc<dyn Clock>) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            max_entries: max_entries.max(1),
            max_bytes: DEFAULT_MAX_BYTES,
            clock,
        }
    }

    /// The same store with another byte budget.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // Every update keeps the map and its byte count consistent before it can panic, so a
        // poisoned lock is safe to keep using.
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

    /// Makes room for `value` under `key`: sweeps expired entries when a bound would be crossed,
    /// refuses when it still would be.
    fn make_room(&self, entries: &mut Entries, key: &Key, value: &[u8]) -> Result<(), StoreError> {
        let fits = |entries: &Entries| {
            let replaced = entries.map.get(key).map_or(0, |old| cost(key, &old.value));
            let count_ok = entries.map.len() < self.max_entries || replaced > 0;
            count_ok && entries.bytes - replaced + cost(key, value) <= self.max_bytes
        };
        if fits(entries) {
            return Ok(());
        }
        entries.sweep(self.clock.now());
        if fits(entries) {
            Ok(())
        } else {
            Err(StoreError::Full(entries.map.len()))
        }
    }

    /// The live entry under `key`, dropping it if it has expired.
    fn live<'a>(&self, entries: &'a mut Entries, key: &Key) -> Option<&'a mut Entry> {
        let now = self.clock.now();
        if entries.map.get(key).is_some_and(|e| e.expires_at <= now) {
            entries.remove(key);
        }
        entries.map.get_mut(key)
    }

    fn store(
        &self,
        entries: &mut Entries,
        key: &Key,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.make_room(entries, key, value)?;
        entries.insert(key, value.to_vec(), self.expiry(ttl));
        Ok(())
    }

    /// Live entries now held (expired ones not yet swept are not counted).
    pub fn len(&self) -> usize {
        let now = self.clock.now();
        self.lock()
            .map
            .values()
            .filter(|e| e.expires_at > now)
            .count()
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
        self.store(&mut entries, key, value, ttl)
    }

    async fn put_new(&self, key: &Key, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        check_value(value, ttl)?;
        let mut entries = self.lock();
        if self.live(&mut entries, key).is_some() {
            return Ok(false);
        }
        self.store(&mut entries, key, value, ttl)?;
        Ok(true)
    }

    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let mut entries = self.lock();
        Ok(self.live(&mut entries, key).map(|e| e.value.clone()))
    }

    async fn take(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let now = self.clock.now();
        let entry = self.lock().remove(key);
        Ok(entry.filter(|e| e.expires_at > now).map(|e| e.value))
    }

    async fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let entry = self.lock().remove(key);
        Ok(entry.is_some_and(|e| e.expires_at > now))
    }

    async fn touch(&self, key: &Key, ttl: Duration) -> Result<bool, StoreError> {
        check_ttl(ttl)?;
        let expires_at = self.expiry(ttl);
        let mut entries = self.lock();
        Ok(self
            .live(&mut entries, key)
            .map(|entry| entry.expires_at = expires_at)
            .is_some())
    }

    async fn increment(&self, key: &Key, ttl: Duration) -> Result<u64, StoreError> {
        check_ttl(ttl)?;
        let mut entries = self.lock();
        if let Some(entry) = self.live(&mut entries, key) {
            let count = counter_value(&entry.value)?.saturating_add(1);
            let expires_at = entry.expires_at;
            // Through `insert`, so that the byte count follows the counter's length.
            entries.insert(key, count.to_string().into_bytes(), expires_at);
            return Ok(count);
        }
        self.store(&mut entries, key, b"1", ttl)?;
        Ok(1)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "in-process (at most {} entries, {} MiB)",
            self.max_entries,
            self.max_bytes / (1024 * 1024)
        )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn the_byte_budget_refuses_what_would_cross_it_and_frees_on_expiry() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let store =
            MemoryStore::new(1_000, clock.clone()).with_max_bytes(3 * (1024 + ENTRY_OVERHEAD + 1));
        let value = vec![7u8; 1024];
        for id in ["a", "b", "c"] {
            store
                .put(&Key::new("t", id), &value, Duration::from_secs(10))
                .await
                .unwrap();
        }
        let refused = store
            .put(&Key::new("t", "d"), &value, Duration::from_secs(10))
            .await;
        assert!(matches!(refused, Err(StoreError::Full(3))), "{refused:?}");
        // Replacing a held key with a value of the same size fits.
        store
            .put(&Key::new("t", "a"), &value, Duration::from_secs(10))
            .await
            .unwrap();
        // Taking frees its bytes.
        assert!(store.take(&Key::new("t", "b")).await.unwrap().is_some());
        store
            .put(&Key::new("t", "d"), &value, Duration::from_secs(10))
            .await
            .unwrap();
        clock.advance(Duration::from_secs(11));
        store
            .put(&Key::new("t", "e"), &value, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(store.len(), 1);
        assert_eq!(store.lock().bytes, cost(&Key::new("t", "e"), &value));
    }
}
