//! The ways to log in beyond the SMS code, and the levels of assurance they reach: which
//! methods the login pages offer a citizen, the picker, the authenticator-app code, and the one
//! place every method ends ([`Provider::complete_login`]): the level check, the SSO session
//! (started, or stepped up in place), the audit event, consent and the code.
//!
//! **What is offered.** After the registry number, the citizen's own methods are read: passkeys,
//! confirmed authenticator apps, and the SMS code (when the registry holds a phone). For an
//! essential level, only those that reach it are offered, and when none does the login ends on
//! the "you need a stronger method" page (and `unmet_authentication_requirements`). For a
//! voluntary level (`acr_values`) every method is offered, strongest first: above `low`, the
//! passkey prompt comes first with the other ways under it, and a step-up may go on at the
//! session's own level. A number that is not a citizen's, or a citizen with nothing but the
//! registry's phone, goes through the SMS path as before, so the two cannot be told apart. A citizen with more
//! than one method sees them listed, so the methods of a number are visible to whoever types
//! it: the same trade-off as every login with a method picker after the identifier.

use uuid::Uuid;

use super::{LoginFailure, Message, PageStep, Provider, unavailable};
use crate::audit::{Actor, EventKind, NewEvent};
use crate::authorize::AuthRequest;
use crate::citizens::{CitizenId, RegistryNumber};
use crate::clients::Client;
use crate::levels::{Method, level_rank};
use crate::login::{Choice, LoginTx, Stage};
use crate::oauth::{ErrorCode, OAuthError};
use crate::passkeys::{PasskeyError, Refusal};

/// The key of a login's passkey ceremony in the short-lived store.
fn ceremony_key(tx: &LoginTx) -> String {
    format!("login:{}", tx.id)
}

/// The rank of the level a request asks for (`low` when none).
pub(super) fn required_rank(request: &AuthRequest) -> usize {
    request.acr.as_deref().and_then(level_rank).unwrap_or(0)
}

impl Provider {
    /// The WebAuthn options of the passkey form a login page shows (a new ceremony, bound to
    /// the login), or `None` without passkeys: on the registry-number page, a usernameless
    /// login; on the passkey page, one for the citizen's own passkeys.
    pub async fn passkey_options(&self, tx: &LoginTx) -> Result<Option<String>, LoginFailure> {
        let Some(passkeys) = &self.passkeys else {
            return Ok(None);
        };
        let citizen = match &tx.stage {
            Stage::Number => None,
            Stage::Passkey { citizen_id, .. } => Some(*citizen_id),
            _ => return Ok(None),
        };
        match passkeys.start_login(&ceremony_key(tx), citizen).await {
            Ok(options) => Ok(Some(options.to_string())),
            // Removed meanwhile: the page offers the other ways.
            Err(PasskeyError::NotFound) => Ok(None),
            Err(error) => Err(unavailable(error)),
        }
    }

    /// A passkey answer was posted (`POST /login/{id}/passkey`), from the registry-number
    /// page (usernameless: the passkey names the citizen) or from the passkey page (it must be
    /// the citizen's own). A refusal is audited with its reason and the page is shown again
    /// with a new challenge.
    pub async fn submit_passkey(
        &self,
        tx: LoginTx,
        credential: &str,
        previous_session: Option<&str>,
    ) -> Result<PageStep, LoginFailure> {
        let client = self.client_of(&tx).await?;
        let Some(passkeys) = &self.passkeys else {
            return Err(LoginFailure::Expired);
        };
        let bound = match &tx.stage {
            Stage::Number => None,
            Stage::Passkey { citizen_id, .. } => Some(*citizen_id),
            _ => return Err(LoginFailure::Expired),
        };
        let refusal = match passkeys.finish_login(&ceremony_key(&tx), credential).await {
            Ok(login) if bound.is_none_or(|citizen| citizen == login.citizen_id) => {
                let method = Method::Passkey {
                    synced: login.backup_eligible,
                };
                return self
                    .complete_login(tx, client, login.citizen_id, method, previous_session)
                    .await;
            }
            Ok(_) => Refusal::OtherCitizen,
            Err(PasskeyError::Refused(refusal)) => refusal,
            Err(error) => return Err(unavailable(error)),
        };
        let event = NewEvent::new(EventKind::LoginFailed, Actor::Client(client.id.clone()))
            .client(&client.id)
            .detail("method", "passkey")
            .detail("reason", refusal.as_str());
        self.audit
            .note(match bound {
                Some(citizen) => event.citizen(CitizenId(citizen)),
                None => event.detail("citizen", "unknown"),
            })
            .await;
        self.statistics.failure("passkey_refused").await;
        Ok(PageStep::Show {
            tx: Box::new(tx),
            client: Box::new(client),
            message: Some(Message::PasskeyRefused),
        })
    }

