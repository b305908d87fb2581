//! The portal's RSS search feed (reference §1a). Items have no `<guid>`: identity is the
//! registration number in the link. An answer that is not RSS — the portal's HTML stub
//! «Сервис временно недоступен» — is an error, never "no tenders".

mod description;

use std::convert::Infallible;

use serde::Serialize;
use url::Url;

use super::xml::{self, Visitor, WalkError, XmlFault, excerpt};
use crate::domain::time::{parse_instant, parse_ru_date};
use crate::domain::{FeedItem, Kopecks, Law, RegNumber, Stage};

/// Links in the feed may be relative to the portal.
pub const PORTAL: &str = "https://zakupki.gov.ru";

/// A 200-item feed is about 600 KB; this bounds memory for a misbehaving server.
pub const MAX_FEED_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum FeedError {
    /// The portal answered with something else, typically its HTML error page.
    #[error("the answer is not an RSS feed: {what}")]
    NotRss { what: String },
    #[error("malformed feed XML at {0}")]
    Malformed(XmlFault),
    #[error("the feed is {size} bytes, more than the {limit} accepted")]
    TooLarge { size: usize, limit: usize },
}

/// A parsed feed. Items that cannot be identified are set aside with the reason, so one
/// odd item does not hide the others.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Feed {
    /// The search results page the feed mirrors, made absolute.
    pub channel_link: Option<String>,
    pub items: Vec<FeedItem>,
    pub rejected: Vec<RejectedItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedItem {
    /// 1-based position of the item in the feed.
    pub position: usize,
    pub title: Option<String>,
    pub reason: String,
}

pub fn parse_feed(bytes: &[u8]) -> Result<Feed, FeedError> {
    if bytes.len() > MAX_FEED_BYTES {
        return Err(FeedError::TooLarge {
            size: bytes.len(),
            limit: MAX_FEED_BYTES,
        });
    }
    if let Some(what) = html_page(bytes) {
        return Err(FeedError::NotRss { what });
    }
    let (root, child) = match xml::first_elements(bytes) {
        Ok(names) => names,
        Err(fault) if fault.message == "no root element" => {
            return Err(FeedError::NotRss {
                what: if bytes.iter().all(u8::is_ascii_whitespace) {
                    "an empty body".into()
                } else {
                    format!("no XML element ({fault})")
                },
            });
        }
        Err(fault) => return Err(FeedError::Malformed(fault)),
    };
    if root != "rss" {
        return Err(FeedError::NotRss {
            what: format!("an XML document whose root is <{root}>"),
        });
    }
    if child.as_deref() != Some("channel") {
        return Err(FeedError::NotRss {
            what: "an <rss> without a <channel>".into(),
        });
    }
    let mut v = FeedVisitor::default();
    xml::walk(bytes, &mut v).map_err(|e| match e {
        WalkError::Xml(f) => FeedError::Malformed(f),
        WalkError::Visitor(never) => match never {},
    })?;
    Ok(v.feed)
}

