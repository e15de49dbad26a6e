//! The citizen directory on sea-orm (SQLite and PostgreSQL).
//!
//! Batches are written with one `INSERT … SELECT … FROM <the batch as JSON> ON CONFLICT
//! (registry_number) DO UPDATE … WHERE record_digest differs … RETURNING id` per slice of the
//! batch, all slices in one transaction. The SQL differs between the backends only in how the
//! JSON array becomes rows (`json_to_recordset` on PostgreSQL, `jsonb_each` on SQLite). A row whose digest did not change is not touched at all, so re-importing the
//! same extract writes nothing; a returned id that is not the one proposed for the row tells an
//! update from an insert.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{DatabaseBackend, PaginatorTrait, QuerySelect, Statement, TransactionTrait};
use serde::Serialize;

use crate::citizens::{
    Address, Citizen, CitizenDirectory, CitizenId, CitizenRecord, CitizenStatus, Email, Gender,
    PhoneNumber, RegistryNumber, UpsertOutcome,
};
use crate::clock::Clock;
use crate::database::StorageError;

/// The sea-orm entity of the `citizens` table (see the `dan-migrations` crate).
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One row of `citizens`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "citizens")]
    pub struct Model {
        /// DAN's identifier.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Normalized registry number.
        #[sea_orm(unique)]
        pub registry_number: String,
        /// Family name.
        pub family_name: String,
        /// Given name.
        pub given_name: String,
        /// Clan name.
        pub clan_name: Option<String>,
        /// Birth date.
        pub birth_date: Date,
        /// `female` or `male`.
        pub gender: String,
        /// JSON array of E.164 numbers.
        pub phone_numbers: Json,
        /// E-mail address.
        pub email: Option<String>,
        /// Aimag or capital.
        pub address_aimag: Option<String>,
        /// Soum or district.
        pub address_soum: Option<String>,
        /// Bag or khoroo.
        pub address_bag: Option<String>,
        /// Free text.
        pub address_text: Option<String>,
        /// `active`, `locked`, `deceased`.
        pub status: String,
        /// Digest of the imported fields.
        pub record_digest: i64,
        /// First stored.
        pub created_at: DateTimeUtc,
        /// Last changed.
        pub updated_at: DateTimeUtc,
    }

    /// No relations yet.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

/// Rows per statement. A batch is split into statements of this size so that the next
/// statement's parameter is built while the database executes the current one.
const ROWS_PER_STATEMENT: usize = 1_000;

/// The citizen directory on a sea-orm connection.
#[derive(Clone)]
pub struct SqlCitizenDirectory {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
}

impl SqlCitizenDirectory {
    /// Wraps a connection pool; rows are stamped with `clock`'s time.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

/// One row as it travels inside the batch's JSON parameter.
#[derive(Serialize)]
struct JsonRow<'a> {
    id: String,
    registry_number: &'a str,
    family_name: &'a str,
    given_name: &'a str,
    clan_name: Option<&'a str>,
    birth_date: String,
    gender: &'static str,
    phone_numbers: Vec<&'a str>,
    email: Option<&'a str>,
    address_aimag: Option<&'a str>,
    address_soum: Option<&'a str>,
    address_bag: Option<&'a str>,
    address_text: Option<&'a str>,
    status: &'static str,
    record_digest: i64,
}

impl<'a> JsonRow<'a> {
    fn new(record: &'a CitizenRecord, id: &Uuid) -> Self {
        Self {
            id: id.simple().to_string(),
            registry_number: record.registry_number.as_str(),
            family_name: &record.family_name,
            given_name: &record.given_name,
            clan_name: record.clan_name.as_deref(),
            birth_date: record.birth_date.format("%Y-%m-%d").to_string(),
            gender: record.gender.as_str(),
            phone_numbers: record
                .phone_numbers
                .iter()
                .map(PhoneNumber::as_str)
                .collect(),
            email: record.email.as_ref().map(Email::as_str),
            address_aimag: record.address.aimag.as_deref(),
            address_soum: record.address.soum.as_deref(),
            address_bag: record.address.bag.as_deref(),
            address_text: record.address.text.as_deref(),
            status: record.status.as_str(),
            record_digest: record.digest(),
        }
    }
}

