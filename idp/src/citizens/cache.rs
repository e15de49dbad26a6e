//! A short read-through cache of citizens by DAN id, in front of the directory: userinfo and
//! every code exchange read the citizen (for the claims, and to refuse a locked one), often the
//! same citizen many times a second.
//!
//! An entry lives at most the cache's `ttl` (5 seconds in the provider), so a lock made on
//! another node applies here within that time; on this node a status change or an import goes
//! through the cache and applies at once. The cache holds at most 10,000 citizens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{
    Citizen, CitizenDirectory, CitizenId, CitizenRecord, CitizenStatus, RegistryNumber,
    UpsertOutcome,
};
use crate::database::StorageError;

const MAX_ENTRIES: usize = 10_000;

/// A [`CitizenDirectory`] that remembers lookups by id for a short time.
pub struct CachedDirectory {
    inner: Arc<dyn CitizenDirectory>,
    ttl: Duration,
    entries: Mutex<HashMap<CitizenId, (Instant, Option<Citizen>)>>,
}

impl CachedDirectory {
    /// Caches `inner`'s lookups by id for `ttl`.
    pub fn new(inner: Arc<dyn CitizenDirectory>, ttl: Duration) -> Self {
        Self {
            inner,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<CitizenId, (Instant, Option<Citizen>)>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl CitizenDirectory for CachedDirectory {
    async fn upsert_batch(&self, records: &[CitizenRecord]) -> Result<UpsertOutcome, StorageError> {
        self.entries().clear();
        self.inner.upsert_batch(records).await
    }

    async fn find_by_registry_number(
        &self,
        registry_number: &RegistryNumber,
    ) -> Result<Option<Citizen>, StorageError> {
        self.inner.find_by_registry_number(registry_number).await
    }

    async fn find_by_id(&self, id: CitizenId) -> Result<Option<Citizen>, StorageError> {
        if let Some((at, citizen)) = self.entries().get(&id)
            && at.elapsed() < self.ttl
        {
            return Ok(citizen.clone());
        }
        let citizen = self.inner.find_by_id(id).await?;
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(id, (Instant::now(), citizen.clone()));
        Ok(citizen)
    }

    async fn set_status(&self, id: CitizenId, status: CitizenStatus) -> Result<bool, StorageError> {
        self.entries().remove(&id);
        self.inner.set_status(id, status).await
    }

    async fn count(&self) -> Result<u64, StorageError> {
        self.inner.count().await
    }
}
