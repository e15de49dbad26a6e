//! The person-facing endpoints: `/authorize`, the login pages under `/login/{id}`, and
//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

use std::sync::Arc;

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::respond::{
    BROWSER_COOKIE, LANG_COOKIE, SESSION_COOKIE, authorization_response, client_ip, cookie, page,
    params, see_other, set_cookie,
};
use crate::authorize::{PageError, Params};
use crate::clients::{Client, ClientId};
use crate::ephemeral::Key;
use crate::jose::{self, Compact};
use crate::login::{Choice, LoginTx, Stage};
use crate::pages::{self, ErrorKind, Frame, Locale, MethodOption, ScopeItem};
use crate::provider::{LoginFailure, Message, PageStep, Provider, Step};
use crate::tokens::{IdClaims, digest};

fn locale_of(tx: &LoginTx) -> Locale {
    Locale::parse(&tx.locale).unwrap_or_default()
}

/// The language the citizen chose with the switch: a cookie of its own, so that switching
/// never rewrites a login in progress.
fn chosen_locale(request: &Request) -> Option<Locale> {
    cookie(request, LANG_COOKIE, true)
        .or_else(|| cookie(request, LANG_COOKIE, false))
        .and_then(Locale::parse)
}

/// The transaction with the citizen's chosen language, if any.
fn in_chosen_locale(request: &Request, mut tx: Box<LoginTx>) -> Box<LoginTx> {
    if let Some(locale) = chosen_locale(request) {
        tx.locale = locale.as_str().to_owned();
    }
    tx
}

fn service_name(client: &Client, locale: Locale) -> &str {
    match locale {
        Locale::Mn => &client.name_mn,
        Locale::En => &client.name_en,
    }
}

