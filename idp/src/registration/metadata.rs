//! Client metadata as RFC 7591 section 2 names it, read into the admin plane's
//! [`ClientSettings`] (so that one validation serves both), and written back from a registered
//! [`Client`].
//!
//! What a registrant can never set: consent skipping, audiences (a resource server's URL,
//! which would let it introspect tokens meant for someone else) and the restricted scope
//! (refused by the shared validation). Metadata DAN does not keep (`contacts`, `logo_uri`,
//! `client_uri`, `policy_uri`, `tos_uri`, ...) is ignored, as RFC 7591 2 allows; the answer
//! shows what was registered.

use dan_admin::model::ClientSettings;
use serde_json::{Map, Value, json};

use super::RegistrationError;
use crate::clients::{Client, GrantType, SubjectType};

/// The one response type DAN supports (the code flow).
const CODE: &str = "code";

fn invalid(why: impl Into<String>) -> RegistrationError {
    RegistrationError::InvalidMetadata(why.into())
}

/// A string member; absent and `null` are `None`.
fn string(map: &Map<String, Value>, name: &str) -> Result<Option<String>, RegistrationError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("{name} must be a string"))),
    }
}

/// An array of strings; absent and `null` are `None`.
fn strings(map: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, RegistrationError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| invalid(format!("{name} must be an array of strings"))),
        Some(_) => Err(invalid(format!("{name} must be an array of strings"))),
    }
}

/// The Mongolian and English names: `client_name#mn` and `client_name#en` (RFC 7591 2.2; a
/// tag with a region or script, `mn-Cyrl-MN`, counts as its language), else `client_name`.
fn names(map: &Map<String, Value>) -> Result<(String, String), RegistrationError> {
    let plain = string(map, "client_name")?;
    let (mut mn, mut en) = (None, None);
    for (key, value) in map {
        let Some(tag) = key.strip_prefix("client_name#") else {
            continue;
        };
        let language = tag
            .split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let slot = match language.as_str() {
            "mn" => &mut mn,
            "en" => &mut en,
            _ => continue,
        };
        match value {
            Value::String(name) => *slot = Some(name.clone()),
            _ => return Err(invalid(format!("{key} must be a string"))),
        }
    }
    match (mn.or_else(|| plain.clone()), en.or(plain)) {
        (Some(mn), Some(en)) => Ok((mn, en)),
        _ => Err(invalid(
            "client_name is required: client_name#mn and client_name#en, or client_name for both",
        )),
    }
}

/// Reads a registration request (RFC 7591 3.1) or an update (RFC 7592 2.2) into settings.
pub(super) fn settings(document: &Value) -> Result<ClientSettings, RegistrationError> {
    let map = document
        .as_object()
        .ok_or_else(|| invalid("the body must be a JSON object of client metadata"))?;
    if map.contains_key("software_statement") {
        return Err(RegistrationError::InvalidSoftwareStatement(
            "software statements are not accepted: registration is authorised by the initial \
             access token an administrator issued"
                .to_owned(),
        ));
    }
    if map.contains_key("sector_identifier_uri") {
        return Err(invalid(
            "sector_identifier_uri is not supported: register redirect URIs on one host, or \
             ask an administrator for a sector",
        ));
    }
    let (name_mn, name_en) = names(map)?;
    let grant_types =
        strings(map, "grant_types")?.unwrap_or_else(|| vec!["authorization_code".to_owned()]);
    let code_flow = grant_types.iter().any(|g| g == "authorization_code");
    let response_types = strings(map, "response_types")?.unwrap_or_else(|| {
        if code_flow {
            vec![CODE.to_owned()]
        } else {
            vec![]
        }
    });
    if response_types.iter().any(|r| r != CODE) {
        return Err(invalid("response_types: only \"code\" is supported"));
    }
    // RFC 7591 2.1: the two lists must agree.
    if code_flow != response_types.iter().any(|r| r == CODE) {
        return Err(invalid(
            "grant_types and response_types disagree: authorization_code goes with the \
             response type code (RFC 7591 2.1)",
        ));
    }
    let scopes = match string(map, "scope")? {
        Some(scope) => scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        None => vec!["openid".to_owned()],
    };
    let require_par = match map.get("require_pushed_authorization_requests") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(invalid(
                "require_pushed_authorization_requests must be a boolean",
            ));
        }
    };
    Ok(ClientSettings {
        name_mn,
        name_en,
        redirect_uris: strings(map, "redirect_uris")?.unwrap_or_default(),
        post_logout_redirect_uris: strings(map, "post_logout_redirect_uris")?.unwrap_or_default(),
        scopes,
        grant_types,
        auth_method: string(map, "token_endpoint_auth_method")?
            .unwrap_or_else(|| "client_secret_basic".to_owned()),
        subject_type: string(map, "subject_type")?.unwrap_or_else(|| "pairwise".to_owned()),
        sector_identifier: None,
        jwks_uri: string(map, "jwks_uri")?,
        jwks: map.get("jwks").filter(|v| !v.is_null()).cloned(),
        audiences: Vec::new(),
        backchannel_logout_uri: string(map, "backchannel_logout_uri")?,
        require_par,
        skip_consent: false,
    })
}

