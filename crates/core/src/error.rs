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
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
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
        _ => CoreError::Db(e),
    }
}
