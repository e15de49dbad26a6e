//! Dynamic client registration over HTTP: `POST /register` (RFC 7591 3) and the client
//! configuration endpoint `/register/{client_id}` (RFC 7592 2), described by poem-openapi so
//! that the public listener's JSON API has an OpenAPI document too ([`openapi_json`],
//! committed as `openapi/idp.json`). The rest of the public listener is the OpenID Connect
//! protocol, which describes itself in the discovery document.
//!
//! The body is read as bytes and parsed by the registration domain, which accepts any BCP 47
//! tag on `client_name` (RFC 7591 2.2) and ignores members it does not keep; the document's
//! `ClientMetadata` schema names what DAN reads. Errors are RFC 7591 3.2.2's JSON errors; a
//! missing or bad token is 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750
//! 3). Bodies are bounded by the edge's body limit.

use std::sync::Arc;

use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{IntoResponse, Request, RequestBody, Response};
use poem_openapi::auth::Bearer;
use poem_openapi::param::Path;
use poem_openapi::payload::{Json, ParsePayload, Payload};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Object, OpenApi,
    OpenApiService, SecurityScheme,
};
use serde_json::Value;

use crate::provider::Provider;
use crate::registration::RegistrationError;

/// Client metadata (RFC 7591 2) that DAN reads. Other members are ignored; `client_name` may
/// carry any language tag (`client_name#mn-Cyrl-MN`): Mongolian and English are kept.
#[derive(Object)]
#[oai(rename = "ClientMetadata")]
#[allow(dead_code)] // A description: the domain reads the body itself.
struct ClientMetadata {
    /// Redirect URIs: https, or http on loopback for native apps; no fragment, no wildcard.
    redirect_uris: Option<Vec<String>>,
    /// Where RP-initiated logout may return.
    post_logout_redirect_uris: Option<Vec<String>>,
    /// `client_secret_basic` (default), `client_secret_post`, `private_key_jwt` or `none`.
    token_endpoint_auth_method: Option<String>,
    /// `authorization_code` (default), `refresh_token`, `client_credentials`.
    grant_types: Option<Vec<String>>,
    /// `code` only (the default with `authorization_code`).
    response_types: Option<Vec<String>>,
    /// The name for both languages, when no tagged name is given.
    client_name: Option<String>,
    /// The name citizens see in Mongolian.
    #[oai(rename = "client_name#mn")]
    client_name_mn: Option<String>,
    /// The name citizens see in English.
    #[oai(rename = "client_name#en")]
    client_name_en: Option<String>,
    /// Space-separated scopes (`openid` by default); never `national_id`.
    scope: Option<String>,
    /// `pairwise` (default) or `public`.
    subject_type: Option<String>,
    /// JWK Set URL for `private_key_jwt`.
    jwks_uri: Option<String>,
    /// Inline JWK Set for `private_key_jwt`.
    jwks: Option<Value>,
    /// Back-channel logout URI (https).
    backchannel_logout_uri: Option<String>,
    /// Whether authorization requests must be pushed (PAR).
    require_pushed_authorization_requests: Option<bool>,
}

/// A registration as DAN holds it (RFC 7591 3.2.1, RFC 7592 3).
#[derive(Object)]
#[oai(rename = "ClientInformation")]
#[allow(dead_code)] // A description: the domain writes the answer itself.
struct ClientInformation {
    /// The client id.
    client_id: String,
    /// The secret, in the registration answer only (and when a change of method made one).
    client_secret: Option<String>,
    /// 0: the secret does not expire.
    client_secret_expires_at: Option<i64>,
    /// When registered (seconds since the epoch), in the registration answer.
    client_id_issued_at: Option<i64>,
    /// The token for `registration_client_uri`.
    registration_access_token: Option<String>,
    /// Where the registration is read, replaced and deleted.
    registration_client_uri: Option<String>,
    /// The name in English (as `client_name#en`).
    client_name: Option<String>,
    /// The name in Mongolian.
    #[oai(rename = "client_name#mn")]
    client_name_mn: Option<String>,
    /// The name in English.
    #[oai(rename = "client_name#en")]
    client_name_en: Option<String>,
    /// Redirect URIs.
    redirect_uris: Option<Vec<String>>,
    /// Post-logout redirect URIs.
    post_logout_redirect_uris: Option<Vec<String>>,
    /// The client authentication method.
    token_endpoint_auth_method: Option<String>,
    /// Grant types.
    grant_types: Option<Vec<String>>,
    /// Response types.
    response_types: Option<Vec<String>>,
    /// Space-separated scopes.
    scope: Option<String>,
    /// `pairwise` or `public`.
    subject_type: Option<String>,
    /// Whether authorization requests must be pushed.
    require_pushed_authorization_requests: Option<bool>,
    /// JWK Set URL.
    jwks_uri: Option<String>,
    /// Inline JWK Set.
    jwks: Option<Value>,
    /// Back-channel logout URI.
    backchannel_logout_uri: Option<String>,
}

