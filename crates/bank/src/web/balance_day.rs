//! When a balance is as of: a statement's balance is at the end of its last day, stored as
//! that day's end in UTC. Shown as the day itself (`05.12.2026`), not as the instant in the
//! agency's zone (which is already the next morning in Moscow).

use chrono::DateTime;

/// The statement day `balance_at` (Unix ms) closes, as `DD.MM.YYYY`.
pub fn balance_day(balance_at_ms: i64) -> String {
    DateTime::from_timestamp_millis(balance_at_ms)
        .map(|t| t.date_naive().format("%d.%m.%Y").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_a_day_is_that_day() {
        // 05.12.2026 23:59:59.999 UTC: 06.12 02:59 in Moscow, still the 5th's balance.
        let end = chrono::NaiveDate::from_ymd_opt(2026, 12, 5)
            .unwrap()
            .and_hms_milli_opt(23, 59, 59, 999)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        assert_eq!(balance_day(end), "05.12.2026");
    }
}
