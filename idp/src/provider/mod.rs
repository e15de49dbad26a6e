//! The OpenID Provider: the operations behind each endpoint, wiring the domain together
//! (clients, citizens, one-time codes, sessions, consent, tokens). Handlers in [`crate::http`]
//! parse a request, call one of these operations and map its result.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::audit::{Actor, AuditLog, EventKind, NewEvent};
use crate::authorize::{AuthRequest, PageError, Params, Rejection, ResponseMode, level_rank};
use crate::citizens::{CitizenDirectory, CitizenId, CitizenStatus, RegistryNumber};
use crate::client_auth::ClientAuthenticator;
use crate::clients::{Client, ClientId, ClientRegistry};
use crate::clock::Clock;
use crate::config::Lifetimes;
use crate::consent::{ConsentStore, covers};
use crate::ephemeral::{EphemeralStore, Key};
use crate::jose;
use crate::login::{Authenticated, LoginTx, Logins, Stage, TxError};
use crate::oauth::{ErrorCode, OAuthError};
use crate::otp::{Checked, Otp, Recipient, Sent};
use crate::sessions::{Session, Sessions};
use crate::sms::Outbox;
use crate::tokens::{Grant, Tokens, digest};
use uuid::Uuid;

use crate::levels::Method;

mod account;
mod methods;

pub use account::{
    ACCOUNT_CLIENT_ID, ACCOUNT_PATH, AccountView, Confirm, FRESH_SECONDS, Freshness,
};

/// The level one-time codes reach, and their methods (RFC 8176).
pub const SMS_ACR: &str = "low";
/// `amr` of an SMS code login.
pub const SMS_AMR: [&str; 2] = ["sms", "otp"];

/// Settings of the provider, from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The issuer.
    pub issuer: String,
    /// Lifetimes.
    pub lifetimes: Lifetimes,
    /// Logins one IP may start per minute.
    pub login_rate_per_ip: u32,
    /// Authorization requests one IP may make per minute.
    pub authorize_rate_per_ip: u32,
    /// Load balancers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Cookies carry `Secure`.
    pub secure_cookies: bool,
    /// Whether the demo client and try-it page exist.
    pub demo: bool,
}

/// The provider and everything it shares.
pub struct Provider {
    /// Settings.
    pub settings: Settings,
    /// Clients.
    pub clients: Arc<dyn ClientRegistry>,
    /// Dynamic client registration (RFC 7591, 7592) and its initial access tokens.
    pub registrations: Arc<crate::registration::Registrations>,
    /// Citizens.
    pub citizens: Arc<dyn CitizenDirectory>,
    /// Consents.
    pub consents: Arc<dyn ConsentStore>,
    /// Tokens.
    pub tokens: Tokens,
    /// SSO sessions.
    pub sessions: Sessions,
    /// Login transactions.
    pub logins: Logins,
    /// One-time codes.
    pub otp: Otp,
    /// Passkeys (WebAuthn); `None` when the issuer cannot use them (plain http off
    /// `localhost`, in development).
    pub passkeys: Option<crate::passkeys::Passkeys>,
    /// Digital ID devices: enrollment codes, enrollment, device authentication.
    pub digital_id: crate::digital_id::DigitalId,
    /// Citizens' own authentication methods (authenticator apps).
    pub authenticators: crate::authenticators::Authenticators,
    /// Client authentication at the token-style endpoints.
    pub client_auth: ClientAuthenticator,
    /// The development outbox, outside production.
    pub outbox: Option<Arc<Outbox>>,
    /// Short-lived state.
    pub store: Arc<dyn EphemeralStore>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Outgoing HTTP (back-channel logout).
    pub http: reqwest::Client,
    /// The audit trail.
    pub audit: Arc<AuditLog>,
    /// The dashboard's counters.
    pub statistics: crate::statistics::Statistics,
}

/// A response to send to the client's redirect URI (RFC 6749 4.1.2, RFC 9207).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResponse {
    /// The registered redirect URI.
    pub redirect_uri: String,
    /// Query or form post.
    pub mode: ResponseMode,
    /// `code` or `error`/`error_description`, then `state` and `iss`.
    pub params: Vec<(String, String)>,
}

impl AuthResponse {
    /// The redirect URL for the query response mode.
    pub fn location(&self) -> String {
        let mut url = self.redirect_uri.clone();
        if self.params.is_empty() {
            return url;
        }
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.params {
            query.append_pair(name, value);
        }
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query.finish());
        url
    }
}

/// What the browser sees next.
#[derive(Debug)]
pub enum Step {
    /// A page for the person: the request cannot be answered to the client.
    Refused {
        /// Why.
        error: PageError,
        /// The client's names, when known.
        client: Option<Box<Client>>,
    },
    /// Back to the client.
    Respond(AuthResponse),
    /// The login page of a transaction.
    Login {
        /// The transaction.
        tx: Box<LoginTx>,
        /// The client.
        client: Box<Client>,
    },
}

