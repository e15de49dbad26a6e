//! Development-only endpoints of the embedded default: the SMS outbox (`GET /dev/outbox`, JSON
//! for tools, a page for people) and the "try it" demo e-service (`/try`), which logs in
//! through DAN with the demo client and shows the ID token's claims and the userinfo response.
//! Neither route exists in production mode.

use std::sync::Arc;
use std::time::Duration;

use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{Request, Response, handler};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::protocol::user_claims;
use super::respond::{json, page, see_other};
use crate::authorize::Params;
use crate::citizens::CitizenId;
use crate::clients::{
    AuthMethod, Client, ClientId, ClientRegistry, GrantType, RedirectUri, SubjectType,
};
use crate::database::StorageError;
use crate::ephemeral::Key;
use crate::jose::{self, Compact};
use crate::pages::{self, Locale, TryItResult};
use crate::provider::Provider;

/// The demo client's id.
pub const DEMO_CLIENT: &str = "dan-demo";

/// The demo client of the embedded default: a public client (PKCE, no secret) whose redirect
/// URI is this provider's own `/try/callback`.
pub fn demo_client(issuer: &str) -> Option<Client> {
    Some(Client {
        id: ClientId::parse(DEMO_CLIENT).ok()?,
        name_mn: "Туршилтын цахим үйлчилгээ".to_owned(),
        name_en: "Demo e-service".to_owned(),
        redirect_uris: vec![RedirectUri::parse(&format!("{issuer}/try/callback")).ok()?],
        post_logout_redirect_uris: vec![RedirectUri::parse(&format!("{issuer}/try")).ok()?],
        allowed_scopes: ["openid", "profile", "phone", "address"]
            .map(str::to_owned)
            .to_vec(),
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        auth_method: AuthMethod::None,
        secret_hash: None,
        subject_type: SubjectType::Pairwise,
        sector_identifier: None,
        jwks_uri: None,
        jwks: None,
        id_token_signing_alg: None,
        audiences: Vec::new(),
        backchannel_logout_uri: None,
        require_par: false,
        skip_consent: false,
        enabled: true,
        previous_secret: None,
        revision: 0,
    })
}

/// Registers (or refreshes, when the issuer changed) the demo client.
pub async fn seed_demo_client(
    registry: &dyn ClientRegistry,
    issuer: &str,
) -> Result<(), StorageError> {
    let Some(client) = demo_client(issuer) else {
        return Ok(());
    };
    if let Some(existing) = registry.find(&client.id).await? {
        if existing == client {
            return Ok(());
        }
        registry.delete(&client.id).await?;
    }
    registry.create(&client).await?;
    Ok(())
}

#[derive(Deserialize)]
struct OutboxQuery {
    to: Option<String>,
    format: Option<String>,
}

/// `GET /dev/outbox[?to=+976…][&format=html]`: the SMS messages, newest first, as JSON
/// (objects with `to`, `text`, `sent_at`), or as a page for browsers.
#[handler]
pub fn outbox(request: &Request, Data(provider): Data<&Arc<Provider>>) -> Response {
    let Some(outbox) = &provider.outbox else {
        return Response::builder().status(StatusCode::NOT_FOUND).finish();
    };
    let query: OutboxQuery = request.params().unwrap_or(OutboxQuery {
        to: None,
        format: None,
    });
    let messages = outbox.messages(query.to.as_deref());
    let wants_html = query.format.as_deref() == Some("html")
        || request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.starts_with("text/html"));
    if wants_html {
        let entries: Vec<(String, String, String)> = messages
            .iter()
            .rev()
            .map(|m| (m.to.clone(), m.text.clone(), m.sent_at.to_rfc3339()))
            .collect();
        return page(pages::outbox(&entries));
    }
    json(
        StatusCode::OK,
        &serde_json::to_value(&messages).unwrap_or_default(),
    )
}

#[derive(Serialize, Deserialize)]
struct TryState {
    verifier: String,
    nonce: String,
}

fn demo_numbers() -> Vec<&'static str> {
    crate::demo::DEMO_CITIZENS
        .iter()
        .map(|(rn, ..)| *rn)
        .collect()
}

fn locale(request: &Request) -> Locale {
    let params = Params::parse(request.uri().query().unwrap_or_default().as_bytes()).ok();
    Locale::negotiate(params.as_ref().and_then(|p| p.get("ui_locales")))
}

/// `GET /try`: the demo e-service's start page.
#[handler]
pub fn try_it(request: &Request) -> Response {
    page(pages::try_it(
        locale(request),
        "/try/start",
        &demo_numbers(),
        None,
    ))
}

