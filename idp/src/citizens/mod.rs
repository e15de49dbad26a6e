//! The citizen directory: who may log in, as recorded by the civil registry.
//!
//! This module owns the citizen record and its parts ([`RegistryNumber`], [`PhoneNumber`],
//! [`Email`], [`Address`]), the port to durable storage ([`CitizenDirectory`]), the streaming
//! import from registry extracts ([`import`]) and the synthetic data generator ([`synthetic`]).
//! It knows nothing of HTTP or of the database in use.

mod cache;
mod contact;
pub mod import;
mod registry_number;
pub mod synthetic;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use cache::CachedDirectory;
pub use contact::{ContactError, Email, PhoneNumber};
pub use registry_number::{RegistryNumber, RegistryNumberError};

use crate::database::StorageError;

/// DAN's own identifier of a citizen (a UUIDv7), never released to relying parties as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CitizenId(pub Uuid);

impl CitizenId {
    /// A new, time-ordered identifier.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }
}

/// Sex as recorded by the civil registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// эмэгтэй
    Female,
    /// эрэгтэй
    Male,
}

impl Gender {
    /// Stored and released form (`female`, `male`, as OpenID Connect's `gender` claim).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
        }
    }

    /// Reads the forms a registry extract uses: `female`/`male`, `f`/`m`, `эмэгтэй`/`эрэгтэй`.
    pub fn parse(input: &str) -> Option<Self> {
        match input.trim().to_lowercase().as_str() {
            "female" | "f" | "эмэгтэй" | "эм" => Some(Self::Female),
            "male" | "m" | "эрэгтэй" | "эр" => Some(Self::Male),
            _ => None,
        }
    }
}

/// Whether a citizen may log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CitizenStatus {
    /// May log in.
    Active,
    /// Locked by a security administrator; may not log in. An import never unlocks.
    Locked,
    /// Recorded as deceased by the civil registry; may not log in.
    Deceased,
}

impl CitizenStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Locked => "locked",
            Self::Deceased => "deceased",
        }
    }

    /// Reads the stored form.
    pub fn parse(input: &str) -> Option<Self> {
        match input.trim().to_lowercase().as_str() {
            "active" => Some(Self::Active),
            "locked" => Some(Self::Locked),
            "deceased" => Some(Self::Deceased),
            _ => None,
        }
    }
}

/// A postal address as the registry records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Aimag, or the capital (Улаанбаатар).
    pub aimag: Option<String>,
    /// Soum, or district of the capital.
    pub soum: Option<String>,
    /// Bag, or khoroo of a district.
    pub bag: Option<String>,
    /// The rest of the address, free text.
    pub text: Option<String>,
}

/// The registry's fields of a citizen, as imported: everything but DAN's own bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenRecord {
    /// National registry number; unique.
    pub registry_number: RegistryNumber,
    /// Family name (эцэг/эхийн нэр).
    pub family_name: String,
    /// Given name (нэр).
    pub given_name: String,
    /// Clan name (ургийн овог), when recorded.
    pub clan_name: Option<String>,
    /// Birth date; always the one the registry number encodes.
    pub birth_date: NaiveDate,
    /// Sex as recorded.
    pub gender: Gender,
    /// Phone numbers, E.164; the first one receives one-time codes.
    pub phone_numbers: Vec<PhoneNumber>,
    /// Optional e-mail address.
    pub email: Option<Email>,
    /// Postal address.
    pub address: Address,
    /// `Active` or `Deceased` from the registry (`Locked` is DAN's own decision).
    pub status: CitizenStatus,
}

impl CitizenRecord {
    /// A digest of every field, stable across versions and machines, so that storage can tell an
    /// unchanged re-import from a change without reading the row first.
    pub fn digest(&self) -> i64 {
        let mut hasher = Sha256::new();
        let mut field = |value: &str| {
            hasher.update((value.len() as u64).to_le_bytes());
            hasher.update(value.as_bytes());
        };
        field(self.registry_number.as_str());
        field(&self.family_name);
        field(&self.given_name);
        field(self.clan_name.as_deref().unwrap_or("\0"));
        field(&self.birth_date.to_string());
        field(self.gender.as_str());
        for phone in &self.phone_numbers {
            field(phone.as_str());
        }
        field("\0phones");
        field(self.email.as_ref().map_or("\0", Email::as_str));
        for part in [
            &self.address.aimag,
            &self.address.soum,
            &self.address.bag,
            &self.address.text,
        ] {
            field(part.as_deref().unwrap_or("\0"));
        }
        field(self.status.as_str());
        let bytes = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&bytes[..8]);
        i64::from_le_bytes(first)
    }
}

/// A stored citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citizen {
    /// DAN's identifier.
    pub id: CitizenId,
    /// The registry's fields.
    pub record: CitizenRecord,
    /// When DAN first stored the citizen.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

/// What storing a batch of records did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UpsertOutcome {
    /// Records that were new.
    pub inserted: u64,
    /// Records that existed and changed.
    pub updated: u64,
    /// Records that existed and were identical: nothing written.
    pub unchanged: u64,
}

impl std::ops::AddAssign for UpsertOutcome {
    fn add_assign(&mut self, other: Self) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }
}

/// The port to durable storage of citizens. One implementation per backend; every
/// implementation passes the same contract suite (`tests/citizen_directory_contract.rs`).
#[async_trait]
pub trait CitizenDirectory: Send + Sync {
    /// Inserts new records and updates changed ones, keyed by registry number, all in one
    /// transaction: either the whole batch is stored or nothing is. A locked citizen stays
    /// locked unless the registry reports a death. A batch in which a registry number appears
    /// twice is refused whole.
    async fn upsert_batch(&self, records: &[CitizenRecord]) -> Result<UpsertOutcome, StorageError>;

    /// Finds a citizen by registry number.
    async fn find_by_registry_number(
        &self,
        registry_number: &RegistryNumber,
    ) -> Result<Option<Citizen>, StorageError>;

    /// Finds a citizen by DAN's identifier.
    async fn find_by_id(&self, id: CitizenId) -> Result<Option<Citizen>, StorageError>;

    /// Sets a citizen's status (an administrator's lock or unlock); returns whether the
    /// citizen exists.
    async fn set_status(&self, id: CitizenId, status: CitizenStatus) -> Result<bool, StorageError>;

    /// How many citizens are stored.
    async fn count(&self) -> Result<u64, StorageError>;
}