/// A code as stored: the grant and what the token request must prove.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CodeRecord {
    grant: Grant,
    /// Expiry by the injected clock (the store's own TTL is a backstop).
    expires_at: i64,
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
}

/// What a redeemed code produced, kept until its tokens expire so a replay can revoke them.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Redeemed {
    family_id: Option<String>,
    access_jti: String,
    access_exp: i64,
}

/// The outcome of a step of the login pages.
#[derive(Debug)]
pub enum PageStep {
    /// Show the transaction's current page, with an error or notice.
    Show {
        /// The transaction.
        tx: Box<LoginTx>,
        /// The client.
        client: Box<Client>,
        /// What to tell the person.
        message: Option<Message>,
    },
    /// Back to the client; with a new SSO cookie to set, when the citizen just logged in.
    Respond {
        /// The response.
        response: AuthResponse,
        /// A new session cookie.
        session_cookie: Option<String>,
    },
    /// Consent is needed; with a new SSO cookie to set.
    Consent {
        /// The transaction.
        tx: Box<LoginTx>,
        /// The client.
        client: Box<Client>,
        /// A new session cookie.
        session_cookie: Option<String>,
    },
}

/// Messages on the login pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// The registry number is not valid (Mongolian, English).
    BadNumber(String, String),
    /// A wrong code.
    WrongCode {
        /// Tries left.
        remaining: u64,
    },
    /// The code expired or was used.
    CodeExpired,
    /// A new code was sent.
    CodeResent,
    /// A passkey was refused (another challenge, origin or citizen; a replay; a counter
    /// gone back; a malformed answer).
    PasskeyRefused,
    /// An authenticator-app code of a time step already used.
    CodeUsed {
        /// Tries left.
        remaining: u64,
    },
    /// Wait before a new code.
    ResendTooSoon {
        /// Seconds.
        retry_after: u64,
    },
}

/// Why a login stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFailure {
    /// The transaction is gone (expired or finished).
    Expired,
    /// The form was not this browser's.
    Forged,
    /// Too many wrong codes.
    TooManyAttempts,
    /// Rate limited.
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// A backend failed.
    Unavailable,
}

impl From<TxError> for LoginFailure {
    fn from(error: TxError) -> Self {
        match error {
            TxError::Expired => Self::Expired,
            TxError::Forged => Self::Forged,
            TxError::Store(e) => {
                tracing::warn!(error = %e, "login transaction store failed");
                Self::Unavailable
            }
        }
    }
}

fn unavailable<E: std::fmt::Display>(error: E) -> LoginFailure {
    tracing::warn!(%error, "login step failed");
    LoginFailure::Unavailable
}

