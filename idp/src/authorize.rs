//! Authorization requests (RFC 6749 4.1.1, OpenID Connect Core 3.1.2.1, RFC 7636, RFC 9126):
//! parsing and validating the parameters into an [`AuthRequest`] that the rest of the login
//! trusts.
//!
//! Validation runs in the order the specifications require: first what decides whether an
//! error may be sent back to the client at all (the client and its exact redirect URI); those
//! failures are [`Rejection::Page`] and are shown to the person, never redirected. Every later
//! problem is a [`Rejection::Redirect`] carrying an OAuth error for the registered redirect URI.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::citizens::RegistryNumber;
use crate::clients::{Client, GrantType};
use crate::oauth::{ErrorCode, OAuthError};

/// The largest value of any one parameter (`state` included); larger requests are refused.
pub const MAX_PARAM_BYTES: usize = 2048;
/// The most parameters one request may carry.
pub const MAX_PARAMS: usize = 40;

/// The levels of assurance, lowest first (ARCHITECTURE.md).
pub const LEVELS: [&str; 3] = ["low", "substantial", "high"];

/// The scopes DAN knows. `national_id` is restricted: only clients an administrator granted it
/// may ask for it.
pub const SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "phone",
    "address",
    "email",
    "national_id",
];

/// One scope of the catalogue: the claims it releases (`user_claims` releases exactly these),
/// and whether it is restricted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeInfo {
    /// The scope.
    pub name: &'static str,
    /// The claims it releases.
    pub claims: &'static [&'static str],
    /// Only a security administrator grants it, with a reason.
    pub restricted: bool,
    /// In plain words.
    pub description: &'static str,
}

/// The scope catalogue, in [`SCOPES`] order.
pub const CATALOGUE: [ScopeInfo; 6] = [
    ScopeInfo {
        name: "openid",
        claims: &["sub"],
        restricted: false,
        description: "log the citizen in; a pairwise identifier",
    },
    ScopeInfo {
        name: "profile",
        claims: &["name", "given_name", "family_name", "birthdate", "gender"],
        restricted: false,
        description: "names, birth date and gender from the civil registry",
    },
    ScopeInfo {
        name: "phone",
        claims: &["phone_number", "phone_number_verified"],
        restricted: false,
        description: "the phone number held in the civil registry",
    },
    ScopeInfo {
        name: "address",
        claims: &["address"],
        restricted: false,
        description: "the registered address",
    },
    ScopeInfo {
        name: "email",
        claims: &["email", "email_verified"],
        restricted: false,
        description: "the e-mail address, when the registry has one",
    },
    ScopeInfo {
        name: "national_id",
        claims: &["national_id"],
        restricted: true,
        description: "the registry number itself; only for services that must have it",
    },
];

/// Request or form parameters, each at most once (RFC 6749 3.1: "MUST NOT be included more
/// than once").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params(pub BTreeMap<String, String>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes (a query string or a form body).
    pub fn parse(encoded: &[u8]) -> Result<Self, OAuthError> {
        let mut map = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(encoded) {
            if map.len() >= MAX_PARAMS {
                return Err(OAuthError::invalid_request("too many parameters"));
            }
            if value.len() > MAX_PARAM_BYTES {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {} is longer than {MAX_PARAM_BYTES} bytes",
                    short(&name)
                )));
            }
            if map.insert(name.to_string(), value.to_string()).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {} appears more than once",
                    short(&name)
                )));
            }
        }
        Ok(Self(map))
    }

    /// A parameter; an empty value counts as absent (RFC 6749 3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

fn short(name: &str) -> String {
    name.chars().take(32).collect()
}

/// How the authorization response travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    /// In the redirect URI's query.
    Query,
    /// In an auto-submitted form (OAuth 2.0 Form Post Response Mode).
    FormPost,
}

/// `prompt` (OpenID Connect Core 3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// `none`: no page may be shown.
    pub none: bool,
    /// `login`: authenticate again.
    pub login: bool,
    /// `consent`: ask for consent again.
    pub consent: bool,
}

