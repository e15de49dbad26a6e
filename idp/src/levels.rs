//! Levels of assurance: the table of ARCHITECTURE.md as code. Each way of logging in
//! ([`Method`]) reaches one level (`acr`) and reports its methods (`amr`, RFC 8176).
//!
//! | method | `acr` | `amr` |
//! |---|---|---|
//! | SMS code to the registry's phone | low | `sms`, `otp` |
//! | authenticator app (TOTP) | low | `otp` |
//! | passkey, user verification required | substantial | `hwk` (device-bound) or `swk` (synced), `user`, `mfa` |
//!
//! A passkey whose authenticator says it may be backed up (the WebAuthn "backup eligible"
//! flag) is a synced software key: `swk`. One that may not leave its device is `hwk`.
//!
//! How a request's level is read ([`crate::authorize::AuthRequest::acr`]): an essential `acr`
//! claim is a requirement, and a citizen without a method of that level gets
//! `unmet_authentication_requirements`. `acr_values` is voluntary (OpenID Connect Core
//! 3.1.2.1): DAN asks for a method of that level when the citizen has one (a passkey prompt,
//! a step-up of a lower session), and otherwise goes on at the level the citizen can reach;
//! the e-service reads `acr` in the ID token.

use serde::{Deserialize, Serialize};

pub use crate::authorize::{LEVELS, level_rank};

/// How a citizen authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// An SMS code sent to the registry's phone number.
    Sms,
    /// An authenticator-app code.
    Totp,
    /// A passkey with user verification; `synced` when backup eligible.
    Passkey {
        /// The credential may be backed up (a synced software key).
        synced: bool,
    },
}

impl Method {
    /// The level it reaches.
    pub fn acr(self) -> &'static str {
        match self {
            Self::Sms | Self::Totp => "low",
            Self::Passkey { .. } => "substantial",
        }
    }

    /// The rank of its level (`low` = 0).
    pub fn rank(self) -> usize {
        level_rank(self.acr()).unwrap_or(0)
    }

    /// Its `amr` values (RFC 8176).
    pub fn amr(self) -> Vec<String> {
        let values: &[&str] = match self {
            Self::Sms => &["sms", "otp"],
            Self::Totp => &["otp"],
            Self::Passkey { synced: false } => &["hwk", "user", "mfa"],
            Self::Passkey { synced: true } => &["swk", "user", "mfa"],
        };
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    /// Its name in audit events and statistics (`sms`, `totp`, `passkey`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Totp => "totp",
            Self::Passkey { .. } => "passkey",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_of_the_architecture_holds() {
        assert_eq!(Method::Sms.acr(), "low");
        assert_eq!(Method::Sms.amr(), ["sms", "otp"]);
        assert_eq!(Method::Totp.acr(), "low");
        assert_eq!(Method::Totp.amr(), ["otp"]);
        let device = Method::Passkey { synced: false };
        assert_eq!(device.acr(), "substantial");
        assert_eq!(device.amr(), ["hwk", "user", "mfa"]);
        assert_eq!(
            Method::Passkey { synced: true }.amr(),
            ["swk", "user", "mfa"]
        );
        assert!(device.rank() > Method::Totp.rank());
    }
}