impl Provider {
    /// Handles an authorization request (`/authorize`, GET or POST), from the browser whose
    /// binding cookie is `browser`, carrying the SSO cookie `sso` if any.
    pub async fn authorize(
        &self,
        params: Params,
        browser: &str,
        sso: Option<&str>,
    ) -> Result<Step, OAuthError> {
        let (params, via_par) = match params.get("request_uri") {
            Some(uri) => match self.take_pushed(uri, params.get("client_id")).await? {
                Some(pushed) => (pushed, true),
                None => {
                    return Ok(Step::Refused {
                        error: PageError::BadRequest(
                            "the request_uri is unknown, expired or already used".to_owned(),
                        ),
                        client: None,
                    });
                }
            },
            None => (params, false),
        };
        let client = match params.get("client_id").map(ClientId::parse) {
            Some(Ok(id)) => self.clients.find(&id).await?,
            _ => None,
        };
        let Some(client) = client else {
            return Ok(Step::Refused {
                error: PageError::UnknownClient,
                client: None,
            });
        };
        let request = match AuthRequest::validate(&params, &client, via_par) {
            Ok(request) => request,
            Err(Rejection::Page(error)) => {
                return Ok(Step::Refused {
                    error,
                    client: Some(Box::new(client)),
                });
            }
            Err(Rejection::Redirect {
                redirect_uri,
                response_mode,
                state,
                error,
            }) => {
                return Ok(Step::Respond(self.error_response(
                    redirect_uri,
                    response_mode,
                    state,
                    &error,
                )));
            }
        };
        let locale = crate::pages::Locale::negotiate(request.ui_locales.as_deref())
            .as_str()
            .to_owned();
        let session = match sso {
            Some(cookie) => self.sessions.find(cookie).await?,
            None => None,
        };
        // id_token_hint (OpenID Connect Core 3.1.2.1): a session of another citizen is not
        // used, and with prompt=none that is login_required.
        let hinted = match params.get("id_token_hint") {
            None => None,
            Some(token) => match self.hinted_subject(token, &client) {
                Some(sub) => Some(sub),
                None => {
                    return Ok(Step::Respond(self.request_error(
                        &request,
                        OAuthError::invalid_request(
                            "id_token_hint is not an ID token DAN issued to this client",
                        ),
                    )));
                }
            },
        };
        let now = self.clock.now().timestamp();
        let required = methods::required_rank(&request);
        if request.acr_essential && required > self.highest_level() {
            return Ok(Step::Respond(self.request_error(
                &request,
                OAuthError::new(
                    ErrorCode::UnmetAuthenticationRequirements,
                    "the level of assurance asked for needs a method DAN does not offer",
                ),
            )));
        }
        let candidate = session.as_ref().filter(|s| {
            let fresh = request
                .max_age
                .is_none_or(|max| now - s.auth_time <= i64::try_from(max).unwrap_or(i64::MAX));
            let same_citizen = hinted
                .as_ref()
                .is_none_or(|sub| *sub == self.tokens.subject(&client, s.citizen_id));
            !request.prompt.login && fresh && same_citizen
        });
        // A session below the level asked is stepped up with a passkey, in place; without a
        // passkey, an essential level is unmet and a voluntary one is served as it is.
        let mut usable = candidate;
        if let Some(session) = candidate
            && level_rank(&session.acr).unwrap_or(0) < required
        {
            let has_passkey = self
                .passkey_count(session.citizen_id)
                .await
                .map_err(|_| OAuthError::internal("passkeys unavailable", &"storage"))?
                > 0;
            let stage = if has_passkey {
                Some(Stage::Passkey {
                    registry_number: None,
                    citizen_id: session.citizen_id,
                })
            } else if request.acr_essential {
                Some(Stage::Unmet)
            } else {
                None
            };
            // prompt=none: a voluntary level is served as the session is; an essential one
            // needs the citizen.
            match stage {
                Some(_) if request.prompt.none && request.acr_essential => {
                    return Ok(Step::Respond(self.request_error(
                        &request,
                        OAuthError::new(
                            ErrorCode::LoginRequired,
                            "the level of assurance asked for needs the citizen",
                        ),
                    )));
                }
                Some(stage) if !request.prompt.none => {
                    let tx = self.logins.start(request, browser, &locale, stage).await?;
                    return Ok(Step::Login {
                        tx: Box::new(tx),
                        client: Box::new(client),
                    });
                }
                _ => {}
            }
            usable = Some(session);
        }
        match usable {
            Some(session) => {
                let auth = Authenticated {
                    citizen_id: session.citizen_id,
                    auth_time: session.auth_time,
                    acr: session.acr.clone(),
                    amr: session.amr.clone(),
                    sid: session.sid.clone(),
                };
                if !self
                    .citizen_may_log_in(CitizenId(session.citizen_id))
                    .await?
                {
                    if let Some(cookie) = sso {
                        self.sessions.end(cookie).await?;
                    }
                    return Ok(Step::Respond(self.request_error(
                        &request,
                        OAuthError::new(ErrorCode::LoginRequired, "the session has ended"),
                    )));
                }
                let consent_needed = self.consent_needed(&request, &client, &auth).await?;
                if consent_needed && request.prompt.none {
                    return Ok(Step::Respond(self.request_error(
                        &request,
                        OAuthError::new(ErrorCode::ConsentRequired, "consent is needed"),
                    )));
                }
                let tx = self
                    .logins
                    .start(request, browser, &locale, Stage::Consent(auth.clone()))
                    .await?;
                if consent_needed {
                    return Ok(Step::Login {
                        tx: Box::new(tx),
                        client: Box::new(client),
                    });
                }
                let cookie = sso.unwrap_or_default();
                match self.finish(&tx, &client, &auth, cookie).await? {
                    Some(response) => Ok(Step::Respond(response)),
                    None => Ok(Step::Refused {
                        error: PageError::BadRequest("the login was already completed".to_owned()),
                        client: Some(Box::new(client)),
                    }),
                }
            }
            None if request.prompt.none => Ok(Step::Respond(self.request_error(
                &request,
                OAuthError::new(ErrorCode::LoginRequired, "the citizen is not logged in"),
            ))),
            None => {
                let tx = self
                    .logins
                    .start(request, browser, &locale, Stage::Number)
                    .await?;
                Ok(Step::Login {
                    tx: Box::new(tx),
                    client: Box::new(client),
                })
            }
        }
    }

    /// The `sub` of an ID token DAN issued to `client` (expired ones included), if it is one.
    fn hinted_subject(&self, token: &str, client: &Client) -> Option<String> {
        let parsed = jose::Compact::parse(token).ok()?;
        self.tokens.keys().verify(&parsed).ok()?;
        let claims: crate::tokens::IdClaims = parsed.claims().ok()?;
        (claims.iss == self.settings.issuer && claims.aud == client.id.as_str())
            .then_some(claims.sub)
    }

