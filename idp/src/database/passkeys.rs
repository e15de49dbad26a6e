//! The sea-orm implementation of citizens' passkeys (`citizen_passkeys`, migration
//! `m20261125_000009_create_passkeys`).

use async_trait::async_trait;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue, DatabaseConnection, QueryOrder, SqlErr};

use crate::database::StorageError;
use crate::passkeys::{PasskeyStore, PasskeyUse, StoredPasskey};

/// The sea-orm entity of `citizen_passkeys`.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One passkey.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "citizen_passkeys")]
    pub struct Model {
        /// Public id (a UUID, as text).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Whose.
        pub citizen_id: Uuid,
        /// The WebAuthn credential id, base64url without padding; unique.
        pub credential_id: String,
        /// The citizen's name for it.
        pub name: String,
        /// The webauthn-rs `Passkey`, as JSON.
        pub credential: String,
        /// The signature counter last accepted.
        pub counter: i64,
        /// The authenticator said the key may be synced or backed up.
        pub backup_eligible: bool,
        /// The authenticator said the key is backed up.
        pub backed_up: bool,
        /// Registered.
        pub created_at: DateTimeUtc,
        /// Last used to log in.
        pub last_used_at: Option<DateTimeUtc>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity as row;

/// Passkeys on a sea-orm connection.
#[derive(Clone)]
pub struct SqlPasskeyStore {
    db: DatabaseConnection,
}

impl SqlPasskeyStore {
    /// Wraps a connection pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn from_row(r: row::Model) -> Result<StoredPasskey, StorageError> {
    Ok(StoredPasskey {
        id: Uuid::parse_str(&r.id)
            .map_err(|_| StorageError::Corrupt(format!("passkey {}: id", r.id)))?,
        citizen_id: r.citizen_id,
        credential_id: r.credential_id,
        name: r.name,
        credential: r.credential,
        counter: r.counter,
        backup_eligible: r.backup_eligible,
        backed_up: r.backed_up,
        created_at: r.created_at,
        last_used_at: r.last_used_at,
    })
}

#[async_trait]
impl PasskeyStore for SqlPasskeyStore {
    async fn insert(&self, p: &StoredPasskey) -> Result<bool, StorageError> {
        let model = row::ActiveModel {
            id: ActiveValue::Set(p.id.to_string()),
            citizen_id: ActiveValue::Set(p.citizen_id),
            credential_id: ActiveValue::Set(p.credential_id.clone()),
            name: ActiveValue::Set(p.name.clone()),
            credential: ActiveValue::Set(p.credential.clone()),
            counter: ActiveValue::Set(p.counter),
            backup_eligible: ActiveValue::Set(p.backup_eligible),
            backed_up: ActiveValue::Set(p.backed_up),
            created_at: ActiveValue::Set(p.created_at),
            last_used_at: ActiveValue::Set(p.last_used_at),
        };
        match row::Entity::insert(model).exec(&self.db).await {
            Ok(_) => Ok(true),
            // The unique index on credential_id: registered already, here or on another node.
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Ok(false)
            }
            Err(err) => Err(err.into()),
        }
    }

    async fn of_citizen(&self, citizen_id: Uuid) -> Result<Vec<StoredPasskey>, StorageError> {
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

    async fn by_credential_id(
        &self,
        credential_id: &str,
    ) -> Result<Option<StoredPasskey>, StorageError> {
        row::Entity::find()
            .filter(row::Column::CredentialId.eq(credential_id))
            .one(&self.db)
            .await?
            .map(from_row)
            .transpose()
    }

    async fn record_use(
        &self,
        id: Uuid,
        read_counter: i64,
        used: &PasskeyUse,
    ) -> Result<bool, StorageError> {
        // One conditional statement: of two logins finishing at once with counters read
        // equal, one updates the row.
        let result = row::Entity::update_many()
            .col_expr(
                row::Column::Credential,
                Expr::value(used.credential.clone()),
            )
            .col_expr(row::Column::Counter, Expr::value(used.counter))
            .col_expr(
                row::Column::BackupEligible,
                Expr::value(used.backup_eligible),
            )
            .col_expr(row::Column::BackedUp, Expr::value(used.backed_up))
            .col_expr(row::Column::LastUsedAt, Expr::value(used.at))
            .filter(row::Column::Id.eq(id.to_string()))
            .filter(row::Column::Counter.eq(read_counter))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn rename(&self, id: Uuid, citizen_id: Uuid, name: &str) -> Result<bool, StorageError> {
        let result = row::Entity::update_many()
            .col_expr(row::Column::Name, Expr::value(name))
            .filter(row::Column::Id.eq(id.to_string()))
            .filter(row::Column::CitizenId.eq(citizen_id))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn remove(&self, id: Uuid, citizen_id: Uuid) -> Result<bool, StorageError> {
        let result = row::Entity::delete_many()
            .filter(row::Column::Id.eq(id.to_string()))
            .filter(row::Column::CitizenId.eq(citizen_id))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}
