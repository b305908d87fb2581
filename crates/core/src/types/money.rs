//! Money as whole kopecks, the one money type of the tree (DESIGN: "never `f64`"). Amounts
//! arrive as decimal text in several local spellings; they are parsed digit by digit so that
//! no amount ever passes through a float.

use std::fmt;

use crate::FieldError;

/// An amount of roubles in kopecks (1 RUB = 100 kopecks). Signed: balances can be negative.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Kopecks(pub i64);

/// Why a text is not an amount; names the text so a message can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("«{text}» is not an amount: {reason}")]
pub struct MoneyError {
    pub text: String,
    pub reason: &'static str,
}

impl MoneyError {
    pub fn into_field_error(self, field: &str) -> FieldError {
        FieldError::new(field, "invalid_amount", self.to_string())
    }
}

/// Spaces people and spreadsheets put between thousands: plain, no-break, thin, narrow no-break.
fn is_group_separator(c: char) -> bool {
    matches!(c, ' ' | '\u{00A0}' | '\u{2009}' | '\u{202F}')
}

impl Kopecks {
    pub const ZERO: Kopecks = Kopecks(0);

    /// Parses `1234.56`, `1234,56`, `1 234,56`, `1 234.5`, `1234`, `-5.00`.
    ///
    /// Strict on purpose, because a misread amount marks the wrong invoice paid: at most two
    /// decimals (so `1,234` is rejected rather than read as 1.234 or 1234), thousands groups
    /// of exactly three digits, one optional leading minus, nothing else.
    pub fn parse(text: &str) -> Result<Kopecks, MoneyError> {
        let fail = |reason| MoneyError {
            text: text.to_owned(),
            reason,
        };
        let s = text.trim_matches(|c: char| c.is_whitespace());
        if s.is_empty() {
            return Err(fail("it is empty"));
        }
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int_part, frac_part) = match s.find(['.', ',']) {
            Some(at) => (&s[..at], Some(&s[at + 1..])),
            None => (s, None),
        };
        let units = parse_grouped_digits(int_part).map_err(fail)?;
        let cents = match frac_part {
            None => 0,
            Some(f) => parse_fraction(f).map_err(fail)?,
        };
        // i128 holds any u64 magnitude, so i64::MIN (whose magnitude exceeds i64::MAX) fits.
        let magnitude = i128::from(units)
            .checked_mul(100)
            .and_then(|v| v.checked_add(i128::from(cents)))
            .ok_or_else(|| fail("it is too large"))?;
        let signed = if negative { -magnitude } else { magnitude };
        i64::try_from(signed)
            .map(Kopecks)
            .map_err(|_| fail("it is too large"))
    }

    pub fn as_i64(self) -> i64 {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Kopecks) -> Option<Kopecks> {
        self.0.checked_add(other.0).map(Kopecks)
    }

    pub fn checked_sub(self, other: Kopecks) -> Option<Kopecks> {
        self.0.checked_sub(other.0).map(Kopecks)
    }
}

/// Whole roubles: digits, optionally grouped by threes with one kind of space between.
fn parse_grouped_digits(s: &str) -> Result<u64, &'static str> {
    if s.is_empty() {
        return Err("there are no digits before the decimal separator");
    }
    let groups: Vec<&str> = s.split(is_group_separator).collect();
    for (i, group) in groups.iter().enumerate() {
        if group.is_empty() {
            return Err("it has a misplaced space");
        }
        if !group.bytes().all(|b| b.is_ascii_digit()) {
            return Err(
                "only digits, one decimal separator and spaces between thousands are allowed",
            );
        }
        let size_ok = if i == 0 {
            groups.len() == 1 || group.len() <= 3
        } else {
            group.len() == 3
        };
        if !size_ok {
            return Err("spaces must separate groups of three digits");
        }
    }
    let mut value: u64 = 0;
    for b in groups.concat().bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or("it is too large")?;
    }
    Ok(value)
}