/// What follows the row source in both dialects: update a changed row (never unlocking a
/// citizen an administrator locked, while still recording a death), skip an unchanged one.
const UPSERT_TAIL: &str = "
ON CONFLICT (registry_number) DO UPDATE SET
    family_name = excluded.family_name,
    given_name = excluded.given_name,
    clan_name = excluded.clan_name,
    birth_date = excluded.birth_date,
    gender = excluded.gender,
    phone_numbers = excluded.phone_numbers,
    email = excluded.email,
    address_aimag = excluded.address_aimag,
    address_soum = excluded.address_soum,
    address_bag = excluded.address_bag,
    address_text = excluded.address_text,
    status = CASE WHEN citizens.status = 'locked' AND excluded.status = 'active'
                  THEN 'locked' ELSE excluded.status END,
    record_digest = excluded.record_digest,
    updated_at = excluded.updated_at
WHERE citizens.record_digest <> excluded.record_digest
RETURNING id";

const INSERT_HEAD: &str = "INSERT INTO citizens (id, registry_number, family_name, given_name, \
    clan_name, birth_date, gender, phone_numbers, email, address_aimag, address_soum, address_bag, \
    address_text, status, record_digest, created_at, updated_at)";

/// PostgreSQL expands the JSON array into typed rows with `json_to_recordset` (plain `json`:
/// converting the whole batch to `jsonb` first would sort every object's keys for nothing).
const POSTGRES_SOURCE: &str = "
SELECT r.id, r.registry_number, r.family_name, r.given_name, r.clan_name, r.birth_date, r.gender,
       r.phone_numbers::jsonb, r.email, r.address_aimag, r.address_soum, r.address_bag,
       r.address_text, r.status, r.record_digest, $2, $2
FROM json_to_recordset($1::json) AS r(
    id uuid, registry_number text, family_name text, given_name text, clan_name text,
    birth_date date, gender text, phone_numbers json, email text, address_aimag text,
    address_soum text, address_bag text, address_text text, status text, record_digest bigint)";

/// SQLite walks the JSON array with `jsonb_each` (parsed once, then read without re-parsing); ids are stored as 16-byte blobs, as sqlx
/// stores a `Uuid`. (`WHERE true` keeps the upsert clause unambiguous to SQLite's parser.)
const SQLITE_SOURCE: &str = "
SELECT unhex(value ->> 'id'), value ->> 'registry_number', value ->> 'family_name',
       value ->> 'given_name', value ->> 'clan_name', value ->> 'birth_date', value ->> 'gender',
       value -> 'phone_numbers', value ->> 'email', value ->> 'address_aimag',
       value ->> 'address_soum', value ->> 'address_bag', value ->> 'address_text',
       value ->> 'status', value ->> 'record_digest', ?2, ?2
FROM jsonb_each(?1) WHERE true";

