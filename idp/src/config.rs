//! Configuration: one typed struct, loaded and validated once at start.
//!
//! Every setting has a key in the optional TOML file and an environment variable named
//! `IDP_` + the key in capitals (`listen` ↔ `IDP_LISTEN`); the environment wins over the file,
//! and the defaults give the embedded default (SQLite under `./data`, the in-process store,
//! development conveniences on). Every problem is reported at once, each naming its variable.
//!
//! Production (`IDP_ENV=production`) refuses to start with any development convenience on:
//! the SMS outbox, demo data, insecure cookies, an `http` issuer, the embedded SQLite database
//! or the in-process store (neither can be shared by several nodes).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use url::Url;

use crate::database::{Backend, DatabaseOptions, redact_url, sqlite_url};

/// Development or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Conveniences allowed; readable logs.
    Development,
    /// Conveniences refused; JSON logs.
    Production,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The validated configuration. Its `Debug` form hides the database and Redis URLs'
/// passwords.
#[derive(Clone)]
pub struct Config {
    /// `IDP_ENV`.
    pub environment: Environment,
    /// `IDP_LISTEN`: the public listener.
    pub listen: SocketAddr,
    /// `IDP_ADMIN_LISTEN`: the admin listener (used from the admin plane on).
    pub admin_listen: SocketAddr,
    /// `IDP_ISSUER`: the OpenID Connect issuer, exactly as `iss` will carry it: `http://` +
    /// `listen` by default, never with a trailing slash.
    pub issuer: String,
    /// `IDP_DATA_DIR`: where the embedded default keeps its files.
    pub data_dir: PathBuf,
    /// `IDP_DATABASE_URL`: `sqlite://…` or `postgres://…`; the SQLite file `dan.sqlite` in the
    /// data folder by default.
    pub database_url: String,
    /// `IDP_DATABASE_MAX_CONNECTIONS`.
    pub database_max_connections: u32,
    /// `IDP_REDIS_URL`: Redis for short-lived state; the in-process store when unset.
    pub redis_url: Option<String>,
    /// `IDP_REDIS_PREFIX`: the prefix of every Redis key (`dan`).
    pub redis_prefix: String,
    /// `IDP_STORE_MAX_ENTRIES`: the bound of the in-process store.
    pub store_max_entries: usize,
    /// `IDP_AUTO_MIGRATE`: apply pending migrations at start (default: on for SQLite).
    pub auto_migrate: bool,
    /// `IDP_DEV_OUTBOX`: deliver SMS to a development outbox (development only).
    pub dev_outbox: bool,
    /// `IDP_DEMO_DATA`: seed synthetic demo citizens (development only).
    pub demo_data: bool,
    /// `IDP_INSECURE_COOKIES`: cookies without `Secure`, for plain-http development.
    pub insecure_cookies: bool,
    /// `IDP_LOG`: a `tracing` filter (`info`, `idp=debug,info`).
    pub log_filter: String,
    /// `IDP_LOG_FORMAT`: `pretty` or `json`.
    pub log_format: LogFormat,
    /// `IDP_BODY_LIMIT_BYTES`: largest request body accepted.
    pub body_limit_bytes: usize,
    /// `IDP_BACKEND_TIMEOUT_MS`: how long a request waits for the database or Redis.
    pub backend_timeout: Duration,
    /// `IDP_KEY_ENCRYPTION_KEY`: 32 bytes in base64url that encrypt private keys at rest;
    /// required in production, generated into the data folder otherwise.
    pub key_encryption_key: Option<String>,
    /// `IDP_HASH_KEY`: 32 bytes in base64url from which pairwise subjects, one-time-code
    /// hashes and rate-limit ids are derived; required in production (and identical on every
    /// node), generated into the data folder otherwise. Changing it changes every pairwise `sub`.
    pub hash_key: Option<String>,
    /// Token, code and session lifetimes.
    pub lifetimes: Lifetimes,
    /// `IDP_LOGIN_RATE_PER_IP`: logins one IP address may start per minute.
    pub login_rate_per_ip: u32,
    /// `IDP_AUTHORIZE_RATE_PER_IP`: authorization requests one IP address may make per minute.
    pub authorize_rate_per_ip: u32,
    /// `IDP_TRUSTED_PROXIES`: load balancers whose `X-Forwarded-For` names the client; `none`
    /// when nodes face citizens directly. Production requires it to be set.
    pub trusted_proxies: Option<Vec<std::net::IpAddr>>,
    /// `IDP_SMS_URL` and friends: the SMS provider's HTTP API (required in production).
    pub sms: Option<SmsSettings>,
    /// `IDP_PASSKEY_RP_ID`: the WebAuthn relying-party id, the issuer's host by default (a
    /// parent domain such as `dan.gov.mn` lets passkeys outlive a host rename).
    pub passkey_rp_id: Option<String>,
    /// `IDP_PASSKEY_ORIGIN`: the origin the login pages are served from, the issuer's origin
    /// by default.
    pub passkey_origin: Option<String>,
}

