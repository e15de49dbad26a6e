//! The admin plane of DAN: the admin API (poem-openapi), served by the `idp` process on its
//! own listener (`IDP_ADMIN_LISTEN`, 127.0.0.1:8081 by default), separate from the public one.
//!
//! This crate defines what the admin plane needs from the provider as the [`AdminBackend`]
//! trait, which the `idp` crate implements, so the dependency points from `idp` to `admin` and
//! never back. It owns the HTTP surface: routes, authentication by admin API token, the role
//! check of every operation ([`roles`]), the audit record of every request, problem details
//! for every error ([`problem`]), and the OpenAPI document ([`openapi_json`], committed as
//! `openapi/admin.json`).
//!
//! | path | |
//! |---|---|
//! | `/api/v1/...` | the operations (see `openapi/admin.json`) |
//! | `/openapi.json` | the OpenAPI 3 document |
//! | `/explorer` | the document in an interactive explorer (Swagger UI, embedded) |
//! | `/console/...` | the admin console (server-rendered pages; see the `console` module) |

#![forbid(unsafe_code)]

mod api;
mod console;
mod desk;
pub mod model;
pub mod problem;
pub mod roles;
mod schema;

use std::sync::Arc;

use base64::Engine as _;
use sha2::Digest as _;
use std::time::Duration;

use async_trait::async_trait;
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route};
use poem_openapi::OpenApiService;

pub use self::console::ConsoleOptions;
use self::model::{
    AuditPage, AuditQuery, ChainReportView, CitizenView, ClientInput, ClientPage, ClientSettings,
    ClientView, CreatedClient, EnrollmentCodeView, InitialTokenInput, InitialTokenView,
    IssuedInitialToken, KeyView, RotatedSecret, ScopeView, StatisticsView,
};
use self::problem::{AdminFailure, Problem};
use self::roles::Principal;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A body declared over [`MAX_BODY_BYTES`] but not over this is read (and dropped) before the
/// 413, so that the client hears it.
const DRAINED_BODY_BYTES: usize = 8 * MAX_BODY_BYTES;

/// What the admin plane needs from the provider. Every change is one transaction: when an
/// operation fails, nothing of it was written.
#[async_trait]
pub trait AdminBackend: Send + Sync {
    /// Who a presented API token acts for; `None` for an unknown, expired or revoked token.
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AdminFailure>;
    /// Records an admin request in the audit trail: who, what, on what, and the outcome
    /// (`ok` or the HTTP status).
    async fn record(&self, actor: &Principal, action: &str, target: Option<&str>, outcome: &str);

    /// The time now, by the provider's clock (console session lifetimes).
    fn now(&self) -> chrono::DateTime<chrono::Utc>;
    /// Signs in to the console with an API token: who it acts for and the token's public id,
    /// which the console session keeps; `None` as for [`AdminBackend::authenticate`].
    async fn console_sign_in(
        &self,
        token: &str,
    ) -> Result<Option<(Principal, String)>, AdminFailure>;
    /// Counts a refused console sign-in (no live token) from `address` and records it in the
    /// audit trail; past the limit a minute, `Some(seconds)` to wait, and no more records.
    async fn sign_in_refused(&self, address: &str) -> Result<Option<u64>, AdminFailure>;
    /// Who a console session signed in as `name` with the token `token_id` acts for, while
    /// that token is live and the account enabled; `None` ends the session.
    async fn console_principal(
        &self,
        name: &str,
        token_id: &str,
    ) -> Result<Option<Principal>, AdminFailure>;
    /// Keeps console session state under `key` for `ttl`, in the short-lived store every
    /// node shares.
    async fn session_put(&self, key: &str, value: &[u8], ttl: Duration)
    -> Result<(), AdminFailure>;
    /// Console session state, if it has not expired.
    async fn session_get(&self, key: &str) -> Result<Option<Vec<u8>>, AdminFailure>;
    /// Gives console session state a new time to live if it is still there (never bringing
    /// back state deleted meanwhile, at sign-out); returns whether it was.
    async fn session_touch(&self, key: &str, ttl: Duration) -> Result<bool, AdminFailure>;
    /// Forgets console session state.
    async fn session_delete(&self, key: &str) -> Result<(), AdminFailure>;

