//! The citizen's own account at DAN (`/account`): the ways they can log in, with add, rename
//! and remove.
//!
//! **Logging in to the account.** The account is DAN's own first-party service: its login
//! is an ordinary login transaction for the built-in client [`ACCOUNT_CLIENT_ID`] (never
//! stored, no consent), which ends with a redirect to `/account` instead of a code. The page
//! lives on DAN's own origin and reads the SSO session cookie itself, so no token is issued.
//! A registered client that took the same id would not be reached through it.
//!
//! **Changes need a fresh login** ([`Freshness`]): adding a way in needs a login within the
//! last [`FRESH_SECONDS`] (with a passkey, when the citizen has one), and removing a passkey
//! (the last method above the SMS code included) needs a passkey login that recent; otherwise
//! the citizen is sent to log in again first. A borrowed or old SMS session can neither add a
//! stronger way in nor strip an account down to SMS. Every added method is also announced by
//! SMS to the registry's phone.

use uuid::Uuid;

use super::{Provider, unavailable};
use crate::audit::{Actor, EventKind, NewEvent};
use crate::authorize::{AuthRequest, Prompt, ResponseMode};
use crate::citizens::{Citizen, CitizenId, CitizenStatus};
use crate::clients::{AuthMethod, Client, ClientId, GrantType, RedirectUri, SubjectType};
use crate::levels::{Method, level_rank};
use crate::login::{LoginTx, Stage};
use crate::provider::LoginFailure;
use crate::sessions::Session;

/// The client id of the account's own logins.
pub const ACCOUNT_CLIENT_ID: &str = "dan-account";
/// Where the account lives.
pub const ACCOUNT_PATH: &str = "/account";
/// How recent a `substantial` login must be to remove the last passkey.
pub const FRESH_SECONDS: i64 = 300;

/// Which login the account asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// An ordinary login (no session yet).
    No,
    /// A fresh login, with any method.
    Again,
    /// A fresh passkey login of this citizen.
    Passkey(Uuid),
}

/// How recently and how strongly a session authenticated, for the account's changes:
///
/// | change | needs |
/// |---|---|
/// | add a passkey, when the citizen has one | [`Freshness::Passkey`] |
/// | add the first passkey, add an app | [`Freshness::Recent`] |
/// | remove a passkey | [`Freshness::Passkey`] |
/// | rename anything, remove an app, revoke a Digital ID device | a session |
///
/// So a borrowed or old session cannot add a way in, and only a fresh passkey login removes
/// a passkey (the last one included: the rule holds whatever the count, so two removals at
/// once cannot strip the last one unconfirmed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Freshness {
    /// Authenticated more than [`FRESH_SECONDS`] ago.
    Stale,
    /// Within [`FRESH_SECONDS`], below `substantial`.
    Recent,
    /// Within [`FRESH_SECONDS`], with a passkey.
    Passkey,
}

/// What the account page shows.
#[derive(Debug)]
pub struct AccountView {
    /// The citizen.
    pub citizen: Citizen,
    /// The session's level.
    pub acr: String,
    /// The citizen's passkeys.
    pub passkeys: Vec<crate::passkeys::PasskeyInfo>,
    /// The citizen's confirmed authenticator apps.
    pub apps: Vec<crate::authenticators::StoredAuthenticator>,
    /// The citizen's Digital ID devices (not revoked).
    pub devices: Vec<crate::digital_id::Device>,
}

impl Provider {
    /// The built-in client of the account's logins.
    pub fn account_client(&self) -> Client {
        let home = format!("{}{ACCOUNT_PATH}", self.settings.issuer);
        Client {
            id: ClientId::parse(ACCOUNT_CLIENT_ID).expect("dan-account is a valid client id"),
            name_mn: "ДАН бүртгэл".to_owned(),
            name_en: "DAN account".to_owned(),
            redirect_uris: RedirectUri::parse(&home).into_iter().collect(),
            post_logout_redirect_uris: Vec::new(),
            allowed_scopes: vec!["openid".to_owned()],
            grant_types: vec![GrantType::AuthorizationCode],
            auth_method: AuthMethod::None,
            secret_hash: None,
            subject_type: SubjectType::Public,
            sector_identifier: None,
            jwks_uri: None,
            jwks: None,
            id_token_signing_alg: None,
            audiences: Vec::new(),
            backchannel_logout_uri: None,
            require_par: false,
            skip_consent: true,
            enabled: true,
            previous_secret: None,
            revision: 0,
        }
    }

    /// Whether a transaction is an account login.
    pub fn is_account_login(tx: &LoginTx) -> bool {
        tx.request.client_id == ACCOUNT_CLIENT_ID && tx.request.redirect_uri == ACCOUNT_PATH
    }

