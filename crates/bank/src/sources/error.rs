//! The one error of reading a statement: always says where (line and key, or JSON path).

/// Why a statement could not be read. Nothing of a file that fails is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A problem with a line as a whole (structure, encoding, truncation).
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    /// A value that does not parse; `key` is the key as written in the file.
    #[error("line {line}, {key}: {message}")]
    Field {
        line: usize,
        key: String,
        message: String,
    },
    /// A problem in a JSON document; `path` is like `operations[3].accountAmount`.
    #[error("{path}: {message}")]
    Json { path: String, message: String },
    /// The file as a whole is not something we read.
    #[error("{0}")]
    File(String),
}

impl ParseError {
    pub(crate) fn line(line: usize, message: impl Into<String>) -> ParseError {
        ParseError::Line {
            line,
            message: message.into(),
        }
    }

    pub(crate) fn field(line: usize, key: &str, message: impl Into<String>) -> ParseError {
        ParseError::Field {
            line,
            key: key.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn json(path: &str, message: impl Into<String>) -> ParseError {
        ParseError::Json {
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// The 1-based line the error is about, when it is about a line.
    pub fn line_number(&self) -> Option<usize> {
        match self {
            ParseError::Line { line, .. } | ParseError::Field { line, .. } => Some(*line),
            _ => None,
        }
    }
}
