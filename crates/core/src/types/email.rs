use std::fmt;

use crate::FieldError;

/// An e-mail address, stored lower-cased: people type `Ivan.Petrov@Agency.ru` and
/// `ivan.petrov@agency.ru` for the same mailbox, and matching commits by e-mail must agree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain` with a dotted domain (or `localhost`), no spaces or control
    /// characters, at most 254 characters, and lower-cases it.
    pub fn parse(field: &str, input: &str) -> Result<Email, FieldError> {
        let s = input.trim();
        let invalid = || {
            FieldError::new(
                field,
                "invalid_email",
                format!("«{s}» is not an e-mail address"),
            )
        };
        if s.is_empty() {
            return Err(FieldError::required(field));
        }
        if s.len() > 254
            || s.chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
        {
            return Err(invalid());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty() || local.len() > 64 || local.contains('@') || domain.is_empty() {
            return Err(invalid());
        }
        let labels_ok = domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if !labels_ok || (!domain.contains('.') && domain != "localhost") {
            return Err(invalid());
        }
        Ok(Email(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Builds an address that was stored by this type before (already normalised).
    pub fn from_stored(s: String) -> Email {
        Email(s)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_and_trims() {
        assert_eq!(
            Email::parse("e", " Ivan.Petrov@Agency.RU ")
                .unwrap()
                .as_str(),
            "ivan.petrov@agency.ru"
        );
        assert_eq!(
            Email::parse("e", "Иван@почта.рф").unwrap().as_str(),
            "иван@почта.рф"
        );
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "ivan",
            "ivan@",
            "@agency.ru",
            "ivan@agency",
            "iv an@agency.ru",
            "a@b@c.ru",
            "a@-x.ru",
            "a@x..ru",
        ] {
            assert!(
                Email::parse("email", bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert_eq!(Email::parse("email", "").unwrap_err().code, "required");
        assert_eq!(Email::parse("email", "x").unwrap_err().field, "email");
    }
}
