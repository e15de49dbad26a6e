//! The client registry on sea-orm: one row per client, the registration as a JSON document
//! that is validated again (through the domain's types) when it is read back.

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveValue, ConnectionTrait, QueryOrder};

use crate::clients::{Client, ClientId, ClientRegistry};
use crate::clock::Clock;
use crate::database::StorageError;

/// The sea-orm entity of the `clients` table (see the `dan-migrations` crate).
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One row of `clients`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "clients")]
    pub struct Model {
        /// The client id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Whether the client may be used.
        pub enabled: bool,
        /// The registration document.
        pub registration: Json,
        /// Registered.
        pub created_at: DateTimeUtc,
        /// Last changed.
        pub updated_at: DateTimeUtc,
        /// Counts changes.
        pub revision: i64,
        /// The digest of a self-registered client's registration access token (RFC 7592);
        /// none for clients created by administrators.
        pub registration_token_hash: Option<String>,
    }

    /// No relations yet.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// The client registry on a sea-orm connection.
#[derive(Clone)]
pub struct SqlClientRegistry {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
}

impl SqlClientRegistry {
    /// Wraps a connection pool; rows are stamped with `clock`'s time.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

pub(super) fn client_from_row(row: entity::Model) -> Result<Client, StorageError> {
    let mut client: Client = serde_json::from_value(row.registration)
        .map_err(|e| StorageError::Corrupt(format!("client {}: {e}", row.id)))?;
    client.enabled = row.enabled;
    client.revision = row.revision;
    Ok(client)
}

/// Inserts `client` on `db` (a pool or a transaction), with the digest of its registration
/// access token when it registered itself; `Ok(false)` when the id is taken.
pub(super) async fn insert<C: ConnectionTrait>(
    db: &C,
    client: &Client,
    registration_token_hash: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, StorageError> {
    if Entity::find_by_id(client.id.as_str())
        .one(db)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let registration =
        serde_json::to_value(client).map_err(|e| StorageError::Rejected(e.to_string()))?;
    let row = ActiveModel {
        id: ActiveValue::Set(client.id.as_str().to_owned()),
        enabled: ActiveValue::Set(client.enabled),
        registration: ActiveValue::Set(registration),
        created_at: ActiveValue::Set(now),
        updated_at: ActiveValue::Set(now),
        revision: ActiveValue::Set(0),
        registration_token_hash: ActiveValue::Set(registration_token_hash),
    };
    match Entity::insert(row).exec(db).await {
        Ok(_) => Ok(true),
        // Another node registered the same id between the check and the insert.
        Err(err)
            if matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(false)
        }
        Err(err) => Err(err.into()),
    }
}

#[async_trait]
impl ClientRegistry for SqlClientRegistry {
    async fn create(&self, client: &Client) -> Result<bool, StorageError> {
        insert(&self.db, client, None, self.clock.now()).await
    }

    async fn find(&self, id: &ClientId) -> Result<Option<Client>, StorageError> {
        Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await?
            .map(client_from_row)
            .transpose()
    }

    async fn list(&self) -> Result<Vec<Client>, StorageError> {
        Entity::find()
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(client_from_row)
            .collect()
    }

    async fn set_enabled(&self, id: &ClientId, enabled: bool) -> Result<bool, StorageError> {
        // A new revision: a change made from a copy read before this one is refused.
        let result = Entity::update_many()
            .col_expr(Column::Enabled, Expr::value(enabled))
            .col_expr(Column::UpdatedAt, Expr::value(self.clock.now()))
            .col_expr(Column::Revision, Expr::col(Column::Revision).add(1))
            .filter(Column::Id.eq(id.as_str()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn delete(&self, id: &ClientId) -> Result<bool, StorageError> {
        let result = Entity::delete_by_id(id.as_str()).exec(&self.db).await?;
        Ok(result.rows_affected == 1)
    }

    async fn replace(&self, client: &Client) -> Result<bool, StorageError> {
        let registration =
            serde_json::to_value(client).map_err(|e| StorageError::Rejected(e.to_string()))?;
        // One statement, conditional on the revision: a concurrent change makes it a no-op.
        // `enabled` is left to `set_enabled`: a settings change never re-enables a client.
        let result = Entity::update_many()
            .col_expr(Column::Registration, Expr::value(registration))
            .col_expr(Column::UpdatedAt, Expr::value(self.clock.now()))
            .col_expr(Column::Revision, Expr::value(client.revision + 1))
            .filter(Column::Id.eq(client.id.as_str()))
            .filter(Column::Revision.eq(client.revision))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}