/// A validated authorization request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    /// The client.
    pub client_id: String,
    /// The registered redirect URI it named.
    pub redirect_uri: String,
    /// How to respond.
    pub response_mode: ResponseMode,
    /// Scopes asked for, deduplicated, in request order.
    pub scopes: Vec<String>,
    /// Opaque client state, returned as is.
    pub state: Option<String>,
    /// Replay protection for the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// `prompt`.
    pub prompt: Prompt,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// `login_hint`, when it is a valid registry number (normalized).
    pub login_hint: Option<String>,
    /// The lowest level acceptable: from an essential `acr` claim (enforced) or `acr_values`.
    pub acr: Option<String>,
    /// Whether `acr` is essential (the `claims` parameter): unmet, the login fails.
    pub acr_essential: bool,
    /// The essential `acr` values listed (known levels only; empty when any level at or above
    /// `acr` will do). The ID token's `acr` must be one of them (OpenID Connect Core 5.5.1.1).
    #[serde(default)]
    pub acr_allowed: Vec<String>,
    /// `ui_locales`.
    pub ui_locales: Option<String>,
}

/// Why a request was refused, and how the refusal must travel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Shown to the person: the client or redirect URI cannot be trusted.
    Page(PageError),
    /// Sent to the client's registered redirect URI.
    Redirect {
        /// Where.
        redirect_uri: String,
        /// How.
        response_mode: ResponseMode,
        /// The client's state, echoed.
        state: Option<String>,
        /// The error.
        error: OAuthError,
    },
}

/// Refusals that cannot be redirected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// No or unknown `client_id`.
    UnknownClient,
    /// The client is disabled.
    DisabledClient,
    /// No or unregistered `redirect_uri`.
    BadRedirectUri,
    /// A malformed request (duplicate or oversized parameter) before the redirect URI could be
    /// trusted.
    BadRequest(String),
}

impl AuthRequest {
    /// The first checks: the redirect URI must be registered for `client`, exactly.
    pub fn trusted_redirect(params: &Params, client: &Client) -> Result<String, PageError> {
        if !client.enabled {
            return Err(PageError::DisabledClient);
        }
        let uri = params
            .get("redirect_uri")
            .ok_or(PageError::BadRedirectUri)?;
        if client.redirect_uris.iter().any(|r| r.matches(uri)) {
            Ok(uri.to_owned())
        } else {
            Err(PageError::BadRedirectUri)
        }
    }

