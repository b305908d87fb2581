//! The time bounds of an audit query. People think in days where the agency is, so a date
//! means that day in `server.time_zone`, and a range "to" a date includes the whole day.

use chrono::{DateTime, NaiveDate};
use shtab_core::config::Config;
use shtab_core::time::day_start_ms;

/// The first instant of `date`, as Unix milliseconds.
pub fn day_start(date: NaiveDate, config: &Config) -> i64 {
    day_start_ms(date, config.time_zone())
}

/// The first instant after `date`: the exclusive end of a range that includes that day.
pub fn day_end(date: NaiveDate, config: &Config) -> i64 {
    match date.succ_opt() {
        Some(next) => day_start(next, config),
        None => i64::MAX,
    }
}

/// An API bound: an RFC 3339 instant, or a `YYYY-MM-DD` day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Instant(i64),
    Day(NaiveDate),
}

impl Bound {
    pub fn parse(s: &str) -> Option<Bound> {
        let s = s.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(Bound::Instant(t.timestamp_millis()));
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(Bound::Day)
    }

    /// As the start of a range (inclusive).
    pub fn since(self, config: &Config) -> i64 {
        match self {
            Bound::Instant(ms) => ms,
            Bound::Day(d) => day_start(d, config),
        }
    }

    /// As the end of a range: an instant is exclusive, a day is included whole.
    pub fn until(self, config: &Config) -> i64 {
        match self {
            Bound::Instant(ms) => ms,
            Bound::Day(d) => day_end(d, config),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moscow() -> Config {
        let mut c = Config::default();
        c.server.time_zone = "Europe/Moscow".into();
        c
    }

    #[test]
    fn a_day_is_the_agencys_day_and_until_includes_it() {
        let c = moscow();
        let day = Bound::parse("2026-03-01").unwrap();
        // Midnight in Moscow (UTC+3) is 21:00 UTC the evening before.
        let start = DateTime::parse_from_rfc3339("2026-02-28T21:00:00Z").unwrap();
        assert_eq!(day.since(&c), start.timestamp_millis());
        assert_eq!(day.until(&c), start.timestamp_millis() + 24 * 3_600_000);
    }

    #[test]
    fn an_instant_is_taken_as_it_is() {
        let c = moscow();
        let b = Bound::parse("2026-03-01T10:00:00+03:00").unwrap();
        let ms = DateTime::parse_from_rfc3339("2026-03-01T07:00:00Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!((b.since(&c), b.until(&c)), (ms, ms));
    }

    #[test]
    fn anything_else_is_no_bound() {
        for s in [
            "",
            "yesterday",
            "01.03.2026",
            "2026-02-30",
            "2026-03-01 10:00",
        ] {
            assert_eq!(Bound::parse(s), None, "{s}");
        }
    }
}
