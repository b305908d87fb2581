//! The canonical name of a task, whatever way a message spelt it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest project key accepted; Jira allows 255 characters but real keys are short, and a
/// bound keeps stray upper-case runs out.
const MAX_KEY_LEN: usize = 32;
/// Nine significant digits fit every tracker's integer ids while refusing long digit runs
/// (phone numbers, timestamps) as task numbers.
const MAX_NUMBER_DIGITS: usize = 9;

/// A reference in canonical form: "123" for `#123` / `task 123`, "PROJ-123" (upper case)
/// for a project key.
///
/// Deserializing goes through [`TaskRef::parse`], so a stored value is canonical even if
/// it was written by hand.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaskRef(String);

impl TaskRef {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads `#12`, `12`, `proj-12` or `#PROJ-12` into canonical form. Leading zeros of the
    /// number are dropped (custom patterns may capture zero-padded numbers); zero is no task.
    pub fn parse(s: &str) -> Option<TaskRef> {
        let s = s.trim();
        let s = s.strip_prefix('#').unwrap_or(s);
        match s.rsplit_once('-') {
            None => number(s).map(|n| TaskRef(n.to_string())),
            Some((key, digits)) => {
                let n = number(digits)?;
                is_key(key).then(|| TaskRef(format!("{}-{n}", key.to_ascii_uppercase())))
            }
        }
    }

    /// The project key of a `KEY-123` reference; `None` for a plain task number.
    pub fn project_key(&self) -> Option<&str> {
        self.0.rsplit_once('-').map(|(key, _)| key)
    }
}

/// The significant digits of a task number, if `s` is one.
fn number(s: &str) -> Option<&str> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = s.trim_start_matches('0');
    (!significant.is_empty() && significant.len() <= MAX_NUMBER_DIGITS).then_some(significant)
}

/// Jira's rule: a Latin letter, then letters or digits, at least two characters.
fn is_key(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && (2..=MAX_KEY_LEN).contains(&s.len())
        && bytes.all(|b| b.is_ascii_alphanumeric())
}

impl fmt::Display for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.project_key().is_some() {
            f.write_str(&self.0)
        } else {
            write!(f, "#{}", self.0)
        }
    }
}

impl TryFrom<String> for TaskRef {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        TaskRef::parse(&s).ok_or_else(|| format!("not a task reference: {s:?}"))
    }
}

impl From<TaskRef> for String {
    fn from(r: TaskRef) -> String {
        r.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_into_canonical_form() {
        let cases = [
            ("#12", Some("12")),
            ("12", Some("12")),
            (" 12 ", Some("12")),
            ("007", Some("7")),
            ("proj-12", Some("PROJ-12")),
            ("#PROJ-12", Some("PROJ-12")),
            ("AB2-5", Some("AB2-5")),
            ("Ab-0012", Some("AB-12")),
            ("0", None),
            ("", None),
            ("#", None),
            ("1234567890", None),
            ("12a", None),
            ("A-1", None),
            ("2A-1", None),
            ("PROJ-", None),
            ("-12", None),
            ("PR OJ-1", None),
            ("ПРОЕКТ-1", None),
            ("PROJ-1-2", None),
            ("+12", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                TaskRef::parse(input).as_ref().map(TaskRef::as_str),
                want,
                "{input:?}"
            );
        }
    }

    #[test]
    fn displays_as_written_in_messages() {
        assert_eq!(TaskRef::parse("12").unwrap().to_string(), "#12");
        assert_eq!(TaskRef::parse("proj-12").unwrap().to_string(), "PROJ-12");
        assert_eq!(
            TaskRef::parse("proj-12").unwrap().project_key(),
            Some("PROJ")
        );
        assert_eq!(TaskRef::parse("12").unwrap().project_key(), None);
    }

    #[test]
    fn serializes_as_a_bare_string_and_checks_on_the_way_in() {
        let r = TaskRef::parse("PROJ-4").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"PROJ-4\"");
        let back: TaskRef = serde_json::from_str("\"proj-4\"").unwrap();
        assert_eq!(back, r);
        assert!(serde_json::from_str::<TaskRef>("\"not a task\"").is_err());
    }
}