    fn request_error(&self, request: &AuthRequest, error: OAuthError) -> AuthResponse {
        self.error_response(
            request.redirect_uri.clone(),
            request.response_mode,
            request.state.clone(),
            &error,
        )
    }

    fn error_response(
        &self,
        redirect_uri: String,
        mode: ResponseMode,
        state: Option<String>,
        error: &OAuthError,
    ) -> AuthResponse {
        let mut params = vec![
            ("error".to_owned(), error.code.as_str().to_owned()),
            ("error_description".to_owned(), error.description.clone()),
        ];
        if let Some(state) = state {
            params.push(("state".to_owned(), state));
        }
        params.push(("iss".to_owned(), self.settings.issuer.clone()));
        AuthResponse {
            redirect_uri,
            mode,
            params,
        }
    }

    async fn citizen_may_log_in(&self, citizen: CitizenId) -> Result<bool, OAuthError> {
        Ok(self
            .citizens
            .find_by_id(citizen)
            .await?
            .is_some_and(|c| c.record.status == CitizenStatus::Active))
    }

    async fn consent_needed(
        &self,
        request: &AuthRequest,
        client: &Client,
        auth: &Authenticated,
    ) -> Result<bool, OAuthError> {
        if client.skip_consent {
            return Ok(false);
        }
        if request.prompt.consent {
            return Ok(true);
        }
        let remembered = self
            .consents
            .find(CitizenId(auth.citizen_id), &client.id)
            .await?;
        Ok(!remembered.is_some_and(|scopes| covers(&scopes, &request.scopes)))
    }

    /// Issues the code and ends the transaction; `None` when it had already ended.
    async fn finish(
        &self,
        tx: &LoginTx,
        client: &Client,
        auth: &Authenticated,
        session_cookie: &str,
    ) -> Result<Option<AuthResponse>, OAuthError> {
        if !self.logins.finish(&tx.id).await? {
            return Ok(None);
        }
        let request = &tx.request;
        if Self::is_account_login(tx) {
            // DAN's own account reads the SSO session on its own origin: no code.
            return Ok(Some(AuthResponse {
                redirect_uri: request.redirect_uri.clone(),
                mode: ResponseMode::Query,
                params: Vec::new(),
            }));
        }
        let code = jose::random_token(32)?;
        let record = CodeRecord {
            expires_at: self.clock.now().timestamp()
                + i64::try_from(self.settings.lifetimes.code.as_secs()).unwrap_or(60),
            grant: Grant {
                client_id: client.id.as_str().to_owned(),
                citizen_id: auth.citizen_id,
                scopes: request.scopes.clone(),
                sid: auth.sid.clone(),
                auth_time: auth.auth_time,
                acr: request.reported_acr(&auth.acr),
                amr: auth.amr.clone(),
            },
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
        };
        let value = serde_json::to_vec(&record)
            .map_err(|e| OAuthError::internal("cannot encode a code", &e))?;
        self.store
            .put(
                &Key::new("code", digest(&code)),
                &value,
                self.settings.lifetimes.code,
            )
            .await?;
        if let Some(mut session) = self.sessions.find(session_cookie).await? {
            self.sessions
                .add_client(session_cookie, &mut session, client.id.as_str())
                .await?;
        }
        let mut params = vec![("code".to_owned(), code)];
        if let Some(state) = &request.state {
            params.push(("state".to_owned(), state.clone()));
        }
        params.push(("iss".to_owned(), self.settings.issuer.clone()));
        tracing::info!(client = %client.id, "authorization code issued");
        Ok(Some(AuthResponse {
            redirect_uri: request.redirect_uri.clone(),
            mode: request.response_mode,
            params,
        }))
    }

