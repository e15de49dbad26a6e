//! The citizen directory on sea-orm (SQLite and PostgreSQL).
//!
//! Batches are written with one multi-row `INSERT … ON CONFLICT (registry_number) DO UPDATE …
//! WHERE record_digest differs … RETURNING id` per slice of the batch, all slices in one
//! transaction. A row whose digest did not change is not touched at all, so re-importing the
//! same extract writes nothing; a returned id that is not the one proposed for the row tells an
//! update from an insert.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Alias, ExprTrait, OnConflict, Query};
use sea_orm::{DatabaseBackend, PaginatorTrait, QuerySelect, TransactionTrait};

use crate::citizens::{
    Address, Citizen, CitizenDirectory, CitizenId, CitizenRecord, CitizenStatus, Email, Gender,
    PhoneNumber, RegistryNumber, UpsertOutcome,
};
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

/// Columns written by an upsert, in statement order.
const COLUMNS: [Column; 17] = [
    Column::Id,
    Column::RegistryNumber,
    Column::FamilyName,
    Column::GivenName,
    Column::ClanName,
    Column::BirthDate,
    Column::Gender,
    Column::PhoneNumbers,
    Column::Email,
    Column::AddressAimag,
    Column::AddressSoum,
    Column::AddressBag,
    Column::AddressText,
    Column::Status,
    Column::RecordDigest,
    Column::CreatedAt,
    Column::UpdatedAt,
];

/// Most bind parameters one statement may carry (SQLite's limit is 32,766, PostgreSQL's 65,535).
fn max_parameters(backend: DatabaseBackend) -> usize {
    match backend {
        DatabaseBackend::Postgres => 65_535,
        _ => 32_766,
    }
}

/// The citizen directory on a sea-orm connection.
#[derive(Clone)]
pub struct SqlCitizenDirectory {
    db: DatabaseConnection,
}

impl SqlCitizenDirectory {
    /// Wraps a connection pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The `INSERT … ON CONFLICT` statement for a slice of records, with the ids proposed for them.
fn upsert_statement(
    records: &[CitizenRecord],
    proposed: &[Uuid],
    now: DateTime<Utc>,
) -> sea_orm::sea_query::InsertStatement {
    let mut insert = Query::insert();
    insert.into_table(Entity).columns(COLUMNS);
    for (record, id) in records.iter().zip(proposed) {
        let phones: Vec<&str> = record
            .phone_numbers
            .iter()
            .map(PhoneNumber::as_str)
            .collect();
        insert.values_panic([
            (*id).into(),
            record.registry_number.as_str().into(),
            record.family_name.as_str().into(),
            record.given_name.as_str().into(),
            record.clan_name.clone().into(),
            record.birth_date.into(),
            record.gender.as_str().into(),
            serde_json::json!(phones).into(),
            record.email.as_ref().map(|e| e.as_str().to_owned()).into(),
            record.address.aimag.clone().into(),
            record.address.soum.clone().into(),
            record.address.bag.clone().into(),
            record.address.text.clone().into(),
            record.status.as_str().into(),
            record.digest().into(),
            now.into(),
            now.into(),
        ]);
    }
    let excluded = Alias::new("excluded");
    insert
        .on_conflict(
            OnConflict::column(Column::RegistryNumber)
                .update_columns([
                    Column::FamilyName,
                    Column::GivenName,
                    Column::ClanName,
                    Column::BirthDate,
                    Column::Gender,
                    Column::PhoneNumbers,
                    Column::Email,
                    Column::AddressAimag,
                    Column::AddressSoum,
                    Column::AddressBag,
                    Column::AddressText,
                    Column::RecordDigest,
                    Column::UpdatedAt,
                ])
                // An import never unlocks a citizen an administrator locked; a death still counts.
                .value(
                    Column::Status,
                    Expr::cust(
                        "CASE WHEN citizens.status = 'locked' AND excluded.status = 'active' \
                         THEN 'locked' ELSE excluded.status END",
                    ),
                )
                .action_and_where(ExprTrait::ne(
                    Expr::col((Entity, Column::RecordDigest)),
                    Expr::col((excluded, Column::RecordDigest)),
                ))
                .to_owned(),
        )
        .returning_col(Column::Id);
    insert
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
        let rows_per_statement = max_parameters(backend) / COLUMNS.len();
        let now = Utc::now();
        let proposed: Vec<Uuid> = records.iter().map(|_| CitizenId::generate().0).collect();
        let txn = self.db.begin().await?;
        let mut outcome = UpsertOutcome::default();
        for (slice, ids) in records
            .chunks(rows_per_statement)
            .zip(proposed.chunks(rows_per_statement))
        {
            let statement = upsert_statement(slice, ids, now);
            let returned = txn.query_all(&statement).await?;
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
            .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
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
