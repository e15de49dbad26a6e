//! The SDK's HTTP client and capped reads: DAN's answers are small, so a body is read as a
//! stream and refused as soon as it passes its limit, never held whole in memory first.

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

/// Whether the SDK may talk to DAN at `url`: `https`, or plain `http` only on a loopback host
/// (a development DAN on the same machine), never across a network.
pub(crate) fn is_trusted_transport(url: &url::Url) -> bool {
    match (url.scheme(), url.host()) {
        ("https", Some(_)) => true,
        ("http", Some(url::Host::Domain(name))) => name.eq_ignore_ascii_case("localhost"),
        ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        _ => false,
    }
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
    let response = http
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
    let body = read_capped(response, limit).await?;
    Ok((body, cache_control))
}

/// Reads a response's body, at most `limit` bytes: a `Content-Length` above it is refused
/// before reading, and a longer stream as soon as it passes the limit.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, Fetch> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(Fetch::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Fetch::Unavailable(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > limit {
            return Err(Fetch::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_trusted_on_loopback_only() {
        let trusted = |u: &str| is_trusted_transport(&url::Url::parse(u).unwrap());
        assert!(trusted("https://dan.gov.mn"));
        assert!(trusted("http://127.0.0.1:8080"));
        assert!(trusted("http://[::1]:8080"));
        assert!(trusted("http://localhost:8080"));
        assert!(!trusted("http://dan.gov.mn"));
        assert!(!trusted("http://10.0.0.5:8080"));
        assert!(!trusted("ftp://dan.gov.mn"));
    }
}
