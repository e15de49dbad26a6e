//! The admin plane of DAN: the admin API (poem-openapi) and the admin console, served on the
//! admin listener (`IDP_ADMIN_LISTEN`, 127.0.0.1:8081 by default), separate from the public one.
//!
//! This crate defines the operations the admin plane needs as traits that the `idp` crate
//! implements, so the dependency points from `idp` to `admin` and never back. It is a skeleton
//! until the admin issue: clients, scopes, keys, citizens, audit and admin identity arrive
//! then.

#![forbid(unsafe_code)]
