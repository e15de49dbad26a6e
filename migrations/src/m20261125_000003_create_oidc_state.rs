//! The durable state of the OpenID Connect core: signing keys (private part encrypted),
//! refresh-token families (tokens stored hashed) and consents.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `signing_keys`, `refresh_tokens` and `consents`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .if_not_exists()
                    .col(string_len(SigningKeys::Kid, 64).primary_key())
                    .col(string_len(SigningKeys::Algorithm, 16))
                    .col(string_len(SigningKeys::State, 16))
                    .col(blob(SigningKeys::PrivateKey))
                    .col(json_binary(SigningKeys::PublicJwk))
                    .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(SigningKeys::ActivatedAt))
                    .col(timestamp_with_time_zone_null(SigningKeys::RetiredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .if_not_exists()
                    .col(string_len(RefreshTokens::TokenHash, 64).primary_key())
                    .col(string_len(RefreshTokens::FamilyId, 64))
                    .col(string_len(RefreshTokens::ClientId, 64))
                    .col(uuid(RefreshTokens::CitizenId))
                    .col(json_binary(RefreshTokens::Grant))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone(RefreshTokens::FamilyExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RotatedAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("refresh_tokens_family")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::FamilyId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .if_not_exists()
                    .col(uuid(Consents::CitizenId))
                    .col(string_len(Consents::ClientId, 64))
                    .col(text(Consents::Scopes))
                    .col(timestamp_with_time_zone(Consents::GrantedAt))
                    .primary_key(
                        Index::create()
                            .col(Consents::CitizenId)
                            .col(Consents::ClientId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Consents::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            SigningKeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Identifiers of the `signing_keys` table.
#[derive(DeriveIden)]
pub enum SigningKeys {
    /// The table itself.
    Table,
    /// The key id published as `kid`.
    Kid,
    /// `ES256`, `RS256` or `EdDSA`.
    Algorithm,
    /// `next`, `active` or `retired`.
    State,
    /// The PKCS#8 private key, encrypted with the key-encryption key (AES-256-GCM, bound to the kid).
    PrivateKey,
    /// The public JWK.
    PublicJwk,
    /// Generated.
    CreatedAt,
    /// Became the signing key.
    ActivatedAt,
    /// Stopped signing; still published until every token it signed has expired.
    RetiredAt,
}

/// Identifiers of the `refresh_tokens` table.
#[derive(DeriveIden)]
pub enum RefreshTokens {
    /// The table itself.
    Table,
    /// SHA-256 of the token, base64url: the token itself is never stored.
    TokenHash,
    /// Every token rotated from one login shares a family; reuse revokes the family.
    FamilyId,
    /// The client the token was issued to.
    ClientId,
    /// The citizen.
    CitizenId,
    /// What the token grants: scopes, session id, authentication time and level.
    Grant,
    /// Issued.
    CreatedAt,
    /// Sliding expiry of this token.
    ExpiresAt,
    /// Absolute expiry of the family.
    FamilyExpiresAt,
    /// When this token was exchanged for its successor.
    RotatedAt,
    /// When the family was revoked.
    RevokedAt,
}

/// Identifiers of the `consents` table.
#[derive(DeriveIden)]
pub enum Consents {
    /// The table itself.
    Table,
    /// The citizen.
    CitizenId,
    /// The client.
    ClientId,
    /// The consented scopes, space-separated and sorted.
    Scopes,
    /// When.
    GrantedAt,
}
