//! Instants are stored as Unix milliseconds (`i64`) everywhere; dates as ISO `YYYY-MM-DD` text.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Milliseconds since the Unix epoch, as stored in every `*_at` column.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Formats a stored instant for people, the Russian way (`05.12.2026 14:30`), in the
/// configured time zone.
pub fn format_ms(ms: i64, tz: Tz) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) => tz
            .from_utc_datetime(&t.naive_utc())
            .format("%d.%m.%Y %H:%M")
            .to_string(),
        None => String::new(),
    }
}

/// RFC 3339 form of a stored instant, for the API.
pub fn rfc3339_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// Start of the given day (`YYYY-MM-DD`) in `tz`, as Unix milliseconds.
pub fn day_start_ms(date: chrono::NaiveDate, tz: Tz) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight).timestamp_millis())
}
