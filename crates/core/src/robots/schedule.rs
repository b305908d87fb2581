//! A robot's schedule: a cron expression read in an IANA time zone.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};

use crate::error::CoreResult;
use crate::error::{FieldError, FieldErrors};

#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    tz: Tz,
}

impl Schedule {
    /// Parses both fields, reporting every bad one (`cron`, `time_zone`) at once.
    pub fn parse(cron: &str, time_zone: &str) -> CoreResult<Schedule> {
        let mut errors = FieldErrors::default();
        let cron = errors.take(parse_cron(cron));
        let tz = errors.take(parse_time_zone(time_zone));
        errors.into_result()?;
        Ok(Schedule {
            cron: cron.expect("checked"),
            tz: tz.expect("checked"),
        })
    }

    /// The first tick strictly after `after_ms` (Unix ms); `None` if the expression never
    /// matches again (e.g. 30 February).
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let after = DateTime::<Utc>::from_timestamp_millis(after_ms)?.with_timezone(&self.tz);
        self.cron
            .find_next_occurrence(&after, false)
            .ok()
            .map(|t| t.timestamp_millis())
    }

    /// The expression in English words ("At 03:30 on every day").
    pub fn describe(&self) -> String {
        self.cron.describe()
    }

    pub fn time_zone(&self) -> Tz {
        self.tz
    }
}

pub fn parse_cron(s: &str) -> Result<Cron, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(FieldError::required("cron"));
    }
    CronParser::builder()
        .seconds(Seconds::Optional)
        .build()
        .parse(s)
        .map_err(|e| {
            FieldError::new(
                "cron",
                "invalid_cron",
                format!("is not a cron expression: {e}"),
            )
        })
}

pub fn parse_time_zone(s: &str) -> Result<Tz, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(FieldError::required("time_zone"));
    }
    Tz::from_str(s).map_err(|_| {
        FieldError::new(
            "time_zone",
            "invalid_time_zone",
            "is not an IANA time zone (like Europe/Moscow)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_tick_is_read_in_the_time_zone() {
        let s = Schedule::parse("30 3 * * *", "Europe/Moscow").unwrap();
        // 2026-01-01 00:00 UTC is 03:00 in Moscow; the next 03:30 there is 00:30 UTC.
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .timestamp_millis();
        let next = s.next_after(start).unwrap();
        assert_eq!(next - start, 30 * 60 * 1000);
    }

    #[test]
    fn seconds_are_allowed() {
        let s = Schedule::parse("* * * * * *", "UTC").unwrap();
        assert_eq!(s.next_after(1_000), Some(2_000));
        assert_eq!(s.next_after(1_500), Some(2_000));
    }

    #[test]
    fn bad_fields_are_field_errors() {
        let Err(crate::CoreError::Invalid(fields)) = Schedule::parse("61 * * *", "Mars/Olympus")
        else {
            panic!("accepted")
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["cron", "time_zone"]);
    }
}
