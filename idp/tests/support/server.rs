//! A real provider serving over real HTTP on a free loopback port, on either backend, plus a
//! tiny cookie-keeping browser and the helpers that drive a login through the real pages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use idp::clients::{
    AuthMethod, Client, ClientId, ClientSecret, GrantType, RedirectUri, SubjectType,
};
use idp::clock::ManualClock;
use idp::config::Config;
use idp::provider::Provider;
use idp::{http, server};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Which backends a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backends {
    /// SQLite and the in-process store: the embedded default.
    Embedded,
    /// PostgreSQL and Redis: production's shape.
    PostgresRedis,
}

/// A provider serving on 127.0.0.1; stopped when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`, also the issuer.
    pub base: String,
    /// The provider, for reaching into the outbox and the stores.
    pub provider: Arc<Provider>,
    /// The provider's clock: starts at the real time and moves only when a test moves it.
    pub clock: Arc<ManualClock>,
    /// `http://127.0.0.1:PORT` of the admin listener.
    pub admin_base: String,
    /// The admin plane (administrators, for issuing test tokens).
    pub admin: Arc<idp::admin_plane::AdminPlane>,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl TestServer {
    /// Starts a server on `backends` with extra `IDP_*` settings; `None` when the servers of
    /// that backend are not available (the test is skipped, see the module docs).
    pub async fn start(backends: Backends, settings: &[(&str, &str)]) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let listener = http::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://{}", listener.local_addr);
        let mut env: HashMap<String, String> = HashMap::from([
            ("IDP_DATA_DIR".to_owned(), dir.path().display().to_string()),
            ("IDP_LISTEN".to_owned(), listener.local_addr.to_string()),
            ("IDP_ISSUER".to_owned(), base.clone()),
            ("IDP_LOGIN_RATE_PER_IP".to_owned(), "1000".to_owned()),
            ("IDP_LOG".to_owned(), "warn".to_owned()),
        ]);
        if backends == Backends::PostgresRedis {
            let database = super::fresh_postgres_url().await?;
            let redis = super::redis_url()?;
            env.insert("IDP_DATABASE_URL".to_owned(), database);
            env.insert("IDP_REDIS_URL".to_owned(), redis);
            env.insert(
                "IDP_REDIS_PREFIX".to_owned(),
                format!("t{}", uuid::Uuid::new_v4().simple()),
            );
        }
        for (key, value) in settings {
            env.insert((*key).to_owned(), (*value).to_owned());
        }
        let config = Config::load(None, &env).unwrap();
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let node = server::prepare_with_clock(&config, true, clock.clone())
            .await
            .unwrap();
        let provider = node.provider.clone();
        let app = http::routes(
            node.state.clone(),
            node.provider.clone(),
            http::edge_policy(&config),
        );
        let admin = Arc::new(server::admin_plane(&node));
        let admin_listener = http::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let admin_base = format!("http://{}", admin_listener.local_addr);
        let admin_app = dan_admin::routes(
            admin.clone(),
            dan_admin::ConsoleOptions {
                secure_cookies: false,
            },
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (stop_admin, admin_stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = http::serve(listener, app, async {
                let _ = stopped.await;
                let _ = stop_admin.send(());
            })
            .await;
        });
        tokio::spawn(async move {
            let _ = http::serve(admin_listener, admin_app, async {
                let _ = admin_stopped.await;
            })
            .await;
        });
        Some(Self {
            base,
            provider,
            clock,
            admin_base,
            admin,
            _dir: dir,
            stop: Some(stop),
        })
    }

    /// The URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Registers `client`.
    pub async fn register(&self, client: &Client) {
        assert!(self.provider.clients.create(client).await.unwrap());
    }

    /// Waits (up to 5 s) for a new SMS to `phone` beyond the `seen` first ones, and returns its
    /// six-digit code. Delivery runs in a background task, so the message may lag the page.
    pub async fn wait_for_code(&self, phone: &str, seen: usize) -> String {
        let outbox = self.provider.outbox.as_ref().expect("the dev outbox is on");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let messages = outbox.messages(Some(phone));
            if messages.len() > seen {
                let text = &messages[0].text;
                let start = text.find(|c: char| c.is_ascii_digit()).unwrap();
                return text[start..start + 6].to_owned();
            }
            assert!(Instant::now() < deadline, "no SMS reached {phone}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// How many messages `phone` has received.
    pub fn sms_count(&self, phone: &str) -> usize {
        self.provider
            .outbox
            .as_ref()
            .map_or(0, |o| o.messages(Some(phone)).len())
    }
}

/// Declares each named `async fn(TestServer)` as a test on the embedded default and on
/// PostgreSQL + Redis, in modules `embedded` and `postgres_redis`; `settings = …;` first
/// passes extra `IDP_*` settings to both (named from inside the generated modules:
/// `super::NAME`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $crate::on_both_backends!(settings = &[]; $($name),*);
    };
    (settings = $settings:expr; $($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let server = $crate::support::server::TestServer::start(
                        $crate::support::server::Backends::Embedded, $settings).await.unwrap();
                    super::$name(server).await;
                }
            )*
        }
        mod postgres_redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(server) = $crate::support::server::TestServer::start(
                        $crate::support::server::Backends::PostgresRedis, $settings).await else { return };
                    super::$name(server).await;
                }
            )*
        }
    };
}

