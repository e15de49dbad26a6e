//! The provider's side of the admin plane: [`dan_admin::AdminBackend`] on the domain —
//! administrators and their tokens, the client registry, the signing keys and the audit
//! trail. Inputs are validated here into domain types, each refusal naming its field.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::SecondsFormat;
use dan_admin::AdminBackend;
use dan_admin::model::{
    AuditEventView, AuditPage, AuditQuery, ChainReportView, CitizenView, ClientInput, ClientPage,
    ClientSettings, ClientView, Count, CreatedClient, EnrollmentCodeView, HourView,
    InitialTokenInput, InitialTokenView, IssuedInitialToken, KeyView, MethodView, RotatedSecret,
    ScopeView, StatisticsView,
};
use dan_admin::problem::AdminFailure;
use dan_admin::roles::Principal;

use crate::admins::Admins;
use crate::audit::{Actor, AuditEvent, AuditFilter, AuditLog, EventKind, NewEvent};
use crate::authenticators::{AuthenticatorError, StoredAuthenticator};
use crate::authorize::{CATALOGUE, SCOPES};
use crate::citizens::{Citizen, CitizenDirectory, CitizenId, CitizenStatus, RegistryNumber};
use crate::clients::{
    AuthMethod, Client, ClientError, ClientId, ClientRegistry, ClientSecret, GrantType,
    PreviousSecret, RedirectUri, SubjectType,
};
use crate::clock::Clock;
use crate::database::StorageError;
use crate::ephemeral::{EphemeralStore, Key};
use crate::jose::Algorithm;
use crate::keys::KeyRing;
use crate::otp::mask_phone;
use crate::registration::{InitialTokenRecord, RegistrationError, rfc3339};
use crate::statistics::Statistics;

/// The scope that releases the registry number: granted only through its own operation,
/// with a reason, never at registration.
pub(crate) const RESTRICTED_SCOPE: &str = "national_id";

/// The admin plane's view of one DAN node.
pub struct AdminPlane {
    /// Administrators and tokens.
    pub admins: Admins,
    /// The client registry (the node's cached one: a change forgets the cached entry here;
    /// other nodes see it within their 5 s cache, while a rotated-out secret keeps working).
    pub clients: Arc<dyn ClientRegistry>,
    /// Dynamic client registration: the initial access tokens administrators issue.
    pub registrations: Arc<crate::registration::Registrations>,
    /// The signing keys.
    pub keys: Arc<KeyRing>,
    /// The audit trail.
    pub audit: Arc<AuditLog>,
    /// Time (secret grace periods).
    pub clock: Arc<dyn Clock>,
    /// The citizen directory (the node's cached one: a lock applies here at once, on other
    /// nodes within the cache's 5 s).
    pub citizens: Arc<dyn CitizenDirectory>,
    /// The provider, to end a citizen's sessions and notify the clients that took part.
    pub provider: Arc<crate::provider::Provider>,
    /// The dashboard's counters.
    pub statistics: Statistics,
    /// How long a session may live (for the dashboard's recent sessions).
    pub session_lifetime: std::time::Duration,
    /// The short-lived store, for console sessions.
    pub store: Arc<dyn EphemeralStore>,
}

/// Refused console sign-ins one address may make a minute.
const CONSOLE_SIGN_INS_PER_MINUTE: u32 = 10;

/// The short-lived store's namespace of console sessions (keyed by the digest of the
/// session cookie).
const CONSOLE_SESSIONS: &str = "console";

fn store_failure(error: crate::ephemeral::StoreError) -> AdminFailure {
    tracing::error!(%error, "console session store failed");
    AdminFailure::Unavailable
}

/// A citizen as administrators see them, with every way they can log in.
fn citizen_view(
    citizen: &Citizen,
    apps: &[StoredAuthenticator],
    passkeys: &[crate::passkeys::PasskeyInfo],
    devices: &[crate::digital_id::Device],
) -> CitizenView {
    let record = &citizen.record;
    // Codes go to the registry's first number; the others are held but not used.
    let sms = record.phone_numbers.first().map(|phone| MethodView {
        id: None,
        kind: "sms".to_owned(),
        level: "low".to_owned(),
        label: mask_phone(phone.as_str()),
        source: "civil_registry".to_owned(),
        removable: false,
    });
    let apps = apps.iter().filter(|a| a.confirmed).map(|app| MethodView {
        id: Some(app.id.clone()),
        kind: app.kind.as_str().to_owned(),
        level: "low".to_owned(),
        label: app.name.clone(),
        source: "citizen".to_owned(),
        removable: true,
    });
    let passkeys = passkeys.iter().map(|passkey| MethodView {
        id: Some(passkey.id.to_string()),
        kind: "passkey".to_owned(),
        level: crate::levels::Method::Passkey { synced: false }
            .acr()
            .to_owned(),
        label: passkey.name.clone(),
        source: "citizen".to_owned(),
        removable: true,
    });
    let devices = devices.iter().map(|device| MethodView {
        id: Some(device.id.to_string()),
        kind: "digital_id".to_owned(),
        level: device.level.as_str().to_owned(),
        label: format!("{} ({})", device.name, device.platform),
        source: if device.enrolled_by == crate::digital_id::ENROLLED_BY_CITIZEN {
            "citizen".to_owned()
        } else {
            "registration_officer".to_owned()
        },
        removable: true,
    });
    CitizenView {
        citizen_id: citizen.id.0.to_string(),
        registry_number: record.registry_number.as_str().to_owned(),
        family_name: record.family_name.clone(),
        given_name: record.given_name.clone(),
        birth_date: record.birth_date.to_string(),
        status: record.status.as_str().to_owned(),
        phone: record.phone_numbers.first().map(|p| mask_phone(p.as_str())),
        methods: sms
            .into_iter()
            .chain(devices)
            .chain(passkeys)
            .chain(apps)
            .collect(),
    }
}