    /// The client a transaction serves.
    pub async fn client_of(&self, tx: &LoginTx) -> Result<Client, LoginFailure> {
        if Self::is_account_login(tx) {
            return Ok(self.account_client());
        }
        let id = ClientId::parse(&tx.request.client_id).map_err(|_| LoginFailure::Expired)?;
        match self.clients.find(&id).await {
            Ok(Some(client)) if client.enabled => Ok(client),
            Ok(_) => Err(LoginFailure::Expired),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// The registry number was entered.
    pub async fn submit_number(
        &self,
        mut tx: LoginTx,
        input: &str,
        ip: &str,
    ) -> Result<PageStep, LoginFailure> {
        let client = self.client_of(&tx).await?;
        let number = match RegistryNumber::parse(input) {
            Ok(number) => number,
            Err(error) => {
                return Ok(PageStep::Show {
                    tx: Box::new(tx),
                    client: Box::new(client),
                    message: Some(Message::BadNumber(error.message_mn(), error.message_en())),
                });
            }
        };
        if let Some(retry_after) = self
            .otp
            .limit_ip(ip, self.settings.login_rate_per_ip)
            .await
            .map_err(unavailable)?
        {
            return Err(LoginFailure::RateLimited { retry_after });
        }
        let citizen = self
            .citizens
            .find_by_registry_number(&number)
            .await
            .map_err(unavailable)?;
        let usable = citizen.filter(|c| c.record.status == CitizenStatus::Active);
        let phone = usable
            .as_ref()
            .and_then(|c| c.record.phone_numbers.first().cloned());
        let next = self
            .after_number(
                &tx,
                &number,
                usable.as_ref().map(|c| c.id.0),
                phone.is_some(),
            )
            .await?;
        if let Some(stage) = next {
            tx.stage = stage;
            self.logins.save(&tx).await.map_err(unavailable)?;
            return Ok(PageStep::Show {
                tx: Box::new(tx),
                client: Box::new(client),
                message: None,
            });
        }
        let recipient = usable.map(|c| c.id.0).zip(phone);
        self.send_first_code(tx, client, &number, recipient).await
    }

    /// Sends the first SMS code of a login, to `recipient` (the citizen and the registry's
    /// phone) or, for anyone else, to nobody through the same steps.
    pub(super) async fn send_first_code(
        &self,
        mut tx: LoginTx,
        client: Client,
        number: &RegistryNumber,
        recipient: Option<(Uuid, crate::citizens::PhoneNumber)>,
    ) -> Result<PageStep, LoginFailure> {
        let number = number.clone();
        let citizen_id = recipient.as_ref().map(|(id, _)| *id);
        let phone = recipient.as_ref().map(|(_, phone)| phone);
        let masked_phone = self.otp.masked_for(&number, phone);
        let recipient = match phone {
            Some(phone) => Recipient::Citizen(phone),
            None => Recipient::Nobody,
        };
        let sent = self
            .otp
            .send(&tx.id, &number, recipient)
            .await
            .map_err(unavailable)?;
        match sent {
            Sent::Sent => {}
            Sent::HourlyLimit => return Err(LoginFailure::RateLimited { retry_after: 3600 }),
            // A code went out for this login moments ago (a double submit, or a second number
            // typed in another tab): nothing changes, the login stays bound to the first one.
            Sent::TooSoon { retry_after } => {
                return Ok(PageStep::Show {
                    tx: Box::new(tx),
                    client: Box::new(client),
                    message: Some(Message::ResendTooSoon { retry_after }),
                });
            }
        }
        tx.stage = Stage::CodeSent {
            registry_number: number.as_str().to_owned(),
            citizen_id,
            masked_phone,
        };
        self.logins.save(&tx).await.map_err(unavailable)?;
        Ok(PageStep::Show {
            tx: Box::new(tx),
            client: Box::new(client),
            message: None,
        })
    }

    /// A new code was asked for.
    pub async fn resend(&self, tx: LoginTx) -> Result<PageStep, LoginFailure> {
        let client = self.client_of(&tx).await?;
        let Stage::CodeSent {
            registry_number,
            citizen_id,
            ..
        } = &tx.stage
        else {
            return Err(LoginFailure::Expired);
        };
        let number = RegistryNumber::parse(registry_number).map_err(|_| LoginFailure::Expired)?;
        let phone = match citizen_id {
            Some(id) => self
                .citizens
                .find_by_id(CitizenId(*id))
                .await
                .map_err(unavailable)?
                .filter(|c| c.record.status == CitizenStatus::Active)
                .and_then(|c| c.record.phone_numbers.first().cloned()),
            None => None,
        };
        let recipient = match &phone {
            Some(phone) => Recipient::Citizen(phone),
            None => Recipient::Nobody,
        };
        let message = match self
            .otp
            .send(&tx.id, &number, recipient)
            .await
            .map_err(unavailable)?
        {
            Sent::Sent => Message::CodeResent,
            Sent::TooSoon { retry_after } => Message::ResendTooSoon { retry_after },
            Sent::HourlyLimit => return Err(LoginFailure::RateLimited { retry_after: 3600 }),
        };
        Ok(PageStep::Show {
            tx: Box::new(tx),
            client: Box::new(client),
            message: Some(message),
        })
    }

    /// The code was entered. A session the browser already had (`previous_session`) ends
    /// when the new one starts, with back-channel logout to its clients.
    pub async fn submit_code(
        &self,
        tx: LoginTx,
        code: &str,
        previous_session: Option<&str>,
    ) -> Result<PageStep, LoginFailure> {
        let client = self.client_of(&tx).await?;
        let Stage::CodeSent {
            citizen_id,
            registry_number,
            ..
        } = &tx.stage
        else {
            return Err(LoginFailure::Expired);
        };
        let citizen_id = *citizen_id;
        let number = RegistryNumber::parse(registry_number).map_err(|_| LoginFailure::Expired)?;
        let checked = self
            .otp
            .check(&tx.id, &number, code)
            .await
            .map_err(unavailable)?;
        let failure = |reason: &str| {
            let event = NewEvent::new(EventKind::LoginFailed, Actor::Client(client.id.clone()))
                .client(&client.id)
                .detail("method", "sms")
                .detail("reason", reason);
            match citizen_id {
                Some(id) => event.citizen(CitizenId(id)),
                None => event.detail("citizen", "unknown"),
            }
        };
        let message = match checked {
            Checked::Valid => None,
            Checked::Wrong { remaining } => {
                self.audit.note(failure("wrong_code")).await;
                self.statistics.failure("wrong_code").await;
                Some(Message::WrongCode { remaining })
            }
            Checked::Expired => {
                self.audit.note(failure("code_expired")).await;
                self.statistics.failure("code_expired").await;
                Some(Message::CodeExpired)
            }
            Checked::TooManyAttempts => {
                self.audit.note(failure("too_many_attempts")).await;
                self.statistics.failure("too_many_attempts").await;
                self.logins.finish(&tx.id).await.map_err(unavailable)?;
                return Err(LoginFailure::TooManyAttempts);
            }
        };
        // A valid code for nobody cannot happen (none was sent), but check the citizen again:
        // a lock applies at once.
        let citizen = match (message.is_none(), citizen_id) {
            (true, Some(id)) => self
                .citizen_may_log_in(CitizenId(id))
                .await
                .map_err(unavailable)?
                .then_some(id),
            _ => None,
        };
        let Some(citizen) = citizen else {
            if message.is_none() {
                self.audit.note(failure("citizen_may_not_log_in")).await;
                self.statistics.failure("citizen_may_not_log_in").await;
            }
            return Ok(PageStep::Show {
                tx: Box::new(tx),
                client: Box::new(client),
                message: Some(message.unwrap_or(Message::CodeExpired)),
            });
        };
        self.complete_login(tx, client, citizen, Method::Sms, previous_session)
            .await
    }

    /// The consent form was answered.
    pub async fn consent(
        &self,
        tx: LoginTx,
        allow: bool,
        session_cookie: Option<&str>,
    ) -> Result<PageStep, LoginFailure> {
        let client = self.client_of(&tx).await?;
        let Stage::Consent(auth) = &tx.stage else {
            return Err(LoginFailure::Expired);
        };
        let citizen = CitizenId(auth.citizen_id);
        let decided = |kind| {
            NewEvent::new(kind, Actor::Citizen(citizen))
                .citizen(citizen)
                .client(&client.id)
                .detail("scopes", tx.request.scopes.join(" "))
        };
        if !allow {
            self.audit.note(decided(EventKind::ConsentDenied)).await;
            self.logins.finish(&tx.id).await.map_err(unavailable)?;
            return Ok(PageStep::Respond {
                response: self.request_error(
                    &tx.request,
                    OAuthError::new(ErrorCode::AccessDenied, "the citizen declined"),
                ),
                session_cookie: None,
            });
        }
        self.consents
            .grant(citizen, &client.id, &tx.request.scopes)
            .await
            .map_err(unavailable)?;
        self.audit.note(decided(EventKind::ConsentGranted)).await;
        match self
            .finish(&tx, &client, auth, session_cookie.unwrap_or_default())
            .await
        {
            Ok(Some(response)) => Ok(PageStep::Respond {
                response,
                session_cookie: None,
            }),
            Ok(None) => Err(LoginFailure::Expired),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Stores a pushed authorization request (RFC 9126) for an authenticated client; returns
    /// the `request_uri` and its lifetime in seconds.
    pub async fn push(&self, client: &Client, params: Params) -> Result<(String, u64), OAuthError> {
        if params.get("request_uri").is_some() {
            return Err(OAuthError::invalid_request(
                "request_uri is not allowed in a pushed request",
            ));
        }
        if params
            .get("client_id")
            .is_some_and(|id| id != client.id.as_str())
        {
            return Err(OAuthError::invalid_request(
                "client_id does not match the authenticated client",
            ));
        }
        let mut params = params;
        params
            .0
            .insert("client_id".to_owned(), client.id.as_str().to_owned());
        if let Err(rejection) = AuthRequest::validate(&params, client, true) {
            return Err(match rejection {
                Rejection::Page(PageError::BadRedirectUri) => {
                    OAuthError::invalid_request("redirect_uri is not registered for this client")
                }
                Rejection::Page(other) => OAuthError::invalid_request(format!("{other:?}")),
                Rejection::Redirect { error, .. } => error,
            });
        }
        let handle = jose::random_token(24)?;
        let lifetime = Duration::from_secs(60);
        let value = serde_json::to_vec(&params)
            .map_err(|e| OAuthError::internal("cannot encode a pushed request", &e))?;
        self.store
            .put(&Key::new("par", handle.clone()), &value, lifetime)
            .await?;
        Ok((
            format!("urn:ietf:params:oauth:request_uri:{handle}"),
            lifetime.as_secs(),
        ))
    }

    async fn take_pushed(
        &self,
        uri: &str,
        client_id: Option<&str>,
    ) -> Result<Option<Params>, OAuthError> {
        let Some(handle) = uri.strip_prefix("urn:ietf:params:oauth:request_uri:") else {
            return Ok(None);
        };
        let Some(bytes) = self.store.take(&Key::new("par", handle.to_owned())).await? else {
            return Ok(None);
        };
        let params: Params = serde_json::from_slice(&bytes)
            .map_err(|e| OAuthError::internal("pushed request unreadable", &e))?;
        // RFC 9126 section 4: the client_id in the front channel must match the pushed one.
        Ok((params.get("client_id") == client_id).then_some(params))
    }

    /// Redeems an authorization code (RFC 6749 4.1.3, RFC 7636 4.6). A code is taken once; a
    /// replayed code revokes every token issued from it (RFC 6749 4.1.2).
    pub async fn exchange_code(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<crate::tokens::TokenSet, OAuthError> {
        let code = params
            .get("code")
            .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
        let key = digest(code);
        let Some(bytes) = self.store.take(&Key::new("code", key.clone())).await? else {
            if let Some(bytes) = self.store.take(&Key::new("code_used", key)).await?
                && let Ok(redeemed) = serde_json::from_slice::<Redeemed>(&bytes)
            {
                tracing::warn!(client = %client.id, "authorization code replayed: revoking its tokens");
                self.audit
                    .note(
                        NewEvent::new(EventKind::TokensRevoked, Actor::System)
                            .client(&client.id)
                            .detail("reason", "code_replay"),
                    )
                    .await;
                if let Some(family) = &redeemed.family_id {
                    self.tokens.revoke_family(family).await?;
                }
                self.tokens
                    .revoke_access(&redeemed.access_jti, redeemed.access_exp)
                    .await?;
                return Err(OAuthError::invalid_grant(
                    "the code was already used; the tokens issued from it are revoked",
                ));
            }
            return Err(OAuthError::invalid_grant("unknown or expired code"));
        };
        let record: CodeRecord = serde_json::from_slice(&bytes)
            .map_err(|e| OAuthError::internal("stored code unreadable", &e))?;
        if record.expires_at <= self.clock.now().timestamp() {
            return Err(OAuthError::invalid_grant("the code has expired"));
        }
        if record.grant.client_id != client.id.as_str() {
            return Err(OAuthError::invalid_grant(
                "the code was issued to another client",
            ));
        }
        if params.get("redirect_uri") != Some(record.redirect_uri.as_str()) {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request",
            ));
        }
        let verifier = params
            .get("code_verifier")
            .ok_or_else(|| OAuthError::invalid_grant("code_verifier is missing (PKCE)"))?;
        let well_formed = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        let computed = jose::encode(&Sha256::digest(verifier.as_bytes()));
        if !well_formed || !bool::from(computed.as_bytes().ct_eq(record.code_challenge.as_bytes()))
        {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        if !self
            .citizen_may_log_in(CitizenId(record.grant.citizen_id))
            .await?
        {
            return Err(OAuthError::invalid_grant("the citizen may not log in"));
        }
        let tokens = self
            .tokens
            .issue(client, &record.grant, record.nonce.as_deref(), None)
            .await?;
        let redeemed = Redeemed {
            family_id: tokens.family_id.clone(),
            access_jti: tokens.access_jti.clone(),
            access_exp: self.clock.now().timestamp()
                + i64::try_from(tokens.expires_in).unwrap_or(0),
        };
        let value = serde_json::to_vec(&redeemed)
            .map_err(|e| OAuthError::internal("cannot encode a redemption", &e))?;
        // Kept a day (at least as long as the access token): a replay within it revokes the
        // refresh family and the access token issued from the code.
        let keep = self
            .settings
            .lifetimes
            .access_token
            .max(Duration::from_secs(86_400));
        self.store
            .put(&Key::new("code_used", digest(code)), &value, keep)
            .await?;
        Ok(tokens)
    }

    /// Exchanges a refresh token (RFC 6749 6) after checking that the citizen may still log
    /// in: a lock or a death revokes the whole family at once.
    pub async fn refresh(
        &self,
        client: &Client,
        token: &str,
    ) -> Result<crate::tokens::TokenSet, OAuthError> {
        let record = self.tokens.find_refresh(token).await?;
        if let Some(record) = &record
            && record.client_id == client.id.as_str()
            && !self
                .citizen_may_log_in(CitizenId(record.citizen_id))
                .await?
        {
            self.tokens.revoke_family(&record.family_id).await?;
            self.audit
                .note(
                    NewEvent::new(EventKind::TokensRevoked, Actor::System)
                        .citizen(CitizenId(record.citizen_id))
                        .client(&client.id)
                        .detail("reason", "citizen_may_not_log_in"),
                )
                .await;
            return Err(OAuthError::invalid_grant("the citizen may not log in"));
        }
        let reused = record
            .as_ref()
            .filter(|r| r.rotated_at.is_some() && r.client_id == client.id.as_str())
            .map(|r| r.citizen_id);
        let rotated = self.tokens.rotate(client, record).await;
        if let (Some(citizen), Err(_)) = (reused, &rotated) {
            self.audit
                .note(
                    NewEvent::new(EventKind::TokensRevoked, Actor::System)
                        .citizen(CitizenId(citizen))
                        .client(&client.id)
                        .detail("reason", "refresh_token_reuse"),
                )
                .await;
        }
        rotated
    }

    /// Ends the SSO session a cookie names and notifies every client that took part
    /// (OpenID Connect Back-Channel Logout 1.0). Returns the session, when there was one.
    pub async fn end_session(&self, cookie: &str) -> Result<Option<Session>, OAuthError> {
        let Some(session) = self.sessions.end(cookie).await? else {
            return Ok(None);
        };
        for client_id in &session.clients {
            self.notify_logout(client_id, session.citizen_id, Some(&session.sid))
                .await;
        }
        Ok(Some(session))
    }

    /// Ends every SSO session of a citizen (an administrator's decision, or a lock) and
    /// notifies each client that took part in one, with a logout token naming the citizen's
    /// `sub` and no `sid`: the client ends all of its sessions for that subject (Back-Channel
    /// Logout 1.0 section 2.4). The sessions have ended when this returns `Ok`; the notices
    /// are best-effort, each failure logged, none stopping the others.
    pub async fn end_citizen_sessions(&self, citizen_id: Uuid) -> Result<(), OAuthError> {
        let clients = self.sessions.end_all(citizen_id).await?;
        for client_id in &clients {
            self.notify_logout(client_id, citizen_id, None).await;
        }
        Ok(())
    }

    /// Sends a logout token to the client's back-channel logout URI, if it has one, without
    /// waiting for the answer. Best-effort: a failure is logged and ends nothing else.
    async fn notify_logout(&self, client_id: &str, citizen_id: Uuid, sid: Option<&str>) {
        let Ok(id) = ClientId::parse(client_id) else {
            return;
        };
        let client = match self.clients.find(&id).await {
            Ok(Some(client)) => client,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(client = %id, %error, "back-channel logout not sent: client unreadable");
                return;
            }
        };
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            return;
        };
        let token = match self.logout_token(&client, citizen_id, sid) {
            Ok(token) => token,
            Err(error) => {
                tracing::warn!(client = %id, ?error, "back-channel logout not sent: no token");
                return;
            }
        };
        let http = self.http.clone();
        tokio::spawn(async move {
            let result = http
                .post(&uri)
                .form(&[("logout_token", token.as_str())])
                .send()
                .await;
            match result {
                Ok(response) if response.status().is_success() => {
                    tracing::info!(client = %id, "back-channel logout delivered");
                }
                Ok(response) => {
                    tracing::warn!(client = %id, status = %response.status(), "back-channel logout refused");
                }
                Err(_) => tracing::warn!(client = %id, "back-channel logout not delivered"),
            }
        });
    }

    /// A logout token (Back-Channel Logout 1.0 section 2.4) for `client` about a citizen:
    /// one session's (`sid`) or all of them (`sub` only).
    pub fn logout_token(
        &self,
        client: &Client,
        citizen_id: Uuid,
        sid: Option<&str>,
    ) -> Result<String, OAuthError> {
        let now = self.clock.now().timestamp();
        let mut claims = serde_json::json!({
            "iss": self.settings.issuer,
            "sub": self.tokens.subject(client, citizen_id),
            "aud": client.id.as_str(),
            "iat": now,
            "exp": now + 120,
            "jti": jose::random_token(16)?,
            "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
        });
        if let Some(sid) = sid {
            claims["sid"] = serde_json::Value::String(self.tokens.client_sid(client, sid));
        }
        let algorithm = client
            .id_token_signing_alg
            .unwrap_or(jose::Algorithm::Es256);
        let key = self
            .tokens
            .keys()
            .signer(algorithm)
            .map_err(|e| OAuthError::internal("no signing key", &e))?;
        Ok(key.sign("logout+jwt", &claims)?)
    }
}

fn authenticated(session: &Session) -> Authenticated {
    Authenticated {
        citizen_id: session.citizen_id,
        auth_time: session.auth_time,
        acr: session.acr.clone(),
        amr: session.amr.clone(),
        sid: session.sid.clone(),
    }
}
