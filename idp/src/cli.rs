//! The operator's command line: `idp serve` (the default), `idp migrate`,
//! `idp citizens import FILE`, `idp citizens generate --count N --out FILE`,
//! `idp clients add|list|remove`.
//!
//! Exit codes: 0 success; 1 failure (the message says why); 2 wrong usage; 3 an import that
//! finished but skipped bad rows (each reported on standard error with its line).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use idp::audit::{Actor, AuditLog, EventKind, NewEvent};
use idp::citizens::import::{self, ImportObserver, ImportOptions, Progress, Rejection};
use idp::citizens::{CitizenDirectory, synthetic};
use idp::clients::{
    AuthMethod, Client, ClientId, ClientRegistry, ClientSecret, GrantType, RedirectUri, SubjectType,
};
use idp::config::Config;
use idp::{http, server, telemetry};
use indicatif::{ProgressBar, ProgressStyle};

/// DAN — the national single sign-on (OpenID Connect provider).
#[derive(Debug, Parser)]
#[command(name = "idp", version, about, long_about = None)]
pub struct Cli {
    /// TOML configuration file; `IDP_*` environment variables override it.
    #[arg(long, global = true, env = "IDP_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the provider (the default when no command is given).
    Serve {
        /// Apply pending database migrations before serving.
        #[arg(long)]
        migrate: bool,
    },
    /// Apply pending database migrations, then exit.
    Migrate {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage the citizen directory.
    #[command(subcommand)]
    Citizens(CitizensCommand),
    /// Manage registered e-services (OpenID Connect clients) until the admin API exists.
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// List and rotate the signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage administrators and their API tokens (the first one comes from here).
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an administrator and issue their first API token, printed once.
    Create {
        /// Account name: 3 to 64 of a-z, 0-9, '.', '_' and '-'.
        #[arg(long)]
        name: String,
        /// security-admin, client-manager, auditor or registration-officer.
        #[arg(long, value_parser = |v: &str| idp::admins::Role::parse(v).ok_or("security-admin, client-manager, auditor or registration-officer"))]
        role: idp::admins::Role,
        /// What the token is for.
        #[arg(long, default_value = "first token")]
        label: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Issue another API token for an administrator, printed once.
    Token {
        /// Account name.
        #[arg(long)]
        name: String,
        /// What the token is for.
        #[arg(long)]
        label: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API token by its id (as printed when issued).
    RevokeToken {
        /// The token's id.
        #[arg(long)]
        id: String,
    },
    /// Disable an administrator: every token of theirs is refused at once.
    Disable {
        /// Account name.
        #[arg(long)]
        name: String,
    },
    /// Enable an administrator again.
    Enable {
        /// Account name.
        #[arg(long)]
        name: String,
    },
    /// List an administrator's tokens (ids, labels, expiry, revocation; never the tokens).
    Tokens {
        /// Account name.
        #[arg(long)]
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the administrators.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// List every published key with its state (next, active, retired).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rotate one algorithm's key now: next becomes active, active is retired (and stays
    /// published until its tokens have expired), a new next key is generated. Running nodes
    /// pick the change up within a minute.
    Rotate {
        /// ES256 (default), RS256 or EdDSA.
        #[arg(long, default_value = "ES256", value_parser = |v: &str| idp::jose::Algorithm::parse(v))]
        algorithm: idp::jose::Algorithm,
    },
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum ClientsCommand {
    /// Register an e-service. For secret-based methods the secret is printed once, here.
    Add {
        /// Client id: 3 to 64 of [A-Za-z0-9._-].
        #[arg(long, value_parser = |v: &str| ClientId::parse(v))]
        id: ClientId,
        /// Name shown to citizens, in Mongolian.
        #[arg(long)]
        name_mn: String,
        /// Name shown to citizens, in English.
        #[arg(long)]
        name_en: String,
        /// Redirect URI (https, or http on loopback); repeat for several.
        #[arg(long = "redirect-uri", value_parser = |v: &str| RedirectUri::parse(v))]
        redirect_uris: Vec<RedirectUri>,
        /// Post-logout redirect URI; repeat for several.
        #[arg(long = "post-logout-uri", value_parser = |v: &str| RedirectUri::parse(v))]
        post_logout_redirect_uris: Vec<RedirectUri>,
        /// Scope the client may ask for; repeat for several.
        #[arg(long = "scope", default_values_t = ["openid".to_owned()])]
        scopes: Vec<String>,
        /// Grant the client may use; repeat for several (authorization_code and refresh_token
        /// by default).
        #[arg(long = "grant-type", default_values_t = [GrantType::AuthorizationCode, GrantType::RefreshToken], value_parser = |v: &str| GrantType::parse(v))]
        grant_types: Vec<GrantType>,
        /// client_secret_basic, client_secret_post, private_key_jwt or none (public client).
        #[arg(long, default_value = "client_secret_basic", value_parser = |v: &str| AuthMethod::parse(v))]
        auth_method: AuthMethod,
        /// Give this client the same `sub` as every other public client (pairwise otherwise).
        #[arg(long)]
        public_subject: bool,
        /// Sector for pairwise subjects; needed when redirect URIs are on several hosts.
        #[arg(long)]
        sector_identifier: Option<String>,
        /// The client's JWK Set URL (https), for private_key_jwt.
        #[arg(long)]
        jwks_uri: Option<String>,
        /// A file holding the client's JWK Set, for private_key_jwt without a URL.
        #[arg(long)]
        jwks_file: Option<PathBuf>,
        /// An audience (resource server URL) its client_credentials tokens may name; repeat
        /// for several. A resource server lists its own URL to introspect tokens meant for it.
        #[arg(long = "audience")]
        audiences: Vec<String>,
        /// Algorithm of the client's ID tokens: ES256 (default), RS256 or EdDSA.
        #[arg(long, value_parser = |v: &str| idp::jose::Algorithm::parse(v))]
        id_token_alg: Option<idp::jose::Algorithm>,
        /// Where back-channel logout tokens are posted (https).
        #[arg(long)]
        backchannel_logout_uri: Option<String>,
        /// Authorization requests must come through PAR (RFC 9126).
        #[arg(long)]
        require_par: bool,
        /// A first-party service: citizens are not asked for consent.
        #[arg(long)]
        skip_consent: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List registered e-services.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an e-service.
    Remove {
        /// Client id.
        #[arg(value_parser = |v: &str| ClientId::parse(v))]
        id: ClientId,
    },
}

#[derive(Debug, Subcommand)]
enum CitizensCommand {
    /// Import a registry extract (CSV with a header row, or JSON Lines); idempotent.
    Import {
        /// The extract.
        file: PathBuf,
        /// File format; guessed from the extension (.csv, .jsonl, .ndjson) when omitted.
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
        /// Rows per transaction. Larger batches import faster (each is sorted by registry
        /// number before it is written) and hold more rows in memory.
        #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch_size: u32,
        /// Print the summary as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Write synthetic citizens (obviously fake names, unique registry numbers) for tests and
    /// benchmarks.
    Generate {
        /// How many citizens.
        #[arg(long)]
        count: u64,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Seed: the same seed gives the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// File format; guessed from the extension when omitted.
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FileFormat {
    Csv,
    Jsonl,
}

impl FileFormat {
    fn resolve(choice: Option<Self>, path: &Path) -> anyhow::Result<import::Format> {
        match choice {
            Some(Self::Csv) => Ok(import::Format::Csv),
            Some(Self::Jsonl) => Ok(import::Format::Jsonl),
            None => import::Format::from_path(path).with_context(|| {
                format!("cannot tell the format of {} from its extension: pass --format csv or --format jsonl", path.display())
            }),
        }
    }
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = cli.command.unwrap_or(Command::Serve { migrate: false });
    let load = || -> anyhow::Result<Config> {
        let config = Config::from_process(cli.config.as_deref())?;
        telemetry::init(&config.log_filter, config.log_format);
        Ok(config)
    };
    match command {
        Command::Serve { migrate } => serve(&load()?, migrate).await,
        Command::Migrate { json } => migrate(&load()?, json).await,
        Command::Citizens(CitizensCommand::Import {
            file,
            format,
            batch_size,
            json,
        }) => {
            let options = ImportOptions {
                format: FileFormat::resolve(format, &file)?,
                batch_size: batch_size as usize,
            };
            import_citizens(&load()?, &file, options, json).await
        }
        Command::Clients(command) => clients(&load()?, command).await,
        Command::Keys(command) => keys(&load()?, command).await,
        Command::Admin(command) => admin(&load()?, command).await,
        // Needs no configuration.
        Command::Citizens(CitizensCommand::Generate {
            count,
            out,
            seed,
            format,
        }) => generate(count, &out, seed, FileFormat::resolve(format, &out)?),
    }
}

async fn serve(config: &Config, migrate: bool) -> anyhow::Result<ExitCode> {
    // Signal handlers first: a SIGTERM from here on stops the node cleanly.
    let shutdown = shutdown_signal().context("cannot install the signal handlers")?;
    let node = server::prepare(config, migrate).await?;
    let listener = http::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (IDP_LISTEN)", config.listen))?;
    let admin_listener = http::bind(config.admin_listen).await.with_context(|| {
        format!(
            "cannot listen on {} (IDP_ADMIN_LISTEN)",
            config.admin_listen
        )
    })?;
    println!("{}", server::banner(config, &node, listener.local_addr));
    println!(
        "  admin API    http://{}/api/v1   (document at /openapi.json)",
        admin_listener.local_addr
    );
    let app = http::routes(
        node.state.clone(),
        node.provider.clone(),
        http::edge_policy(config),
    );
    let admin_app = dan_admin::routes(
        std::sync::Arc::new(server::admin_plane(&node)),
        dan_admin::ConsoleOptions {
            secure_cookies: !config.insecure_cookies,
        },
    );
    tracing::info!(address = %listener.local_addr, admin = %admin_listener.local_addr, "serving");
    // One signal stops both listeners.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    let (public, admin) = tokio::join!(
        http::serve(listener, app, until_stopped(stopped.clone())),
        http::serve(admin_listener, admin_app, until_stopped(stopped)),
    );
    public.context("the server stopped")?;
    admin.context("the admin server stopped")?;
    tracing::info!("stopped; closing the database");
    node.state.database.close().await?;
    Ok(ExitCode::SUCCESS)
}

/// Installs the SIGINT (Ctrl-C) and SIGTERM handlers now, and returns a future that completes
/// on either.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("interrupt received, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
    })
}

async fn migrate(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let (database, applied) = server::open_database(config, true).await?;
    database.close().await?;
    if json {
        println!("{}", serde_json::json!({ "applied": applied }));
    } else if applied.is_empty() {
        println!("the database schema is up to date");
    } else {
        println!(
            "applied {} migration(s): {}",
            applied.len(),
            applied.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Records what an operator did from the command line in the audit trail; the actor is
/// `admin:cli:<OS user>` until admin accounts exist.
async fn audit_cli(
    config: &Config,
    database: &idp::database::Database,
    event: impl FnOnce(Actor) -> NewEvent,
) -> anyhow::Result<()> {
    let secrets = idp::secrets::Secrets::load(config)?;
    let audit = AuditLog::start(
        std::sync::Arc::new(database.audit()),
        secrets,
        std::sync::Arc::new(idp::clock::SystemClock),
    );
    // Only a plain user name goes into the trail.
    let user: String = std::env::var("USER")
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .take(32)
        .collect();
    let user = if user.is_empty() {
        "unknown".to_owned()
    } else {
        user
    };
    audit
        .record(event(Actor::Admin(format!("cli:{user}"))))
        .await
        .context("cannot write the audit trail")?;
    Ok(())
}

async fn clients(config: &Config, command: ClientsCommand) -> anyhow::Result<ExitCode> {
    let (database, _) = server::open_database(config, false).await?;
    let registry = database.clients();
    let code = match command {
        ClientsCommand::Add {
            id,
            name_mn,
            name_en,
            redirect_uris,
            post_logout_redirect_uris,
            scopes,
            grant_types,
            auth_method,
            public_subject,
            sector_identifier,
            jwks_uri,
            jwks_file,
            audiences,
            id_token_alg,
            backchannel_logout_uri,
            require_par,
            skip_consent,
            json,
        } => {
            let secret = auth_method
                .uses_secret()
                .then(ClientSecret::generate)
                .transpose()
                .context("cannot draw a random secret")?;
            let jwks = jwks_file
                .map(|path| -> anyhow::Result<serde_json::Value> {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    serde_json::from_str(&text)
                        .with_context(|| format!("{} is not JSON", path.display()))
                })
                .transpose()?;
            let client = Client {
                id,
                name_mn,
                name_en,
                redirect_uris,
                post_logout_redirect_uris,
                allowed_scopes: scopes,
                grant_types,
                auth_method,
                secret_hash: secret.as_ref().map(ClientSecret::hash),
                subject_type: if public_subject {
                    SubjectType::Public
                } else {
                    SubjectType::Pairwise
                },
                sector_identifier,
                jwks_uri,
                jwks,
                id_token_signing_alg: id_token_alg,
                audiences,
                backchannel_logout_uri,
                require_par,
                skip_consent,
                enabled: true,
                previous_secret: None,
                revision: 0,
            };
            client.check()?;
            if !registry.create(&client).await? {
                bail!("a client with id {} is already registered", client.id);
            }
            audit_cli(config, &database, |actor| {
                NewEvent::new(EventKind::AdminAction, actor)
                    .client(&client.id)
                    .detail("action", "client.create")
            })
            .await?;
            let shown = secret.as_ref().map(ClientSecret::expose);
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "client_id": client.id, "client_secret": shown })
                );
            } else {
                println!("registered {}", client.id);
                if let Some(secret) = shown {
                    println!("client secret (shown once, stored only as a digest): {secret}");
                }
            }
            ExitCode::SUCCESS
        }
        ClientsCommand::List { json } => {
            let clients = registry.list().await?;
            if json {
                let listed: Vec<_> = clients
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "client_id": c.id, "name_mn": c.name_mn, "name_en": c.name_en,
                            "redirect_uris": c.redirect_uris, "auth_method": c.auth_method,
                            "enabled": c.enabled,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(listed));
            } else {
                for c in &clients {
                    let uris: Vec<&str> = c.redirect_uris.iter().map(RedirectUri::as_str).collect();
                    println!(
                        "{}\t{}\t{}\t{}",
                        c.id,
                        c.name_en,
                        c.auth_method.as_str(),
                        uris.join(" ")
                    );
                }
            }
            ExitCode::SUCCESS
        }
        ClientsCommand::Remove { id } => {
            if !registry.delete(&id).await? {
                bail!("no client with id {id}");
            }
            audit_cli(config, &database, |actor| {
                NewEvent::new(EventKind::AdminAction, actor)
                    .client(&id)
                    .detail("action", "client.delete")
            })
            .await?;
            println!("removed {id}");
            ExitCode::SUCCESS
        }
    };
    database.close().await?;
    Ok(code)
}

async fn admin(config: &Config, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let (database, _) = server::open_database(config, false).await?;
    let admins = idp::admins::Admins::new(
        std::sync::Arc::new(database.admins()),
        std::sync::Arc::new(idp::clock::SystemClock),
    );
    let days = |d: u32| std::time::Duration::from_secs(u64::from(d) * 86_400);
    let print_token =
        |token: &idp::admins::IssuedToken, record: &idp::admins::TokenRecord, json: bool| {
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "name": record.admin_name, "token": token.expose(), "token_id": record.id,
                        "expires_at": record.expires_at,
                    })
                );
            } else {
                println!(
                    "token id {} for {}, expires {}",
                    record.id, record.admin_name, record.expires_at
                );
                println!(
                    "API token (shown once, stored only as a digest): {}",
                    token.expose()
                );
            }
        };
    match command {
        AdminCommand::Create {
            name,
            role,
            label,
            days: ttl,
            json,
        } => {
            let account = admins.create(&name, role, None).await?;
            let (token, record) = admins.issue_token(&name, &label, days(ttl)).await?;
            audit_cli(config, &database, |actor| {
                NewEvent::new(EventKind::AdminAction, actor)
                    .detail("action", "admin.create")
                    .detail("admin", account.name.as_str())
                    .detail("role", role.as_str())
                    .detail("token_id", record.id.as_str())
            })
            .await?;
            print_token(&token, &record, json);
        }
        AdminCommand::Token {
            name,
            label,
            days: ttl,
            json,
        } => {
            let (token, record) = admins.issue_token(&name, &label, days(ttl)).await?;
            audit_cli(config, &database, |actor| {
                NewEvent::new(EventKind::AdminAction, actor)
                    .detail("action", "admin.token.issue")
                    .detail("admin", name.as_str())
                    .detail("token_id", record.id.as_str())
            })
            .await?;
            print_token(&token, &record, json);
        }
        AdminCommand::RevokeToken { id } => {
            if !admins.revoke_token(&id).await? {
                bail!("no live token with id {id}");
            }
            audit_cli(config, &database, |actor| {
                NewEvent::new(EventKind::AdminAction, actor)
                    .detail("action", "admin.token.revoke")
                    .detail("token_id", id.as_str())
            })
            .await?;
            println!("revoked {id}");
        }
        AdminCommand::Disable { name } => {
            set_admin_enabled(config, &database, &admins, &name, false).await?;
        }
        AdminCommand::Enable { name } => {
            set_admin_enabled(config, &database, &admins, &name, true).await?;
        }
        AdminCommand::Tokens { name, json } => {
            let tokens = admins.tokens(&name).await?;
            if json {
                println!("{}", serde_json::to_string(&tokens)?);
            } else {
                for t in tokens {
                    let state = match (t.revoked_at, t.expires_at > chrono::Utc::now()) {
                        (Some(_), _) => "revoked",
                        (None, false) => "expired",
                        (None, true) => "live",
                    };
                    println!("{}\t{}\t{state}\texpires {}", t.id, t.label, t.expires_at);
                }
            }
        }
        AdminCommand::List { json } => {
            let accounts = admins.accounts().await?;
            if json {
                println!("{}", serde_json::to_string(&accounts)?);
            } else {
                for a in accounts {
                    let state = if a.enabled { "enabled" } else { "disabled" };
                    println!("{}\t{}\t{state}", a.name, a.role.as_str());
                }
            }
        }
    }
    database.close().await?;
    Ok(ExitCode::SUCCESS)
}