    /// Clients by id after `after`, at most `limit`, optionally only enabled or disabled ones.
    async fn list_clients(
        &self,
        after: Option<String>,
        limit: u32,
        enabled: Option<bool>,
    ) -> Result<ClientPage, AdminFailure>;
    /// One client.
    async fn get_client(&self, id: &str) -> Result<ClientView, AdminFailure>;
    /// Registers a client; its secret, if any, is in the answer only.
    async fn create_client(&self, input: ClientInput) -> Result<CreatedClient, AdminFailure>;
    /// Replaces a client's settings; a secret is made (and returned) when the new method needs
    /// one and the old did not. Refused with a conflict when another change came first, and
    /// as forbidden when the client, as read for the change, holds a restricted scope and the
    /// actor's role may not grant it. Restricted scopes held are kept: they are withdrawn
    /// only with a reason ([`AdminBackend::set_restricted_scope`]).
    async fn update_client(
        &self,
        id: &str,
        settings: ClientSettings,
        actor: &Principal,
    ) -> Result<CreatedClient, AdminFailure>;
    /// Gives a client a new secret; the old one works for `grace_seconds` more. Forbidden as
    /// for [`AdminBackend::update_client`].
    async fn rotate_secret(
        &self,
        id: &str,
        grace_seconds: u32,
        actor: &Principal,
    ) -> Result<RotatedSecret, AdminFailure>;
    /// Enables or disables a client.
    async fn set_client_enabled(&self, id: &str, enabled: bool)
    -> Result<ClientView, AdminFailure>;
    /// Deletes a client.
    async fn delete_client(&self, id: &str) -> Result<(), AdminFailure>;

    /// Issues an initial access token for dynamic client registration (RFC 7591); the token
    /// is in the answer only. Recorded with its actor.
    async fn create_initial_token(
        &self,
        input: InitialTokenInput,
        actor: &Principal,
    ) -> Result<IssuedInitialToken, AdminFailure>;
    /// Every initial access token, newest first, without the tokens.
    async fn list_initial_tokens(&self) -> Result<Vec<InitialTokenView>, AdminFailure>;
    /// Revokes an initial access token by its public id; recorded with its actor.
    async fn revoke_initial_token(
        &self,
        id: &str,
        actor: &Principal,
    ) -> Result<InitialTokenView, AdminFailure>;

    /// The scope catalogue.
    async fn scopes(&self) -> Result<Vec<ScopeView>, AdminFailure>;
    /// Grants (`true`) or withdraws the restricted `scope` for a client, for `reason`.
    async fn set_restricted_scope(
        &self,
        id: &str,
        scope: &str,
        granted: bool,
        reason: &str,
        actor: &Principal,
    ) -> Result<ClientView, AdminFailure>;

    /// Looks a citizen up by registry number, recording the reason and the actor.
    async fn lookup_citizen(
        &self,
        registry_number: &str,
        reason: &str,
        actor: &Principal,
    ) -> Result<CitizenView, AdminFailure>;
    /// Locks (every session and refresh token ends, no new login) or unlocks a citizen.
    async fn set_citizen_locked(
        &self,
        citizen_id: &str,
        locked: bool,
        reason: &str,
        actor: &Principal,
    ) -> Result<CitizenView, AdminFailure>;
    /// Removes one of a citizen's own authentication methods (an authenticator app), for
    /// `reason`; returns the citizen afterwards.
    async fn remove_citizen_method(
        &self,
        citizen_id: &str,
        method_id: &str,
        reason: &str,
        actor: &Principal,
    ) -> Result<CitizenView, AdminFailure>;
    /// Issues a Digital ID enrollment code for the citizen with `registry_number`, by the
    /// registration officer `actor` (audit-logged with the officer).
    async fn issue_enrollment_code(
        &self,
        registry_number: &str,
        actor: &Principal,
    ) -> Result<EnrollmentCodeView, AdminFailure>;
    /// Ends every SSO session of a citizen.
    async fn end_citizen_sessions(
        &self,
        citizen_id: &str,
        reason: &str,
        actor: &Principal,
    ) -> Result<(), AdminFailure>;

