//! The admin operations themselves, for a known principal: the role check, the guard on
//! clients holding a restricted scope, the backend call, and the audit record with its
//! outcome. The API ([`crate::api`]) and the console ([`crate::console`]) both act through
//! this one desk, so a rule (who may do what, what is recorded) is written once.

use std::sync::Arc;

use crate::AdminBackend;
use crate::model::{
    AuditPage, AuditQuery, ChainReportView, CitizenView, ClientInput, ClientPage, ClientSettings,
    ClientView, CreatedClient, EnrollmentCodeView, InitialTokenInput, InitialTokenView,
    IssuedInitialToken, KeyView, RotatedSecret, ScopeView, StatisticsView,
};
use crate::problem::{AdminFailure, Failure};
use crate::roles::{Permission, Principal};

/// The answer of an operation: its value, or the problem to show.
pub(crate) type Answer<T> = Result<T, Failure>;

/// Where admin operations are done.
#[derive(Clone)]
pub(crate) struct Desk {
    pub(crate) backend: Arc<dyn AdminBackend>,
}

impl Desk {
    /// Whether the principal's role grants `need`; a refusal is recorded and answered 403.
    pub(crate) async fn permit(
        &self,
        who: &Principal,
        need: Permission,
        action: &str,
    ) -> Answer<()> {
        if who.role.may(need) {
            return Ok(());
        }
        self.backend.record(who, action, None, "403").await;
        Err(Failure::forbidden(who.role.as_str(), action))
    }

    /// A client that holds a restricted scope (the national id) is re-enabled or deleted by a
    /// security admin only: whoever controls it can collect registry numbers. Refusals are
    /// recorded. (Changes and new secrets are checked by the backend itself, on the read its
    /// revision-checked write is based on, so a grant landing meanwhile cannot slip through.)
    async fn guard_restricted(&self, who: &Principal, id: &str, action: &str) -> Answer<()> {
        if who.role.may(Permission::GrantRestricted) {
            return Ok(());
        }
        let restricted: Vec<String> = self
            .backend
            .scopes()
            .await
            .map_err(Failure::from)?
            .into_iter()
            .filter(|s| s.restricted)
            .map(|s| s.name)
            .collect();
        let holds = match self.backend.get_client(id).await {
            Ok(client) => client.scopes.iter().any(|s| restricted.contains(s)),
            // Not found and the like: the operation itself answers.
            Err(_) => false,
        };
        if holds {
            self.backend.record(who, action, Some(id), "403").await;
            return Err(Failure::forbidden(
                who.role.as_str(),
                &format!("{action} on a client holding a restricted scope"),
            ));
        }
        Ok(())
    }

