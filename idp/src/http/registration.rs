//! Dynamic client registration over HTTP: `POST /register` (RFC 7591 3) and the client
//! configuration endpoint `/register/{client_id}` (RFC 7592 2). Errors are RFC 7591 3.2.2's
//! JSON errors; a bad token is 401 with `WWW-Authenticate: Bearer error="invalid_token"`
//! (RFC 6750 3). Bodies are bounded by the edge's body limit.

use std::sync::Arc;

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use serde_json::json;

use super::respond::json;
use crate::provider::Provider;
use crate::registration::RegistrationError;

/// The token of an `Authorization: Bearer` header (the scheme is case-insensitive).
fn bearer(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn failure(error: &RegistrationError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json(
        status,
        &json!({"error": error.code(), "error_description": error.to_string()}),
    );
    if matches!(error, RegistrationError::InvalidToken) {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer realm="dan", error="invalid_token""#),
        );
    }
    response
}

async fn bytes(body: Body) -> Result<Vec<u8>, RegistrationError> {
    body.into_vec()
        .await
        .map_err(|_| RegistrationError::InvalidMetadata("the body could not be read".to_owned()))
}

fn answer(status: StatusCode, result: Result<serde_json::Value, RegistrationError>) -> Response {
    match result {
        Ok(body) => json(status, &body),
        Err(error) => failure(&error),
    }
}

/// `POST /register`: registers a client on an initial access token (RFC 7591 3.1); 201.
#[handler]
pub async fn register(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let result = match bytes(body).await {
        Ok(body) => {
            provider
                .registrations
                .register(bearer(request), &body)
                .await
        }
        Err(error) => Err(error),
    };
    answer(StatusCode::CREATED, result)
}

/// `GET /register/{client_id}`: reads the registration (RFC 7592 2.1).
#[handler]
pub async fn read(
    request: &Request,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let result = provider.registrations.read(&id, bearer(request)).await;
    answer(StatusCode::OK, result)
}

/// `PUT /register/{client_id}`: replaces the registration (RFC 7592 2.2).
#[handler]
pub async fn update(
    request: &Request,
    Path(id): Path<String>,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let result = match bytes(body).await {
        Ok(body) => {
            provider
                .registrations
                .update(&id, bearer(request), &body)
                .await
        }
        Err(error) => Err(error),
    };
    answer(StatusCode::OK, result)
}

/// `DELETE /register/{client_id}`: deletes the registration (RFC 7592 2.3); 204.
#[handler]
pub async fn delete(
    request: &Request,
    Path(id): Path<String>,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    match provider.registrations.delete(&id, bearer(request)).await {
        Ok(()) => Response::builder()
            .status(StatusCode::NO_CONTENT)
            .header(header::CACHE_CONTROL, "no-store")
            .finish(),
        Err(error) => failure(&error),
    }
}
