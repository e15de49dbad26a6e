//! A small e-service that logs citizens in through DAN with the SDK's `RelyingParty`, shows
//! the claims DAN released, and takes part in single logout (RP-initiated and back-channel).
//!
//! Run it next to the embedded default (see `sdk/README.md`):
//!
//! ```text
//! cargo run -p idp                                   # DAN on http://127.0.0.1:8080
//! cargo run -p idp -- clients add --id demo-eservice --name-mn "Жишээ үйлчилгээ" \
//!     --name-en "Example e-service" --redirect-uri http://127.0.0.1:3000/callback \
//!     --post-logout-uri http://127.0.0.1:3000/logged-out \
//!     --backchannel-logout-uri http://127.0.0.1:3000/backchannel-logout --scope openid --scope profile
//! ESERVICE_CLIENT_SECRET=<the secret printed above> cargo run -p sdk --example eservice
//! ```
//!
//! Configuration (environment): `DAN_ISSUER` (`http://127.0.0.1:8080`), `ESERVICE_LISTEN`
//! (`127.0.0.1:3000`), `ESERVICE_URL` (`http://` + listen), `ESERVICE_CLIENT_ID`
//! (`demo-eservice`), `ESERVICE_CLIENT_SECRET` (required), `ESERVICE_NAME`, `ESERVICE_SCOPES`
//! (`openid profile`), `ESERVICE_ACR` (`low`, `substantial` or `high`; none by default).
//!
//! Sessions live in memory (8 hours at most), keyed by a random cookie that is renewed at
//! login; a real e-service keeps them in its own store (the SDK's `PendingLogin` and `Login`
//! are serializable for that).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dan_sdk::relying_party::{
    Acr, Callback, ClientAuth, Login, LoginRequest, PendingLogin, RelyingParty, RelyingPartyConfig,
    Secret,
};
use poem::http::{StatusCode, header};
use poem::listener::TcpListener;
use poem::web::{Data, Form};
use poem::{EndpointExt, Request, Response, Route, Server, get, handler, post};
use serde::Deserialize;

/// The session cookie's name: `eservice_<port>`, because browsers share cookies between the
/// ports of one host, and two examples on one machine must not overwrite each other's.
fn cookie_name(listen: SocketAddr) -> String {
    format!("eservice_{}", listen.port())
}

/// How long a session lives, logged in or not.
const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// The most sessions kept: beyond it the oldest go.
const MAX_SESSIONS: usize = 100_000;

/// One browser's state at the e-service.
struct Session {
    /// When it was created, for expiry.
    created: Instant,
    /// Set while the citizen is at DAN.
    pending: Option<PendingLogin>,
    /// Set once logged in.
    login: Option<Login>,
    /// Guards the logout form.
    csrf: String,
    /// Set when DAN's back-channel logout ended this session.
    ended_by_dan: bool,
}

/// The e-service: its DAN client, its name, and its sessions.
struct App {
    rp: RelyingParty,
    name: String,
    cookie: String,
    secure_cookie: bool,
    acr: Option<Acr>,
    sessions: Mutex<HashMap<String, Session>>,
}

impl App {
    fn sessions(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        match self.sessions.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Runs `f` on the live session `id`; `None` when there is none. Sessions are only
    /// created by [`App::new_session`], so a made-up cookie creates nothing.
    fn with_session<T>(&self, id: &str, f: impl FnOnce(&mut Session) -> T) -> Option<T> {
        let mut sessions = self.sessions();
        let live = sessions
            .get(id)
            .is_some_and(|s| s.created.elapsed() < SESSION_LIFETIME);
        if !live {
            sessions.remove(id);
            return None;
        }
        sessions.get_mut(id).map(f)
    }

    /// Creates a session under a fresh random id, dropping expired ones (and the oldest when
    /// full); returns the id.
    fn new_session(&self, session: Session) -> String {
        let id = random_hex();
        let mut sessions = self.sessions();
        sessions.retain(|_, s| s.created.elapsed() < SESSION_LIFETIME);
        if sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.created)
                .map(|(id, _)| id.clone())
        {
            sessions.remove(&oldest);
        }
        sessions.insert(id.clone(), session);
        id
    }

    fn end_session(&self, id: &str) {
        self.sessions().remove(id);
    }
}

impl Session {
    fn new() -> Self {
        Self {
            created: Instant::now(),
            pending: None,
            login: None,
            csrf: String::new(),
            ended_by_dan: false,
        }
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    // The OS generator; failing here means the machine cannot do cryptography at all.
    openssl::rand::rand_bytes(&mut bytes).expect("the OS random generator works");
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn session_id(app: &App, request: &Request) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == app.cookie)
        .map(|(_, value)| value.to_owned())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(app: &App, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {name}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;\
         padding:0 1rem;line-height:1.5}}pre{{white-space:pre-wrap;overflow-wrap:anywhere;\
         background:#f4f4f4;padding:.5rem}}a,button{{font-size:1.1rem}}\
         th{{text-align:left;padding-right:1rem}}td{{overflow-wrap:anywhere}}\
         table{{table-layout:fixed;width:100%}}</style></head>\
         <body><header><strong>{name}</strong></header><main><h1>{title}</h1>{body}</main>\
         </body></html>",
        title = escape(title),
        name = escape(&app.name),
    );
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; \
             frame-ancestors 'none'",
        )
        .body(html)
}

fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

fn with_cookie(app: &App, mut response: Response, id: &str) -> Response {
    let secure = if app.secure_cookie { "; Secure" } else { "" };
    let cookie = format!(
        "{}={id}; Path=/; HttpOnly; SameSite=Lax{secure}",
        app.cookie
    );
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET /`: the claims when logged in, a login link otherwise.
#[handler]
async fn home(request: &Request, Data(app): Data<&Arc<App>>) -> Response {
    let id = session_id(app, request);
    let (login, csrf, ended) = id
        .and_then(|id| {
            app.with_session(&id, |s| {
                let ended = std::mem::take(&mut s.ended_by_dan);
                (s.login.clone(), s.csrf.clone(), ended)
            })
        })
        .unwrap_or((None, String::new(), false));
    let Some(login) = login else {
        let notice = if ended {
            "<p role=\"status\" id=\"ended\">DAN ended your session (single logout).</p>"
        } else {
            ""
        };
        let body = format!(
            "{notice}<p id=\"status\">You are not logged in.</p>\
             <p><a id=\"login\" href=\"/login\">Log in with DAN</a></p>"
        );
        return page(app, "Welcome", &body);
    };
    let claims = &login.claims;
    let mut body = String::from("<p id=\"status\">You are logged in.</p><table>");
    let rows = [
        ("Subject (sub)", "sub", Some(claims.sub.clone())),
        ("Level (acr)", "acr", claims.acr.clone()),
        ("Methods (amr)", "amr", Some(claims.amr.join(" "))),
        ("Session (sid)", "sid", claims.sid.clone()),
    ];
    for (label, id, value) in rows {
        let value = value.unwrap_or_default();
        let _ = write!(
            body,
            "<tr><th>{label}</th><td id=\"{id}\">{}</td></tr>",
            escape(&value)
        );
    }
    body.push_str("</table>");
    match app.rp.userinfo(&login).await {
        Ok(info) => {
            let name = info.claim("name").unwrap_or("(no profile scope)");
            let _ = write!(body, "<p id=\"name\">Hello, {}.</p>", escape(name));
            let json = serde_json::to_string_pretty(&info.claims).unwrap_or_default();
            let _ = write!(
                body,
                "<h2>Userinfo</h2><pre id=\"userinfo\">{}</pre>",
                escape(&json)
            );
        }
        Err(error) => {
            let _ = write!(
                body,
                "<p role=\"alert\">Userinfo failed: {}</p>",
                escape(&error.to_string())
            );
        }
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" \
         value=\"{csrf}\"><button id=\"logout\" type=\"submit\">Log out</button></form>"
    );
    page(app, "Logged in", &body)
}

/// `GET /login`: a fresh session with a pending login, and off to DAN. Any previous session
/// of this browser ends: every login starts clean.
#[handler]
async fn start_login(request: &Request, Data(app): Data<&Arc<App>>) -> Response {
    if let Some(old) = session_id(app, request) {
        app.end_session(&old);
    }
    let mut wanted = LoginRequest::new().ui_locale("mn").ui_locale("en");
    if let Some(level) = app.acr {
        wanted = wanted.acr(level);
    }
    match app.rp.authorization_url(&wanted).await {
        Ok((url, pending)) => {
            let id = app.new_session(Session {
                pending: Some(pending),
                ..Session::new()
            });
            with_cookie(app, redirect(url.as_str()), &id)
        }
        Err(error) => page(app, "DAN is unavailable", &failure(&error.to_string())),
    }
}

fn failure(message: &str) -> String {
    format!(
        "<p role=\"alert\" id=\"error\">{}</p><p><a href=\"/\">Back</a></p>",
        escape(message)
    )
}

/// `GET /callback`: DAN's answer; the pending login is used once.
#[handler]
async fn callback(request: &Request, Data(app): Data<&Arc<App>>) -> Response {
    let Some(id) = session_id(app, request) else {
        return page(
            app,
            "Login failed",
            &failure("No login was started in this browser."),
        );
    };
    let Some(pending) = app.with_session(&id, |s| s.pending.take()).flatten() else {
        return page(
            app,
            "Login failed",
            &failure("No login is pending; start again."),
        );
    };
    let callback = match Callback::from_query(request.uri().query().unwrap_or_default()) {
        Ok(callback) => callback,
        Err(error) => return page(app, "Login failed", &failure(&error.to_string())),
    };
    match app.rp.finish_login(&pending, &callback).await {
        Ok(login) => {
            // A new session id once logged in: a session fixed before login is worth nothing.
            app.end_session(&id);
            let id = app.new_session(Session {
                login: Some(login),
                csrf: random_hex(),
                ..Session::new()
            });
            with_cookie(app, redirect("/"), &id)
        }
        Err(error) => page(app, "Login failed", &failure(&error.to_string())),
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

/// `POST /logout`: ends the local session and sends the browser to DAN's logout.
#[handler]
async fn end_login(
    request: &Request,
    Form(form): Form<LogoutForm>,
    Data(app): Data<&Arc<App>>,
) -> Response {
    let Some(id) = session_id(app, request) else {
        return redirect("/");
    };
    let login = app
        .with_session(&id, |s| {
            let valid = !s.csrf.is_empty()
                && s.csrf.len() == form.csrf.len()
                && openssl::memcmp::eq(s.csrf.as_bytes(), form.csrf.as_bytes());
            if valid { s.login.take() } else { None }
        })
        .flatten();
    let Some(login) = login else {
        return redirect("/");
    };
    match app.rp.logout_url(&login, None).await {
        Ok(url) => redirect(url.as_str()),
        Err(_) => redirect("/logged-out"),
    }
}

/// `GET /logged-out`: where DAN sends the browser after logout.
#[handler]
fn logged_out(Data(app): Data<&Arc<App>>) -> Response {
    page(
        app,
        "Logged out",
        "<p id=\"status\">You have logged out.</p><p><a href=\"/\">Home</a></p>",
    )
}

#[derive(Deserialize)]
struct BackChannelForm {
    logout_token: String,
}

/// `POST /backchannel-logout`: DAN says a session ended (OIDC Back-Channel Logout 1.0, 2.8).
#[handler]
async fn backchannel_logout(
    Form(form): Form<BackChannelForm>,
    Data(app): Data<&Arc<App>>,
) -> Response {
    let token = match app.rp.verify_logout_token(&form.logout_token).await {
        Ok(token) => token,
        Err(error) => {
            eprintln!("back-channel logout refused: {error}");
            // 503 when DAN's keys could not be fetched (DAN may retry); 400 for a bad token.
            let status = if error.is_server_error() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::BAD_REQUEST
            };
            return Response::builder()
                .status(status)
                .header(header::CACHE_CONTROL, "no-store")
                .content_type("application/json")
                .body(r#"{"error":"invalid_request"}"#);
        }
    };
    let mut sessions = app.sessions();
    let mut ended = 0;
    for session in sessions.values_mut() {
        let matches = session
            .login
            .as_ref()
            .is_some_and(|login| match &token.sid {
                Some(sid) => login.claims.sid.as_ref() == Some(sid),
                None => token.sub.as_ref() == Some(&login.claims.sub),
            });
        if matches {
            session.login = None;
            session.ended_by_dan = true;
            ended += 1;
        }
    }
    println!("back-channel logout: {ended} session(s) ended");
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = env("DAN_ISSUER", "http://127.0.0.1:8080");
    let listen: SocketAddr = env("ESERVICE_LISTEN", "127.0.0.1:3000").parse()?;
    let url = env("ESERVICE_URL", &format!("http://{listen}"));
    let client_id = env("ESERVICE_CLIENT_ID", "demo-eservice");
    let Ok(secret) = std::env::var("ESERVICE_CLIENT_SECRET") else {
        eprintln!(
            "ESERVICE_CLIENT_SECRET is not set: register the e-service with \
             `idp clients add` (see sdk/README.md) and pass the secret it prints"
        );
        std::process::exit(2);
    };
    let acr = match std::env::var("ESERVICE_ACR") {
        Ok(value) => Some(Acr::parse(&value).ok_or("ESERVICE_ACR: low, substantial or high")?),
        Err(_) => None,
    };
    let mut config = RelyingPartyConfig::new(
        issuer.clone(),
        client_id,
        format!("{url}/callback"),
        ClientAuth::SecretBasic(Secret::new(secret)),
    )
    .post_logout_redirect_uri(format!("{url}/logged-out"));
    for scope in env("ESERVICE_SCOPES", "openid profile").split_whitespace() {
        config = config.scope(scope);
    }
    let rp = match RelyingParty::discover(config).await {
        Ok(rp) => rp,
        Err(error) => {
            eprintln!("cannot use DAN at {issuer}: {error}");
            std::process::exit(1);
        }
    };
    let app = Arc::new(App {
        rp,
        name: env("ESERVICE_NAME", "Example e-service"),
        cookie: cookie_name(listen),
        secure_cookie: url.starts_with("https://"),
        acr,
        sessions: Mutex::new(HashMap::new()),
    });
    let routes = Route::new()
        .at("/", get(home))
        .at("/login", get(start_login))
        .at("/callback", get(callback))
        .at("/logout", post(end_login))
        .at("/logged-out", get(logged_out))
        .at("/backchannel-logout", post(backchannel_logout))
        .data(app);
    let listener = TcpListener::bind(listen);
    println!("e-service at {url} (logs in through DAN at {issuer})");
    Server::new(listener).run(routes).await?;
    Ok(())
}
