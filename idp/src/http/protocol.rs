//! The machine-facing endpoints: discovery (OpenID Connect Discovery 1.0), JWKS (RFC 7517),
//! token (RFC 6749 3.2), userinfo (OpenID Connect Core 5.3), introspection (RFC 7662),
//! revocation (RFC 7009) and pushed authorization requests (RFC 9126).

use std::sync::Arc;

use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use serde_json::{Value, json};

use super::respond::{json, oauth_error, params};
use crate::audit::{Actor, EventKind, NewEvent};
use crate::authorize::{LEVELS, Params, SCOPES};
use crate::citizens::{Citizen, CitizenId, CitizenStatus};
use crate::clients::{Client, GrantType};
use crate::jose::Algorithm;
use crate::oauth::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::tokens::TokenSet;

/// Scopes that release a citizen's data; client_credentials may not ask for them.
const IDENTITY_SCOPES: [&str; 6] = SCOPES;

fn endpoint(provider: &Provider, path: &str) -> String {
    format!("{}{path}", provider.settings.issuer)
}

/// The discovery document. Every value is what the code does.
pub fn discovery_document(provider: &Provider) -> Value {
    let algorithms: Vec<&str> = Algorithm::ALL.iter().map(|a| a.as_str()).collect();
    let auth_methods = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ];
    json!({
        "issuer": provider.settings.issuer,
        "authorization_endpoint": endpoint(provider, "/authorize"),
        "token_endpoint": endpoint(provider, "/token"),
        "userinfo_endpoint": endpoint(provider, "/userinfo"),
        "jwks_uri": endpoint(provider, "/jwks"),
        "revocation_endpoint": endpoint(provider, "/revoke"),
        "introspection_endpoint": endpoint(provider, "/introspect"),
        "end_session_endpoint": endpoint(provider, "/logout"),
        "pushed_authorization_request_endpoint": endpoint(provider, "/par"),
        "registration_endpoint": endpoint(provider, "/register"),
        "require_pushed_authorization_requests": false,
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise", "public"],
        "id_token_signing_alg_values_supported": algorithms,
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": algorithms,
        "introspection_endpoint_auth_methods_supported": &auth_methods[..3],
        "introspection_endpoint_auth_signing_alg_values_supported": algorithms,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": algorithms,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "azp",
            "name", "given_name", "family_name", "birthdate", "gender",
            "phone_number", "phone_number_verified", "address", "email", "national_id"
        ],
        "claims_parameter_supported": true,
        "claim_types_supported": ["normal"],
        "acr_values_supported": &LEVELS[..=provider.highest_level()],
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["mn", "en"],
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "frontchannel_logout_supported": false,
    })
}

fn cacheable(body: String) -> Response {
    Response::builder()
        .content_type("application/json")
        .header(header::CACHE_CONTROL, "public, max-age=300")
        .body(body)
}

/// The discovery document, serialized once when the routes are built.
#[derive(Clone)]
pub struct Discovery(pub Arc<String>);

/// `GET /.well-known/openid-configuration`.
#[handler]
pub fn discovery(Data(document): Data<&Discovery>) -> Response {
    cacheable(document.0.as_str().to_owned())
}

/// `GET /jwks`: every published key (next, active and retired).
#[handler]
pub fn jwks(Data(provider): Data<&Arc<Provider>>) -> Response {
    let body = provider.tokens.keys().jwks();
    Response::builder()
        .content_type("application/jwk-set+json")
        .header(header::CACHE_CONTROL, "public, max-age=300")
        .body(body.as_str().to_owned())
}

fn authorization(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

fn token_response(tokens: &TokenSet) -> Response {
    let mut body = json!({
        "access_token": tokens.access_token,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
        "scope": tokens.scope,
    });
    if let Some(id_token) = &tokens.id_token {
        body["id_token"] = json!(id_token);
    }
    if let Some(refresh) = &tokens.refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    json(StatusCode::OK, &body)
}

async fn authenticated(
    provider: &Provider,
    request: &Request,
    body: Body,
    path: &str,
) -> Result<(Client, Params), OAuthError> {
    let params = params(request, body).await?;
    let client = provider
        .client_auth
        .authenticate(authorization(request), &params, &endpoint(provider, path))
        .await?;
    Ok((client, params))
}

/// `POST /token`.
#[handler]
pub async fn token_endpoint(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    match token_inner(provider, request, body).await {
        Ok(tokens) => token_response(&tokens),
        Err(error) => oauth_error(&error),
    }
}

async fn token_inner(
    provider: &Provider,
    request: &Request,
    body: Body,
) -> Result<TokenSet, OAuthError> {
    let (client, params) = authenticated(provider, request, body, "/token").await?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    let grant = GrantType::parse(grant_type).map_err(|_| {
        OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "grant_type must be authorization_code, refresh_token or client_credentials",
        )
    })?;
    if !client.grant_types.contains(&grant) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("this client may not use {grant_type}"),
        ));
    }
    let issued = match grant {
        GrantType::AuthorizationCode => provider.exchange_code(&client, &params).await,
        GrantType::RefreshToken => {
            let token = params
                .get("refresh_token")
                .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
            if params.get("scope").is_some() {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "a refresh keeps the scopes of the login; omit scope",
                ));
            }
            provider.refresh(&client, token).await
        }
        GrantType::ClientCredentials => client_credentials(provider, &client, &params),
    }?;
    provider
        .audit
        .enqueue(
            NewEvent::new(EventKind::TokensIssued, Actor::Client(client.id.clone()))
                .client(&client.id)
                .detail("grant_type", grant.as_str())
                .detail("scope", issued.scope.as_str()),
        )
        .await;
    Ok(issued)
}