    /// The signing keys.
    async fn list_keys(&self) -> Result<Vec<KeyView>, AdminFailure>;
    /// Withdraws a retired key at once (its tokens stop verifying), for `reason`; returns the
    /// keys afterwards.
    async fn withdraw_key(
        &self,
        kid: &str,
        reason: &str,
        actor: &Principal,
    ) -> Result<Vec<KeyView>, AdminFailure>;
    /// Rotates one algorithm's key now; returns the keys afterwards.
    async fn rotate_key(&self, algorithm: &str) -> Result<Vec<KeyView>, AdminFailure>;

    /// The dashboard's figures for the last 24 hours.
    async fn statistics(&self) -> Result<StatisticsView, AdminFailure>;

    /// Audit events after the cursor `after`, oldest first.
    async fn audit_events(
        &self,
        query: AuditQuery,
        after: i64,
        limit: u32,
    ) -> Result<AuditPage, AdminFailure>;
    /// Verifies the whole audit chain.
    async fn verify_audit(&self) -> Result<ChainReportView, AdminFailure>;
}

fn service(backend: Arc<dyn AdminBackend>) -> OpenApiService<api::AdminApi, ()> {
    OpenApiService::new(
        api::AdminApi::new(backend),
        "DAN admin API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Administration of DAN, the national single sign-on: e-services (clients), signing \
         keys and the audit trail. Authenticate with an admin API token (`idp admin create`) \
         as a Bearer token; each operation names the roles that may use it.",
    )
    .server("/api/v1")
}

/// The OpenAPI document of the admin API, as served at `/openapi.json`.
pub fn openapi_json() -> String {
    service(Arc::new(NoBackend)).spec()
}

/// The admin listener's routes: the API under `/api/v1`, the document at `/openapi.json`,
/// the console under `/console`.
/// Bodies over [`MAX_BODY_BYTES`] are refused with 413, and every error the framework raises
/// itself (an unknown path, a wrong method) is answered as problem details too.
pub fn routes(backend: Arc<dyn AdminBackend>, options: ConsoleOptions) -> impl Endpoint {
    let desk = desk::Desk {
        backend: backend.clone(),
    };
    let service = service(backend);
    let spec = service.spec_endpoint();
    let document = Arc::new(schema::Document::new(&service.spec()));
    let explorer = explorer(&service);
    Route::new()
        .nest("/api/v1", service)
        .at("/openapi.json", spec)
        .at("/explorer", explorer)
        .nest("/console", console::routes(desk, options))
        .at("/", poem::get(console_home))
        .around(move |endpoint, request| {
            let document = document.clone();
            async move {
                let path = request.uri().path().to_owned();
                let checked = match limit_body(request).await {
                    Ok(request) => check_types(&document, request).await,
                    Err(error) => Err(problem_response(&error)),
                };
                let mut response = match checked {
                    Ok(request) => match endpoint.call(request).await {
                        Ok(response) => response.into_response(),
                        // An answer of the API's own (problem details) stays as it is.
                        Err(error) if error.is_from_response() => error.into_response(),
                        Err(error) => problem_response(&error),
                    },
                    Err(response) => response,
                };
                if response.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED
                    && let Some(allow) = path
                        .strip_prefix("/api/v1")
                        .and_then(|p| document.allowed(p))
                    && let Ok(value) = poem::http::HeaderValue::from_str(&allow)
                {
                    // RFC 9110 15.5.6: a 405 lists the methods the resource has.
                    response
                        .headers_mut()
                        .insert(poem::http::header::ALLOW, value);
                }
                Ok::<_, poem::Error>(response)
            }
        })
}

