//! Dynamic client registration (RFC 7591, RFC 7592): the initial access tokens administrators
//! issue (stored as digests, with a use count), and each self-registered client's registration
//! access token (its digest, on the client's row; admin-created clients have none).

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `initial_access_tokens` and adds `clients.registration_token_hash`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InitialAccessTokens::Table)
                    .if_not_exists()
                    .col(string_len(InitialAccessTokens::TokenHash, 64).primary_key())
                    .col(string_len_uniq(InitialAccessTokens::Id, 32))
                    .col(string_len(InitialAccessTokens::Label, 128))
                    .col(string_len(InitialAccessTokens::CreatedBy, 64))
                    .col(timestamp_with_time_zone(InitialAccessTokens::CreatedAt))
                    .col(timestamp_with_time_zone(InitialAccessTokens::ExpiresAt))
                    .col(integer(InitialAccessTokens::MaxRegistrations))
                    .col(integer(InitialAccessTokens::Registrations).default(0))
                    .col(timestamp_with_time_zone_null(
                        InitialAccessTokens::RevokedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(string_len_null(Clients::RegistrationTokenHash, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(Clients::RegistrationTokenHash)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(InitialAccessTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum InitialAccessTokens {
    Table,
    TokenHash,
    Id,
    Label,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    MaxRegistrations,
    Registrations,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    RegistrationTokenHash,
}