/// A reason kept in the audit trail: at least 3 printable characters besides spaces.
fn check_reason(reason: &str) -> Result<(), AdminFailure> {
    if reason.trim().chars().count() < 3 || reason.chars().any(char::is_control) {
        return Err(AdminFailure::invalid(
            "reason",
            "a reason of at least 3 printable characters is required",
        ));
    }
    Ok(())
}

/// The audit event of an action on a citizen, with its reason.
fn citizen_event(actor: &Principal, citizen: CitizenId, action: &str, reason: &str) -> NewEvent {
    NewEvent::new(EventKind::AdminAction, Actor::Admin(actor.name.clone()))
        .citizen(citizen)
        .detail("action", action)
        .detail("reason", reason.chars().take(500).collect::<String>())
}

fn authenticator_failure(error: AuthenticatorError) -> AdminFailure {
    match error {
        AuthenticatorError::NotFound => {
            AdminFailure::NotFound("no such authentication method of this citizen".to_owned())
        }
        other => {
            tracing::error!(%other, "authenticators unavailable");
            AdminFailure::Unavailable
        }
    }
}

fn passkey_failure(error: crate::passkeys::PasskeyError) -> AdminFailure {
    match error {
        crate::passkeys::PasskeyError::NotFound => {
            AdminFailure::NotFound("no such authentication method of this citizen".to_owned())
        }
        other => {
            tracing::error!(%other, "passkeys unavailable");
            AdminFailure::Unavailable
        }
    }
}

fn storage(error: StorageError) -> AdminFailure {
    tracing::error!(%error, "admin operation failed on storage");
    AdminFailure::Unavailable
}

fn view(client: &Client) -> ClientView {
    ClientView {
        client_id: client.id.as_str().to_owned(),
        name_mn: client.name_mn.clone(),
        name_en: client.name_en.clone(),
        redirect_uris: client
            .redirect_uris
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect(),
        post_logout_redirect_uris: client
            .post_logout_redirect_uris
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect(),
        scopes: client.allowed_scopes.clone(),
        grant_types: client
            .grant_types
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect(),
        auth_method: client.auth_method.as_str().to_owned(),
        subject_type: match client.subject_type {
            SubjectType::Pairwise => "pairwise",
            SubjectType::Public => "public",
        }
        .to_owned(),
        sector_identifier: client.sector_identifier.clone(),
        jwks_uri: client.jwks_uri.clone(),
        jwks: client.jwks.clone(),
        audiences: client.audiences.clone(),
        backchannel_logout_uri: client.backchannel_logout_uri.clone(),
        require_par: client.require_par,
        skip_consent: client.skip_consent,
        enabled: client.enabled,
    }
}

/// A scope is one of the identity scopes, or an API scope `resource:action`.
fn scope_is_known(scope: &str) -> bool {
    if SCOPES.contains(&scope) {
        return true;
    }
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 64
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
    };
    matches!(scope.split_once(':'), Some((resource, action)) if part(resource) && part(action))
}

