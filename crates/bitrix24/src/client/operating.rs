//! The portal's second limit: resource time per method. Each answer's `time.operating` says
//! how many seconds the method used over the last ten minutes, and `operating_reset_at` when
//! the oldest minute drops off. Past the limit (480 s in the docs' example) the method answers
//! 429 until then. A long back-fill watches the number and slows down before it gets there.

use std::collections::HashMap;
use std::time::Duration;

/// The resource time a method may use per ten minutes before the portal blocks it.
pub const DEFAULT_OPERATING_LIMIT: f64 = 480.0;
/// Above this share of the limit, calls of the method are spaced out.
const SLOW_FROM: f64 = 0.8;
/// Closer than this to the limit, calls wait for the reset rather than risk the block.
const BLOCK_MARGIN: f64 = 5.0;
/// The longest pause spacing out adds to one call.
const MAX_SPACING: Duration = Duration::from_secs(7);

/// The `time` object of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Deserialize)]
pub struct TimeInfo {
    #[serde(default)]
    pub operating: Option<f64>,
    /// Unix seconds.
    #[serde(default)]
    pub operating_reset_at: Option<f64>,
    #[serde(default)]
    pub duration: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Usage {
    operating: f64,
    reset_at: f64,
}

/// What to do before calling a method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    Go,
    /// Space the call out by this much.
    Pause(Duration),
    /// The method is (about to be) blocked until its oldest minute drops off.
    Blocked(Duration),
}

#[derive(Debug, Clone, Default)]
pub struct OperatingTracker {
    limit: f64,
    by_method: HashMap<String, Usage>,
}

impl OperatingTracker {
    pub fn new(limit: f64) -> OperatingTracker {
        OperatingTracker {
            limit: if limit > BLOCK_MARGIN * 2.0 {
                limit
            } else {
                DEFAULT_OPERATING_LIMIT
            },
            by_method: HashMap::new(),
        }
    }

    /// Remembers what an answer of `method` said about its resource time.
    pub fn record(&mut self, method: &str, time: &TimeInfo) {
        if let (Some(operating), Some(reset_at)) = (time.operating, time.operating_reset_at) {
            self.by_method.insert(
                method.to_owned(),
                Usage {
                    operating,
                    reset_at,
                },
            );
        }
    }

    /// When the method's block lifts, as far as the portal told (Unix seconds).
    pub fn reset_at(&self, method: &str) -> Option<f64> {
        self.by_method.get(method).map(|u| u.reset_at)
    }

    /// How to pace a call of `method` at Unix time `now`.
    pub fn pace(&self, method: &str, now: f64) -> Pace {
        let Some(usage) = self.by_method.get(method) else {
            return Pace::Go;
        };
        let until_reset = usage.reset_at - now;
        // After the reset the number is stale: the next answer says what is left.
        if until_reset <= 0.0 {
            return Pace::Go;
        }
        if usage.operating >= self.limit - BLOCK_MARGIN {
            return Pace::Blocked(Duration::from_secs_f64(until_reset + 1.0));
        }
        if usage.operating >= self.limit * SLOW_FROM {
            return Pace::Pause(Duration::from_secs_f64(until_reset * 0.01).min(MAX_SPACING));
        }
        Pace::Go
    }

    /// Usage per method, for the settings page: (method, seconds used, limit).
    pub fn usage(&self, now: f64) -> Vec<(String, f64, f64)> {
        let mut out: Vec<_> = self
            .by_method
            .iter()
            .filter(|(_, u)| u.reset_at > now)
            .map(|(m, u)| (m.clone(), u.operating, self.limit))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(operating: f64, reset_at: f64) -> TimeInfo {
        TimeInfo {
            operating: Some(operating),
            operating_reset_at: Some(reset_at),
            duration: None,
        }
    }

    #[test]
    fn a_method_slows_down_before_it_is_blocked() {
        let mut t = OperatingTracker::new(480.0);
        assert_eq!(t.pace("tasks.task.list", 1000.0), Pace::Go);
        t.record("tasks.task.list", &time(100.0, 1600.0));
        assert_eq!(t.pace("tasks.task.list", 1000.0), Pace::Go);
        t.record("tasks.task.list", &time(400.0, 1600.0));
        assert_eq!(
            t.pace("tasks.task.list", 1000.0),
            Pace::Pause(Duration::from_secs(6))
        );
        t.record("tasks.task.list", &time(476.0, 1600.0));
        assert_eq!(
            t.pace("tasks.task.list", 1000.0),
            Pace::Blocked(Duration::from_secs(601))
        );
        // Other methods have their own count; after the reset the count is stale.
        assert_eq!(t.pace("user.get", 1000.0), Pace::Go);
        assert_eq!(t.pace("tasks.task.list", 1601.0), Pace::Go);
        assert_eq!(
            t.usage(1000.0),
            vec![("tasks.task.list".to_owned(), 476.0, 480.0)]
        );
    }

    #[test]
    fn an_answer_without_numbers_changes_nothing() {
        let mut t = OperatingTracker::new(480.0);
        t.record("user.get", &TimeInfo::default());
        assert!(t.usage(0.0).is_empty());
    }
}
