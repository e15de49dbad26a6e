//! Consent: which scopes a citizen agreed to release to which client. Asked once per client
//! and scope set, remembered, and withdrawable; first-party clients may skip it.

use async_trait::async_trait;

use crate::citizens::CitizenId;
use crate::clients::ClientId;
use crate::database::StorageError;

/// The port to stored consents.
#[async_trait]
pub trait ConsentStore: Send + Sync + 'static {
    /// The scopes `citizen` consented to for `client`, if any.
    async fn find(
        &self,
        citizen: CitizenId,
        client: &ClientId,
    ) -> Result<Option<Vec<String>>, StorageError>;
    /// Records consent to `scopes` (replacing what was there).
    async fn grant(
        &self,
        citizen: CitizenId,
        client: &ClientId,
        scopes: &[String],
    ) -> Result<(), StorageError>;
    /// Withdraws consent; returns whether there was one.
    async fn withdraw(&self, citizen: CitizenId, client: &ClientId) -> Result<bool, StorageError>;
}

/// Whether a remembered consent covers every scope asked for now.
pub fn covers(remembered: &[String], asked: &[String]) -> bool {
    asked.iter().all(|scope| remembered.contains(scope))
}
