//! The national registry number (регистрийн дугаар): parsing, normalization and the birth date
//! it encodes.
//!
//! A registry number is two capital Mongolian Cyrillic letters (А–Я, Ё, Ө, Ү) followed by eight
//! digits. Digits 3–8 are the birth date `YYMMDD`; for births from 2000 on, 20 is added to the
//! month (`УБ05231456` was born on 2005-03-14). Whatever a citizen types is normalized first —
//! surrounding and inner spaces removed, lower case raised — and every failure carries a message
//! in Mongolian and English that tells the citizen what to fix.
//!
//! A `RegistryNumber` is personal data: its `Debug` form is masked so that it never ends up in a
//! log by accident. Use [`RegistryNumber::as_str`] where the full value is really needed.

use std::fmt;

use chrono::NaiveDate;

/// A validated, normalized national registry number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistryNumber(String);

/// Why a typed registry number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryNumberError {
    /// Nothing was typed.
    #[error("enter your registry number: two Cyrillic letters and eight digits")]
    Empty,
    /// Latin letters were typed where Cyrillic ones belong (a keyboard in the wrong layout).
    #[error(
        "the letters are Latin: switch the keyboard to Cyrillic (Mongolian) and type the two letters again"
    )]
    LatinLetters,
    /// The normalized input is not ten characters long.
    #[error("a registry number has 10 characters (2 letters and 8 digits), this one has {found}")]
    WrongLength {
        /// How many characters were typed, spaces not counted.
        found: usize,
    },
    /// The first two characters are not Mongolian Cyrillic letters.
    #[error("a registry number starts with two Cyrillic letters")]
    NotLetters,
    /// One of the last eight characters is not a digit.
    #[error("the last 8 characters of a registry number must be digits")]
    NotDigits,
    /// Digits 3–8 are not a date that exists.
    #[error("digits 3 to 8 must be a birth date (YYMMDD) that exists")]
    ImpossibleDate,
}

impl RegistryNumberError {
    /// The message in Mongolian, for the login page.
    pub fn message_mn(&self) -> String {
        match self {
            Self::Empty => {
                "Регистрийн дугаараа оруулна уу: хоёр кирилл үсэг, найман орон тоо".to_owned()
            }
            Self::LatinLetters => "Үсэг латинаар бичигдсэн байна: гарын байрлалаа кирилл (монгол) \
                болгоод хоёр үсгээ дахин бичнэ үү"
                .to_owned(),
            Self::WrongLength { found } => format!(
                "Регистрийн дугаар 10 тэмдэгттэй (2 үсэг, 8 тоо), таны оруулсан {found} тэмдэгттэй байна"
            ),
            Self::NotLetters => "Регистрийн дугаар хоёр кирилл үсгээр эхэлнэ".to_owned(),
            Self::NotDigits => "Регистрийн дугаарын сүүлийн 8 тэмдэгт тоо байх ёстой".to_owned(),
            Self::ImpossibleDate => {
                "3-8 дахь орон нь байж болох төрсөн огноо (ООССӨӨ) байх ёстой".to_owned()
            }
        }
    }

    /// The message in English, for the login page.
    pub fn message_en(&self) -> String {
        self.to_string()
    }
}

/// Capital Mongolian Cyrillic letters allowed in a registry number.
fn is_mongolian_capital(c: char) -> bool {
    matches!(c, 'А'..='Я' | 'Ё' | 'Ө' | 'Ү')
}

impl RegistryNumber {
    /// Normalizes and validates what a person typed.
    ///
    /// ```
    /// use idp::citizens::RegistryNumber;
    /// let rn = RegistryNumber::parse(" уб 05 23 14 56 ").unwrap();
    /// assert_eq!(rn.as_str(), "УБ05231456");
    /// assert_eq!(rn.birth_date().to_string(), "2005-03-14");
    /// ```
    pub fn parse(input: &str) -> Result<Self, RegistryNumberError> {
        let normalized: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        if normalized.is_empty() {
            return Err(RegistryNumberError::Empty);
        }
        if normalized.chars().any(|c| c.is_ascii_alphabetic()) {
            return Err(RegistryNumberError::LatinLetters);
        }
        let chars: Vec<char> = normalized.chars().collect();
        if chars.len() != 10 {
            return Err(RegistryNumberError::WrongLength { found: chars.len() });
        }
        if !chars[..2].iter().all(|&c| is_mongolian_capital(c)) {
            return Err(RegistryNumberError::NotLetters);
        }
        if !chars[2..].iter().all(char::is_ascii_digit) {
            return Err(RegistryNumberError::NotDigits);
        }
        if birth_date_of(&chars[2..8]).is_none() {
            return Err(RegistryNumberError::ImpossibleDate);
        }
        Ok(Self(normalized))
    }

    /// The normalized registry number, for storage and display to its owner.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date encoded in digits 3–8.
    pub fn birth_date(&self) -> NaiveDate {
        let digits: Vec<char> = self.0.chars().skip(2).take(6).collect();
        // Invariant: `parse` refused every number whose date does not exist.
        birth_date_of(&digits).unwrap_or(NaiveDate::MIN)
    }

    /// A masked form (`УБ******56`) for places where a person must recognize the number
    /// without it being disclosed, such as an admin list.
    pub fn masked(&self) -> String {
        self.0
            .chars()
            .enumerate()
            .map(|(i, c)| if (2..8).contains(&i) { '*' } else { c })
            .collect()
    }
}

