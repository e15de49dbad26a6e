//! Authenticator-app codes (TOTP, RFC 6238), the core the enrollment and login pages build on
//! (issue 7): secrets, the `otpauth://` URI and its QR code drawn here as SVG (no outside
//! service sees the secret), and the check of a code.
//!
//! Choices, for compatibility with the common apps: HMAC-SHA-1, 6 digits, 30-second steps
//! (RFC 6238 defaults; apps that claim SHA-256 often fall back to SHA-1 silently). A code is
//! accepted for the current step and one step either side (clock drift), compared in constant
//! time, and a step once used is refused again: [`check`] takes the last step used and
//! returns the one that matched, which the caller stores with the credential.

use std::fmt;

use base64::Engine as _;
use qrcodegen::{QrCode, QrCodeEcc};
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Secret length in bytes (160 bits, RFC 4226 4's recommendation).
pub const SECRET_BYTES: usize = 20;

/// A TOTP secret. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpRefusal {
    /// Not six digits.
    #[error("an authenticator code is six digits")]
    Malformed,
    /// No step within the drift allowed gives this code.
    #[error("the code is not right")]
    Wrong,
    /// Right, but for a step already used (or older than it): a replay.
    #[error("this code was used already")]
    Replayed,
}

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = vec![0_u8; SECRET_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// A secret from its stored bytes (decrypted by the caller).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes, to encrypt and store.
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as apps ask for it when typed: base32, without padding, in groups of four.
    pub fn display(&self) -> String {
        let encoded = Secret::Raw(self.0.clone()).to_encoded().to_string();
        encoded
            .trim_end_matches('=')
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn totp(&self) -> TOTP {
        // Skew 0: the drift is walked step by step in `check`, to know which step matched.
        TOTP::new_unchecked(Algorithm::SHA1, DIGITS, 0, STEP_SECONDS, self.0.clone())
    }

    /// The code for the step that contains `unix_seconds`.
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.totp().generate(unix_seconds)
    }

    /// The `otpauth://totp/` URI apps read from the QR code (Key Uri Format): `issuer` and
    /// `account` (what the app lists; never the registry number) are percent-encoded.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let secret = Secret::Raw(self.0.clone()).to_encoded().to_string();
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            encode(issuer).replace('+', "%20"),
            encode(account).replace('+', "%20"),
            secret.trim_end_matches('='),
            encode(issuer).replace('+', "%20"),
        )
    }
}

/// The step that contains `unix_seconds`.
pub fn step_of(unix_seconds: u64) -> u64 {
    unix_seconds / STEP_SECONDS
}

/// Checks `code` at `unix_seconds` against the current step and one either side, and refuses
/// a step at or before `last_used` (a replay). Returns the step that matched, to store as the
/// new `last_used`.
pub fn check(
    secret: &TotpSecret,
    code: &str,
    unix_seconds: u64,
    last_used: Option<u64>,
) -> Result<u64, TotpRefusal> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpRefusal::Malformed);
    }
    let now = step_of(unix_seconds);
    let totp = secret.totp();
    // Every candidate is computed and compared, so the time taken says nothing of which
    // matched.
    let mut matched = None;
    for step in [now.saturating_sub(1), now, now.saturating_add(1)] {
        let candidate = totp.generate(step * STEP_SECONDS);
        let same: bool =
            subtle::ConstantTimeEq::ct_eq(candidate.as_bytes(), code.as_bytes()).into();
        if same && matched.is_none_or(|m| step > m) {
            matched = Some(step);
        }
    }
    let step = matched.ok_or(TotpRefusal::Wrong)?;
    if last_used.is_some_and(|last| step <= last) {
        return Err(TotpRefusal::Replayed);
    }
    Ok(step)
}

/// The QR code of `text` as an SVG document (dark modules as one path, a quiet zone of four
/// modules), to place inline in a page: drawn here, so no outside service sees the secret.
pub fn qr_svg(text: &str, title: &str) -> Option<String> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = qr.size();
    let border = 4;
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let full = size + 2 * border;
    let title = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {full} {full}\" \
         role=\"img\" shape-rendering=\"crispEdges\"><title>{title}</title>\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// The QR code as a `data:` URL, for an `<img>` under a policy that allows `img-src data:`.