async fn set_admin_enabled(
    config: &Config,
    database: &idp::database::Database,
    admins: &idp::admins::Admins,
    name: &str,
    enabled: bool,
) -> anyhow::Result<()> {
    admins.set_enabled(name, enabled).await?;
    audit_cli(config, database, |actor| {
        NewEvent::new(EventKind::AdminAction, actor)
            .detail(
                "action",
                if enabled {
                    "admin.enable"
                } else {
                    "admin.disable"
                },
            )
            .detail("admin", name)
    })
    .await?;
    println!("{name} {}", if enabled { "enabled" } else { "disabled" });
    Ok(())
}

async fn keys(config: &Config, command: KeysCommand) -> anyhow::Result<ExitCode> {
    let (database, _) = server::open_database(config, false).await?;
    let secrets = idp::secrets::Secrets::load(config)?;
    let lifetimes = config.lifetimes;
    let ring = idp::keys::KeyRing::open(
        std::sync::Arc::new(database.oidc()),
        secrets.kek.clone(),
        std::sync::Arc::new(idp::clock::SystemClock),
        lifetimes.access_token.max(lifetimes.id_token) + std::time::Duration::from_secs(300),
    )
    .await?;
    match command {
        KeysCommand::List { json } => {
            let keys = ring.summary();
            if json {
                println!("{}", serde_json::to_string(&keys)?);
            } else {
                for key in keys {
                    println!(
                        "{}\t{}\t{}\tcreated {}",
                        key.kid,
                        key.algorithm.as_str(),
                        key.state,
                        key.created_at.to_rfc3339()
                    );
                }
            }
        }
        KeysCommand::Rotate { algorithm } => {
            let kid = ring.rotate(algorithm).await?;
            audit_cli(config, &database, |actor| {
                NewEvent::new(EventKind::KeyChanged, actor)
                    .detail("action", "rotate")
                    .detail("algorithm", algorithm.as_str())
                    .detail("kid", kid.as_str())
            })
            .await?;
            println!("{} now signs with {kid}", algorithm.as_str());
        }
    }
    database.close().await?;
    Ok(ExitCode::SUCCESS)
}

