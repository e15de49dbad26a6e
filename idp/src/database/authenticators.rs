//! The sea-orm implementation of citizens' authenticators (`citizen_authenticators`,
//! migration `m20261125_000008_create_authenticators`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Condition;
use sea_orm::{ActiveValue, DatabaseConnection, QueryOrder};

use crate::authenticators::{AuthenticatorStore, Kind, StoredAuthenticator};
use crate::database::StorageError;

/// The sea-orm entity of `citizen_authenticators`.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One authenticator.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "citizen_authenticators")]
    pub struct Model {
        /// Public id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Whose.
        pub citizen_id: Uuid,
        /// `totp`.
        pub kind: String,
        /// The citizen's name for it.
        pub name: String,
        /// The sealed secret.
        pub sealed_secret: Option<Vec<u8>>,
        /// The last TOTP step used.
        pub last_used_step: Option<i64>,
        /// Confirmed.
        pub confirmed: bool,
        /// Enrolled.
        pub created_at: DateTimeUtc,
        /// Last used.
        pub last_used_at: Option<DateTimeUtc>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity as row;

/// Authenticators on a sea-orm connection.
#[derive(Clone)]
pub struct SqlAuthenticatorStore {
    db: DatabaseConnection,
}

impl SqlAuthenticatorStore {
    /// Wraps a connection pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn from_row(r: row::Model) -> Result<StoredAuthenticator, StorageError> {
    Ok(StoredAuthenticator {
        kind: Kind::parse(&r.kind)
            .ok_or_else(|| StorageError::Corrupt(format!("authenticator {}: kind", r.id)))?,
        id: r.id,
        citizen_id: r.citizen_id,
        name: r.name,
        sealed_secret: r.sealed_secret,
        last_used_step: r.last_used_step,
        confirmed: r.confirmed,
        created_at: r.created_at,
        last_used_at: r.last_used_at,
    })
}

#[async_trait]
impl AuthenticatorStore for SqlAuthenticatorStore {
    async fn insert(&self, a: &StoredAuthenticator) -> Result<(), StorageError> {
        let model = row::ActiveModel {
            id: ActiveValue::Set(a.id.clone()),
            citizen_id: ActiveValue::Set(a.citizen_id),
            kind: ActiveValue::Set(a.kind.as_str().to_owned()),
            name: ActiveValue::Set(a.name.clone()),
            sealed_secret: ActiveValue::Set(a.sealed_secret.clone()),
            last_used_step: ActiveValue::Set(a.last_used_step),
            confirmed: ActiveValue::Set(a.confirmed),
            created_at: ActiveValue::Set(a.created_at),
            last_used_at: ActiveValue::Set(a.last_used_at),
        };
        row::Entity::insert(model).exec(&self.db).await?;
        Ok(())
    }

    async fn of_citizen(&self, citizen_id: Uuid) -> Result<Vec<StoredAuthenticator>, StorageError> {
        row::Entity::find()
            .filter(row::Column::CitizenId.eq(citizen_id))
            .order_by_asc(row::Column::CreatedAt)
            .order_by_asc(row::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }

    async fn use_step(
        &self,
        id: &str,
        citizen_id: Uuid,
        step: i64,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        // One conditional statement: of two nodes taking the same step, one updates a row.
        let result = row::Entity::update_many()
            .col_expr(row::Column::LastUsedStep, Expr::value(step))
            .col_expr(row::Column::LastUsedAt, Expr::value(at))
            .col_expr(row::Column::Confirmed, Expr::value(true))
            .filter(row::Column::Id.eq(id))
            .filter(row::Column::CitizenId.eq(citizen_id))
            .filter(
                Condition::any()
                    .add(row::Column::LastUsedStep.is_null())
                    .add(row::Column::LastUsedStep.lt(step)),
            )
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn rename(&self, id: &str, citizen_id: Uuid, name: &str) -> Result<bool, StorageError> {
        let result = row::Entity::update_many()
            .col_expr(row::Column::Name, Expr::value(name))
            .filter(row::Column::Id.eq(id))
            .filter(row::Column::CitizenId.eq(citizen_id))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn remove(&self, id: &str, citizen_id: Uuid) -> Result<bool, StorageError> {
        let result = row::Entity::delete_many()
            .filter(row::Column::Id.eq(id))
            .filter(row::Column::CitizenId.eq(citizen_id))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}
