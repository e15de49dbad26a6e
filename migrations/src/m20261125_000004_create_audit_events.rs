//! The audit trail: append-only events, each carrying the keyed hash of the one before it.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `audit_events` and its query indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .if_not_exists()
                    // Assigned by the chain, not by the database: a gap is a deleted event.
                    .col(big_integer(AuditEvents::Seq).primary_key())
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(string_len(AuditEvents::Kind, 64))
                    .col(string_len(AuditEvents::Actor, 160))
                    .col(uuid_null(AuditEvents::CitizenId))
                    .col(string_len_null(AuditEvents::ClientId, 64))
                    // The JSON text exactly as hashed.
                    .col(text(AuditEvents::Detail))
                    .col(string_len(AuditEvents::PrevHash, 64))
                    .col(string_len(AuditEvents::Hash, 64))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("audit_events_at", AuditEvents::At),
            ("audit_events_kind", AuditEvents::Kind),
            ("audit_events_actor", AuditEvents::Actor),
            ("audit_events_citizen", AuditEvents::CitizenId),
            ("audit_events_client", AuditEvents::ClientId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Seq,
    At,
    Kind,
    Actor,
    CitizenId,
    ClientId,
    Detail,
    PrevHash,
    Hash,
}
