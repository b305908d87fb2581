//! Amounts as people and the procurement portal write them: `37128494.92`, `388050008.2`,
//! `37 128 494,92`, `388 050 008,20 ₽`, `1,234,567.89`. Looser than [`Kopecks::parse`] (which
//! bank files get, where a misread amount marks the wrong invoice paid), still never a guess.

use super::money::{Kopecks, MoneyError};

/// Currency marks that may trail an amount; stripped before the number is read.
const CURRENCY_MARKS: &[&str] = &["₽", "руб.", "руб", "р.", "RUB", "RUR"];

impl Kopecks {
    /// Reads `37128494.92`, `388050008.2`, `160000000`, `37 128 494,92`, `388 050 008,20 ₽`,
    /// `1,234,567.89`. Spaces (also no-break and thin ones) group thousands. A lone `,` or
    /// `.` is the decimal mark unless three digits follow it, which would be ambiguous
    /// (`1,234`) and is refused rather than guessed.
    pub fn parse_lenient(input: &str) -> Result<Kopecks, MoneyError> {
        let invalid = |reason| MoneyError {
            text: input.to_owned(),
            reason,
        };
        let mut s = input.trim();
        for mark in CURRENCY_MARKS {
            if let Some(rest) = s.strip_suffix(mark) {
                s = rest.trim_end();
                break;
            }
        }
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, s),
        };
        let compact: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\''))
            .collect();
        if compact.is_empty() {
            return Err(invalid("it is empty"));
        }
        if !compact
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        {
            return Err(invalid(
                "only digits, spaces and one decimal mark are allowed",
            ));
        }
        let decimal_at = decimal_mark(&compact).map_err(invalid)?;
        let (int_part, frac_part) = match decimal_at {
            Some(i) => (&compact[..i], &compact[i + 1..]),
            None => (compact.as_str(), ""),
        };
        // What is left of the integer part may only hold grouping marks of the other kind.
        let digits: String = int_part.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() && frac_part.is_empty() {
            return Err(invalid("no digits"));
        }
        if frac_part.len() > 2 {
            return Err(invalid("more than two digits after the decimal mark"));
        }
        if !frac_part.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid("a second decimal mark"));
        }
        let overflow = || invalid("it is too large");
        let mut value: i64 = 0;
        for d in digits.bytes() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(d - b'0')))
                .ok_or_else(overflow)?;
        }
        let mut frac = 0i64;
        for (i, d) in frac_part.bytes().enumerate() {
            let unit = if i == 0 { 10 } else { 1 };
            frac += i64::from(d - b'0') * unit;
        }
        let total = value
            .checked_mul(100)
            .and_then(|v| v.checked_add(frac))
            .ok_or_else(overflow)?;
        Ok(Kopecks(if negative { -total } else { total }))
    }
}

/// Where the decimal mark is in `s` (digits, `.` and `,` only), if there is one.
fn decimal_mark(s: &str) -> Result<Option<usize>, &'static str> {
    let dots = s.matches('.').count();
    let commas = s.matches(',').count();
    match (dots, commas) {
        (0, 0) => Ok(None),
        // Both kinds: the last mark is the decimal one, the other groups thousands.
        (_, _) if dots > 0 && commas > 0 => {
            let last = s.rfind(['.', ',']).unwrap_or(0);
            let mark = s.as_bytes()[last];
            if s[..last].contains(mark as char) {
                return Err("the decimal mark appears twice");
            }
            check_groups(&s[..last])?;
            Ok(Some(last))
        }
        // One kind, several times: grouping only (`1,234,567`).
        (n, 0) | (0, n) if n > 1 => {
            check_groups(s)?;
            Ok(None)
        }
        _ => {
            let at = s.rfind(['.', ',']).unwrap_or(0);
            if s.len() - at - 1 == 3 {
                return Err("a lone mark before three digits is ambiguous (thousands or decimals)");
            }
            Ok(Some(at))
        }
    }
}

/// `1,234,567` style grouping: a first group of 1–3 digits, then groups of exactly three.
fn check_groups(s: &str) -> Result<(), &'static str> {
    let mut groups = s.split(['.', ',']);
    let first = groups.next().unwrap_or("");
    if first.is_empty() || first.len() > 3 {
        return Err("misplaced thousands separator");
    }
    if groups.any(|g| g.len() != 3) {
        return Err("misplaced thousands separator");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_the_forms_seen_on_the_portal_and_from_people() {
        for (input, want) in [
            ("37128494.92", 3_712_849_492),
            ("388050008.2", 38_805_000_820),
            ("160000000", 16_000_000_000),
            ("37 128 494,92", 3_712_849_492),
            ("388 050 008,20 ₽", 38_805_000_820),
            ("388\u{a0}050\u{a0}008,20\u{a0}₽", 38_805_000_820),
            ("1,234,567.89", 123_456_789),
            ("1.234.567,89", 123_456_789),
            ("93552", 9_355_200),
            ("0.5", 50),
            ("1 132 200,00 руб.", 113_220_000),
            ("-12.30", -1230),
        ] {
            assert_eq!(Kopecks::parse_lenient(input), Ok(Kopecks(want)), "{input}");
        }
    }

    #[test]
    fn refuses_what_it_would_have_to_guess() {
        for input in [
            "",
            " ₽",
            "12.345",
            "1,234",
            "12a",
            "1.2.3,4,5",
            "1,23,456.00",
            "--1",
            "9999999999999999999",
        ] {
            assert!(
                Kopecks::parse_lenient(input).is_err(),
                "{input:?} was accepted"
            );
        }
    }

    proptest! {
        #[test]
        fn display_round_trips(v in any::<i64>().prop_filter("abs fits", |v| *v != i64::MIN)) {
            prop_assert_eq!(Kopecks::parse_lenient(&Kopecks(v).to_string()), Ok(Kopecks(v)));
        }

        #[test]
        fn reads_whatever_the_strict_parser_reads(s in "-?[0-9]{1,3}( [0-9]{3}){0,4}([.,][0-9]{1,2})?") {
            prop_assert_eq!(Kopecks::parse_lenient(&s), Kopecks::parse(&s));
        }

        #[test]
        fn grouped_russian_form_round_trips(v in 0i64..1_000_000_000_000_000) {
            let roubles = (v / 100).to_string();
            let mut grouped = String::new();
            for (i, c) in roubles.chars().enumerate() {
                if i > 0 && (roubles.len() - i) % 3 == 0 {
                    grouped.push(' ');
                }
                grouped.push(c);
            }
            let text = format!("{grouped},{:02} ₽", v % 100);
            prop_assert_eq!(Kopecks::parse_lenient(&text), Ok(Kopecks(v)));
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Kopecks::parse_lenient(&s);
        }
    }
}