/// Kopecks after the separator: one or two digits (`.5` is 50 kopecks).
fn parse_fraction(f: &str) -> Result<u8, &'static str> {
    if f.is_empty() {
        return Err("there are no digits after the decimal separator");
    }
    if !f.bytes().all(|b| b.is_ascii_digit()) {
        return Err("only digits, one decimal separator and spaces between thousands are allowed");
    }
    match f.as_bytes() {
        [d] => Ok((d - b'0') * 10),
        [d1, d2] => Ok((d1 - b'0') * 10 + (d2 - b'0')),
        _ => Err("it has more than two decimals"),
    }
}

impl fmt::Display for Kopecks {
    /// Russian style, `1 234,56`, with plain spaces so the text survives copying anywhere.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let magnitude = self.0.unsigned_abs();
        let units = (magnitude / 100).to_string();
        let mut grouped = String::with_capacity(units.len() + units.len() / 3);
        for (i, c) in units.chars().enumerate() {
            if i > 0 && (units.len() - i).is_multiple_of(3) {
                grouped.push(' ');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{grouped},{:02}", magnitude % 100)
    }
}

/// The sign pages show after an amount in the ISO currency `code`: ₽ for roubles (the same
/// on every page), the code itself for any other currency.
pub fn currency_sign(code: &str) -> &str {
    match code.trim() {
        "RUB" | "RUR" | "643" | "810" | "" => "₽",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn k(s: &str) -> i64 {
        Kopecks::parse(s).unwrap_or_else(|e| panic!("{e}")).0
    }

    #[test]
    fn local_spellings() {
        assert_eq!(k("1234.56"), 123456);
        assert_eq!(k("1234,56"), 123456);
        assert_eq!(k("1 234,56"), 123456);
        assert_eq!(k("1 234.5"), 123450);
        assert_eq!(k("1\u{00A0}234\u{00A0}567,89"), 123456789);
        assert_eq!(k("1\u{2009}234,00"), 123400);
        assert_eq!(k("1\u{202F}234"), 123400);
        assert_eq!(k("1234"), 123400);
        assert_eq!(k("-5.00"), -500);
        assert_eq!(k("0.01"), 1);
        assert_eq!(k("  42 "), 4200);
        assert_eq!(k("1234567"), 123456700);
    }

    #[test]
    fn rejects_what_could_be_misread() {
        for bad in [
            "",
            " ",
            "1.234",
            "1,234",
            "12a",
            "1 23",
            "12 3456",
            "1  234",
            " 1 234 5",
            "1.",
            ".5",
            "1.2.3",
            "--1",
            "+1",
            "1,234.56",
            "1e3",
            "руб",
            "-",
            "99999999999999999999",
            "92233720368547758.08",
        ] {
            let err = Kopecks::parse(bad).expect_err(bad);
            assert!(err.to_string().contains(&format!("«{bad}»")), "{err}");
        }
    }

    #[test]
    fn extremes() {
        assert_eq!(k("92 233 720 368 547 758,07"), i64::MAX);
        assert_eq!(k("-92 233 720 368 547 758,08"), i64::MIN);
    }

    #[test]
    fn display() {
        assert_eq!(Kopecks(123456).to_string(), "1 234,56");
        assert_eq!(Kopecks(5).to_string(), "0,05");
        assert_eq!(Kopecks(-10_000_000).to_string(), "-100 000,00");
        assert_eq!(Kopecks(99900).to_string(), "999,00");
    }

    #[test]
    fn serializes_as_a_plain_integer() {
        assert_eq!(serde_json::to_string(&Kopecks(1958849)).unwrap(), "1958849");
        assert_eq!(
            serde_json::from_str::<Kopecks>("1958849").unwrap(),
            Kopecks(1958849)
        );
    }

    proptest! {
        #[test]
        fn display_parses_back(n in any::<i64>()) {
            prop_assert_eq!(Kopecks::parse(&Kopecks(n).to_string()), Ok(Kopecks(n)));
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = Kopecks::parse(&s);
        }
    }
}