    /// Records the request with its outcome and maps a failure to its problem.
    pub(crate) async fn done<T>(
        &self,
        who: &Principal,
        action: &str,
        target: Option<&str>,
        result: Result<T, AdminFailure>,
    ) -> Answer<T> {
        let result = result.map_err(Failure::from);
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(failure) => failure.status().to_string(),
        };
        self.backend.record(who, action, target, &outcome).await;
        result
    }

    /// Clients by id, a page at a time.
    pub(crate) async fn list_clients(
        &self,
        who: &Principal,
        after: Option<String>,
        limit: u32,
        enabled: Option<bool>,
    ) -> Answer<ClientPage> {
        let action = "clients.list";
        self.permit(who, Permission::ReadClients, action).await?;
        let page = self.backend.list_clients(after, limit, enabled).await;
        self.done(who, action, None, page).await
    }

    /// Registers a client.
    pub(crate) async fn create_client(
        &self,
        who: &Principal,
        input: ClientInput,
    ) -> Answer<CreatedClient> {
        let action = "clients.create";
        self.permit(who, Permission::WriteClients, action).await?;
        let target = input.client_id.clone();
        let created = self.backend.create_client(input).await;
        self.done(who, action, Some(&target), created).await
    }

    /// One client.
    pub(crate) async fn get_client(&self, who: &Principal, id: &str) -> Answer<ClientView> {
        let action = "clients.read";
        self.permit(who, Permission::ReadClients, action).await?;
        let client = self.backend.get_client(id).await;
        self.done(who, action, Some(id), client).await
    }

    /// Replaces a client's settings.
    pub(crate) async fn update_client(
        &self,
        who: &Principal,
        id: &str,
        settings: ClientSettings,
    ) -> Answer<CreatedClient> {
        let action = "clients.update";
        self.permit(who, Permission::WriteClients, action).await?;
        // The restricted-scope rule is checked by the backend on the read it changes.
        let updated = self.backend.update_client(id, settings, who).await;
        self.done(who, action, Some(id), updated).await
    }

    /// Gives a client a new secret; the old one works for the grace period.
    pub(crate) async fn rotate_secret(
        &self,
        who: &Principal,
        id: &str,
        grace_seconds: u32,
    ) -> Answer<RotatedSecret> {
        let action = "clients.rotate_secret";
        self.permit(who, Permission::WriteClients, action).await?;
        let rotated = self.backend.rotate_secret(id, grace_seconds, who).await;
        self.done(who, action, Some(id), rotated).await
    }

    /// Enables or disables a client.
    pub(crate) async fn set_client_enabled(
        &self,
        who: &Principal,
        id: &str,
        enabled: bool,
    ) -> Answer<ClientView> {
        let action = if enabled {
            "clients.enable"
        } else {
            "clients.disable"
        };
        self.permit(who, Permission::WriteClients, action).await?;
        if enabled {
            // Disabling is always allowed: it only takes power away.
            self.guard_restricted(who, id, action).await?;
        }
        let client = self.backend.set_client_enabled(id, enabled).await;
        self.done(who, action, Some(id), client).await
    }

    /// Deletes a client.
    pub(crate) async fn delete_client(&self, who: &Principal, id: &str) -> Answer<()> {
        let action = "clients.delete";
        self.permit(who, Permission::WriteClients, action).await?;
        self.guard_restricted(who, id, action).await?;
        let deleted = self.backend.delete_client(id).await;
        self.done(who, action, Some(id), deleted).await
    }

    /// The scope catalogue.
    pub(crate) async fn scopes(&self, who: &Principal) -> Answer<Vec<ScopeView>> {
        let action = "scopes.list";
        self.permit(who, Permission::ReadClients, action).await?;
        let scopes = self.backend.scopes().await;
        self.done(who, action, None, scopes).await
    }

    /// Grants or withdraws a restricted scope, for a reason.
    pub(crate) async fn set_restricted_scope(
        &self,
        who: &Principal,
        id: &str,
        scope: &str,
        granted: bool,
        reason: &str,
    ) -> Answer<ClientView> {
        let action = if granted {
            "scopes.grant"
        } else {
            "scopes.withdraw"
        };
        self.permit(who, Permission::GrantRestricted, action)
            .await?;
        let changed = self
            .backend
            .set_restricted_scope(id, scope, granted, reason, who)
            .await;
        self.done(who, action, Some(id), changed).await
    }

    /// Looks a citizen up by registry number, for a reason.
    pub(crate) async fn lookup_citizen(
        &self,
        who: &Principal,
        registry_number: &str,
        reason: &str,
    ) -> Answer<CitizenView> {
        let action = "citizens.lookup";
        self.permit(who, Permission::Citizens, action).await?;
        let found = self
            .backend
            .lookup_citizen(registry_number, reason, who)
            .await;
        self.done(who, action, None, found).await
    }

    /// Locks or unlocks a citizen, for a reason.
    pub(crate) async fn set_citizen_locked(
        &self,
        who: &Principal,
        citizen_id: &str,
        locked: bool,
        reason: &str,
    ) -> Answer<CitizenView> {
        let action = if locked {
            "citizens.lock"
        } else {
            "citizens.unlock"
        };
        self.permit(who, Permission::Citizens, action).await?;
        let changed = self
            .backend
            .set_citizen_locked(citizen_id, locked, reason, who)
            .await;
        self.done(who, action, None, changed).await
    }

    /// Removes one of a citizen's authentication methods, for a reason.
    pub(crate) async fn remove_citizen_method(
        &self,
        who: &Principal,
        citizen_id: &str,
        method_id: &str,
        reason: &str,
    ) -> Answer<CitizenView> {
        let action = "citizens.remove_method";
        self.permit(who, Permission::Citizens, action).await?;
        let changed = self
            .backend
            .remove_citizen_method(citizen_id, method_id, reason, who)
            .await;
        self.done(who, action, Some(method_id), changed).await
    }

    /// Issues a Digital ID enrollment code for a registry number (registration officers and
    /// security admins). The audit record names the citizen by id, never by registry number.
    pub(crate) async fn issue_enrollment_code(
        &self,
        who: &Principal,
        registry_number: &str,
    ) -> Answer<EnrollmentCodeView> {
        let action = "digital_id.enrollment_code";
        self.permit(who, Permission::EnrollDigitalId, action)
            .await?;
        let issued = self
            .backend
            .issue_enrollment_code(registry_number, who)
            .await;
        let target = issued.as_ref().ok().map(|v| v.citizen_id.clone());
        self.done(who, action, target.as_deref(), issued).await
    }

    /// Ends every SSO session of a citizen, for a reason.
    pub(crate) async fn end_citizen_sessions(
        &self,
        who: &Principal,
        citizen_id: &str,
        reason: &str,
    ) -> Answer<()> {
        let action = "citizens.end_sessions";
        self.permit(who, Permission::Citizens, action).await?;
        let ended = self
            .backend
            .end_citizen_sessions(citizen_id, reason, who)
            .await;
        self.done(who, action, None, ended).await
    }

    /// The signing keys.
    pub(crate) async fn list_keys(&self, who: &Principal) -> Answer<Vec<KeyView>> {
        let action = "keys.list";
        self.permit(who, Permission::ReadKeys, action).await?;
        let keys = self.backend.list_keys().await;
        self.done(who, action, None, keys).await
    }

    /// Rotates one algorithm's key now.
    pub(crate) async fn rotate_key(
        &self,
        who: &Principal,
        algorithm: &str,
    ) -> Answer<Vec<KeyView>> {
        let action = "keys.rotate";
        self.permit(who, Permission::WriteKeys, action).await?;
        let keys = self.backend.rotate_key(algorithm).await;
        self.done(who, action, Some(algorithm), keys).await
    }

    /// Withdraws a retired key at once, for a reason.
    pub(crate) async fn withdraw_key(
        &self,
        who: &Principal,
        kid: &str,
        reason: &str,
    ) -> Answer<Vec<KeyView>> {
        let action = "keys.withdraw";
        self.permit(who, Permission::WriteKeys, action).await?;
        let keys = self.backend.withdraw_key(kid, reason, who).await;
        self.done(who, action, Some(kid), keys).await
    }

    /// Audit events after a cursor.
    pub(crate) async fn audit_events(
        &self,
        who: &Principal,
        query: AuditQuery,
        after: i64,
        limit: u32,
    ) -> Answer<AuditPage> {
        let action = "audit.query";
        self.permit(who, Permission::ReadAudit, action).await?;
        let page = self.backend.audit_events(query, after, limit).await;
        self.done(who, action, None, page).await
    }

    /// The dashboard's figures.
    pub(crate) async fn statistics(&self, who: &Principal) -> Answer<StatisticsView> {
        let action = "statistics.read";
        self.permit(who, Permission::ReadAudit, action).await?;
        let figures = self.backend.statistics().await;
        self.done(who, action, None, figures).await
    }

    /// Verifies the whole audit chain.
    pub(crate) async fn verify_audit(&self, who: &Principal) -> Answer<ChainReportView> {
        let action = "audit.verify";
        self.permit(who, Permission::ReadAudit, action).await?;
        let report = self.backend.verify_audit().await;
        self.done(who, action, None, report).await
    }

    /// Issues an initial access token for dynamic client registration.
    pub(crate) async fn create_initial_token(
        &self,
        who: &Principal,
        input: InitialTokenInput,
    ) -> Answer<IssuedInitialToken> {
        let action = "initial_tokens.create";
        self.permit(who, Permission::WriteClients, action).await?;
        let issued = self.backend.create_initial_token(input, who).await;
        let target = issued.as_ref().ok().map(|i| i.record.id.clone());
        self.done(who, action, target.as_deref(), issued).await
    }

    /// The initial access tokens (never the tokens themselves).
    pub(crate) async fn list_initial_tokens(
        &self,
        who: &Principal,
    ) -> Answer<Vec<InitialTokenView>> {
        let action = "initial_tokens.list";
        self.permit(who, Permission::ReadClients, action).await?;
        let tokens = self.backend.list_initial_tokens().await;
        self.done(who, action, None, tokens).await
    }

    /// Revokes an initial access token.
    pub(crate) async fn revoke_initial_token(
        &self,
        who: &Principal,
        id: &str,
    ) -> Answer<InitialTokenView> {
        let action = "initial_tokens.revoke";
        self.permit(who, Permission::WriteClients, action).await?;
        let revoked = self.backend.revoke_initial_token(id, who).await;
        self.done(who, action, Some(id), revoked).await
    }
}