fn client_credentials(
    provider: &Provider,
    client: &Client,
    params: &Params,
) -> Result<TokenSet, OAuthError> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in params.get("scope").unwrap_or_default().split(' ') {
        if scope.is_empty() || scopes.iter().any(|s| s == scope) {
            continue;
        }
        if IDENTITY_SCOPES.contains(&scope) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("{scope} releases a citizen's data and needs a citizen's login"),
            ));
        }
        if !client.allowed_scopes.iter().any(|s| s == scope) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "the client may not ask for one of these scopes",
            ));
        }
        scopes.push(scope.to_owned());
    }
    // RFC 8707: only registered audiences; without a request, all of them (or DAN itself).
    let audience: Vec<String> = match params.get("audience").or_else(|| params.get("resource")) {
        Some(asked) => {
            let asked: Vec<String> = asked
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if let Some(unknown) = asked.iter().find(|a| !client.audiences.contains(a)) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidTarget,
                    format!(
                        "{} is not an audience of this client",
                        unknown.chars().take(100).collect::<String>()
                    ),
                ));
            }
            asked
        }
        None if client.audiences.is_empty() => vec![provider.settings.issuer.clone()],
        None => client.audiences.clone(),
    };
    provider.tokens.client_token(client, &scopes, audience)
}

fn bearer(request: &Request, params: &Params) -> Result<String, OAuthError> {
    let header = authorization(request).and_then(|h| {
        h.strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
    });
    match (header, params.get("access_token")) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "send the access token once (RFC 6750 2)",
        )),
        (Some(token), None) => Ok(token.trim().to_owned()),
        (None, Some(token)) => Ok(token.to_owned()),
        (None, None) => Err(OAuthError::new(
            ErrorCode::InvalidToken,
            "an access token is required",
        )),
    }
}

/// `GET` and `POST /userinfo`: the claims the access token's scopes release.
#[handler]
pub async fn userinfo(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let result = async {
        let params = params(request, body).await?;
        let token = bearer(request, &params)?;
        let claims = provider.tokens.verify_access(&token).await?;
        if !claims.scopes().any(|s| s == "openid") {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                "the token lacks the openid scope",
            ));
        }
        let citizen_id = provider.tokens.citizen_of(&claims).ok_or_else(|| {
            OAuthError::new(
                ErrorCode::InvalidToken,
                "the token does not speak for a citizen",
            )
        })?;
        let citizen = provider
            .citizens
            .find_by_id(CitizenId(citizen_id))
            .await?
            .filter(|c| c.record.status == CitizenStatus::Active)
            .ok_or_else(|| {
                OAuthError::new(ErrorCode::InvalidToken, "the citizen may no longer log in")
            })?;
        Ok(user_claims(&citizen, &claims.sub, claims.scopes()))
    }
    .await;
    match result {
        Ok(body) => json(StatusCode::OK, &body),
        Err(error) => oauth_error(&error),
    }
}

/// The claims of `scopes` for `citizen` (OpenID Connect Core 5.4).
pub fn user_claims<'a>(
    citizen: &Citizen,
    sub: &str,
    scopes: impl Iterator<Item = &'a str>,
) -> Value {
    let record = &citizen.record;
    let mut claims = json!({ "sub": sub });
    for scope in scopes {
        match scope {
            "profile" => {
                claims["name"] = json!(format!("{} {}", record.family_name, record.given_name));
                claims["family_name"] = json!(record.family_name);
                claims["given_name"] = json!(record.given_name);
                claims["birthdate"] = json!(record.birth_date.to_string());
                claims["gender"] = json!(record.gender.as_str());
            }
            "phone" => {
                if let Some(phone) = record.phone_numbers.first() {
                    claims["phone_number"] = json!(phone.as_str());
                    claims["phone_number_verified"] = json!(true);
                }
            }
            "email" => {
                if let Some(email) = &record.email {
                    claims["email"] = json!(email.as_str());
                    claims["email_verified"] = json!(false);
                }
            }
            "address" => {
                let address = &record.address;
                let parts: Vec<&str> = [&address.text, &address.bag, &address.soum, &address.aimag]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                claims["address"] = json!({
                    "formatted": parts.join(", "),
                    "street_address": address.text,
                    "locality": address.soum,
                    "region": address.aimag,
                    "country": "MN",
                });
            }
            "national_id" => {
                claims["national_id"] = json!(record.registry_number.as_str());
            }
            _ => {}
        }
    }
    claims
}

