//! The real `idp` binary as an operator runs it: the embedded default with no configuration,
//! restarts that keep the data, the citizen import's exit codes, refusals at start, and a node
//! on PostgreSQL and Redis.
//!
//! Every test runs in a folder of its own, with `IDP_LISTEN=127.0.0.1:0` so the system picks
//! the port; the address is read from the banner's `  listening on http://ADDR` line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

const IDP: &str = env!("CARGO_BIN_EXE_idp");

/// Longest a one-shot command (migrate, import, a refused start) may run.
const COMMAND_DEADLINE: Duration = Duration::from_secs(60);
/// Longest a server may take to print its banner, or to become ready.
const START_DEADLINE: Duration = Duration::from_secs(30);
/// Longest a server may take to stop after SIGTERM.
const STOP_DEADLINE: Duration = Duration::from_secs(15);

/// A folder of one test: the working directory of every process it starts, with the data
/// folder `data/` inside.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    /// `idp ARGS` in this folder, with no `IDP_*` variable from the test's own environment,
    /// `IDP_DATA_DIR` set to the data folder and `IDP_LISTEN` to a port of the system's choice.
    fn idp(&self, args: &[&str]) -> Command {
        let mut command = Command::new(IDP);
        command
            .args(args)
            .current_dir(self.path())
            .kill_on_drop(true)
            .stdin(Stdio::null());
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("IDP_")) {
            command.env_remove(name);
        }
        command
            .env("IDP_DATA_DIR", self.data_dir())
            .env("IDP_LISTEN", "127.0.0.1:0")
            .env("IDP_ADMIN_LISTEN", "127.0.0.1:0");
        command
    }

    /// Runs a command to its end (killed after the deadline) and returns its output.
    async fn run(&self, mut command: Command) -> Output {
        let run = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output();
        tokio::time::timeout(COMMAND_DEADLINE, run)
            .await
            .unwrap_or_else(|_| panic!("{command:?} did not finish within {COMMAND_DEADLINE:?}"))
            .expect("run idp")
    }

    /// Starts a server and waits for its banner. Its log goes to a file in the folder.
    async fn start(&self, mut command: Command) -> RunningIdp {
        let log = self
            .path()
            .join(format!("server-{}.log", uuid::Uuid::new_v4().simple()));
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start idp");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut server = RunningIdp {
            child,
            stdout,
            log,
            banner: Vec::new(),
        };
        server.read_banner().await;
        server
    }
}

/// A running `idp serve`, killed when dropped (`kill_on_drop`).
struct RunningIdp {
    child: Child,
    /// Kept open: the server may still write to standard output.
    stdout: Lines<BufReader<ChildStdout>>,
    log: PathBuf,
    banner: Vec<String>,
}

impl RunningIdp {
    /// Reads standard output up to the banner's last line (`  health …`).
    async fn read_banner(&mut self) {
        let deadline = tokio::time::Instant::now() + START_DEADLINE;
        loop {
            let line = match tokio::time::timeout_at(deadline, self.stdout.next_line()).await {
                Ok(Ok(Some(line))) => line,
                Ok(Ok(None)) => panic!(
                    "idp exited before its banner was complete:\n{}",
                    self.report()
                ),
                Ok(Err(err)) => panic!("cannot read idp's output: {err}"),
                Err(_) => panic!(
                    "no complete banner within {START_DEADLINE:?}:\n{}",
                    self.report()
                ),
            };
            let last = line.starts_with("  health");
            self.banner.push(line);
            if last {
                return;
            }
        }
    }

    fn banner_text(&self) -> String {
        self.banner.join("\n")
    }

    /// What the server printed so far, for failure messages.
    fn report(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!("--- stdout\n{}\n--- log\n{log}", self.banner_text())
    }

    /// The address of the `  listening on http://ADDR` line.
    fn address(&self) -> String {
        self.banner
            .iter()
            .find_map(|line| line.strip_prefix("  listening on http://"))
            .unwrap_or_else(|| panic!("no listening line in the banner:\n{}", self.banner_text()))
            .to_owned()
    }

    /// Polls `/readyz` until it answers 200, and returns its body.
    async fn wait_until_ready(&self) -> serde_json::Value {
        self.wait_for_readyz(reqwest::StatusCode::OK).await
    }

