//! The admin console: server-rendered pages on the admin listener, under `/console`, for
//! security administrators. Every asset is embedded in the binary; the pages run no script
//! (the charts are inline SVG, each with its figures as a table), so the Content-Security-
//! Policy allows only the console's own stylesheet ([`html::CSP`]).
//!
//! Sign-in is with an admin API token (`idp admin token`), exchanged for a short session
//! ([`session`]); signing in through DAN itself, with a passkey, follows when passkeys exist
//! (issue 7). Every action goes through the same desk as the API ([`crate::desk`]): the same
//! role checks, the same audit records. Mongolian by default, English on request.
//!
//! | path | |
//! |---|---|
//! | `/console/login`, `/console/logout` | sign in with a token, sign out |
//! | `/console/dashboard` | statistics with charts |
//! | `/console/clients[/new, /:id, /:id/edit, ...]` | e-services |
//! | `/console/citizens` | look-up, lock, unlock, end sessions |
//! | `/console/keys` | signing keys: rotate, withdraw |
//! | `/console/audit[/verify]` | the audit trail with filters, and its verification |

mod audit;
mod citizens;
mod clients;
mod dashboard;
mod html;
mod keys;
mod session;
mod texts;

use std::sync::Arc;

use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{Body, EndpointExt, IntoEndpoint, Request, Response, Route, get, handler};

use self::html::{Field, Input, Section, Shell, error_summary, escape, form_open};
use self::session::SessionState;
use self::texts::{Locale, fill};
use crate::desk::Desk;
use crate::problem::Failure;
use crate::roles::Principal;

/// How the console is deployed.
#[derive(Clone, Copy, Debug)]
pub struct ConsoleOptions {
    /// Whether cookies carry `Secure` (off only for plain-http development).
    pub secure_cookies: bool,
}

/// The console's shared state.
pub(crate) struct Console {
    desk: Desk,
    secure: bool,
}

/// A request from a signed-in administrator.
pub(crate) struct Signed {
    pub who: Principal,
    pub state: SessionState,
    pub locale: Locale,
    pub path: String,
}

impl Signed {
    /// A page of a section for this administrator.
    pub(crate) fn page(
        &self,
        status: StatusCode,
        section: Section,
        heading: &str,
        body: String,
    ) -> Response {
        let has_error = status.is_client_error() || status.is_server_error();
        respond(
            status,
            Shell {
                locale: self.locale,
                section,
                heading,
                admin: Some((&self.who.name, &self.state.csrf)),
                path: &self.path,
                body,
                has_error,
            }
            .render(),
        )
    }

    /// The page for a failure of an operation that has no form to show it in: not allowed,
    /// not found, unavailable, or another refusal.
    pub(crate) fn failure(&self, section: Section, failure: &Failure) -> Response {
        let t = self.locale.texts();
        let message = describe(self.locale, failure);
        let status =
            StatusCode::from_u16(failure.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = error_summary(t, &message, None);
        self.page(status, section, t.error_summary, body)
    }

    /// The `csrf` hidden field's form opening for `action`.
    pub(crate) fn form(&self, action: &str) -> String {
        form_open(action, &self.state.csrf)
    }
}

/// What a failure means for people, in the page's language where DAN words it itself (the
/// backend's reasons, which name a field, are in English).
pub(crate) fn describe(locale: Locale, failure: &Failure) -> String {
    let t = locale.texts();
    let problem = failure.problem();
    match failure {
        Failure::Forbidden(_) => {
            let role = problem
                .detail
                .strip_prefix("the ")
                .and_then(|d| d.split(' ').next())
                .unwrap_or_default();
            fill(t.not_allowed, role)
        }
        Failure::Unavailable(_) => t.unavailable.to_owned(),
        _ => problem.detail.clone(),
    }
}

/// A form's fields, in order, with repeated names kept (checkbox groups).
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    /// The first value of `name`, or `""`.
    pub(crate) fn one(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether the checkbox `name` is checked.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.one(name) == "true"
    }
}

