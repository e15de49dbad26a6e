//! The values the admin API reads and writes (its OpenAPI schemas).

use poem_openapi::Object;
use serde_json::Value;

/// A registered e-service (OpenID Connect client), as administrators see it. Never holds the
/// secret, which is shown once at creation or rotation.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClientView {
    /// Client id.
    pub client_id: String,
    /// Name shown to citizens, in Mongolian.
    pub name_mn: String,
    /// Name shown to citizens, in English.
    pub name_en: String,
    /// Redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Scopes it may ask for.
    pub scopes: Vec<String>,
    /// Grants it may use.
    pub grant_types: Vec<String>,
    /// Token endpoint authentication method.
    pub auth_method: String,
    /// `pairwise` or `public`.
    pub subject_type: String,
    /// Sector for pairwise subjects.
    pub sector_identifier: Option<String>,
    /// JWK Set URL for `private_key_jwt`.
    pub jwks_uri: Option<String>,
    /// Inline JWK Set for `private_key_jwt`.
    pub jwks: Option<Value>,
    /// Audiences its client-credentials tokens may name.
    pub audiences: Vec<String>,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<String>,
    /// Authorization requests must come through PAR.
    pub require_par: bool,
    /// A first-party service: no consent page.
    pub skip_consent: bool,
    /// Disabled clients cannot log citizens in or get tokens.
    pub enabled: bool,
}

fn openid() -> Vec<String> {
    vec!["openid".to_owned()]
}

fn code_and_refresh() -> Vec<String> {
    vec!["authorization_code".to_owned(), "refresh_token".to_owned()]
}

fn basic() -> String {
    "client_secret_basic".to_owned()
}

fn pairwise() -> String {
    "pairwise".to_owned()
}

/// An e-service's settings: all of its registration but its id. Redirect URIs must be https
/// (http only on loopback, for native apps), without fragments or wildcards.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClientSettings {
    /// Name shown to citizens, in Mongolian.
    pub name_mn: String,
    /// Name shown to citizens, in English.
    pub name_en: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URIs.
    #[oai(nullable, default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Scopes it may ask for (`openid` by default): identity scopes, or API scopes
    /// `resource:action`. `national_id` is granted separately.
    #[oai(nullable, default = "openid")]
    pub scopes: Vec<String>,
    /// Grants (`authorization_code` and `refresh_token` by default).
    #[oai(nullable, default = "code_and_refresh")]
    pub grant_types: Vec<String>,
    /// `client_secret_basic` (default), `client_secret_post`, `private_key_jwt` or `none`.
    #[oai(nullable, default = "basic")]
    pub auth_method: String,
    /// `pairwise` (default) or `public`.
    #[oai(nullable, default = "pairwise")]
    pub subject_type: String,
    /// Sector for pairwise subjects (needed when redirect URIs are on several hosts).
    #[oai(nullable)]
    pub sector_identifier: Option<String>,
    /// JWK Set URL for `private_key_jwt`.
    #[oai(nullable)]
    pub jwks_uri: Option<String>,
    /// Inline JWK Set for `private_key_jwt`.
    #[oai(nullable)]
    pub jwks: Option<Value>,
    /// Audiences for client-credentials tokens.
    #[oai(nullable, default)]
    pub audiences: Vec<String>,
    /// Back-channel logout URI.
    #[oai(nullable)]
    pub backchannel_logout_uri: Option<String>,
    /// Require PAR.
    #[oai(nullable, default)]
    pub require_par: bool,
    /// First-party service: no consent page.
    #[oai(nullable, default)]
    pub skip_consent: bool,
}

/// A new e-service's registration.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClientInput {
    /// Client id: 3 to 64 of `A-Z a-z 0-9 . _ -`.
    pub client_id: String,
    /// Everything else.
    #[oai(flatten)]
    pub settings: ClientSettings,
}

/// How long the old secret keeps working after a rotation.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SecretRotation {
    /// Seconds, 0 to 30 days (1 day by default).
    #[oai(nullable, default = "one_day", validator(maximum(value = "2592000")))]
    pub grace_seconds: u32,
}

fn one_day() -> u32 {
    86_400
}

/// A new secret, shown this once.
#[derive(Clone, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RotatedSecret {
    /// The new secret; stored only as a digest.
    pub client_secret: String,
    /// Until when the previous secret still works (RFC 3339).
    pub previous_valid_until: String,
}

