//! DAN as the tests run it: the real `idp` binary, configured through its environment, on a
//! [`Backend`]. A [`Deployment`] is one DAN (one issuer, one database, one set of keys); it can
//! run several [`Idp`] nodes, as production does behind a load balancer.

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tokio::process::Command;

use crate::processes::{Process, binary, free_port};

/// Where DAN keeps its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: SQLite under the data directory, short-lived state in process.
    Embedded,
    /// PostgreSQL (a fresh database per deployment) and Redis (a fresh key prefix), from
    /// `DAN_TEST_POSTGRES_URL` and `DAN_TEST_REDIS_URL`.
    PostgresRedis,
}

/// One DAN: its issuer, its data directory, its database and keys, shared by its nodes.
pub struct Deployment {
    /// The backend.
    pub backend: Backend,
    /// The issuer URL, `http://127.0.0.1:<port of the first node>`.
    pub issuer: String,
    issuer_port: u16,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// This deployment's PostgreSQL database, dropped at the end.
    database: Option<OwnDatabase>,
    nodes_started: std::sync::atomic::AtomicUsize,
}

/// A database of the deployment's own on the test PostgreSQL server.
struct OwnDatabase {
    /// The server's administrative URL (`DAN_TEST_POSTGRES_URL`).
    server: String,
    /// The database's name.
    name: String,
    /// The database's URL.
    url: String,
}

