//! The outside systems the tenders capability reads: the portal's RSS search feed, notice
//! XML, and ZIP archives of notices.

pub mod any;
pub mod archive;
pub mod notice;
pub mod portal;
pub mod rss;
mod xml;

pub use any::{ParseAnyError, ParsedItem, parse_any};
pub use archive::{ArchiveEntry, ArchiveError, ArchiveLimits, notices_in_zip, notices_in_zip_with};
pub use notice::{NoticeError, parse_notice};
pub use rss::{Feed, FeedError, RejectedItem, parse_feed};
pub use xml::XmlFault;