/// `GET /try/start`: sends the browser to `/authorize` as a relying party would.
#[handler]
pub async fn try_start(request: &Request, Data(provider): Data<&Arc<Provider>>) -> Response {
    let issuer = &provider.settings.issuer;
    let started = async {
        let verifier = jose::random_token(32)?;
        let state = jose::random_token(16)?;
        let nonce = jose::random_token(16)?;
        let value = serde_json::to_vec(&TryState {
            verifier: verifier.clone(),
            nonce: nonce.clone(),
        })
        .map_err(|e| jose::JoseError::Crypto(e.to_string()))?;
        Ok::<_, jose::JoseError>((verifier, state, nonce, value))
    }
    .await;
    let Ok((verifier, state, nonce, value)) = started else {
        return page(pages::error_kind(
            Locale::default(),
            None,
            &pages::ErrorKind::Internal,
            None,
        ));
    };
    if provider
        .store
        .put(
            &Key::new("try", state.clone()),
            &value,
            Duration::from_secs(900),
        )
        .await
        .is_err()
    {
        return page(pages::error_kind(
            Locale::default(),
            None,
            &pages::ErrorKind::Internal,
            None,
        ));
    }
    let challenge = jose::encode(&Sha256::digest(verifier.as_bytes()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", DEMO_CLIENT)
        .append_pair("redirect_uri", &format!("{issuer}/try/callback"))
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile phone address")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("ui_locales", locale(request).as_str())
        .finish();
    see_other(&format!("/authorize?{query}"))
}

/// `GET /try/callback`: the demo e-service redeems the code and shows what it received.
#[handler]
pub async fn try_callback(request: &Request, Data(provider): Data<&Arc<Provider>>) -> Response {
    let locale = Locale::default();
    let fail = |message: &str| {
        page(pages::error(
            locale,
            None,
            "Demo",
            message,
            Some(("/try", "Try again / Дахин оролдох")),
            400,
        ))
    };
    let Ok(params) = Params::parse(request.uri().query().unwrap_or_default().as_bytes()) else {
        return fail("malformed callback");
    };
    if let Some(error) = params.get("error") {
        return fail(&format!(
            "{error}: {}",
            params.get("error_description").unwrap_or_default()
        ));
    }
    if params.get("iss") != Some(provider.settings.issuer.as_str()) {
        return fail("the response's iss is not this provider (RFC 9207)");
    }
    let state = match params.get("state") {
        Some(state) => provider
            .store
            .take(&Key::new("try", state.to_owned()))
            .await
            .ok()
            .flatten()
            .and_then(|bytes| serde_json::from_slice::<TryState>(&bytes).ok()),
        None => None,
    };
    let Some(state) = state else {
        return fail("unknown or used state");
    };
    let Ok(id) = ClientId::parse(DEMO_CLIENT) else {
        return fail("the demo client id is not valid");
    };
    let Ok(Some(client)) = provider.clients.find(&id).await else {
        return fail("the demo client is not registered");
    };
    let mut exchange = Params::default();
    for (name, value) in [
        ("code", params.get("code").unwrap_or_default().to_owned()),
        (
            "redirect_uri",
            format!("{}/try/callback", provider.settings.issuer),
        ),
        ("code_verifier", state.verifier),
    ] {
        exchange.0.insert(name.to_owned(), value);
    }
    let tokens = match provider.exchange_code(&client, &exchange).await {
        Ok(tokens) => tokens,
        Err(error) => return fail(&error.to_string()),
    };
    let id_token = tokens.id_token.unwrap_or_default();
    let claims = Compact::parse(&id_token)
        .ok()
        .and_then(|c| c.claims::<serde_json::Value>().ok())
        .unwrap_or_default();
    if claims["nonce"].as_str() != Some(state.nonce.as_str()) {
        return fail("the ID token's nonce does not match");
    }
    let userinfo = match provider.tokens.verify_access(&tokens.access_token).await {
        Ok(access) => {
            let citizen = match provider.tokens.citizen_of(&access) {
                Some(id) => provider
                    .citizens
                    .find_by_id(CitizenId(id))
                    .await
                    .ok()
                    .flatten(),
                None => None,
            };
            citizen.map_or(serde_json::Value::Null, |c| {
                user_claims(&c, &access.sub, access.scopes())
            })
        }
        Err(error) => return fail(&error.to_string()),
    };
    let logout = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", &id_token)
        .append_pair(
            "post_logout_redirect_uri",
            &format!("{}/try", provider.settings.issuer),
        )
        .finish();
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    page(pages::try_it(
        locale,
        "/try/start",
        &demo_numbers(),
        Some(&TryItResult {
            id_token_claims: pretty(&claims),
            userinfo: pretty(&userinfo),
            logout_href: format!("/logout?{logout}"),
        }),
    ))
}
