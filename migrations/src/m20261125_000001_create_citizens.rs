//! The citizen directory: one row per citizen of the civil registry.
//!
//! `registry_number` is unique and indexed (every login starts with it). `record_digest` is a
//! digest of the imported fields, so that re-importing an unchanged record writes nothing.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the `citizens` table.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Citizens::Table)
                    .if_not_exists()
                    .col(uuid(Citizens::Id).primary_key())
                    .col(string_len(Citizens::RegistryNumber, 10).unique_key())
                    .col(string(Citizens::FamilyName).check(text_length(Citizens::FamilyName)))
                    .col(string(Citizens::GivenName).check(text_length(Citizens::GivenName)))
                    .col(string_null(Citizens::ClanName))
                    .col(date(Citizens::BirthDate))
                    .col(
                        string_len(Citizens::Gender, 8)
                            .check(Expr::col(Citizens::Gender).is_in(["female", "male"])),
                    )
                    .col(json_binary(Citizens::PhoneNumbers))
                    .col(string_null(Citizens::Email))
                    .col(string_null(Citizens::AddressAimag))
                    .col(string_null(Citizens::AddressSoum))
                    .col(string_null(Citizens::AddressBag))
                    .col(string_null(Citizens::AddressText))
                    .col(
                        string_len(Citizens::Status, 16).check(
                            Expr::col(Citizens::Status).is_in(["active", "locked", "deceased"]),
                        ),
                    )
                    .col(big_integer(Citizens::RecordDigest))
                    .col(timestamp_with_time_zone(Citizens::CreatedAt))
                    .col(timestamp_with_time_zone(Citizens::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Citizens::Table).to_owned())
            .await
    }
}

/// Names are 1 to 200 characters, on every backend (SQLite ignores `varchar` lengths).
fn text_length(column: Citizens) -> Expr {
    Expr::cust(format!("length({}) BETWEEN 1 AND 200", column.to_string()))
}

/// Identifiers of the `citizens` table.
#[derive(DeriveIden)]
pub enum Citizens {
    /// The table itself.
    Table,
    /// Primary key: a UUIDv7 chosen by DAN, never shown to relying parties.
    Id,
    /// The national registry number, normalized (`УБ99032512`).
    RegistryNumber,
    /// Family name (эцэг/эхийн нэр).
    FamilyName,
    /// Given name.
    GivenName,
    /// Clan name (ургийн овог), when recorded.
    ClanName,
    /// Birth date, as encoded in the registry number.
    BirthDate,
    /// `female` or `male`.
    Gender,
    /// JSON array of E.164 phone numbers.
    PhoneNumbers,
    /// Optional e-mail address.
    Email,
    /// Aimag or the capital.
    AddressAimag,
    /// Soum or district.
    AddressSoum,
    /// Bag or khoroo.
    AddressBag,
    /// Free-text remainder of the address.
    AddressText,
    /// `active`, `locked` or `deceased`.
    Status,
    /// Digest of the imported fields (first 8 bytes of SHA-256).
    RecordDigest,
    /// When the row was first stored.
    CreatedAt,
    /// When the row last changed.
    UpdatedAt,
}
