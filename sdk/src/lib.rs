//! The Rust SDK for e-services and APIs that work with DAN.
//!
//! - [`resource_server`]: verifying DAN access tokens in an API (RFC 9068 JWTs against the
//!   issuer's cached JWKS, or introspection), framework-free, with a poem extractor behind
//!   the `poem` feature.
//!
//! The relying-party client (authorization URL with PKCE, callback, ID token validation,
//! refresh, logout) is still to come. The SDK depends on no server crate, so agencies can use
//! it alone.

#![forbid(unsafe_code)]

pub mod resource_server;
