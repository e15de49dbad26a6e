//! The sea-orm implementations of the OpenID Connect core's durable ports: signing keys,
//! refresh tokens and consents (tables of migration `m20261125_000003_create_oidc_state`).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue, DatabaseConnection};

use crate::citizens::CitizenId;
use crate::clients::ClientId;
use crate::clock::Clock;
use crate::consent::ConsentStore;
use crate::database::StorageError;
use crate::jose::Algorithm;
use crate::keys::{KeyState, KeyStore, StoredKey};
use crate::tokens::refresh::{RefreshRecord, RefreshStore};

/// sea-orm entities of the OpenID Connect tables.
pub mod entity {
    /// `signing_keys`.
    pub mod signing_key {
        use sea_orm::entity::prelude::*;

        /// One signing key.
        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "signing_keys")]
        pub struct Model {
            /// Key id.
            #[sea_orm(primary_key, auto_increment = false)]
            pub kid: String,
            /// Algorithm.
            pub algorithm: String,
            /// State.
            pub state: String,
            /// Sealed PKCS#8.
            pub private_key: Vec<u8>,
            /// Public JWK.
            pub public_jwk: Json,
            /// Generated.
            pub created_at: DateTimeUtc,
            /// Activated.
            pub activated_at: Option<DateTimeUtc>,
            /// Retired.
            pub retired_at: Option<DateTimeUtc>,
        }

        /// No relations.
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `refresh_tokens`.
    pub mod refresh_token {
        use sea_orm::entity::prelude::*;

        /// One refresh token.
        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "refresh_tokens")]
        pub struct Model {
            /// Digest of the token.
            #[sea_orm(primary_key, auto_increment = false)]
            pub token_hash: String,
            /// Family.
            pub family_id: String,
            /// Client.
            pub client_id: String,
            /// Citizen.
            pub citizen_id: Uuid,
            /// The grant document.
            pub grant: Json,
            /// Issued.
            pub created_at: DateTimeUtc,
            /// Sliding expiry.
            pub expires_at: DateTimeUtc,
            /// Family cap.
            pub family_expires_at: DateTimeUtc,
            /// Rotated.
            pub rotated_at: Option<DateTimeUtc>,
            /// Revoked.
            pub revoked_at: Option<DateTimeUtc>,
        }

        /// No relations.
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// `consents`.
    pub mod consent {
        use sea_orm::entity::prelude::*;

        /// One consent.
        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "consents")]
        pub struct Model {
            /// Citizen.
            #[sea_orm(primary_key, auto_increment = false)]
            pub citizen_id: Uuid,
            /// Client.
            #[sea_orm(primary_key, auto_increment = false)]
            pub client_id: String,
            /// Space-separated sorted scopes.
            pub scopes: String,
            /// When.
            pub granted_at: DateTimeUtc,
        }

        /// No relations.
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entity::{consent, refresh_token, signing_key};

/// The OpenID Connect tables on a sea-orm connection.
#[derive(Clone)]
pub struct SqlOidcStore {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
}

impl SqlOidcStore {
    /// Wraps a connection pool; consents are stamped with `clock`'s time.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

fn key_from_row(row: signing_key::Model) -> Result<StoredKey, StorageError> {
    let corrupt = |what: &str| StorageError::Corrupt(format!("signing key {}: {what}", row.kid));
    Ok(StoredKey {
        algorithm: Algorithm::parse(&row.algorithm).map_err(|_| corrupt("algorithm"))?,
        state: KeyState::parse(&row.state).ok_or_else(|| corrupt("state"))?,
        kid: row.kid.clone(),
        sealed_private_key: row.private_key,
        public_jwk: row.public_jwk,
        created_at: row.created_at,
        activated_at: row.activated_at,
        retired_at: row.retired_at,
    })
}

#[async_trait]
impl KeyStore for SqlOidcStore {
    async fn list(&self) -> Result<Vec<StoredKey>, StorageError> {
        signing_key::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(key_from_row)
            .collect()
    }

    async fn insert(&self, key: &StoredKey) -> Result<(), StorageError> {
        let row = signing_key::ActiveModel {
            kid: ActiveValue::Set(key.kid.clone()),
            algorithm: ActiveValue::Set(key.algorithm.as_str().to_owned()),
            state: ActiveValue::Set(key.state.as_str().to_owned()),
            private_key: ActiveValue::Set(key.sealed_private_key.clone()),
            public_jwk: ActiveValue::Set(key.public_jwk.clone()),
            created_at: ActiveValue::Set(key.created_at),
            activated_at: ActiveValue::Set(key.activated_at),
            retired_at: ActiveValue::Set(key.retired_at),
        };
        signing_key::Entity::insert(row).exec(&self.db).await?;
        Ok(())
    }

