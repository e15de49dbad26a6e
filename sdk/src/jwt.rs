//! Checking DAN's signed JWTs: what access tokens, ID tokens and logout tokens share.
//!
//! A token is checked in this order, each failure with its own [`VerifyError`]: size, compact
//! form, `alg` (ES256, RS256 or EdDSA only: never `none` or an HMAC), `typ` (which says what
//! kind of token it is, so one kind cannot pass for another), `kid` against the issuer's JWKS,
//! that the key's type matches `alg`, then the signature. Only then are the claims read.
//!
//! The keys come from a cache that fetches the issuer's JWKS when first needed, keeps it as
//! long as its `Cache-Control: max-age` allows (60 s to 1 day; 300 s if unsaid), refreshes it
//! early when a token names an unknown `kid` (at most once per minimum interval, coalesced),
//! so key rotation needs no restart and a flood of forged `kid`s cannot make the SDK hammer DAN.

pub(crate) mod cache;
pub(crate) mod claims;
mod error;
pub(crate) mod keys;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};

use self::cache::KeyCache;
pub use self::error::VerifyError;
use self::keys::Algorithm;

/// The longest token accepted, in bytes: DAN's tokens are under 2 KiB.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The JOSE header fields read.
#[derive(Deserialize)]
struct Header {
    alg: String,
    typ: Option<String>,
    kid: Option<String>,
    crit: Option<Value>,
}

/// Checks a compact JWS up to and including its signature (RFC 7515 5.2), with the key its
/// `kid` names; `typ_ok` says which `typ` headers this kind of token may carry. Returns the
/// claims, which the caller checks next.
pub(crate) async fn verify_signed(
    token: &str,
    keys: &KeyCache,
    typ_ok: impl Fn(Option<&str>) -> bool,
) -> Result<Map<String, Value>, VerifyError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(VerifyError::TooLarge {
            limit: MAX_TOKEN_BYTES,
        });
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed(
            "a JWS has three dot-separated parts",
        ));
    };
    let signing_input = &token[..header.len() + 1 + payload.len()];
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part);
    let (Ok(header), Ok(payload), Ok(signature)) =
        (decode(header), decode(payload), decode(signature))
    else {
        return Err(VerifyError::Malformed(
            "a part is not base64url without padding",
        ));
    };
    let header: Header = serde_json::from_slice(&header)
        .map_err(|_| VerifyError::Malformed("the header is not a JSON object with an alg"))?;
    let alg = Algorithm::parse(&header.alg)
        .ok_or_else(|| VerifyError::UnsupportedAlgorithm(printable(&header.alg)))?;
    if !typ_ok(header.typ.as_deref()) {
        return Err(VerifyError::WrongType);
    }
    if header.crit.is_some() {
        // RFC 7515 4.1.11: no extension is understood here.
        return Err(VerifyError::Malformed("the header has crit extensions"));
    }
    let kid = header
        .kid
        .ok_or(VerifyError::Malformed("the header has no kid"))?;
    let key = keys.key(&kid).await?;
    if key.algorithm() != alg {
        return Err(VerifyError::AlgorithmMismatch);
    }
    if signature.is_empty() || !key.verify(signing_input.as_bytes(), &signature) {
        return Err(VerifyError::BadSignature);
    }
    serde_json::from_slice(&payload)
        .map_err(|_| VerifyError::Malformed("the claims are not a JSON object"))
}

/// Whether a media type in `typ` names `subtype`: with or without `application/`, in any
/// case (RFC 7515 4.1.9).
pub(crate) fn is_type(typ: &str, subtype: &str) -> bool {
    let named = match (typ.get(..12), typ.get(12..)) {
        (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case("application/") => rest,
        _ => typ,
    };
    named.eq_ignore_ascii_case(subtype)
}

/// Seconds since the Unix epoch, as JWT NumericDate values count them.
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// An `alg` value fit for an error message: short and printable.
fn printable(alg: &str) -> String {
    alg.chars()
        .take(16)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_matched_case_insensitively_rfc7515_4_1_9() {
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/At+Jwt",
        ] {
            assert!(is_type(typ, "at+jwt"), "{typ}");
        }
        for typ in [
            "JWT",
            "jwt",
            "application/jwt",
            "at+jwt ",
            "application/",
            "é",
        ] {
            assert!(!is_type(typ, "at+jwt"), "{typ}");
        }
        assert!(is_type("JWT", "jwt"));
    }

    #[test]
    fn unsupported_algorithms_are_named_printably() {
        assert_eq!(printable("none"), "none");
        assert_eq!(printable("a\nb c"), "a?b?c");
        assert_eq!(printable(&"x".repeat(100)).len(), 16);
    }
}