/// How long each token, code and session lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// `IDP_ACCESS_TOKEN_TTL` (seconds, 600).
    pub access_token: Duration,
    /// `IDP_ID_TOKEN_TTL` (seconds, 600).
    pub id_token: Duration,
    /// `IDP_CODE_TTL` (seconds, 60).
    pub code: Duration,
    /// `IDP_REFRESH_TOKEN_TTL` (seconds, 30 days): sliding, renewed by each rotation.
    pub refresh_token: Duration,
    /// `IDP_REFRESH_TOKEN_MAX_TTL` (seconds, 90 days): absolute cap from the login.
    pub refresh_token_max: Duration,
    /// `IDP_SESSION_TTL` (seconds, 8 hours): the SSO session.
    pub session: Duration,
    /// `IDP_LOGIN_TTL` (seconds, 15 minutes): an unfinished login.
    pub login: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            access_token: Duration::from_secs(600),
            id_token: Duration::from_secs(600),
            code: Duration::from_secs(60),
            refresh_token: Duration::from_secs(30 * 86_400),
            refresh_token_max: Duration::from_secs(90 * 86_400),
            session: Duration::from_secs(8 * 3600),
            login: Duration::from_secs(15 * 60),
        }
    }
}

/// The SMS provider's HTTP API.
#[derive(Clone)]
pub struct SmsSettings {
    /// `IDP_SMS_URL`.
    pub url: Url,
    /// `IDP_SMS_AUTH_HEADER`: the whole `Authorization` value. Never printed.
    pub auth_header: Option<String>,
    /// `IDP_SMS_BODY_TEMPLATE`: the request body with `{to}` and `{text}`.
    pub body_template: String,
    /// `IDP_SMS_CONTENT_TYPE`: `application/json` or `application/x-www-form-urlencoded`.
    pub content_type: String,
    /// `IDP_SMS_TIMEOUT_MS`: per attempt.
    pub timeout: Duration,
    /// `IDP_SMS_RETRIES`: attempts after the first.
    pub retries: u32,
}

/// Every problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the configuration is not valid:")?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("environment", &self.environment)
            .field("listen", &self.listen)
            .field("admin_listen", &self.admin_listen)
            .field("issuer", &self.issuer)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("auto_migrate", &self.auto_migrate)
            .field("dev_outbox", &self.dev_outbox)
            .field("demo_data", &self.demo_data)
            .field("insecure_cookies", &self.insecure_cookies)
            .field(
                "key_encryption_key",
                &self.key_encryption_key.as_ref().map(|_| "***"),
            )
            .field("hash_key", &self.hash_key.as_ref().map(|_| "***"))
            .field("lifetimes", &self.lifetimes)
            .field(
                "sms_url",
                &self.sms.as_ref().map(|s| redact_url(s.url.as_str())),
            )
            .finish_non_exhaustive()
    }
}