/// `POST /introspect` (RFC 7662): any authenticated confidential client may introspect access
/// tokens (resource servers are clients); a refresh token only by the client it belongs to.
#[handler]
pub async fn introspect(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let result = async {
        let (client, params) = authenticated(provider, request, body, "/introspect").await?;
        if client.auth_method == crate::clients::AuthMethod::None {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "public clients may not introspect",
            ));
        }
        let token = params
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
        // RFC 7662 4: a token is shown only to its own client, or to a resource server it
        // names in `aud` (by client id or by a registered audience); to anyone else it is
        // simply inactive.
        if let Ok(claims) = provider.tokens.verify_access(token).await
            && (claims.client_id == client.id.as_str()
                || claims
                    .aud
                    .iter()
                    .any(|a| a == client.id.as_str() || client.audiences.contains(a)))
        {
            let mut body = serde_json::to_value(&claims)
                .map_err(|e| OAuthError::internal("cannot encode claims", &e))?;
            if let Some(object) = body.as_object_mut() {
                object.remove("ctx");
                object.insert("active".to_owned(), json!(true));
                object.insert("token_type".to_owned(), json!("Bearer"));
            }
            return Ok(body);
        }
        let now = provider.clock.now();
        if let Some(record) = provider.tokens.find_refresh(token).await?
            && record.client_id == client.id.as_str()
            && record.rotated_at.is_none()
            && record.revoked_at.is_none()
            && record.expires_at > now
        {
            return Ok(json!({
                "active": true,
                "token_type": "refresh_token",
                "client_id": record.client_id,
                "scope": record.grant.scopes.join(" "),
                "exp": record.expires_at.timestamp(),
                "iat": record.created_at.timestamp(),
                "iss": provider.settings.issuer,
            }));
        }
        Ok(json!({ "active": false }))
    }
    .await;
    match result {
        Ok(body) => json(StatusCode::OK, &body),
        Err(error) => oauth_error(&error),
    }
}

/// `POST /revoke` (RFC 7009): revokes a refresh token's family or an access token. Unknown
/// tokens are answered 200 (section 2.2); another client's token is refused.
#[handler]
pub async fn revoke(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let result = async {
        let (client, params) = authenticated(provider, request, body, "/revoke").await?;
        let token = params
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
        if let Some(record) = provider.tokens.find_refresh(token).await? {
            if record.client_id != client.id.as_str() {
                return Err(OAuthError::new(
                    ErrorCode::UnauthorizedClient,
                    "the token belongs to another client",
                ));
            }
            provider.tokens.revoke_family(&record.family_id).await?;
            provider.audit.note(revoked(&client, "refresh_token")).await;
            return Ok(());
        }
        if let Ok(claims) = provider.tokens.verify_access(token).await {
            if claims.client_id != client.id.as_str() {
                return Err(OAuthError::new(
                    ErrorCode::UnauthorizedClient,
                    "the token belongs to another client",
                ));
            }
            provider
                .tokens
                .revoke_access(&claims.jti, claims.exp)
                .await?;
            provider.audit.note(revoked(&client, "access_token")).await;
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => json(StatusCode::OK, &json!({})),
        Err(error) => oauth_error(&error),
    }
}

/// The audit event of a revocation at the client's request (RFC 7009).
fn revoked(client: &Client, token_type: &str) -> NewEvent {
    NewEvent::new(EventKind::TokensRevoked, Actor::Client(client.id.clone()))
        .client(&client.id)
        .detail("reason", "revocation_request")
        .detail("token_type", token_type)
}

/// `POST /par` (RFC 9126).
#[handler]
pub async fn par(request: &Request, body: Body, Data(provider): Data<&Arc<Provider>>) -> Response {
    let result = async {
        let (client, mut params) = authenticated(provider, request, body, "/par").await?;
        for credential in ["client_secret", "client_assertion", "client_assertion_type"] {
            params.0.remove(credential);
        }
        provider.push(&client, params).await
    }
    .await;
    match result {
        Ok((request_uri, expires_in)) => json(
            StatusCode::CREATED,
            &json!({ "request_uri": request_uri, "expires_in": expires_in }),
        ),
        Err(error) => oauth_error(&error),
    }
}
