//! Shared fixtures of the integration tests: databases and stores on every backend.
//!
//! PostgreSQL and Redis come from `DAN_TEST_POSTGRES_URL` and `DAN_TEST_REDIS_URL`, which
//! `./scripts/test` sets after starting both servers on loopback. When they are unset, tests
//! that need them are skipped with a message — unless `DAN_TEST_REQUIRE_SERVERS=1` (set by
//! `./scripts/test` and so by CI), where a missing server is a failure, so that a green run
//! always means both backends were tested.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use idp::database::{Database, DatabaseOptions, sqlite_url};
use idp::ephemeral::RedisStore;
use sea_orm::ConnectionTrait;

pub mod server;

fn require_servers() -> bool {
    std::env::var("DAN_TEST_REQUIRE_SERVERS").is_ok_and(|v| v == "1")
}

fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if require_servers() => {
            panic!("{var} is not set: run ./scripts/test, which starts the servers")
        }
        _ => {
            eprintln!("skipped: {var} is not set (./scripts/test sets it)");
            None
        }
    }
}

/// The Redis URL of the test server, if there is one.
pub fn redis_url() -> Option<String> {
    server_url("DAN_TEST_REDIS_URL")
}

/// A Redis store with a prefix of its own, so that tests running at once never share keys.
pub fn redis_store() -> Option<Arc<RedisStore>> {
    let url = redis_url()?;
    let prefix = format!("test{}", uuid::Uuid::new_v4().simple());
    Some(Arc::new(
        RedisStore::new(&url, &prefix, Duration::from_secs(2)).expect("redis URL"),
    ))
}

/// A Redis server of the test's own, on a free loopback port, that the test may stop and
/// start; killed when dropped.
pub struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    /// Starts one, or `None` (skip) when `redis-server` is not installed.
    pub fn start() -> Option<Self> {
        let installed = std::process::Command::new("redis-server")
            .arg("--version")
            .output()
            .is_ok();
        if !installed {
            assert!(
                std::env::var("DAN_TEST_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "redis-server is not installed: run ./scripts/test"
            );
            eprintln!("skipped: redis-server is not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Self { port, child: None };
        redis.restart();
        Some(redis)
    }

    /// Starts the server (again) on the same port and waits until it accepts connections.
    pub fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Options for a database URL as the tests use it.
pub fn options(url: String) -> DatabaseOptions {
    DatabaseOptions {
        url,
        max_connections: 5,
        acquire_timeout: Duration::from_secs(30),
    }
}

/// A fresh, migrated SQLite database in `dir`.
pub async fn sqlite_database(dir: &tempfile::TempDir) -> Database {
    let db = Database::connect(&options(sqlite_url(&dir.path().join("dan.sqlite"))))
        .await
        .expect("sqlite");
    db.migrate().await.expect("migrations apply on SQLite");
    db
}

/// The URL of a new, empty PostgreSQL database of its own, if there is a test server.
pub async fn fresh_postgres_url() -> Option<String> {
    let admin_url = server_url("DAN_TEST_POSTGRES_URL")?;
    let admin = Database::connect(&options(admin_url.clone()))
        .await
        .expect("connect to the test PostgreSQL");
    let name = format!("dan_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .connection()
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    admin.close().await.expect("close");
    let mut url = url::Url::parse(&admin_url).expect("DAN_TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    Some(url.to_string())
}

/// A fresh, migrated PostgreSQL database, if there is a test server.
pub async fn postgres_database() -> Option<Database> {
    let url = fresh_postgres_url().await?;
    let db = Database::connect(&options(url))
        .await
        .expect("connect to the test database");
    db.migrate().await.expect("migrations apply on PostgreSQL");
    Some(db)
}

/// Declares each named `async fn(Database)` as a test on SQLite and on PostgreSQL, in modules
/// `sqlite` and `postgres`, so the test output shows each backend.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let db = $crate::support::sqlite_database(&dir).await;
                    super::$name(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::support::postgres_database().await else { return };
                    super::$name(db).await;
                }
            )*
        }
    };
}