/// Every setting: TOML key (the variable is `IDP_` + the key in capitals) and its meaning.
pub const SETTINGS: &[(&str, &str)] = &[
    ("env", "development (default) or production"),
    ("listen", "public listener address, 127.0.0.1:8080"),
    ("admin_listen", "admin listener address, 127.0.0.1:8081"),
    (
        "issuer",
        "OpenID Connect issuer URL, http:// + listen by default",
    ),
    ("data_dir", "folder of the embedded default's files, ./data"),
    (
        "database_url",
        "sqlite://… or postgres://…; DATA_DIR/dan.sqlite by default",
    ),
    ("database_max_connections", "database pool size, 10"),
    (
        "redis_url",
        "redis:// URL for short-lived state; in-process when unset",
    ),
    ("redis_prefix", "prefix of every Redis key, dan"),
    ("store_max_entries", "bound of the in-process store, 100000"),
    (
        "auto_migrate",
        "apply migrations at start; on for SQLite, off for PostgreSQL",
    ),
    (
        "dev_outbox",
        "development SMS outbox; on in development, refused in production",
    ),
    (
        "demo_data",
        "synthetic demo citizens; on in development, refused in production",
    ),
    (
        "insecure_cookies",
        "cookies without Secure; on in development, refused in production",
    ),
    ("log", "tracing filter, info"),
    ("log_format", "pretty (development) or json (production)"),
    ("body_limit_bytes", "largest request body, 65536"),
    (
        "backend_timeout_ms",
        "how long a request waits for the database or Redis, 2000",
    ),
    (
        "key_encryption_key",
        "32 bytes base64url encrypting private keys; generated into DATA_DIR in development",
    ),
    (
        "hash_key",
        "32 bytes base64url for pairwise subjects and code hashes; generated in development",
    ),
    ("access_token_ttl", "access token lifetime in seconds, 600"),
    ("id_token_ttl", "ID token lifetime in seconds, 600"),
    ("code_ttl", "authorization code lifetime in seconds, 60"),
    (
        "refresh_token_ttl",
        "refresh token sliding lifetime in seconds, 2592000 (30 days)",
    ),
    (
        "refresh_token_max_ttl",
        "refresh token absolute cap in seconds, 7776000 (90 days)",
    ),
    ("session_ttl", "SSO session lifetime in seconds, 28800"),
    (
        "passkey_rp_id",
        "WebAuthn relying-party id; the issuer's host by default",
    ),
    (
        "passkey_origin",
        "origin of the login pages for passkeys; the issuer's origin by default",
    ),
    ("login_ttl", "time to finish a login in seconds, 900"),
    (
        "login_rate_per_ip",
        "logins one IP may start per minute, 30",
    ),
    (
        "sms_url",
        "the SMS provider's HTTP endpoint; required in production",
    ),
    (
        "sms_auth_header",
        "Authorization header value for the SMS provider",
    ),
    (
        "sms_body_template",
        "request body with {to} and {text}, {\"to\":\"{to}\",\"text\":\"{text}\"}",
    ),
    (
        "sms_content_type",
        "application/json (default) or form-urlencoded",
    ),
    ("sms_timeout_ms", "SMS provider timeout per attempt, 5000"),
    ("sms_retries", "SMS attempts after the first, 2"),
];

const KEY_32: &str = "32 bytes in base64url (43 characters)";

fn key_32(value: &str) -> Option<String> {
    crate::jose::decode(value)
        .ok()
        .filter(|bytes| bytes.len() == 32)
        .map(|_| value.to_owned())
}

/// One source of raw settings, with the name to blame in messages.
struct Sources<'a> {
    file: BTreeMap<String, String>,
    file_name: String,
    env: &'a HashMap<String, String>,
    problems: Vec<String>,
}

