//! A read-through cache in front of the client registry: every token, introspection and
//! authorization request looks its client up, and registrations change rarely.
//!
//! An entry lives at most [`CachedRegistry::new`]'s `ttl` (5 seconds in the provider), so a
//! client disabled or deleted on another node stops working within that time; on this node the
//! change takes effect at once, because every write goes through and drops the entry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{Client, ClientId, ClientRegistry};
use crate::database::StorageError;

/// The most clients kept; beyond it the cache starts over (a country has hundreds).
const MAX_ENTRIES: usize = 10_000;

/// A [`ClientRegistry`] that remembers lookups for a short time.
pub struct CachedRegistry {
    inner: Arc<dyn ClientRegistry>,
    ttl: Duration,
    entries: Mutex<HashMap<ClientId, (Instant, Option<Client>)>>,
}

impl CachedRegistry {
    /// Caches `inner`'s lookups for `ttl`.
    pub fn new(inner: Arc<dyn ClientRegistry>, ttl: Duration) -> Self {
        Self {
            inner,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn forget(&self, id: &ClientId) {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }
}

#[async_trait]
impl ClientRegistry for CachedRegistry {
    async fn create(&self, client: &Client) -> Result<bool, StorageError> {
        self.forget(&client.id);
        self.inner.create(client).await
    }

    async fn find(&self, id: &ClientId) -> Result<Option<Client>, StorageError> {
        if let Some((at, client)) = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            && at.elapsed() < self.ttl
        {
            return Ok(client.clone());
        }
        let client = self.inner.find(id).await?;
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(id.clone(), (Instant::now(), client.clone()));
        Ok(client)
    }

    async fn list(&self) -> Result<Vec<Client>, StorageError> {
        self.inner.list().await
    }

    async fn set_enabled(&self, id: &ClientId, enabled: bool) -> Result<bool, StorageError> {
        self.forget(id);
        self.inner.set_enabled(id, enabled).await
    }

    async fn delete(&self, id: &ClientId) -> Result<bool, StorageError> {
        self.forget(id);
        self.inner.delete(id).await
    }

    async fn replace(&self, client: &Client) -> Result<bool, StorageError> {
        self.forget(&client.id);
        self.inner.replace(client).await
    }
}