fn error_page(locale: Locale, client: Option<&Client>, kind: &ErrorKind) -> Response {
    let name = client.map(|c| service_name(c, locale));
    let mut response = page(pages::error_kind(locale, name, kind, None));
    if let ErrorKind::RateLimited { retry_after_secs } = kind
        && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn refused_page(error: &PageError, client: Option<&Client>, locale: Locale) -> Response {
    let kind = match error {
        PageError::UnknownClient => ErrorKind::UnknownClient,
        PageError::BadRedirectUri => ErrorKind::BadRedirectUri,
        PageError::DisabledClient => ErrorKind::BadRequest(match locale {
            Locale::Mn => {
                "Энэ цахим үйлчилгээ одоогоор ДАН-аар нэвтрэх боломжгүй байна.".to_owned()
            }
            Locale::En => {
                "This e-service cannot log citizens in through DAN at the moment.".to_owned()
            }
        }),
        PageError::BadRequest(detail) => ErrorKind::BadRequest(detail.clone()),
    };
    error_page(locale, client, &kind)
}

/// `GET` and `POST /authorize`.
#[handler]
pub async fn authorize(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let query_locale = Locale::negotiate(
        Params::parse(request.uri().query().unwrap_or_default().as_bytes())
            .ok()
            .and_then(|p| p.get("ui_locales").map(str::to_owned))
            .as_deref(),
    );
    let params = match params(request, body).await {
        Ok(params) => params,
        Err(error) => {
            return refused_page(
                &PageError::BadRequest(error.description),
                None,
                query_locale,
            );
        }
    };
    let locale = Locale::negotiate(params.get("ui_locales"));
    // Every request stores a login for a while: one address may not make too many.
    let ip = client_ip(request, &provider.settings.trusted_proxies);
    match provider
        .otp
        .limit("authorize_ip", &ip, provider.settings.authorize_rate_per_ip)
        .await
    {
        Ok(None) => {}
        Ok(Some(retry_after_secs)) => {
            return error_page(locale, None, &ErrorKind::RateLimited { retry_after_secs });
        }
        Err(error) => {
            tracing::warn!(%error, "rate limit unavailable");
            return error_page(locale, None, &ErrorKind::Internal);
        }
    }
    let existing =
        cookie(request, BROWSER_COOKIE, provider.settings.secure_cookies).map(str::to_owned);
    let browser = match &existing {
        Some(value) => value.clone(),
        None => match jose::random_token(32) {
            Ok(value) => value,
            Err(_) => return error_page(locale, None, &ErrorKind::Internal),
        },
    };
    let step = provider
        .authorize(
            params,
            &browser,
            cookie(request, SESSION_COOKIE, provider.settings.secure_cookies),
        )
        .await;
    let mut response = match step {
        Ok(Step::Refused { error, client }) => refused_page(&error, client.as_deref(), locale),
        Ok(Step::Respond(response)) => authorization_response(&response),
        Ok(Step::Login { tx, .. }) => see_other(&format!("/login/{}", tx.id)),
        Err(error) => {
            tracing::warn!(%error, "authorization request failed");
            error_page(locale, None, &ErrorKind::Internal)
        }
    };
    if existing.is_none() {
        set_cookie(
            &mut response,
            BROWSER_COOKIE,
            &browser,
            provider.settings.secure_cookies,
            None,
        );
    }
    response
}

fn message_text(message: &Message, locale: Locale) -> String {
    match (message, locale) {
        (Message::BadNumber(mn, _), Locale::Mn) => mn.clone(),
        (Message::BadNumber(_, en), Locale::En) => en.clone(),
        (Message::WrongCode { remaining }, Locale::Mn) => {
            format!("Код буруу байна. Үлдсэн оролдлого: {remaining}.")
        }
        (Message::WrongCode { remaining }, Locale::En) => {
            format!("The code is wrong. {remaining} tries left.")
        }
        (Message::CodeExpired, Locale::Mn) => {
            "Кодын хугацаа дууссан эсвэл ашиглагдсан байна. Шинэ код авна уу.".to_owned()
        }
        (Message::CodeExpired, Locale::En) => {
            "The code has expired or was already used. Ask for a new code.".to_owned()
        }
        (Message::CodeUsed { remaining }, Locale::Mn) => {
            format!(
                "Энэ кодыг аль хэдийн ашигласан байна. Апп дээрх дараагийн кодыг хүлээнэ үү. Үлдсэн оролдлого: {remaining}."
            )
        }
        (Message::CodeUsed { remaining }, Locale::En) => {
            format!(
                "This code was used already. Wait for the next code in your app. {remaining} tries left."
            )
        }
        (Message::PasskeyRefused, locale) => pages::passkey_failed_text(locale).to_owned(),
        (Message::CodeResent, Locale::Mn) => "Шинэ код илгээлээ.".to_owned(),
        (Message::CodeResent, Locale::En) => "A new code was sent.".to_owned(),
        (Message::ResendTooSoon { retry_after }, Locale::Mn) => {
            format!("Шинэ код авахын өмнө {retry_after} секунд хүлээнэ үү.")
        }
        (Message::ResendTooSoon { retry_after }, Locale::En) => {
            format!("Wait {retry_after} seconds before asking for a new code.")
        }
    }
}

fn scope_items(scopes: &[String]) -> Vec<ScopeItem> {
    scopes
        .iter()
        .filter_map(|scope| match scope.as_str() {
            "profile" => Some(ScopeItem::Profile),
            "phone" => Some(ScopeItem::Phone),
            "address" => Some(ScopeItem::Address),
            "email" => Some(ScopeItem::Email),
            "national_id" => Some(ScopeItem::NationalId),
            _ => None,
        })
        .collect()
}

fn method_options(offered: &[Choice]) -> Vec<MethodOption> {
    offered
        .iter()
        .map(|choice| match choice {
            Choice::Passkey => MethodOption::Passkey,
            Choice::App => MethodOption::App,
            Choice::Sms => MethodOption::Sms,
        })
        .collect()
}

/// The page of a transaction's current stage. A page with a passkey form starts its WebAuthn
/// ceremony (the challenge is stored, bound to the login); a store failure shows the error page.
async fn render(
    provider: &Provider,
    tx: &LoginTx,
    client: &Client,
    message: Option<&Message>,
    typed: Option<&str>,
) -> Response {
    let locale = locale_of(tx);
    let base = format!("/login/{}", tx.id);
    let (switch_mn, switch_en) = (format!("{base}?lang=mn"), format!("{base}?lang=en"));
    let frame = Frame {
        locale,
        service_name: service_name(client, locale),
        switch_mn: &switch_mn,
        switch_en: &switch_en,
    };
    let text = message.map(|m| message_text(m, locale));
    let passkey_action = format!("{base}/passkey");
    let method_action = format!("{base}/method");
    let offered = match &tx.stage {
        Stage::Choose { .. } | Stage::App { .. } | Stage::Passkey { .. } => {
            match provider.offer_of(tx).await {
                Ok(offered) => offered,
                Err(failure) => return failure_page(&failure, locale, Some(client)),
            }
        }
        _ => Vec::new(),
    };
    let options = match &tx.stage {
        Stage::Number | Stage::Passkey { .. } => match provider.passkey_options(tx).await {
            Ok(options) => options,
            Err(failure) => return failure_page(&failure, locale, Some(client)),
        },
        _ => None,
    };
    let rendered = match &tx.stage {
        Stage::Number => {
            let value = typed.or(tx.request.login_hint.as_deref());
            pages::registry_number(
                &frame,
                &format!("{base}/number"),
                &tx.csrf,
                value,
                text.as_deref(),
                options.as_deref().map(|o| (passkey_action.as_str(), o)),
            )
        }
        Stage::CodeSent { masked_phone, .. } => {
            let (error, notice) = match message {
                Some(Message::CodeResent | Message::ResendTooSoon { .. }) => {
                    (None, text.as_deref())
                }
                _ => (text.as_deref(), None),
            };
            pages::code(
                &frame,
                &format!("{base}/code"),
                &format!("{base}/resend"),
                &tx.csrf,
                masked_phone,
                error,
                notice,
            )
        }
        Stage::Choose { .. } => {
            pages::choose(&frame, &method_action, &tx.csrf, &method_options(&offered))
        }
        Stage::App { .. } => {
            let others: Vec<Choice> = offered.into_iter().filter(|c| *c != Choice::App).collect();
            pages::app_code(
                &frame,
                &format!("{base}/app"),
                &method_action,
                &tx.csrf,
                &method_options(&others),
                text.as_deref(),
            )
        }
        Stage::Passkey {
            registry_number, ..
        } => {
            // A step-up has no registry number: the other ways need one.
            let others: Vec<Choice> = offered
                .into_iter()
                .filter(|c| *c != Choice::Passkey && registry_number.is_some())
                .collect();
            let continue_action = format!("{base}/continue");
            pages::passkey(
                &frame,
                &pages::PasskeyPrompt {
                    action: &passkey_action,
                    method_action: &method_action,
                    csrf: &tx.csrf,
                    options: options.as_deref(),
                    others: &method_options(&others),
                    // A voluntary step-up may go on at the session's own level.
                    continue_action: (registry_number.is_none() && !tx.request.acr_essential)
                        .then_some(continue_action.as_str()),
                    error: text.as_deref(),
                },
            )
        }
        Stage::Unmet => pages::unmet(&frame, &format!("{base}/unmet"), &tx.csrf, "/account"),
        Stage::Consent(_) => pages::consent(
            &frame,
            &format!("{base}/consent"),
            &tx.csrf,
            &scope_items(&tx.request.scopes),
            true,
        ),
    };
    page(rendered.allow_form_redirect_to(&tx.request.redirect_uri))
}

fn failure_page(failure: &LoginFailure, locale: Locale, client: Option<&Client>) -> Response {
    let kind = match failure {
        LoginFailure::Expired => ErrorKind::RequestExpired,
        LoginFailure::Forged => ErrorKind::CsrfFailed,
        LoginFailure::TooManyAttempts => ErrorKind::TooManyAttempts,
        LoginFailure::RateLimited { retry_after } => ErrorKind::RateLimited {
            retry_after_secs: *retry_after,
        },
        LoginFailure::Unavailable => ErrorKind::Internal,
    };
    error_page(locale, client, &kind)
}

async fn page_step(
    provider: &Provider,
    request: &Request,
    step: Result<PageStep, LoginFailure>,
) -> Response {
    let secure = provider.settings.secure_cookies;
    let locale = chosen_locale(request).unwrap_or_default();
    match step {
        Ok(PageStep::Show {
            tx,
            client,
            message,
        }) => {
            let tx = in_chosen_locale(request, tx);
            let mut response = render(provider, &tx, &client, message.as_ref(), None).await;
            if matches!(
                message,
                Some(
                    Message::BadNumber(..)
                        | Message::WrongCode { .. }
                        | Message::CodeUsed { .. }
                        | Message::CodeExpired
                        | Message::PasskeyRefused
                )
            ) {
                response.set_status(StatusCode::UNPROCESSABLE_ENTITY);
            }
            response
        }
        Ok(PageStep::Consent {
            tx,
            client: _,
            session_cookie,
        }) => {
            let mut response = see_other(&format!("/login/{}", tx.id));
            if let Some(value) = session_cookie {
                set_cookie(&mut response, SESSION_COOKIE, &value, secure, None);
            }
            response
        }
        Ok(PageStep::Respond {
            response,
            session_cookie,
        }) => {
            let mut http = authorization_response(&response);
            if let Some(value) = session_cookie {
                set_cookie(&mut http, SESSION_COOKIE, &value, secure, None);
            }
            http
        }
        Err(failure) => failure_page(&failure, locale, None),
    }
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

/// `GET /login/{id}`: the current page of a login (`?lang=mn|en` switches the language).
#[handler]
pub async fn login_page(
    request: &Request,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let tx = match provider
        .logins
        .load(
            &id,
            cookie(request, BROWSER_COOKIE, provider.settings.secure_cookies),
        )
        .await
    {
        Ok(tx) => Box::new(tx),
        Err(error) => return failure_page(&error.into(), Locale::default(), None),
    };
    let switched = request
        .params::<LangQuery>()
        .unwrap_or_default()
        .lang
        .and_then(|l| Locale::parse(&l));
    let mut tx = in_chosen_locale(request, tx);
    if let Some(locale) = switched {
        tx.locale = locale.as_str().to_owned();
    }
    let mut response = match provider.client_of(&tx).await {
        Ok(client) => render(provider, &tx, &client, None, None).await,
        Err(failure) => failure_page(&failure, locale_of(&tx), None),
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

/// Reads a form posted to the login `id` and loads its transaction, checking the browser
/// binding and the CSRF token.
async fn posted(
    provider: &Provider,
    request: &Request,
    body: Body,
    id: &str,
) -> Result<(Params, LoginTx), LoginFailure> {
    let form = params(request, body)
        .await
        .map_err(|_| LoginFailure::Forged)?;
    let tx = provider
        .logins
        .load_for_form(
            id,
            cookie(request, BROWSER_COOKIE, provider.settings.secure_cookies),
            form.get("csrf"),
        )
        .await
        .map_err(LoginFailure::from)?;
    Ok((form, tx))
}

/// `POST /login/{id}/number`.
#[handler]
pub async fn submit_number(
    request: &Request,
    body: Body,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let result = async {
        let (form, tx) = posted(provider, request, body, &id).await?;
        if tx.stage != Stage::Number {
            // A second submit of the first form: show where the login stands.
            let client = provider.client_of(&tx).await?;
            let step = PageStep::Show {
                tx: Box::new(tx),
                client: Box::new(client),
                message: None,
            };
            return Ok((step, String::new()));
        }
        let typed = form.get("registry_number").unwrap_or_default().to_owned();
        let step = provider
            .submit_number(
                tx,
                &typed,
                &client_ip(request, &provider.settings.trusted_proxies),
            )
            .await?;
        Ok((step, typed))
    }
    .await;
    match result {
        Ok((
            PageStep::Show {
                tx,
                client,
                message: Some(message @ Message::BadNumber(..)),
            },
            typed,
        )) => {
            let tx = in_chosen_locale(request, tx);
            let mut response = render(provider, &tx, &client, Some(&message), Some(&typed)).await;
            response.set_status(StatusCode::UNPROCESSABLE_ENTITY);
            response
        }
        Ok((step, _)) => page_step(provider, request, Ok(step)).await,
        Err(failure) => page_step(provider, request, Err(failure)).await,
    }
}

/// `POST /login/{id}/resend`.
#[handler]
pub async fn resend(
    request: &Request,
    body: Body,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let step = async {
        let (_, tx) = posted(provider, request, body, &id).await?;
        provider.resend(tx).await
    }
    .await;
    page_step(provider, request, step).await
}

/// `POST /login/{id}/code`.
#[handler]
pub async fn submit_code(
    request: &Request,
    body: Body,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let step = async {
        let (form, tx) = posted(provider, request, body, &id).await?;
        let previous = cookie(request, SESSION_COOKIE, provider.settings.secure_cookies);
        provider
            .submit_code(tx, form.get("code").unwrap_or_default(), previous)
            .await
    }
    .await;
    page_step(provider, request, step).await
}

/// `POST /login/{id}/method`: the picker's choice, or "log in another way".
#[handler]
pub async fn choose_method(
    request: &Request,
    body: Body,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let step = async {
        let (form, tx) = posted(provider, request, body, &id).await?;
        provider
            .choose_method(tx, form.get("method").unwrap_or_default())
            .await
    }
    .await;
    page_step(provider, request, step).await
}

/// `POST /login/{id}/app`: an authenticator-app code.
#[handler]
pub async fn submit_app_code(
    request: &Request,
    body: Body,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let step = async {
        let (form, tx) = posted(provider, request, body, &id).await?;
        let previous = cookie(request, SESSION_COOKIE, provider.settings.secure_cookies);
        provider
            .submit_app_code(tx, form.get("code").unwrap_or_default(), previous)
            .await
    }
    .await;
    page_step(provider, request, step).await
}

/// `POST /login/{id}/passkey`: the browser's WebAuthn answer (`credential`, JSON), for the
/// citizen of the login or, from the registry-number page, for whoever it names.
#[handler]
pub async fn submit_passkey(
    request: &Request,
    body: Body,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let step = async {
        let (form, tx) = posted(provider, request, body, &id).await?;
        let previous = cookie(request, SESSION_COOKIE, provider.settings.secure_cookies);
        provider
            .submit_passkey(tx, form.get("credential").unwrap_or_default(), previous)
            .await
    }
    .await;
    page_step(provider, request, step).await
}

/// `POST /login/{id}/continue`: a voluntary step-up declined; the session goes on as it is.
#[handler]
pub async fn continue_as_is(
    request: &Request,
    body: Body,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let step = async {
        let (_, tx) = posted(provider, request, body, &id).await?;
        let session = cookie(request, SESSION_COOKIE, provider.settings.secure_cookies);
        provider.continue_as_is(tx, session).await
    }
    .await;
    page_step(provider, request, step).await
}

/// `POST /login/{id}/unmet`: back to the e-service without the level it asked for.
#[handler]
pub async fn leave_unmet(
    request: &Request,
    body: Body,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let step = async {
        let (_, tx) = posted(provider, request, body, &id).await?;
        provider.leave_unmet(tx).await
    }
    .await;
    page_step(provider, request, step).await
}

/// `POST /login/{id}/consent`.
#[handler]
pub async fn consent(
    request: &Request,
    body: Body,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let step = async {
        let (form, tx) = posted(provider, request, body, &id).await?;
        let allow = match form.get("decision") {
            Some("allow") => true,
            Some("deny") => false,
            _ => return Err(LoginFailure::Forged),
        };
        provider
            .consent(
                tx,
                allow,
                cookie(request, SESSION_COOKIE, provider.settings.secure_cookies),
            )
            .await
    }
    .await;
    page_step(provider, request, step).await
}

/// A logout waiting for the citizen's confirmation.
#[derive(Debug, Serialize, Deserialize)]
struct PendingLogout {
    session: String,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    locale: String,
}

/// `GET` and `POST /logout` (RP-Initiated Logout 1.0 section 2).
#[handler]
pub async fn logout(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let params = match params(request, body).await {
        Ok(params) => params,
        Err(error) => {
            return refused_page(
                &PageError::BadRequest(error.description),
                None,
                Locale::default(),
            );
        }
    };
    let locale = Locale::negotiate(params.get("ui_locales"));
    let bad = |why: &str| refused_page(&PageError::BadRequest(why.to_owned()), None, locale);
    // The hint may have expired: only its signature and issuer matter here. A hint that does
    // not verify (signed by a key withdrawn since, say) is ignored, and the citizen is asked.
    let hint = params.get("id_token_hint").and_then(|token| {
        let parsed = Compact::parse(token).ok()?;
        provider.tokens.keys().verify(&parsed).ok()?;
        parsed
            .claims::<IdClaims>()
            .ok()
            .filter(|c| c.iss == provider.settings.issuer)
    });
    let client_id = match (
        hint.as_ref().map(|h| h.aud.as_str()),
        params.get("client_id"),
    ) {
        (Some(a), Some(b)) if a != b => return bad("client_id does not match the id_token_hint"),
        (a, b) => a.or(b),
    };
    let client = match client_id.map(ClientId::parse) {
        Some(Ok(id)) => provider.clients.find(&id).await.ok().flatten(),
        _ => None,
    };
    let post_logout = match params.get("post_logout_redirect_uri") {
        Some(uri) => {
            let registered = client
                .as_ref()
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r.matches(uri)));
            if !registered {
                return refused_page(&PageError::BadRedirectUri, client.as_ref(), locale);
            }
            Some(uri.to_owned())
        }
        None => None,
    };
    let state = params.get("state").map(str::to_owned);
    let session_cookie =
        cookie(request, SESSION_COOKIE, provider.settings.secure_cookies).map(str::to_owned);
    let session = match &session_cookie {
        Some(value) => provider.sessions.find(value).await.ok().flatten(),
        None => None,
    };
    let (Some(session_cookie), Some(session)) = (session_cookie, session) else {
        return logged_out(
            provider,
            post_logout.as_deref(),
            state.as_deref(),
            locale,
            client.as_ref(),
        );
    };
    let confirmed_by_hint = match (&hint, &client) {
        (Some(hint), Some(client)) => hint.sid == provider.tokens.client_sid(client, &session.sid),
        _ => false,
    };
    if confirmed_by_hint {
        return finish_logout(
            provider,
            &session_cookie,
            post_logout.as_deref(),
            state.as_deref(),
            locale,
            client.as_ref(),
        )
        .await;
    }
    // Without a matching hint, a third party could log the citizen out: ask first.
    let Ok(csrf) = jose::random_token(24) else {
        return error_page(locale, None, &ErrorKind::Internal);
    };
    let pending = PendingLogout {
        session: digest(&session_cookie),
        post_logout_redirect_uri: post_logout.clone(),
        state,
        locale: locale.as_str().to_owned(),
    };
    let stored = match serde_json::to_vec(&pending) {
        Ok(value) => provider
            .store
            .put(
                &Key::new("logout", csrf.clone()),
                &value,
                std::time::Duration::from_secs(600),
            )
            .await
            .is_ok(),
        Err(_) => false,
    };
    if !stored {
        return error_page(locale, None, &ErrorKind::Internal);
    }
    let name = client
        .as_ref()
        .map(|c| service_name(c, locale))
        .unwrap_or_default();
    let frame = Frame {
        locale,
        service_name: name,
        switch_mn: "/logout?ui_locales=mn",
        switch_en: "/logout?ui_locales=en",
    };
    let mut rendered = pages::logout_confirm(&frame, "/logout/confirm", &csrf, &[]);
    if let Some(uri) = &post_logout {
        rendered = rendered.allow_form_redirect_to(uri);
    }
    page(rendered)
}

/// `POST /logout/confirm`: the citizen's answer.
#[handler]
pub async fn logout_confirm(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let locale = Locale::default();
    let Ok(form) = params(request, body).await else {
        return error_page(locale, None, &ErrorKind::CsrfFailed);
    };
    let pending = match form.get("csrf") {
        Some(csrf) => provider
            .store
            .take(&Key::new("logout", csrf.to_owned()))
            .await
            .ok()
            .flatten()
            .and_then(|bytes| serde_json::from_slice::<PendingLogout>(&bytes).ok()),
        None => None,
    };
    let session_cookie =
        cookie(request, SESSION_COOKIE, provider.settings.secure_cookies).map(str::to_owned);
    let bound = match (&pending, &session_cookie) {
        (Some(p), Some(c)) => bool::from(p.session.as_bytes().ct_eq(digest(c).as_bytes())),
        _ => false,
    };
    let (Some(pending), Some(session_cookie), true) = (pending, session_cookie, bound) else {
        return error_page(locale, None, &ErrorKind::CsrfFailed);
    };
    let locale = Locale::parse(&pending.locale).unwrap_or_default();
    if form.get("decision") != Some("logout") {
        let (title, message) = match locale {
            Locale::Mn => (
                "Та нэвтэрсэн хэвээр байна",
                "Та ДАН-аас гараагүй. Энэ цонхыг хааж болно.",
            ),
            Locale::En => (
                "You are still logged in",
                "You did not log out of DAN. You can close this window.",
            ),
        };
        return page(pages::error(locale, None, title, message, None, 200));
    }
    finish_logout(
        provider,
        &session_cookie,
        pending.post_logout_redirect_uri.as_deref(),
        pending.state.as_deref(),
        locale,
        None,
    )
    .await
}

async fn finish_logout(
    provider: &Provider,
    session_cookie: &str,
    post_logout: Option<&str>,
    state: Option<&str>,
    locale: Locale,
    client: Option<&Client>,
) -> Response {
    if let Err(error) = provider.end_session(session_cookie).await {
        tracing::warn!(%error, "logout failed");
        return error_page(locale, None, &ErrorKind::Internal);
    }
    tracing::info!("SSO session ended by logout");
    logged_out(provider, post_logout, state, locale, client)
}

fn logged_out(
    provider: &Provider,
    post_logout: Option<&str>,
    state: Option<&str>,
    locale: Locale,
    client: Option<&Client>,
) -> Response {
    let mut response = match post_logout {
        Some(uri) => {
            let mut location = uri.to_owned();
            if let Some(state) = state {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("state", state)
                    .finish();
                location.push(if location.contains('?') { '&' } else { '?' });
                location.push_str(&query);
            }
            see_other(&location)
        }
        None => page(pages::logged_out(
            locale,
            client.map(|c| service_name(c, locale)),
            None,
        )),
    };
    set_cookie(
        &mut response,
        SESSION_COOKIE,
        "",
        provider.settings.secure_cookies,
        Some(0),
    );
    response
}