fn generate(count: u64, out: &Path, seed: u64, format: import::Format) -> anyhow::Result<ExitCode> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    synthetic::generate(
        count,
        seed,
        format,
        std::io::BufWriter::with_capacity(1 << 20, file),
    )
    .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("wrote {count} synthetic citizens to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

async fn import_citizens(
    config: &Config,
    file: &Path,
    options: ImportOptions,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if !file.is_file() {
        bail!("{} is not a readable file", file.display());
    }
    let (database, _) = server::open_database(config, false).await?;
    let directory = database.citizens();
    let mut observer = CliObserver::new();
    let result = import::import_file(&directory, file, options, &mut observer).await;
    observer.finish();
    let summary = result?;
    let total = directory.count().await?;
    database.close().await?;
    let peak = peak_memory_kib();
    if json {
        let mut value = serde_json::to_value(summary)?;
        value["rows_per_second"] = summary.rows_per_second().round().into();
        value["citizens_stored"] = total.into();
        value["peak_memory_kib"] = peak.into();
        println!("{value}");
    } else {
        println!(
            "imported {}: {} rows read, {} new, {} changed, {} unchanged, {} rejected; {total} citizens stored; \
             {:.1} s, {:.0} rows/s{}",
            file.display(),
            summary.rows_read,
            summary.stored.inserted,
            summary.stored.updated,
            summary.stored.unchanged,
            summary.rejected,
            summary.seconds,
            summary.rows_per_second(),
            peak.map_or_else(String::new, |kib| format!(
                ", peak memory {} MiB",
                kib / 1024
            )),
        );
    }
    Ok(if summary.rejected > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// The process's peak resident memory (Linux `VmHWM`), in KiB.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reports an import on the terminal: a progress bar when standard error is a terminal,
/// plain lines every few seconds otherwise; each rejected row on its own line.
struct CliObserver {
    bar: Option<ProgressBar>,
    last_line: Instant,
}

impl CliObserver {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({msg})",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Self {
            bar,
            last_line: Instant::now(),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl ImportObserver for CliObserver {
    fn rejected(&mut self, rejection: &Rejection) {
        match &self.bar {
            Some(bar) => bar.println(format!("rejected {rejection}")),
            None => eprintln!("rejected {rejection}"),
        }
    }

    fn progress(&mut self, progress: Progress) {
        match &self.bar {
            Some(bar) => {
                bar.set_length(progress.total_bytes);
                bar.set_position(progress.bytes_read);
                bar.set_message(format!("{} rows", progress.rows_read));
            }
            None if self.last_line.elapsed() >= Duration::from_secs(5) => {
                self.last_line = Instant::now();
                let percent = if progress.total_bytes > 0 {
                    progress.bytes_read as f64 * 100.0 / progress.total_bytes as f64
                } else {
                    0.0
                };
                eprintln!("progress: {} rows read ({percent:.0}%)", progress.rows_read);
            }
            None => {}
        }
    }
}
