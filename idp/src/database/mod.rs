//! Durable storage: connecting to SQLite (the embedded default) or PostgreSQL, applying the
//! migrations of the `dan-migrations` crate, and the sea-orm implementations of the domain's
//! storage ports.
//!
//! sea-orm is the adapter for both backends: it owns the pools, transactions and migrations,
//! and builds the ordinary queries for either database. The one statement written by hand per
//! backend is the bulk upsert of citizens (see [`SqlCitizenDirectory`]). The contract suites in
//! `idp/tests/` run every port against both databases.

mod admins;
mod audit;
pub mod authenticators;
mod citizens;
mod clients;
pub mod digital_id;
mod oidc;
pub mod passkeys;
mod registration;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use dan_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, DatabaseConnection, DbErr};

pub use admins::SqlAdminStore;
pub use audit::SqlAuditStore;
pub use citizens::SqlCitizenDirectory;
pub use clients::SqlClientRegistry;
pub use oidc::SqlOidcStore;
pub use registration::SqlRegistrationStore;

use crate::clock::{Clock, SystemClock};

/// A storage failure, with nothing personal in its message.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database cannot be reached or refused the connection; retrying later may work.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database refused a statement.
    #[error("database refused the operation: {0}")]
    Rejected(String),
    /// A stored value could not be read back as the domain type it should be.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

impl StorageError {
    /// Whether the failure is about reaching the database rather than about the data.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl From<DbErr> for StorageError {
    fn from(err: DbErr) -> Self {
        use sea_orm::RuntimeErr;
        use sea_orm::sqlx::Error as Sqlx;
        let lost_connection = match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                matches!(
                    e.as_ref(),
                    Sqlx::Io(_)
                        | Sqlx::Tls(_)
                        | Sqlx::Protocol(_)
                        | Sqlx::PoolTimedOut
                        | Sqlx::PoolClosed
                        | Sqlx::WorkerCrashed
                )
            }
            _ => false,
        };
        if lost_connection {
            Self::Unavailable(err.to_string())
        } else {
            Self::Rejected(err.to_string())
        }
    }
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if DAN supports it.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// An open durable store.
#[derive(Clone)]
pub struct Database {
    connection: DatabaseConnection,
    backend: Backend,
    created: bool,
    clock: Arc<dyn Clock>,
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// `sqlite://PATH` or `postgres://...`.
    pub url: String,
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// How long a request waits for a connection before it fails (and `/readyz` says 503).
    pub acquire_timeout: Duration,
}

impl Database {
    /// Opens the database; a SQLite file and its folder are created when missing (folder mode
    /// 0700), in WAL mode.
    pub async fn connect(options: &DatabaseOptions) -> Result<Self, StorageError> {
        let backend = Backend::of_url(&options.url).ok_or_else(|| {
            StorageError::Unavailable(
                "the database URL must start with sqlite: or postgres://".into(),
            )
        })?;
        let mut connect = ConnectOptions::new(options.url.clone());
        connect
            .max_connections(options.max_connections)
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            .connect_timeout(options.acquire_timeout)
            .sqlx_logging(false);
        let mut created = false;
        if backend == Backend::Sqlite {
            let path = sqlite_path(&options.url);
            if let Some(path) = &path {
                created = !path.exists();
                if let Some(dir) = path.parent() {
                    create_private_dir(dir).map_err(|e| {
                        StorageError::Unavailable(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                if created {
                    create_private_file(path).map_err(|e| {
                        StorageError::Unavailable(format!("cannot create {}: {e}", path.display()))
                    })?;
                }
            }
            connect.map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .page_size(16_384)
                    .pragma("cache_size", "-32768")
                    .foreign_keys(true)
            });
        }
        let connection = sea_orm::Database::connect(connect).await?;
        Ok(Self {
            connection,
            backend,
            created,
            clock: Arc::new(SystemClock),
        })
    }

    /// The same database, stamping rows with `clock`'s time (tests decide the instant).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The sea-orm connection pool.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether this process created the SQLite file (false for an existing file and for
    /// PostgreSQL).
    pub fn was_created(&self) -> bool {
        self.created
    }

    /// Applies every pending migration; returns their names.
    pub async fn migrate(&self) -> Result<Vec<String>, StorageError> {
        let pending = self.pending_migrations().await?;
        Migrator::up(&self.connection, None).await?;
        Ok(pending)
    }

    /// Names of the migrations not yet applied.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StorageError> {
        Ok(Migrator::get_pending_migrations(&self.connection)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect())
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.connection
            .ping()
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))
    }

    /// The citizen directory on this database.
    pub fn citizens(&self) -> SqlCitizenDirectory {
        SqlCitizenDirectory::new(self.connection.clone(), self.clock.clone())
    }

    /// The client registry on this database.
    pub fn clients(&self) -> SqlClientRegistry {
        SqlClientRegistry::new(self.connection.clone(), self.clock.clone())
    }

    /// Administrators and their tokens on this database.
    pub fn admins(&self) -> SqlAdminStore {
        SqlAdminStore::new(self.connection.clone())
    }

    /// Citizens' authenticators on this database.
    pub fn authenticators(&self) -> authenticators::SqlAuthenticatorStore {
        authenticators::SqlAuthenticatorStore::new(self.connection.clone())
    }

    /// Citizens' passkeys on this database.
    pub fn passkeys(&self) -> passkeys::SqlPasskeyStore {
        passkeys::SqlPasskeyStore::new(self.connection.clone())
    }

    /// Citizens' Digital ID devices on this database.
    pub fn digital_id_devices(&self) -> digital_id::SqlDeviceStore {
        digital_id::SqlDeviceStore::new(self.connection.clone())
    }

    /// Dynamic client registration's tokens on this database.
    pub fn registrations(&self) -> SqlRegistrationStore {
        SqlRegistrationStore::new(self.connection.clone())
    }

    /// The audit trail on this database.
    pub fn audit(&self) -> SqlAuditStore {
        SqlAuditStore::new(self.connection.clone())
    }

    /// Signing keys, refresh tokens and consents on this database.
    pub fn oidc(&self) -> SqlOidcStore {
        SqlOidcStore::new(self.connection.clone(), self.clock.clone())
    }

    /// Closes every pooled connection (SQLite checkpoints its WAL on close).
    pub async fn close(self) -> Result<(), StorageError> {
        self.connection.close().await.map_err(StorageError::from)
    }
}

/// The file a `sqlite:` URL names, if it names one (not `:memory:`).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// The `sqlite:` URL of a file.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// A database URL with its password replaced by `***`, for printing.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Creates an empty file that only the owner may read (SQLite gives its `-wal` and `-shm`
/// files the same permissions).
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop)
}

/// Creates a folder (and its parents) that only the owner may read, where the platform allows.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite://./data/dan.sqlite?mode=rwc"),
            Some(PathBuf::from("./data/dan.sqlite"))
        );
        assert_eq!(
            sqlite_path("sqlite:/tmp/x.db"),
            Some(PathBuf::from("/tmp/x.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://h/db"), None);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://dan:s3cret@db:5432/dan"),
            "postgres://dan:***@db:5432/dan"
        );
        assert_eq!(redact_url("postgres://db/dan"), "postgres://db/dan");
    }
}
