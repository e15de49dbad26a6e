//! Starting a node: connect to the database, apply or check migrations, open the short-lived
//! store, seed demo data when asked, then serve until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::citizens::CitizenDirectory;
use crate::client_auth::ClientAuthenticator;
use crate::clock::Clock;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::database::{Backend, Database, StorageError, redact_url};
use crate::ephemeral::{EphemeralStore, MemoryStore, RedisStore, StoreError};
use crate::http::AppState;
use crate::keys::KeyRing;
use crate::login::Logins;
use crate::otp::Otp;
use crate::provider::{Provider, Settings};
use crate::secrets::Secrets;
use crate::sessions::Sessions;
use crate::sms::{HttpGateway, HttpGatewayConfig, Outbox, SmsGateway};
use crate::tokens::Tokens;

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
    /// The key-encryption or hash key could not be loaded.
    #[error("cannot load the provider's keys: {0}")]
    Secrets(#[from] crate::secrets::SecretsError),
    /// The signing keys could not be generated or opened (a wrong key-encryption key, say).
    #[error("cannot open the signing keys: {0}")]
    Keys(#[from] crate::keys::KeyError),
    /// The passkey settings are unusable (production only; development goes on without
    /// passkeys).
    #[error("the passkey settings are not usable (IDP_PASSKEY_*): {0}")]
    Passkeys(crate::passkeys::PasskeyError),
    /// The SMS gateway settings are unusable.
    #[error("the SMS gateway settings are not usable (IDP_SMS_*): {0}")]
    Sms(crate::sms::SmsError),
}

/// A prepared node, not yet listening.
pub struct Node {
    /// What the handlers share.
    pub state: AppState,
    /// The OpenID Provider.
    pub provider: Arc<Provider>,
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
    open_store_with_clock(config, Arc::new(SystemClock))
}

/// The short-lived store the configuration names; the in-process store expires by `clock`.
pub fn open_store_with_clock(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn EphemeralStore>, StartError> {
    Ok(match &config.redis_url {
        Some(url) => Arc::new(
            RedisStore::new(url, &config.redis_prefix, config.backend_timeout)
                .map_err(StartError::Store)?,
        ),
        None => Arc::new(MemoryStore::new(config.store_max_entries, clock)),
    })
}

/// Prepares a node: database, migrations, store, demo data.
pub async fn prepare(config: &Config, migrate: bool) -> Result<Node, StartError> {
    prepare_with_clock(config, migrate, Arc::new(SystemClock)).await
}

/// [`prepare`] with an injected clock (tests move time with a `ManualClock`).
pub async fn prepare_with_clock(
    config: &Config,
    migrate: bool,
    clock: Arc<dyn Clock>,
) -> Result<Node, StartError> {
    let (database, migrations_applied) = open_database(config, migrate).await?;
    let database = database.with_clock(clock.clone());
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
    let store = open_store_with_clock(config, clock.clone())?;
    let provider = Arc::new(build_provider(config, &database, store.clone(), clock).await?);
    if config.demo_data {
        crate::http::seed_demo_client(&database.clients(), &config.issuer)
            .await
            .map_err(StartError::Demo)?;
    }
    spawn_key_reload(provider.clone());
    Ok(Node {
        provider,
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

/// The OpenID Provider on `database` and `store`, as the configuration describes it.
pub async fn build_provider(
    config: &Config,
    database: &Database,
    store: Arc<dyn EphemeralStore>,
    clock: Arc<dyn Clock>,
) -> Result<Provider, StartError> {
    let secrets = Arc::new(Secrets::load(config)?);
    let lifetimes = config.lifetimes;
    let oidc = Arc::new(database.oidc());
    let publish_retired_for =
        lifetimes.access_token.max(lifetimes.id_token) + std::time::Duration::from_secs(300);
    let keys = Arc::new(
        KeyRing::open(
            oidc.clone(),
            secrets.kek.clone(),
            clock.clone(),
            publish_retired_for,
        )
        .await?,
    );
    let outbox = config.dev_outbox.then(|| Arc::new(Outbox::new()));
    let gateway: Arc<dyn SmsGateway> = match (&outbox, &config.sms) {
        (Some(outbox), _) => outbox.clone(),
        (None, Some(sms)) => {
            let mut settings = HttpGatewayConfig::new(sms.url.clone(), sms.body_template.clone());
            settings.auth_header = sms.auth_header.clone();
            settings.content_type = sms.content_type.clone();
            settings.timeout = sms.timeout;
            settings.retries = sms.retries;
            Arc::new(HttpGateway::new(settings).map_err(StartError::Sms)?)
        }
        // Refused in production by the configuration; in development, the outbox is off on
        // purpose: codes are drawn and never delivered.
        (None, None) => Arc::new(Outbox::new()),
    };
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| StartError::Sms(crate::sms::SmsError::Config(e.to_string())))?;
    let audit = Arc::new(crate::audit::AuditLog::start(
        Arc::new(database.audit()),
        (*secrets).clone(),
        clock.clone(),
    ));
    let clients: Arc<dyn crate::clients::ClientRegistry> = Arc::new(
        crate::clients::CachedRegistry::new(Arc::new(database.clients()), Duration::from_secs(5)),
    );
    let statistics = crate::statistics::Statistics::new(store.clone(), clock.clone());
    let registrations = Arc::new(crate::registration::Registrations::new(
        Arc::new(database.registrations()),
        clients.clone(),
        audit.clone(),
        clock.clone(),
        config.issuer.clone(),
    ));
    let authenticators = crate::authenticators::Authenticators::new(
        Arc::new(database.authenticators()),
        secrets.kek.clone(),
        clock.clone(),
    );
    let passkeys = passkeys(config, database, store.clone(), clock.clone())?;
    let digital_id = crate::digital_id::DigitalId::new(
        Arc::new(database.digital_id_devices()),
        store.clone(),
        clock.clone(),
    );
    Ok(Provider {
        passkeys,
        digital_id,
        authenticators,
        registrations,
        statistics,
        settings: Settings {
            issuer: config.issuer.clone(),
            lifetimes,
            login_rate_per_ip: config.login_rate_per_ip,
            authorize_rate_per_ip: config.authorize_rate_per_ip,
            trusted_proxies: config.trusted_proxies.clone().unwrap_or_default(),
            secure_cookies: !config.insecure_cookies,
            demo: config.demo_data,
        },
        citizens: Arc::new(crate::citizens::CachedDirectory::new(
            Arc::new(database.citizens()),
            Duration::from_secs(5),
        )),
        consents: oidc.clone(),
        tokens: Tokens::new(
            config.issuer.clone(),
            lifetimes,
            keys,
            secrets.clone(),
            oidc,
            store.clone(),
            clock.clone(),
        ),
        sessions: Sessions::new(store.clone(), clock.clone(), lifetimes.session),
        logins: Logins::new(store.clone(), lifetimes.login),
        otp: Otp::new(store.clone(), gateway, secrets, clock.clone()),
        client_auth: ClientAuthenticator::new(
            clients.clone(),
            store.clone(),
            clock.clone(),
            http.clone(),
            config.issuer.clone(),
        ),
        clients,
        outbox,
        store,
        clock,
        http,
        audit,
    })
}

/// The admin plane of a node: its administrators, the node's (cached) client registry and
/// citizen directory, keys, sessions and audit trail.
pub fn admin_plane(node: &Node) -> crate::admin_plane::AdminPlane {
    crate::admin_plane::AdminPlane {
        admins: crate::admins::Admins::new(
            Arc::new(node.state.database.admins()),
            node.provider.clock.clone(),
        ),
        // The node's cached registry: a change is seen by this node at once, by the others
        // within the cache's 5 s.
        clients: node.provider.clients.clone(),
        registrations: node.provider.registrations.clone(),
        keys: node.provider.tokens.keys().clone(),
        audit: node.provider.audit.clone(),
        clock: node.provider.clock.clone(),
        citizens: node.provider.citizens.clone(),
        provider: node.provider.clone(),
        statistics: node.provider.statistics.clone(),
        session_lifetime: node.provider.settings.lifetimes.session,
        store: node.state.store.clone(),
    }
}

/// Reloads the signing keys every minute, so a rotation on one node reaches every node.
fn spawn_key_reload(provider: Arc<Provider>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(error) = provider.tokens.keys().reload().await {
                tracing::warn!(%error, "cannot reload the signing keys");
            }
        }
    });
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
        lines.push(format!(
            "  try it       {}/try   (log in with a demo registry number)",
            config.issuer
        ));
    }
    if node.provider.outbox.is_some() {
        lines.push(format!(
            "  SMS codes    printed here and listed at {}/dev/outbox",
            config.issuer
        ));
    }
    lines.push(format!(
        "  discovery    {}/.well-known/openid-configuration",
        config.issuer
    ));
    lines.push(format!(
        "  health       http://{public}/healthz   readiness http://{public}/readyz"
    ));
    lines.join("\n")
}

