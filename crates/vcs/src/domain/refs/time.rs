//! Redmine's time notation right after a reference: `#123 @2h30m`.

use super::duration;
use super::text::BLANKS;

/// An `@…` duration: where it stands and, when sane, its minutes.
pub(super) struct TimeToken {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) minutes: Option<i64>,
}

/// The `@duration` following the reference that ends at `end`, on the same line and after
/// at least one blank (Redmine's rule; `#12@2h` reads as an address).
pub(super) fn time_after(text: &str, end: usize) -> Option<TimeToken> {
    let rest = &text[end..];
    let trimmed = rest.trim_start_matches(BLANKS);
    if trimmed.len() == rest.len() {
        return None;
    }
    let start = end + (rest.len() - trimmed.len());
    let (minutes, len) = duration::redmine(trimmed.strip_prefix('@')?)?;
    Some(TimeToken {
        start,
        end: start + 1 + len,
        minutes,
    })
}