/// The client's registered metadata (RFC 7591 3.2.1), without credentials.
pub(super) fn document(client: &Client) -> Map<String, Value> {
    fn uris(list: &[crate::clients::RedirectUri]) -> Vec<&str> {
        list.iter().map(|u| u.as_str()).collect()
    }
    let code_flow = client.grant_types.contains(&GrantType::AuthorizationCode);
    let mut body = json!({
        "client_id": client.id.as_str(),
        "client_name": client.name_en,
        "client_name#mn": client.name_mn,
        "client_name#en": client.name_en,
        "redirect_uris": uris(&client.redirect_uris),
        "post_logout_redirect_uris": uris(&client.post_logout_redirect_uris),
        "token_endpoint_auth_method": client.auth_method.as_str(),
        "grant_types": client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "response_types": if code_flow { vec![CODE] } else { vec![] },
        "scope": client.allowed_scopes.join(" "),
        "subject_type": match client.subject_type {
            SubjectType::Pairwise => "pairwise",
            SubjectType::Public => "public",
        },
        "require_pushed_authorization_requests": client.require_par,
    });
    if let Value::Object(map) = &mut body {
        for (name, value) in [
            ("jwks_uri", client.jwks_uri.clone().map(Value::String)),
            ("jwks", client.jwks.clone()),
            (
                "backchannel_logout_uri",
                client.backchannel_logout_uri.clone().map(Value::String),
            ),
        ] {
            if let Some(value) = value {
                map.insert(name.to_owned(), value);
            }
        }
        if client.auth_method.uses_secret() {
            // RFC 7591 3.2.1: the secret does not expire.
            map.insert("client_secret_expires_at".to_owned(), json!(0));
        }
        return std::mem::take(map);
    }
    Map::new()
}

/// The names a validation failure gives its field, as RFC 7591 calls them.
pub(super) fn field_name(field: &str) -> &str {
    match field {
        "scopes" => "scope",
        "auth_method" => "token_endpoint_auth_method",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_language_tags_rfc7591_2_2() {
        let document = json!({
            "client_name": "Fallback",
            "client_name#mn-Cyrl-MN": "Татвар",
            "client_name#fr": "Impôts",
            "redirect_uris": ["https://tax.gov.mn/cb"],
        });
        let settings = settings(&document).unwrap();
        assert_eq!(settings.name_mn, "Татвар");
        assert_eq!(settings.name_en, "Fallback");
        let err = super::settings(&json!({"redirect_uris": []})).unwrap_err();
        assert!(matches!(err, RegistrationError::InvalidMetadata(m) if m.contains("client_name")));
    }

    #[test]
    fn defaults_are_rfc7591_2() {
        let settings = settings(&json!({"client_name": "X", "redirect_uris": []})).unwrap();
        assert_eq!(settings.grant_types, ["authorization_code"]);
        assert_eq!(settings.auth_method, "client_secret_basic");
        assert_eq!(settings.scopes, ["openid"]);
        assert!(!settings.skip_consent);
        assert!(settings.audiences.is_empty());
    }

    #[test]
    fn response_types_must_agree_with_grant_types_rfc7591_2_1() {
        for bad in [
            json!({"client_name": "X", "response_types": ["token"]}),
            json!({"client_name": "X", "grant_types": ["client_credentials"], "response_types": ["code"]}),
            json!({"client_name": "X", "grant_types": ["authorization_code"], "response_types": []}),
        ] {
            assert!(
                matches!(settings(&bad), Err(RegistrationError::InvalidMetadata(_))),
                "{bad}"
            );
        }
        let machine = json!({"client_name": "X", "grant_types": ["client_credentials"]});
        assert!(settings(&machine).is_ok());
    }

    #[test]
    fn consent_skipping_and_audiences_are_never_self_registered() {
        let document = json!({
            "client_name": "X", "skip_consent": true, "audiences": ["https://api.gov.mn"],
        });
        let settings = settings(&document).unwrap();
        assert!(!settings.skip_consent);
        assert!(settings.audiences.is_empty());
    }

    #[test]
    fn software_statements_are_refused() {
        let document = json!({"client_name": "X", "software_statement": "eyJ..."});
        assert!(matches!(
            settings(&document),
            Err(RegistrationError::InvalidSoftwareStatement(_))
        ));
    }
}