/// The interactive explorer of the API (Swagger UI, embedded in the binary), with a policy
/// that allows its two inline scripts and its stylesheet by their hashes, its images as
/// `data:` URLs, and requests to this origin only.
fn explorer(service: &OpenApiService<api::AdminApi, ()>) -> impl Endpoint + use<> {
    let html = service.swagger_ui_html();
    let csp = explorer_policy(&html);
    poem::endpoint::make_sync(move |_| {
        Response::builder()
            .content_type("text/html; charset=utf-8")
            .header(poem::http::header::CONTENT_SECURITY_POLICY, csp.as_str())
            .header(poem::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(poem::http::header::REFERRER_POLICY, "no-referrer")
            .body(html.clone())
    })
}

/// The Content-Security-Policy of a page whose only scripts and styles are inline: each
/// allowed by the SHA-256 of its text (CSP Level 3 hash-source).
fn explorer_policy(html: &str) -> String {
    let hashes = |tag: &str| {
        let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
        let mut sources = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find(&open) {
            let after = &rest[start..];
            let Some(body_start) = after.find('>').map(|i| i + 1) else {
                break;
            };
            let Some(body_len) = after[body_start..].find(&close) else {
                break;
            };
            let body = &after[body_start..body_start + body_len];
            sources.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(body))
            ));
            rest = &after[body_start + body_len..];
        }
        sources.join(" ")
    };
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src 'self' data:; \
         connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        hashes("script"),
        hashes("style")
    )
}

/// Refuses an API request whose JSON body has a member of another type than its schema
/// says (see [`schema`]), with a 400 problem naming the member.
async fn check_types(
    document: &schema::Document,
    mut request: poem::Request,
) -> Result<poem::Request, Response> {
    let Some(path) = request
        .uri()
        .path()
        .strip_prefix("/api/v1")
        .map(str::to_owned)
    else {
        return Ok(request);
    };
    // As poem-openapi's `Json` reads it: `application/json` or `application/*+json`, any case.
    let json = request.content_type().is_some_and(|t| {
        let media = t
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        media == "application/json"
            || (media.starts_with("application/") && media.ends_with("+json"))
    });
    if !json {
        return Ok(request);
    }
    let body = request
        .take_body()
        .into_bytes_limit(MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            problem_response(&poem::Error::from_status(
                poem::http::StatusCode::PAYLOAD_TOO_LARGE,
            ))
        })?;
    if let Err(mismatch) = document.check(request.method().as_str(), &path, &body) {
        let mut problem = Problem::new(
            400,
            "invalid-field",
            "A field is not valid",
            format!("{} must be of type {}", mismatch.field, mismatch.expected),
        );
        if !mismatch.field.is_empty() {
            problem.field = Some(mismatch.field);
        }
        return Err((
            poem::http::StatusCode::BAD_REQUEST,
            poem::web::Json(problem_json(&problem)),
        )
            .with_content_type("application/problem+json")
            .into_response());
    }
    request.set_body(body);
    Ok(request)
}

