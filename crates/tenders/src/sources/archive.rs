//! ZIP archives of notice XML, as the document service hands them out. Sizes are
//! counted as bytes are inflated, not taken from the headers, so a zip bomb stops at
//! the limit.

use std::io::{Cursor, Read};

use serde::Serialize;

use super::notice::{MAX_NOTICE_BYTES, NoticeError, parse_notice};
use crate::domain::TenderNotice;

/// Limits for one archive: a region's day is a few hundred notices of ~150 KB.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveLimits {
    pub max_entries: usize,
    pub max_total_bytes: u64,
    pub max_entry_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_entries: 20_000,
            max_total_bytes: 200 * 1024 * 1024,
            max_entry_bytes: MAX_NOTICE_BYTES as u64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ArchiveError {
    #[error("not a readable ZIP archive: {0}")]
    Zip(String),
    #[error("the archive has {count} entries, more than the {limit} accepted")]
    TooManyEntries { count: usize, limit: usize },
    #[error("the archive inflates to more than {limit} bytes (stopped in {entry})")]
    TooLarge { entry: String, limit: u64 },
    #[error("entry {entry}: {message}")]
    Entry { entry: String, message: String },
}

/// One XML entry of an archive and what it parsed to.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveEntry {
    pub name: String,
    pub notice: Result<TenderNotice, NoticeError>,
}

/// The notices in a ZIP archive, one result per `.xml` entry (other entries, such as
/// signatures, are passed over). A broken notice is an entry error; a broken or oversized
/// archive is an error of the whole.
pub fn notices_in_zip(bytes: &[u8]) -> Result<Vec<ArchiveEntry>, ArchiveError> {
    notices_in_zip_with(bytes, ArchiveLimits::default())
}

pub fn notices_in_zip_with(
    bytes: &[u8],
    limits: ArchiveLimits,
) -> Result<Vec<ArchiveEntry>, ArchiveError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveError::Zip(e.to_string()))?;
    if archive.len() > limits.max_entries {
        return Err(ArchiveError::TooManyEntries {
            count: archive.len(),
            limit: limits.max_entries,
        });
    }
    let mut total: u64 = 0;
    let mut entries = Vec::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(|e| ArchiveError::Entry {
            entry: format!("#{}", index + 1),
            message: e.to_string(),
        })?;
        let name = file
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(file.name_raw()).into_owned());
        if file.is_dir() || !name.to_ascii_lowercase().ends_with(".xml") {
            continue;
        }
        let remaining = limits.max_total_bytes - total;
        let cap = remaining.min(limits.max_entry_bytes);
        let mut content = Vec::new();
        let read = (&mut file)
            .take(cap + 1)
            .read_to_end(&mut content)
            .map_err(|e| ArchiveError::Entry {
                entry: name.clone(),
                message: e.to_string(),
            })? as u64;
        if read > remaining {
            return Err(ArchiveError::TooLarge {
                entry: name,
                limit: limits.max_total_bytes,
            });
        }
        total += read;
        let notice = if read > limits.max_entry_bytes {
            Err(NoticeError::TooLarge {
                size: read as usize,
                limit: limits.max_entry_bytes as usize,
            })
        } else {
            parse_notice(&content)
        };
        entries.push(ArchiveEntry { name, notice });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests;