/// A client just created or changed: its secret is shown when one was just made, and never
/// again.
#[derive(Clone, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreatedClient {
    /// The registration.
    pub client: ClientView,
    /// The secret, for secret-based methods; stored only as a digest.
    pub client_secret: Option<String>,
}

/// A page of clients.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClientPage {
    /// The clients, by id.
    pub items: Vec<ClientView>,
    /// Pass as `after` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// A signing key and its state.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct KeyView {
    /// Key id.
    pub kid: String,
    /// ES256, RS256 or EdDSA.
    pub algorithm: String,
    /// `next` (published, not yet signing), `active` (signing) or `retired` (published until
    /// its tokens expire).
    pub state: String,
    /// When generated (RFC 3339).
    pub created_at: String,
}

/// One audit event.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEventView {
    /// Position in the chain.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// `area.what`.
    pub kind: String,
    /// Who: `citizen:<id>`, `client:<id>`, `admin:<name>` or `system`.
    pub actor: String,
    /// The citizen concerned (internal id).
    pub citizen_id: Option<String>,
    /// The e-service concerned.
    pub client_id: Option<String>,
    /// Details.
    pub detail: Value,
    /// The previous event's hash.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// A page of audit events, oldest first.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditPage {
    /// The events.
    pub items: Vec<AuditEventView>,
    /// Pass as `after` for the next page; absent on the last one.
    pub next_cursor: Option<i64>,
}

/// Filters of an audit query; each narrows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditQuery {
    /// At or after.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Before.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Actor label.
    pub actor: Option<String>,
    /// Citizen internal id.
    pub citizen_id: Option<uuid::Uuid>,
    /// Client id.
    pub client_id: Option<String>,
    /// Kind (`login.succeeded`, ...).
    pub kind: Option<String>,
}

/// The result of verifying the audit chain.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ChainReportView {
    /// Events checked.
    pub events: u64,
    /// Whether every event chains to the one before and matches its hash.
    pub intact: bool,
    /// The first event that does not.
    pub first_broken: Option<i64>,
    /// `hash`, `prev_hash` or `gap`.
    pub reason: Option<String>,
    /// The last event's hash.
    pub head: Option<String>,
}

/// Who the token acts for.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Me {
    /// Account name.
    pub name: String,
    /// Role.
    pub role: String,
}

/// A scope of the catalogue.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ScopeView {
    /// The scope.
    pub name: String,
    /// The claims it releases.
    pub claims: Vec<String>,
    /// Whether only a security administrator may grant it, with a reason.
    pub restricted: bool,
    /// What it is for, in plain words.
    pub description: String,
}

/// Why a restricted scope is granted or withdrawn: kept in the audit trail.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Reason {
    /// 3 to 500 characters, no control characters.
    #[oai(validator(min_length = 3, max_length = 500))]
    pub reason: String,
}

/// A citizen look-up: the registry number and why (the reason goes to the audit trail; the
/// number does not, the citizen's internal id does).
#[derive(Clone, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CitizenLookup {
    /// The registry number, e.g. `УБ99032512`: two Mongolian Cyrillic letters and eight
    /// digits (spaces and lower case are accepted; Latin letters typed by mistake are refused
    /// with a message that says so).
    #[oai(validator(max_length = 40))]
    pub registry_number: String,
    /// Why, 3 to 500 characters.
    #[oai(validator(min_length = 3, max_length = 500))]
    pub reason: String,
}

/// A citizen as administrators see them.
#[derive(Clone, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CitizenView {
    /// DAN's internal id (what the audit trail names).
    pub citizen_id: String,
    /// The registry number.
    pub registry_number: String,
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// Birth date (YYYY-MM-DD).
    pub birth_date: String,
    /// `active`, `locked` or `deceased`.
    pub status: String,
    /// The phone codes go to, masked (`+976 99•••001`).
    pub phone: Option<String>,
    /// The ways this citizen can log in.
    pub methods: Vec<MethodView>,
}

