//! The SDK's HTTP client and capped downloads: DAN's answers are small, so a huge one is
//! refused before it is read into memory.

use std::time::Duration;

use reqwest::header::{ACCEPT, CACHE_CONTROL};

/// How long one request to DAN may take.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// The client every SDK request goes through: timeouts, and no redirects (a redirect from an
/// endpoint of DAN's would be a misconfiguration or an attack, never something to follow).
pub(crate) fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Why a capped download failed.
pub(crate) enum Fetch {
    /// No answer, a transport error, or a status other than 2xx.
    Unavailable(String),
    /// The body is longer than the limit.
    TooLarge,
}

/// GETs `uri` and reads at most `limit` bytes of its body; returns the body and the
/// `Cache-Control` header.
pub(crate) async fn get_capped(
    http: &reqwest::Client,
    uri: &str,
    accept: &str,
    limit: usize,
) -> Result<(Vec<u8>, Option<String>), Fetch> {
    let unavailable = |e: reqwest::Error| Fetch::Unavailable(e.without_url().to_string());
    let mut response = http
        .get(uri)
        .header(ACCEPT, accept)
        .send()
        .await
        .map_err(unavailable)?;
    let status = response.status();
    if !status.is_success() {
        return Err(Fetch::Unavailable(format!("HTTP status {status}")));
    }
    let cache_control = response
        .headers()
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(Fetch::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unavailable)? {
        if body.len() + chunk.len() > limit {
            return Err(Fetch::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, cache_control))
}