    /// The rank of the highest level this deployment offers: `substantial` with passkeys,
    /// else `low` (the Digital ID's `high` comes with its own issue).
    pub fn highest_level(&self) -> usize {
        if self.passkeys.is_some() {
            Method::Passkey { synced: false }.rank()
        } else {
            Method::Sms.rank()
        }
    }

    /// How many passkeys `citizen_id` has (none when passkeys are not configured).
    pub(super) async fn passkey_count(&self, citizen_id: Uuid) -> Result<usize, LoginFailure> {
        match &self.passkeys {
            Some(passkeys) => passkeys
                .list(citizen_id)
                .await
                .map(|list| list.len())
                .map_err(unavailable),
            None => Ok(0),
        }
    }

    /// The ways `citizen_id` may log in for `request`, strongest first; `has_phone` says
    /// whether the registry holds a phone for the SMS code. For an essential level only those
    /// that reach it (empty when none does); for a voluntary one, all.
    pub(super) async fn offer(
        &self,
        request: &AuthRequest,
        citizen_id: Uuid,
        has_phone: bool,
    ) -> Result<Vec<Choice>, LoginFailure> {
        let mut all = Vec::new();
        if self.passkey_count(citizen_id).await? > 0 {
            all.push(Choice::Passkey);
        }
        let apps = self
            .authenticators
            .list(citizen_id)
            .await
            .map_err(unavailable)?;
        if apps.iter().any(|a| a.confirmed) {
            all.push(Choice::App);
        }
        if has_phone {
            all.push(Choice::Sms);
        }
        let required = required_rank(request);
        let strong: Vec<Choice> = all
            .iter()
            .copied()
            .filter(|c| c.rank() >= required)
            .collect();
        // Voluntary (`acr_values`): every method, strongest first, so a citizen whose passkey
        // is elsewhere still gets in, at the level they reach.
        Ok(if request.acr_essential { strong } else { all })
    }

    /// The offer for a transaction at the picker, app or passkey stage, read again (a method
    /// removed meanwhile is no longer offered).
    pub async fn offer_of(&self, tx: &LoginTx) -> Result<Vec<Choice>, LoginFailure> {
        let citizen_id = match &tx.stage {
            Stage::Choose { citizen_id, .. }
            | Stage::App { citizen_id, .. }
            | Stage::Passkey { citizen_id, .. } => *citizen_id,
            _ => return Ok(Vec::new()),
        };
        let has_phone = match &tx.stage {
            Stage::Passkey {
                registry_number: None,
                ..
            } => false,
            _ => self
                .citizens
                .find_by_id(CitizenId(citizen_id))
                .await
                .map_err(unavailable)?
                .is_some_and(|c| !c.record.phone_numbers.is_empty()),
        };
        self.offer(&tx.request, citizen_id, has_phone).await
    }

    /// The stage a choice leads to, for a citizen who entered `registry_number`.
    fn stage_for(choice: Choice, registry_number: &str, citizen_id: Uuid) -> Stage {
        match choice {
            Choice::Passkey => Stage::Passkey {
                registry_number: Some(registry_number.to_owned()),
                citizen_id,
            },
            Choice::App => Stage::App {
                registry_number: registry_number.to_owned(),
                citizen_id,
            },
            Choice::Sms => Stage::Choose {
                registry_number: registry_number.to_owned(),
                citizen_id,
            },
        }
    }

