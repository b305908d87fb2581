//! The one error type of the core layer. The web layer maps it to statuses and messages.

use std::fmt;

/// A problem with one input field, shown next to that field in a form and listed under
/// `fields` in an API error. `code` is stable and translated by the web layer; `message`
/// is the English fallback.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    pub fn required(field: impl Into<String>) -> Self {
        Self::new(field, "required", "is required")
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The input was rejected; nothing was written.
    #[error("invalid input: {}", display_fields(.0))]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("not allowed")]
    Forbidden,
    /// The operation conflicts with the current state (not a field problem).
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(sqlx::Error),
    #[error("{0}")]
    Internal(String),
    /// An outside system failed in a way that passes (a 5xx, a timeout, its request limit):
    /// the same call is worth repeating, not before `retry_after` when it said.
    #[error("{message}")]
    Transient {
        message: String,
        retry_after: Option<std::time::Duration>,
    },
}

fn display_fields(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl CoreError {
    pub fn field(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, code, message)])
    }

    /// True when repeating the same work later may succeed: the database is unavailable, or
    /// an outside system failed transiently ([`CoreError::Transient`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, CoreError::Transient { .. }) || self.is_unavailable()
    }

    /// True when the database itself failed (unreachable, pool timed out…), as opposed to
    /// a rejected input.
    pub fn is_unavailable(&self) -> bool {
        match self {
            CoreError::Db(
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            // PostgreSQL's answers for "not now": connection exceptions (08…), shutdown or
            // restart (57P…), too many connections (53300), and a database that does not
            // allow connections (55000, a broad code, but a program bug rarely raises it).
            // SQLite's busy and locked codes (5, 6 and their extended forms: numbers of at
            // most four digits, where PostgreSQL's codes have five characters), and
            // PostgreSQL's serialization failure and deadlock: another writer was in the
            // way, and the same work succeeds a moment later.
            CoreError::Db(sqlx::Error::Database(e)) => e.code().is_some_and(|c| {
                c.starts_with("08")
                    || c.starts_with("57P")
                    || c == "53300"
                    || c == "55000"
                    || c == "40001"
                    || c == "40P01"
                    || (c.len() < 5
                        && matches!(c.parse::<i64>(), Ok(n) if n & 0xff == 5 || n & 0xff == 6))
            }),
            _ => false,
        }
    }
}

impl From<sqlx::Error> for CoreError {
    /// A foreign-key violation is the input's fault — an id of something that does not
    /// exist (or no longer does) — so it is a field error, never an internal one, whatever
    /// statement ran into it. PostgreSQL names the constraint, and so the column; SQLite
    /// does not, and there a statement that knows its field says so with
    /// [`foreign_key_as`].
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                let field = referencing_column(db.table(), db.constraint()).unwrap_or_default();
                CoreError::Invalid(vec![unknown_reference(field)])
            }
            _ => CoreError::Db(e),
        }
    }
}

fn unknown_reference(field: impl Into<String>) -> FieldError {
    FieldError::new(
        field,
        "unknown_reference",
        "refers to something that does not exist",
    )
}

/// The column of PostgreSQL's default constraint name `<table>_<column>_fkey`.
fn referencing_column(table: Option<&str>, constraint: Option<&str>) -> Option<String> {
    let column = constraint?
        .strip_prefix(table?)?
        .strip_prefix('_')?
        .strip_suffix("_fkey")?;
    (!column.is_empty()).then(|| column.to_string())
}

/// Turns a foreign-key violation into an error of `field` (the input's name for the
/// reference); anything else converts as usual.
pub fn foreign_key_as(e: sqlx::Error, field: &str) -> CoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            CoreError::Invalid(vec![unknown_reference(field)])
        }
        _ => CoreError::from(e),
    }
}

impl From<FieldError> for CoreError {
    fn from(e: FieldError) -> Self {
        CoreError::Invalid(vec![e])
    }
}

pub type CoreResult<T> = Result<T, CoreError>;

/// Collects field errors while a whole input is checked, so a form shows every problem at
/// once rather than one per submit.
#[derive(Debug, Default)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Keeps the value when it parsed, records the error otherwise.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn into_result(self) -> CoreResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(self.0))
        }
    }
}

/// Turns a unique-constraint violation into a field error; anything else stays a DB error.
pub fn unique_violation_as(
    e: sqlx::Error,
    field: &str,
    code: &'static str,
    message: &str,
) -> CoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            CoreError::field(field, code, message)
        }
        _ => CoreError::from(e),
    }
}

#[cfg(test)]
mod tests {
    use super::referencing_column;

    #[test]
    fn postgresql_constraint_names_give_the_column() {
        let column = |t, c| referencing_column(Some(t), Some(c));
        assert_eq!(
            column("tender_searches", "tender_searches_responsible_fkey").as_deref(),
            Some("responsible")
        );
        assert_eq!(
            column("grants", "grants_person_id_fkey").as_deref(),
            Some("person_id")
        );
        assert_eq!(column("grants", "custom_name"), None);
        assert_eq!(referencing_column(None, None), None);
    }
}