    /// Validates every parameter for `client`. `via_par` says whether the parameters came
    /// from a pushed authorization request.
    pub fn validate(params: &Params, client: &Client, via_par: bool) -> Result<Self, Rejection> {
        let redirect_uri = Self::trusted_redirect(params, client).map_err(Rejection::Page)?;
        let state = params.get("state").map(str::to_owned);
        let response_mode = match params.get("response_mode") {
            None | Some("query") => ResponseMode::Query,
            Some("form_post") => ResponseMode::FormPost,
            Some(_) => ResponseMode::Query,
        };
        let fail = |code: ErrorCode, why: &str| Rejection::Redirect {
            redirect_uri: redirect_uri.clone(),
            response_mode,
            state: state.clone(),
            error: OAuthError::new(code, why),
        };
        if let Some(mode) = params.get("response_mode")
            && !matches!(mode, "query" | "form_post")
        {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "response_mode must be query or form_post",
            ));
        }
        if client.require_par && !via_par {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "this client must use pushed authorization requests (RFC 9126)",
            ));
        }
        if params.get("request").is_some() {
            return Err(Rejection::Redirect {
                redirect_uri: redirect_uri.clone(),
                response_mode,
                state: state.clone(),
                error: OAuthError::new(
                    ErrorCode::InvalidRequest,
                    "request objects are not supported; use PAR",
                ),
            });
        }
        match params.get("response_type") {
            Some("code") => {}
            None => return Err(fail(ErrorCode::InvalidRequest, "response_type is missing")),
            Some(_) => {
                return Err(fail(
                    ErrorCode::UnsupportedResponseType,
                    "only response_type=code is supported",
                ));
            }
        }
        if !client.grant_types.contains(&GrantType::AuthorizationCode) {
            return Err(fail(
                ErrorCode::UnauthorizedClient,
                "this client may not use the authorization code flow",
            ));
        }
        let mut scopes: Vec<String> = Vec::new();
        for scope in params.get("scope").unwrap_or_default().split(' ') {
            if !scope.is_empty() && !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        if !scopes.iter().any(|s| s == "openid") {
            return Err(fail(
                ErrorCode::InvalidScope,
                "the openid scope is required",
            ));
        }
        if let Some(unknown) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
            return Err(fail(
                ErrorCode::InvalidScope,
                &format!("unknown scope {}", short(unknown)),
            ));
        }
        if let Some(denied) = scopes.iter().find(|s| !client.allowed_scopes.contains(s)) {
            return Err(fail(
                ErrorCode::InvalidScope,
                &format!("this client may not ask for scope {denied}"),
            ));
        }
        let code_challenge = match (
            params.get("code_challenge"),
            params.get("code_challenge_method"),
        ) {
            (None, _) => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "code_challenge is required (PKCE, RFC 7636)",
                ));
            }
            (Some(_), Some("S256")) => params.get("code_challenge").unwrap_or_default(),
            (Some(_), Some("plain") | None) => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "code_challenge_method must be S256; plain is refused",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(fail(
                    ErrorCode::InvalidRequest,
                    "code_challenge_method must be S256",
                ));
            }
        };
        if code_challenge.len() != 43
            || !code_challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "code_challenge must be a base64url SHA-256 digest (43 characters)",
            ));
        }
        let mut prompt = Prompt::default();
        for value in params.get("prompt").unwrap_or_default().split(' ') {
            match value {
                "" => {}
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => {
                    return Err(fail(
                        ErrorCode::InvalidRequest,
                        "prompt=select_account is not supported",
                    ));
                }
                _ => return Err(fail(ErrorCode::InvalidRequest, "unknown prompt value")),
            }
        }
        if prompt.none && (prompt.login || prompt.consent) {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "prompt=none cannot be combined with other values",
            ));
        }
        let max_age = match params.get("max_age") {
            None => None,
            Some(v) => Some(v.parse::<u64>().map_err(|_| {
                fail(
                    ErrorCode::InvalidRequest,
                    "max_age must be a whole number of seconds",
                )
            })?),
        };
        let (acr, acr_essential, acr_allowed) =
            requested_acr(params).map_err(|why| fail(ErrorCode::InvalidRequest, why))?;
        Ok(Self {
            client_id: client.id.as_str().to_owned(),
            redirect_uri: redirect_uri.clone(),
            response_mode,
            scopes,
            state: state.clone(),
            nonce: params.get("nonce").map(str::to_owned),
            code_challenge: code_challenge.to_owned(),
            prompt,
            max_age,
            login_hint: params
                .get("login_hint")
                .and_then(|hint| RegistryNumber::parse(hint).ok())
                .map(|rn| rn.as_str().to_owned()),
            acr,
            acr_essential,
            acr_allowed,
            ui_locales: params.get("ui_locales").map(str::to_owned),
        })
    }
}

/// The level asked for: the lowest acceptable of an essential `acr` claim in `claims`
/// (enforced), else of `acr_values` (voluntary, OpenID Connect Core 3.1.2.1). Unknown values
/// are ignored; an essential request naming only unknown values is refused.
type RequestedAcr = (Option<String>, bool, Vec<String>);