    /// Starts a login to the account in the browser `browser`: an ordinary one, a fresh one
    /// ([`Confirm::Again`]), or a fresh passkey login of the session's citizen
    /// ([`Confirm::Passkey`]) before a change that needs it ([`Freshness`]).
    pub async fn start_account_login(
        &self,
        browser: &str,
        locale: &str,
        confirm: Confirm,
    ) -> Result<LoginTx, LoginFailure> {
        let confirm_for = match confirm {
            Confirm::Passkey(citizen) => Some(citizen),
            _ => None,
        };
        let request = AuthRequest {
            client_id: ACCOUNT_CLIENT_ID.to_owned(),
            redirect_uri: ACCOUNT_PATH.to_owned(),
            response_mode: ResponseMode::Query,
            scopes: vec!["openid".to_owned()],
            state: None,
            nonce: None,
            code_challenge: String::new(),
            prompt: Prompt {
                login: confirm != Confirm::No,
                ..Prompt::default()
            },
            max_age: None,
            login_hint: None,
            acr: confirm_for.map(|_| Method::Passkey { synced: false }.acr().to_owned()),
            acr_essential: confirm_for.is_some(),
            acr_allowed: Vec::new(),
            ui_locales: Some(locale.to_owned()),
        };
        let stage = match confirm_for {
            Some(citizen_id) => Stage::Passkey {
                registry_number: None,
                citizen_id,
            },
            None => Stage::Number,
        };
        self.logins
            .start(request, browser, locale, stage)
            .await
            .map_err(unavailable)
    }

    /// The live session a cookie names, for the account pages: the citizen must still be
    /// allowed in.
    pub async fn account_session(&self, cookie: &str) -> Result<Option<Session>, LoginFailure> {
        let Some(session) = self.sessions.find(cookie).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let active = self
            .citizens
            .find_by_id(CitizenId(session.citizen_id))
            .await
            .map_err(unavailable)?
            .is_some_and(|c| c.record.status == CitizenStatus::Active);
        Ok(active.then_some(session))
    }

    /// What the account page shows for `session`.
    pub async fn account_view(&self, session: &Session) -> Result<AccountView, LoginFailure> {
        let citizen = self
            .citizens
            .find_by_id(CitizenId(session.citizen_id))
            .await
            .map_err(unavailable)?
            .ok_or(LoginFailure::Expired)?;
        let passkeys = match &self.passkeys {
            Some(passkeys) => passkeys
                .list(session.citizen_id)
                .await
                .map_err(unavailable)?,
            None => Vec::new(),
        };
        let apps = self
            .authenticators
            .list(session.citizen_id)
            .await
            .map_err(unavailable)?
            .into_iter()
            .filter(|a| a.confirmed)
            .collect();
        let devices = self
            .digital_id
            .devices(session.citizen_id)
            .await
            .map_err(unavailable)?;
        Ok(AccountView {
            citizen,
            acr: session.acr.clone(),
            passkeys,
            apps,
            devices,
        })
    }

    /// How recently and how strongly the session's citizen authenticated.
    pub fn freshness(&self, session: &Session) -> Freshness {
        let recent = self.clock.now().timestamp() - session.auth_time <= FRESH_SECONDS;
        let strong =
            level_rank(&session.acr).unwrap_or(0) >= Method::Passkey { synced: false }.rank();
        match (recent, strong) {
            (true, true) => Freshness::Passkey,
            (true, false) => Freshness::Recent,
            (false, _) => Freshness::Stale,
        }
    }

    /// Tells the citizen by SMS, at the registry's phone, that a method was added.
    pub async fn notify_method_added(&self, citizen_id: Uuid) {
        let phone = self
            .citizens
            .find_by_id(CitizenId(citizen_id))
            .await
            .ok()
            .flatten()
            .and_then(|c| c.record.phone_numbers.first().cloned());
        if let Some(phone) = phone {
            self.otp.notify_method_added(&phone);
        }
    }

    /// Records a change the citizen made to their own methods (or a refused ceremony).
    pub async fn note_method_change(
        &self,
        citizen_id: Uuid,
        action: &str,
        kind: &str,
        outcome: &str,
    ) {
        self.audit
            .note(
                NewEvent::new(
                    EventKind::MethodChanged,
                    Actor::Citizen(CitizenId(citizen_id)),
                )
                .citizen(CitizenId(citizen_id))
                .detail("action", action)
                .detail("method", kind)
                .detail("outcome", outcome),
            )
            .await;
    }
}
