//! The citizen's account at `/account`: the ways they can log in, with add, rename and
//! remove (see [`crate::provider::ACCOUNT_PATH`] for how the account logs in).
//!
//! Every form carries a CSRF token derived from the session cookie (SHA-256 of a fixed label
//! and the cookie's random value): it changes with the session, no other site can compute it,
//! and it is compared in constant time. Every change is an audit event (`method.changed`).

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::respond::{
    BROWSER_COOKIE, LANG_COOKIE, SESSION_COOKIE, cookie, page, params, see_other, set_cookie,
};
use crate::authenticators::AuthenticatorError;
use crate::authorize::Params;
use crate::jose;
use crate::pages::{
    self, APP_NAME_ID, AccountMessage, AccountPage, ErrorKind, Locale, MethodRow, PASSKEY_NAME_ID,
};
use crate::passkeys::MAX_PASSKEYS;
use crate::passkeys::PasskeyError;
use crate::provider::{AccountView, Confirm, Freshness, LoginFailure, Provider};
use crate::sessions::Session;
use crate::tokens::digest;

fn csrf_of(session_cookie: &str) -> String {
    digest(&format!("dan-account-csrf\0{session_cookie}"))
}

fn locale_of(request: &Request) -> Locale {
    cookie(request, LANG_COOKIE, true)
        .or_else(|| cookie(request, LANG_COOKIE, false))
        .and_then(Locale::parse)
        .unwrap_or_default()
}

fn failure(locale: Locale, failure: &LoginFailure) -> Response {
    let kind = match failure {
        LoginFailure::Expired => ErrorKind::RequestExpired,
        LoginFailure::Forged => ErrorKind::CsrfFailed,
        LoginFailure::TooManyAttempts => ErrorKind::TooManyAttempts,
        LoginFailure::RateLimited { retry_after } => ErrorKind::RateLimited {
            retry_after_secs: *retry_after,
        },
        LoginFailure::Unavailable => ErrorKind::Internal,
    };
    page(pages::error_kind(locale, None, &kind, None))
}

/// The account's session, or the login that leads to it.
enum Visitor {
    /// Logged in: the session and its cookie.
    In(Box<Session>, String),
    /// Not logged in: the answer that starts the login.
    Out(Response),
}

/// Starts an account login in this browser (a new browser cookie when it has none): an
/// ordinary one, or the fresh one a change needs (`confirm`).
async fn to_login(provider: &Provider, request: &Request, confirm: Confirm) -> Response {
    let locale = locale_of(request);
    let secure = provider.settings.secure_cookies;
    let existing = cookie(request, BROWSER_COOKIE, secure).map(str::to_owned);
    let browser = match existing.clone().map_or_else(|| jose::random_token(32), Ok) {
        Ok(value) => value,
        Err(_) => return failure(locale, &LoginFailure::Unavailable),
    };
    let tx = match provider
        .start_account_login(&browser, locale.as_str(), confirm)
        .await
    {
        Ok(tx) => tx,
        Err(error) => return failure(locale, &error),
    };
    let mut response = see_other(&format!("/login/{}", tx.id));
    if existing.is_none() {
        set_cookie(&mut response, BROWSER_COOKIE, &browser, secure, None);
    }
    response
}

async fn visitor(provider: &Provider, request: &Request) -> Result<Visitor, LoginFailure> {
    let Some(session_cookie) =
        cookie(request, SESSION_COOKIE, provider.settings.secure_cookies).map(str::to_owned)
    else {
        return Ok(Visitor::Out(to_login(provider, request, Confirm::No).await));
    };
    match provider.account_session(&session_cookie).await? {
        Some(session) => Ok(Visitor::In(Box::new(session), session_cookie)),
        None => Ok(Visitor::Out(to_login(provider, request, Confirm::No).await)),
    }
}