fn requested_acr(params: &Params) -> Result<RequestedAcr, &'static str> {
    let lowest_known = |values: &[&str]| {
        LEVELS
            .iter()
            .find(|level| values.contains(level))
            .map(|level| (*level).to_owned())
    };
    if let Some(claims) = params.get("claims") {
        let claims: serde_json::Value =
            serde_json::from_str(claims).map_err(|_| "claims is not a JSON object")?;
        if !claims.is_object() {
            return Err("claims is not a JSON object");
        }
        let acr = &claims["id_token"]["acr"];
        if acr["essential"].as_bool() == Some(true) {
            let mut values: Vec<&str> = acr["values"]
                .as_array()
                .map(|v| v.iter().filter_map(serde_json::Value::as_str).collect())
                .unwrap_or_default();
            if let Some(value) = acr["value"].as_str() {
                values.push(value);
            }
            if values.is_empty() {
                return Ok((Some(LEVELS[0].to_owned()), true, Vec::new()));
            }
            let allowed: Vec<String> = LEVELS
                .iter()
                .filter(|level| values.contains(level))
                .map(|level| (*level).to_owned())
                .collect();
            return lowest_known(&values)
                .map(|level| (Some(level), true, allowed))
                .ok_or("the essential acr names no level DAN offers (low, substantial, high)");
        }
    }
    let values: Vec<&str> = params
        .get("acr_values")
        .unwrap_or_default()
        .split(' ')
        .collect();
    Ok((lowest_known(&values), false, Vec::new()))
}

impl AuthRequest {
    /// The `acr` to report for a login that reached `reached`: itself, unless the request
    /// listed essential values and `reached` is not one of them, then the highest listed value
    /// at or below it (OpenID Connect Core 5.5.1.1: the value must be one of those asked).
    pub fn reported_acr(&self, reached: &str) -> String {
        if self.acr_allowed.is_empty() || self.acr_allowed.iter().any(|a| a == reached) {
            return reached.to_owned();
        }
        let rank = level_rank(reached).unwrap_or(0);
        self.acr_allowed
            .iter()
            .filter(|a| level_rank(a).is_some_and(|r| r <= rank))
            .max_by_key(|a| level_rank(a))
            .cloned()
            .unwrap_or_else(|| reached.to_owned())
    }
}

/// The rank of a level (`low` = 0); unknown levels rank below everything.
pub fn level_rank(level: &str) -> Option<usize> {
    LEVELS.iter().position(|l| *l == level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acr_of(query: &str) -> RequestedAcr {
        requested_acr(&Params::parse(query.as_bytes()).expect("a query")).expect("valid")
    }

    #[test]
    fn essential_values_bound_the_reported_acr_oidc_core_5_5_1_1() {
        let claims = |values: &str| {
            format!(
                "claims=%7B%22id_token%22%3A%7B%22acr%22%3A%7B%22essential%22%3Atrue%2C%22values%22%3A{values}%7D%7D%7D"
            )
        };
        let (acr, essential, allowed) = acr_of(&claims("%5B%22low%22%5D"));
        assert_eq!((acr.as_deref(), essential), (Some("low"), true));
        assert_eq!(allowed, ["low"]);
        let request = |allowed: Vec<String>| AuthRequest {
            client_id: "rp".to_owned(),
            redirect_uri: "https://rp.example/cb".to_owned(),
            response_mode: ResponseMode::Query,
            scopes: vec!["openid".to_owned()],
            state: None,
            nonce: None,
            code_challenge: String::new(),
            prompt: Prompt::default(),
            max_age: None,
            login_hint: None,
            acr: Some("low".to_owned()),
            acr_essential: true,
            acr_allowed: allowed,
            ui_locales: None,
        };
        // Only low was accepted: a substantial login reports low.
        assert_eq!(request(allowed).reported_acr("substantial"), "low");
        let (_, _, both) = acr_of(&claims("%5B%22substantial%22%2C%22low%22%5D"));
        assert_eq!(both, ["low", "substantial"]);
        assert_eq!(
            request(both.clone()).reported_acr("substantial"),
            "substantial"
        );
        assert_eq!(request(both).reported_acr("low"), "low");
        // No list: what was reached.
        assert_eq!(
            request(Vec::new()).reported_acr("substantial"),
            "substantial"
        );
        let (acr, essential, allowed) = acr_of("acr_values=substantial%20low");
        assert_eq!((acr.as_deref(), essential), (Some("low"), false));
        assert!(allowed.is_empty(), "voluntary values bound nothing");
    }
}