/// Builds a client `id` from `settings`, each refusal naming its field. `existing` is the
/// client being changed, if any: its secret is kept while the method still uses one, and the
/// restricted scope may stay if it already had it. Returns the client and a secret made now.
///
/// The one validation of a client registration: administrators' clients and self-registered
/// ones (RFC 7591, [`crate::registration`]) pass through it alike.
pub(crate) fn from_settings(
    id: ClientId,
    settings: ClientSettings,
    existing: Option<&Client>,
) -> Result<(Client, Option<ClientSecret>), AdminFailure> {
    let invalid = |field: &str, error: ClientError| AdminFailure::invalid(field, error.to_string());
    let uris = |field: &str, values: &[String]| {
        values
            .iter()
            .map(|v| RedirectUri::parse(v).map_err(|e| invalid(field, e)))
            .collect::<Result<Vec<_>, _>>()
    };
    let redirect_uris = uris("redirect_uris", &settings.redirect_uris)?;
    let post_logout_redirect_uris = uris(
        "post_logout_redirect_uris",
        &settings.post_logout_redirect_uris,
    )?;
    let had_restricted =
        existing.is_some_and(|c| c.allowed_scopes.iter().any(|s| s == RESTRICTED_SCOPE));
    for scope in &settings.scopes {
        if scope == RESTRICTED_SCOPE && !had_restricted {
            return Err(AdminFailure::invalid(
                "scopes",
                "national_id is restricted: it is granted to a client separately, with a reason",
            ));
        }
        if !scope_is_known(scope) {
            return Err(AdminFailure::invalid(
                "scopes",
                format!(
                    "unknown scope {:?}: use {} or an API scope resource:action",
                    scope.chars().take(64).collect::<String>(),
                    SCOPES[..5].join(", ")
                ),
            ));
        }
    }
    let grant_types = settings
        .grant_types
        .iter()
        .map(|g| GrantType::parse(g).map_err(|e| invalid("grant_types", e)))
        .collect::<Result<Vec<_>, _>>()?;
    let auth_method =
        AuthMethod::parse(&settings.auth_method).map_err(|e| invalid("auth_method", e))?;
    let subject_type = match settings.subject_type.as_str() {
        "pairwise" => SubjectType::Pairwise,
        "public" => SubjectType::Public,
        _ => {
            return Err(AdminFailure::invalid(
                "subject_type",
                "subject_type must be pairwise or public",
            ));
        }
    };
    let kept = existing
        .filter(|c| c.auth_method.uses_secret() && auth_method.uses_secret())
        .and_then(|c| c.secret_hash.clone());
    let secret = (auth_method.uses_secret() && kept.is_none())
        .then(ClientSecret::generate)
        .transpose()
        .map_err(|_| AdminFailure::Unavailable)?;
    let client = Client {
        id,
        name_mn: settings.name_mn,
        name_en: settings.name_en,
        redirect_uris,
        post_logout_redirect_uris,
        allowed_scopes: settings.scopes,
        grant_types,
        auth_method,
        secret_hash: kept.or_else(|| secret.as_ref().map(ClientSecret::hash)),
        subject_type,
        sector_identifier: settings.sector_identifier,
        jwks_uri: settings.jwks_uri,
        jwks: settings.jwks,
        id_token_signing_alg: existing.and_then(|c| c.id_token_signing_alg),
        audiences: settings.audiences,
        backchannel_logout_uri: settings.backchannel_logout_uri,
        require_par: settings.require_par,
        skip_consent: settings.skip_consent,
        enabled: existing.is_none_or(|c| c.enabled),
        previous_secret: existing
            .filter(|_| auth_method.uses_secret())
            .and_then(|c| c.previous_secret.clone()),
        revision: existing.map_or(0, |c| c.revision),
    };
    client
        .check()
        .map_err(|e| AdminFailure::invalid("registration", e.to_string()))?;
    Ok((client, secret))
}

/// Whether a client holds the restricted scope.
fn holds_restricted(client: &Client) -> bool {
    client.allowed_scopes.iter().any(|s| s == RESTRICTED_SCOPE)
}

/// A client holding the restricted scope is changed or given a new secret only by a role that
/// may grant it: whoever controls the client can collect registry numbers.
fn guard_restricted(client: &Client, actor: &Principal) -> Result<(), AdminFailure> {
    if holds_restricted(client)
        && !actor
            .role
            .may(dan_admin::roles::Permission::GrantRestricted)
    {
        return Err(AdminFailure::Forbidden(format!(
            "the {} role may not change {}: it holds the restricted scope {RESTRICTED_SCOPE}",
            actor.role.as_str(),
            client.id.as_str()
        )));
    }
    Ok(())
}

fn client_id(id: &str) -> Result<ClientId, AdminFailure> {
    // A malformed id cannot name a registered client.
    ClientId::parse(id).map_err(|_| AdminFailure::NotFound(format!("no client {id:?}")))
}

fn changed_meanwhile() -> AdminFailure {
    AdminFailure::Conflict(
        "the client was changed or removed meanwhile; read it again and retry".to_owned(),
    )
}

impl AdminPlane {
    /// The view of a citizen, with their passkeys and authenticator apps.
    async fn view_of(&self, citizen: &Citizen) -> Result<CitizenView, AdminFailure> {
        let apps = self
            .provider
            .authenticators
            .list(citizen.id.0)
            .await
            .map_err(authenticator_failure)?;
        let passkeys = match &self.provider.passkeys {
            Some(passkeys) => passkeys.list(citizen.id.0).await.map_err(passkey_failure)?,
            None => Vec::new(),
        };
        let devices = self
            .provider
            .digital_id
            .devices(citizen.id.0)
            .await
            .map_err(|error| {
                tracing::error!(%error, "digital id devices unavailable");
                AdminFailure::Unavailable
            })?;
        Ok(citizen_view(citizen, &apps, &passkeys, &devices))
    }

