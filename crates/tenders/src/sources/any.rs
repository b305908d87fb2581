//! One entry point for a file of unknown kind (the CLI's `shtab tenders parse FILE`):
//! an RSS feed, a notice XML, or a ZIP of notices.

use serde::Serialize;

use super::archive::{ArchiveError, notices_in_zip};
use super::notice::{NoticeError, parse_notice};
use super::rss::{FeedError, parse_feed};
use crate::domain::{FeedItem, TenderNotice};

/// One line of the CLI's output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParsedItem {
    FeedItem(Box<FeedItem>),
    Notice {
        /// The archive entry the notice came from, when it came from one.
        #[serde(skip_serializing_if = "Option::is_none")]
        entry: Option<String>,
        notice: Box<TenderNotice>,
    },
    /// Something inside the file that could not be parsed; the rest still is.
    Error {
        #[serde(skip_serializing_if = "Option::is_none")]
        entry: Option<String>,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(untagged)]
pub enum ParseAnyError {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Notice(#[from] NoticeError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("a gzip file: unpack it first (gunzip) and parse what is inside")]
    Gzip,
}

pub fn parse_any(bytes: &[u8]) -> Result<Vec<ParsedItem>, ParseAnyError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Ok(notices_in_zip(bytes)?
            .into_iter()
            .map(|e| match e.notice {
                Ok(notice) => ParsedItem::Notice {
                    entry: Some(e.name),
                    notice: Box::new(notice),
                },
                Err(err) => ParsedItem::Error {
                    entry: Some(e.name),
                    message: err.to_string(),
                },
            })
            .collect());
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(ParseAnyError::Gzip);
    }
    if looks_like_rss(bytes) {
        let feed = parse_feed(bytes)?;
        let rejected = feed.rejected.into_iter().map(|r| ParsedItem::Error {
            entry: None,
            message: format!("feed item {}: {}", r.position, r.reason),
        });
        return Ok(feed
            .items
            .into_iter()
            .map(|item| ParsedItem::FeedItem(Box::new(item)))
            .chain(rejected)
            .collect());
    }
    match parse_notice(bytes) {
        Ok(notice) => Ok(vec![ParsedItem::Notice {
            entry: None,
            notice: Box::new(notice),
        }]),
        // An HTML page saved as a "feed" deserves the feed's explanation.
        Err(NoticeError::UnknownRoot { .. } | NoticeError::Malformed(_))
            if looks_like_html(bytes) =>
        {
            Err(parse_feed(bytes)
                .err()
                .unwrap_or(FeedError::NotRss {
                    what: "an HTML page".into(),
                })
                .into())
        }
        Err(e) => Err(e.into()),
    }
}

fn head(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase()
}

fn looks_like_rss(bytes: &[u8]) -> bool {
    head(bytes).contains("<rss")
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let h = head(bytes);
    h.contains("<!doctype html") || h.contains("<html")
}
