//! A typed client of DAN's admin API (the admin listener, `openapi/admin.json`), for
//! administrators' tools and automation.
//!
//! Every operation of the document has a method here ([`OPERATIONS`] lists them, and a test
//! checks the list and the types against the committed document). Errors are the API's
//! problem details (RFC 9457), typed.
//!
//! ```no_run
//! use dan_sdk::admin::{AdminClient, ClientInput, ClientSettings};
//!
//! # async fn example() -> Result<(), dan_sdk::admin::AdminError> {
//! let admin = AdminClient::new("http://127.0.0.1:8081", "dan_admin_...")?;
//! let created = admin
//!     .create_client(&ClientInput {
//!         client_id: "benefits-portal".into(),
//!         settings: ClientSettings::web(
//!             "Тэтгэмж",
//!             "Benefits",
//!             &["https://benefits.gov.mn/callback"],
//!         ),
//!     })
//!     .await?;
//! println!("secret, shown once: {:?}", created.client_secret);
//! # Ok(())
//! # }
//! ```

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{Fetch, read_capped};

/// Every operation of the admin API, as `(method, path)` under `/api/v1`.
pub const OPERATIONS: [(&str, &str); 28] = [
    ("get", "/me"),
    ("get", "/clients"),
    ("post", "/clients"),
    ("get", "/clients/{client_id}"),
    ("put", "/clients/{client_id}"),
    ("delete", "/clients/{client_id}"),
    ("post", "/clients/{client_id}/secret"),
    ("post", "/clients/{client_id}/disable"),
    ("post", "/clients/{client_id}/enable"),
    ("post", "/initial-access-tokens"),
    ("get", "/initial-access-tokens"),
    ("post", "/initial-access-tokens/{id}/revoke"),
    ("get", "/scopes"),
    (
        "post",
        "/clients/{client_id}/restricted-scopes/{scope}/grant",
    ),
    (
        "post",
        "/clients/{client_id}/restricted-scopes/{scope}/withdraw",
    ),
    ("post", "/citizens/lookup"),
    ("post", "/citizens/{citizen_id}/lock"),
    ("post", "/citizens/{citizen_id}/unlock"),
    ("post", "/citizens/{citizen_id}/sessions/end"),
    ("post", "/citizens/{citizen_id}/methods/{method_id}/remove"),
    ("post", "/digital-id/enrollment-codes"),
    ("get", "/keys"),
    ("post", "/keys/{algorithm}/rotate"),
    ("post", "/keys/{kid}/withdraw"),
    ("get", "/audit/events"),
    ("get", "/audit/export"),
    ("get", "/audit/verify"),
    ("get", "/statistics"),
];

/// The largest answer read (an export is read whole: 100 000 events at most).
const MAX_ANSWER_BYTES: usize = 128 * 1024 * 1024;

/// A registered e-service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientView {
    /// Client id.
    pub client_id: String,
    /// Name in Mongolian.
    pub name_mn: String,
    /// Name in English.
    pub name_en: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Grant types.
    pub grant_types: Vec<String>,
    /// Authentication method.
    pub auth_method: String,
    /// `pairwise` or `public`.
    pub subject_type: String,
    /// Sector.
    pub sector_identifier: Option<String>,
    /// JWK Set URL.
    pub jwks_uri: Option<String>,
    /// Inline JWK Set.
    pub jwks: Option<Value>,
    /// Client-credentials audiences.
    pub audiences: Vec<String>,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<String>,
    /// Requires PAR.
    pub require_par: bool,
    /// Skips consent.
    pub skip_consent: bool,
    /// Enabled.
    pub enabled: bool,
}