    /// The citizen picked a way to log in (`POST /login/{id}/method`), at the picker or from
    /// the "another way" links of the app and passkey pages.
    pub async fn choose_method(
        &self,
        mut tx: LoginTx,
        choice: &str,
    ) -> Result<PageStep, LoginFailure> {
        let client = self.client_of(&tx).await?;
        let (registry_number, citizen_id) = match &tx.stage {
            Stage::Choose {
                registry_number,
                citizen_id,
            }
            | Stage::App {
                registry_number,
                citizen_id,
            }
            | Stage::Passkey {
                registry_number: Some(registry_number),
                citizen_id,
            } => (registry_number.clone(), *citizen_id),
            _ => return Err(LoginFailure::Expired),
        };
        let offered = self.offer_of(&tx).await?;
        let Some(choice) = Choice::parse(choice).filter(|c| offered.contains(c)) else {
            return Err(LoginFailure::Forged);
        };
        if choice == Choice::Sms {
            let number =
                RegistryNumber::parse(&registry_number).map_err(|_| LoginFailure::Expired)?;
            let phone = self
                .citizens
                .find_by_id(CitizenId(citizen_id))
                .await
                .map_err(unavailable)?
                .filter(|c| c.record.status == crate::citizens::CitizenStatus::Active)
                .and_then(|c| c.record.phone_numbers.first().cloned());
            let recipient = phone.map(|phone| (citizen_id, phone));
            return self.send_first_code(tx, client, &number, recipient).await;
        }
        tx.stage = Self::stage_for(choice, &registry_number, citizen_id);
        self.logins.save(&tx).await.map_err(unavailable)?;
        Ok(PageStep::Show {
            tx: Box::new(tx),
            client: Box::new(client),
            message: None,
        })
    }

    /// Where a known citizen goes after the registry number: straight to the one method
    /// offered, or to the picker; `None` when the SMS code is the only way (the caller sends
    /// it, as for every other number).
    pub(super) async fn after_number(
        &self,
        tx: &LoginTx,
        number: &RegistryNumber,
        citizen_id: Option<Uuid>,
        has_phone: bool,
    ) -> Result<Option<Stage>, LoginFailure> {
        let essential_above_sms =
            tx.request.acr_essential && required_rank(&tx.request) > Method::Sms.rank();
        let Some(citizen_id) = citizen_id else {
            // Not a citizen who may log in: the SMS path, unless the level rules it out, in
            // which case the same page as for a citizen without a strong method.
            return Ok(essential_above_sms.then_some(Stage::Unmet));
        };
        let offered = self.offer(&tx.request, citizen_id, has_phone).await?;
        let above_sms = required_rank(&tx.request) > Method::Sms.rank();
        Ok(match offered.as_slice() {
            [] if essential_above_sms => Some(Stage::Unmet),
            // Nothing to offer but nothing asked either (no phone, no method): the SMS path
            // to nobody, like an unknown number.
            [] | [Choice::Sms] => None,
            [one] => Some(Self::stage_for(*one, number.as_str(), citizen_id)),
            // A level above low asked for: the passkey prompt first, the other ways under it.
            [Choice::Passkey, ..] if above_sms => Some(Self::stage_for(
                Choice::Passkey,
                number.as_str(),
                citizen_id,
            )),
            _ => Some(Stage::Choose {
                registry_number: number.as_str().to_owned(),
                citizen_id,
            }),
        })
    }

    /// The citizen declines the passkey a voluntary level asked for and goes on with their
    /// SSO session as it is (`POST /login/{id}/continue`, offered by the step-up page only
    /// when the level is voluntary): the ID token says the session's own `acr`.
    pub async fn continue_as_is(
        &self,
        tx: LoginTx,
        session_cookie: Option<&str>,
    ) -> Result<PageStep, LoginFailure> {
        let client = self.client_of(&tx).await?;
        let Stage::Passkey {
            registry_number: None,
            citizen_id,
        } = tx.stage
        else {
            return Err(LoginFailure::Expired);
        };
        if tx.request.acr_essential {
            return Err(LoginFailure::Forged);
        }
        let Some(cookie) = session_cookie else {
            return Err(LoginFailure::Expired);
        };
        let session = self
            .sessions
            .find(cookie)
            .await
            .map_err(unavailable)?
            .filter(|s| s.citizen_id == citizen_id)
            .ok_or(LoginFailure::Expired)?;
        if !self
            .citizen_may_log_in(CitizenId(citizen_id))
            .await
            .map_err(unavailable)?
        {
            return Err(LoginFailure::Expired);
        }
        let auth = super::authenticated(&session);
        self.consent_or_finish(tx, client, auth, cookie, None).await
    }

