//! What every request passes through: a request id, a tracing span and an access log line,
//! the body size limit, and the security headers of every response.
//!
//! The access log names the method, the path (never the query string, which can carry codes
//! and tokens), the status and the latency.

use std::time::Instant;

use poem::http::{HeaderName, HeaderValue, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;

/// What the edge enforces.
#[derive(Debug, Clone)]
pub struct EdgePolicy {
    /// Largest request body accepted.
    pub body_limit_bytes: usize,
    /// Whether to send `Strict-Transport-Security` (when the issuer is https).
    pub hsts: bool,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request id from the caller is kept when it is short and plain, so traces join up across a
/// load balancer; otherwise a new one is made.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned)
}

/// Enforces the body limit: by `Content-Length` when given, otherwise by reading at most the
/// limit (chunked HTTP/1.1 bodies and HTTP/2 bodies, which have no `Transfer-Encoding`).
/// Returns the request to pass on, or the 413 response.
async fn limit_body(mut request: Request, limit: usize) -> Result<Request, Response> {
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body larger than {limit} bytes"),
        )
            .into_response()
    };
    match request
        .headers()
        .get(header::CONTENT_LENGTH)
        .map(|v| v.to_str().ok().and_then(|s| s.parse::<u64>().ok()))
    {
        Some(Some(length)) if length > limit as u64 => Err(too_large()),
        Some(Some(_)) => Ok(request),
        Some(None) => {
            Err((StatusCode::BAD_REQUEST, "Content-Length is not a number").into_response())
        }
        None => match request.take_body().into_bytes_limit(limit).await {
            Ok(bytes) => {
                request.set_body(Body::from_bytes(bytes));
                Ok(request)
            }
            Err(_) => Err(too_large()),
        },
    }
}

fn security_headers(response: &mut Response, policy: &EdgePolicy) {
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    set(header::CACHE_CONTROL, "no-store");
    if policy.hsts {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        );
    }
}

/// Runs one request through the edge.
pub(super) async fn handle<E: Endpoint>(
    policy: &EdgePolicy,
    endpoint: std::sync::Arc<E>,
    request: Request,
) -> poem::Result<Response> {
    let started = Instant::now();
    let id = request_id(&request);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    async move {
        let mut response = match limit_body(request, policy.body_limit_bytes).await {
            Ok(request) => match endpoint.call(request).await {
                Ok(output) => output.into_response(),
                Err(err) => err.into_response(),
            },
            Err(response) => response,
        };
        security_headers(&mut response, policy);
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        tracing::info!(
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        Ok(response)
    }
    .instrument(span)
    .await
}
