//! Tax identifiers: ИНН (taxpayer number) and КПП (registration reason code).
//! Payments are matched to invoices by the payer's INN, so a mistyped one must not parse.

use std::fmt;

use shtab_core::FieldError;

/// Why a text is not a valid identifier of some kind (INN, KPP, account, BIC).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("«{text}» is not a valid {what}: {reason}")]
pub struct IdError {
    pub what: &'static str,
    pub text: String,
    pub reason: String,
}

impl IdError {
    pub(crate) fn new(what: &'static str, text: &str, reason: impl Into<String>) -> IdError {
        IdError {
            what,
            text: text.to_owned(),
            reason: reason.into(),
        }
    }

    pub fn into_field_error(self, field: &str) -> FieldError {
        FieldError::new(field, "invalid_identifier", self.to_string())
    }
}

/// Digits of `text` when it is exactly `len` ASCII digits.
pub(crate) fn fixed_digits(what: &'static str, text: &str, len: usize) -> Result<Vec<u8>, IdError> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::new(what, text, "it must contain only digits"));
    }
    if text.len() != len {
        return Err(IdError::new(
            what,
            text,
            format!("it must have {len} digits, not {}", text.len()),
        ));
    }
    Ok(text.bytes().map(|b| b - b'0').collect())
}

/// An INN: 10 digits for an organisation, 12 for an individual or sole trader, with the
/// check digits of the Federal Tax Service's algorithm verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Inn(String);

/// The check digit over `digits` with `weights`, as the tax service defines it.
fn check_digit(digits: &[u8], weights: &[u32]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip(weights)
        .map(|(&d, &w)| u32::from(d) * w)
        .sum();
    // `% 11 % 10`: a remainder of 10 is written as 0.
    (sum % 11 % 10) as u8
}

const W10: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const W11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const W12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

impl Inn {
    pub fn parse(text: &str) -> Result<Inn, IdError> {
        let t = text.trim();
        let what = "INN";
        if t.is_empty() {
            return Err(IdError::new(what, text, "it is empty"));
        }
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::new(what, text, "it must contain only digits"));
        }
        let d: Vec<u8> = t.bytes().map(|b| b - b'0').collect();
        // Banks write all zeros where a payer has no INN; that is a placeholder, not a number.
        if d.iter().all(|&x| x == 0) {
            return Err(IdError::new(what, text, "all zeros is a placeholder"));
        }
        let ok = match d.len() {
            10 => check_digit(&d[..9], &W10) == d[9],
            12 => check_digit(&d[..10], &W11) == d[10] && check_digit(&d[..11], &W12) == d[11],
            n => {
                return Err(IdError::new(
                    what,
                    text,
                    format!("it must have 10 digits (organisation) or 12 (individual), not {n}"),
                ));
            }
        };
        if !ok {
            return Err(IdError::new(
                what,
                text,
                "the check digit does not match (a typo?)",
            ));
        }
        Ok(Inn(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for an organisation's 10-digit INN, false for an individual's 12-digit one.
    pub fn is_organisation(&self) -> bool {
        self.0.len() == 10
    }
}

impl fmt::Display for Inn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A KPP: four digits (tax office), two digits or capital Latin letters (reason), three
/// digits (serial number). Only organisations have one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Kpp(String);

impl Kpp {
    pub fn parse(text: &str) -> Result<Kpp, IdError> {
        let t = text.trim();
        let b = t.as_bytes();
        if b.len() != 9 {
            return Err(IdError::new(
                "KPP",
                text,
                format!("it must have 9 characters, not {}", t.chars().count()),
            ));
        }
        let digit = |i: usize| b[i].is_ascii_digit();
        let reason = |i: usize| b[i].is_ascii_digit() || b[i].is_ascii_uppercase();
        let ok = (0..4).all(digit) && (4..6).all(reason) && (6..9).all(digit);
        if !ok {
            return Err(IdError::new(
                "KPP",
                text,
                "expected 4 digits, 2 digits or capital Latin letters, 3 digits",
            ));
        }
        Ok(Kpp(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Kpp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_inns() {
        // Public INNs of large companies, and the 12-digit ones from the samples.
        for ok in [
            "7707083893",
            "7710140679",
            "5012073362",
            "7707049388",
            "500100732259",
        ] {
            let inn = Inn::parse(ok).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(inn.as_str(), ok);
        }
        assert!(Inn::parse(" 7707083893 ").unwrap().is_organisation());
        assert!(!Inn::parse("500100732259").unwrap().is_organisation());
    }

    #[test]
    fn invalid_inns_say_why() {
        let cases = [
            ("7707083894", "check digit"),
            ("500100732258", "check digit"),
            ("4", "10 digits"),
            ("123123123123", "check digit"),
            ("77070838 3", "only digits"),
            ("0000000000", "placeholder"),
            ("", "empty"),
        ];
        for (text, why) in cases {
            let e = Inn::parse(text).expect_err(text).to_string();
            assert!(e.contains(why) && e.contains(&format!("«{text}»")), "{e}");
        }
    }

    #[test]
    fn kpp() {
        assert_eq!(Kpp::parse("770701001").unwrap().as_str(), "770701001");
        assert!(Kpp::parse("7707AB001").is_ok());
        for bad in ["4", "77070100", "7707ab001", "77070100x", "7707010011"] {
            assert!(Kpp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fixed_digits_counts() {
        assert_eq!(fixed_digits("BIC", "044525974", 9).unwrap().len(), 9);
        assert!(fixed_digits("BIC", "04452597", 9).is_err());
        assert!(fixed_digits("BIC", "04452597x", 9).is_err());
    }
}