/// Refuses a body over [`MAX_BODY_BYTES`] with 413: by its `Content-Length` before reading,
/// or, when it has none (chunked), as soon as the stream passes the limit.
async fn limit_body(mut request: poem::Request) -> poem::Result<poem::Request> {
    let too_large = || poem::Error::from_status(poem::http::StatusCode::PAYLOAD_TOO_LARGE);
    let declared = request
        .header(poem::http::header::CONTENT_LENGTH)
        .map(|v| v.parse::<u64>());
    match declared {
        Some(Ok(length)) if length > MAX_BODY_BYTES as u64 => {
            // Not when the client waits for `100 Continue`: it then sends nothing unasked.
            let waits = request
                .header(poem::http::header::EXPECT)
                .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
            if length <= DRAINED_BODY_BYTES as u64 && !waits {
                // Read and dropped, so the client, still sending, gets the 413 rather than a
                // connection closed under it; bigger bodies are refused without reading.
                let mut body = std::pin::pin!(request.take_body().into_bytes_stream());
                let mut read = 0_usize;
                while let Some(Ok(chunk)) = futures_util::StreamExt::next(&mut body).await {
                    read += chunk.len();
                    if read > DRAINED_BODY_BYTES {
                        break;
                    }
                }
            }
            Err(too_large())
        }
        Some(Ok(_)) => Ok(request),
        Some(Err(_)) => Err(poem::Error::from_status(
            poem::http::StatusCode::BAD_REQUEST,
        )),
        None => {
            let body = request
                .take_body()
                .into_bytes_limit(MAX_BODY_BYTES)
                .await
                .map_err(|_| too_large())?;
            request.set_body(body);
            Ok(request)
        }
    }
}

/// The root of the admin listener leads to the console.
#[poem::handler]
fn console_home() -> poem::web::Redirect {
    poem::web::Redirect::see_other("/console/dashboard")
}

