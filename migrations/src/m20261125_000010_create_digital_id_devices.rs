//! Digital ID devices: the device-bound P-256 keys of citizens' Digital ID apps. A key is
//! enrolled once across all citizens (a unique index on its RFC 7638 thumbprint, so two
//! enrollments racing on two nodes cannot both store it); a revoked device keeps its row
//! (`revoked_at`), so its key cannot be enrolled again and the account page and the audit
//! trail can still name it.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `digital_id_devices`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DigitalIdDevices::Table)
                    .if_not_exists()
                    .col(string_len(DigitalIdDevices::Id, 36).primary_key())
                    .col(uuid(DigitalIdDevices::CitizenId))
                    .col(string_len(DigitalIdDevices::Name, 64))
                    .col(string_len(DigitalIdDevices::Platform, 64))
                    .col(string_len(DigitalIdDevices::Level, 16))
                    .col(text(DigitalIdDevices::PublicKey))
                    .col(text(DigitalIdDevices::Thumbprint))
                    .col(text_null(DigitalIdDevices::Attestation))
                    .col(string_len(DigitalIdDevices::EnrolledBy, 64))
                    .col(timestamp_with_time_zone(DigitalIdDevices::CreatedAt))
                    .col(timestamp_with_time_zone_null(DigitalIdDevices::LastUsedAt))
                    .col(timestamp_with_time_zone_null(DigitalIdDevices::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("digital_id_devices_by_thumbprint")
                    .table(DigitalIdDevices::Table)
                    .col(DigitalIdDevices::Thumbprint)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("digital_id_devices_by_citizen")
                    .table(DigitalIdDevices::Table)
                    .col(DigitalIdDevices::CitizenId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(DigitalIdDevices::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum DigitalIdDevices {
    Table,
    Id,
    CitizenId,
    Name,
    Platform,
    Level,
    PublicKey,
    Thumbprint,
    Attestation,
    EnrolledBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}
