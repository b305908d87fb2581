//! A purchase's registration number: the natural key of a tender across searches, polls
//! and notice versions. 44-FZ numbers have 19 digits, 223-FZ numbers 11.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The procurement law a purchase is run under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Law {
    #[serde(rename = "44-FZ")]
    Fz44,
    #[serde(rename = "223-FZ")]
    Fz223,
}

impl Law {
    /// How many digits this law's registration numbers have.
    pub fn number_len(self) -> usize {
        match self {
            Law::Fz44 => 19,
            Law::Fz223 => 11,
        }
    }

    /// Reads the law as the portal names it («44-ФЗ», «223-ФЗ»; Latin spellings too).
    pub fn from_portal_name(s: &str) -> Option<Law> {
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        match digits.as_str() {
            "44" => Some(Law::Fz44),
            "223" => Some(Law::Fz223),
            _ => None,
        }
    }
}

impl fmt::Display for Law {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Law::Fz44 => "44-FZ",
            Law::Fz223 => "223-FZ",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(try_from = "String", into = "String")]
pub struct RegNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a registration number: {reason}")]
pub struct RegNumberError {
    pub input: String,
    pub reason: String,
}

impl RegNumber {
    /// A number of either law, told apart by its length.
    pub fn parse(input: &str) -> Result<RegNumber, RegNumberError> {
        let s = input.trim();
        let error = |reason: String| RegNumberError {
            input: input.chars().take(60).collect(),
            reason,
        };
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error("only digits are allowed".into()));
        }
        if s.len() != Law::Fz44.number_len() && s.len() != Law::Fz223.number_len() {
            return Err(error(format!(
                "{} digits; 44-FZ numbers have 19 and 223-FZ numbers 11",
                s.len()
            )));
        }
        Ok(RegNumber(s.to_owned()))
    }

    /// A number that must belong to `law`.
    pub fn parse_for(law: Law, input: &str) -> Result<RegNumber, RegNumberError> {
        let number = RegNumber::parse(input)?;
        if number.law() != law {
            return Err(RegNumberError {
                input: input.chars().take(60).collect(),
                reason: format!("{law} numbers have {} digits", law.number_len()),
            });
        }
        Ok(number)
    }

    pub fn law(&self) -> Law {
        if self.0.len() == Law::Fz44.number_len() {
            Law::Fz44
        } else {
            Law::Fz223
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RegNumber {
    type Error = RegNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegNumber::parse(&s)
    }
}

impl From<RegNumber> for String {
    fn from(n: RegNumber) -> String {
        n.0
    }
}

impl fmt::Display for RegNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_law_by_length() {
        assert_eq!(
            RegNumber::parse("0873200009825003091").unwrap().law(),
            Law::Fz44
        );
        assert_eq!(RegNumber::parse(" 31603913641 ").unwrap().law(), Law::Fz223);
        assert_eq!(
            RegNumber::parse(" 31603913641 ").unwrap().as_str(),
            "31603913641"
        );
    }

    #[test]
    fn refuses_other_shapes() {
        for bad in [
            "",
            "123",
            "08732000098250030911",
            "0873200009825003O91",
            "№0873200009825003091",
        ] {
            assert!(RegNumber::parse(bad).is_err(), "{bad}");
        }
        assert!(RegNumber::parse_for(Law::Fz223, "0873200009825003091").is_err());
    }

    #[test]
    fn reads_law_names() {
        assert_eq!(Law::from_portal_name("44-ФЗ"), Some(Law::Fz44));
        assert_eq!(Law::from_portal_name("223-ФЗ"), Some(Law::Fz223));
        assert_eq!(Law::from_portal_name("ПП РФ 615"), None);
    }
}
