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
//! | [`authorize`] | authorization requests: parameters, validation, levels of assurance |
//! | [`levels`] | levels of assurance: each method's `acr` and `amr` |
//! | [`login`] | login transactions bound to the browser, from first page to redirect |
//! | [`otp`] | SMS one-time codes: drawing, hashing, limits, no enumeration |
//! | [`authenticators`] | authenticator apps: enroll (QR), confirm, verify once, rename, remove |
//! | [`passkeys`] | passkeys (WebAuthn): registration, citizen-bound and usernameless login, counter, rename, remove |
//! | [`digital_id`] | the Digital ID app's devices: officer enrollment codes, enrollment, device-signed call tokens, revocation |
//! | [`totp`] | authenticator-app codes (RFC 6238): secrets, `otpauth://` URI, QR as SVG, replay-safe check |
//! | [`sessions`] | the SSO session |
//! | [`consent`] | remembered consents (port) |
//! | [`tokens`] | grants, ID tokens, RFC 9068 access tokens, rotating refresh tokens |
//! | [`keys`] | signing keys: next → active → retired, sealed at rest, the JWKS |
//! | [`jose`] | JWS, JWK, key encryption and HMAC on OpenSSL |
//! | [`secrets`] | the key-encryption key and the hash key |
//! | [`registration`] | dynamic client registration (RFC 7591, 7592) on initial access tokens |
//! | [`client_auth`] | client authentication at the token-style endpoints |
//! | [`provider`] | the OpenID Provider's operations, wiring the domain together; login methods, step-up, the citizen's account |
//! | [`oauth`] | OAuth and OpenID Connect error codes |
//! | [`sms`] | the SMS gateway port, its HTTP adapter and the development outbox |
//! | [`pages`] | server-rendered pages for people (mn/en) |
//! | [`ephemeral`] | short-lived state (Redis or in-process), with TTLs and atomic takes |
//! | [`database`] | durable storage on SQLite or PostgreSQL (sea-orm), migrations |
//! | [`http`] | the public listener: routes, edge middleware, endpoints |
//! | [`config`] | the one typed configuration, from a TOML file and `IDP_*` variables |
//! | [`server`] | starting a node: connect, migrate, seed, bind, serve, shut down |
//! | [`clock`] | injected time |
//! | [`demo`] | the embedded default's synthetic demo citizens |
//! | [`telemetry`] | structured logs |

#![forbid(unsafe_code)]

pub mod admin_plane;
pub mod admins;
pub mod audit;
pub mod authenticators;
pub mod authorize;
pub mod citizens;
pub mod client_auth;
pub mod clients;
pub mod clock;
pub mod config;
pub mod consent;
pub mod database;
pub mod demo;
pub mod digital_id;
pub mod ephemeral;
pub mod http;
pub mod jose;
pub mod keys;
pub mod levels;
pub mod login;
pub mod oauth;
pub mod otp;
pub mod pages;
pub mod passkeys;
pub mod provider;
pub mod registration;
pub mod secrets;
pub mod server;
pub mod sessions;
pub mod sms;
pub mod statistics;
pub mod telemetry;
pub mod tokens;
pub mod totp;
