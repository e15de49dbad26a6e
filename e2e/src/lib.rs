//! End-to-end tests of DAN: the real `idp` binary as a process, on the embedded default and on
//! PostgreSQL + Redis, driven through the SDK and headless Chromium.
//!
//! Until the SDK and browser suites arrive, the process-level tests of the foundation live in
//! `idp/tests/binary.rs`, which can reach the binary through Cargo's `CARGO_BIN_EXE_idp`.

#![forbid(unsafe_code)]