/// A posted account form: the session, its cookie and the form, the CSRF token checked; or
/// the answer to send instead (the login, when there is no session; the error page).
async fn posted(
    provider: &Provider,
    request: &Request,
    body: Body,
) -> Result<(Box<Session>, String, Params), Response> {
    let locale = locale_of(request);
    let Ok(form) = params(request, body).await else {
        return Err(failure(locale, &LoginFailure::Forged));
    };
    let (session, session_cookie) = match visitor(provider, request).await {
        Ok(Visitor::In(session, session_cookie)) => (session, session_cookie),
        Ok(Visitor::Out(response)) => return Err(response),
        Err(error) => return Err(failure(locale, &error)),
    };
    let expected = csrf_of(&session_cookie);
    let sent = form.get("csrf").unwrap_or_default();
    if !bool::from(expected.as_bytes().ct_eq(sent.as_bytes())) {
        return Err(failure(locale, &LoginFailure::Forged));
    }
    Ok((session, session_cookie, form))
}

/// The "add a passkey" section, owning its options.
enum AddPasskey {
    Create(String),
    ConfirmFirst,
    Full,
    Unavailable,
}

/// The key of the account session's passkey registration ceremony.
fn ceremony(session: &Session) -> String {
    format!("account:{}", session.sid)
}

/// What adding a passkey needs: a fresh passkey login when the citizen has one, else a fresh
/// login ([`Freshness`]).
fn needed_to_add_passkey(view: &AccountView) -> Freshness {
    if view.passkeys.is_empty() {
        Freshness::Recent
    } else {
        Freshness::Passkey
    }
}

/// The login a change needing `needed` asks for.
fn confirm_for(needed: Freshness, session: &Session) -> Confirm {
    match needed {
        Freshness::Passkey => Confirm::Passkey(session.citizen_id),
        _ => Confirm::Again,
    }
}

fn date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// The account page with `notice` or a refused input (`error`: field, message, typed).
async fn show(
    provider: &Provider,
    locale: Locale,
    session: &Session,
    session_cookie: &str,
    notice: Option<AccountMessage>,
    error: Option<(&str, AccountMessage, &str)>,
) -> Response {
    let view = match provider.account_view(session).await {
        Ok(view) => view,
        Err(error) => return failure(locale, &error),
    };
    let offer = match &provider.passkeys {
        None => AddPasskey::Unavailable,
        Some(_) if view.passkeys.len() >= MAX_PASSKEYS => AddPasskey::Full,
        Some(_) if provider.freshness(session) < needed_to_add_passkey(&view) => {
            AddPasskey::ConfirmFirst
        }
        Some(passkeys) => {
            let name = format!(
                "{} {}",
                view.citizen.record.given_name, view.citizen.record.family_name
            );
            match passkeys
                .start_registration(&ceremony(session), session.citizen_id, &name, &name)
                .await
            {
                Ok(options) => AddPasskey::Create(options.to_string()),
                Err(error) => {
                    tracing::warn!(%error, "passkey registration could not start");
                    return failure(locale, &LoginFailure::Unavailable);
                }
            }
        }
    };
    let devices: Vec<MethodRow> = view
        .devices
        .iter()
        .map(|d| MethodRow {
            id: d.id.to_string(),
            name: format!("{} ({})", d.name, d.platform),
            added: date(d.created_at),
            last_used: d.last_used_at.map(date),
            level: Some(pages::level_words(locale, d.level.as_str())),
        })
        .collect();
    let passkeys: Vec<MethodRow> = view
        .passkeys
        .iter()
        .map(|p| MethodRow {
            id: p.id.to_string(),
            name: p.name.clone(),
            added: date(p.created_at),
            last_used: p.last_used_at.map(date),
            level: None,
        })
        .collect();
    let apps: Vec<MethodRow> = view
        .apps
        .iter()
        .map(|a| MethodRow {
            id: a.id.clone(),
            name: a.name.clone(),
            added: date(a.created_at),
            last_used: a.last_used_at.map(date),
            level: None,
        })
        .collect();
    let phone = view
        .citizen
        .record
        .phone_numbers
        .first()
        .map(|p| crate::otp::mask_phone(p.as_str()));
    let name = format!(
        "{} {}",
        view.citizen.record.given_name, view.citizen.record.family_name
    );
    let csrf = csrf_of(session_cookie);
    page(pages::account(&AccountPage {
        locale,
        csrf: &csrf,
        name: &name,
        phone: phone.as_deref(),
        devices: &devices,
        passkeys: &passkeys,
        apps: &apps,
        add_passkey: match &offer {
            AddPasskey::Create(options) => pages::AddPasskey::Create(options),
            AddPasskey::ConfirmFirst => pages::AddPasskey::ConfirmFirst,
            AddPasskey::Full => pages::AddPasskey::Full,
            AddPasskey::Unavailable => pages::AddPasskey::Unavailable,
        },
        notice: notice.map(|m| m.text(locale)),
        error: error.map(|(field, message, _)| (field, message.text(locale))),
        typed: error.map(|(_, _, typed)| typed).unwrap_or_default(),
    }))
}

