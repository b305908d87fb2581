//! Notice XML → [`TenderNotice`]: 44-FZ `epNotification*2020` (EF, EOK, EZK, EZT) and
//! 223-FZ `purchaseNotice*` (plain and typed variants such as `purchaseNoticeZK`).
//! Elements are matched by local name, so prefix renumbering does not matter.

mod fields;
mod fz223;
mod fz44;

use serde::Serialize;

use super::xml::{self, WalkError, XmlFault};
use crate::domain::TenderNotice;

/// Real notices are 90–160 KB; this leaves room for big ones and refuses the absurd.
pub const MAX_NOTICE_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum NoticeError {
    #[error("malformed XML at {0}")]
    Malformed(XmlFault),
    #[error(
        "<{root}> is not a notice this parser reads (44-FZ export/epNotification*, 223-FZ purchaseNotice*)"
    )]
    UnknownRoot { root: String },
    #[error("the notice has no {path}")]
    Missing { path: String },
    #[error("{path} at line {line} is {value:?}: {reason}")]
    Invalid {
        path: String,
        line: usize,
        value: String,
        reason: String,
    },
    #[error("the notice is {size} bytes, more than the {limit} accepted")]
    TooLarge { size: usize, limit: usize },
}

impl From<WalkError<NoticeError>> for NoticeError {
    fn from(e: WalkError<NoticeError>) -> Self {
        match e {
            WalkError::Xml(f) => NoticeError::Malformed(f),
            WalkError::Visitor(e) => e,
        }
    }
}

/// Which schema a document follows, told from its first elements.
pub(crate) enum NoticeKind {
    Fz44 { kind: String },
    Fz223 { kind: String },
}

/// Tells the notice type from the root (and, for 44-FZ's `export` wrapper, its child).
pub(crate) fn notice_kind(root: &str, child: Option<&str>) -> Option<NoticeKind> {
    let is_44 = |name: &str| {
        name.starts_with("epNotification") && !name.starts_with("epNotificationCancelFailure")
    };
    match (root, child) {
        ("export", Some(child)) if is_44(child) => Some(NoticeKind::Fz44 {
            kind: child.to_owned(),
        }),
        (root, _) if is_44(root) => Some(NoticeKind::Fz44 {
            kind: root.to_owned(),
        }),
        (root, _) if root.starts_with("purchaseNotice") => Some(NoticeKind::Fz223 {
            kind: root.to_owned(),
        }),
        _ => None,
    }
}

/// Parses one notice XML document.
pub fn parse_notice(bytes: &[u8]) -> Result<TenderNotice, NoticeError> {
    if bytes.len() > MAX_NOTICE_BYTES {
        return Err(NoticeError::TooLarge {
            size: bytes.len(),
            limit: MAX_NOTICE_BYTES,
        });
    }
    let (root, child) = xml::first_elements(bytes).map_err(NoticeError::Malformed)?;
    match notice_kind(&root, child.as_deref()) {
        Some(NoticeKind::Fz44 { kind }) => fz44::parse(bytes, kind),
        Some(NoticeKind::Fz223 { kind }) => fz223::parse(bytes, kind),
        None => Err(NoticeError::UnknownRoot {
            root: match (root.as_str(), child) {
                ("export", Some(child)) => format!("export/{child}"),
                _ => root,
            },
        }),
    }
}

#[cfg(test)]
mod tests;
