//! Money as the portal writes it: `"1000000.00"` (legacy methods, every scalar a string) or a
//! JSON number such as `15000.5` (`crm.item.*`). Both are read from their digits into
//! [`Kopecks`]: a float would turn 0.1 + 0.2 into 0.30000000000000004 kopecks' worth of doubt.

use serde::Deserializer;
use serde::de::Error as _;
use serde_json::value::RawValue;
use shtab_core::types::Kopecks;

/// Why a portal amount could not be read exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the portal's amount «{text}» cannot be read: {reason}")]
pub struct PortalMoneyError {
    pub text: String,
    pub reason: &'static str,
}

/// Reads a decimal as JSON spells a number (`-12`, `15000.5`, `1.5e3`, `100.000`) into
/// kopecks. Digits past the second decimal must be zeros: anything else is not a whole number
/// of kopecks, and guessing a rounding would move money.
pub fn kopecks_from_decimal(text: &str) -> Result<Kopecks, PortalMoneyError> {
    let fail = |reason| PortalMoneyError {
        text: text.to_owned(),
        reason,
    };
    let s = text.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(at) => {
            let exp: i32 = s[at + 1..]
                .parse()
                .map_err(|_| fail("its exponent is not a number"))?;
            (&s[..at], exp)
        }
        None => (s, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(fail("it has no digits"));
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err(fail(
            "only digits, one decimal point and an exponent are allowed",
        ));
    }
    // All digits with the decimal point moved to after the kopecks: value = digits × 10^shift.
    let digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
    let frac_len = i64::try_from(frac_part.len()).map_err(|_| fail("it is too long"))?;
    let shift = i64::from(exponent) + 2 - frac_len;
    let mut value: i128 = 0;
    let (keep, dropped) = if shift >= 0 {
        (digits.as_slice(), &[][..])
    } else {
        let cut = usize::try_from(-shift).unwrap_or(usize::MAX);
        digits.split_at(digits.len().saturating_sub(cut))
    };
    if dropped.iter().any(|&d| d != b'0') {
        return Err(fail("it has a fraction of a kopeck"));
    }
    for &d in keep {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i128::from(d - b'0')))
            .ok_or_else(|| fail("it is too large"))?;
    }
    if shift > 0 && value != 0 {
        for _ in 0..shift {
            value = value
                .checked_mul(10)
                .ok_or_else(|| fail("it is too large"))?;
        }
    }
    let signed = if negative { -value } else { value };
    i64::try_from(signed)
        .map(Kopecks)
        .map_err(|_| fail("it is too large"))
}

/// Reads an amount from the raw JSON of one value: a number's own text, or a string holding
/// one. `null` and `""` are no amount.
pub fn kopecks_from_raw(raw: &RawValue) -> Result<Option<Kopecks>, PortalMoneyError> {
    let text = raw.get().trim();
    if text == "null" {
        return Ok(None);
    }
    if text.starts_with('"') {
        let inner: String = serde_json::from_str(text).map_err(|_| PortalMoneyError {
            text: text.to_owned(),
            reason: "it is not a valid JSON string",
        })?;
        if inner.trim().is_empty() {
            return Ok(None);
        }
        return kopecks_from_decimal(&inner).map(Some);
    }
    kopecks_from_decimal(text).map(Some)
}

/// `#[serde(deserialize_with = "…")]` for an amount that must be there. Works only when the
/// struct is read from JSON text (a `serde_json::Value` has already lost the digits).
pub fn de_kopecks<'de, D: Deserializer<'de>>(d: D) -> Result<Kopecks, D::Error> {
    de_opt_kopecks(d)?.ok_or_else(|| D::Error::custom("an amount is missing"))
}