impl Sources<'_> {
    /// The raw value of a setting and where it came from: the environment first, then the file.
    fn raw(&self, key: &str) -> Option<(String, String)> {
        let var = format!("IDP_{}", key.to_uppercase());
        if let Some(value) = self.env.get(&var) {
            return Some((value.clone(), var));
        }
        self.file
            .get(key)
            .map(|v| (v.clone(), format!("{key} in {} ({var})", self.file_name)))
    }

    /// A parsed setting, or `None` when unset; a value that does not parse is a problem.
    fn parse<T>(
        &mut self,
        key: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let (value, origin) = self.raw(key)?;
        let parsed = parse(value.trim());
        if parsed.is_none() {
            // URLs can carry passwords, and keys are secrets: name the setting, never echo
            // its value.
            let shown = if key.ends_with("_url") || key.ends_with("_key") {
                "the value".to_owned()
            } else {
                format!("{value:?}")
            };
            self.problems
                .push(format!("{origin}: {shown} is not {expected}"));
        }
        parsed
    }

    fn flag(&mut self, key: &str) -> Option<bool> {
        self.parse(key, "a boolean (true/false, 1/0, on/off)", |v| {
            match v.to_lowercase().as_str() {
                "true" | "1" | "on" | "yes" => Some(true),
                "false" | "0" | "off" | "no" => Some(false),
                _ => None,
            }
        })
    }

    fn number<T: FromStr>(&mut self, key: &str) -> Option<T> {
        self.parse(key, "a positive whole number", |v| v.parse().ok())
    }
}

/// Reads a TOML file into flat `key → value` strings; nested tables are refused.
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the configuration file {}: {e}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut flat = BTreeMap::new();
    for (key, value) in table {
        if !SETTINGS.iter().any(|(known, _)| *known == key) {
            return Err(format!(
                "{}: unknown setting {key:?} (known: {})",
                path.display(),
                SETTINGS
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(format!(
                    "{}: {key} must be a string, number or boolean, not {}",
                    path.display(),
                    other.type_str()
                ));
            }
        };
        flat.insert(key, value);
    }
    Ok(flat)
}

