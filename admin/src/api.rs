//! The admin API's operations: each authenticates the token, checks the role, calls one
//! backend operation, and records the request in the audit trail with its outcome.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use poem_openapi::auth::Bearer;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, OpenApi, SecurityScheme, Tags};

use crate::AdminBackend;
use crate::desk::{Answer, Desk};
use crate::model::{
    AuditPage, AuditQuery, ChainReportView, CitizenLookup, CitizenView, ClientInput, ClientPage,
    ClientSettings, ClientView, CreatedClient, EnrollmentCodeInput, EnrollmentCodeView,
    InitialTokenInput, InitialTokenView, IssuedInitialToken, KeyView, Me, Reason, RotatedSecret,
    ScopeView, SecretRotation, StatisticsView,
};
use crate::problem::Failure;
use crate::roles::{Permission, Principal};

/// An admin API token (`idp admin create`), as a Bearer token.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub struct AdminToken(Bearer);

#[derive(Tags)]
enum Tag {
    /// Who am I.
    Session,
    /// E-services (OpenID Connect clients). Roles: read by all, changed by security-admin and
    /// client-manager.
    Clients,
    /// Initial access tokens for dynamic client registration (RFC 7591, `POST /register` on
    /// the public listener). Roles: listed by all; issued and revoked by security-admin and
    /// client-manager.
    Registration,
    /// The scope catalogue, and the restricted scope's grants. Roles: read by all; granted
    /// and withdrawn by security-admin only.
    Scopes,
    /// Signing keys. Roles: read by security-admin and auditor, rotated by security-admin.
    Keys,
    /// Citizens: look-up (audit-logged with its reason), lock, unlock, end sessions (role:
    /// security-admin); Digital ID enrollment codes (registration-officer, security-admin).
    Citizens,
    /// The audit trail. Roles: security-admin and auditor.
    Audit,
    /// The dashboard's figures. Roles: security-admin and auditor.
    Statistics,
}

/// 201 with the created client.
#[derive(ApiResponse)]
enum Created {
    /// Created; the secret is shown this once.
    #[oai(status = 201)]
    Created(Json<CreatedClient>),
}

/// 201 with the issued initial access token.
#[derive(ApiResponse)]
enum Issued {
    /// Issued; the token is shown this once.
    #[oai(status = 201)]
    Issued(Json<IssuedInitialToken>),
}

/// 201 with a new enrollment code.
#[derive(ApiResponse)]
enum CodeIssued {
    /// Issued; the code is shown this once.
    #[oai(status = 201)]
    Issued(Json<EnrollmentCodeView>),
}

/// The audit trail as NDJSON.
#[derive(ApiResponse)]
enum Export {
    /// One JSON event per line, oldest first. When the export stopped at its limit,
    /// `X-Next-Cursor` is the `after` of the next export.
    #[oai(status = 200, content_type = "application/x-ndjson")]
    Events(
        PlainText<String>,
        #[oai(header = "X-Next-Cursor")] Option<i64>,
    ),
}

/// The most events one export returns.
const MAX_EXPORT: u32 = 100_000;

/// 204.
#[derive(ApiResponse)]
enum Deleted {
    /// Done; nothing to return.
    #[oai(status = 204)]
    Deleted,
}

/// The admin API.
pub struct AdminApi {
    pub(crate) backend: Arc<dyn AdminBackend>,
    pub(crate) desk: Desk,
}

impl AdminApi {
    /// The API on a backend.
    pub(crate) fn new(backend: Arc<dyn AdminBackend>) -> Self {
        let desk = Desk {
            backend: backend.clone(),
        };
        Self { backend, desk }
    }

    /// The principal of a valid token; otherwise 401.
    async fn who(&self, token: &AdminToken) -> Answer<Principal> {
        self.backend
            .authenticate(&token.0.token)
            .await
            .map_err(Failure::from)?
            .ok_or_else(|| Failure::unauthorized("the token is unknown, expired or revoked"))
    }

    /// The principal of a valid token whose role grants `need`; otherwise 401 or 403 (the
    /// refusal recorded too).
    async fn authorize(
        &self,
        token: &AdminToken,
        need: Permission,
        action: &str,
    ) -> Answer<Principal> {
        let who = self.who(token).await?;
        self.desk.permit(&who, need, action).await?;
        Ok(who)
    }
}

#[OpenApi]
impl AdminApi {
    /// The account the token acts for, and its role.
    #[oai(path = "/me", method = "get", tag = "Tag::Session")]
    async fn me(&self, token: AdminToken) -> Answer<Json<Me>> {
        let who = self.who(&token).await?;
        Ok(Json(Me {
            name: who.name,
            role: who.role.as_str().to_owned(),
        }))
    }

