//! Phone numbers and e-mail addresses of a citizen.

use std::fmt;

use serde::Serialize;

/// Why a phone number or e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    /// Not an E.164 number, nor an 8-digit Mongolian number.
    #[error(
        "a phone number is +976 and 8 digits, or another country's number in E.164 form (+ and up to 15 digits)"
    )]
    Phone,
    /// Not an e-mail address.
    #[error("an e-mail address has the form name@domain, without spaces, at most 254 characters")]
    Email,
}

/// A phone number in E.164 form (`+97699112233`). Eight-digit national numbers are read as
/// Mongolian (+976); spaces, dashes and parentheses are ignored.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Normalizes and validates a phone number.
    ///
    /// ```
    /// use idp::citizens::PhoneNumber;
    /// assert_eq!(PhoneNumber::parse("9911-2233").unwrap().as_str(), "+97699112233");
    /// assert_eq!(PhoneNumber::parse("+976 99 11 22 33").unwrap().as_str(), "+97699112233");
    /// assert!(PhoneNumber::parse("12345").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let cleaned: String = input
            .chars()
            .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '(' | ')' | '.')))
            .collect();
        let (plus, digits) = match cleaned.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(ContactError::Phone);
        }
        let e164 = match (plus, digits.len()) {
            (false, 8) => format!("+976{digits}"),
            (false, 11) if digits.starts_with("976") => format!("+{digits}"),
            (true, 7..=15) if !digits.starts_with('0') => format!("+{digits}"),
            _ => return Err(ContactError::Phone),
        };
        if let Some(national) = e164.strip_prefix("+976")
            && national.len() != 8
        {
            return Err(ContactError::Phone);
        }
        Ok(Self(e164))
    }

    /// The E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Personal data: keep only the last two digits in debug output.
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(2)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        write!(f, "PhoneNumber(+***{tail})")
    }
}

/// An e-mail address, lightly validated (one `@`, no spaces) and with its domain lower-cased.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

impl Email {
    /// Validates an e-mail address.
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let input = input.trim();
        let (local, domain) = input.split_once('@').ok_or(ContactError::Email)?;
        let valid = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && input.len() <= 254
            && !input.chars().any(|c| c.is_whitespace() || c.is_control());
        if !valid {
            return Err(ContactError::Email);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Email(***@{})",
            self.0.split_once('@').map_or("", |(_, d)| d)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mongolian_numbers_are_normalized_to_e164() {
        for input in [
            "99112233",
            "9911 2233",
            "976-9911-2233",
            "+976 (99) 11-22-33",
        ] {
            assert_eq!(
                PhoneNumber::parse(input).unwrap().as_str(),
                "+97699112233",
                "{input}"
            );
        }
    }

    #[test]
    fn wrong_phone_numbers_are_refused() {
        for input in [
            "",
            "1234567",
            "+9769911223",
            "+97699112233444",
            "99l12233",
            "+0123456789",
            "++97699112233",
        ] {
            assert_eq!(
                PhoneNumber::parse(input),
                Err(ContactError::Phone),
                "{input}"
            );
        }
        assert_eq!(
            PhoneNumber::parse("+4915112345678").unwrap().as_str(),
            "+4915112345678"
        );
    }

    #[test]
    fn phone_debug_is_masked() {
        let phone = PhoneNumber::parse("99112233").unwrap();
        assert_eq!(format!("{phone:?}"), "PhoneNumber(+***33)");
    }

    #[test]
    fn emails_are_checked_lightly() {
        assert_eq!(
            Email::parse(" Bat@Example.MN ").unwrap().as_str(),
            "Bat@example.mn"
        );
        for input in [
            "",
            "bat",
            "bat@",
            "@example.mn",
            "bat@example",
            "b at@example.mn",
            "a@b@c.mn",
            "bat@.mn",
        ] {
            assert_eq!(Email::parse(input), Err(ContactError::Email), "{input}");
        }
    }
}
