//! Registered relying parties. The registration is one JSON document (validated by the domain
//! before it is written), with the id and the enabled flag as columns for lookups and filters.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the `clients` table.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .if_not_exists()
                    .col(string_len(Clients::Id, 64).primary_key())
                    .col(boolean(Clients::Enabled))
                    .col(json_binary(Clients::Registration))
                    .col(timestamp_with_time_zone(Clients::CreatedAt))
                    .col(timestamp_with_time_zone(Clients::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Clients::Table).to_owned())
            .await
    }
}

/// Identifiers of the `clients` table.
#[derive(DeriveIden)]
pub enum Clients {
    /// The table itself.
    Table,
    /// The client id.
    Id,
    /// Whether the client may be used.
    Enabled,
    /// The registration document (names, redirect URIs, methods, secret hash…).
    Registration,
    /// When the client was registered.
    CreatedAt,
    /// When the registration last changed.
    UpdatedAt,
}