impl Drop for Deployment {
    /// Drops the deployment's PostgreSQL database (its nodes are stopped by then, or are
    /// disconnected by `FORCE`), so repeated runs do not pile databases up.
    fn drop(&mut self) {
        if let Some(own) = &self.database {
            let _ = std::process::Command::new(psql())
                .args([own.server.as_str(), "-q", "-c"])
                .arg(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", own.name))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

impl Deployment {
    /// Prepares a deployment: for PostgreSQL, creates its database and applies the migrations
    /// with `idp migrate`, as an operator would. `None` (skip) when the backend's servers are
    /// not configured, unless `DAN_TEST_REQUIRE_SERVERS=1`.
    pub async fn new(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let issuer_port = free_port();
        let issuer = format!("http://127.0.0.1:{issuer_port}");
        let mut database = None;
        let mut env = vec![
            ("IDP_ISSUER".to_owned(), issuer.clone()),
            (
                "IDP_DATA_DIR".to_owned(),
                dir.path().join("data").display().to_string(),
            ),
            ("IDP_LOG_FORMAT".to_owned(), "json".to_owned()),
        ];
        if backend == Backend::PostgresRedis {
            let (Ok(postgres), Ok(redis)) = (
                std::env::var("DAN_TEST_POSTGRES_URL"),
                std::env::var("DAN_TEST_REDIS_URL"),
            ) else {
                assert!(
                    !crate::servers_required(),
                    "DAN_TEST_POSTGRES_URL and DAN_TEST_REDIS_URL are needed \
                     (DAN_TEST_REQUIRE_SERVERS=1)"
                );
                eprintln!("skipped: no DAN_TEST_POSTGRES_URL / DAN_TEST_REDIS_URL");
                return None;
            };
            let name = format!("dan_e2e_{}", uuid::Uuid::new_v4().simple());
            create_database(&postgres, &name).await;
            let url = match postgres.rsplit_once('/') {
                Some((server, _)) => format!("{server}/{name}"),
                None => panic!("DAN_TEST_POSTGRES_URL has no database path"),
            };
            database = Some(OwnDatabase {
                server: postgres.clone(),
                name: name.clone(),
                url: url.clone(),
            });
            let key = |byte: u8| URL_SAFE_NO_PAD.encode([byte; 32]);
            env.extend([
                ("IDP_DATABASE_URL".to_owned(), url),
                ("IDP_REDIS_URL".to_owned(), redis),
                ("IDP_REDIS_PREFIX".to_owned(), name.clone()),
                // Every node of one DAN shares its secrets (ARCHITECTURE: stateless nodes).
                ("IDP_KEY_ENCRYPTION_KEY".to_owned(), key(7)),
                ("IDP_HASH_KEY".to_owned(), key(9)),
            ]);
        }
        let deployment = Self {
            backend,
            issuer,
            issuer_port,
            dir,
            env,
            database,
            nodes_started: std::sync::atomic::AtomicUsize::new(0),
        };
        if backend == Backend::PostgresRedis {
            let migrated = deployment.cli(&["migrate"]).await;
            assert!(
                migrated.status.success(),
                "idp migrate failed: {}",
                String::from_utf8_lossy(&migrated.stderr)
            );
        }
        Some(deployment)
    }

    /// The issuer at `http://localhost:<port>` instead of `127.0.0.1`, with passkeys for the
    /// relying party `localhost`: browsers run WebAuthn only on a domain (never an IP address)
    /// in a secure context, and `http://localhost` is one.
    pub fn on_localhost(mut self) -> Self {
        self.issuer = format!("http://localhost:{}", self.issuer_port);
        self.env.retain(|(name, _)| name != "IDP_ISSUER");
        self.env
            .push(("IDP_ISSUER".to_owned(), self.issuer.clone()));
        self
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary("idp"));
        command.args(args).current_dir(self.dir.path());
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("IDP_")) {
            command.env_remove(name);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs an `idp` command-line command against this deployment.
    pub async fn cli(&self, args: &[&str]) -> Output {
        let run = self.command(args).kill_on_drop(true).output();
        tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .unwrap_or_else(|_| panic!("idp {args:?} did not finish within 60 s"))
            .expect("run idp")
    }

    /// Registers a client with `idp clients add <args> --json`; returns its secret, if the
    /// method has one.
    pub async fn add_client(&self, args: &[&str]) -> Option<String> {
        let mut all = vec!["clients", "add", "--json"];
        all.extend_from_slice(args);
        let output = self.cli(&all).await;
        assert!(
            output.status.success(),
            "idp clients add failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let printed: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "clients add --json prints JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        });
        printed["client_secret"].as_str().map(str::to_owned)
    }

    /// Starts a node: the first one listens on the issuer's port, the others on ports of
    /// their own (as behind a load balancer, they all carry the one issuer).
    pub async fn start_node(&self, extra_env: &[(&str, &str)]) -> Idp {
        let first = self
            .nodes_started
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            == 0;
        // The first node is the issuer; the others stand beside it, as behind a balancer.
        let port = if first { self.issuer_port } else { free_port() };
        let url = format!("http://127.0.0.1:{port}");
        let admin_url = format!("http://127.0.0.1:{}", free_port());
        let mut command = self.command(&[]);
        command
            .env("IDP_LISTEN", format!("127.0.0.1:{port}"))
            .env("IDP_ADMIN_LISTEN", admin_url.trim_start_matches("http://"))
            .envs(extra_env.iter().copied());
        let log = self.dir.path().join(format!("idp-{port}.log"));
        let mut process = Process::spawn("idp", command, &log);
        process.wait_until_answering(&format!("{url}/readyz")).await;
        process
            .wait_until_answering(&format!("{admin_url}/openapi.json"))
            .await;
        Idp {
            url,
            admin_url,
            process,
            http: reqwest::Client::new(),
        }
    }

    /// Runs a SQL statement on the deployment's PostgreSQL database (tests that tamper with
    /// stored rows); `None` on the embedded backend.
    pub fn sql(&self, statement: &str) -> Option<String> {
        let own = self.database.as_ref()?;
        let output = std::process::Command::new(psql())
            .args([
                own.url.as_str(),
                "-v",
                "ON_ERROR_STOP=1",
                "-tA",
                "-c",
                statement,
            ])
            .output()
            .expect("run psql");
        assert!(
            output.status.success(),
            "{statement}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// The deployment's directory (logs, data).
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

/// `psql`, from the PATH or PostgreSQL's own directory.
fn psql() -> PathBuf {
    ["psql"]
        .into_iter()
        .map(PathBuf::from)
        .chain(
            std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path().join("bin/psql")),
        )
        .find(|path| {
            std::process::Command::new(path)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("psql is installed with PostgreSQL")
}

/// Creates a database with `psql`, from the server's administrative URL.
async fn create_database(admin_url: &str, name: &str) {
    let output = Command::new(psql())
        .args([admin_url, "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .await
        .expect("run psql");
    assert!(
        output.status.success(),
        "CREATE DATABASE failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One running `idp` node; stopped when dropped.
pub struct Idp {
    /// The node's own URL (the issuer's, for the first node).
    pub url: String,
    /// The node's admin listener.
    pub admin_url: String,
    process: Process,
    http: reqwest::Client,
}

impl Idp {
    /// `url` + `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The node's log so far, for failure messages.
    pub fn log(&self) -> String {
        self.process.output()
    }

    /// The SMS messages this node's development outbox holds for `phone`, newest first.
    pub async fn outbox(&self, phone: &str) -> Vec<Value> {
        let response = self
            .http
            .get(self.at("/dev/outbox"))
            .query(&[("to", phone)])
            .send()
            .await
            .expect("the development outbox answers");
        response.json().await.expect("the outbox is JSON")
    }

    /// Waits until `phone` has more than `seen` messages; the newest one's six-digit code.
    pub async fn new_code(&self, phone: &str, seen: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let messages = self.outbox(phone).await;
            if messages.len() > seen {
                let text = messages[0]["text"].as_str().unwrap_or_default();
                let digits: String = text
                    .chars()
                    .skip_while(|c| !c.is_ascii_digit())
                    .take(6)
                    .collect();
                assert_eq!(digits.len(), 6, "a six-digit code in the SMS {text:?}");
                return digits;
            }
            assert!(
                Instant::now() < deadline,
                "no SMS reached {phone} within 15 s:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