/// An error (RFC 7591 3.2.2, RFC 6750 3.1).
#[derive(Object)]
#[oai(rename = "RegistrationError")]
struct ErrorBody {
    /// `invalid_redirect_uri`, `invalid_client_metadata`, `invalid_software_statement`,
    /// `invalid_token`, `access_denied`, `invalid_request` or `temporarily_unavailable`.
    error: String,
    /// For people.
    error_description: Option<String>,
}

/// The request body: bytes for the registration domain, described as [`ClientMetadata`].
pub struct MetadataBody(Vec<u8>);

impl Payload for MetadataBody {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        content_type
            .split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
    }

    fn schema_ref() -> MetaSchemaRef {
        ClientMetadata::schema_ref()
    }

    fn register(registry: &mut Registry) {
        ClientMetadata::register(registry);
    }
}

impl ParsePayload for MetadataBody {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(body.take()?.into_vec().await?))
    }
}

/// Read whatever the `Content-Type` says (RFC 7591 asks for JSON; the domain refuses a body
/// that is not, as `invalid_client_metadata`), so every refusal is an RFC 7591 error.
impl<'a> ApiExtractor<'a> for MetadataBody {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        <Self as ParsePayload>::from_request(request, body).await
    }
}

/// A registration answer: the domain's JSON, described as [`ClientInformation`].
pub struct Information(Value);

impl Payload for Information {
    const CONTENT_TYPE: &'static str = "application/json";

    fn schema_ref() -> MetaSchemaRef {
        ClientInformation::schema_ref()
    }

    fn register(registry: &mut Registry) {
        ClientInformation::register(registry);
    }
}

impl IntoResponse for Information {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type("application/json")
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::PRAGMA, "no-cache")
            .body(self.0.to_string())
    }
}

/// An initial access token (`POST /register`) or a registration access token
/// (`/register/{client_id}`), as a Bearer token.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
struct RegistrationToken(Bearer);

/// 201 with the registration.
#[derive(ApiResponse)]
enum Registered {
    /// Registered; the secret and the registration access token are shown this once.
    #[oai(status = 201)]
    Created(Information),
}

/// 200 with the registration.
#[derive(ApiResponse)]
enum Current {
    /// The registration.
    #[oai(status = 200)]
    Registration(Information),
}

/// 204.
#[derive(ApiResponse)]
enum Deleted {
    /// Deleted: the client can no longer log citizens in or get tokens.
    #[oai(status = 204)]
    Deleted,
}