    /// An authenticator-app code was entered (`POST /login/{id}/app`). Each try counts against
    /// the limits of SMS codes ([`crate::otp::Otp::count_app_try`]).
    pub async fn submit_app_code(
        &self,
        tx: LoginTx,
        code: &str,
        previous_session: Option<&str>,
    ) -> Result<PageStep, LoginFailure> {
        let client = self.client_of(&tx).await?;
        let Stage::App {
            registry_number,
            citizen_id,
        } = &tx.stage
        else {
            return Err(LoginFailure::Expired);
        };
        let citizen_id = *citizen_id;
        let number = RegistryNumber::parse(registry_number).map_err(|_| LoginFailure::Expired)?;
        let failure = |reason: &str| {
            NewEvent::new(EventKind::LoginFailed, Actor::Client(client.id.clone()))
                .client(&client.id)
                .citizen(CitizenId(citizen_id))
                .detail("method", Method::Totp.name())
                .detail("reason", reason)
        };
        let Some(remaining) = self
            .otp
            .count_app_try(&tx.id, &number)
            .await
            .map_err(unavailable)?
        else {
            self.audit.note(failure("too_many_attempts")).await;
            self.statistics.failure("too_many_attempts").await;
            self.logins.finish(&tx.id).await.map_err(unavailable)?;
            return Err(LoginFailure::TooManyAttempts);
        };
        match self.authenticators.verify_totp(citizen_id, code).await {
            Ok(_) => {
                self.complete_login(tx, client, citizen_id, Method::Totp, previous_session)
                    .await
            }
            Err(crate::authenticators::AuthenticatorError::Refused(refusal)) => {
                let reason = match refusal {
                    crate::totp::TotpRefusal::Malformed => "malformed_code",
                    crate::totp::TotpRefusal::Wrong => "wrong_code",
                    crate::totp::TotpRefusal::Replayed => "replayed_code",
                };
                self.audit.note(failure(reason)).await;
                self.statistics.failure(reason).await;
                if remaining == 0 {
                    self.logins.finish(&tx.id).await.map_err(unavailable)?;
                    return Err(LoginFailure::TooManyAttempts);
                }
                let message = if refusal == crate::totp::TotpRefusal::Replayed {
                    Message::CodeUsed { remaining }
                } else {
                    Message::WrongCode { remaining }
                };
                Ok(PageStep::Show {
                    tx: Box::new(tx),
                    client: Box::new(client),
                    message: Some(message),
                })
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    /// The citizen read that the level asked needs a method they do not have, and goes back
    /// (`POST /login/{id}/unmet`): the e-service receives `unmet_authentication_requirements`
    /// (OpenID Connect Core Unmet Authentication Requirements 1.0).
    pub async fn leave_unmet(&self, tx: LoginTx) -> Result<PageStep, LoginFailure> {
        if tx.stage != Stage::Unmet {
            return Err(LoginFailure::Expired);
        }
        if !self.logins.finish(&tx.id).await.map_err(unavailable)? {
            return Err(LoginFailure::Expired);
        }
        let client = self.client_of(&tx).await?;
        self.audit
            .note(
                NewEvent::new(EventKind::LoginFailed, Actor::Client(client.id.clone()))
                    .client(&client.id)
                    .detail("reason", "level_unmet")
                    .detail("acr", tx.request.acr.clone().unwrap_or_default()),
            )
            .await;
        self.statistics.failure("level_unmet").await;
        Ok(PageStep::Respond {
            response: self.request_error(
                &tx.request,
                OAuthError::new(
                    ErrorCode::UnmetAuthenticationRequirements,
                    "the citizen has no method of the level of assurance asked for",
                ),
            ),
            session_cookie: None,
        })
    }

    /// Every method ends here once it has proven `citizen_id`: the citizen must still be
    /// allowed in and the method must reach an essential level; then the browser's SSO session
    /// of the same citizen is stepped up in place (same `sid`, new cookie), or a new one starts
    /// (ending another citizen's); the login is audited and counted; consent or the code
    /// follow.
    pub(super) async fn complete_login(
        &self,
        mut tx: LoginTx,
        client: Client,
        citizen_id: Uuid,
        method: Method,
        previous_session: Option<&str>,
    ) -> Result<PageStep, LoginFailure> {
        let refused = |reason: &'static str| {
            NewEvent::new(EventKind::LoginFailed, Actor::Client(client.id.clone()))
                .client(&client.id)
                .citizen(CitizenId(citizen_id))
                .detail("method", method.name())
                .detail("reason", reason)
        };
        if !self
            .citizen_may_log_in(CitizenId(citizen_id))
            .await
            .map_err(unavailable)?
        {
            self.audit.note(refused("citizen_may_not_log_in")).await;
            self.statistics.failure("citizen_may_not_log_in").await;
            self.logins.finish(&tx.id).await.map_err(unavailable)?;
            return Err(LoginFailure::Expired);
        }
        if tx.request.acr_essential && method.rank() < required_rank(&tx.request) {
            self.audit.note(refused("level_too_low")).await;
            tx.stage = Stage::Unmet;
            self.logins.save(&tx).await.map_err(unavailable)?;
            return Ok(PageStep::Show {
                tx: Box::new(tx),
                client: Box::new(client),
                message: None,
            });
        }
        let previous = match previous_session {
            Some(cookie) => self
                .sessions
                .find(cookie)
                .await
                .map_err(unavailable)?
                .map(|session| (cookie, session)),
            None => None,
        };
        let stepped = match &previous {
            Some((old, session)) if session.citizen_id == citizen_id => self
                .sessions
                .reauthenticate(old, method.acr(), method.amr())
                .await
                .map_err(unavailable)?,
            _ => None,
        };
        let stepped_up = stepped.is_some();
        let (cookie, session) = match stepped {
            Some(stepped) => stepped,
            None => {
                let started = self
                    .sessions
                    .start(citizen_id, method.acr(), method.amr())
                    .await
                    .map_err(unavailable)?;
                if let Some((old, session)) = previous
                    && session.citizen_id != citizen_id
                {
                    self.end_session(old).await.map_err(unavailable)?;
                }
                started
            }
        };
        tracing::info!(client = %client.id, method = method.name(), stepped_up, "citizen authenticated");
        self.audit
            .note(
                NewEvent::new(
                    EventKind::LoginSucceeded,
                    Actor::Citizen(CitizenId(citizen_id)),
                )
                .citizen(CitizenId(citizen_id))
                .client(&client.id)
                .detail("method", method.name())
                .detail("acr", method.acr())
                .detail("same_session", stepped_up),
            )
            .await;
        self.statistics
            .login(method.name(), method.acr(), client.id.as_str())
            .await;
        let auth = super::authenticated(&session);
        self.consent_or_finish(tx, client, auth, &cookie, Some(cookie.clone()))
            .await
    }

    /// The end of every login page: the consent page when consent is needed, else the code.
    /// `new_cookie` is the SSO cookie to set, when the session is new or was stepped up.
    async fn consent_or_finish(
        &self,
        mut tx: LoginTx,
        client: Client,
        auth: crate::login::Authenticated,
        cookie: &str,
        new_cookie: Option<String>,
    ) -> Result<PageStep, LoginFailure> {
        tx.stage = Stage::Consent(auth.clone());
        let needed = self
            .consent_needed(&tx.request, &client, &auth)
            .await
            .map_err(unavailable)?;
        if needed {
            self.logins.save(&tx).await.map_err(unavailable)?;
            return Ok(PageStep::Consent {
                tx: Box::new(tx),
                client: Box::new(client),
                session_cookie: new_cookie,
            });
        }
        match self.finish(&tx, &client, &auth, cookie).await {
            Ok(Some(response)) => Ok(PageStep::Respond {
                response,
                session_cookie: new_cookie,
            }),
            Ok(None) => Err(LoginFailure::Expired),
            Err(e) => Err(unavailable(e)),
        }
    }
}
