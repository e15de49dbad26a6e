//! DAN: the national single sign-on — an OpenID Connect provider for every government
//! e-service.
//!
//! This crate is the provider: domain core, storage adapters, HTTP endpoints and the `idp`
//! binary. The domain modules know nothing of HTTP or of the database in use; storage sits
//! behind ports with one contract suite each.
//!
//! | module | owns |
//! |---|---|
//! | [`citizens`] | the citizen directory: registry numbers, records, import, synthetic data |
//! | [`clients`] | relying parties: client ids, redirect URIs, authentication methods, secrets |
//! | [`ephemeral`] | short-lived state (Redis or in-process), with TTLs and atomic takes |
//! | [`database`] | durable storage on SQLite or PostgreSQL (sea-orm), migrations |
//! | [`http`] | the public listener: routes, edge middleware, health and readiness |
//! | [`config`] | the one typed configuration, from a TOML file and `IDP_*` variables |
//! | [`server`] | starting a node: connect, migrate, seed, bind, serve, shut down |
//! | [`clock`] | injected time |
//! | [`demo`] | the embedded default's synthetic demo citizens |
//! | [`telemetry`] | structured logs |

#![forbid(unsafe_code)]

pub mod authorize;
pub mod citizens;
pub mod client_auth;
pub mod clients;
pub mod clock;
pub mod config;
pub mod consent;
pub mod database;
pub mod demo;
pub mod ephemeral;
pub mod http;
pub mod jose;
pub mod keys;
pub mod login;
pub mod oauth;
pub mod otp;
pub mod pages;
pub mod provider;
pub mod secrets;
pub mod server;
pub mod sessions;
pub mod sms;
pub mod telemetry;
pub mod tokens;