/// The account page again, 422, with a refused input (`field`, the message, what was typed
/// kept in its field).
async fn show_refused(
    provider: &Provider,
    locale: Locale,
    session: &Session,
    session_cookie: &str,
    error: (&str, AccountMessage, &str),
) -> Response {
    let mut response = show(provider, locale, session, session_cookie, None, Some(error)).await;
    response.set_status(StatusCode::UNPROCESSABLE_ENTITY);
    response
}

#[derive(Deserialize, Default)]
struct AccountQuery {
    lang: Option<String>,
    done: Option<String>,
}

/// `GET /account`: the page, or the login to it.
#[handler]
pub async fn account_page(request: &Request, Data(provider): Data<&Arc<Provider>>) -> Response {
    let query = request.params::<AccountQuery>().unwrap_or_default();
    let switched = query.lang.as_deref().and_then(Locale::parse);
    let locale = switched.unwrap_or_else(|| locale_of(request));
    let mut response = match visitor(provider, request).await {
        Ok(Visitor::In(session, session_cookie)) => {
            let notice = query.done.as_deref().and_then(AccountMessage::parse_done);
            show(provider, locale, &session, &session_cookie, notice, None).await
        }
        Ok(Visitor::Out(response)) => response,
        Err(error) => failure(locale, &error),
    };
    if let Some(locale) = switched {
        set_cookie(
            &mut response,
            LANG_COOKIE,
            locale.as_str(),
            provider.settings.secure_cookies,
            None,
        );
    }
    response
}

fn done(message: AccountMessage) -> Response {
    see_other(&format!("/account?done={}", message.code()))
}