    /// Removes the passkey, or else revokes the Digital ID device, with this id.
    async fn remove_uuid_method(
        &self,
        citizen: uuid::Uuid,
        id: uuid::Uuid,
    ) -> Result<(), AdminFailure> {
        if let Some(passkeys) = &self.provider.passkeys {
            match passkeys.remove(citizen, id).await {
                Ok(()) => return Ok(()),
                Err(crate::passkeys::PasskeyError::NotFound) => {}
                Err(other) => return Err(passkey_failure(other)),
            }
        }
        match self.provider.digital_id.revoke(citizen, id).await {
            Ok(()) => Ok(()),
            Err(crate::digital_id::DigitalIdError::NotFound) => Err(AdminFailure::NotFound(
                "no such authentication method of this citizen".to_owned(),
            )),
            Err(error) => {
                tracing::error!(%error, "digital id devices unavailable");
                Err(AdminFailure::Unavailable)
            }
        }
    }

    async fn end_sessions(&self, citizen: CitizenId) -> Result<(), AdminFailure> {
        self.provider
            .end_citizen_sessions(citizen.0)
            .await
            .map_err(|error| {
                tracing::error!(?error, "cannot end a citizen's sessions");
                AdminFailure::Unavailable
            })
    }

    async fn citizen(&self, id: &str) -> Result<Citizen, AdminFailure> {
        let not_found = || AdminFailure::NotFound(format!("no citizen {id:?}"));
        let uuid = uuid::Uuid::parse_str(id).map_err(|_| not_found())?;
        self.citizens
            .find_by_id(CitizenId(uuid))
            .await
            .map_err(storage)?
            .ok_or_else(not_found)
    }

    async fn existing(&self, id: &str) -> Result<Client, AdminFailure> {
        let id = client_id(id)?;
        self.clients
            .find(&id)
            .await
            .map_err(storage)?
            .ok_or_else(|| AdminFailure::NotFound(format!("no client {}", id.as_str())))
    }
}

fn initial_token_view(record: InitialTokenRecord) -> InitialTokenView {
    InitialTokenView {
        id: record.id,
        label: record.label,
        created_by: record.created_by,
        created_at: rfc3339(record.created_at),
        expires_at: rfc3339(record.expires_at),
        max_registrations: record.max_registrations,
        registrations: record.registrations,
        revoked_at: record.revoked_at.map(rfc3339),
    }
}

fn registration_failure(error: RegistrationError) -> AdminFailure {
    match error {
        RegistrationError::Invalid { field, reason } => AdminFailure::invalid(field, reason),
        _ => AdminFailure::Unavailable,
    }
}

fn key_views(keys: &KeyRing) -> Vec<KeyView> {
    keys.summary()
        .into_iter()
        .map(|k| KeyView {
            kid: k.kid,
            algorithm: k.algorithm.as_str().to_owned(),
            state: k.state.to_owned(),
            created_at: k.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        })
        .collect()
}

fn event_view(event: AuditEvent) -> AuditEventView {
    AuditEventView {
        seq: event.seq,
        at: event.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        kind: event.kind,
        actor: event.actor,
        citizen_id: event.citizen_id.map(|c| c.to_string()),
        client_id: event.client_id,
        detail: serde_json::from_str(&event.detail).unwrap_or(serde_json::Value::Null),
        prev_hash: event.prev_hash,
        hash: event.hash,
    }
}

#[async_trait]
impl AdminBackend for AdminPlane {
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AdminFailure> {
        self.admins.authenticate(token).await.map_err(|error| {
            tracing::error!(%error, "admin token check failed");
            AdminFailure::Unavailable
        })
    }

