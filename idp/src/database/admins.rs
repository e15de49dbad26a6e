//! The sea-orm implementation of the administrators' store (`admin_accounts`,
//! `admin_tokens`, migration `m20261125_000005_create_admins`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue, DatabaseConnection, QueryOrder};

use crate::admins::{AdminAccount, AdminStore, Role, TokenRecord};
use crate::database::StorageError;

/// sea-orm entities of the administrators' tables.
pub mod entity {
    /// `admin_accounts`.
    pub mod account {
        use sea_orm::entity::prelude::*;

        /// One account.
        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "admin_accounts")]
        pub struct Model {
            /// Name.
            #[sea_orm(primary_key, auto_increment = false)]
            pub name: String,
            /// Role.
            pub role: String,
            /// Tied citizen.
            pub citizen_id: Option<Uuid>,
            /// Enabled.
            pub enabled: bool,
            /// Created.
            pub created_at: DateTimeUtc,
        }

        /// No relations.
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `admin_tokens`.
    pub mod token {
        use sea_orm::entity::prelude::*;

        /// One token digest.
        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "admin_tokens")]
        pub struct Model {
            /// SHA-256 of the token, base64url.
            #[sea_orm(primary_key, auto_increment = false)]
            pub token_hash: String,
            /// Public id.
            pub id: String,
            /// Account.
            pub admin_name: String,
            /// Label.
            pub label: String,
            /// Issued.
            pub created_at: DateTimeUtc,
            /// Expires.
            pub expires_at: DateTimeUtc,
            /// Revoked.
            pub revoked_at: Option<DateTimeUtc>,
        }

        /// No relations.
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{account, token};

/// Administrators on a sea-orm connection.
#[derive(Clone)]
pub struct SqlAdminStore {
    db: DatabaseConnection,
}

impl SqlAdminStore {
    /// Wraps a connection pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn account_from_row(row: account::Model) -> Result<AdminAccount, StorageError> {
    Ok(AdminAccount {
        role: Role::parse(&row.role)
            .ok_or_else(|| StorageError::Corrupt(format!("admin {}: role", row.name)))?,
        name: row.name,
        citizen_id: row.citizen_id,
        enabled: row.enabled,
        created_at: row.created_at,
    })
}

fn token_from_row(row: token::Model) -> TokenRecord {
    TokenRecord {
        id: row.id,
        admin_name: row.admin_name,
        label: row.label,
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
    }
}

#[async_trait]
impl AdminStore for SqlAdminStore {
    async fn create_account(&self, a: &AdminAccount) -> Result<bool, StorageError> {
        let row = account::ActiveModel {
            name: ActiveValue::Set(a.name.clone()),
            role: ActiveValue::Set(a.role.as_str().to_owned()),
            citizen_id: ActiveValue::Set(a.citizen_id),
            enabled: ActiveValue::Set(a.enabled),
            created_at: ActiveValue::Set(a.created_at),
        };
        let inserted = account::Entity::insert(row)
            .on_conflict(
                OnConflict::column(account::Column::Name)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(inserted == 1)
    }

    async fn account(&self, name: &str) -> Result<Option<AdminAccount>, StorageError> {
        account::Entity::find_by_id(name)
            .one(&self.db)
            .await?
            .map(account_from_row)
            .transpose()
    }

    async fn accounts(&self) -> Result<Vec<AdminAccount>, StorageError> {
        account::Entity::find()
            .order_by_asc(account::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(account_from_row)
            .collect()
    }

    async fn insert_token(&self, digest: &str, r: &TokenRecord) -> Result<(), StorageError> {
        let row = token::ActiveModel {
            token_hash: ActiveValue::Set(digest.to_owned()),
            id: ActiveValue::Set(r.id.clone()),
            admin_name: ActiveValue::Set(r.admin_name.clone()),
            label: ActiveValue::Set(r.label.clone()),
            created_at: ActiveValue::Set(r.created_at),
            expires_at: ActiveValue::Set(r.expires_at),
            revoked_at: ActiveValue::Set(r.revoked_at),
        };
        token::Entity::insert(row).exec(&self.db).await?;
        Ok(())
    }

    async fn token(&self, digest: &str) -> Result<Option<TokenRecord>, StorageError> {
        Ok(token::Entity::find_by_id(digest)
            .one(&self.db)
            .await?
            .map(token_from_row))
    }

    async fn set_enabled(&self, name: &str, enabled: bool) -> Result<bool, StorageError> {
        let result = account::Entity::update_many()
            .col_expr(account::Column::Enabled, Expr::value(enabled))
            .filter(account::Column::Name.eq(name))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn tokens(&self, name: &str) -> Result<Vec<TokenRecord>, StorageError> {
        Ok(token::Entity::find()
            .filter(token::Column::AdminName.eq(name))
            .order_by_desc(token::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(token_from_row)
            .collect())
    }

    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StorageError> {
        let result = token::Entity::update_many()
            .col_expr(token::Column::RevokedAt, Expr::value(at))
            .filter(token::Column::Id.eq(id))
            .filter(token::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}
