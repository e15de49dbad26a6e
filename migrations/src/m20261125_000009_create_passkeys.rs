//! Citizens' passkeys (WebAuthn credentials). A credential id is registered to one citizen
//! only (a unique index, so two registrations racing on two nodes cannot both store it); the
//! signature counter and the backup flags have columns of their own, so a login's conditional
//! update and the reported `amr` (`hwk` or `swk`) need not parse the stored credential.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `citizen_passkeys`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CitizenPasskeys::Table)
                    .if_not_exists()
                    .col(string_len(CitizenPasskeys::Id, 36).primary_key())
                    .col(uuid(CitizenPasskeys::CitizenId))
                    .col(text(CitizenPasskeys::CredentialId))
                    .col(string_len(CitizenPasskeys::Name, 64))
                    .col(text(CitizenPasskeys::Credential))
                    .col(big_integer(CitizenPasskeys::Counter))
                    .col(boolean(CitizenPasskeys::BackupEligible))
                    .col(boolean(CitizenPasskeys::BackedUp))
                    .col(timestamp_with_time_zone(CitizenPasskeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(CitizenPasskeys::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("citizen_passkeys_by_credential_id")
                    .table(CitizenPasskeys::Table)
                    .col(CitizenPasskeys::CredentialId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("citizen_passkeys_by_citizen")
                    .table(CitizenPasskeys::Table)
                    .col(CitizenPasskeys::CitizenId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(CitizenPasskeys::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CitizenPasskeys {
    Table,
    Id,
    CitizenId,
    CredentialId,
    Name,
    Credential,
    Counter,
    BackupEligible,
    BackedUp,
    CreatedAt,
    LastUsedAt,
}
