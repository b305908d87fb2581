//! Turning a notice's text values into domain values, with errors that say which element
//! and line held the bad value.

use chrono::{DateTime, Utc};

use super::NoticeError;
use crate::domain::time::parse_instant;
use crate::domain::{Kopecks, RegNumber};
use crate::sources::xml::{excerpt, line_column};

/// Where a value came from: the element path and its byte offset in the document.
pub(super) struct At<'a> {
    pub input: &'a [u8],
    pub path: &'a [String],
    pub offset: usize,
}

impl At<'_> {
    pub fn invalid(&self, value: &str, reason: impl Into<String>) -> NoticeError {
        NoticeError::Invalid {
            path: self.path.join("/"),
            line: line_column(self.input, self.offset).0,
            value: excerpt(value, 80),
            reason: reason.into(),
        }
    }

    pub fn money(&self, value: &str) -> Result<Kopecks, NoticeError> {
        Kopecks::parse_lenient(value).map_err(|e| self.invalid(value, e.to_string()))
    }

    pub fn instant(&self, value: &str) -> Result<DateTime<Utc>, NoticeError> {
        parse_instant(value).ok_or_else(|| self.invalid(value, "not a date-time"))
    }

    pub fn version(&self, value: &str) -> Result<u32, NoticeError> {
        value
            .trim()
            .parse()
            .map_err(|_| self.invalid(value, "not a version number"))
    }

    pub fn reg_number(&self, value: &str) -> Result<RegNumber, NoticeError> {
        RegNumber::parse(value).map_err(|e| self.invalid(value, e.reason))
    }
}

/// `rel` is exactly `pattern`.
pub(super) fn is(rel: &[String], pattern: &[&str]) -> bool {
    rel.len() == pattern.len() && rel.iter().zip(pattern).all(|(a, b)| a == b)
}

/// `rel` starts with `pattern`.
pub(super) fn under(rel: &[String], pattern: &[&str]) -> bool {
    rel.len() >= pattern.len() && rel.iter().zip(pattern).all(|(a, b)| a == b)
}

/// `rel` ends with `pattern`.
pub(super) fn ends(rel: &[String], pattern: &[&str]) -> bool {
    rel.len() >= pattern.len()
        && rel[rel.len() - pattern.len()..]
            .iter()
            .zip(pattern)
            .all(|(a, b)| a == b)
}

pub(super) fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_owned());
    }
}
