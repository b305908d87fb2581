//! The durable job queue: typed jobs in the `jobs` table of the same database, claimed once
//! by any of several hub processes, retried with backoff, and recovered when the process
//! running them dies. Why not apalis: `docs/decisions/0001-job-queue.md`.
//!
//! A job type implements [`Job`]; its handler is registered in a [`Registry`]; [`enqueue`]
//! (or [`enqueue_in`], inside the transaction of the change that causes it) queues one; a
//! [`Worker`] runs them. Tests call [`run_due`] to run everything that is due, now.

mod registry;
mod store;
mod worker;

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use registry::{JobContext, Registry};
pub use store::{JobRow, StateCount, counts, enqueue, enqueue_in, get, recover_expired};
pub use worker::{Worker, WorkerConfig, run_due};

/// A kind of job: its payload, its name in the table, and how often it may be tried.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Stable name stored with every job of this kind (`notify.deliver`, `robot.run`).
    const KIND: &'static str;
    /// Attempts before the job is given up as dead.
    const MAX_ATTEMPTS: i64 = 8;
}

/// How a job attempt ended badly.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (a server down, a timeout): retried with backoff.
    #[error("{0}")]
    Retry(String),
    /// Try again, but not before this (a server said "429, retry after 30 s").
    #[error("{message} (retry after {after:?})")]
    RetryAfter { after: Duration, message: String },
    /// Trying again cannot help (bad payload, refused address): the job ends as failed.
    #[error("{0}")]
    Permanent(String),
}

impl From<crate::CoreError> for JobError {
    fn from(e: crate::CoreError) -> Self {
        if let crate::CoreError::Transient {
            retry_after: Some(after),
            message,
        } = e
        {
            return JobError::RetryAfter { after, message };
        }
        if e.is_transient() {
            JobError::Retry(e.to_string())
        } else {
            JobError::Permanent(e.to_string())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    /// Ended by a permanent error.
    Failed,
    /// Ended because every attempt failed.
    Dead,
}

impl JobState {
    pub const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Failed,
        JobState::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// The wait before attempt `attempt + 1`: doubling from 10 s up to an hour, with up to a
/// quarter added at random so jobs that failed together do not all return together.
pub fn backoff(attempt: i64) -> Duration {
    let base = 10_000u64.saturating_mul(1u64 << attempt.clamp(1, 20).saturating_sub(1));
    let capped = base.min(3_600_000);
    let mut r = [0u8; 2];
    getrandom::fill(&mut r).expect("the operating system provides randomness");
    let jitter = capped / 4 * u64::from(u16::from_le_bytes(r)) / u64::from(u16::MAX);
    Duration::from_millis(capped + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_an_hour() {
        let ms = |a| backoff(a).as_millis();
        assert!((10_000..=12_500).contains(&ms(1)), "{}", ms(1));
        assert!((20_000..=25_000).contains(&ms(2)), "{}", ms(2));
        assert!((3_600_000..=4_500_000).contains(&ms(30)), "{}", ms(30));
    }
}
