//! End-to-end tests of DAN: the real `idp` binary and the SDK's `eservice` example as
//! processes, on the embedded default and on PostgreSQL + Redis, driven over HTTP and through
//! headless Chromium.
//!
//! This library holds the fixtures; the tests are in `tests/`:
//!
//! - [`processes`]: free ports, the built binaries, child processes that are stopped whatever
//!   happens (drop kills them) and whose logs are kept for failure reports.
//! - [`dan`]: one `idp` node ([`dan::Idp`]) on a [`dan::Backend`], clients registered through
//!   its CLI, SMS codes read from its development outbox.
//! - [`citizen`]: a citizen's login at an e-service in the browser, and what it then shows.
//! - [`eservice`]: the example e-service, registered with DAN and started against it.
//! - [`browser`]: chromedriver and headless Chromium sessions, with screenshots of every page
//!   kept under `target/test-output/<test>/`.
//! - [`schemathesis`]: the schema-driven runs against the binary.
//! - [`pages`]: DAN's login pages driven over plain HTTP (cookies, CSRF), for tests that need
//!   no browser, such as the multi-node ones.
//!
//! The binaries must be built first (`cargo build --workspace --all-features --bins
//! --examples`); the README's test command does that.

#![forbid(unsafe_code)]

pub mod browser;
pub mod citizen;
pub mod dan;
pub mod eservice;
pub mod pages;
pub mod processes;
pub mod schemathesis;

/// The demo citizen every test logs in as, and the phone their codes go to.
pub const CITIZEN: (&str, &str) = ("УБ90010112", "+97699000001");

/// Whether missing servers or browsers must fail tests rather than skip them (CI).
pub fn servers_required() -> bool {
    std::env::var("DAN_TEST_REQUIRE_SERVERS").as_deref() == Ok("1")
}