/// A framework error (404, 405, 413, ...) as problem details.
fn problem_response(error: &poem::Error) -> Response {
    let status = error.status();
    let problem = Problem::new(
        status.as_u16(),
        "http",
        status.canonical_reason().unwrap_or("Error"),
        error.to_string(),
    );
    let mut body = problem_json(&problem);
    if let Some(field) = field_of(&problem.detail) {
        body["field"] = serde_json::Value::String(field);
    }
    let mut response = (status, poem::web::Json(body))
        .with_content_type("application/problem+json")
        .into_response();
    if status == poem::http::StatusCode::UNAUTHORIZED {
        // RFC 6750 3: a 401 names the scheme it wants.
        response.headers_mut().insert(
            poem::http::header::WWW_AUTHENTICATE,
            poem::http::HeaderValue::from_static(r#"Bearer realm="dan-admin""#),
        );
    }
    response
}

/// A problem as its JSON document.
fn problem_json(problem: &Problem) -> serde_json::Value {
    let mut body = serde_json::json!({
        "type": problem.kind, "title": problem.title, "status": problem.status,
        "detail": problem.detail,
    });
    if let Some(field) = &problem.field {
        body["field"] = serde_json::Value::String(field.clone());
    }
    body
}

/// The field a request-parsing error names (poem-openapi says "field `name` ..."; serde
/// says "missing field `name`").
fn field_of(message: &str) -> Option<String> {
    let start = message.find("field `")? + "field `".len();
    let end = message[start..].find('`')? + start;
    let name = &message[start..end];
    (!name.is_empty() && name.len() <= 64).then(|| name.to_owned())
}

/// A backend that has nothing, for generating the OpenAPI document.
struct NoBackend;

#[async_trait]
impl AdminBackend for NoBackend {
    async fn authenticate(&self, _: &str) -> Result<Option<Principal>, AdminFailure> {
        Ok(None)
    }
    async fn record(&self, _: &Principal, _: &str, _: Option<&str>, _: &str) {}
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
    async fn console_sign_in(&self, _: &str) -> Result<Option<(Principal, String)>, AdminFailure> {
        Ok(None)
    }
    async fn sign_in_refused(&self, _: &str) -> Result<Option<u64>, AdminFailure> {
        Ok(None)
    }
    async fn console_principal(&self, _: &str, _: &str) -> Result<Option<Principal>, AdminFailure> {
        Ok(None)
    }
    async fn session_put(&self, _: &str, _: &[u8], _: Duration) -> Result<(), AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn session_get(&self, _: &str) -> Result<Option<Vec<u8>>, AdminFailure> {
        Ok(None)
    }
    async fn session_touch(&self, _: &str, _: Duration) -> Result<bool, AdminFailure> {
        Ok(false)
    }
    async fn session_delete(&self, _: &str) -> Result<(), AdminFailure> {
        Ok(())
    }
    async fn list_clients(
        &self,
        _: Option<String>,
        _: u32,
        _: Option<bool>,
    ) -> Result<ClientPage, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn get_client(&self, _: &str) -> Result<ClientView, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn create_client(&self, _: ClientInput) -> Result<CreatedClient, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn set_client_enabled(&self, _: &str, _: bool) -> Result<ClientView, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn update_client(
        &self,
        _: &str,
        _: ClientSettings,
        _: &Principal,
    ) -> Result<CreatedClient, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn rotate_secret(
        &self,
        _: &str,
        _: u32,
        _: &Principal,
    ) -> Result<RotatedSecret, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn delete_client(&self, _: &str) -> Result<(), AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn list_keys(&self) -> Result<Vec<KeyView>, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn create_initial_token(
        &self,
        _: InitialTokenInput,
        _: &Principal,
    ) -> Result<IssuedInitialToken, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn list_initial_tokens(&self) -> Result<Vec<InitialTokenView>, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn revoke_initial_token(
        &self,
        _: &str,
        _: &Principal,
    ) -> Result<InitialTokenView, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn scopes(&self) -> Result<Vec<ScopeView>, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn lookup_citizen(
        &self,
        _: &str,
        _: &str,
        _: &Principal,
    ) -> Result<CitizenView, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn set_citizen_locked(
        &self,
        _: &str,
        _: bool,
        _: &str,
        _: &Principal,
    ) -> Result<CitizenView, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn end_citizen_sessions(
        &self,
        _: &str,
        _: &str,
        _: &Principal,
    ) -> Result<(), AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn remove_citizen_method(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: &Principal,
    ) -> Result<CitizenView, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn issue_enrollment_code(
        &self,
        _: &str,
        _: &Principal,
    ) -> Result<EnrollmentCodeView, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn set_restricted_scope(
        &self,
        _: &str,
        _: &str,
        _: bool,
        _: &str,
        _: &Principal,
    ) -> Result<ClientView, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn rotate_key(&self, _: &str) -> Result<Vec<KeyView>, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn withdraw_key(
        &self,
        _: &str,
        _: &str,
        _: &Principal,
    ) -> Result<Vec<KeyView>, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn audit_events(&self, _: AuditQuery, _: i64, _: u32) -> Result<AuditPage, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn verify_audit(&self) -> Result<ChainReportView, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
    async fn statistics(&self) -> Result<StatisticsView, AdminFailure> {
        Err(AdminFailure::Unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explorer_policy_allows_exactly_its_inline_scripts_and_styles() {
        let hash = |text: &str| {
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text))
            )
        };
        let policy = explorer_policy(
            "<style charset=\"UTF-8\">b{}</style><script charset=\"UTF-8\">one()</script>\
             <div></div><script>two()</script>",
        );
        assert!(policy.starts_with(&format!(
            "default-src 'none'; script-src {} {}; style-src {};",
            hash("one()"),
            hash("two()"),
            hash("b{}")
        )));
        assert!(!policy.contains("unsafe"));
    }

    #[test]
    fn parse_errors_name_their_field() {
        let poem_openapi = "parse request payload error: failed to parse \"CitizenLookup\": \
                            field `reason` verification failed. minLength(3)";
        assert_eq!(field_of(poem_openapi).as_deref(), Some("reason"));
        assert_eq!(
            field_of("missing field `name_mn` at line 1").as_deref(),
            Some("name_mn")
        );
        assert_eq!(field_of("expected value at line 1 column 14"), None);
    }
}