/// A description of the HTML page `bytes` is, if it is one.
fn html_page(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_lowercase();
    let start = head.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !(start.starts_with("<!doctype html") || start.starts_with("<html")) {
        return None;
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    let title = inner_text(&text, "title");
    let heading = inner_text(&text, "h1");
    let said: Vec<String> = [title, heading].into_iter().flatten().collect();
    Some(if said.is_empty() {
        "an HTML page".into()
    } else {
        format!("an HTML page «{}»", excerpt(&said.join(": "), 200))
    })
}

/// The text of the first `<tag>…</tag>` in `html`, tags inside removed.
fn inner_text(html: &str, tag: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find(&format!("<{tag}"))?;
    let content_start = open + lower[open..].find('>')? + 1;
    let content_end = content_start + lower[content_start..].find(&format!("</{tag}"))?;
    let text = description::plain_text(&html[content_start..content_end]);
    (!text.is_empty()).then_some(text)
}

#[derive(Default)]
struct RawItem {
    title: Option<String>,
    link: Option<String>,
    description: Option<String>,
    pub_date: Option<String>,
    author: Option<String>,
}

#[derive(Default)]
struct FeedVisitor {
    feed: Feed,
    item: Option<RawItem>,
    position: usize,
}

impl Visitor for FeedVisitor {
    type Error = Infallible;

    fn start(&mut self, path: &[String]) -> Result<bool, Infallible> {
        if is_item(path) {
            self.item = Some(RawItem::default());
            self.position += 1;
        }
        Ok(true)
    }

    fn text(&mut self, path: &[String], text: &str, _offset: usize) -> Result<(), Infallible> {
        if path.len() == 3 && path[1] == "channel" && path[2] == "link" {
            self.feed.channel_link = absolute(text);
        }
        if path.len() != 4 || !is_item(&path[..3]) {
            return Ok(());
        }
        let Some(item) = self.item.as_mut() else {
            return Ok(());
        };
        let slot = match path[3].as_str() {
            "title" => &mut item.title,
            "link" => &mut item.link,
            "description" => &mut item.description,
            "pubDate" => &mut item.pub_date,
            "author" => &mut item.author,
            _ => return Ok(()),
        };
        *slot = Some(text.to_owned());
        Ok(())
    }

    fn end(&mut self, path: &[String]) -> Result<(), Infallible> {
        if is_item(path)
            && let Some(raw) = self.item.take()
        {
            let title = raw.title.clone();
            match item(raw) {
                Ok(item) => self.feed.items.push(item),
                Err(reason) => self.feed.rejected.push(RejectedItem {
                    position: self.position,
                    title,
                    reason,
                }),
            }
        }
        Ok(())
    }
}

fn is_item(path: &[String]) -> bool {
    path.len() == 3 && path[0] == "rss" && path[1] == "channel" && path[2] == "item"
}

fn absolute(link: &str) -> Option<String> {
    let base = Url::parse(PORTAL).expect("the portal URL is valid");
    base.join(link.trim()).ok().map(String::from)
}

/// Builds a feed item, or says why it cannot be identified.
fn item(raw: RawItem) -> Result<FeedItem, String> {
    let title = raw
        .title
        .as_deref()
        .map(description::plain_text)
        .unwrap_or_default();
    let link = raw
        .link
        .as_deref()
        .and_then(absolute)
        .ok_or("no usable <link>")?;
    let pairs = raw
        .description
        .as_deref()
        .map(description::labelled_values)
        .unwrap_or_default();
    let label = |prefix: &str| {
        pairs
            .iter()
            .find(|(l, _)| l.to_lowercase().starts_with(prefix))
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let reg_number = reg_number_of(&link, &title)?;
    let law = law_of(&link)
        .or_else(|| {
            label("размещение выполняется по")
                .as_deref()
                .and_then(Law::from_portal_name)
        })
        .unwrap_or_else(|| reg_number.law());
    if reg_number.law() != law {
        return Err(format!("number {reg_number} does not fit {law}"));
    }
    let price = match label("начальная") {
        Some(p) => Some(Kopecks::parse_lenient(&p).map_err(|e| format!("price: {e}"))?),
        None => None,
    };
    let method = title
        .rsplit_once('№')
        .map(|(m, _)| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    Ok(FeedItem {
        law,
        method,
        object: label("наименование объекта").filter(|o| o != "null"),
        customer: label("наименование заказчика")
            .or_else(|| raw.author.as_deref().map(description::plain_text))
            .filter(|c| !c.is_empty()),
        max_price: price,
        currency: label("валюта").map(|c| {
            if c.to_lowercase() == "российский рубль" {
                "RUB".to_owned()
            } else {
                c
            }
        }),
        published: label("размещено").as_deref().and_then(parse_ru_date),
        updated: label("обновлено").as_deref().and_then(parse_ru_date),
        pub_date: raw.pub_date.as_deref().and_then(rfc822),
        stage: label("этап").map(|s| Stage::from_portal_name(&s)),
        ikz: label("идентификационный код"),
        reg_number,
        title,
        link,
    })
}

/// The number from the link's `regNumber=`, else from the title's `№…` (a 223-FZ link may
/// carry only the portal's internal `noticeInfoId`).
fn reg_number_of(link: &str, title: &str) -> Result<RegNumber, String> {
    let from_link = Url::parse(link).ok().and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == "regNumber" || k == "purchaseNoticeNumber")
            .map(|(_, v)| v.into_owned())
    });
    let from_title = title.rsplit_once('№').map(|(_, n)| n.trim().to_owned());
    let candidate = from_link
        .or(from_title)
        .ok_or("no registration number in the link or title")?;
    RegNumber::parse(&candidate).map_err(|e| e.to_string())
}

/// The law from the notice page's path: `/epz/order/notice/ea20/…` is 44-FZ,
/// `/notice223/` and the old `/223/purchase/` are 223-FZ.
fn law_of(link: &str) -> Option<Law> {
    let url = Url::parse(link).ok()?;
    let segments: Vec<&str> = url.path_segments()?.collect();
    if segments.iter().any(|s| *s == "notice223" || *s == "223") {
        return Some(Law::Fz223);
    }
    let kind = segments
        .windows(2)
        .find(|w| w[0] == "notice")
        .map(|w| w[1])?;
    let is_44 =
        kind.ends_with("20") || kind.ends_with("44") || kind.ends_with("504") || kind == "inm111";
    is_44.then_some(Law::Fz44)
}

fn rfc822(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|| parse_instant(s))
}

#[cfg(test)]
mod tests;
