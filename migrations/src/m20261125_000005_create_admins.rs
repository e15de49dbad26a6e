//! Administrators: accounts with a role, and their API tokens (stored as digests).

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `admin_accounts` and `admin_tokens`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdminAccounts::Table)
                    .if_not_exists()
                    .col(string_len(AdminAccounts::Name, 64).primary_key())
                    .col(string_len(AdminAccounts::Role, 32))
                    .col(uuid_null(AdminAccounts::CitizenId))
                    .col(boolean(AdminAccounts::Enabled))
                    .col(timestamp_with_time_zone(AdminAccounts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdminTokens::Table)
                    .if_not_exists()
                    .col(string_len(AdminTokens::TokenHash, 64).primary_key())
                    .col(string_len(AdminTokens::Id, 32))
                    .col(string_len(AdminTokens::AdminName, 64))
                    .col(string_len(AdminTokens::Label, 128))
                    .col(timestamp_with_time_zone(AdminTokens::CreatedAt))
                    .col(timestamp_with_time_zone(AdminTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AdminTokens::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("admin_tokens_admin")
                    .table(AdminTokens::Table)
                    .col(AdminTokens::AdminName)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AdminTokens::Table.into_iden(),
            AdminAccounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AdminAccounts {
    Table,
    Name,
    Role,
    CitizenId,
    Enabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AdminTokens {
    Table,
    TokenHash,
    Id,
    AdminName,
    Label,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}