/// The upsert statement for a slice of records, with the ids proposed for them. The slice
/// travels as one JSON parameter that the database expands itself: one bind instead of
/// seventeen per row, and the same short statement text for every batch.
fn upsert_statement(
    backend: DatabaseBackend,
    records: &[&CitizenRecord],
    proposed: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Statement, StorageError> {
    let rows: Vec<JsonRow<'_>> = records
        .iter()
        .zip(proposed)
        .map(|(r, id)| JsonRow::new(r, id))
        .collect();
    let payload =
        serde_json::to_string(&rows).map_err(|e| StorageError::Rejected(e.to_string()))?;
    let source = match backend {
        DatabaseBackend::Postgres => POSTGRES_SOURCE,
        _ => SQLITE_SOURCE,
    };
    Ok(Statement::from_sql_and_values(
        backend,
        format!("{INSERT_HEAD}{source}{UPSERT_TAIL}"),
        [payload.into(), now.into()],
    ))
}

#[async_trait]
impl CitizenDirectory for SqlCitizenDirectory {
    async fn upsert_batch(&self, records: &[CitizenRecord]) -> Result<UpsertOutcome, StorageError> {
        if records.is_empty() {
            return Ok(UpsertOutcome::default());
        }
        let mut seen = HashSet::with_capacity(records.len());
        if !records
            .iter()
            .all(|r| seen.insert(r.registry_number.as_str()))
        {
            return Err(StorageError::Rejected(
                "a registry number appears twice in one batch".to_owned(),
            ));
        }
        let backend = self.db.get_database_backend();
        let now = self.clock.now();
        // Registry numbers arrive in any order; visiting the unique index in key order keeps
        // its pages hot (several times faster on a large directory). A batch holds each number
        // once, so its order carries no meaning.
        let mut sorted: Vec<&CitizenRecord> = records.iter().collect();
        sorted.sort_unstable_by(|a, b| a.registry_number.cmp(&b.registry_number));
        let proposed: Vec<Uuid> = sorted.iter().map(|_| CitizenId::generate().0).collect();
        let slices: Vec<(&[&CitizenRecord], &[Uuid])> = sorted
            .chunks(ROWS_PER_STATEMENT)
            .zip(proposed.chunks(ROWS_PER_STATEMENT))
            .collect();
        let txn = self.db.begin().await?;
        let mut outcome = UpsertOutcome::default();
        let mut next = Some(upsert_statement(backend, slices[0].0, slices[0].1, now)?);
        for (index, (slice, ids)) in slices.iter().enumerate() {
            let Some(statement) = next.take() else { break };
            // Build the next statement on this thread while the database runs this one.
            let (returned, prepared) = tokio::join!(txn.query_all_raw(statement), async {
                slices
                    .get(index + 1)
                    .map(|(records, ids)| upsert_statement(backend, records, ids, now))
            });
            let returned = returned?;
            next = prepared.transpose()?;
            let proposed_here: HashSet<&Uuid> = ids.iter().collect();
            let mut written = 0u64;
            for row in &returned {
                let id: Uuid = row.try_get("", "id")?;
                written += 1;
                if proposed_here.contains(&id) {
                    outcome.inserted += 1;
                } else {
                    outcome.updated += 1;
                }
            }
            outcome.unchanged += slice.len() as u64 - written;
        }
        txn.commit().await?;
        Ok(outcome)
    }

    async fn find_by_registry_number(
        &self,
        registry_number: &RegistryNumber,
    ) -> Result<Option<Citizen>, StorageError> {
        Entity::find()
            .filter(Column::RegistryNumber.eq(registry_number.as_str()))
            .one(&self.db)
            .await?
            .map(citizen_from_row)
            .transpose()
    }

    async fn find_by_id(&self, id: CitizenId) -> Result<Option<Citizen>, StorageError> {
        Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(citizen_from_row)
            .transpose()
    }

    async fn set_status(&self, id: CitizenId, status: CitizenStatus) -> Result<bool, StorageError> {
        let result = Entity::update_many()
            .col_expr(Column::Status, Expr::value(status.as_str()))
            .col_expr(Column::UpdatedAt, Expr::value(self.clock.now()))
            .filter(Column::Id.eq(id.0))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn count(&self) -> Result<u64, StorageError> {
        Ok(Entity::find()
            .select_only()
            .column(Column::Id)
            .count(&self.db)
            .await?)
    }
}

/// Reads a row back into the domain type; a value the domain would refuse is corruption.
fn citizen_from_row(row: entity::Model) -> Result<Citizen, StorageError> {
    let corrupt = |what: &str| StorageError::Corrupt(format!("citizen {}: {what}", row.id));
    let registry_number =
        RegistryNumber::parse(&row.registry_number).map_err(|_| corrupt("registry number"))?;
    let phones: Vec<String> =
        serde_json::from_value(row.phone_numbers.clone()).map_err(|_| corrupt("phone numbers"))?;
    let phone_numbers = phones
        .iter()
        .map(|p| PhoneNumber::parse(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| corrupt("phone numbers"))?;
    let email = row
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|_| corrupt("email"))?;
    let birth_date: NaiveDate = row.birth_date;
    Ok(Citizen {
        id: CitizenId(row.id),
        record: CitizenRecord {
            registry_number,
            family_name: row.family_name,
            given_name: row.given_name,
            clan_name: row.clan_name,
            birth_date,
            gender: Gender::parse(&row.gender).ok_or_else(|| corrupt("gender"))?,
            phone_numbers,
            email,
            address: Address {
                aimag: row.address_aimag,
                soum: row.address_soum,
                bag: row.address_bag,
                text: row.address_text,
            },
            status: CitizenStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