/// `POST /account/passkeys`: the new passkey (`name`, `credential`).
#[handler]
pub async fn add_passkey(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let locale = locale_of(request);
    let (session, session_cookie, form) = match posted(provider, request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let Some(passkeys) = &provider.passkeys else {
        return failure(locale, &LoginFailure::Expired);
    };
    let citizen = session.citizen_id;
    let view = match provider.account_view(&session).await {
        Ok(view) => view,
        Err(error) => return failure(locale, &error),
    };
    let needed = needed_to_add_passkey(&view);
    if provider.freshness(&session) < needed {
        provider
            .note_method_change(citizen, "add", "passkey", "confirm_first")
            .await;
        return to_login(provider, request, confirm_for(needed, &session)).await;
    }
    // A blank name gets a default rather than a refusal: the authenticator has already made
    // the credential, which a refusal would leave behind on the device.
    let typed = form.get("name").unwrap_or_default();
    let name = if typed.trim().is_empty() {
        AccountMessage::default_passkey_name(locale)
    } else {
        typed
    };
    let result = passkeys
        .finish_registration(
            &ceremony(&session),
            citizen,
            form.get("credential").unwrap_or_default(),
            name,
        )
        .await;
    let refused = match result {
        Ok(_) => {
            provider
                .note_method_change(citizen, "add", "passkey", "added")
                .await;
            provider.notify_method_added(citizen).await;
            return done(AccountMessage::PasskeyAdded);
        }
        Err(PasskeyError::InvalidName) => AccountMessage::BadName,
        Err(PasskeyError::TooMany) => AccountMessage::TooManyPasskeys,
        Err(PasskeyError::Refused(refusal)) => {
            provider
                .note_method_change(citizen, "add", "passkey", refusal.as_str())
                .await;
            AccountMessage::PasskeyRefused
        }
        Err(error) => {
            tracing::warn!(%error, "passkey registration failed");
            return failure(locale, &LoginFailure::Unavailable);
        }
    };
    show_refused(
        provider,
        locale,
        &session,
        &session_cookie,
        (PASSKEY_NAME_ID, refused, typed),
    )
    .await
}

/// `POST /account/digital-id`: a one-time code for the citizen's own Digital ID app (level
/// substantial), after a passkey login within [`crate::provider::FRESH_SECONDS`]; a citizen
/// without a passkey is told to add one first (or to visit a service centre for `high`).
#[handler]
pub async fn device_code(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let locale = locale_of(request);
    let (session, session_cookie, _) = match posted(provider, request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let citizen = session.citizen_id;
    if provider.freshness(&session) < Freshness::Passkey {
        let view = match provider.account_view(&session).await {
            Ok(view) => view,
            Err(error) => return failure(locale, &error),
        };
        if view.passkeys.is_empty() {
            let mut response = show(
                provider,
                locale,
                &session,
                &session_cookie,
                Some(AccountMessage::PasskeyFirst),
                None,
            )
            .await;
            response.set_status(StatusCode::UNPROCESSABLE_ENTITY);
            return response;
        }
        provider
            .note_method_change(citizen, "enroll", "digital_id", "confirm_first")
            .await;
        return to_login(provider, request, Confirm::Passkey(citizen)).await;
    }
    match provider.digital_id.issue_self_code(citizen).await {
        Ok(code) => {
            provider
                .note_method_change(citizen, "enroll", "digital_id", "code_issued")
                .await;
            page(pages::device_code(
                locale,
                &code.code,
                &code.expires_at.format("%Y-%m-%d %H:%M").to_string(),
            ))
        }
        Err(error) => {
            tracing::warn!(%error, "a self-enrollment code could not be issued");
            failure(locale, &LoginFailure::Unavailable)
        }
    }
}

/// `POST /account/confirm`: the fresh login adding a passkey needs (with a passkey when the
/// citizen has one).
#[handler]
pub async fn confirm_first(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let locale = locale_of(request);
    let (session, _, _) = match posted(provider, request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let view = match provider.account_view(&session).await {
        Ok(view) => view,
        Err(error) => return failure(locale, &error),
    };
    let needed = needed_to_add_passkey(&view);
    to_login(provider, request, confirm_for(needed, &session)).await
}

fn enrollment_page(
    locale: Locale,
    csrf: &str,
    enrollment: &crate::authenticators::Enrollment,
    account: &str,
    error: Option<AccountMessage>,
) -> Response {
    let uri = enrollment.secret.otpauth_uri("DAN", account);
    let qr = crate::totp::qr_data_url(&uri, "QR");
    let mut response = page(pages::app_enrollment(
        locale,
        csrf,
        &enrollment.id,
        &enrollment.secret.display(),
        qr.as_deref(),
        error.map(|m| m.text(locale)),
    ));
    if error.is_some() {
        response.set_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    response
}

/// The name an authenticator app lists the account under: the citizen's given name, never
/// the registry number.
async fn app_account_name(provider: &Provider, session: &Session) -> String {
    provider
        .account_view(session)
        .await
        .map(|view| view.citizen.record.given_name)
        .unwrap_or_else(|_| "DAN".to_owned())
}

/// `POST /account/apps`: starts adding an authenticator app (`name`): the QR code page.
#[handler]
pub async fn start_app(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let locale = locale_of(request);
    let (session, session_cookie, form) = match posted(provider, request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    if provider.freshness(&session) < Freshness::Recent {
        provider
            .note_method_change(session.citizen_id, "enroll", "totp", "confirm_first")
            .await;
        return to_login(provider, request, Confirm::Again).await;
    }
    let name = form.get("name").unwrap_or_default();
    let refused = match provider
        .authenticators
        .start_app(session.citizen_id, name)
        .await
    {
        Ok(enrollment) => {
            provider
                .note_method_change(session.citizen_id, "enroll", "totp", "started")
                .await;
            let account = app_account_name(provider, &session).await;
            return enrollment_page(
                locale,
                &csrf_of(&session_cookie),
                &enrollment,
                &account,
                None,
            );
        }
        Err(AuthenticatorError::InvalidName) => AccountMessage::BadName,
        Err(AuthenticatorError::TooMany) => AccountMessage::TooManyApps,
        Err(error) => {
            tracing::warn!(%error, "authenticator enrollment failed");
            return failure(locale, &LoginFailure::Unavailable);
        }
    };
    show_refused(
        provider,
        locale,
        &session,
        &session_cookie,
        (APP_NAME_ID, refused, name),
    )
    .await
}

/// `POST /account/apps/confirm`: the app's first code (`id`, `code`) confirms it.
#[handler]
pub async fn confirm_app(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let locale = locale_of(request);
    let (session, session_cookie, form) = match posted(provider, request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let id = form.get("id").unwrap_or_default();
    let citizen = session.citizen_id;
    match provider
        .authenticators
        .confirm_totp(citizen, id, form.get("code").unwrap_or_default())
        .await
    {
        Ok(()) => {
            provider
                .note_method_change(citizen, "enroll", "totp", "confirmed")
                .await;
            provider.notify_method_added(citizen).await;
            done(AccountMessage::AppAdded)
        }
        Err(AuthenticatorError::Refused(refusal)) => {
            provider
                .note_method_change(citizen, "enroll", "totp", &refusal.to_string())
                .await;
            match provider.authenticators.enrollment(citizen, id).await {
                Ok(enrollment) => {
                    let account = app_account_name(provider, &session).await;
                    enrollment_page(
                        locale,
                        &csrf_of(&session_cookie),
                        &enrollment,
                        &account,
                        Some(AccountMessage::WrongCode),
                    )
                }
                Err(_) => expired_enrollment(provider, locale, &session, &session_cookie).await,
            }
        }
        Err(AuthenticatorError::NotFound) => {
            expired_enrollment(provider, locale, &session, &session_cookie).await
        }
        Err(error) => {
            tracing::warn!(%error, "authenticator confirmation failed");
            failure(locale, &LoginFailure::Unavailable)
        }
    }
}

async fn expired_enrollment(
    provider: &Provider,
    locale: Locale,
    session: &Session,
    session_cookie: &str,
) -> Response {
    show_refused(
        provider,
        locale,
        session,
        session_cookie,
        (APP_NAME_ID, AccountMessage::EnrollmentExpired, ""),
    )
    .await
}

/// `POST /account/methods/{kind}/{id}/rename` (`name`).
#[handler]
pub async fn rename_method(
    request: &Request,
    body: Body,
    Path((kind, id)): Path<(String, String)>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let locale = locale_of(request);
    let (session, session_cookie, form) = match posted(provider, request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let name = form.get("name").unwrap_or_default();
    let citizen = session.citizen_id;
    let outcome = match (kind.as_str(), &provider.passkeys) {
        ("passkey", Some(passkeys)) => match Uuid::parse_str(&id) {
            Ok(id) => match passkeys.rename(citizen, id, name).await {
                Ok(()) => Ok(()),
                Err(PasskeyError::InvalidName) => Err(AccountMessage::BadName),
                Err(PasskeyError::NotFound) => Err(AccountMessage::NotFound),
                Err(error) => {
                    tracing::warn!(%error, "passkey rename failed");
                    return failure(locale, &LoginFailure::Unavailable);
                }
            },
            Err(_) => Err(AccountMessage::NotFound),
        },
        ("app", _) => match provider.authenticators.rename(citizen, &id, name).await {
            Ok(()) => Ok(()),
            Err(AuthenticatorError::InvalidName) => Err(AccountMessage::BadName),
            Err(AuthenticatorError::NotFound) => Err(AccountMessage::NotFound),
            Err(error) => {
                tracing::warn!(%error, "authenticator rename failed");
                return failure(locale, &LoginFailure::Unavailable);
            }
        },
        _ => Err(AccountMessage::NotFound),
    };
    match outcome {
        Ok(()) => {
            provider
                .note_method_change(citizen, "rename", method_kind(&kind), "renamed")
                .await;
            done(AccountMessage::Renamed)
        }
        Err(message) => {
            let field = format!("rename-{kind}-{id}");
            show_refused(
                provider,
                locale,
                &session,
                &session_cookie,
                (&field, message, name),
            )
            .await
        }
    }
}

fn method_kind(kind: &str) -> &'static str {
    match kind {
        "passkey" => "passkey",
        "device" => "digital_id",
        _ => "totp",
    }
}

/// `POST /account/methods/{kind}/{id}/remove`. A passkey goes only after a fresh passkey
/// login ([`Freshness`]): otherwise the citizen is sent to confirm with one first, and
/// removes it when back.
#[handler]
pub async fn remove_method(
    request: &Request,
    body: Body,
    Path((kind, id)): Path<(String, String)>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let locale = locale_of(request);
    let (session, session_cookie, _) = match posted(provider, request, body).await {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let citizen = session.citizen_id;
    let removed = match (kind.as_str(), &provider.passkeys) {
        ("passkey", Some(passkeys)) => {
            let Ok(id) = Uuid::parse_str(&id) else {
                return not_found(provider, locale, &session, &session_cookie).await;
            };
            match passkeys.list(citizen).await {
                Ok(list) if list.iter().any(|p| p.id == id) => {}
                Ok(_) => return not_found(provider, locale, &session, &session_cookie).await,
                Err(error) => {
                    tracing::warn!(%error, "passkeys unavailable");
                    return failure(locale, &LoginFailure::Unavailable);
                }
            }
            if provider.freshness(&session) < Freshness::Passkey {
                provider
                    .note_method_change(citizen, "remove", "passkey", "confirm_first")
                    .await;
                return to_login(provider, request, Confirm::Passkey(citizen)).await;
            }
            passkeys
                .remove(citizen, id)
                .await
                .map_err(|e| !matches!(e, PasskeyError::NotFound))
        }
        ("app", _) => provider
            .authenticators
            .remove(citizen, &id)
            .await
            .map_err(|e| !matches!(e, AuthenticatorError::NotFound)),
        ("device", _) => match Uuid::parse_str(&id) {
            Ok(device) => provider
                .digital_id
                .revoke(citizen, device)
                .await
                .map_err(|e| !matches!(e, crate::digital_id::DigitalIdError::NotFound)),
            Err(_) => Err(false),
        },
        _ => Err(false),
    };
    match removed {
        Ok(()) => {
            provider
                .note_method_change(citizen, "remove", method_kind(&kind), "removed")
                .await;
            done(AccountMessage::Removed)
        }
        Err(false) => not_found(provider, locale, &session, &session_cookie).await,
        Err(true) => failure(locale, &LoginFailure::Unavailable),
    }
}

async fn not_found(
    provider: &Provider,
    locale: Locale,
    session: &Session,
    session_cookie: &str,
) -> Response {
    let mut response = show(
        provider,
        locale,
        session,
        session_cookie,
        Some(AccountMessage::NotFound),
        None,
    )
    .await;
    response.set_status(StatusCode::NOT_FOUND);
    response
}