    async fn record(&self, actor: &Principal, action: &str, target: Option<&str>, outcome: &str) {
        let mut event = NewEvent::new(EventKind::AdminAction, Actor::Admin(actor.name.clone()))
            .detail("action", action)
            .detail("role", actor.role.as_str())
            .detail("outcome", outcome);
        if let Some(target) = target {
            event = match ClientId::parse(target) {
                Ok(id) if action.starts_with("clients.") => event.client(&id),
                _ => event.detail("target", target.chars().take(64).collect::<String>()),
            };
        }
        self.audit.note(event).await;
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    async fn console_sign_in(
        &self,
        token: &str,
    ) -> Result<Option<(Principal, String)>, AdminFailure> {
        self.admins
            .authenticate_with_id(token)
            .await
            .map_err(|error| {
                tracing::error!(%error, "admin token check failed");
                AdminFailure::Unavailable
            })
    }

    async fn sign_in_refused(&self, address: &str) -> Result<Option<u64>, AdminFailure> {
        let wait = self
            .provider
            .otp
            .limit("console_sign_in", address, CONSOLE_SIGN_INS_PER_MINUTE)
            .await
            .map_err(store_failure)?;
        if wait.is_none() {
            let event = NewEvent::new(EventKind::AdminAction, Actor::System)
                .detail("action", "console.sign_in")
                .detail("outcome", "401")
                .detail("address", address.chars().take(64).collect::<String>());
            self.audit.note(event).await;
        }
        Ok(wait)
    }

    async fn console_principal(
        &self,
        name: &str,
        token_id: &str,
    ) -> Result<Option<Principal>, AdminFailure> {
        self.admins
            .principal_by_token_id(name, token_id)
            .await
            .map_err(|error| {
                tracing::error!(%error, "console session check failed");
                AdminFailure::Unavailable
            })
    }

    async fn session_put(
        &self,
        key: &str,
        value: &[u8],
        ttl: std::time::Duration,
    ) -> Result<(), AdminFailure> {
        self.store
            .put(&Key::new(CONSOLE_SESSIONS, key), value, ttl)
            .await
            .map_err(store_failure)
    }

    async fn session_get(&self, key: &str) -> Result<Option<Vec<u8>>, AdminFailure> {
        self.store
            .get(&Key::new(CONSOLE_SESSIONS, key))
            .await
            .map_err(store_failure)
    }

    async fn session_touch(
        &self,
        key: &str,
        ttl: std::time::Duration,
    ) -> Result<bool, AdminFailure> {
        self.store
            .touch(&Key::new(CONSOLE_SESSIONS, key), ttl)
            .await
            .map_err(store_failure)
    }

    async fn session_delete(&self, key: &str) -> Result<(), AdminFailure> {
        self.store
            .delete(&Key::new(CONSOLE_SESSIONS, key))
            .await
            .map(|_| ())
            .map_err(store_failure)
    }

    async fn list_clients(
        &self,
        after: Option<String>,
        limit: u32,
        enabled: Option<bool>,
    ) -> Result<ClientPage, AdminFailure> {
        let mut clients = self.clients.list().await.map_err(storage)?;
        clients.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        let limit = usize::try_from(limit.clamp(1, 200)).unwrap_or(200);
        let mut items: Vec<ClientView> = clients
            .iter()
            .filter(|c| after.as_deref().is_none_or(|a| c.id.as_str() > a))
            .filter(|c| enabled.is_none_or(|e| c.enabled == e))
            .take(limit + 1)
            .map(view)
            .collect();
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = more
            .then(|| items.last().map(|c| c.client_id.clone()))
            .flatten();
        Ok(ClientPage { items, next_cursor })
    }

    async fn get_client(&self, id: &str) -> Result<ClientView, AdminFailure> {
        let id = client_id(id)?;
        match self.clients.find(&id).await.map_err(storage)? {
            Some(client) => Ok(view(&client)),
            None => Err(AdminFailure::NotFound(format!("no client {}", id.as_str()))),
        }
    }

    async fn create_client(&self, input: ClientInput) -> Result<CreatedClient, AdminFailure> {
        let id = ClientId::parse(&input.client_id)
            .map_err(|e| AdminFailure::invalid("client_id", e.to_string()))?;
        let (client, secret) = from_settings(id, input.settings, None)?;
        if !self.clients.create(&client).await.map_err(storage)? {
            return Err(AdminFailure::Conflict(format!(
                "a client with id {} is already registered",
                client.id.as_str()
            )));
        }
        Ok(CreatedClient {
            client: view(&client),
            client_secret: secret.as_ref().map(|s| s.expose().to_owned()),
        })
    }

    async fn update_client(
        &self,
        id: &str,
        mut settings: ClientSettings,
        actor: &Principal,
    ) -> Result<CreatedClient, AdminFailure> {
        let existing = self.existing(id).await?;
        guard_restricted(&existing, actor)?;
        // A restricted scope held stays: it is withdrawn only with a reason, by its operation.
        if holds_restricted(&existing) && !settings.scopes.iter().any(|s| s == RESTRICTED_SCOPE) {
            settings.scopes.push(RESTRICTED_SCOPE.to_owned());
        }
        let (client, secret) = from_settings(existing.id.clone(), settings, Some(&existing))?;
        if !self.clients.replace(&client).await.map_err(storage)? {
            return Err(changed_meanwhile());
        }
        Ok(CreatedClient {
            client: view(&client),
            client_secret: secret.as_ref().map(|s| s.expose().to_owned()),
        })
    }

    async fn rotate_secret(
        &self,
        id: &str,
        grace_seconds: u32,
        actor: &Principal,
    ) -> Result<RotatedSecret, AdminFailure> {
        let mut client = self.existing(id).await?;
        guard_restricted(&client, actor)?;
        let Some(current) = client.secret_hash.clone() else {
            return Err(AdminFailure::Conflict(format!(
                "{} authenticates with {}, which has no secret",
                client.id.as_str(),
                client.auth_method.as_str()
            )));
        };
        let secret = ClientSecret::generate().map_err(|_| AdminFailure::Unavailable)?;
        let until = self.clock.now() + chrono::Duration::seconds(i64::from(grace_seconds));
        client.secret_hash = Some(secret.hash());
        client.previous_secret = Some(PreviousSecret {
            hash: current,
            until,
        });
        if !self.clients.replace(&client).await.map_err(storage)? {
            return Err(changed_meanwhile());
        }
        Ok(RotatedSecret {
            client_secret: secret.expose().to_owned(),
            previous_valid_until: until.to_rfc3339_opts(SecondsFormat::Secs, true),
        })
    }

    async fn set_client_enabled(
        &self,
        id: &str,
        enabled: bool,
    ) -> Result<ClientView, AdminFailure> {
        let id = client_id(id)?;
        if !self
            .clients
            .set_enabled(&id, enabled)
            .await
            .map_err(storage)?
        {
            return Err(AdminFailure::NotFound(format!("no client {}", id.as_str())));
        }
        self.get_client(id.as_str()).await
    }

    async fn delete_client(&self, id: &str) -> Result<(), AdminFailure> {
        let id = client_id(id)?;
        if !self.clients.delete(&id).await.map_err(storage)? {
            return Err(AdminFailure::NotFound(format!("no client {}", id.as_str())));
        }
        Ok(())
    }

    async fn create_initial_token(
        &self,
        input: InitialTokenInput,
        actor: &Principal,
    ) -> Result<IssuedInitialToken, AdminFailure> {
        let (token, record) = self
            .registrations
            .issue_initial_token(
                &input.label,
                input.expires_in,
                input.max_registrations,
                &actor.name,
            )
            .await
            .map_err(registration_failure)?;
        Ok(IssuedInitialToken {
            token: token.expose().to_owned(),
            record: initial_token_view(record),
        })
    }

    async fn list_initial_tokens(&self) -> Result<Vec<InitialTokenView>, AdminFailure> {
        let tokens = self
            .registrations
            .initial_tokens()
            .await
            .map_err(registration_failure)?;
        Ok(tokens.into_iter().map(initial_token_view).collect())
    }

    async fn revoke_initial_token(
        &self,
        id: &str,
        _actor: &Principal,
    ) -> Result<InitialTokenView, AdminFailure> {
        self.registrations
            .revoke_initial_token(id)
            .await
            .map_err(registration_failure)?
            .map(initial_token_view)
            .ok_or_else(|| AdminFailure::NotFound(format!("no live initial access token {id:?}")))
    }

    async fn scopes(&self) -> Result<Vec<ScopeView>, AdminFailure> {
        Ok(CATALOGUE
            .iter()
            .map(|s| ScopeView {
                name: s.name.to_owned(),
                claims: s.claims.iter().map(|c| (*c).to_owned()).collect(),
                restricted: s.restricted,
                description: s.description.to_owned(),
            })
            .collect())
    }

    async fn set_restricted_scope(
        &self,
        id: &str,
        scope: &str,
        granted: bool,
        reason: &str,
        actor: &Principal,
    ) -> Result<ClientView, AdminFailure> {
        if !CATALOGUE.iter().any(|s| s.restricted && s.name == scope) {
            return Err(AdminFailure::invalid(
                "scope",
                "only a restricted scope (national_id) is granted this way",
            ));
        }
        check_reason(reason)?;
        let mut client = self.existing(id).await?;
        let has = client.allowed_scopes.iter().any(|s| s == scope);
        if has == granted {
            return Err(AdminFailure::Conflict(format!(
                "{} {} {scope} already",
                client.id.as_str(),
                if granted { "has" } else { "does not have" }
            )));
        }
        if granted {
            client.allowed_scopes.push(scope.to_owned());
        } else {
            client.allowed_scopes.retain(|s| s != scope);
        }
        if !self.clients.replace(&client).await.map_err(storage)? {
            return Err(changed_meanwhile());
        }
        self.audit
            .note(
                NewEvent::new(EventKind::AdminAction, Actor::Admin(actor.name.clone()))
                    .client(&client.id)
                    .detail(
                        "action",
                        if granted {
                            "scope.granted"
                        } else {
                            "scope.withdrawn"
                        },
                    )
                    .detail("scope", scope)
                    .detail("reason", reason.chars().take(500).collect::<String>()),
            )
            .await;
        Ok(view(&client))
    }

    async fn list_keys(&self) -> Result<Vec<KeyView>, AdminFailure> {
        Ok(key_views(&self.keys))
    }

    async fn withdraw_key(
        &self,
        kid: &str,
        reason: &str,
        actor: &Principal,
    ) -> Result<Vec<KeyView>, AdminFailure> {
        check_reason(reason)?;
        let withdrawn = self.keys.withdraw(kid).await.map_err(|error| {
            tracing::error!(%error, "key withdrawal failed");
            AdminFailure::Unavailable
        })?;
        if !withdrawn {
            return Err(AdminFailure::Conflict(
                "only a retired key is withdrawn: rotate an active key away first".to_owned(),
            ));
        }
        self.audit
            .note(
                NewEvent::new(EventKind::KeyChanged, Actor::Admin(actor.name.clone()))
                    .detail("action", "withdraw")
                    .detail("kid", kid.chars().take(64).collect::<String>())
                    .detail("reason", reason.chars().take(500).collect::<String>()),
            )
            .await;
        Ok(key_views(&self.keys))
    }

    async fn lookup_citizen(
        &self,
        registry_number: &str,
        reason: &str,
        actor: &Principal,
    ) -> Result<CitizenView, AdminFailure> {
        check_reason(reason)?;
        let number = RegistryNumber::parse(registry_number)
            .map_err(|e| AdminFailure::invalid("registry_number", e.to_string()))?;
        let citizen = self
            .citizens
            .find_by_registry_number(&number)
            .await
            .map_err(storage)?
            .ok_or_else(|| AdminFailure::NotFound("no citizen with this registry number".into()))?;
        // The trail names the citizen by internal id, never by registry number; and no
        // personal data leaves before the look-up is durably recorded.
        self.audit
            .record(citizen_event(actor, citizen.id, "citizen.lookup", reason))
            .await
            .map_err(|error| {
                tracing::error!(%error, "a citizen look-up could not be audited; refused");
                AdminFailure::Unavailable
            })?;
        self.view_of(&citizen).await
    }

    async fn issue_enrollment_code(
        &self,
        registry_number: &str,
        actor: &Principal,
    ) -> Result<EnrollmentCodeView, AdminFailure> {
        let number = RegistryNumber::parse(registry_number)
            .map_err(|e| AdminFailure::invalid("registry_number", e.to_string()))?;
        let citizen = self
            .citizens
            .find_by_registry_number(&number)
            .await
            .map_err(storage)?
            .ok_or_else(|| AdminFailure::NotFound("no citizen with this registry number".into()))?;
        if citizen.record.status != crate::citizens::CitizenStatus::Active {
            return Err(AdminFailure::invalid(
                "registry_number",
                "this citizen may not log in (locked or deceased): no Digital ID can be enrolled",
            ));
        }
        // Recorded, with the officer, before the code leaves.
        self.audit
            .record(
                NewEvent::new(EventKind::AdminAction, Actor::Admin(actor.name.clone()))
                    .citizen(citizen.id)
                    .detail("action", "digital_id.enrollment_code"),
            )
            .await
            .map_err(|error| {
                tracing::error!(%error, "an enrollment code could not be audited; refused");
                AdminFailure::Unavailable
            })?;
        let issued = self
            .provider
            .digital_id
            .issue_code(citizen.id.0, &actor.name)
            .await
            .map_err(|error| {
                tracing::error!(%error, "an enrollment code could not be issued");
                AdminFailure::Unavailable
            })?;
        Ok(EnrollmentCodeView {
            code: issued.code,
            expires_at: issued.expires_at,
            citizen_id: citizen.id.0.to_string(),
            level: crate::digital_id::DeviceLevel::High.as_str().to_owned(),
        })
    }

    async fn set_citizen_locked(
        &self,
        citizen_id: &str,
        locked: bool,
        reason: &str,
        actor: &Principal,
    ) -> Result<CitizenView, AdminFailure> {
        check_reason(reason)?;
        let citizen = self.citizen(citizen_id).await?;
        let (from, to) = if locked {
            (CitizenStatus::Active, CitizenStatus::Locked)
        } else {
            (CitizenStatus::Locked, CitizenStatus::Active)
        };
        if citizen.record.status != from {
            return Err(AdminFailure::Conflict(format!(
                "the citizen is {}, not {}",
                citizen.record.status.as_str(),
                from.as_str()
            )));
        }
        if locked {
            // Sessions end first: if the status change then fails, a retry is safe and ends
            // them again; refresh tokens die at their next use once the status is locked.
            self.end_sessions(citizen.id).await?;
        }
        if !self
            .citizens
            .set_status(citizen.id, to)
            .await
            .map_err(storage)?
        {
            return Err(AdminFailure::NotFound(format!("no citizen {citizen_id:?}")));
        }
        let action = if locked {
            "citizen.lock"
        } else {
            "citizen.unlock"
        };
        self.audit
            .note(citizen_event(actor, citizen.id, action, reason))
            .await;
        let citizen = self.citizen(citizen_id).await?;
        self.view_of(&citizen).await
    }

    async fn remove_citizen_method(
        &self,
        citizen_id: &str,
        method_id: &str,
        reason: &str,
        actor: &Principal,
    ) -> Result<CitizenView, AdminFailure> {
        check_reason(reason)?;
        let citizen = self.citizen(citizen_id).await?;
        // Passkeys and Digital ID devices have UUIDs; authenticator apps do not.
        match uuid::Uuid::parse_str(method_id).ok() {
            Some(id) => self.remove_uuid_method(citizen.id.0, id).await?,
            None => self
                .provider
                .authenticators
                .remove(citizen.id.0, method_id)
                .await
                .map_err(authenticator_failure)?,
        }
        self.audit
            .note(
                citizen_event(actor, citizen.id, "citizen.remove_method", reason)
                    .detail("method", method_id.chars().take(32).collect::<String>()),
            )
            .await;
        self.view_of(&citizen).await
    }

    async fn end_citizen_sessions(
        &self,
        citizen_id: &str,
        reason: &str,
        actor: &Principal,
    ) -> Result<(), AdminFailure> {
        check_reason(reason)?;
        let citizen = self.citizen(citizen_id).await?;
        self.end_sessions(citizen.id).await?;
        self.audit
            .note(citizen_event(
                actor,
                citizen.id,
                "citizen.end_sessions",
                reason,
            ))
            .await;
        Ok(())
    }

    async fn rotate_key(&self, algorithm: &str) -> Result<Vec<KeyView>, AdminFailure> {
        let algorithm = Algorithm::parse(algorithm)
            .map_err(|_| AdminFailure::invalid("algorithm", "ES256, RS256 or EdDSA"))?;
        let kid = self.keys.rotate(algorithm).await.map_err(|error| {
            tracing::error!(%error, "key rotation failed");
            AdminFailure::Unavailable
        })?;
        self.audit
            .note(
                NewEvent::new(EventKind::KeyChanged, Actor::System)
                    .detail("action", "rotate")
                    .detail("algorithm", algorithm.as_str())
                    .detail("kid", kid.as_str()),
            )
            .await;
        Ok(key_views(&self.keys))
    }

    async fn audit_events(
        &self,
        query: AuditQuery,
        after: i64,
        limit: u32,
    ) -> Result<AuditPage, AdminFailure> {
        let filter = AuditFilter {
            from: query.from,
            until: query.until,
            actor: query.actor,
            citizen: query.citizen_id,
            client: query.client_id,
            kind: query
                .kind
                .map(|k| {
                    EventKind::parse(&k)
                        .ok_or_else(|| AdminFailure::invalid("kind", "not an audit event kind"))
                })
                .transpose()?,
        };
        let limit = u64::from(limit.clamp(1, 1000));
        let events = self
            .audit
            .query(&filter, after.max(0), limit)
            .await
            .map_err(storage)?;
        let next_cursor = (events.len() as u64 == limit)
            .then(|| events.last().map(|e| e.seq))
            .flatten();
        Ok(AuditPage {
            items: events.into_iter().map(event_view).collect(),
            next_cursor,
        })
    }

    async fn statistics(&self) -> Result<StatisticsView, AdminFailure> {
        let clients: Vec<String> = self
            .clients
            .list()
            .await
            .map_err(storage)?
            .into_iter()
            .map(|c| c.id.as_str().to_owned())
            .collect();
        let figures = self
            .statistics
            .dashboard(&clients, self.session_lifetime)
            .await;
        let counts = |pairs: Vec<(String, u64)>| {
            pairs
                .into_iter()
                .map(|(name, count)| Count { name, count })
                .collect()
        };
        Ok(StatisticsView {
            hours: figures
                .hours
                .into_iter()
                .map(|h| HourView {
                    hour: h.hour.to_rfc3339_opts(SecondsFormat::Secs, true),
                    logins_by_method: counts(h.by_method),
                    logins_by_level: counts(h.by_level),
                    failures_by_reason: counts(h.failures),
                })
                .collect(),
            recent_sessions: figures.recent_sessions,
            top_clients: counts(figures.top_clients),
        })
    }

    async fn verify_audit(&self) -> Result<ChainReportView, AdminFailure> {
        let report = self.audit.verify().await.map_err(storage)?;
        Ok(ChainReportView {
            events: report.events,
            intact: report.intact,
            first_broken: report.first_broken,
            reason: report.reason,
            head: report.head,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_the_catalogue_or_api_scopes() {
        for known in ["openid", "profile", "benefits:read", "tax.records:write"] {
            assert!(scope_is_known(known), "{known}");
        }
        for unknown in ["profil", "Benefits:read", ":read", "a:", "a:b:c", "a b:c"] {
            assert!(!scope_is_known(unknown), "{unknown}");
        }
    }
}
