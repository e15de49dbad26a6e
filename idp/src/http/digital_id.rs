//! The Digital ID app's API on the public listener, under `/digital-id/v1` (issue 8):
//!
//! - `POST /digital-id/v1/enroll`: the app enrolls with the code a registration officer issued
//!   (`{"code", "public_key" (EC P-256 JWK), "name", "platform", "attestation"?}`) and gets its
//!   device id (`201 {"device_id", "level"}`);
//! - `GET /digital-id/v1/device`: the device's own record, authenticated by a device token.
//!
//! Every call after enrollment carries `Authorization: DeviceToken <JWS>`: a compact JWS
//! signed by the device key (ES256, `iss` the device id, `exp` at most 60 s after `iat`, a
//! `jti` used once, `aud` when present `{issuer}/digital-id/v1`), so a device id alone does
//! nothing. Errors are JSON `{"error", "error_description"}` with `no-store`. Enrollment is
//! limited per address (a code has 60 random bits; the limit keeps guessing pointless).
//! The decoupled login (pending requests, approvals) comes next.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::respond::{client_ip, json as json_response};
use crate::audit::{Actor, EventKind, NewEvent};
use crate::citizens::CitizenId;
use crate::digital_id::{Device, DigitalIdError, EnrollRequest, TokenRefusal};
use crate::provider::Provider;

/// Enrollments one address may try per minute.
const ENROLLMENTS_PER_MINUTE: u32 = 10;
/// The largest enrollment body (the attestation is at most 16 KiB).
const MAX_BODY: usize = 32 * 1024;

fn answer(status: StatusCode, code: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({"error": code, "error_description": description}),
    )
}

/// The audience device tokens may name.
fn audience(provider: &Provider) -> String {
    format!("{}/digital-id/v1", provider.settings.issuer)
}

#[derive(Deserialize)]
struct EnrollBody {
    code: String,
    public_key: Value,
    name: String,
    platform: String,
    #[serde(default)]
    attestation: Option<String>,
}

fn refusal(error: &DigitalIdError) -> Response {
    let (status, code) = match error {
        DigitalIdError::BadCode => (StatusCode::BAD_REQUEST, "invalid_code"),
        DigitalIdError::InvalidKey(_) => (StatusCode::BAD_REQUEST, "invalid_key"),
        DigitalIdError::InvalidName
        | DigitalIdError::InvalidPlatform
        | DigitalIdError::AttestationTooLarge
        | DigitalIdError::InvalidOfficer => (StatusCode::BAD_REQUEST, "invalid_request"),
        DigitalIdError::Duplicate => (StatusCode::CONFLICT, "key_enrolled"),
        DigitalIdError::TokenRefused(_) => (StatusCode::UNAUTHORIZED, "invalid_token"),
        DigitalIdError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        DigitalIdError::Storage(_) | DigitalIdError::Unavailable(_) => {
            tracing::warn!(%error, "digital id unavailable");
            return answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "try again shortly",
            );
        }
    };
    let mut response = answer(status, code, &error.to_string());
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            poem::http::header::WWW_AUTHENTICATE,
            poem::http::HeaderValue::from_static("DeviceToken realm=\"dan\""),
        );
    }
    response
}

fn device_json(device: &Device) -> Value {
    json!({
        "device_id": device.id,
        "name": device.name,
        "platform": device.platform,
        "level": device.level.as_str(),
        "enrolled_at": device.created_at,
    })
}

