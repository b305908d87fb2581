//! Date-times as the portal writes them. 44-FZ notices carry an offset
//! (`2025-11-07T09:49:15.961+03:00`); 2016 223-FZ notices have none (`2016-08-05T18:00:00`),
//! and those are Moscow time, the portal's own zone.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Moscow;

/// An instant in UTC, or `None` when `s` is no date-time the portal writes.
/// Sub-millisecond digits are dropped: instants are stored as Unix milliseconds.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let utc = if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        t.with_timezone(&Utc)
    } else {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        // Moscow had no DST change since 2014, but earlier notices need the zone's history.
        Moscow
            .from_local_datetime(&naive)
            .earliest()?
            .with_timezone(&Utc)
    };
    DateTime::from_timestamp_millis(utc.timestamp_millis())
}

/// `29.07.2026`, the feed's date form.
pub fn parse_ru_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%d.%m.%Y").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_kept_and_bare_times_are_moscow() {
        let t = parse_instant("2025-11-07T09:49:15.961+03:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-11-07T06:49:15.961+00:00");
        let t = parse_instant("2016-08-05T18:00:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2016-08-05T15:00:00+00:00");
        // Moscow was UTC+4 from 2011 to 2014.
        let t = parse_instant("2012-11-14T18:00:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2012-11-14T14:00:00+00:00");
        assert_eq!(parse_instant("2025-11-24+03:00"), None);
        assert_eq!(parse_instant("soon"), None);
    }

    #[test]
    fn reads_feed_dates() {
        assert_eq!(
            parse_ru_date("29.07.2026"),
            NaiveDate::from_ymd_opt(2026, 7, 29)
        );
        assert_eq!(parse_ru_date("2026-07-29"), None);
    }
}
