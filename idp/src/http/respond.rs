//! Mapping results to HTTP once: OAuth JSON errors (RFC 6749 5.2), pages for people, the
//! authorization response (redirect or form post), cookies and request parameters.

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Body, Request, Response};

use crate::authorize::Params;
use crate::oauth::{ErrorCode, OAuthError};
use crate::pages::{self, Page};
use crate::provider::AuthResponse;

/// The browser-binding cookie of login transactions.
pub const BROWSER_COOKIE: &str = "dan_browser";
/// The SSO session cookie.
pub const SESSION_COOKIE: &str = "dan_session";
/// The language chosen with the switch on the login pages.
pub const LANG_COOKIE: &str = "dan_lang";

/// A JSON body with `Cache-Control: no-store` (RFC 6749 5.1).
pub fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::PRAGMA, "no-cache")
        .body(body.to_string())
}

/// An OAuth error as JSON. `invalid_client` carries `WWW-Authenticate` (RFC 6749 5.2).
pub fn oauth_error(error: &OAuthError) -> Response {
    let status = StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json(
        status,
        &serde_json::json!({
            "error": error.code.as_str(),
            "error_description": error.description,
        }),
    );
    let challenge = match error.code {
        ErrorCode::InvalidClient => Some(r#"Basic realm="dan""#.to_owned()),
        ErrorCode::InvalidToken | ErrorCode::InsufficientScope => Some(format!(
            r#"Bearer realm="dan", error="{}""#,
            error.code.as_str()
        )),
        _ => None,
    };
    if let Some(challenge) = challenge
        && let Ok(value) = HeaderValue::from_str(&challenge)
    {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    if error.code == ErrorCode::SlowDown {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    response
}

/// A page for people, with its own Content-Security-Policy.
pub fn page(page: Page) -> Response {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK);
    let mut builder = Response::builder()
        .status(status)
        .content_type(pages::CONTENT_TYPE)
        .header(header::CACHE_CONTROL, "no-store");
    if let Ok(csp) = HeaderValue::from_str(&page.csp) {
        builder = builder.header(header::CONTENT_SECURITY_POLICY, csp);
    }
    builder.body(page.html)
}

/// The authorization response: a 303 redirect (query mode) or an auto-submitted form.
pub fn authorization_response(response: &AuthResponse) -> Response {
    match response.mode {
        crate::authorize::ResponseMode::Query => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, response.location())
            .body(Body::empty()),
        crate::authorize::ResponseMode::FormPost => {
            let fields: Vec<(&str, &str)> = response
                .params
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let mut response = page(pages::form_post(&response.redirect_uri, &fields));
            // The post should carry our origin, not `null`.
            response
                .headers_mut()
                .insert(header::REFERRER_POLICY, HeaderValue::from_static("origin"));
            response
        }
    }
}

/// A 303 to `location`.
pub fn see_other(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .body(Body::empty())
}

/// The name a cookie is sent under: with the `__Host-` prefix when cookies are `Secure`, so
/// that no other site under the same parent domain can set or overwrite it (RFC 6265bis
/// 4.1.3.2).
fn cookie_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// The value of cookie `name` (under its `__Host-` name when `secure`).
pub fn cookie<'a>(request: &'a Request, name: &str, secure: bool) -> Option<&'a str> {
    let name = cookie_name(name, secure);
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// Adds a `Set-Cookie`: HttpOnly, SameSite=Lax, Path=/, and `Secure` with the `__Host-`
/// prefix unless `secure` is off (development over plain http); `max_age` None for a
/// browser-session cookie, Some(0) to delete.
pub fn set_cookie(
    response: &mut Response,
    name: &str,
    value: &str,
    secure: bool,
    max_age: Option<u64>,
) {
    let mut cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax",
        cookie_name(name, secure)
    );
    if secure {
        cookie.push_str("; Secure");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// The parameters of a request: the query (GET) or the form body (POST, which must be
/// `application/x-www-form-urlencoded`).
pub async fn params(request: &Request, body: Body) -> Result<Params, OAuthError> {
    if request.method() == poem::http::Method::POST {
        let bytes = body
            .into_bytes()
            .await
            .map_err(|_| OAuthError::invalid_request("the body could not be read"))?;
        let form = request
            .content_type()
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        // An empty POST (userinfo with only a bearer header, OpenID Connect Core 5.3.1) has
        // no parameters; any other body must be a form.
        if bytes.is_empty() {
            return Ok(Params::default());
        }
        if !form {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        Params::parse(&bytes)
    } else {
        Params::parse(request.uri().query().unwrap_or_default().as_bytes())
    }
}

/// The client's IP address, for rate limits: the peer, or — when the peer is one of the
/// `trusted` proxies — the rightmost `X-Forwarded-For` entry that is not itself trusted.
pub fn client_ip(request: &Request, trusted: &[std::net::IpAddr]) -> String {
    let Some(peer) = request.remote_addr().as_socket_addr().map(|a| a.ip()) else {
        return "unknown".to_owned();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse::<std::net::IpAddr>().ok())
        .rfind(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
        .to_string()
}