    /// Lists clients by id, a page at a time.
    #[oai(path = "/clients", method = "get", tag = "Tag::Clients")]
    async fn list_clients(
        &self,
        token: AdminToken,
        /// The last client id of the previous page.
        after: Query<Option<String>>,
        /// Page size, 1 to 200 (50 by default).
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "200"))
        )]
        limit: Query<u32>,
        /// Only enabled (`true`) or disabled (`false`) clients.
        enabled: Query<Option<bool>>,
    ) -> Answer<Json<ClientPage>> {
        let who = self.who(&token).await?;
        self.desk
            .list_clients(&who, after.0, limit.0, enabled.0)
            .await
            .map(Json)
    }

    /// Registers a client. Its secret, for secret-based methods, is in this answer only.
    #[oai(path = "/clients", method = "post", tag = "Tag::Clients")]
    async fn create_client(&self, token: AdminToken, input: Json<ClientInput>) -> Answer<Created> {
        let who = self.who(&token).await?;
        self.desk
            .create_client(&who, input.0)
            .await
            .map(|c| Created::Created(Json(c)))
    }

    /// One client.
    #[oai(path = "/clients/:client_id", method = "get", tag = "Tag::Clients")]
    async fn get_client(
        &self,
        token: AdminToken,
        client_id: Path<String>,
    ) -> Answer<Json<ClientView>> {
        let who = self.who(&token).await?;
        self.desk.get_client(&who, &client_id.0).await.map(Json)
    }

    /// Replaces a client's settings (everything but its id). A secret is made, and shown this
    /// once, when the new authentication method needs one and the old did not. Two changes
    /// at once: the second is refused with 409 and should be made again on a fresh read.
    #[oai(path = "/clients/:client_id", method = "put", tag = "Tag::Clients")]
    async fn update_client(
        &self,
        token: AdminToken,
        client_id: Path<String>,
        settings: Json<ClientSettings>,
    ) -> Answer<Json<CreatedClient>> {
        let who = self.who(&token).await?;
        self.desk
            .update_client(&who, &client_id.0, settings.0)
            .await
            .map(Json)
    }

    /// Gives a client a new secret, shown this once; the old one keeps working for the grace
    /// period, so the e-service can deploy the new one without an outage.
    #[oai(
        path = "/clients/:client_id/secret",
        method = "post",
        tag = "Tag::Clients"
    )]
    async fn rotate_secret(
        &self,
        token: AdminToken,
        client_id: Path<String>,
        rotation: Json<SecretRotation>,
    ) -> Answer<Json<RotatedSecret>> {
        let who = self.who(&token).await?;
        self.desk
            .rotate_secret(&who, &client_id.0, rotation.0.grace_seconds)
            .await
            .map(Json)
    }

    /// Disables a client: it can no longer log citizens in or get tokens.
    #[oai(
        path = "/clients/:client_id/disable",
        method = "post",
        tag = "Tag::Clients"
    )]
    async fn disable_client(
        &self,
        token: AdminToken,
        client_id: Path<String>,
    ) -> Answer<Json<ClientView>> {
        self.set_enabled(token, client_id.0, false).await
    }

    /// Enables a client again.
    #[oai(
        path = "/clients/:client_id/enable",
        method = "post",
        tag = "Tag::Clients"
    )]
    async fn enable_client(
        &self,
        token: AdminToken,
        client_id: Path<String>,
    ) -> Answer<Json<ClientView>> {
        self.set_enabled(token, client_id.0, true).await
    }

    /// Deletes a client.
    #[oai(path = "/clients/:client_id", method = "delete", tag = "Tag::Clients")]
    async fn delete_client(&self, token: AdminToken, client_id: Path<String>) -> Answer<Deleted> {
        let who = self.who(&token).await?;
        self.desk
            .delete_client(&who, &client_id.0)
            .await
            .map(|()| Deleted::Deleted)
    }

    /// Issues an initial access token: an agency registers its e-services with it at
    /// `POST /register` (RFC 7591), under the same rules as clients created here (never the
    /// restricted scope, never consent skipping). Single use unless `max_registrations` says
    /// more; the token is in this answer only.
    #[oai(
        path = "/initial-access-tokens",
        method = "post",
        tag = "Tag::Registration"
    )]
    async fn create_initial_token(
        &self,
        token: AdminToken,
        input: Json<InitialTokenInput>,
    ) -> Answer<Issued> {
        let who = self.who(&token).await?;
        self.desk
            .create_initial_token(&who, input.0)
            .await
            .map(|i| Issued::Issued(Json(i)))
    }

    /// The initial access tokens, newest first, with their use counts (never the tokens).
    #[oai(
        path = "/initial-access-tokens",
        method = "get",
        tag = "Tag::Registration"
    )]
    async fn list_initial_tokens(&self, token: AdminToken) -> Answer<Json<Vec<InitialTokenView>>> {
        let who = self.who(&token).await?;
        self.desk.list_initial_tokens(&who).await.map(Json)
    }

    /// Revokes an initial access token at once: it registers nothing more. Clients it
    /// registered stay (delete or disable them separately).
    #[oai(
        path = "/initial-access-tokens/:id/revoke",
        method = "post",
        tag = "Tag::Registration"
    )]
    async fn revoke_initial_token(
        &self,
        token: AdminToken,
        id: Path<String>,
    ) -> Answer<Json<InitialTokenView>> {
        let who = self.who(&token).await?;
        self.desk.revoke_initial_token(&who, &id.0).await.map(Json)
    }

    /// The scope catalogue: what each scope releases, and which are restricted.
    #[oai(path = "/scopes", method = "get", tag = "Tag::Scopes")]
    async fn scopes(&self, token: AdminToken) -> Answer<Json<Vec<ScopeView>>> {
        let who = self.who(&token).await?;
        self.desk.scopes(&who).await.map(Json)
    }

    /// Grants a restricted scope (`national_id`) to a client, for a reason kept in the audit
    /// trail.
    #[oai(
        path = "/clients/:client_id/restricted-scopes/:scope/grant",
        method = "post",
        tag = "Tag::Scopes"
    )]
    async fn grant_scope(
        &self,
        token: AdminToken,
        client_id: Path<String>,
        scope: Path<String>,
        reason: Json<Reason>,
    ) -> Answer<Json<ClientView>> {
        self.restricted(token, client_id.0, scope.0, true, reason.0)
            .await
    }

    /// Withdraws a restricted scope from a client, for a reason kept in the audit trail. Its
    /// tokens already issued keep their scopes until they expire.
    #[oai(
        path = "/clients/:client_id/restricted-scopes/:scope/withdraw",
        method = "post",
        tag = "Tag::Scopes"
    )]
    async fn withdraw_scope(
        &self,
        token: AdminToken,
        client_id: Path<String>,
        scope: Path<String>,
        reason: Json<Reason>,
    ) -> Answer<Json<ClientView>> {
        self.restricted(token, client_id.0, scope.0, false, reason.0)
            .await
    }

    /// Looks a citizen up by registry number (POSTed, so the number stays out of URLs and
    /// access logs). The look-up and its reason are audit-logged.
    #[oai(path = "/citizens/lookup", method = "post", tag = "Tag::Citizens")]
    async fn lookup_citizen(
        &self,
        token: AdminToken,
        lookup: Json<CitizenLookup>,
    ) -> Answer<Json<CitizenView>> {
        let who = self.who(&token).await?;
        self.desk
            .lookup_citizen(&who, &lookup.0.registry_number, &lookup.0.reason)
            .await
            .map(Json)
    }

    /// Locks a citizen: no new login, every session and refresh token ends.
    #[oai(
        path = "/citizens/:citizen_id/lock",
        method = "post",
        tag = "Tag::Citizens"
    )]
    async fn lock_citizen(
        &self,
        token: AdminToken,
        citizen_id: Path<Uuid>,
        reason: Json<Reason>,
    ) -> Answer<Json<CitizenView>> {
        self.lock(token, citizen_id.0.to_string(), true, reason.0)
            .await
    }

    /// Unlocks a citizen.
    #[oai(
        path = "/citizens/:citizen_id/unlock",
        method = "post",
        tag = "Tag::Citizens"
    )]
    async fn unlock_citizen(
        &self,
        token: AdminToken,
        citizen_id: Path<Uuid>,
        reason: Json<Reason>,
    ) -> Answer<Json<CitizenView>> {
        self.lock(token, citizen_id.0.to_string(), false, reason.0)
            .await
    }

    /// Removes one of a citizen's own authentication methods (an authenticator app, by the
    /// `id` the look-up shows), for a reason kept in the audit trail. What the civil registry
    /// holds (the phone) is changed there, not here.
    #[oai(
        path = "/citizens/:citizen_id/methods/:method_id/remove",
        method = "post",
        tag = "Tag::Citizens"
    )]
    async fn remove_method(
        &self,
        token: AdminToken,
        citizen_id: Path<Uuid>,
        method_id: Path<String>,
        reason: Json<Reason>,
    ) -> Answer<Json<CitizenView>> {
        let who = self.who(&token).await?;
        self.desk
            .remove_citizen_method(
                &who,
                &citizen_id.0.to_string(),
                &method_id.0,
                &reason.0.reason,
            )
            .await
            .map(Json)
    }

    /// Issues a one-time Digital ID enrollment code for the citizen with this registry number
    /// (registration officers, security admins): the officer has verified the citizen in
    /// person against the civil registry's biometrics. Single use, valid 15 minutes; a device
    /// the app enrolls with it gets the level `high`. The code is in this answer only.
    #[oai(
        path = "/digital-id/enrollment-codes",
        method = "post",
        tag = "Tag::Citizens"
    )]
    async fn issue_enrollment_code(
        &self,
        token: AdminToken,
        input: Json<EnrollmentCodeInput>,
    ) -> Answer<CodeIssued> {
        let who = self.who(&token).await?;
        self.desk
            .issue_enrollment_code(&who, &input.0.registry_number)
            .await
            .map(|code| CodeIssued::Issued(Json(code)))
    }

    /// Ends every SSO session of a citizen: the next login anywhere asks them to authenticate
    /// again, and each e-service that took part in one with a back-channel logout URI gets a
    /// logout token for the citizen's subject (all its sessions). Tokens already issued are
    /// not touched (lock the citizen to stop those).
    #[oai(
        path = "/citizens/:citizen_id/sessions/end",
        method = "post",
        tag = "Tag::Citizens"
    )]
    async fn end_sessions(
        &self,
        token: AdminToken,
        citizen_id: Path<Uuid>,
        reason: Json<Reason>,
    ) -> Answer<Deleted> {
        let who = self.who(&token).await?;
        self.desk
            .end_citizen_sessions(&who, &citizen_id.0.to_string(), &reason.0.reason)
            .await
            .map(|()| Deleted::Deleted)
    }

    /// The signing keys and their states.
    #[oai(path = "/keys", method = "get", tag = "Tag::Keys")]
    async fn list_keys(&self, token: AdminToken) -> Answer<Json<Vec<KeyView>>> {
        let who = self.who(&token).await?;
        self.desk.list_keys(&who).await.map(Json)
    }

    /// Rotates one algorithm's key now: the next key becomes active, the active one is
    /// retired and stays published until every token it signed has expired.
    #[oai(path = "/keys/:algorithm/rotate", method = "post", tag = "Tag::Keys")]
    async fn rotate_key(
        &self,
        token: AdminToken,
        /// ES256, RS256 or EdDSA.
        algorithm: Path<String>,
    ) -> Answer<Json<Vec<KeyView>>> {
        let who = self.who(&token).await?;
        self.desk.rotate_key(&who, &algorithm.0).await.map(Json)
    }

    /// Withdraws a retired key at once, before its tokens expire: it leaves the JWKS and every
    /// token it signed stops verifying (other nodes within a minute). For a compromised key:
    /// rotate, then withdraw. An active or next key is refused with 409.
    #[oai(path = "/keys/:kid/withdraw", method = "post", tag = "Tag::Keys")]
    async fn withdraw_key(
        &self,
        token: AdminToken,
        kid: Path<String>,
        reason: Json<Reason>,
    ) -> Answer<Json<Vec<KeyView>>> {
        let who = self.who(&token).await?;
        self.desk
            .withdraw_key(&who, &kid.0, &reason.0.reason)
            .await
            .map(Json)
    }

    /// Audit events, oldest first, a page at a time; every filter narrows the query.
    #[oai(path = "/audit/events", method = "get", tag = "Tag::Audit")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_events(
        &self,
        token: AdminToken,
        /// At or after (RFC 3339).
        from: Query<Option<DateTime<Utc>>>,
        /// Before (RFC 3339).
        until: Query<Option<DateTime<Utc>>>,
        /// Actor: `citizen:<id>`, `client:<id>`, `admin:<name>` or `system`.
        actor: Query<Option<String>>,
        /// The citizen's internal id.
        citizen_id: Query<Option<Uuid>>,
        /// The client id.
        client_id: Query<Option<String>>,
        /// The kind (`login.succeeded`, `login.failed`, `consent.granted`, ...).
        kind: Query<Option<String>>,
        /// The `next_cursor` of the previous page.
        #[oai(default)]
        after: Query<i64>,
        /// Page size, 1 to 1000 (100 by default).
        #[oai(
            default = "default_audit_limit",
            validator(minimum(value = "1"), maximum(value = "1000"))
        )]
        limit: Query<u32>,
    ) -> Answer<Json<AuditPage>> {
        let who = self.who(&token).await?;
        let query = AuditQuery {
            from: from.0,
            until: until.0,
            actor: actor.0,
            citizen_id: citizen_id.0,
            client_id: client_id.0,
            kind: kind.0,
        };
        self.desk
            .audit_events(&who, query, after.0, limit.0)
            .await
            .map(Json)
    }

    /// Exports audit events as NDJSON (one event per line, with its hashes: an unfiltered
    /// export's links and sequence can be checked elsewhere; checking each event's content
    /// needs DAN's key, through `/audit/verify`), with the same filters as the query; at most
    /// 100 000 per call.
    #[oai(path = "/audit/export", method = "get", tag = "Tag::Audit")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_export(
        &self,
        token: AdminToken,
        /// At or after (RFC 3339).
        from: Query<Option<DateTime<Utc>>>,
        /// Before (RFC 3339).
        until: Query<Option<DateTime<Utc>>>,
        /// Actor.
        actor: Query<Option<String>>,
        /// The citizen's internal id.
        citizen_id: Query<Option<Uuid>>,
        /// The client id.
        client_id: Query<Option<String>>,
        /// The kind.
        kind: Query<Option<String>>,
        /// Start after this sequence number.
        #[oai(default)]
        after: Query<i64>,
    ) -> Answer<Export> {
        let who = self
            .authorize(&token, Permission::ReadAudit, "audit.export")
            .await?;
        let query = AuditQuery {
            from: from.0,
            until: until.0,
            actor: actor.0,
            citizen_id: citizen_id.0,
            client_id: client_id.0,
            kind: kind.0,
        };
        let exported = async {
            let (mut text, mut cursor, mut count) = (String::new(), after.0, 0_u32);
            loop {
                let page = self
                    .backend
                    .audit_events(query.clone(), cursor, 1000)
                    .await?;
                for event in &page.items {
                    text.push_str(&event_line(event));
                    text.push('\n');
                }
                count += u32::try_from(page.items.len()).unwrap_or(u32::MAX);
                match page.next_cursor {
                    Some(next) if count < MAX_EXPORT => cursor = next,
                    Some(next) => return Ok((text, Some(next))),
                    None => return Ok((text, None)),
                }
            }
        }
        .await;
        self.desk
            .done(&who, "audit.export", None, exported)
            .await
            .map(|(text, next)| Export::Events(PlainText(text), next))
    }

    /// Logins per hour by method and by level, failures by reason, sessions started within
    /// the session lifetime and the busiest e-services today: the last 24 hours.
    #[oai(path = "/statistics", method = "get", tag = "Tag::Statistics")]
    async fn statistics(&self, token: AdminToken) -> Answer<Json<StatisticsView>> {
        let who = self.who(&token).await?;
        self.desk.statistics(&who).await.map(Json)
    }

    /// Walks the whole audit chain and reports the first event that does not match.
    #[oai(path = "/audit/verify", method = "get", tag = "Tag::Audit")]
    async fn verify_audit(&self, token: AdminToken) -> Answer<Json<ChainReportView>> {
        let who = self.who(&token).await?;
        self.desk.verify_audit(&who).await.map(Json)
    }
}

