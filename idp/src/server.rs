//! Starting a node: connect to the database, apply or check migrations, open the short-lived
//! store, seed demo data when asked, then serve until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::citizens::CitizenDirectory;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::database::{Backend, Database, StorageError, redact_url};
use crate::ephemeral::{EphemeralStore, MemoryStore, RedisStore, StoreError};
use crate::http::AppState;

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened.
    #[error("cannot open the database {url}: {source}")]
    Database {
        /// The URL, password redacted.
        url: String,
        /// Why.
        source: StorageError,
    },
    /// The schema is behind the code and migrations are not applied automatically.
    #[error(
        "the database schema is behind ({0} migration(s) pending): run `idp migrate`, \
         or start with `idp serve --migrate`"
    )]
    PendingMigrations(usize),
    /// The short-lived store could not be set up.
    #[error("cannot set up the short-lived store: {0}")]
    Store(StoreError),
    /// Seeding demo data failed.
    #[error("cannot store the demo citizens: {0}")]
    Demo(StorageError),
}

/// A prepared node, not yet listening.
pub struct Node {
    /// What the handlers share.
    pub state: AppState,
    /// Whether this start created the SQLite file.
    pub database_created: bool,
    /// Migrations applied by this start.
    pub migrations_applied: Vec<String>,
    /// Citizens in the directory at start.
    pub citizens: u64,
}

/// Opens the database (applying migrations when configured or `migrate` is set).
pub async fn open_database(
    config: &Config,
    migrate: bool,
) -> Result<(Database, Vec<String>), StartError> {
    let url = redact_url(&config.database_url);
    let database = Database::connect(&config.database_options())
        .await
        .map_err(|source| StartError::Database {
            url: url.clone(),
            source,
        })?;
    let applied = if migrate || config.auto_migrate {
        database
            .migrate()
            .await
            .map_err(|source| StartError::Database { url, source })?
    } else {
        let pending = database
            .pending_migrations()
            .await
            .map_err(|source| StartError::Database { url, source })?;
        if !pending.is_empty() {
            return Err(StartError::PendingMigrations(pending.len()));
        }
        Vec::new()
    };
    Ok((database, applied))
}

/// The short-lived store the configuration names.
pub fn open_store(config: &Config) -> Result<Arc<dyn EphemeralStore>, StartError> {
    Ok(match &config.redis_url {
        Some(url) => Arc::new(
            RedisStore::new(url, &config.redis_prefix, config.backend_timeout)
                .map_err(StartError::Store)?,
        ),
        None => Arc::new(MemoryStore::new(
            config.store_max_entries,
            Arc::new(SystemClock),
        )),
    })
}

/// Prepares a node: database, migrations, store, demo data.
pub async fn prepare(config: &Config, migrate: bool) -> Result<Node, StartError> {
    let (database, migrations_applied) = open_database(config, migrate).await?;
    let database_created = database.was_created();
    let directory = database.citizens();
    if config.demo_data {
        crate::demo::seed(&directory)
            .await
            .map_err(StartError::Demo)?;
    }
    let citizens = directory
        .count()
        .await
        .map_err(|source| StartError::Database {
            url: redact_url(&config.database_url),
            source,
        })?;
    let store = open_store(config)?;
    Ok(Node {
        state: AppState {
            database,
            store,
            backend_timeout: config.backend_timeout,
        },
        database_created,
        migrations_applied,
        citizens,
    })
}

/// The lines printed when a node starts listening: where it is and what it runs on.
pub fn banner(config: &Config, node: &Node, public: SocketAddr) -> String {
    let database = match node.state.database.backend() {
        Backend::Sqlite => format!(
            "SQLite {} ({})",
            crate::database::sqlite_path(&config.database_url)
                .map_or_else(|| config.database_url.clone(), |p| p.display().to_string()),
            if node.database_created {
                "created"
            } else {
                "existing"
            }
        ),
        Backend::Postgres => format!("PostgreSQL {}", redact_url(&config.database_url)),
    };
    let mut lines = vec![
        format!(
            "DAN identity provider {} ({:?})",
            env!("CARGO_PKG_VERSION"),
            config.environment
        ),
        format!("  listening on http://{public}"),
        format!("  issuer       {}", config.issuer),
        format!("  database     {database}"),
        format!("  store        {}", node.state.store.describe()),
        format!("  citizens     {}", node.citizens),
    ];
    if !node.migrations_applied.is_empty() {
        lines.push(format!(
            "  migrations   applied {}",
            node.migrations_applied.join(", ")
        ));
    }
    if config.demo_data {
        let demo: Vec<&str> = crate::demo::DEMO_CITIZENS
            .iter()
            .map(|(rn, ..)| *rn)
            .collect();
        lines.push(format!("  demo citizens {} (synthetic)", demo.join(", ")));
    }
    lines.push(format!(
        "  health       http://{public}/healthz   readiness http://{public}/readyz"
    ));
    lines.join("\n")
}
