//! The `Key=Value` lines of one section, looked up case-insensitively and converted with
//! errors that name the line and the key as the file wrote it.

use chrono::NaiveDate;

use super::names::{Key, Name};
use crate::domain::{AccountNumber, Kopecks};
use crate::sources::ParseError;

/// One line's value, borrowed from the decoded text.
#[derive(Clone, Copy)]
struct Entry<'a> {
    line: usize,
    /// The key as written, for messages.
    key: &'a str,
    value: &'a str,
}

/// One section's values, by key compared case-insensitively (see [`Name`]); empty values
/// count as absent.
pub struct Fields<'a> {
    /// Where the section starts, for errors about a key that is missing.
    pub start_line: usize,
    known: [Option<Entry<'a>>; Key::COUNT],
    /// Keys the reader does not know, lower-cased; few, so looked through in order.
    others: Vec<(String, Entry<'a>)>,
}

impl<'a> Fields<'a> {
    pub fn new(start_line: usize) -> Fields<'a> {
        Fields {
            start_line,
            known: [None; Key::COUNT],
            others: Vec::new(),
        }
    }

    /// Empties it for a section starting at `start_line` (keeping its allocation).
    pub fn reset(&mut self, start_line: usize) {
        self.start_line = start_line;
        self.known = [None; Key::COUNT];
        self.others.clear();
    }

    /// Records `key=value`; `name` is [`Name::of`] `key` (the caller has it already). The
    /// same key twice with different values is refused: taking either one silently could
    /// import the wrong amount or account.
    pub fn insert(
        &mut self,
        line: usize,
        key: &'a str,
        name: Name,
        value: &'a str,
    ) -> Result<(), ParseError> {
        if value.is_empty() {
            return Ok(());
        }
        let entry = Entry { line, key, value };
        let first = match name {
            Name::Known(k) => match &mut self.known[k as usize] {
                Some(first) => *first,
                slot => {
                    *slot = Some(entry);
                    return Ok(());
                }
            },
            Name::Other(lower) => match self.others.iter().find(|(l, _)| *l == lower) {
                Some((_, first)) => *first,
                None => {
                    self.others.push((lower, entry));
                    return Ok(());
                }
            },
        };
        if first.value == value {
            return Ok(());
        }
        Err(ParseError::field(
            line,
            key,
            format!(
                "given again with a different value (first at line {}: «{}»)",
                first.line, first.value
            ),
        ))
    }

    fn entry(&self, key: Key) -> Option<&Entry<'a>> {
        self.known[key as usize].as_ref()
    }

    /// The value of `key`, if present and not empty.
    pub fn text(&self, key: Key) -> Option<&'a str> {
        self.entry(key).map(|e| e.value)
    }

    pub fn owned(&self, key: Key) -> Option<String> {
        self.text(key).map(str::to_owned)
    }

    /// The first of `keys` that has a value.
    pub fn first_of(&self, keys: &[Key]) -> Option<String> {
        keys.iter().find_map(|&k| self.owned(k))
    }

    fn parsed<T>(
        &self,
        key: Key,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ParseError> {
        match self.entry(key) {
            None => Ok(None),
            Some(e) => parse(e.value)
                .map(Some)
                .map_err(|m| ParseError::field(e.line, e.key, m)),
        }
    }

    pub fn amount(&self, key: Key) -> Result<Option<Kopecks>, ParseError> {
        self.parsed(key, |v| Kopecks::parse(v).map_err(|e| e.to_string()))
    }

    pub fn date(&self, key: Key) -> Result<Option<NaiveDate>, ParseError> {
        self.parsed(key, parse_date).map(Option::flatten)
    }

    pub fn account(&self, key: Key) -> Result<Option<AccountNumber>, ParseError> {
        self.parsed(key, |v| AccountNumber::parse(v).map_err(|e| e.to_string()))
    }

    /// An error about the value of `key`; `written` names it when absent.
    pub fn error_at(&self, key: Key, written: &str, message: &str) -> ParseError {
        match self.entry(key) {
            Some(e) => ParseError::field(e.line, e.key, message),
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
        let mut insert = |n, key, value| f.insert(n, key, Name::of(key), value);
        insert(11, "ПлательщикКорСчет", "301").unwrap();
        insert(12, "Сумма", "").unwrap();
        insert(13, "ПлательщикКорсчет", "301").unwrap();
        let e = insert(14, "ПЛАТЕЛЬЩИККОРСЧЕТ", "302").unwrap_err();
        assert_eq!(e.line_number(), Some(14));
        assert!(e.to_string().contains("line 11"), "{e}");
        // Keys the reader does not know are checked the same way.
        insert(15, "СрокОплатыЁ", "1").unwrap();
        insert(16, "срокоплатыё", "1").unwrap();
        let e = insert(17, "СРОКОПЛАТЫЁ", "2").unwrap_err();
        assert!(e.to_string().contains("line 15"), "{e}");
        assert_eq!(f.text(Key::PayerCorrAccount), Some("301"));
        assert_eq!(f.text(Key::Amount), None);
    }

    #[test]
    fn bad_values_name_line_and_key() {
        let mut f = Fields::new(1);
        f.insert(7, "Сумма", Name::of("Сумма"), "12,3,4").unwrap();
        let e = f.amount(Key::Amount).unwrap_err();
        assert!(e.to_string().starts_with("line 7, Сумма: «12,3,4»"), "{e}");
    }
}