/// Lines of a textarea, trimmed, without blank ones.
pub(crate) fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A console page with its security headers.
pub(crate) fn respond(status: StatusCode, html: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, html::CSP)
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header("Cross-Origin-Opener-Policy", "same-origin")
        .body(html)
}

/// 303 to a console path.
pub(crate) fn redirect(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

/// The page's language: the language cookie, else Mongolian.
fn locale_of(request: &Request) -> Locale {
    session::cookie(request, session::LANG_COOKIE)
        .and_then(|v| Locale::parse(&v))
        .unwrap_or_default()
}

/// The path and query of a GET request, for the language switch to come back to; empty for
/// a POST (whose answer the switch cannot load again: it goes to the section's page).
fn path_of(request: &Request) -> String {
    if request.method() != poem::http::Method::GET {
        return String::new();
    }
    request
        .uri()
        .path_and_query()
        .map_or_else(|| "/console".to_owned(), |p| p.as_str().to_owned())
}

impl Console {
    /// The signed-in administrator of this request; otherwise the answer to send (to the
    /// sign-in page, or an error page when the store is down).
    pub(crate) async fn signed_in(&self, request: &Request) -> Result<Signed, Response> {
        let locale = locale_of(request);
        let to_sign_in = || redirect("/console/login");
        let Some(cookie) = session::cookie(request, session::COOKIE) else {
            return Err(to_sign_in());
        };
        let key = session::store_key(&cookie);
        let backend = &self.desk.backend;
        let stored = backend
            .session_get(&key)
            .await
            .map_err(|_| self.unavailable(locale))?;
        let Some(state) = stored.and_then(|b| serde_json::from_slice::<SessionState>(&b).ok())
        else {
            return Err(to_sign_in());
        };
        let now = backend.now().timestamp();
        let who = if state.expired(now) {
            None
        } else {
            backend
                .console_principal(&state.admin, &state.token_id)
                .await
                .map_err(|_| self.unavailable(locale))?
        };
        let Some(who) = who else {
            // Ended: expired, or its token revoked or its account disabled.
            let _ = backend.session_delete(&key).await;
            return Err(self.signed_out(locale));
        };
        // Sliding idle expiry (the absolute limit is in the state); a session deleted meanwhile,
        // at sign-out, stays deleted.
        let live = backend
            .session_touch(&key, session::IDLE)
            .await
            .map_err(|_| self.unavailable(locale))?;
        if !live {
            return Err(self.signed_out(locale));
        }
        Ok(Signed {
            who,
            state,
            locale,
            path: path_of(request),
        })
    }

    /// The signed-in administrator and the fields of a posted form whose CSRF token matches
    /// the session's; otherwise the answer to send (nothing was done).
    pub(crate) async fn posted(
        &self,
        request: &Request,
        body: Body,
    ) -> Result<(Signed, Form), Response> {
        let signed = self.signed_in(request).await?;
        let form = read_form(body).await;
        let valid = form
            .as_ref()
            .is_some_and(|f| session::same_token(f.one("csrf"), &signed.state.csrf));
        match form {
            Some(form) if valid => Ok((signed, form)),
            _ => {
                let t = signed.locale.texts();
                Err(signed.page(
                    StatusCode::FORBIDDEN,
                    Section::Dashboard,
                    t.error_summary,
                    error_summary(t, t.form_expired, None),
                ))
            }
        }
    }

    fn unavailable(&self, locale: Locale) -> Response {
        let t = locale.texts();
        sign_in_page(
            StatusCode::SERVICE_UNAVAILABLE,
            locale,
            "",
            Some(t.unavailable),
            self.secure,
        )
    }

    /// The sign-in page saying the session ended, with the session cookie cleared.
    fn signed_out(&self, locale: Locale) -> Response {
        let t = locale.texts();
        let mut response = sign_in_page(
            StatusCode::OK,
            locale,
            "",
            Some(t.session_ended),
            self.secure,
        );
        if let Ok(value) = session::set_cookie(session::COOKIE, "", None, self.secure).parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        response
    }
}

/// Reads an `application/x-www-form-urlencoded` body (the listener already capped its size).
async fn read_form(body: Body) -> Option<Form> {
    let bytes = body.into_bytes().await.ok()?;
    Some(Form(
        form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    ))
}

/// The sign-in page with a fresh double-submit token (cookie and hidden field). `error` is
/// shown as the token field's error; `notice` as a status message.
fn sign_in_page(
    status: StatusCode,
    locale: Locale,
    error: &str,
    notice: Option<&str>,
    secure: bool,
) -> Response {
    let t = locale.texts();
    let Some(token) = session::random_token() else {
        return respond(StatusCode::SERVICE_UNAVAILABLE, escape(t.unavailable));
    };
    let error = (!error.is_empty()).then_some(error);
    let mut body = String::new();
    if let Some(message) = error {
        body.push_str(&error_summary(t, message, Some("token")));
    }
    if let Some(notice) = notice {
        body.push_str(&html::notice(notice));
    }
    body.push_str(&form_open("/console/login", &token));
    body.push_str(
        &Field {
            name: "token",
            label: t.token_label,
            hint: Some(t.token_hint),
            value: "",
            error,
            input: Input::Secret,
        }
        .render(t),
    );
    body.push_str(&html::button(t.sign_in, ""));
    body.push_str("</form>\n");
    let html = Shell {
        locale,
        section: Section::SignIn,
        heading: t.sign_in_heading,
        admin: None,
        path: "/console/login",
        body,
        has_error: error.is_some(),
    }
    .render();
    let mut response = respond(status, html);
    let cookie = session::set_cookie(session::LOGIN_COOKIE, &token, Some(session::IDLE), secure);
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[handler]
async fn sign_in_form(request: &Request, console: Data<&Arc<Console>>) -> Response {
    if console.signed_in(request).await.is_ok() {
        return redirect("/console/dashboard");
    }
    sign_in_page(StatusCode::OK, locale_of(request), "", None, console.secure)
}

#[handler]
async fn sign_in(request: &Request, body: Body, console: Data<&Arc<Console>>) -> Response {
    let locale = locale_of(request);
    let t = locale.texts();
    let form = read_form(body).await;
    let expected = session::cookie(request, session::LOGIN_COOKIE).unwrap_or_default();
    let Some(form) = form.filter(|f| session::same_token(f.one("csrf"), &expected)) else {
        return sign_in_page(
            StatusCode::FORBIDDEN,
            locale,
            t.form_expired,
            None,
            console.secure,
        );
    };
    let backend = &console.desk.backend;
    let address = request
        .remote_addr()
        .as_socket_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
    // A live token always signs in (a guess of 256 bits is hopeless, and an administrator must
    // get in during an incident even while someone floods the form); refusals are counted per
    // address, and past the limit answered 429 and no longer each audited.
    let signed_in = match backend.console_sign_in(form.one("token").trim()).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return match backend.sign_in_refused(&address).await {
                Ok(None) => sign_in_page(
                    StatusCode::UNAUTHORIZED,
                    locale,
                    t.sign_in_failed,
                    None,
                    console.secure,
                ),
                Ok(Some(wait)) => {
                    let message = fill(t.too_many_sign_ins, &wait.to_string());
                    let mut response = sign_in_page(
                        StatusCode::TOO_MANY_REQUESTS,
                        locale,
                        &message,
                        None,
                        console.secure,
                    );
                    if let Ok(value) = wait.to_string().parse() {
                        response.headers_mut().insert(header::RETRY_AFTER, value);
                    }
                    response
                }
                Err(_) => console.unavailable(locale),
            };
        }
        Err(_) => return console.unavailable(locale),
    };
    let (who, token_id) = signed_in;
    let (Some(cookie), Some(csrf)) = (session::random_token(), session::random_token()) else {
        return console.unavailable(locale);
    };
    let state = SessionState {
        admin: who.name.clone(),
        token_id,
        csrf,
        started: backend.now().timestamp(),
    };
    let stored = match serde_json::to_vec(&state) {
        Ok(value) => {
            backend
                .session_put(&session::store_key(&cookie), &value, session::IDLE)
                .await
        }
        Err(_) => Err(crate::problem::AdminFailure::Unavailable),
    };
    if stored.is_err() {
        return console.unavailable(locale);
    }
    backend.record(&who, "console.sign_in", None, "ok").await;
    let mut response = redirect("/console/dashboard");
    let headers = response.headers_mut();
    for value in [
        session::set_cookie(
            session::COOKIE,
            &cookie,
            Some(session::ABSOLUTE),
            console.secure,
        ),
        session::set_cookie(session::LOGIN_COOKIE, "", None, console.secure),
    ] {
        if let Ok(value) = value.parse() {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

#[handler]
async fn sign_out(request: &Request, body: Body, console: Data<&Arc<Console>>) -> Response {
    let (signed, _) = match console.posted(request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    if let Some(cookie) = session::cookie(request, session::COOKIE) {
        let _ = console
            .desk
            .backend
            .session_delete(&session::store_key(&cookie))
            .await;
    }
    console
        .desk
        .backend
        .record(&signed.who, "console.sign_out", None, "ok")
        .await;
    let mut response = redirect("/console/login");
    if let Ok(value) = session::set_cookie(session::COOKIE, "", None, console.secure).parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `/console/lang/:code?back=…`: remembers the language and goes back (to a console page
/// only).
#[handler]
fn language(request: &Request, console: Data<&Arc<Console>>) -> Response {
    let code = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .and_then(Locale::parse)
        .unwrap_or_default();
    let back = request
        .uri()
        .query()
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "back")
                .map(|(_, v)| v.into_owned())
        })
        .filter(|b| {
            b.starts_with("/console") && !b.contains('\\') && !b.chars().any(char::is_control)
        })
        .unwrap_or_else(|| "/console/dashboard".to_owned());
    let mut response = redirect(&back);
    let cookie = format!(
        "{}={}; Path={}; Max-Age=31536000; SameSite=Lax{}",
        session::LANG_COOKIE,
        code.as_str(),
        session::PATH,
        if console.secure { "; Secure" } else { "" }
    );
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[handler]
fn stylesheet() -> Response {
    Response::builder()
        .content_type("text/css; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(html::CSS)
}

#[handler]
fn home() -> Response {
    redirect("/console/dashboard")
}

/// The console's routes, to nest at `/console`.
pub(crate) fn routes(desk: Desk, options: ConsoleOptions) -> impl IntoEndpoint {
    let console = Arc::new(Console {
        desk,
        secure: options.secure_cookies,
    });
    Route::new()
        .at("/", get(home))
        .at("/assets/console.css", get(stylesheet))
        .at("/lang/:code", get(language))
        .at("/login", get(sign_in_form).post(sign_in))
        .at("/logout", poem::post(sign_out))
        .at("/dashboard", get(dashboard::page))
        .at("/clients", get(clients::index))
        .at("/clients/new", get(clients::new_form).post(clients::create))
        .at("/clients/:id", get(clients::detail))
        .at(
            "/clients/:id/edit",
            get(clients::edit_form).post(clients::update),
        )
        .at("/clients/:id/secret", poem::post(clients::rotate))
        .at("/clients/:id/enabled", poem::post(clients::set_enabled))
        .at("/clients/:id/restricted", poem::post(clients::restricted))
        .at(
            "/citizens",
            get(citizens::lookup_page).post(citizens::lookup),
        )
        .at("/citizens/:id/:action", poem::post(citizens::act))
        .at(
            "/citizens/:id/methods/:method/remove",
            poem::post(citizens::remove_method),
        )
        .at("/keys", get(keys::index))
        .at("/keys/:alg/rotate", poem::post(keys::rotate))
        .at("/keys/:kid/withdraw", poem::post(keys::withdraw))
        .at("/audit", get(audit::index))
        .at("/audit/verify", get(audit::verify))
        .data(console)
}