/// A confidential test client: `client_secret_basic`, code + refresh, pairwise, consent asked.
pub fn confidential_client(id: &str, redirect_uri: &str) -> (Client, ClientSecret) {
    let secret = ClientSecret::generate().unwrap();
    let client = Client {
        id: ClientId::parse(id).unwrap(),
        name_mn: format!("{id} үйлчилгээ"),
        name_en: format!("{id} service"),
        redirect_uris: vec![RedirectUri::parse(redirect_uri).unwrap()],
        post_logout_redirect_uris: vec![
            RedirectUri::parse(&format!("{redirect_uri}/bye")).unwrap(),
        ],
        allowed_scopes: ["openid", "profile", "phone", "address"]
            .map(str::to_owned)
            .to_vec(),
        grant_types: vec![
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
        ],
        auth_method: AuthMethod::ClientSecretBasic,
        secret_hash: Some(secret.hash()),
        subject_type: SubjectType::Pairwise,
        sector_identifier: None,
        jwks_uri: None,
        jwks: None,
        id_token_signing_alg: None,
        audiences: Vec::new(),
        backchannel_logout_uri: None,
        require_par: false,
        skip_consent: false,
        enabled: true,
        previous_secret: None,
        revision: 0,
    };
    (client, secret)
}

/// An HTTP client that follows no redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// POSTs a form to `path` with Basic credentials; returns the status and the JSON body.
pub async fn post_basic(
    server: &TestServer,
    path: &str,
    client: (&str, &str),
    form: &[(&str, &str)],
) -> (u16, Value) {
    let response = http()
        .post(server.url(path))
        .basic_auth(client.0, Some(client.1))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Redeems `code` at the token endpoint for `client` (id, secret).
pub async fn redeem(
    server: &TestServer,
    client: (&str, &str),
    redirect_uri: &str,
    code: &str,
    verifier: &str,
) -> (u16, Value) {
    post_basic(
        server,
        "/token",
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// Calls userinfo with a bearer token; returns the status and the JSON body.
pub async fn userinfo(server: &TestServer, access_token: &str) -> (u16, Value) {
    let response = http()
        .get(server.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A PKCE pair: (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    let verifier = idp::jose::random_token(32).unwrap();
    let challenge = idp::jose::encode(&Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A response as the browser saw it.
pub struct Seen {
    /// Status.
    pub status: u16,
    /// `Location`, for redirects.
    pub location: Option<String>,
    /// Body text.
    pub body: String,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
}

/// A browser that keeps cookies and follows nothing by itself.
#[derive(Clone)]
pub struct Browser {
    http: reqwest::Client,
    cookies: Arc<Mutex<HashMap<String, String>>>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with no cookies.
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Arc::default(),
        }
    }

    /// A cookie's value.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn seen(&self, response: reqwest::Response) -> Seen {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let mut cookies = self.cookies.lock().unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                cookies.remove(name);
            } else {
                cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Seen {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    /// GET `url`.
    pub async fn get(&self, url: &str) -> Seen {
        let response = self
            .http
            .get(url)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.seen(response).await
    }

    /// POST a form to `url`.
    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> Seen {
        let response = self
            .http
            .post(url)
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.seen(response).await
    }
}

/// The value of the hidden `csrf` field of a page.
pub fn csrf(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// The parameters of a redirect's query.
pub fn query_of(location: &str) -> HashMap<String, String> {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs().into_owned().collect()
}

/// An authorization URL for `client_id` with PKCE `challenge`; `extra` parameters override
/// the defaults of the same name (and an empty value drops the parameter).
pub fn authorize_url(
    server: &TestServer,
    client_id: &str,
    redirect_uri: &str,
    challenge: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut params: Vec<(&str, &str)> = vec![
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in extra {
        match params.iter_mut().find(|(n, _)| n == name) {
            Some(param) => param.1 = value,
            None => params.push((name, value)),
        }
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(name, value);
    }
    server.url(&format!("/authorize?{}", query.finish()))
}

/// A login in progress in a browser: the URL of its pages and its CSRF token.
pub struct LoginPage {
    /// `http://…/login/{id}`.
    pub url: String,
    /// The CSRF token of its forms.
    pub csrf: String,
}

impl LoginPage {
    /// Starts a login at `authorize` in `browser` and opens its first page.
    pub async fn open(server: &TestServer, browser: &Browser, authorize: &str) -> Self {
        let start = browser.get(authorize).await;
        assert_eq!(start.status, 303, "authorize: {}", start.body);
        Self::at(server, browser, start.location.as_deref().unwrap()).await
    }

    /// Opens the login page at `location` (`/login/{id}`).
    pub async fn at(server: &TestServer, browser: &Browser, location: &str) -> Self {
        let url = server.url(location);
        let page = browser.get(&url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        Self {
            csrf: csrf(&page.body),
            url,
        }
    }

    /// Posts `fields` and the CSRF token to the form at `step` (`number`, `code`, `resend`,
    /// `consent`).
    pub async fn post(&self, browser: &Browser, step: &str, fields: &[(&str, &str)]) -> Seen {
        let mut form = fields.to_vec();
        form.push(("csrf", &self.csrf));
        browser.post(&format!("{}/{step}", self.url), &form).await
    }

    /// Enters the demo citizen's registry number and returns the code the outbox received.
    pub async fn code_for_citizen(&self, server: &TestServer, browser: &Browser) -> String {
        let (number, phone) = CITIZEN;
        let seen = server.sms_count(phone);
        let sent = self
            .post(browser, "number", &[("registry_number", number)])
            .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        server.wait_for_code(phone, seen).await
    }
}

/// The demo citizen УБ90010112 and the phone their codes go to.
pub const CITIZEN: (&str, &str) = ("УБ90010112", "+97699000001");

/// Drives the login pages from an authorization URL to the redirect back: registry number,
/// the code from the outbox, and consent when asked. Returns the final redirect's location.
pub async fn log_in(server: &TestServer, browser: &Browser, authorize: &str) -> String {
    let start = browser.get(authorize).await;
    assert_eq!(start.status, 303, "authorize: {}", start.body);
    let location = start.location.unwrap();
    if !location.starts_with("/login/") {
        return location;
    }
    let page = LoginPage::at(server, browser, &location).await;
    let code = page.code_for_citizen(server, browser).await;
    let entered = page.post(browser, "code", &[("code", &code)]).await;
    assert_eq!(entered.status, 303, "{}", entered.body);
    let location = entered.location.unwrap();
    if !location.starts_with("/login/") {
        return location;
    }
    let consent = browser.get(&server.url(&location)).await;
    assert_eq!(consent.status, 200);
    let allowed = page
        .post(browser, "consent", &[("decision", "allow")])
        .await;
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    allowed.location.unwrap()
}

/// A relying party's back-channel logout endpoint on loopback: its URL, and the bodies it
/// receives (each answered 200).
pub async fn backchannel_endpoint() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (sender, received) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let sender = sender.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 16 * 1024];
                let mut read = 0;
                loop {
                    let n = socket.read(&mut buffer[read..]).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    read += n;
                    let text = String::from_utf8_lossy(&buffer[..read]).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length: usize = text
                            .lines()
                            .find_map(|l| {
                                l.to_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap())
                            })
                            .unwrap_or(0);
                        if read >= end + 4 + length {
                            let _ = sender.send(text[end + 4..end + 4 + length].to_owned());
                            let _ = socket
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                                .await;
                            break;
                        }
                    }
                }
            });
        }
    });
    (format!("http://{address}/backchannel"), received)
}