pub fn qr_data_url(text: &str, title: &str) -> Option<String> {
    let svg = qr_svg(text, title)?;
    Some(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 secret.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    #[test]
    fn codes_are_the_rfc_6238_test_vectors_last_six_digits() {
        // Appendix B gives 8 digits; 6-digit codes are their last six (RFC 4226 5.3).
        for (time, eight) in [
            (59_u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(rfc_secret().code_at(time), eight[2..], "at {time}");
        }
    }

    #[test]
    fn one_step_of_drift_either_side_and_no_more() {
        let secret = TotpSecret::generate().unwrap();
        let now = 1_800_000_015;
        let step = step_of(now);
        for (offset, accepted) in [
            (-2_i64, false),
            (-1, true),
            (0, true),
            (1, true),
            (2, false),
        ] {
            let at = (now as i64 + offset * STEP_SECONDS as i64) as u64;
            let code = secret.code_at(at);
            let result = check(&secret, &code, now, None);
            assert_eq!(result.is_ok(), accepted, "offset {offset}");
            if accepted {
                assert_eq!(result.unwrap(), (step as i64 + offset) as u64);
            }
        }
    }

    #[test]
    fn a_used_step_is_refused_again_and_so_is_an_older_one() {
        let secret = TotpSecret::generate().unwrap();
        let now = 1_800_000_015;
        let code = secret.code_at(now);
        let used = check(&secret, &code, now, None).unwrap();
        assert_eq!(
            check(&secret, &code, now, Some(used)),
            Err(TotpRefusal::Replayed)
        );
        let older = secret.code_at(now - STEP_SECONDS);
        assert_eq!(
            check(&secret, &older, now, Some(used)),
            Err(TotpRefusal::Replayed)
        );
        let next = secret.code_at(now + STEP_SECONDS);
        assert_eq!(
            check(&secret, &next, now + STEP_SECONDS, Some(used)),
            Ok(used + 1)
        );
    }

    #[test]
    fn malformed_and_wrong_codes_are_told_apart() {
        let secret = rfc_secret();
        for code in ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"] {
            assert_eq!(
                check(&secret, code, 59, None),
                Err(TotpRefusal::Malformed),
                "{code:?}"
            );
        }
        let right = secret.code_at(59);
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        assert_eq!(check(&secret, wrong, 59, None), Err(TotpRefusal::Wrong));
        assert_eq!(check(&secret, &format!(" {right} "), 59, None), Ok(1));
    }

    #[test]
    fn the_uri_and_display_carry_the_secret_and_never_debug() {
        let secret = rfc_secret();
        assert_eq!(secret.display(), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
        assert_eq!(
            secret.otpauth_uri("DAN", "Демо Бат"),
            "otpauth://totp/DAN:%D0%94%D0%B5%D0%BC%D0%BE%20%D0%91%D0%B0%D1%82?\
             secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=DAN&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(format!("{secret:?}"), "TotpSecret(***)");
        assert_eq!(TotpSecret::generate().unwrap().expose_bytes().len(), 20);
    }

    #[test]
    fn the_qr_code_is_drawn_here_as_svg() {
        let uri = rfc_secret().otpauth_uri("DAN", "x");
        let svg = qr_svg(&uri, "QR <code>").unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("<title>QR &lt;code&gt;</title>"));
        assert!(svg.contains("<path d=\"M"));
        assert_eq!(qr_svg(&uri, "t"), qr_svg(&uri, "t"), "deterministic");
        // The same text always gives the same modules; another text other ones.
        assert_ne!(qr_svg(&uri, "t"), qr_svg("otpauth://totp/other", "t"));
        assert!(
            qr_data_url(&uri, "t")
                .unwrap()
                .starts_with("data:image/svg+xml;base64,")
        );
    }
}
