//! DAN's token and revocation endpoints, through the `oauth2` crate that `openidconnect` is
//! built on: code exchange with the PKCE verifier, refresh, revocation, each with the client
//! authentication the e-service registered.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    ErrorResponse, ExtraTokenFields, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, StandardRevocableToken, StandardTokenResponse, TokenResponse as _, TokenUrl,
};
use serde::{Deserialize, Serialize};

use crate::http::{Fetch, read_capped};

use super::assertion::ASSERTION_TYPE;
use super::discovery::ProviderInfo;
use super::login::{Secret, Tokens};
use super::{ClientAuth, LoginError, RelyingPartyConfig};
use crate::jwt::unix_seconds;

/// The token response's OpenID Connect field, kept as the raw JWS for the SDK's own verifier.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub(crate) struct IdTokenField {
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type TokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// The largest token-endpoint or revocation answer read.
const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// Why the SDK's HTTP client for the `oauth2` crate failed: the message, without URLs.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct TransportError(String);

/// The SDK's client as the `oauth2` crate's HTTP client (owned: a `reqwest::Client` is a
/// shared handle, cheap to clone).
struct CappedClient(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for CappedClient {
    type Error = TransportError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, TransportError>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

/// Sends one `oauth2` request through the SDK's client (timeouts, no redirects) and reads the
/// answer capped, unlike the `oauth2` crate's own reqwest adapter, which reads it whole.
async fn send(
    http: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, TransportError> {
    let request = reqwest::Request::try_from(request)
        .map_err(|e| TransportError(e.without_url().to_string()))?;
    let response = http
        .execute(request)
        .await
        .map_err(|e| TransportError(e.without_url().to_string()))?;
    let mut builder = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = read_capped(response, MAX_TOKEN_RESPONSE_BYTES)
        .await
        .map_err(|failure| match failure {
            Fetch::Unavailable(reason) => TransportError(reason),
            Fetch::TooLarge => TransportError("the answer is larger than 64 KiB".to_owned()),
        })?;
    builder
        .body(body)
        .map_err(|_| TransportError("the answer's headers are unusable".to_owned()))
}

type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// One e-service's view of DAN's token endpoint.
pub(crate) struct TokenEndpoint<'a> {
    pub(crate) config: &'a RelyingPartyConfig,
    pub(crate) info: &'a ProviderInfo,
    pub(crate) http: &'a reqwest::Client,
}

impl TokenEndpoint<'_> {
    fn client(&self) -> OAuthClient {
        let client = oauth2::Client::new(ClientId::new(self.config.client_id.clone()))
            .set_token_uri(TokenUrl::from_url(self.info.token_endpoint.clone()));
        match &self.config.auth {
            ClientAuth::SecretBasic(secret) => client
                .set_client_secret(ClientSecret::new(secret.expose().to_owned()))
                .set_auth_type(AuthType::BasicAuth),
            ClientAuth::SecretPost(secret) => client
                .set_client_secret(ClientSecret::new(secret.expose().to_owned()))
                .set_auth_type(AuthType::RequestBody),
            // client_id travels in the body, with the assertion added per request.
            ClientAuth::PrivateKeyJwt(_) | ClientAuth::None => {
                client.set_auth_type(AuthType::RequestBody)
            }
        }
    }

    /// `client_assertion_type` and `client_assertion`, for `private_key_jwt` only.
    fn assertion(&self) -> Result<Option<[(&'static str, String); 2]>, LoginError> {
        let ClientAuth::PrivateKeyJwt(key) = &self.config.auth else {
            return Ok(None);
        };
        // The issuer, which DAN accepts at every endpoint (token, revocation, introspection),
        // as the OAuth working group now recommends over the endpoint URL (RFC 7523bis).
        let audience = self.info.issuer.as_str();
        let jwt = key.assertion(&self.config.client_id, audience, SystemTime::now())?;
        Ok(Some([
            ("client_assertion_type", ASSERTION_TYPE.to_owned()),
            ("client_assertion", jwt),
        ]))
    }

    /// Redeems a code (RFC 6749 4.1.3) with its PKCE verifier (RFC 7636 4.5).
    pub(crate) async fn exchange_code(
        &self,
        code: &str,
        verifier: &Secret,
    ) -> Result<Tokens, LoginError> {
        let redirect = RedirectUrl::new(self.config.redirect_uri.clone())
            .map_err(|_| LoginError::InvalidConfig("the redirect URI is not a URL"))?;
        let client = self.client();
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_owned()))
            .set_redirect_uri(Cow::Owned(redirect));
        for (name, value) in self.assertion()?.into_iter().flatten() {
            request = request.add_extra_param(name, value);
        }
        let response = request
            .request_async(&CappedClient(self.http.clone()))
            .await
            .map_err(token_error)?;
        Ok(issued(response))
    }

    /// Redeems a refresh token (RFC 6749 6); DAN rotates it, so the old one is spent.
    pub(crate) async fn refresh(&self, refresh_token: &Secret) -> Result<Tokens, LoginError> {
        let client = self.client();
        let token = RefreshToken::new(refresh_token.expose().to_owned());
        let mut request = client.exchange_refresh_token(&token);
        for (name, value) in self.assertion()?.into_iter().flatten() {
            request = request.add_extra_param(name, value);
        }
        let response = request
            .request_async(&CappedClient(self.http.clone()))
            .await
            .map_err(token_error)?;
        Ok(issued(response))
    }

    /// Revokes a token (RFC 7009 2.1) with its type hint. DAN answers 200 for tokens it
    /// does not know, too. (Sent directly rather than through the `oauth2` crate, which
    /// refuses a development issuer's `http` revocation endpoint.)
    pub(crate) async fn revoke(&self, token: &Secret, hint: &str) -> Result<(), LoginError> {
        let Some(endpoint) = &self.info.revocation_endpoint else {
            return Err(LoginError::BadDiscovery(
                "it has no revocation_endpoint".to_owned(),
            ));
        };
        let mut form = vec![
            ("token", token.expose().to_owned()),
            ("token_type_hint", hint.to_owned()),
        ];
        let client_id = self.config.client_id.clone();
        let mut request = self.http.post(endpoint.clone());
        match &self.config.auth {
            ClientAuth::SecretBasic(secret) => {
                // RFC 6749 2.3.1: both parts form-encoded before Basic encoding.
                let encode = |v: &str| {
                    url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                };
                request = request.basic_auth(encode(&client_id), Some(encode(secret.expose())));
            }
            ClientAuth::SecretPost(secret) => {
                form.push(("client_id", client_id));
                form.push(("client_secret", secret.expose().to_owned()));
            }
            ClientAuth::PrivateKeyJwt(_) | ClientAuth::None => {
                form.push(("client_id", client_id));
                form.extend(self.assertion()?.into_iter().flatten());
            }
        }
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| LoginError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if status.is_server_error() {
            return Err(LoginError::Unavailable(format!(
                "revocation: HTTP status {status}"
            )));
        }
        let body = read_capped(response, MAX_TOKEN_RESPONSE_BYTES)
            .await
            .unwrap_or_default();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        Err(LoginError::Token {
            error: body["error"].as_str().unwrap_or("unknown").to_owned(),
            description: body["error_description"].as_str().map(str::to_owned),
        })
    }
}

