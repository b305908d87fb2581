//! Robots: the work Shtab does on its own. Each robot has a cron schedule in a time zone
//! (the `robots` table), runs as a `robot.run` job on the durable queue, and leaves a run
//! record with counters, progress and log lines that the pages show while it works.
//!
//! A robot implements [`Robot`]; the binary collects them in a [`RobotSet`]; [`jobs`] gives
//! the job handler; every `shtab serve` runs a [`scheduler`] that fires due robots once
//! across processes. The platform's own robot is [`Housekeeping`].

mod context;
mod housekeeping;
mod run;
mod schedule;
pub mod scheduler;
mod store;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::jobs::{Job, Registry};
use crate::types::Locale;

pub use context::{LogLevel, RunContext, RunEvent, RunObserver};
pub use housekeeping::Housekeeping;
pub use run::{RobotRunJob, interrupt_foreground, run_in_foreground};
pub use schedule::Schedule;
pub use store::{
    LogLine, RobotRow, RunCount, RunPage, RunRow, ScheduleChange, active_run, get, get_run,
    interrupt_orphaned_runs, last_run, list, logs, queue_run_if_idle, request_run, run_counts,
    run_history, runs, sync_known, update_schedule,
};

/// How a robot's run ended badly; the message is kept with the run.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct RobotError(pub String);

impl From<crate::CoreError> for RobotError {
    fn from(e: crate::CoreError) -> Self {
        RobotError(e.to_string())
    }
}

impl From<sqlx::Error> for RobotError {
    fn from(e: sqlx::Error) -> Self {
        RobotError(format!("database error: {e}"))
    }
}

#[async_trait::async_trait]
pub trait Robot: Send + Sync {
    /// Stable name: the key of its schedule and runs (`housekeeping`, `vcs.sweep`).
    fn name(&self) -> &'static str;
    fn title(&self, locale: Locale) -> &'static str;
    /// Cron expression (five fields, or six with seconds first) used until someone edits it.
    fn default_schedule(&self) -> &'static str;
    /// Does the work. Must be idempotent: a run interrupted half-way is run again.
    async fn run(&self, ctx: &RunContext) -> Result<(), RobotError>;
}

/// `ms` as local time in the IANA zone `zone`; `None` for a zone that does not parse.
pub fn format_in_zone(ms: i64, zone: &str) -> Option<String> {
    let zone: chrono_tz::Tz = zone.parse().ok()?;
    Some(crate::time::format_ms(ms, zone))
}

/// The robots compiled into this binary. Cheap to clone.
#[derive(Clone, Default)]
pub struct RobotSet {
    robots: Arc<Vec<Arc<dyn Robot>>>,
}

impl RobotSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, robot: impl Robot + 'static) -> Self {
        let mut robots: Vec<Arc<dyn Robot>> = self.robots.iter().cloned().collect();
        robots.retain(|r| r.name() != robot.name());
        robots.push(Arc::new(robot));
        self.robots = Arc::new(robots);
        self
    }

    /// The platform's own robots.
    pub fn platform() -> Self {
        Self::new().with(Housekeeping)
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Robot>> {
        self.robots.iter().find(|r| r.name() == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Robot>> {
        self.robots.iter()
    }

    /// The robot's title, or its name when this binary does not know it.
    pub fn title(&self, name: &str, locale: Locale) -> String {
        self.get(name)
            .map(|r| r.title(locale).to_string())
            .unwrap_or_else(|| name.to_string())
    }
}

/// The job handlers that run robots.
pub fn jobs(robots: RobotSet) -> Registry {
    Registry::new().register::<RobotRunJob, _, _>(move |job, ctx| {
        let robots = robots.clone();
        async move { run::run_job(&robots, job, ctx).await }
    })
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    Schedule,
    Manual,
    Cli,
    /// Something the robot watches asked for it (a webhook that sent only part of a push).
    Event,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
            Trigger::Cli => "cli",
            Trigger::Event => "event",
        }
    }
}

/// Where a run is. `queued` until a worker starts it; `interrupted` when the process
/// running it stopped (a job retried later gets a new run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Queued,
    Running,
    Done,
    Failed,
    Interrupted,
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Done,
        RunStatus::Failed,
        RunStatus::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn is_finished(self) -> bool {
        !matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

impl Job for RobotRunJob {
    const KIND: &'static str = "robot.run";
    /// Tries beyond the first are for a run cut off by its process stopping, or a database
    /// that was away.
    const MAX_ATTEMPTS: i64 = 6;
}