/// The passkey service, for the relying party the configuration names (the issuer's host and
/// origin by default). A development issuer on a plain-http address other than `localhost`
/// cannot use WebAuthn (browsers refuse it outside a secure context): DAN then runs without
/// passkeys and says so. In production an unusable setting stops the start.
fn passkeys(
    config: &Config,
    database: &Database,
    store: Arc<dyn EphemeralStore>,
    clock: Arc<dyn Clock>,
) -> Result<Option<crate::passkeys::Passkeys>, StartError> {
    let issuer = url::Url::parse(&config.issuer).ok();
    let origin = match &config.passkey_origin {
        Some(origin) => url::Url::parse(origin).ok(),
        None => issuer.as_ref().map(|i| {
            let mut origin = i.clone();
            origin.set_path("");
            origin
        }),
    };
    let rp_id = config.passkey_rp_id.clone().or_else(|| {
        issuer
            .as_ref()
            .and_then(|i| i.host_str().map(str::to_owned))
    });
    let production = config.environment == crate::config::Environment::Production;
    let built = match (rp_id, origin) {
        (Some(_), Some(origin)) if production && origin.scheme() != "https" => {
            Err(crate::passkeys::PasskeyError::Unavailable(format!(
                "the passkey origin {origin} is not https, which production requires"
            )))
        }
        (Some(rp_id), Some(origin)) => crate::passkeys::Passkeys::new(
            &rp_id,
            "DAN",
            &origin,
            Arc::new(database.passkeys()),
            store,
            clock,
        ),
        _ => Err(crate::passkeys::PasskeyError::Unavailable(
            "IDP_PASSKEY_ORIGIN is not a URL".to_owned(),
        )),
    };
    match built {
        Ok(passkeys) => Ok(Some(passkeys)),
        Err(error) if !production => {
            tracing::warn!(%error, "passkeys are off: the issuer is not a secure context");
            Ok(None)
        }
        Err(error) => Err(StartError::Passkeys(error)),
    }
}
