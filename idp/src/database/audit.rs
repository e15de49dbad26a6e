//! The sea-orm implementation of the audit trail's store (`audit_events`, migration
//! `m20261125_000004_create_audit_events`).

use async_trait::async_trait;
use sea_orm::entity::prelude::*;
use sea_orm::{
    ActiveValue, ConnectionTrait, DatabaseConnection, DbBackend, QueryOrder, QuerySelect,
    TransactionTrait,
};

use crate::audit::{AuditEvent, AuditFilter, AuditStore, Chainer, GENESIS};
use crate::database::StorageError;

/// sea-orm entity of `audit_events`.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One audit event.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        /// Position in the chain.
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        /// When.
        pub at: DateTimeUtc,
        /// Kind.
        pub kind: String,
        /// Actor label.
        pub actor: String,
        /// Citizen concerned.
        pub citizen_id: Option<Uuid>,
        /// E-service concerned.
        pub client_id: Option<String>,
        /// JSON text.
        pub detail: String,
        /// Previous hash.
        pub prev_hash: String,
        /// Own hash.
        pub hash: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity, Model};

/// The audit trail on a sea-orm connection.
#[derive(Clone)]
pub struct SqlAuditStore {
    db: DatabaseConnection,
}

impl SqlAuditStore {
    /// Wraps a connection pool.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn from_row(row: Model) -> AuditEvent {
    AuditEvent {
        seq: row.seq,
        at: row.at,
        kind: row.kind,
        actor: row.actor,
        citizen_id: row.citizen_id,
        client_id: row.client_id,
        detail: row.detail,
        prev_hash: row.prev_hash,
        hash: row.hash,
    }
}

#[async_trait]
impl AuditStore for SqlAuditStore {
    async fn append(&self, chain: Chainer<'_>) -> Result<Vec<AuditEvent>, StorageError> {
        let txn = self.db.begin().await?;
        if self.db.get_database_backend() == DbBackend::Postgres {
            // Every node's appends wait here in turn: the head read below is the head.
            txn.execute_unprepared("SELECT pg_advisory_xact_lock(7401)")
                .await?;
        }
        let head = Entity::find()
            .order_by_desc(Column::Seq)
            .limit(1)
            .one(&txn)
            .await?;
        let events = match &head {
            Some(row) => chain(row.seq, &row.hash),
            None => chain(0, GENESIS),
        };
        if !events.is_empty() {
            let rows = events.iter().map(|e| entity::ActiveModel {
                seq: ActiveValue::Set(e.seq),
                at: ActiveValue::Set(e.at),
                kind: ActiveValue::Set(e.kind.clone()),
                actor: ActiveValue::Set(e.actor.clone()),
                citizen_id: ActiveValue::Set(e.citizen_id),
                client_id: ActiveValue::Set(e.client_id.clone()),
                detail: ActiveValue::Set(e.detail.clone()),
                prev_hash: ActiveValue::Set(e.prev_hash.clone()),
                hash: ActiveValue::Set(e.hash.clone()),
            });
            Entity::insert_many(rows).exec(&txn).await?;
        }
        txn.commit().await?;
        Ok(events)
    }

    async fn page(
        &self,
        filter: &AuditFilter,
        after: i64,
        limit: u64,
    ) -> Result<Vec<AuditEvent>, StorageError> {
        let mut query = Entity::find().filter(Column::Seq.gt(after));
        if let Some(from) = filter.from {
            query = query.filter(Column::At.gte(from));
        }
        if let Some(until) = filter.until {
            query = query.filter(Column::At.lt(until));
        }
        if let Some(actor) = &filter.actor {
            query = query.filter(Column::Actor.eq(actor.as_str()));
        }
        if let Some(citizen) = filter.citizen {
            query = query.filter(Column::CitizenId.eq(citizen));
        }
        if let Some(client) = &filter.client {
            query = query.filter(Column::ClientId.eq(client.as_str()));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(Column::Kind.eq(kind.as_str()));
        }
        let rows = query
            .order_by_asc(Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }
}
