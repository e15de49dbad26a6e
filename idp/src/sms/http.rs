//! The production adapter: POSTs each message to an SMS provider's HTTP API, retrying
//! timeouts, connection failures, 5xx and 429 with exponential backoff.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use url::Url;

use super::template::{self, Encoding};
use super::{SmsError, SmsGateway, SmsMessage};

/// How to reach the SMS provider.
///
/// `Debug` shows neither the `Authorization` value, nor the URL's path and query, nor the body
/// template: any of them may carry the provider's credentials.
#[derive(Clone)]
pub struct HttpGatewayConfig {
    /// Where to POST each message.
    pub url: Url,
    /// The full `Authorization` header value, e.g. `Bearer abc`; never printed.
    pub auth_header: Option<String>,
    /// The request body, with `{to}` and `{text}` placeholders, e.g.
    /// `{"to":"{to}","message":"{text}"}`. Values are escaped for `content_type`.
    pub body_template: String,
    /// `application/json` (or any `+json` type) or `application/x-www-form-urlencoded`.
    pub content_type: String,
    /// Limit on each attempt, from connecting to reading the status.
    pub timeout: Duration,
    /// Extra attempts after the first.
    pub retries: u32,
    /// The wait before the first retry, doubled before each further one.
    pub backoff: Duration,
}

impl HttpGatewayConfig {
    /// The default content type.
    pub const DEFAULT_CONTENT_TYPE: &str = "application/json";

    /// A configuration with defaults: JSON, 10 s timeout, 2 retries from a 500 ms backoff.
    pub fn new(url: Url, body_template: impl Into<String>) -> Self {
        Self {
            url,
            auth_header: None,
            body_template: body_template.into(),
            content_type: Self::DEFAULT_CONTENT_TYPE.to_owned(),
            timeout: Duration::from_secs(10),
            retries: 2,
            backoff: Duration::from_millis(500),
        }
    }

    /// Refuses a configuration that could not deliver: a template without `{text}`, a content
    /// type whose values cannot be escaped, a non-HTTP URL, a zero timeout, or header values
    /// HTTP does not allow.
    pub fn check(&self) -> Result<(), SmsError> {
        self.prepare().map(|_| ())
    }

    /// Checks everything and returns what each request needs.
    fn prepare(&self) -> Result<(Encoding, HeaderMap), SmsError> {
        template::check(&self.body_template)?;
        let encoding = Encoding::for_content_type(&self.content_type)?;
        if !matches!(self.url.scheme(), "http" | "https") || self.url.host_str().is_none() {
            return Err(SmsError::Config(format!(
                "the provider URL must be http or https with a host, not {}",
                origin(&self.url)
            )));
        }
        if self.timeout.is_zero() {
            return Err(SmsError::Config(
                "the timeout must be above zero".to_owned(),
            ));
        }
        let mut headers = HeaderMap::new();
        let content_type = HeaderValue::from_str(&self.content_type).map_err(|_| {
            SmsError::Config("the content type is not a valid header value".to_owned())
        })?;
        headers.insert(CONTENT_TYPE, content_type);
        if let Some(auth) = &self.auth_header {
            let mut auth = HeaderValue::from_str(auth).map_err(|_| {
                SmsError::Config("the Authorization value is not a valid header value".to_owned())
            })?;
            auth.set_sensitive(true);
            headers.insert(AUTHORIZATION, auth);
        }
        Ok((encoding, headers))
    }
}

impl fmt::Debug for HttpGatewayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpGatewayConfig")
            .field("url", &origin(&self.url))
            .field("auth_header", &self.auth_header.as_ref().map(|_| "…"))
            .field(
                "body_template",
                &format_args!("<{} bytes>", self.body_template.len()),
            )
            .field("content_type", &self.content_type)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// `scheme://host[:port]`, with no credentials, path or query.
fn origin(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// Delivers messages through an SMS provider's HTTP API.
pub struct HttpGateway {
    client: reqwest::Client,
    url: Url,
    headers: HeaderMap,
    encoding: Encoding,
    body_template: String,
    retries: u32,
    backoff: Duration,
    origin: String,
}

/// What one attempt came to.
enum Attempt {
    Delivered,
    /// A status that retrying will not change.
    Rejected(u16),
    /// Worth another try; names only the kind of failure.
    Failed(String),
}

impl HttpGateway {
    /// A gateway for `config`, after [`HttpGatewayConfig::check`].
    pub fn new(config: HttpGatewayConfig) -> Result<Self, SmsError> {
        let (encoding, headers) = config.prepare()?;
        // No redirects: a POST turned into a GET elsewhere is not a delivery.
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| SmsError::Config("the HTTP client could not be built".to_owned()))?;
        Ok(Self {
            client,
            origin: origin(&config.url),
            url: config.url,
            headers,
            encoding,
            body_template: config.body_template,
            retries: config.retries,
            backoff: config.backoff,
        })
    }

    async fn attempt(&self, body: String) -> Attempt {
        let response = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await;
        match response {
            Ok(response) => {
                let status = response.status();
                if status.is_success() {
                    Attempt::Delivered
                } else if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                    Attempt::Failed(format!("status {}", status.as_u16()))
                } else {
                    Attempt::Rejected(status.as_u16())
                }
            }
            // The error's own text names the URL, which may carry credentials: keep the kind.
            Err(error) if error.is_timeout() => Attempt::Failed("timeout".to_owned()),
            Err(error) if error.is_connect() => Attempt::Failed("connection failed".to_owned()),
            Err(_) => Attempt::Failed("request failed".to_owned()),
        }
    }
}

impl fmt::Debug for HttpGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpGateway")
            .field("origin", &self.origin)
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl SmsGateway for HttpGateway {
    async fn send(&self, message: &SmsMessage) -> Result<(), SmsError> {
        let body = template::render(
            &self.body_template,
            self.encoding,
            &message.to,
            &message.text,
        );
        let attempts = self.retries.saturating_add(1);
        let mut backoff = self.backoff;
        let mut last_failure = String::new();
        for attempt in 1..=attempts {
            match self.attempt(body.clone()).await {
                Attempt::Delivered => return Ok(()),
                Attempt::Rejected(status) => {
                    tracing::warn!(gateway = %self.origin, attempt, status, "SMS provider rejected the message");
                    return Err(SmsError::Rejected { status });
                }
                Attempt::Failed(kind) => {
                    tracing::warn!(gateway = %self.origin, attempt, attempts, failure = %kind, "SMS delivery attempt failed");
                    last_failure = kind;
                }
            }
            if attempt < attempts {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
        }
        Err(SmsError::Unavailable(format!(
            "{attempts} attempt(s) failed, the last with {last_failure}"
        )))
    }

    fn describe(&self) -> String {
        format!("http {}", self.origin)
    }
}

#[cfg(test)]
mod tests;