/// `POST /digital-id/v1/enroll`.
#[handler]
pub async fn enroll(
    request: &Request,
    body: Body,
    Data(provider): Data<&Arc<Provider>>,
) -> Response {
    let ip = client_ip(request, &provider.settings.trusted_proxies);
    match provider
        .otp
        .limit("enroll_ip", &ip, ENROLLMENTS_PER_MINUTE)
        .await
    {
        Ok(None) => {}
        Ok(Some(retry_after)) => {
            let mut response = answer(
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
                "too many enrollments from this address; wait a minute",
            );
            if let Ok(value) = poem::http::HeaderValue::from_str(&retry_after.to_string()) {
                response
                    .headers_mut()
                    .insert(poem::http::header::RETRY_AFTER, value);
            }
            return response;
        }
        Err(store) => {
            tracing::warn!(error = %store, "rate limit unavailable");
            return refusal(&DigitalIdError::Unavailable(store.to_string()));
        }
    }
    let bytes = match body.into_bytes_limit(MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "the body is larger than 32 KiB",
            );
        }
    };
    let parsed: EnrollBody = match serde_json::from_slice(&bytes) {
        Ok(parsed) => parsed,
        Err(_) => {
            return answer(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the body is a JSON object with code, public_key, name, platform and an \
                 optional attestation",
            );
        }
    };
    let enrolled = provider
        .digital_id
        .enroll(EnrollRequest {
            code: parsed.code,
            public_key: parsed.public_key,
            name: parsed.name,
            platform: parsed.platform,
            attestation: parsed.attestation,
        })
        .await;
    match enrolled {
        Ok(device) => {
            provider
                .audit
                .note(
                    NewEvent::new(
                        EventKind::MethodChanged,
                        Actor::Citizen(CitizenId(device.citizen_id)),
                    )
                    .citizen(CitizenId(device.citizen_id))
                    .detail("action", "enroll")
                    .detail("method", "digital_id")
                    .detail("level", device.level.as_str())
                    .detail("enrolled_by", device.enrolled_by.clone())
                    .detail("outcome", "enrolled"),
                )
                .await;
            provider.notify_method_added(device.citizen_id).await;
            json_response(StatusCode::CREATED, &device_json(&device))
        }
        Err(refused) => {
            if !matches!(
                refused,
                DigitalIdError::Storage(_) | DigitalIdError::Unavailable(_)
            ) {
                provider
                    .audit
                    .note(
                        NewEvent::new(EventKind::MethodChanged, Actor::System)
                            .detail("action", "enroll")
                            .detail("method", "digital_id")
                            .detail("outcome", refusal_reason(&refused)),
                    )
                    .await;
            }
            refusal(&refused)
        }
    }
}

fn refusal_reason(error: &DigitalIdError) -> &'static str {
    match error {
        DigitalIdError::BadCode => "bad_code",
        DigitalIdError::InvalidKey(_) => "invalid_key",
        DigitalIdError::Duplicate => "duplicate_key",
        DigitalIdError::TokenRefused(why) => why.as_str(),
        _ => "invalid_request",
    }
}

/// The device a call's `Authorization: DeviceToken …` proves, or the answer refusing it
/// (audited with the reason).
pub(super) async fn device_of(provider: &Provider, request: &Request) -> Result<Device, Response> {
    let token = request
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("DeviceToken "))
        .map(str::trim);
    let Some(token) = token else {
        return Err(refusal(&DigitalIdError::TokenRefused(
            TokenRefusal::Malformed,
        )));
    };
    match provider
        .digital_id
        .authenticate(token, &audience(provider))
        .await
    {
        Ok(device) => Ok(device),
        Err(refused) => {
            // Audited when the token named an enrolled device; anonymous garbage is only
            // refused, so unauthenticated calls cannot fill the trail.
            if let DigitalIdError::TokenRefused(why) = &refused
                && !matches!(
                    why,
                    TokenRefusal::Malformed
                        | TokenRefusal::Algorithm
                        | TokenRefusal::MissingClaim
                        | TokenRefusal::UnknownDevice
                )
            {
                provider
                    .audit
                    .note(
                        NewEvent::new(EventKind::LoginFailed, Actor::System)
                            .detail("method", "digital_id")
                            .detail("reason", format!("device_token_{}", why.as_str())),
                    )
                    .await;
            }
            Err(refusal(&refused))
        }
    }
}

/// `GET /digital-id/v1/device`: the calling device's own record.
#[handler]
pub async fn own_device(request: &Request, Data(provider): Data<&Arc<Provider>>) -> Response {
    match device_of(provider, request).await {
        Ok(device) => json_response(StatusCode::OK, &device_json(&device)),
        Err(response) => response,
    }
}
