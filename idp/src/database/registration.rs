//! The sea-orm implementation of dynamic client registration's store
//! (`initial_access_tokens`, `clients.registration_token_hash`, migration
//! `m20261125_000007_create_client_registration`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveValue, DatabaseConnection, QueryOrder, TransactionTrait};

use super::clients::{client_from_row, entity as clients, insert};
use crate::clients::{Client, ClientId};
use crate::database::StorageError;
use crate::registration::{InitialTokenRecord, RegistrationStore, Stored};

/// The sea-orm entity of `initial_access_tokens`.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One initial access token's digest and record.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "initial_access_tokens")]
    pub struct Model {
        /// SHA-256 of the token, base64url.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        /// Public id.
        pub id: String,
        /// Label.
        pub label: String,
        /// The issuing administrator.
        pub created_by: String,
        /// Issued.
        pub created_at: DateTimeUtc,
        /// Expires.
        pub expires_at: DateTimeUtc,
        /// Registrations allowed.
        pub max_registrations: i32,
        /// Registrations made.
        pub registrations: i32,
        /// Revoked.
        pub revoked_at: Option<DateTimeUtc>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// Dynamic client registration's store on a sea-orm connection.
#[derive(Clone)]
pub struct SqlRegistrationStore {
    db: DatabaseConnection,
}

impl SqlRegistrationStore {
    /// Wraps a connection pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn record_from_row(row: entity::Model) -> InitialTokenRecord {
    InitialTokenRecord {
        id: row.id,
        label: row.label,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        max_registrations: u32::try_from(row.max_registrations).unwrap_or(0),
        registrations: u32::try_from(row.registrations).unwrap_or(u32::MAX),
        revoked_at: row.revoked_at,
    }
}

#[async_trait]
impl RegistrationStore for SqlRegistrationStore {
    async fn insert_initial_token(
        &self,
        digest: &str,
        r: &InitialTokenRecord,
    ) -> Result<(), StorageError> {
        let count = |n: u32| {
            i32::try_from(n).map_err(|_| StorageError::Rejected("count out of range".into()))
        };
        let row = ActiveModel {
            token_hash: ActiveValue::Set(digest.to_owned()),
            id: ActiveValue::Set(r.id.clone()),
            label: ActiveValue::Set(r.label.clone()),
            created_by: ActiveValue::Set(r.created_by.clone()),
            created_at: ActiveValue::Set(r.created_at),
            expires_at: ActiveValue::Set(r.expires_at),
            max_registrations: ActiveValue::Set(count(r.max_registrations)?),
            registrations: ActiveValue::Set(count(r.registrations)?),
            revoked_at: ActiveValue::Set(r.revoked_at),
        };
        Entity::insert(row).exec(&self.db).await?;
        Ok(())
    }

    async fn initial_token(
        &self,
        digest: &str,
    ) -> Result<Option<InitialTokenRecord>, StorageError> {
        Ok(Entity::find_by_id(digest)
            .one(&self.db)
            .await?
            .map(record_from_row))
    }

    async fn initial_tokens(&self) -> Result<Vec<InitialTokenRecord>, StorageError> {
        Ok(Entity::find()
            .order_by_desc(Column::CreatedAt)
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(record_from_row)
            .collect())
    }

    async fn revoke_initial_token(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let result = Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::value(at))
            .filter(Column::Id.eq(id))
            .filter(Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn register(
        &self,
        initial_digest: &str,
        now: DateTime<Utc>,
        client: &Client,
        registration_digest: &str,
    ) -> Result<Stored, StorageError> {
        let txn = self.db.begin().await?;
        // One conditional statement counts the use: of two registrations racing for the last
        // use, the second finds the count at the limit (PostgreSQL re-checks the row after
        // the first commits; SQLite serialises writers) and changes nothing.
        let counted = Entity::update_many()
            .col_expr(
                Column::Registrations,
                Expr::col(Column::Registrations).add(1),
            )
            .filter(Column::TokenHash.eq(initial_digest))
            .filter(Column::RevokedAt.is_null())
            .filter(Column::ExpiresAt.gt(now))
            .filter(Expr::col(Column::Registrations).lt(Expr::col(Column::MaxRegistrations)))
            .exec(&txn)
            .await?;
        if counted.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(Stored::TokenRefused);
        }
        if !insert(&txn, client, Some(registration_digest.to_owned()), now).await? {
            txn.rollback().await?;
            return Ok(Stored::IdTaken);
        }
        txn.commit().await?;
        Ok(Stored::Registered)
    }

    async fn registered_client(
        &self,
        id: &ClientId,
    ) -> Result<Option<(Client, String)>, StorageError> {
        let Some(row) = clients::Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let Some(digest) = row.registration_token_hash.clone() else {
            return Ok(None);
        };
        Ok(Some((client_from_row(row)?, digest)))
    }
}
