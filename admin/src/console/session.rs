//! Console sessions: a random cookie, its SHA-256 digest as the key of the session's state in
//! the short-lived store every node shares, a CSRF token per session, and short lifetimes.
//!
//! - The cookie (`dan_console`) is `HttpOnly`, `SameSite=Strict`, limited to `/console`, and
//!   `Secure` unless the deployment runs on plain http for development.
//! - A session lasts 15 minutes without a request and one hour at most; every request checks
//!   again that the API token it was opened with is live and its account enabled, so revoking
//!   the token or disabling the account ends the session at once.
//! - Signing in makes a new session id (no fixation); signing out deletes the state.
//! - Every form carries the session's CSRF token (synchronizer token pattern), compared in
//!   constant time; the sign-in form, which has no session yet, uses a double-submit cookie.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use poem::Request;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The session cookie.
pub(crate) const COOKIE: &str = "dan_console";
/// The sign-in form's double-submit cookie.
pub(crate) const LOGIN_COOKIE: &str = "dan_console_login";
/// The language cookie.
pub(crate) const LANG_COOKIE: &str = "dan_console_lang";
/// The path every console cookie is limited to.
pub(crate) const PATH: &str = "/console";
/// How long a session lives without a request.
pub(crate) const IDLE: Duration = Duration::from_secs(15 * 60);
/// How long a session lives at most.
pub(crate) const ABSOLUTE: Duration = Duration::from_secs(60 * 60);
/// How far behind another node's clock a node may be, in seconds.
const CLOCK_SKEW: i64 = 60;

/// What the store keeps of a session (no token, only the token's public id).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SessionState {
    /// The admin account.
    pub admin: String,
    /// The public id of the API token the session was opened with.
    pub token_id: String,
    /// The CSRF token of every form of this session.
    pub csrf: String,
    /// When it was opened, Unix seconds.
    pub started: i64,
}

impl SessionState {
    /// Whether the session is past its absolute lifetime at `now` (Unix seconds), or started
    /// later than a minute from `now` (a clock gone back; nodes' clocks may differ a little).
    pub(crate) fn expired(&self, now: i64) -> bool {
        now.saturating_sub(self.started) >= ABSOLUTE.as_secs() as i64
            || now.saturating_add(CLOCK_SKEW) < self.started
    }
}

/// 32 random bytes, base64url: a session id or a CSRF token.
pub(crate) fn random_token() -> Option<String> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// The store key of a session cookie: its digest, so the store never holds a usable cookie.
pub(crate) fn store_key(cookie: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(cookie.as_bytes()))
}

/// Whether two tokens are equal, in constant time (and not empty).
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A cookie's value from the request (the first of that name).
pub(crate) fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value limited to the console; `max_age` `None` deletes the cookie.
pub(crate) fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<Duration>,
    secure: bool,
) -> String {
    let age = max_age.map_or(0, |d| d.as_secs());
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={PATH}; Max-Age={age}; HttpOnly; SameSite=Strict{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_by_value_and_never_empty() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
        assert!(!same_token("", ""));
        let a = random_token().expect("randomness");
        let b = random_token().expect("randomness");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_ne!(store_key(&a), a);
    }

    #[test]
    fn sessions_end_after_an_hour_or_when_the_clock_went_far_back() {
        let state = SessionState {
            admin: "a".into(),
            token_id: "t".into(),
            csrf: "c".into(),
            started: 1_000,
        };
        assert!(!state.expired(1_000 + 3_599));
        assert!(state.expired(1_000 + 3_600));
        assert!(
            !state.expired(1_000 - 60),
            "another node's clock a minute behind"
        );
        assert!(state.expired(1_000 - 61));
    }

    #[test]
    fn cookies_are_read_by_exact_name_and_written_strict() {
        let request = Request::builder()
            .header("cookie", "dan_console_lang=en; dan_console=xyz")
            .finish();
        assert_eq!(cookie(&request, COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&request, LANG_COOKIE).as_deref(), Some("en"));
        assert_eq!(cookie(&request, "dan"), None);
        let set = set_cookie(COOKIE, "v", Some(IDLE), true);
        assert_eq!(
            set,
            "dan_console=v; Path=/console; Max-Age=900; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(set_cookie(COOKIE, "", None, false).contains("Max-Age=0"));
    }
}