/// One way a citizen can log in.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MethodView {
    /// Its id, for removal (absent for what the civil registry holds).
    pub id: Option<String>,
    /// `sms` (a code to the registry's phone number), `totp` (an authenticator app),
    /// `passkey`, or `digital_id` (a Digital ID app's device key).
    pub kind: String,
    /// The level of assurance it gives: `low`, `substantial` or `high`.
    pub level: String,
    /// What identifies it: the phone number masked, or the citizen's name for an app or a
    /// passkey.
    pub label: String,
    /// Where it comes from: `civil_registry` (changed there, not here), `citizen`, or
    /// `registration_officer` (a Digital ID device enrolled after an in-person check).
    pub source: String,
    /// Whether an administrator may remove it (never for what the civil registry holds).
    pub removable: bool,
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

impl std::fmt::Debug for CitizenLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitizenLookup")
            .field("registry_number", &"[redacted]")
            .field("reason", &self.reason)
            .finish()
    }
}

/// A named count.
#[derive(Clone, Debug, PartialEq, Object)]
pub struct Count {
    /// What is counted (a method, level, reason or client id).
    pub name: String,
    /// How many.
    pub count: u64,
}

/// One hour of logins.
#[derive(Clone, Debug, PartialEq, Object)]
pub struct HourView {
    /// The hour's start (RFC 3339).
    pub hour: String,
    /// Logins by method (`sms`, `totp`, `passkey`, `digital_id`).
    pub logins_by_method: Vec<Count>,
    /// Logins by level (`low`, `substantial`, `high`).
    pub logins_by_level: Vec<Count>,
    /// Failed authentication steps by reason.
    pub failures_by_reason: Vec<Count>,
}

/// The dashboard's figures for the last 24 hours.
#[derive(Clone, Debug, PartialEq, Object)]
pub struct StatisticsView {
    /// Oldest hour first, the current one last.
    pub hours: Vec<HourView>,
    /// Sessions started within the session lifetime: an upper bound of those alive.
    pub recent_sessions: u64,
    /// The e-services with the most logins today (UTC), at most 10.
    pub top_clients: Vec<Count>,
}

fn seven_days() -> u32 {
    7 * 86_400
}

fn one() -> u32 {
    1
}

/// An initial access token to issue: an agency registers its e-services with it
/// (`POST /register` on the public listener, RFC 7591).
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InitialTokenInput {
    /// What it is for (the agency, the ticket): 1 to 128 printable characters.
    #[oai(validator(min_length = 1, max_length = 128))]
    pub label: String,
    /// Seconds until it expires: 60 to 90 days (7 days by default).
    #[oai(
        nullable,
        default = "seven_days",
        validator(minimum(value = "60"), maximum(value = "7776000"))
    )]
    pub expires_in: u32,
    /// How many clients it may register: 1 (the default, single use) to 1000.
    #[oai(
        nullable,
        default = "one",
        validator(minimum(value = "1"), maximum(value = "1000"))
    )]
    pub max_registrations: u32,
}

/// An initial access token as listed: never the token itself.
#[derive(Clone, Debug, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
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
    pub revoked_at: Option<String>,
}

/// An initial access token just issued: the token is shown this once.
#[derive(Clone, PartialEq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct IssuedInitialToken {
    /// The token, for `Authorization: Bearer` at `POST /register`; stored only as a digest.
    pub token: String,
    /// Its record.
    pub record: InitialTokenView,
}

/// The citizen a Digital ID enrollment code is issued for, by registry number: the officer
/// has just checked their fingerprint against the civil registry.
#[derive(Clone, PartialEq, Object)]
pub struct EnrollmentCodeInput {
    /// The registry number, e.g. `УБ90010112`.
    pub registry_number: String,
}

impl std::fmt::Debug for EnrollmentCodeInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentCodeInput")
            .finish_non_exhaustive()
    }
}

/// A one-time Digital ID enrollment code, shown this once: the citizen types it into the app
/// (or the kiosk shows it as a QR code). Single use, valid 15 minutes, stored only as a digest.
#[derive(Clone, PartialEq, Object)]
pub struct EnrollmentCodeView {
    /// The code.
    pub code: String,
    /// When it stops working.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The citizen's DAN id.
    pub citizen_id: String,
    /// The level a device enrolled with it gets: `high`.
    pub level: String,
}

impl std::fmt::Debug for EnrollmentCodeView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentCodeView")
            .field("code", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .field("citizen_id", &self.citizen_id)
            .finish()
    }
}