/// `#[serde(deserialize_with = "…", default)]` for an amount that may be empty or `null`.
pub fn de_opt_kopecks<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Kopecks>, D::Error> {
    let raw: Box<RawValue> = serde::Deserialize::deserialize(d)?;
    kopecks_from_raw(&raw).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn k(s: &str) -> i64 {
        kopecks_from_decimal(s).unwrap_or_else(|e| panic!("{e}")).0
    }

    #[test]
    fn the_portals_spellings_are_exact() {
        assert_eq!(k("1000000.00"), 100_000_000);
        assert_eq!(k("15000.5"), 1_500_050);
        assert_eq!(k("0.1"), 10);
        assert_eq!(k("0.29"), 29);
        assert_eq!(k("1234"), 123_400);
        assert_eq!(k("-12.30"), -1230);
        assert_eq!(k("100.000"), 10_000);
        assert_eq!(k("1.5e3"), 150_000);
        assert_eq!(k("15E-2"), 15);
        assert_eq!(k("0"), 0);
        assert_eq!(k("0e400"), 0);
        assert_eq!(k("92233720368547758.07"), i64::MAX);
        assert_eq!(k("-92233720368547758.08"), i64::MIN);
    }

    #[test]
    fn refuses_what_is_not_a_whole_kopeck_or_a_number() {
        for bad in [
            "",
            "-",
            ".",
            "0.001",
            "1.005",
            "1e-3",
            "12a",
            "1.2.3",
            "1,5",
            "1e",
            "92233720368547758.08",
            "1e30",
            "NaN",
        ] {
            let err = kopecks_from_decimal(bad).expect_err(bad);
            assert!(err.to_string().contains(&format!("«{bad}»")), "{err}");
        }
    }

    #[derive(serde::Deserialize)]
    struct Deal {
        #[serde(deserialize_with = "de_kopecks")]
        opportunity: Kopecks,
        #[serde(deserialize_with = "de_opt_kopecks", default)]
        paid: Option<Kopecks>,
    }

    #[test]
    fn fields_read_strings_and_numbers_from_their_text() {
        let d: Deal =
            serde_json::from_str(r#"{"opportunity":"1000000.00","paid":15000.5}"#).unwrap();
        assert_eq!(
            (d.opportunity, d.paid),
            (Kopecks(100_000_000), Some(Kopecks(1_500_050)))
        );
        // A float would make this 1234567890123456.7 × 100 = …67.96875 and round it.
        let d: Deal =
            serde_json::from_str(r#"{"opportunity":1234567890123456.78,"paid":""}"#).unwrap();
        assert_eq!(
            (d.opportunity, d.paid),
            (Kopecks(123_456_789_012_345_678), None)
        );
        let d: Deal = serde_json::from_str(r#"{"opportunity":7,"paid":null}"#).unwrap();
        assert_eq!((d.opportunity, d.paid), (Kopecks(700), None));
        let err = serde_json::from_str::<Deal>(r#"{"opportunity":"0.005"}"#)
            .err()
            .unwrap();
        assert!(err.to_string().contains("fraction of a kopeck"), "{err}");
    }

    proptest! {
        /// Every amount of at most two decimals, as a string or a JSON number, in any of the
        /// spellings a portal or PHP's json_encode produces, reads back to the same kopecks.
        #[test]
        fn every_two_decimal_amount_is_exact(v in any::<i64>(), trailing in 0usize..3, as_string: bool) {
            let abs = v.unsigned_abs();
            let sign = if v < 0 { "-" } else { "" };
            let text = format!("{sign}{}.{:02}{}", abs / 100, abs % 100, "0".repeat(trailing));
            prop_assert_eq!(k(&text), v);
            let json = if as_string { format!("\"{text}\"") } else { text.clone() };
            let raw: Box<RawValue> = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(kopecks_from_raw(&raw), Ok(Some(Kopecks(v))));
        }

        #[test]
        fn one_decimal_and_whole_amounts_are_exact(roubles in 0i64..90_000_000_000_000_000, tenth in 0i64..10) {
            prop_assert_eq!(k(&format!("{roubles}.{tenth}")), roubles * 100 + tenth * 10);
            if roubles < 90_000_000_000_000 {
                prop_assert_eq!(k(&roubles.to_string()), roubles * 100);
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = kopecks_from_decimal(&s);
        }
    }
}