/// Every refusal.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "unreadable")]
enum Refused {
    /// The metadata or the request is not acceptable.
    #[oai(status = 400)]
    Invalid(Json<ErrorBody>),
    /// No token, or an unknown, expired, revoked or used-up one.
    #[oai(status = 401)]
    InvalidToken(Json<ErrorBody>, #[oai(header = "WWW-Authenticate")] String),
    /// The client holds a restricted scope: a security administrator changes it.
    #[oai(status = 403)]
    AccessDenied(Json<ErrorBody>),
    /// Another change came first: read again and retry.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// Storage is unavailable; nothing was written.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl From<RegistrationError> for Refused {
    fn from(error: RegistrationError) -> Self {
        let body = Json(ErrorBody {
            error: error.code().to_owned(),
            error_description: Some(error.to_string()),
        });
        match error.status() {
            401 => Self::InvalidToken(
                body,
                r#"Bearer realm="dan", error="invalid_token""#.to_owned(),
            ),
            403 => Self::AccessDenied(body),
            409 => Self::Conflict(body),
            503 => Self::Unavailable(body),
            _ => Self::Invalid(body),
        }
    }
}

/// A request poem-openapi could not read: no or a malformed token (401), or a body that is
/// not JSON (400 `invalid_client_metadata`).
fn unreadable(error: poem::Error) -> Refused {
    if error.status() == StatusCode::UNAUTHORIZED {
        return RegistrationError::InvalidToken.into();
    }
    RegistrationError::InvalidMetadata(format!("the request is not valid: {error}")).into()
}

/// The token, if one was presented: without one the domain refuses, and records the
/// refusal, as for a bad one (RFC 6750 3.1).
#[derive(SecurityScheme)]
enum Presented {
    /// A Bearer token.
    Token(RegistrationToken),
    /// None.
    #[oai(fallback)]
    Missing,
}

fn bearer(token: &Presented) -> Option<&str> {
    match token {
        Presented::Token(token) => Some(token.0.token.as_str()),
        Presented::Missing => None,
    }
}

/// The registration endpoints (the provider comes from the listener's data).
pub struct RegistrationApi;

#[OpenApi]
impl RegistrationApi {
    /// Registers a client on an initial access token an administrator issued (RFC 7591 3.1).
    #[oai(path = "/register", method = "post")]
    async fn register(
        &self,
        token: Presented,
        body: MetadataBody,
        provider: Data<&Arc<Provider>>,
    ) -> Result<Registered, Refused> {
        let registration = &provider.registrations;
        let document = registration.register(bearer(&token), &body.0).await?;
        Ok(Registered::Created(Information(document)))
    }

    /// Reads a registration with its registration access token (RFC 7592 2.1).
    #[oai(path = "/register/:client_id", method = "get")]
    async fn read(
        &self,
        token: Presented,
        client_id: Path<String>,
        provider: Data<&Arc<Provider>>,
    ) -> Result<Current, Refused> {
        let registration = &provider.registrations;
        let document = registration.read(&client_id.0, bearer(&token)).await?;
        Ok(Current::Registration(Information(document)))
    }

    /// Replaces a registration (RFC 7592 2.2): never the client id, never the secret (unless
    /// a new method needs one), never a restricted scope.
    #[oai(path = "/register/:client_id", method = "put")]
    async fn update(
        &self,
        token: Presented,
        client_id: Path<String>,
        body: MetadataBody,
        provider: Data<&Arc<Provider>>,
    ) -> Result<Current, Refused> {
        let registration = &provider.registrations;
        let document = registration
            .update(&client_id.0, bearer(&token), &body.0)
            .await?;
        Ok(Current::Registration(Information(document)))
    }

    /// Deletes a registration (RFC 7592 2.3).
    #[oai(path = "/register/:client_id", method = "delete")]
    async fn delete(
        &self,
        token: Presented,
        client_id: Path<String>,
        provider: Data<&Arc<Provider>>,
    ) -> Result<Deleted, Refused> {
        let registration = &provider.registrations;
        registration.delete(&client_id.0, bearer(&token)).await?;
        Ok(Deleted::Deleted)
    }
}

/// The registration endpoints and their document.
pub fn service() -> OpenApiService<RegistrationApi, ()> {
    OpenApiService::new(
        RegistrationApi,
        "DAN public API: dynamic client registration",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Agencies register their e-services with DAN under control: an administrator issues \
         an initial access token (admin API, `/initial-access-tokens`), the agency registers \
         with it (RFC 7591) and manages its registration with the registration access token \
         it receives (RFC 7592). The rest of DAN's public listener is the OpenID Connect \
         protocol, described by `/.well-known/openid-configuration`.",
    )
}

/// The registration endpoints as served: a 405 lists the methods the path has (RFC 9110
/// 15.5.6).
pub fn endpoint() -> impl poem::Endpoint {
    use poem::EndpointExt as _;
    service().around(|endpoint, request| async move {
        let allow = if request.uri().path() == "/register" {
            "POST"
        } else {
            "GET, PUT, DELETE"
        };
        let mut response = match endpoint.call(request).await {
            Ok(response) => response.into_response(),
            Err(error) => error.into_response(),
        };
        if response.status() == StatusCode::METHOD_NOT_ALLOWED {
            response
                .headers_mut()
                .insert(header::ALLOW, poem::http::HeaderValue::from_static(allow));
        }
        Ok::<_, poem::Error>(response)
    })
}

/// The OpenAPI document of the public listener's JSON API (committed as `openapi/idp.json`).
pub fn openapi_json() -> String {
    service().spec()
}