fn issued(response: TokenResponse) -> Tokens {
    let now = unix_seconds(SystemTime::now());
    Tokens {
        access_token: Secret::new(response.access_token().secret().clone()),
        refresh_token: response
            .refresh_token()
            .map(|t| Secret::new(t.secret().clone())),
        id_token: response.extra_fields().id_token.clone().map(Secret::new),
        expires_at: response
            .expires_in()
            .map(|d| now.saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))),
        scopes: response
            .scopes()
            .map(|scopes| scopes.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    }
}

/// Maps the `oauth2` crate's errors: DAN's OAuth errors keep their code; transport failures
/// and 5xx are [`LoginError::Unavailable`]; anything unreadable is a bad response.
fn token_error<T: ErrorResponse + 'static>(
    error: RequestTokenError<TransportError, T>,
) -> LoginError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let value = serde_json::to_value(&response).unwrap_or_default();
            let error = value["error"].as_str().unwrap_or("unknown").to_owned();
            // DAN's 500 and 503 answers (RFC 6749 4.1.2.1): try again later, not a refusal.
            // The `oauth2` crate does not pass the status on, so the code decides.
            if error == "server_error" || error == "temporarily_unavailable" {
                return LoginError::Unavailable(format!("the token endpoint answered {error}"));
            }
            LoginError::Token {
                error,
                description: value["error_description"].as_str().map(str::to_owned),
            }
        }
        RequestTokenError::Request(failure) => LoginError::Unavailable(failure.0),
        RequestTokenError::Parse(failure, _) => {
            LoginError::BadResponse(format!("the token response is malformed: {failure}"))
        }
        RequestTokenError::Other(reason) => LoginError::Unavailable(reason),
    }
}
