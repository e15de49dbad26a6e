//! The Rust SDK for e-services that log citizens in through DAN.
//!
//! It will hold the relying-party client (authorization URL with PKCE, callback, ID token
//! validation, refresh, logout), resource-server token verification, the admin client and a
//! Digital ID device simulator. It depends on no server crate, so agencies can use it alone.
//! It is a skeleton until the SDK issue.

#![forbid(unsafe_code)]
