//! A poem extractor for bearer tokens (RFC 6750), behind the `poem` feature.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use poem::{FromRequest, Request, RequestBody, Response};

use super::{AccessToken, ResourceServer, VerifyError};

/// A verified access token taken from `Authorization: Bearer` (RFC 6750 2.1).
///
/// The [`ResourceServer`] comes from the request data: add it to the route with
/// `.data(Arc::new(server))`. A request without a token is answered 401 with
/// `WWW-Authenticate: Bearer`; a refused token 401 with `error="invalid_token"`, or 403 with
/// `error="insufficient_scope"` (RFC 6750 3.1); a JWKS that cannot be fetched 503.
///
/// ```no_run
/// use std::sync::Arc;
/// use dan_sdk::resource_server::{Bearer, ResourceServer, ResourceServerConfig};
/// use poem::{EndpointExt, Route, get, handler};
///
/// #[handler]
/// fn me(Bearer(token): Bearer) -> String {
///     token.sub
/// }
///
/// # fn build() -> Result<(), dan_sdk::resource_server::VerifyError> {
/// let config = ResourceServerConfig::new("https://dan.example", "https://api.example");
/// let app = Route::new()
///     .at("/me", get(me))
///     .data(Arc::new(ResourceServer::new(config)?));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Bearer(pub AccessToken);

impl<'a> FromRequest<'a> for Bearer {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let Some(server) = request.data::<Arc<ResourceServer>>() else {
            return Err(plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "no resource server",
            ));
        };
        let token = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            // RFC 6750 3.1: no error code when the request has no token at all.
            return Err(challenge(StatusCode::UNAUTHORIZED, "Bearer".to_owned()));
        };
        match server.verify(token).await {
            Ok(access) => Ok(Self(access)),
            Err(error) => Err(refusal(&error, &server.config().required_scopes)),
        }
    }
}

fn refusal(error: &VerifyError, required_scopes: &[String]) -> poem::Error {
    let Some((status, code)) = error.bearer_error() else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "cannot verify tokens now");
    };
    let description: String = error
        .to_string()
        .chars()
        .map(|c| if c == '"' || c == '\\' { '\'' } else { c })
        .collect();
    let mut value = format!(r#"Bearer error="{code}", error_description="{description}""#);
    if matches!(error, VerifyError::InsufficientScope { .. }) {
        value.push_str(&format!(r#", scope="{}""#, required_scopes.join(" ")));
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
    challenge(status, value)
}

fn challenge(status: StatusCode, value: String) -> poem::Error {
    poem::Error::from_response(
        Response::builder()
            .status(status)
            .header(WWW_AUTHENTICATE, value)
            .finish(),
    )
}

fn plain(status: StatusCode, text: &'static str) -> poem::Error {
    poem::Error::from_response(Response::builder().status(status).body(text))
}

#[cfg(test)]
mod tests {
    use super::super::ResourceServerConfig;
    use super::*;

    async fn answer(authorization: Option<&str>) -> Response {
        let config = ResourceServerConfig::new("https://dan.example", "api").require_scope("read");
        let server = ResourceServer::with_jwks(config, r#"{"keys": []}"#).unwrap();
        let mut builder = Request::builder();
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value);
        }
        let mut request = builder.finish();
        request.extensions_mut().insert(Arc::new(server));
        Bearer::from_request_without_body(&request)
            .await
            .unwrap_err()
            .into_response()
    }

    fn www_authenticate(response: &Response) -> &str {
        response.headers()[WWW_AUTHENTICATE].to_str().unwrap()
    }

    #[tokio::test]
    async fn missing_token_is_challenged_without_error_code_rfc6750_3_1() {
        let response = answer(None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(www_authenticate(&response), "Bearer");
        let response = answer(Some("Basic abc")).await;
        assert_eq!(www_authenticate(&response), "Bearer");
    }

    #[tokio::test]
    async fn refused_token_is_invalid_token_rfc6750_3_1() {
        let response = answer(Some("Bearer not.a.token")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(www_authenticate(&response).starts_with(r#"Bearer error="invalid_token""#));
    }

    #[test]
    fn missing_scope_is_403_with_the_scope_rfc6750_3_1() {
        let error = VerifyError::InsufficientScope {
            missing: vec!["read".into()],
        };
        let response = refusal(&error, &["read".into()]).into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let value = www_authenticate(&response);
        assert!(value.starts_with(r#"Bearer error="insufficient_scope""#));
        assert!(value.ends_with(r#"scope="read""#));
    }
}