/// Everything of a registration but its id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientSettings {
    /// Name in Mongolian.
    pub name_mn: String,
    /// Name in English.
    pub name_en: String,
    /// Redirect URIs (https; http on loopback for native apps).
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Grant types.
    pub grant_types: Vec<String>,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt` or `none`.
    pub auth_method: String,
    /// `pairwise` or `public`.
    pub subject_type: String,
    /// Sector.
    pub sector_identifier: Option<String>,
    /// JWK Set URL.
    pub jwks_uri: Option<String>,
    /// Inline JWK Set.
    pub jwks: Option<Value>,
    /// Client-credentials audiences.
    pub audiences: Vec<String>,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<String>,
    /// Requires PAR.
    pub require_par: bool,
    /// Skips consent.
    pub skip_consent: bool,
}

impl ClientSettings {
    /// A web e-service: the code flow with refresh, `client_secret_basic`, pairwise subjects,
    /// scopes `openid profile`.
    pub fn web(name_mn: &str, name_en: &str, redirect_uris: &[&str]) -> Self {
        Self {
            name_mn: name_mn.to_owned(),
            name_en: name_en.to_owned(),
            redirect_uris: redirect_uris.iter().map(|u| (*u).to_owned()).collect(),
            post_logout_redirect_uris: Vec::new(),
            scopes: vec!["openid".to_owned(), "profile".to_owned()],
            grant_types: vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
            auth_method: "client_secret_basic".to_owned(),
            subject_type: "pairwise".to_owned(),
            sector_identifier: None,
            jwks_uri: None,
            jwks: None,
            audiences: Vec::new(),
            backchannel_logout_uri: None,
            require_par: false,
            skip_consent: false,
        }
    }
}

/// A new registration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientInput {
    /// Client id.
    pub client_id: String,
    /// The rest.
    #[serde(flatten)]
    pub settings: ClientSettings,
}

/// A client with its secret, when one was just made.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedClient {
    /// The registration.
    pub client: ClientView,
    /// The secret, shown this once.
    pub client_secret: Option<String>,
}

/// A page of clients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientPage {
    /// The clients.
    pub items: Vec<ClientView>,
    /// The next page's `after`.
    pub next_cursor: Option<String>,
}

/// A new secret.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct RotatedSecret {
    /// The new secret, shown this once.
    pub client_secret: String,
    /// Until when the previous one works.
    pub previous_valid_until: String,
}

/// A scope of the catalogue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScopeView {
    /// The scope.
    pub name: String,
    /// Its claims.
    pub claims: Vec<String>,
    /// Restricted.
    pub restricted: bool,
    /// In plain words.
    pub description: String,
}

/// A citizen as administrators see them.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CitizenView {
    /// DAN's internal id.
    pub citizen_id: String,
    /// The registry number.
    pub registry_number: String,
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// Birth date.
    pub birth_date: String,
    /// `active`, `locked` or `deceased`.
    pub status: String,
    /// The phone, masked.
    pub phone: Option<String>,
    /// The ways this citizen can log in.
    pub methods: Vec<MethodView>,
}

/// One way a citizen can log in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodView {
    /// Its id, for removal (absent for what the civil registry holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `sms` or `totp` (an authenticator app); passkeys and Digital ID devices later.
    pub kind: String,
    /// `low`, `substantial` or `high`.
    pub level: String,
    /// What identifies it, masked.
    pub label: String,
    /// `civil_registry` or `citizen`.
    pub source: String,
    /// Whether an administrator may remove it.
    pub removable: bool,
}

/// A signing key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyView {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub algorithm: String,
    /// `next`, `active` or `retired`.
    pub state: String,
    /// Generated (RFC 3339).
    pub created_at: String,
}

/// An audit event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEventView {
    /// Position in the chain.
    pub seq: i64,
    /// When.
    pub at: String,
    /// Kind.
    pub kind: String,
    /// Actor.
    pub actor: String,
    /// Citizen concerned.
    pub citizen_id: Option<String>,
    /// Client concerned.
    pub client_id: Option<String>,
    /// Details.
    pub detail: Value,
    /// Previous hash.
    pub prev_hash: String,
    /// Own hash.
    pub hash: String,
}

/// A page of audit events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    /// The events, oldest first.
    pub items: Vec<AuditEventView>,
    /// The next page's `after`.
    pub next_cursor: Option<i64>,
}

/// Filters of an audit query or export; each narrows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditFilter {
    /// At or after (RFC 3339).
    pub from: Option<String>,
    /// Before (RFC 3339).
    pub until: Option<String>,
    /// Actor label.
    pub actor: Option<String>,
    /// Citizen internal id.
    pub citizen_id: Option<String>,
    /// Client id.
    pub client_id: Option<String>,
    /// Kind.
    pub kind: Option<String>,
}

impl AuditFilter {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("from", &self.from),
            ("until", &self.until),
            ("actor", &self.actor),
            ("citizen_id", &self.citizen_id),
            ("client_id", &self.client_id),
            ("kind", &self.kind),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
        .collect()
    }
}

/// The audit chain's verification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainReportView {
    /// Events checked.
    pub events: u64,
    /// Intact.
    pub intact: bool,
    /// First broken event.
    pub first_broken: Option<i64>,
    /// Why.
    pub reason: Option<String>,
    /// The head hash.
    pub head: Option<String>,
}

/// A named count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Count {
    /// What is counted.
    pub name: String,
    /// How many.
    pub count: u64,
}

/// One hour of logins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HourView {
    /// The hour's start.
    pub hour: String,
    /// Logins by method.
    pub logins_by_method: Vec<Count>,
    /// Logins by level.
    pub logins_by_level: Vec<Count>,
    /// Failures by reason.
    pub failures_by_reason: Vec<Count>,
}

/// The dashboard's figures for the last 24 hours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatisticsView {
    /// Oldest hour first.
    pub hours: Vec<HourView>,
    /// Sessions started within the session lifetime.
    pub recent_sessions: u64,
    /// The busiest e-services today.
    pub top_clients: Vec<Count>,
}

/// An initial access token to issue, for dynamic client registration (RFC 7591).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InitialTokenInput {
    /// What it is for: 1 to 128 printable characters.
    pub label: String,
    /// Seconds until it expires: 60 to 90 days.
    pub expires_in: u32,
    /// How many clients it may register: 1 to 1000.
    pub max_registrations: u32,
}

impl InitialTokenInput {
    /// A single-use token valid for 7 days (the API's defaults).
    pub fn single_use(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            expires_in: 7 * 86_400,
            max_registrations: 1,
        }
    }
}

/// An initial access token as listed (never the token).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InitialTokenView {
    /// Public id, for revoking.
    pub id: String,
    /// What it is for.
    pub label: String,
    /// The administrator who issued it.
    pub created_by: String,
    /// When issued (RFC 3339).
    pub created_at: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
    /// How many clients it may register.
    pub max_registrations: u32,
    /// How many it registered.
    pub registrations: u32,
    /// When revoked (RFC 3339), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// A Digital ID enrollment code just issued: shown this once, single use, valid 15 minutes.
/// `Debug` hides the code.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollmentCode {
    /// The code the citizen types into the app.
    pub code: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
    /// The citizen's DAN id.
    pub citizen_id: String,
    /// The level a device enrolled with it gets (`high`).
    pub level: String,
}

impl std::fmt::Debug for EnrollmentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentCode")
            .field("code", &"***")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An initial access token just issued: the token is shown this once. `Debug` hides it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedInitialToken {
    /// The token, for `Authorization: Bearer` at `POST /register`.
    pub token: String,
    /// Its record.
    pub record: InitialTokenView,
}

impl std::fmt::Debug for IssuedInitialToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedInitialToken")
            .field("token", &"***")
            .field("record", &self.record)
            .finish()
    }
}

/// Who the token acts for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Me {
    /// Account.
    pub name: String,
    /// Role.
    pub role: String,
}

/// Problem details (RFC 9457) from the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The problem type URI.
    #[serde(rename = "type")]
    pub kind: String,
    /// Summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong.
    pub detail: String,
    /// The field at fault.
    pub field: Option<String>,
}

/// Why an admin call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The API refused, with problem details (400, 401, 403, 404, 409, 413, 503).
    #[error("{} {}: {}", .0.status, .0.title, .0.detail)]
    Problem(Problem),
    /// The admin listener could not be reached.
    #[error("the admin API is unreachable: {0}")]
    Unreachable(String),
    /// An answer could not be read.
    #[error("unexpected answer from the admin API: {0}")]
    BadResponse(String),
    /// The base URL or token is unusable.
    #[error("invalid admin client configuration: {0}")]
    InvalidConfig(&'static str),
}

/// A client of one DAN's admin API, acting with one admin token. `Debug` hides the token.
#[derive(Clone)]
pub struct AdminClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

fn path(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

impl AdminClient {
    /// A client of the admin listener at `base` (`http://127.0.0.1:8081`), with `token`.
    pub fn new(base: &str, token: &str) -> Result<Self, AdminError> {
        if url::Url::parse(base).is_err() {
            return Err(AdminError::InvalidConfig("the base is not a URL"));
        }
        if token.is_empty() || token.chars().any(|c| c.is_control() || c == ' ') {
            return Err(AdminError::InvalidConfig("the token is empty or malformed"));
        }
        Ok(Self {
            http: crate::http::client()
                .map_err(|_| AdminError::InvalidConfig("the HTTP client cannot be built"))?,
            base: format!("{}/api/v1", base.trim_end_matches('/')),
            token: token.to_owned(),
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(Vec<u8>, reqwest::header::HeaderMap), AdminError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header(ACCEPT, "application/json, application/problem+json")
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| AdminError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body =
            read_capped(response, MAX_ANSWER_BYTES)
                .await
                .map_err(|failure| match failure {
                    Fetch::Unavailable(reason) => AdminError::Unreachable(reason),
                    Fetch::TooLarge => AdminError::BadResponse("the answer is too large".into()),
                })?;
        if status.is_success() {
            return Ok((body, headers));
        }
        let is_problem = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/problem+json"));
        match serde_json::from_slice::<Problem>(&body) {
            Ok(problem) if is_problem => Err(AdminError::Problem(problem)),
            _ => Err(AdminError::Problem(Problem {
                kind: "about:blank".into(),
                title: status.canonical_reason().unwrap_or("Error").into(),
                status: status.as_u16(),
                detail: String::from_utf8_lossy(&body).chars().take(300).collect(),
                field: None,
            })),
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<T, AdminError> {
        let (bytes, _) = self.send(method, path, query, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| AdminError::BadResponse(e.to_string()))
    }

    fn json<T: Serialize>(value: &T) -> Result<Value, AdminError> {
        serde_json::to_value(value).map_err(|e| AdminError::BadResponse(e.to_string()))
    }

    /// `GET /me`.
    pub async fn me(&self) -> Result<Me, AdminError> {
        self.call(reqwest::Method::GET, "/me", &[], None).await
    }

    /// `GET /clients`.
    pub async fn list_clients(
        &self,
        after: Option<&str>,
        limit: u32,
        enabled: Option<bool>,
    ) -> Result<ClientPage, AdminError> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(after) = after {
            query.push(("after", after.to_owned()));
        }
        if let Some(enabled) = enabled {
            query.push(("enabled", enabled.to_string()));
        }
        self.call(reqwest::Method::GET, "/clients", &query, None)
            .await
    }

    /// `POST /clients`.
    pub async fn create_client(&self, input: &ClientInput) -> Result<CreatedClient, AdminError> {
        let body = Self::json(input)?;
        self.call(reqwest::Method::POST, "/clients", &[], Some(&body))
            .await
    }

    /// `GET /clients/{client_id}`.
    pub async fn get_client(&self, id: &str) -> Result<ClientView, AdminError> {
        self.call(
            reqwest::Method::GET,
            &format!("/clients/{}", path(id)),
            &[],
            None,
        )
        .await
    }

    /// `PUT /clients/{client_id}`.
    pub async fn update_client(
        &self,
        id: &str,
        settings: &ClientSettings,
    ) -> Result<CreatedClient, AdminError> {
        let body = Self::json(settings)?;
        let path = format!("/clients/{}", path(id));
        self.call(reqwest::Method::PUT, &path, &[], Some(&body))
            .await
    }

    /// `DELETE /clients/{client_id}`.
    pub async fn delete_client(&self, id: &str) -> Result<(), AdminError> {
        let path = format!("/clients/{}", path(id));
        self.send(reqwest::Method::DELETE, &path, &[], None)
            .await
            .map(|_| ())
    }

    /// `POST /clients/{client_id}/secret`.
    pub async fn rotate_secret(
        &self,
        id: &str,
        grace_seconds: u32,
    ) -> Result<RotatedSecret, AdminError> {
        let body = serde_json::json!({ "grace_seconds": grace_seconds });
        let path = format!("/clients/{}/secret", path(id));
        self.call(reqwest::Method::POST, &path, &[], Some(&body))
            .await
    }

    /// `POST /clients/{client_id}/disable` or `/enable`.
    pub async fn set_client_enabled(
        &self,
        id: &str,
        enabled: bool,
    ) -> Result<ClientView, AdminError> {
        let action = if enabled { "enable" } else { "disable" };
        let path = format!("/clients/{}/{action}", path(id));
        self.call(reqwest::Method::POST, &path, &[], None).await
    }

    /// `GET /scopes`.
    pub async fn scopes(&self) -> Result<Vec<ScopeView>, AdminError> {
        self.call(reqwest::Method::GET, "/scopes", &[], None).await
    }

    /// `POST /clients/{client_id}/restricted-scopes/{scope}/grant` or `/withdraw`.
    pub async fn set_restricted_scope(
        &self,
        id: &str,
        scope: &str,
        granted: bool,
        reason: &str,
    ) -> Result<ClientView, AdminError> {
        let action = if granted { "grant" } else { "withdraw" };
        let path = format!(
            "/clients/{}/restricted-scopes/{}/{action}",
            path(id),
            path(scope)
        );
        let body = serde_json::json!({ "reason": reason });
        self.call(reqwest::Method::POST, &path, &[], Some(&body))
            .await
    }

    /// `POST /citizens/lookup`: by registry number, with the reason the audit trail keeps.
    pub async fn lookup_citizen(
        &self,
        registry_number: &str,
        reason: &str,
    ) -> Result<CitizenView, AdminError> {
        let body = serde_json::json!({ "registry_number": registry_number, "reason": reason });
        self.call(reqwest::Method::POST, "/citizens/lookup", &[], Some(&body))
            .await
    }

    /// `POST /citizens/{citizen_id}/lock` or `/unlock`, with a reason.
    pub async fn set_citizen_locked(
        &self,
        citizen_id: &str,
        locked: bool,
        reason: &str,
    ) -> Result<CitizenView, AdminError> {
        let action = if locked { "lock" } else { "unlock" };
        let path = format!("/citizens/{}/{action}", path(citizen_id));
        let body = serde_json::json!({ "reason": reason });
        self.call(reqwest::Method::POST, &path, &[], Some(&body))
            .await
    }

    /// `POST /citizens/{citizen_id}/sessions/end`, with a reason.
    pub async fn end_citizen_sessions(
        &self,
        citizen_id: &str,
        reason: &str,
    ) -> Result<(), AdminError> {
        let path = format!("/citizens/{}/sessions/end", path(citizen_id));
        let body = serde_json::json!({ "reason": reason });
        self.send(reqwest::Method::POST, &path, &[], Some(&body))
            .await
            .map(|_| ())
    }

    /// `POST /digital-id/enrollment-codes` (registration officers): a one-time Digital ID
    /// enrollment code for the citizen with `registry_number`, shown this once.
    pub async fn issue_enrollment_code(
        &self,
        registry_number: &str,
    ) -> Result<EnrollmentCode, AdminError> {
        let body = serde_json::json!({ "registry_number": registry_number });
        self.call(
            reqwest::Method::POST,
            "/digital-id/enrollment-codes",
            &[],
            Some(&body),
        )
        .await
    }

    /// `POST /citizens/{citizen_id}/methods/{method_id}/remove`: one of the citizen's own
    /// methods (an authenticator app), with a reason.
    pub async fn remove_citizen_method(
        &self,
        citizen_id: &str,
        method_id: &str,
        reason: &str,
    ) -> Result<CitizenView, AdminError> {
        let path = format!(
            "/citizens/{}/methods/{}/remove",
            path(citizen_id),
            path(method_id)
        );
        let body = serde_json::json!({ "reason": reason });
        self.call(reqwest::Method::POST, &path, &[], Some(&body))
            .await
    }

    /// `POST /initial-access-tokens`: the token is in the answer only.
    pub async fn create_initial_token(
        &self,
        input: &InitialTokenInput,
    ) -> Result<IssuedInitialToken, AdminError> {
        let body = Self::json(input)?;
        self.call(
            reqwest::Method::POST,
            "/initial-access-tokens",
            &[],
            Some(&body),
        )
        .await
    }

    /// `GET /initial-access-tokens`.
    pub async fn initial_tokens(&self) -> Result<Vec<InitialTokenView>, AdminError> {
        self.call(reqwest::Method::GET, "/initial-access-tokens", &[], None)
            .await
    }

    /// `POST /initial-access-tokens/{id}/revoke`.
    pub async fn revoke_initial_token(&self, id: &str) -> Result<InitialTokenView, AdminError> {
        let path = format!("/initial-access-tokens/{}/revoke", path(id));
        self.call(reqwest::Method::POST, &path, &[], None).await
    }

    /// `GET /keys`.
    pub async fn keys(&self) -> Result<Vec<KeyView>, AdminError> {
        self.call(reqwest::Method::GET, "/keys", &[], None).await
    }

    /// `POST /keys/{algorithm}/rotate`.
    pub async fn rotate_key(&self, algorithm: &str) -> Result<Vec<KeyView>, AdminError> {
        let path = format!("/keys/{}/rotate", path(algorithm));
        self.call(reqwest::Method::POST, &path, &[], None).await
    }

    /// `POST /keys/{kid}/withdraw`: a retired key leaves the JWKS at once, for `reason`.
    pub async fn withdraw_key(&self, kid: &str, reason: &str) -> Result<Vec<KeyView>, AdminError> {
        let path = format!("/keys/{}/withdraw", path(kid));
        let body = serde_json::json!({ "reason": reason });
        self.call(reqwest::Method::POST, &path, &[], Some(&body))
            .await
    }

    /// `GET /audit/events`.
    pub async fn audit_events(
        &self,
        filter: &AuditFilter,
        after: i64,
        limit: u32,
    ) -> Result<AuditPage, AdminError> {
        let mut query = filter.pairs();
        query.push(("after", after.to_string()));
        query.push(("limit", limit.to_string()));
        self.call(reqwest::Method::GET, "/audit/events", &query, None)
            .await
    }

    /// `GET /audit/export`: the events as NDJSON lines, and the cursor of the next export when
    /// this one stopped at its limit.
    pub async fn audit_export(
        &self,
        filter: &AuditFilter,
        after: i64,
    ) -> Result<(String, Option<i64>), AdminError> {
        let mut query = filter.pairs();
        query.push(("after", after.to_string()));
        let (bytes, headers) = self
            .send(reqwest::Method::GET, "/audit/export", &query, None)
            .await?;
        let next = headers
            .get("x-next-cursor")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let text = String::from_utf8(bytes)
            .map_err(|_| AdminError::BadResponse("the export is not UTF-8".into()))?;
        Ok((text, next))
    }

    /// `GET /statistics`.
    pub async fn statistics(&self) -> Result<StatisticsView, AdminError> {
        self.call(reqwest::Method::GET, "/statistics", &[], None)
            .await
    }

    /// `GET /audit/verify`.
    pub async fn verify_audit(&self) -> Result<ChainReportView, AdminError> {
        self.call(reqwest::Method::GET, "/audit/verify", &[], None)
            .await
    }
}

impl std::fmt::Debug for CreatedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedClient")
            .field("client", &self.client)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl std::fmt::Debug for RotatedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatedSecret")
            .field("client_secret", &"[redacted]")
            .field("previous_valid_until", &self.previous_valid_until)
            .finish()
    }
}

impl std::fmt::Debug for CitizenView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitizenView")
            .field("citizen_id", &self.citizen_id)
            .field("registry_number", &"[redacted]")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}
