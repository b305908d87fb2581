//! The portal's request-rate limit, kept on our side: a leaky bucket per portal (each request
//! adds one, the bucket drains `rate` per second, holds `burst`). Keeping under it costs a
//! little waiting; going over costs 503s, and a portal that keeps seeing them gets slower for
//! every application on it. The bucket is the pure arithmetic; the clock is passed in, so
//! tests need no sleeping.

use std::time::{Duration, Instant};

/// The portal's plan: 2 req/s and 50 for most, 5 and 250 for Enterprise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per second the bucket drains.
    pub rate: f64,
    /// Requests the bucket holds before a request must wait.
    pub burst: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            rate: 2.0,
            burst: 50.0,
        }
    }
}

/// After this many answers in a row without a 503, a slowed bucket speeds up a step.
const SUCCESSES_TO_RECOVER: u32 = 20;
/// A 503 slows the bucket by this factor, recovery speeds it up by the other.
const SLOW_DOWN: f64 = 0.8;
const SPEED_UP: f64 = 1.1;
/// Places kept free in the bucket: requests reach the portal a little later or earlier than
/// they left, and the portal's bucket counts arrivals. One place absorbs a drain step's jitter.
const HEADROOM: f64 = 1.0;
/// Never slower than this: the portal's own drain is never below it.
const MIN_RATE: f64 = 0.5;

#[derive(Debug, Clone)]
pub struct LeakyBucket {
    configured: RateLimit,
    /// The rate in use: the configured one, or less after 503s.
    rate: f64,
    /// Requests in the bucket, including those reserved and still waiting for their turn.
    level: f64,
    at: Instant,
    successes: u32,
    limited: u64,
}

/// What the bucket looks like now, for the settings page ("request budget in use").
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Budget {
    pub configured_rate: f64,
    pub rate: f64,
    pub burst: f64,
    /// Requests in the bucket now (reserved ones included).
    pub level: f64,
    /// 503 `QUERY_LIMIT_EXCEEDED` answers seen since the client was made.
    pub limited: u64,
}

impl LeakyBucket {
    pub fn new(limit: RateLimit, now: Instant) -> LeakyBucket {
        let limit = RateLimit {
            rate: limit.rate.max(0.01),
            burst: limit.burst.max(1.0 + HEADROOM),
        };
        LeakyBucket {
            configured: limit,
            rate: limit.rate,
            level: 0.0,
            at: now,
            successes: 0,
            limited: 0,
        }
    }

    fn drain(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level - elapsed * self.rate).max(0.0);
        self.at = self.at.max(now);
    }

    /// Reserves a place for one request and says how long to wait before sending it. The
    /// place is taken at once, so requests made together queue one behind another.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        self.drain(now);
        let over = self.level + 1.0 + HEADROOM - self.configured.burst;
        self.level += 1.0;
        if over <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(over / self.rate)
        }
    }

    /// The portal answered 503: its bucket is full whatever ours says, and our rate was too
    /// high for what else calls it (other applications share the portal's bucket).
    pub fn limited(&mut self, now: Instant) {
        self.drain(now);
        self.level = self.level.max(self.configured.burst);
        self.rate = (self.rate * SLOW_DOWN).max(MIN_RATE.min(self.configured.rate));
        self.successes = 0;
        self.limited += 1;
    }

    /// An answer that was not a 503: after enough of them, give back some of the rate.
    pub fn succeeded(&mut self) {
        self.successes += 1;
        if self.successes >= SUCCESSES_TO_RECOVER && self.rate < self.configured.rate {
            self.rate = (self.rate * SPEED_UP).min(self.configured.rate);
            self.successes = 0;
        }
    }

    /// How long to back off after the `attempt`-th 503 in a row (1-based): one drain step and
    /// `base`, growing by half each time.
    pub fn backoff(&self, attempt: u32, base: Duration) -> Duration {
        let step = Duration::from_secs_f64(1.0 / self.rate) + base;
        step.mul_f64(1.5f64.powi(i32::try_from(attempt.saturating_sub(1)).unwrap_or(8).min(8)))
    }

    pub fn budget(&mut self, now: Instant) -> Budget {
        self.drain(now);
        Budget {
            configured_rate: self.configured.rate,
            rate: self.rate,
            burst: self.configured.burst,
            level: self.level,
            limited: self.limited,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(d: Duration) -> f64 {
        (d.as_secs_f64() * 1000.0).round() / 1000.0
    }

    #[test]
    fn a_burst_goes_at_once_then_requests_queue_at_the_rate() {
        let t0 = Instant::now();
        let mut b = LeakyBucket::new(
            RateLimit {
                rate: 2.0,
                burst: 50.0,
            },
            t0,
        );
        for _ in 0..49 {
            assert_eq!(b.reserve(t0), Duration::ZERO);
        }
        // One place is kept free; the 50th waits one drain step, the 51st two: each behind
        // the other.
        assert_eq!(secs(b.reserve(t0)), 0.5);
        assert_eq!(secs(b.reserve(t0)), 1.0);
        // Ten seconds later twenty have drained; the bucket holds 31.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(b.budget(later).level, 31.0);
        for _ in 0..18 {
            assert_eq!(b.reserve(later), Duration::ZERO);
        }
        assert_eq!(secs(b.reserve(later)), 0.5);
    }

    #[test]
    fn a_503_fills_the_bucket_and_slows_it_until_answers_come_back() {
        let t0 = Instant::now();
        let mut b = LeakyBucket::new(RateLimit::default(), t0);
        b.limited(t0);
        let budget = b.budget(t0);
        assert_eq!((budget.rate, budget.level, budget.limited), (1.6, 50.0, 1));
        // Full: the next request waits two steps of the slower rate (one for the headroom).
        assert_eq!(secs(b.reserve(t0)), 1.25);
        for _ in 0..19 {
            b.succeeded();
        }
        assert_eq!(b.budget(t0).rate, 1.6);
        b.succeeded();
        assert!((b.budget(t0).rate - 1.76).abs() < 1e-9);
        for _ in 0..100 {
            b.succeeded();
        }
        assert_eq!(b.budget(t0).rate, 2.0);
    }

    #[test]
    fn the_rate_never_drops_below_the_floor() {
        let t0 = Instant::now();
        let mut b = LeakyBucket::new(RateLimit::default(), t0);
        for _ in 0..50 {
            b.limited(t0);
        }
        assert_eq!(b.budget(t0).rate, 0.5);
    }

    #[test]
    fn backoff_grows_by_half() {
        let b = LeakyBucket::new(RateLimit::default(), Instant::now());
        assert_eq!(secs(b.backoff(1, Duration::from_secs(1))), 1.5);
        assert_eq!(secs(b.backoff(2, Duration::from_secs(1))), 2.25);
    }
}
