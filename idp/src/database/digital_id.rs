//! The sea-orm implementation of Digital ID devices (`digital_id_devices`, migration
//! `m20261125_000010_create_digital_id_devices`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue, DatabaseConnection, QueryOrder, SqlErr};

use crate::database::StorageError;
use crate::digital_id::{Device, DeviceLevel, DeviceStore};

/// The sea-orm entity of `digital_id_devices`.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One enrolled device.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "digital_id_devices")]
    pub struct Model {
        /// Public id (a UUID, as text).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Whose.
        pub citizen_id: Uuid,
        /// The device's name, as the app or the citizen gave it.
        pub name: String,
        /// The platform the app said it runs on.
        pub platform: String,
        /// `high` or `substantial`.
        pub level: String,
        /// The public key, a P-256 JWK as JSON (`kty`, `crv`, `x`, `y` only).
        pub public_key: String,
        /// The key's RFC 7638 thumbprint; unique.
        pub thumbprint: String,
        /// The key attestation the app sent, as given.
        pub attestation: Option<String>,
        /// The officer's account name, or `citizen`.
        pub enrolled_by: String,
        /// Enrolled.
        pub created_at: DateTimeUtc,
        /// Last authenticated an app call (at most once a minute).
        pub last_used_at: Option<DateTimeUtc>,
        /// Revoked, if it was.
        pub revoked_at: Option<DateTimeUtc>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity as row;

/// Digital ID devices on a sea-orm connection.
#[derive(Clone)]
pub struct SqlDeviceStore {
    db: DatabaseConnection,
}

impl SqlDeviceStore {
    /// Wraps a connection pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn from_row(r: row::Model) -> Result<Device, StorageError> {
    let corrupt = |what: &str| StorageError::Corrupt(format!("digital id device {}: {what}", r.id));
    Ok(Device {
        id: Uuid::parse_str(&r.id).map_err(|_| corrupt("id"))?,
        citizen_id: r.citizen_id,
        level: DeviceLevel::parse(&r.level).ok_or_else(|| corrupt("level"))?,
        public_key: serde_json::from_str(&r.public_key).map_err(|_| corrupt("public key"))?,
        name: r.name,
        platform: r.platform,
        thumbprint: r.thumbprint,
        attestation: r.attestation,
        enrolled_by: r.enrolled_by,
        created_at: r.created_at,
        last_used_at: r.last_used_at,
        revoked_at: r.revoked_at,
    })
}

#[async_trait]
impl DeviceStore for SqlDeviceStore {
    async fn insert(&self, d: &Device) -> Result<bool, StorageError> {
        let public_key = serde_json::to_string(&d.public_key)
            .map_err(|e| StorageError::Rejected(format!("public key: {e}")))?;
        let model = row::ActiveModel {
            id: ActiveValue::Set(d.id.to_string()),
            citizen_id: ActiveValue::Set(d.citizen_id),
            name: ActiveValue::Set(d.name.clone()),
            platform: ActiveValue::Set(d.platform.clone()),
            level: ActiveValue::Set(d.level.as_str().to_owned()),
            public_key: ActiveValue::Set(public_key),
            thumbprint: ActiveValue::Set(d.thumbprint.clone()),
            attestation: ActiveValue::Set(d.attestation.clone()),
            enrolled_by: ActiveValue::Set(d.enrolled_by.clone()),
            created_at: ActiveValue::Set(d.created_at),
            last_used_at: ActiveValue::Set(d.last_used_at),
            revoked_at: ActiveValue::Set(d.revoked_at),
        };
        match row::Entity::insert(model).exec(&self.db).await {
            Ok(_) => Ok(true),
            // The unique index on thumbprint: this key is enrolled already, here or on
            // another node.
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Ok(false)
            }
            Err(err) => Err(err.into()),
        }
    }

    async fn find(&self, id: Uuid) -> Result<Option<Device>, StorageError> {
        row::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
            .map(from_row)
            .transpose()
    }

    async fn of_citizen(&self, citizen_id: Uuid) -> Result<Vec<Device>, StorageError> {
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

    async fn revoke(
        &self,
        id: Uuid,
        citizen_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        // One conditional statement: of two revocations at once, one revokes.
        let result = row::Entity::update_many()
            .col_expr(row::Column::RevokedAt, Expr::value(at))
            .filter(row::Column::Id.eq(id.to_string()))
            .filter(row::Column::CitizenId.eq(citizen_id))
            .filter(row::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn touch(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StorageError> {
        row::Entity::update_many()
            .col_expr(row::Column::LastUsedAt, Expr::value(at))
            .filter(row::Column::Id.eq(id.to_string()))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