    /// Polls `/readyz` until it answers `status`, and returns its body.
    async fn wait_for_readyz(&self, status: reqwest::StatusCode) -> serde_json::Value {
        let url = format!("http://{}/readyz", self.address());
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            let last = match client.get(&url).send().await {
                Ok(response) if response.status() == status => {
                    return response.json().await.expect("/readyz answers JSON");
                }
                Ok(response) => format!("status {}", response.status()),
                Err(err) => err.to_string(),
            };
            assert!(
                Instant::now() < deadline,
                "/readyz not {status} within {START_DEADLINE:?} ({last}):\n{}",
                self.report()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM and waits for the process to exit.
    async fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().expect("idp is running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        match tokio::time::timeout(STOP_DEADLINE, self.child.wait()).await {
            Ok(status) => status.expect("wait for idp"),
            Err(_) => panic!(
                "idp did not stop within {STOP_DEADLINE:?} of SIGTERM:\n{}",
                self.report()
            ),
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---- the embedded default ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_default_starts_without_configuration_and_stops_on_sigterm() {
    let sandbox = Sandbox::new();
    let mut command = sandbox.idp(&[]);
    // No configuration at all beyond a free port: the data folder is ./data by default.
    command.env_remove("IDP_DATA_DIR");
    let server = sandbox.start(command).await;
    let banner = server.banner_text();
    assert!(banner.contains("(created)"), "{banner}");
    assert!(banner.contains("  store        in-process"), "{banner}");

    let ready = server.wait_until_ready().await;
    assert_eq!(
        ready,
        serde_json::json!({ "status": "ready", "database": "ok", "store": "ok" })
    );

    let status = server.terminate().await;
    assert_eq!(status.code(), Some(0), "SIGTERM is a clean stop: {status}");
    assert!(
        sandbox.data_dir().join("dan.sqlite").is_file(),
        "the data folder holds dan.sqlite"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_reuses_the_data_and_counts_imported_citizens() {
    let sandbox = Sandbox::new();
    let first = sandbox.start(sandbox.idp(&[])).await;
    let banner = first.banner_text();
    assert!(
        banner.contains("(created)") && banner.contains("  citizens     3"),
        "{banner}"
    );
    // Stopped once ready: SIGTERM in the instant between the banner and the server loop is
    // not yet handled (see `shutdown_signal` in src/cli.rs).
    first.wait_until_ready().await;
    assert_eq!(first.terminate().await.code(), Some(0));

    let generated = sandbox
        .run(sandbox.idp(&[
            "citizens",
            "generate",
            "--count",
            "50",
            "--out",
            "citizens.csv",
            "--seed",
            "7",
        ]))
        .await;
    assert!(
        generated.status.success(),
        "generate: {}",
        text(&generated.stderr)
    );
    let imported = sandbox
        .run(sandbox.idp(&["citizens", "import", "citizens.csv"]))
        .await;
    assert!(
        imported.status.success(),
        "import: {}",
        text(&imported.stderr)
    );
    assert!(
        text(&imported.stdout).contains("53 citizens stored"),
        "{}",
        text(&imported.stdout)
    );

    let second = sandbox.start(sandbox.idp(&[])).await;
    let banner = second.banner_text();
    assert!(banner.contains("(existing)"), "{banner}");
    assert!(
        banner.contains("  citizens     53"),
        "3 demo + 50 imported: {banner}"
    );
    second.wait_until_ready().await;
    assert_eq!(second.terminate().await.code(), Some(0));
}

// ---- the citizen import --------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_with_a_bad_row_exits_3_naming_the_line_but_never_the_registry_number() {
    let sandbox = Sandbox::new();
    let bad_registry_number = "ТА80041523";
    std::fs::write(
        sandbox.path().join("extract.csv"),
        format!(
            "registry_number,family_name,given_name,gender\n\
             УБ90010155,Жишээ,Бат-Туршилт,male\n\
             {bad_registry_number},Жишээ,Сараа-Туршилт,unknown\n\
             ДА85122326,Жишээ,Номин-Туршилт,female\n"
        ),
    )
    .unwrap();

    let output = sandbox
        .run(sandbox.idp(&["citizens", "import", "extract.csv"]))
        .await;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(3),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.contains("rejected line 3"),
        "the bad row's line is named:\n{stderr}"
    );
    assert!(
        stderr.contains("gender"),
        "the bad column is named:\n{stderr}"
    );
    assert!(
        stdout.contains("2 new") && stdout.contains("1 rejected"),
        "{stdout}"
    );
    for (name, output) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !output.contains(bad_registry_number),
            "{name} echoes the registry number:\n{output}"
        );
    }
}

// ---- refusals at start -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_with_the_defaults_refuses_to_start_naming_each_variable() {
    let sandbox = Sandbox::new();
    let mut command = sandbox.idp(&[]);
    command.env("IDP_ENV", "production");
    let output = sandbox.run(command).await;
    let stderr = text(&output.stderr);
    assert!(
        !output.status.success(),
        "production started with development defaults"
    );
    for variable in ["IDP_ISSUER", "IDP_DATABASE_URL", "IDP_REDIS_URL"] {
        assert!(
            stderr.contains(variable),
            "{variable} is not named:\n{stderr}"
        );
    }
    assert!(
        !text(&output.stdout).contains("listening"),
        "nothing listened"
    );
    assert!(!sandbox.data_dir().exists(), "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_a_prompt_clear_error_not_a_panic() {
    let sandbox = Sandbox::new();
    let mut command = sandbox.idp(&[]);
    // Nothing listens on port 1.
    command.env(
        "IDP_DATABASE_URL",
        "postgres://dan:s3cret-password@127.0.0.1:1/none",
    );
    let started = Instant::now();
    let output = sandbox.run(command).await;
    let stderr = text(&output.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert!(!output.status.success());
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !stderr.contains("s3cret-password"),
        "the password is printed:\n{stderr}"
    );
}

// ---- PostgreSQL and Redis --------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_and_redis_serve_waits_for_idp_migrate_then_starts_ready() {
    let Some(redis_url) = support::redis_url() else {
        return;
    };
    let Some(database_url) = support::fresh_postgres_url().await else {
        return;
    };
    let sandbox = Sandbox::new();
    let on_servers = |args: &[&str]| {
        let mut command = sandbox.idp(args);
        command
            .env("IDP_DATABASE_URL", &database_url)
            .env("IDP_REDIS_URL", &redis_url);
        command
    };

    let refused = sandbox.run(on_servers(&["serve"])).await;
    let stderr = text(&refused.stderr);
    assert!(
        !refused.status.success(),
        "serve started on an unmigrated database"
    );
    assert!(
        stderr.contains("idp migrate"),
        "the message says what to run:\n{stderr}"
    );

    let migrated = sandbox.run(on_servers(&["migrate"])).await;
    assert!(
        migrated.status.success(),
        "migrate: {}",
        text(&migrated.stderr)
    );
    assert!(
        text(&migrated.stdout).contains("applied"),
        "{}",
        text(&migrated.stdout)
    );

    let server = sandbox.start(on_servers(&["serve"])).await;
    let banner = server.banner_text();
    assert!(
        banner.contains("  database     PostgreSQL postgres://"),
        "{banner}"
    );
    assert!(banner.contains("  store        redis://"), "{banner}");
    let ready = server.wait_until_ready().await;
    assert_eq!(
        ready,
        serde_json::json!({ "status": "ready", "database": "ok", "store": "ok" })
    );
    assert_eq!(server.terminate().await.code(), Some(0));
    assert!(
        !sandbox.data_dir().join("dan.sqlite").exists(),
        "no SQLite file on PostgreSQL"
    );
}

/// A PostgreSQL cluster of the test's own, on a free loopback port, that the test may stop and
/// start; stopped when dropped.
struct OwnPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl OwnPostgres {
    /// Creates the cluster, or `None` (skip) when PostgreSQL is not installed.
    fn create() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .max();
        let Some(bin) = bin else {
            assert!(
                std::env::var("DAN_TEST_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "PostgreSQL is not installed: run ./scripts/test"
            );
            eprintln!("skipped: PostgreSQL is not installed");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Self { dir, bin, port };
        std::fs::create_dir(cluster.data()).unwrap();
        if Self::as_root() {
            // initdb refuses to run as root: the cluster belongs to the postgres user.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(cluster.dir.path(), std::fs::Permissions::from_mode(0o777))
                .unwrap();
            let owned = std::process::Command::new("chown")
                .args(["postgres"])
                .arg(cluster.data())
                .status()
                .unwrap();
            assert!(owned.success(), "chown postgres");
        }
        let data = cluster.data();
        cluster.pg(
            "initdb",
            &["-D", path(&data), "-U", "dan", "--auth=trust", "-E", "UTF8"],
        );
        Some(cluster)
    }

    fn as_root() -> bool {
        std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| text(&out.stdout).trim() == "0")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs a PostgreSQL program (as the postgres user when the test runs as root).
    fn pg(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program);
        let mut command = if Self::as_root() {
            let mut command = std::process::Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&exe);
            command
        } else {
            std::process::Command::new(&exe)
        };
        let out = command.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }

