//! Refresh tokens: opaque, stored only as a SHA-256 digest, rotated at every use. Each login
//! starts a family; presenting a token that was already rotated revokes the whole family
//! (OAuth 2.0 Security BCP, RFC 9700 section 4.14.2).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Grant;
use crate::database::StorageError;

/// A stored refresh token.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshRecord {
    /// SHA-256 of the token, base64url.
    pub token_hash: String,
    /// The family every rotation of one login shares.
    pub family_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The citizen.
    pub citizen_id: Uuid,
    /// What it grants.
    pub grant: Grant,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Sliding expiry.
    pub expires_at: DateTime<Utc>,
    /// Absolute expiry of the family.
    pub family_expires_at: DateTime<Utc>,
    /// When it was exchanged for its successor.
    pub rotated_at: Option<DateTime<Utc>>,
    /// When its family was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The port to stored refresh tokens.
#[async_trait]
pub trait RefreshStore: Send + Sync + 'static {
    /// Stores a new token.
    async fn insert(&self, record: &RefreshRecord) -> Result<(), StorageError>;
    /// The token with this hash.
    async fn find(&self, token_hash: &str) -> Result<Option<RefreshRecord>, StorageError>;
    /// Marks a live token rotated; returns false when it was already rotated or revoked (so
    /// of two concurrent rotations exactly one wins).
    async fn mark_rotated(&self, token_hash: &str, at: DateTime<Utc>)
    -> Result<bool, StorageError>;
    /// Revokes every token of a family; returns how many were live.
    async fn revoke_family(&self, family_id: &str, at: DateTime<Utc>) -> Result<u64, StorageError>;
}
