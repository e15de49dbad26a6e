//! Schema migrations of DAN's durable storage, for SQLite (the embedded default) and
//! PostgreSQL (production).
//!
//! Each feature adds the tables it uses, in a migration of its own, named
//! `mYYYYMMDD_NNNNNN_what`. Migrations only move forward in production; `down` exists for
//! development and tests.
//!
//! | migration | tables |
//! |---|---|
//! | [`m20261125_000001_create_citizens`] | `citizens`: the citizen directory imported from the civil registry |
//! | [`m20261125_000002_create_clients`] | `clients`: registered relying parties |
//! | [`m20261125_000003_create_oidc_state`] | `signing_keys`, `refresh_tokens`, `consents`: the OpenID Connect core |
//! | [`m20261125_000004_create_audit_events`] | `audit_events`: the hash-chained audit trail |
//! | [`m20261125_000005_create_admins`] | `admin_accounts`, `admin_tokens`: administrators and their API tokens |
//! | [`m20261125_000006_add_client_revision`] | `clients.revision`: optimistic concurrency for changes |
//! | [`m20261125_000007_create_client_registration`] | `initial_access_tokens`, `clients.registration_token_hash`: dynamic client registration (RFC 7591, 7592) |
//! | [`m20261125_000008_create_authenticators`] | `citizen_authenticators`: citizens' authenticator apps (TOTP) |
//! | [`m20261125_000009_create_passkeys`] | `citizen_passkeys`: citizens' passkeys (WebAuthn), one citizen per credential id |
//! | [`m20261125_000010_create_digital_id_devices`] | `digital_id_devices`: Digital ID app keys (P-256), one device per key thumbprint, revocation kept |

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

pub mod m20261125_000001_create_citizens;
pub mod m20261125_000002_create_clients;
pub mod m20261125_000003_create_oidc_state;
pub mod m20261125_000004_create_audit_events;
pub mod m20261125_000005_create_admins;
pub mod m20261125_000006_add_client_revision;
pub mod m20261125_000007_create_client_registration;
pub mod m20261125_000008_create_authenticators;
pub mod m20261125_000009_create_passkeys;
pub mod m20261125_000010_create_digital_id_devices;

/// Every migration of DAN, in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_citizens::Migration),
            Box::new(m20261125_000002_create_clients::Migration),
            Box::new(m20261125_000003_create_oidc_state::Migration),
            Box::new(m20261125_000004_create_audit_events::Migration),
            Box::new(m20261125_000005_create_admins::Migration),
            Box::new(m20261125_000006_add_client_revision::Migration),
            Box::new(m20261125_000007_create_client_registration::Migration),
            Box::new(m20261125_000008_create_authenticators::Migration),
            Box::new(m20261125_000009_create_passkeys::Migration),
            Box::new(m20261125_000010_create_digital_id_devices::Migration),
        ]
    }
}