    fn start(&self) {
        let data = self.data();
        let log = self.dir.path().join("server.log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        self.pg(
            "pg_ctl",
            &[
                "-D",
                path(&data),
                "-l",
                path(&log),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
    }

    fn stop(&self) {
        let data = self.data();
        self.pg("pg_ctl", &["-D", path(&data), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://dan@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            let data = self.data();
            let _ = std::process::Command::new(self.bin.join("pg_ctl"))
                .args(["-D", path(&data), "-m", "immediate", "stop"])
                .status();
            let _ = std::process::Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"))
                .args(["-D", path(&data), "-m", "immediate", "stop"])
                .status();
        }
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_makes_readyz_503_and_the_node_recovers_unaided() {
    let Some(postgres) = OwnPostgres::create() else {
        return;
    };
    postgres.start();
    let sandbox = Sandbox::new();
    let on_postgres = |args: &[&str]| {
        let mut command = sandbox.idp(args);
        command
            .env("IDP_DATABASE_URL", postgres.url())
            .env("IDP_BACKEND_TIMEOUT_MS", "500");
        command
    };
    let migrated = sandbox.run(on_postgres(&["migrate"])).await;
    assert!(
        migrated.status.success(),
        "migrate: {}",
        text(&migrated.stderr)
    );
    let server = sandbox.start(on_postgres(&["serve"])).await;
    outage_and_recovery(server, "database", "store", |up| {
        if up {
            postgres.start()
        } else {
            postgres.stop()
        }
    })
    .await;
}

/// Under a ready node, stops the `failing` backend (`run(false)`): `/readyz` must turn 503
/// naming it while the `healthy` one stays ok; restarts it (`run(true)`): `/readyz` must return
/// to 200 unaided. Then the node must stop cleanly, without a panic on the way.
async fn outage_and_recovery(
    server: RunningIdp,
    failing: &str,
    healthy: &str,
    mut run: impl FnMut(bool),
) {
    server.wait_until_ready().await;
    run(false);
    let down = server
        .wait_for_readyz(reqwest::StatusCode::SERVICE_UNAVAILABLE)
        .await;
    assert_eq!(down[failing], "unavailable", "{down}");
    assert_eq!(down[healthy], "ok", "{down}");
    assert!(down["reason"].as_str().unwrap().contains(failing), "{down}");
    run(true);
    let up = server.wait_until_ready().await;
    assert_eq!(up[failing], "ok");
    let log = server.report();
    assert_eq!(server.terminate().await.code(), Some(0));
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_makes_readyz_503_and_the_node_recovers_unaided() {
    let Some(mut redis) = support::OwnRedis::start() else {
        return;
    };
    let sandbox = Sandbox::new();
    let mut command = sandbox.idp(&["serve"]);
    command
        .env("IDP_REDIS_URL", redis.url())
        .env("IDP_BACKEND_TIMEOUT_MS", "500");
    let server = sandbox.start(command).await;
    outage_and_recovery(server, "store", "database", |up| {
        if up { redis.restart() } else { redis.stop() }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_are_added_listed_and_removed_from_the_command_line_secret_shown_once() {
    let sandbox = Sandbox::new();
    let add = |extra: &[&str]| {
        let mut args = vec![
            "clients",
            "add",
            "--id",
            "tax-office",
            "--name-mn",
            "Татварын алба",
            "--name-en",
            "Tax office",
            "--redirect-uri",
            "https://tax.gov.mn/callback",
            "--json",
        ];
        args.extend_from_slice(extra);
        sandbox.idp(&args)
    };
    let added = sandbox.run(add(&[])).await;
    assert!(added.status.success(), "{}", text(&added.stderr));
    let result: serde_json::Value = serde_json::from_slice(&added.stdout).unwrap();
    assert_eq!(result["client_id"], "tax-office");
    let secret = result["client_secret"]
        .as_str()
        .expect("a secret for client_secret_basic");
    assert_eq!(secret.len(), 43);

    let again = sandbox.run(add(&[])).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already registered"),
        "{}",
        text(&again.stderr)
    );

    let refused = sandbox
        .run(sandbox.idp(&[
            "clients",
            "add",
            "--id",
            "land",
            "--name-mn",
            "Газар",
            "--name-en",
            "Land",
            "--redirect-uri",
            "http://land.gov.mn/cb",
        ]))
        .await;
    assert_eq!(refused.status.code(), Some(2), "a usage error");
    assert!(
        text(&refused.stderr).contains("loopback"),
        "{}",
        text(&refused.stderr)
    );

    let listed = sandbox
        .run(sandbox.idp(&["clients", "list", "--json"]))
        .await;
    let list = text(&listed.stdout);
    assert!(
        list.contains("\"tax-office\"") && list.contains("https://tax.gov.mn/callback"),
        "{list}"
    );
    assert!(!list.contains(secret), "the secret is never listed");

    let removed = sandbox
        .run(sandbox.idp(&["clients", "remove", "tax-office"]))
        .await;
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    let listed = sandbox
        .run(sandbox.idp(&["clients", "list", "--json"]))
        .await;
    assert_eq!(text(&listed.stdout).trim(), "[]");
}
