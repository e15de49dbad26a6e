//! Child processes of a test: found in the build's target directory, started on free loopback
//! ports, stopped (killed) when dropped, even when the test panics, with their output kept in
//! a log file that failure messages include.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// How long a process may take to become ready.
pub const START_DEADLINE: Duration = Duration::from_secs(30);

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("the OS hands out a free loopback port")
}

/// `target/<profile>/`, where Cargo put the binaries of this build.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    // target/<profile>/deps/<test binary>
    exe.ancestors()
        .nth(2)
        .expect("the test runs from target/<profile>/deps")
        .to_path_buf()
}

/// Builds the workspace's binaries and examples once per test process, so the tests never run
/// a stale `idp` (a no-op after the README's test command, which builds them first).
fn ensure_built() {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("e2e/ is inside the workspace");
        let status = std::process::Command::new(cargo)
            .args([
                "build",
                "--workspace",
                "--all-features",
                "--bins",
                "--examples",
            ])
            .arg("--locked")
            .current_dir(workspace)
            .stdin(Stdio::null())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build of the binaries failed");
    });
}

/// A built binary of the workspace (`idp`, or `examples/eservice`), built first if needed.
pub fn binary(relative: &str) -> PathBuf {
    ensure_built();
    let path = target_dir().join(relative);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace --all-features --bins --examples` \
         first (the README's test command does)",
        path.display()
    );
    path
}

/// Where a test keeps files for people to look at: `target/test-output/<name>/`, emptied.
pub fn output_dir(name: &str) -> PathBuf {
    let dir = target_dir()
        .parent()
        .expect("target/ holds the profile directory")
        .join("test-output")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test output directory");
    dir
}

/// A running child process; killed when dropped.
pub struct Process {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Process {
    /// Starts `command` with its stdout and stderr going to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("create the process log");
        let err = file.try_clone().expect("clone the log handle");
        let child = command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            name: name.to_owned(),
            child,
            log: log.to_path_buf(),
        }
    }

    /// The process's output so far, for failure messages.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `url` answers 200, failing with the process's output if it exits first
    /// or does not answer within [`START_DEADLINE`].
    pub async fn wait_until_answering(&mut self, url: &str) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("an HTTP client");
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}):\n{}", self.name, self.output());
            }
            let last = match http.get(url).send().await {
                Ok(response) if response.status().is_success() => return,
                Ok(response) => format!("status {}", response.status()),
                Err(error) => error.to_string(),
            };
            assert!(
                Instant::now() < deadline,
                "{} did not answer {url} within {START_DEADLINE:?} ({last}):\n{}",
                self.name,
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the process's output contains `text`.
    pub async fn wait_for_output(&mut self, text: &str) {
        let deadline = Instant::now() + START_DEADLINE;
        while !self.output().contains(text) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}):\n{}", self.name, self.output());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not print {text:?} within {START_DEADLINE:?}:\n{}",
                self.name,
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
