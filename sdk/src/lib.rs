//! The Rust SDK for e-services and APIs that work with DAN.
//!
//! - [`relying_party`]: logging citizens in to an e-service: discovery, the authorization URL
//!   (PKCE, state, nonce, level of assurance), the callback (state, `iss`, code exchange, ID
//!   token validation), userinfo, refresh, revocation, logout and back-channel logout.
//! - [`resource_server`]: verifying DAN access tokens in an API (RFC 9068 JWTs against the
//!   issuer's cached JWKS, or introspection), framework-free, with a poem extractor behind
//!   the `poem` feature.
//! - [`admin`]: a typed client of DAN's admin API, for administrators' tools.
//! - [`jwt`]: what both share: the errors of token verification and the size limit.
//!
//! The SDK depends on no server crate, so agencies can use it alone. It never panics on what
//! the network sends: every refusal is a specific error.

#![forbid(unsafe_code)]

pub mod admin;
mod http;
pub mod jwt;
pub mod relying_party;
pub mod resource_server;