impl AdminApi {
    async fn lock(
        &self,
        token: AdminToken,
        id: String,
        locked: bool,
        reason: Reason,
    ) -> Answer<Json<CitizenView>> {
        let who = self.who(&token).await?;
        self.desk
            .set_citizen_locked(&who, &id, locked, &reason.reason)
            .await
            .map(Json)
    }

    async fn restricted(
        &self,
        token: AdminToken,
        id: String,
        scope: String,
        granted: bool,
        reason: Reason,
    ) -> Answer<Json<ClientView>> {
        let who = self.who(&token).await?;
        self.desk
            .set_restricted_scope(&who, &id, &scope, granted, &reason.reason)
            .await
            .map(Json)
    }

    async fn set_enabled(
        &self,
        token: AdminToken,
        id: String,
        enabled: bool,
    ) -> Answer<Json<ClientView>> {
        let who = self.who(&token).await?;
        self.desk
            .set_client_enabled(&who, &id, enabled)
            .await
            .map(Json)
    }
}

/// One event as a JSON line.
fn event_line(event: &crate::model::AuditEventView) -> String {
    serde_json::json!({
        "seq": event.seq, "at": event.at, "kind": event.kind, "actor": event.actor,
        "citizen_id": event.citizen_id, "client_id": event.client_id, "detail": event.detail,
        "prev_hash": event.prev_hash, "hash": event.hash,
    })
    .to_string()
}

fn default_limit() -> u32 {
    50
}

fn default_audit_limit() -> u32 {
    100
}