    async fn transition(
        &self,
        kid: &str,
        from: KeyState,
        state: KeyState,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        use signing_key::Column;
        let mut update = signing_key::Entity::update_many()
            .col_expr(Column::State, Expr::value(state.as_str()))
            .filter(Column::Kid.eq(kid))
            .filter(Column::State.eq(from.as_str()));
        update = match state {
            KeyState::Active => update.col_expr(Column::ActivatedAt, Expr::value(at)),
            KeyState::Retired => update.col_expr(Column::RetiredAt, Expr::value(at)),
            KeyState::Next => update,
        };
        Ok(update.exec(&self.db).await?.rows_affected == 1)
    }

    async fn delete(&self, kid: &str) -> Result<bool, StorageError> {
        let result = signing_key::Entity::delete_by_id(kid)
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}

fn refresh_from_row(row: refresh_token::Model) -> Result<RefreshRecord, StorageError> {
    Ok(RefreshRecord {
        grant: serde_json::from_value(row.grant)
            .map_err(|e| StorageError::Corrupt(format!("refresh token grant: {e}")))?,
        token_hash: row.token_hash,
        family_id: row.family_id,
        client_id: row.client_id,
        citizen_id: row.citizen_id,
        created_at: row.created_at,
        expires_at: row.expires_at,
        family_expires_at: row.family_expires_at,
        rotated_at: row.rotated_at,
        revoked_at: row.revoked_at,
    })
}

#[async_trait]
impl RefreshStore for SqlOidcStore {
    async fn insert(&self, record: &RefreshRecord) -> Result<(), StorageError> {
        let grant = serde_json::to_value(&record.grant)
            .map_err(|e| StorageError::Rejected(e.to_string()))?;
        let row = refresh_token::ActiveModel {
            token_hash: ActiveValue::Set(record.token_hash.clone()),
            family_id: ActiveValue::Set(record.family_id.clone()),
            client_id: ActiveValue::Set(record.client_id.clone()),
            citizen_id: ActiveValue::Set(record.citizen_id),
            grant: ActiveValue::Set(grant),
            created_at: ActiveValue::Set(record.created_at),
            expires_at: ActiveValue::Set(record.expires_at),
            family_expires_at: ActiveValue::Set(record.family_expires_at),
            rotated_at: ActiveValue::Set(record.rotated_at),
            revoked_at: ActiveValue::Set(record.revoked_at),
        };
        refresh_token::Entity::insert(row).exec(&self.db).await?;
        Ok(())
    }

    async fn find(&self, token_hash: &str) -> Result<Option<RefreshRecord>, StorageError> {
        refresh_token::Entity::find_by_id(token_hash)
            .one(&self.db)
            .await?
            .map(refresh_from_row)
            .transpose()
    }

    async fn mark_rotated(
        &self,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        use refresh_token::Column;
        let result = refresh_token::Entity::update_many()
            .col_expr(Column::RotatedAt, Expr::value(at))
            .filter(Column::TokenHash.eq(token_hash))
            .filter(Column::RotatedAt.is_null())
            .filter(Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn revoke_family(&self, family_id: &str, at: DateTime<Utc>) -> Result<u64, StorageError> {
        use refresh_token::Column;
        let result = refresh_token::Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::value(at))
            .filter(Column::FamilyId.eq(family_id))
            .filter(Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}

#[async_trait]
impl ConsentStore for SqlOidcStore {
    async fn find(
        &self,
        citizen: CitizenId,
        client: &ClientId,
    ) -> Result<Option<Vec<String>>, StorageError> {
        Ok(
            consent::Entity::find_by_id((citizen.0, client.as_str().to_owned()))
                .one(&self.db)
                .await?
                .map(|row| row.scopes.split(' ').map(str::to_owned).collect()),
        )
    }

    async fn grant(
        &self,
        citizen: CitizenId,
        client: &ClientId,
        scopes: &[String],
    ) -> Result<(), StorageError> {
        let mut sorted = scopes.to_vec();
        sorted.sort();
        sorted.dedup();
        let row = consent::ActiveModel {
            citizen_id: ActiveValue::Set(citizen.0),
            client_id: ActiveValue::Set(client.as_str().to_owned()),
            scopes: ActiveValue::Set(sorted.join(" ")),
            granted_at: ActiveValue::Set(self.clock.now()),
        };
        consent::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([consent::Column::CitizenId, consent::Column::ClientId])
                    .update_columns([consent::Column::Scopes, consent::Column::GrantedAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn withdraw(&self, citizen: CitizenId, client: &ClientId) -> Result<bool, StorageError> {
        let result = consent::Entity::delete_by_id((citizen.0, client.as_str().to_owned()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}
