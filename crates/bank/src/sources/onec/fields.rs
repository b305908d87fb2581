//! The `Key=Value` lines of one section, looked up case-insensitively and converted with
//! errors that name the line and the key as the file wrote it.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::domain::{AccountNumber, Kopecks};
use crate::sources::ParseError;

struct Entry {
    line: usize,
    key: String,
    value: String,
}

/// One section's values. Keys are stored lower-cased because banks disagree on case
/// (`ПлательщикКорсчет` and `ПлательщикКорСчет`); empty values count as absent.
pub struct Fields {
    /// Where the section starts, for errors about a key that is missing.
    pub start_line: usize,
    entries: HashMap<String, Entry>,
}

impl Fields {
    pub fn new(start_line: usize) -> Fields {
        Fields {
            start_line,
            entries: HashMap::new(),
        }
    }

    /// Records `key=value`. The same key twice with different values is refused: taking
    /// either one silently could import the wrong amount or account.
    /// `lower` is `key` lower-cased (the caller has it already).
    pub fn insert(
        &mut self,
        line: usize,
        key: &str,
        lower: &str,
        value: &str,
    ) -> Result<(), ParseError> {
        if value.is_empty() {
            return Ok(());
        }
        if let Some(first) = self.entries.get(lower) {
            if first.value == value {
                return Ok(());
            }
            return Err(ParseError::field(
                line,
                key,
                format!(
                    "given again with a different value (first at line {}: «{}»)",
                    first.line, first.value
                ),
            ));
        }
        self.entries.insert(
            lower.to_owned(),
            Entry {
                line,
                key: key.to_owned(),
                value: value.to_owned(),
            },
        );
        Ok(())
    }

    /// The value of `key` (given in lower case), if present and not empty.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(|e| e.value.as_str())
    }

    pub fn owned(&self, key: &str) -> Option<String> {
        self.text(key).map(str::to_owned)
    }

    /// The first of `keys` that has a value.
    pub fn first_of(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.owned(k))
    }

    fn parsed<T>(
        &self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ParseError> {
        match self.entries.get(key) {
            None => Ok(None),
            Some(e) => parse(&e.value)
                .map(Some)
                .map_err(|m| ParseError::field(e.line, &e.key, m)),
        }
    }

    pub fn amount(&self, key: &str) -> Result<Option<Kopecks>, ParseError> {
        self.parsed(key, |v| Kopecks::parse(v).map_err(|e| e.to_string()))
    }

    pub fn date(&self, key: &str) -> Result<Option<NaiveDate>, ParseError> {
        self.parsed(key, parse_date).map(Option::flatten)
    }

    pub fn account(&self, key: &str) -> Result<Option<AccountNumber>, ParseError> {
        self.parsed(key, |v| AccountNumber::parse(v).map_err(|e| e.to_string()))
    }

    /// An error about the value of `key` (lower case); `written` names it when absent.
    pub fn error_at(&self, key: &str, written: &str, message: &str) -> ParseError {
        match self.entries.get(key) {
            Some(e) => ParseError::field(e.line, &e.key, message),
            None => ParseError::field(self.start_line, written, message),
        }
    }

    /// An error about `key` missing from this section, pointing at the section's start.
    pub fn missing(&self, key: &str, section: &str) -> ParseError {
        ParseError::field(
            self.start_line,
            key,
            format!("the {section} that starts here has no {key}"),
        )
    }
}

/// `dd.mm.yyyy`, strictly: a two-digit year would have to be guessed, so it is refused.
/// `00.00.0000` is what some banks write for "no date" and means absent.
pub fn parse_date(v: &str) -> Result<Option<NaiveDate>, String> {
    if v == "00.00.0000" {
        return Ok(None);
    }
    let bad = || format!("«{v}» is not a date in the form dd.mm.yyyy");
    let mut parts = v.split('.');
    let (Some(d), Some(m), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(d, 1, 2) || !digits(m, 1, 2) || !digits(y, 4, 4) {
        return Err(bad());
    }
    let (d, m, y) = (
        d.parse::<u32>().map_err(|_| bad())?,
        m.parse::<u32>().map_err(|_| bad())?,
        y.parse::<i32>().map_err(|_| bad())?,
    );
    NaiveDate::from_ymd_opt(y, m, d)
        .map(Some)
        .ok_or_else(|| format!("«{v}» is not a real calendar date"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = |y, m, d| Ok(NaiveDate::from_ymd_opt(y, m, d));
        assert_eq!(parse_date("11.01.2016"), d(2016, 1, 11));
        assert_eq!(parse_date("1.2.2024"), d(2024, 2, 1));
        assert_eq!(parse_date("00.00.0000"), Ok(None));
        for bad in [
            "11.01.16",
            "2016-01-11",
            "31.02.2024",
            "11.01.2016.",
            "aa.bb.cccc",
            "0",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_are_case_insensitive_and_duplicates_checked() {
        let mut f = Fields::new(10);
        f.insert(11, "ПлательщикКорСчет", "плательщиккорсчет", "301")
            .unwrap();
        f.insert(12, "Сумма", "сумма", "").unwrap();
        assert_eq!(f.text("плательщиккорсчет"), Some("301"));
        assert_eq!(f.text("сумма"), None);
        f.insert(13, "ПлательщикКорсчет", "плательщиккорсчет", "301")
            .unwrap();
        let e = f
            .insert(14, "ПЛАТЕЛЬЩИККОРСЧЕТ", "плательщиккорсчет", "302")
            .unwrap_err();
        assert_eq!(e.line_number(), Some(14));
        assert!(e.to_string().contains("line 11"), "{e}");
    }

    #[test]
    fn bad_values_name_line_and_key() {
        let mut f = Fields::new(1);
        f.insert(7, "Сумма", "сумма", "12,3,4").unwrap();
        let e = f.amount("сумма").unwrap_err();
        assert!(e.to_string().starts_with("line 7, Сумма: «12,3,4»"), "{e}");
    }
}