impl Config {
    /// The configuration from an optional TOML file and the environment (`IDP_*` variables).
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let file_map = match file {
            Some(path) => read_file(path).map_err(|e| ConfigError(vec![e]))?,
            None => BTreeMap::new(),
        };
        let mut src = Sources {
            file: file_map,
            file_name: file.map_or_else(String::new, |p| p.display().to_string()),
            env,
            problems: Vec::new(),
        };
        let config = Self::resolve(&mut src);
        if !src.problems.is_empty() {
            return Err(ConfigError(src.problems));
        }
        let refusals = config.production_refusals();
        if refusals.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError(refusals))
        }
    }

    /// The configuration from the process environment and the file `IDP_CONFIG` names, if any.
    pub fn from_process(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut env = HashMap::new();
        let mut not_unicode = Vec::new();
        for (key, value) in std::env::vars_os() {
            let Some(key) = key.to_str().filter(|k| k.starts_with("IDP_")) else {
                continue;
            };
            match value.into_string() {
                Ok(value) => {
                    env.insert(key.to_owned(), value);
                }
                Err(_) => not_unicode.push(format!("{key}: the value is not valid Unicode")),
            }
        }
        if !not_unicode.is_empty() {
            return Err(ConfigError(not_unicode));
        }
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env.get("IDP_CONFIG").map(PathBuf::from));
        Self::load(file.as_deref(), &env)
    }

    fn resolve(src: &mut Sources<'_>) -> Self {
        let environment = src
            .parse("env", "development or production", |v| match v {
                "development" => Some(Environment::Development),
                "production" => Some(Environment::Production),
                _ => None,
            })
            .unwrap_or(Environment::Development);
        let development = environment == Environment::Development;
        let address = "a socket address such as 127.0.0.1:8080";
        let listen = src.parse("listen", address, |v| v.parse().ok());
        let admin_listen = src.parse("admin_listen", address, |v| v.parse().ok());
        let listen: SocketAddr = listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let issuer = src.parse(
            "issuer",
            "an http(s) URL without path, query or fragment",
            |v| {
                let url = Url::parse(v).ok()?;
                // No path: the endpoints and the login pages live at the root of the issuer.
                let valid = matches!(url.scheme(), "http" | "https")
                    && url.query().is_none()
                    && url.fragment().is_none()
                    && url.host().is_some()
                    && url.path() == "/";
                // `iss` must match byte for byte: keep what the operator wrote, minus a final slash.
                valid.then(|| v.trim_end_matches('/').to_owned())
            },
        );
        let data_dir = src
            .raw("data_dir")
            .map_or_else(|| PathBuf::from("./data"), |(v, _)| PathBuf::from(v));
        let database_url = src.parse("database_url", "a sqlite:// or postgres:// URL", |v| {
            Backend::of_url(v).map(|_| v.to_owned())
        });
        let redis_url = src.parse("redis_url", "a redis:// or rediss:// URL", |v| {
            Url::parse(v)
                .ok()
                .filter(|u| matches!(u.scheme(), "redis" | "rediss"))
                .map(|_| v.to_owned())
        });
        let log_format = src
            .parse("log_format", "pretty or json", |v| match v {
                "pretty" => Some(LogFormat::Pretty),
                "json" => Some(LogFormat::Json),
                _ => None,
            })
            .unwrap_or(if development {
                LogFormat::Pretty
            } else {
                LogFormat::Json
            });
        let database_url = database_url.unwrap_or_else(|| sqlite_url(&data_dir.join("dan.sqlite")));
        let embedded_db = Backend::of_url(&database_url) == Some(Backend::Sqlite);
        let log_filter = src
            .parse(
                "log",
                "a tracing filter such as info or idp=debug,info",
                |v| {
                    tracing_subscriber::EnvFilter::try_new(v)
                        .ok()
                        .map(|_| v.to_owned())
                },
            )
            .unwrap_or_else(|| "info".to_owned());
        Self {
            environment,
            listen,
            admin_listen: admin_listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8081))),
            issuer: issuer.unwrap_or_else(|| format!("http://{listen}")),
            data_dir,
            database_max_connections: src
                .number("database_max_connections")
                .filter(|n| *n > 0)
                .unwrap_or(10),
            redis_url,
            redis_prefix: src
                .raw("redis_prefix")
                .map_or_else(|| "dan".to_owned(), |(v, _)| v),
            store_max_entries: src
                .number("store_max_entries")
                .filter(|n| *n > 0)
                .unwrap_or(100_000),
            auto_migrate: src.flag("auto_migrate").unwrap_or(embedded_db),
            dev_outbox: src.flag("dev_outbox").unwrap_or(development),
            demo_data: src.flag("demo_data").unwrap_or(development),
            insecure_cookies: src.flag("insecure_cookies").unwrap_or(development),
            log_filter,
            log_format,
            body_limit_bytes: src
                .number("body_limit_bytes")
                .filter(|n| *n > 0)
                .unwrap_or(64 * 1024),
            backend_timeout: Duration::from_millis(
                src.number("backend_timeout_ms")
                    .filter(|n| *n > 0)
                    .unwrap_or(2000),
            ),
            database_url,
            key_encryption_key: src.parse("key_encryption_key", KEY_32, key_32),
            hash_key: src.parse("hash_key", KEY_32, key_32),
            lifetimes: Self::lifetimes(src),
            login_rate_per_ip: src
                .number("login_rate_per_ip")
                .filter(|n| *n > 0)
                .unwrap_or(30),
            authorize_rate_per_ip: src
                .number("authorize_rate_per_ip")
                .filter(|n| *n > 0)
                .unwrap_or(300),
            trusted_proxies: src.parse(
                "trusted_proxies",
                "IP addresses separated by commas, or none",
                |v| {
                    if v == "none" {
                        return Some(Vec::new());
                    }
                    v.split(',')
                        .filter(|a| !a.trim().is_empty())
                        .map(|a| a.trim().parse().ok())
                        .collect::<Option<Vec<_>>>()
                },
            ),
            sms: Self::sms(src),
            passkey_rp_id: src.raw("passkey_rp_id").map(|(v, _)| v),
            passkey_origin: src.raw("passkey_origin").map(|(v, _)| v),
        }
    }

    fn lifetimes(src: &mut Sources<'_>) -> Lifetimes {
        let defaults = Lifetimes::default();
        let mut seconds = |key: &str, default: Duration| {
            src.number::<u64>(key)
                .filter(|n| *n > 0)
                .map_or(default, Duration::from_secs)
        };
        let lifetimes = Lifetimes {
            access_token: seconds("access_token_ttl", defaults.access_token),
            id_token: seconds("id_token_ttl", defaults.id_token),
            code: seconds("code_ttl", defaults.code),
            refresh_token: seconds("refresh_token_ttl", defaults.refresh_token),
            refresh_token_max: seconds("refresh_token_max_ttl", defaults.refresh_token_max),
            session: seconds("session_ttl", defaults.session),
            login: seconds("login_ttl", defaults.login),
        };
        if lifetimes.refresh_token > lifetimes.refresh_token_max {
            src.problems.push(
                "IDP_REFRESH_TOKEN_TTL is longer than IDP_REFRESH_TOKEN_MAX_TTL, its cap"
                    .to_owned(),
            );
        }
        lifetimes
    }

    fn sms(src: &mut Sources<'_>) -> Option<SmsSettings> {
        let url = src.parse("sms_url", "an http(s) URL", |v| {
            Url::parse(v)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
        });
        let body_template = src
            .raw("sms_body_template")
            .map_or_else(|| r#"{"to":"{to}","text":"{text}"}"#.to_owned(), |(v, _)| v);
        if !body_template.contains("{text}") {
            src.problems
                .push("IDP_SMS_BODY_TEMPLATE must contain {text}".to_owned());
        }
        let settings = SmsSettings {
            url: url?,
            auth_header: src.raw("sms_auth_header").map(|(v, _)| v),
            body_template,
            content_type: src
                .parse(
                    "sms_content_type",
                    "application/json or application/x-www-form-urlencoded",
                    |v| {
                        matches!(v, "application/json" | "application/x-www-form-urlencoded")
                            .then(|| v.to_owned())
                    },
                )
                .unwrap_or_else(|| "application/json".to_owned()),
            timeout: Duration::from_millis(
                src.number("sms_timeout_ms")
                    .filter(|n| *n > 0)
                    .unwrap_or(5000),
            ),
            retries: src.number("sms_retries").unwrap_or(2),
        };
        Some(settings)
    }

    /// In production, every development convenience that is on, each naming its variable.
    fn production_refusals(&self) -> Vec<String> {
        if self.environment != Environment::Production {
            return Vec::new();
        }
        let mut refusals = Vec::new();
        let mut refuse = |on: bool, message: &str| {
            if on {
                refusals.push(format!("production refuses {message}"));
            }
        };
        refuse(
            self.dev_outbox,
            "IDP_DEV_OUTBOX=true: the development SMS outbox would show one-time codes",
        );
        refuse(
            self.demo_data,
            "IDP_DEMO_DATA=true: demo citizens must not exist in production",
        );
        refuse(
            self.insecure_cookies,
            "IDP_INSECURE_COOKIES=true: cookies must be Secure",
        );
        refuse(
            !self.issuer.starts_with("https://"),
            "an http issuer: set IDP_ISSUER to an https:// URL",
        );
        refuse(
            self.passkey_origin
                .as_deref()
                .is_some_and(|origin| !origin.starts_with("https://")),
            "an http passkey origin: set IDP_PASSKEY_ORIGIN to an https:// URL, or leave it unset \
             for the issuer's origin",
        );
        refuse(
            self.backend() == Backend::Sqlite,
            "the embedded SQLite database: set IDP_DATABASE_URL to a postgres:// URL",
        );
        refuse(
            self.redis_url.is_none(),
            "the in-process store, which nodes cannot share: set IDP_REDIS_URL",
        );
        refuse(
            self.key_encryption_key.is_none(),
            "a generated key-encryption key: set IDP_KEY_ENCRYPTION_KEY (32 bytes, base64url)",
        );
        refuse(
            self.hash_key.is_none(),
            "a generated hash key: set IDP_HASH_KEY (32 bytes, base64url), the same on every node",
        );
        refuse(
            self.sms.is_none() && !self.dev_outbox,
            "no SMS delivery: set IDP_SMS_URL",
        );
        refuse(
            self.trusted_proxies.is_none(),
            "an unset IDP_TRUSTED_PROXIES: behind a load balancer every citizen would share its \
             address and its rate limits; list the balancers, or set it to none when the nodes \
             face citizens directly",
        );
        refusals
    }

    /// The durable backend the database URL names.
    pub fn backend(&self) -> Backend {
        Backend::of_url(&self.database_url).unwrap_or(Backend::Sqlite)
    }

    /// How to open the database.
    pub fn database_options(&self) -> DatabaseOptions {
        DatabaseOptions {
            url: self.database_url.clone(),
            max_connections: self.database_max_connections,
            acquire_timeout: self.backend_timeout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn no_configuration_gives_the_embedded_default() {
        let config = Config::load(None, &env(&[])).unwrap();
        assert_eq!(config.environment, Environment::Development);
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.admin_listen.to_string(), "127.0.0.1:8081");
        assert_eq!(config.issuer, "http://127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(config.backend(), Backend::Sqlite);
        assert!(config.database_url.contains("data/dan.sqlite"));
        assert!(config.redis_url.is_none());
        assert!(config.auto_migrate && config.dev_outbox && config.demo_data);
        assert_eq!(config.log_format, LogFormat::Pretty);
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idp.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/dan\"\nbody_limit_bytes = 1000\n",
        )
        .unwrap();
        let config = Config::load(Some(&path), &env(&[("IDP_LISTEN", "127.0.0.1:9100")])).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9100");
        assert_eq!(config.issuer, "http://127.0.0.1:9100");
        assert_eq!(config.data_dir, PathBuf::from("/srv/dan"));
        assert_eq!(config.body_limit_bytes, 1000);
    }

    #[test]
    fn every_bad_value_is_reported_with_its_variable() {
        let err = Config::load(
            None,
            &env(&[
                ("IDP_LISTEN", "localhost"),
                ("IDP_ENV", "staging"),
                ("IDP_REDIS_URL", "http://x"),
            ]),
        )
        .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 3, "{text}");
        assert!(
            text.contains("IDP_LISTEN: \"localhost\" is not a socket address"),
            "{text}"
        );
        assert!(text.contains("IDP_ENV"), "{text}");
        assert!(text.contains("IDP_REDIS_URL"), "{text}");
    }

    #[test]
    fn url_values_are_never_echoed() {
        let err = Config::load(
            None,
            &env(&[
                ("IDP_DATABASE_URL", "postgress://dan:s3cret@db/dan"),
                ("IDP_REDIS_URL", "http://:s3cret@x"),
            ]),
        )
        .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 2, "{text}");
        assert!(!text.contains("s3cret"), "{text}");
        let config = Config::load(
            None,
            &env(&[("IDP_REDIS_URL", "redis://:s3cret@cache:6379")]),
        )
        .unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn a_bad_log_filter_is_refused_by_name() {
        let err = Config::load(None, &env(&[("IDP_LOG", "idp=loud")])).unwrap_err();
        assert!(err.to_string().contains("IDP_LOG"), "{err}");
    }

    #[test]
    fn unknown_file_settings_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idp.toml");
        std::fs::write(&path, "lisen = \"127.0.0.1:9000\"\n").unwrap();
        let err = Config::load(Some(&path), &env(&[])).unwrap_err();
        assert!(
            err.to_string().contains("unknown setting \"lisen\""),
            "{err}"
        );
    }

    #[test]
    fn production_refuses_each_development_convenience_by_name() {
        let err = Config::load(
            None,
            &env(&[
                ("IDP_ENV", "production"),
                ("IDP_DEMO_DATA", "true"),
                ("IDP_PASSKEY_ORIGIN", "http://localhost:8080"),
            ]),
        )
        .unwrap_err();
        let text = err.to_string();
        for name in [
            "IDP_DEMO_DATA",
            "IDP_PASSKEY_ORIGIN",
            "IDP_ISSUER",
            "IDP_DATABASE_URL",
            "IDP_REDIS_URL",
            "IDP_KEY_ENCRYPTION_KEY",
            "IDP_HASH_KEY",
            "IDP_SMS_URL",
            "IDP_TRUSTED_PROXIES",
        ] {
            assert!(text.contains(name), "{name} missing from {text}");
        }
        // Conveniences default to off in production: only what was asked for is named.
        assert!(!text.contains("IDP_DEV_OUTBOX"), "{text}");
    }

    #[test]
    fn lifetimes_keys_and_sms_settings_are_checked() {
        let err = Config::load(
            None,
            &env(&[
                ("IDP_HASH_KEY", "too-short"),
                ("IDP_REFRESH_TOKEN_TTL", "100"),
                ("IDP_REFRESH_TOKEN_MAX_TTL", "50"),
                ("IDP_SMS_URL", "https://sms.example.mn"),
                ("IDP_SMS_BODY_TEMPLATE", "{to}"),
            ]),
        )
        .unwrap_err();
        let text = err.to_string();
        for needle in ["IDP_HASH_KEY", "IDP_REFRESH_TOKEN_MAX_TTL", "{text}"] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
        assert!(!text.contains("too-short"), "a key was echoed: {text}");
        let err = Config::load(None, &env(&[("IDP_ISSUER", "https://gov.mn/dan")])).unwrap_err();
        assert!(err.to_string().contains("without path"), "{err}");
        let err = Config::load(None, &env(&[("IDP_TRUSTED_PROXIES", "10.0.0.1, lb")])).unwrap_err();
        assert!(err.to_string().contains("IDP_TRUSTED_PROXIES"), "{err}");
        let config = Config::load(None, &env(&[("IDP_CODE_TTL", "30")])).unwrap();
        assert_eq!(config.lifetimes.code, Duration::from_secs(30));
        assert_eq!(config.lifetimes.access_token, Duration::from_secs(600));
    }

    #[test]
    fn production_starts_when_every_convenience_is_off() {
        let config = Config::load(
            None,
            &env(&[
                ("IDP_ENV", "production"),
                ("IDP_ISSUER", "https://dan.example.mn/"),
                ("IDP_DATABASE_URL", "postgres://dan@db/dan"),
                ("IDP_REDIS_URL", "redis://cache:6379"),
                ("IDP_KEY_ENCRYPTION_KEY", &"A".repeat(43)),
                ("IDP_HASH_KEY", &format!("{}A", "B".repeat(42))),
                ("IDP_SMS_URL", "https://sms.example.mn/send"),
                ("IDP_SMS_AUTH_HEADER", "Bearer top-secret"),
                ("IDP_TRUSTED_PROXIES", "10.0.0.1,10.0.0.2"),
            ]),
        )
        .unwrap();
        assert_eq!(config.log_format, LogFormat::Json);
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("AAAA") && !shown.contains("top-secret"),
            "{shown}"
        );
        assert_eq!(
            config.issuer, "https://dan.example.mn",
            "iss carries no trailing slash"
        );
        assert!(
            !config.auto_migrate
                && !config.dev_outbox
                && !config.demo_data
                && !config.insecure_cookies
        );
    }
}
