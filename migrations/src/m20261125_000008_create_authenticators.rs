//! A citizen's own authentication methods beyond the registry's phone: authenticator apps
//! (TOTP) now, passkeys next. A TOTP secret is stored sealed (AES-256-GCM under the
//! key-encryption key, bound to the row's id); the last step used guards against replays on
//! every node.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `citizen_authenticators`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CitizenAuthenticators::Table)
                    .if_not_exists()
                    .col(string_len(CitizenAuthenticators::Id, 32).primary_key())
                    .col(uuid(CitizenAuthenticators::CitizenId))
                    .col(string_len(CitizenAuthenticators::Kind, 16))
                    .col(string_len(CitizenAuthenticators::Name, 64))
                    .col(binary_null(CitizenAuthenticators::SealedSecret))
                    .col(big_integer_null(CitizenAuthenticators::LastUsedStep))
                    .col(boolean(CitizenAuthenticators::Confirmed))
                    .col(timestamp_with_time_zone(CitizenAuthenticators::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        CitizenAuthenticators::LastUsedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("citizen_authenticators_by_citizen")
                    .table(CitizenAuthenticators::Table)
                    .col(CitizenAuthenticators::CitizenId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(CitizenAuthenticators::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CitizenAuthenticators {
    Table,
    Id,
    CitizenId,
    Kind,
    Name,
    SealedSecret,
    LastUsedStep,
    Confirmed,
    CreatedAt,
    LastUsedAt,
}