/// Reads `YYMMDD` (month plus 20 for births from 2000) as a date, if it exists.
fn birth_date_of(digits: &[char]) -> Option<NaiveDate> {
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        digits
            .get(range)?
            .iter()
            .try_fold(0u32, |acc, c| Some(acc * 10 + c.to_digit(10)?))
    };
    let yy = number(0..2)?;
    let mm = number(2..4)?;
    let dd = number(4..6)?;
    let (year, month) = match mm {
        1..=12 => (1900 + yy, mm),
        21..=32 => (2000 + yy, mm - 20),
        _ => return None,
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, dd)
}

impl fmt::Debug for RegistryNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegistryNumber({})", self.masked())
    }
}

impl std::str::FromStr for RegistryNumber {
    type Err = RegistryNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn birth_before_2000_uses_the_month_as_written() {
        let rn = RegistryNumber::parse("УБ99032512").unwrap();
        assert_eq!(rn.birth_date(), date(1999, 3, 25));
    }

    #[test]
    fn birth_from_2000_adds_twenty_to_the_month() {
        let rn = RegistryNumber::parse("УБ05231456").unwrap();
        assert_eq!(rn.birth_date(), date(2005, 3, 14));
        let rn = RegistryNumber::parse("ЧД00210101").unwrap();
        assert_eq!(rn.birth_date(), date(2000, 1, 1));
        let rn = RegistryNumber::parse("ЧД24323101").unwrap();
        assert_eq!(rn.birth_date(), date(2024, 12, 31));
    }

    #[test]
    fn february_29_exists_only_in_leap_years() {
        assert_eq!(
            RegistryNumber::parse("АА96022900").unwrap().birth_date(),
            date(1996, 2, 29)
        );
        assert_eq!(
            RegistryNumber::parse("АА00222900").unwrap().birth_date(),
            date(2000, 2, 29)
        );
        assert_eq!(
            RegistryNumber::parse("АА97022900"),
            Err(RegistryNumberError::ImpossibleDate)
        );
        // 1900 was not a leap year (divisible by 100, not by 400).
        assert_eq!(
            RegistryNumber::parse("АА00022900"),
            Err(RegistryNumberError::ImpossibleDate)
        );
        assert_eq!(
            RegistryNumber::parse("АА01222900"),
            Err(RegistryNumberError::ImpossibleDate)
        );
    }

    #[test]
    fn impossible_months_and_days_are_refused() {
        for input in [
            "УБ99132512",
            "УБ99002512",
            "УБ99202512",
            "УБ99332512",
            "УБ99043112",
            "УБ99030012",
        ] {
            assert_eq!(
                RegistryNumber::parse(input),
                Err(RegistryNumberError::ImpossibleDate),
                "{input}"
            );
        }
    }

    #[test]
    fn latin_look_alike_letters_are_named_as_latin() {
        // Latin "YB" looks like Cyrillic "УБ" on some keyboards; "AA", "KE", "MO" look identical.
        for input in [
            "YB99032512",
            "AA99032512",
            "КE99032512",
            "mo99032512",
            "уб9903251O",
        ] {
            assert_eq!(
                RegistryNumber::parse(input),
                Err(RegistryNumberError::LatinLetters),
                "{input}"
            );
        }
        let message = RegistryNumberError::LatinLetters.message_en();
        assert!(message.contains("Latin") && message.contains("Cyrillic"));
        assert!(
            RegistryNumberError::LatinLetters
                .message_mn()
                .contains("латин")
        );
    }

    #[test]
    fn lower_case_and_inner_spaces_are_normalized() {
        let rn = RegistryNumber::parse("  уб 9903 2512\t").unwrap();
        assert_eq!(rn.as_str(), "УБ99032512");
        assert_eq!(
            RegistryNumber::parse("өү99032512").unwrap().as_str(),
            "ӨҮ99032512"
        );
        assert_eq!(
            RegistryNumber::parse("ёя99032512").unwrap().as_str(),
            "ЁЯ99032512"
        );
    }

    #[test]
    fn nine_and_eleven_characters_are_the_wrong_length() {
        assert_eq!(
            RegistryNumber::parse("УБ9903251"),
            Err(RegistryNumberError::WrongLength { found: 9 })
        );
        assert_eq!(
            RegistryNumber::parse("УБ990325123"),
            Err(RegistryNumberError::WrongLength { found: 11 })
        );
        let message = RegistryNumberError::WrongLength { found: 9 };
        assert!(message.message_en().contains("this one has 9"));
        assert!(message.message_mn().contains("9 тэмдэгттэй"));
    }

    #[test]
    fn non_digits_and_non_letters_are_refused() {
        assert_eq!(
            RegistryNumber::parse("УБ9903251Ж"),
            Err(RegistryNumberError::NotDigits)
        );
        assert_eq!(
            RegistryNumber::parse("УБ99-32512"),
            Err(RegistryNumberError::NotDigits)
        );
        assert_eq!(
            RegistryNumber::parse("У199032512"),
            Err(RegistryNumberError::NotLetters)
        );
        // Cyrillic letters outside the Mongolian alphabet (Ukrainian Є) are refused too.
        assert_eq!(
            RegistryNumber::parse("ЄБ99032512"),
            Err(RegistryNumberError::NotLetters)
        );
        assert_eq!(
            RegistryNumber::parse("   "),
            Err(RegistryNumberError::Empty)
        );
    }

    #[test]
    fn debug_output_masks_the_number() {
        let rn = RegistryNumber::parse("УБ99032512").unwrap();
        let debug = format!("{rn:?}");
        assert!(!debug.contains("990325"), "{debug}");
        assert_eq!(rn.masked(), "УБ******12");
    }
}
