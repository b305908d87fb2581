//! What a robot reports while it runs. Counters and progress are written to its run row
//! at most every [`FLUSH_EVERY`] (and at the end), log lines at once, so the run page shows
//! them live without a write per item.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::db::Db;
use crate::error::CoreResult;
use crate::time::now_ms;

const FLUSH_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// What a run reported, for someone watching in the same process (`shtab robots run`).
#[derive(Debug, Clone)]
pub enum RunEvent {
    Progress { done: i64, total: i64 },
    Log { level: LogLevel, message: String },
}

pub type RunObserver = Arc<dyn Fn(&RunEvent) + Send + Sync>;

struct Report {
    counters: BTreeMap<String, i64>,
    done: i64,
    total: i64,
    dirty: bool,
    flushed: Instant,
}

pub struct RunContext {
    db: Db,
    run_id: i64,
    robot: String,
    report: Mutex<Report>,
    observer: Option<RunObserver>,
}

impl RunContext {
    pub(super) fn new(db: Db, run_id: i64, robot: &str, observer: Option<RunObserver>) -> Self {
        RunContext {
            db,
            run_id,
            robot: robot.to_string(),
            report: Mutex::new(Report {
                counters: BTreeMap::new(),
                done: 0,
                total: 0,
                dirty: false,
                flushed: Instant::now(),
            }),
            observer,
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    pub fn robot(&self) -> &str {
        &self.robot
    }

    /// Adds `n` to the counter `name` ("new", "updated", "skipped"…).
    pub async fn count(&self, name: &str, n: i64) -> CoreResult<()> {
        {
            let mut r = self.report.lock().expect("not poisoned");
            *r.counters.entry(name.to_string()).or_insert(0) += n;
            r.dirty = true;
        }
        self.flush(false).await
    }

    /// `done` of `total` units of work are finished.
    pub async fn progress(&self, done: i64, total: i64) -> CoreResult<()> {
        {
            let mut r = self.report.lock().expect("not poisoned");
            r.done = done;
            r.total = total;
            r.dirty = true;
        }
        self.notify(&RunEvent::Progress { done, total });
        self.flush(false).await
    }

    pub async fn log(&self, level: LogLevel, message: impl Into<String>) -> CoreResult<()> {
        let message = message.into();
        sqlx::query(
            "INSERT INTO robot_run_logs (run_id, at, level, message) VALUES ($1, $2, $3, $4)",
        )
        .bind(self.run_id)
        .bind(now_ms())
        .bind(level.as_str())
        .bind(&message)
        .execute(self.db.pool())
        .await?;
        self.notify(&RunEvent::Log { level, message });
        self.flush(false).await
    }

    pub fn counters(&self) -> BTreeMap<String, i64> {
        self.report.lock().expect("not poisoned").counters.clone()
    }

    fn notify(&self, event: &RunEvent) {
        if let Some(o) = &self.observer {
            o(event);
        }
    }

    /// Writes counters and progress if they changed and the last write is old enough (or
    /// `force`).
    pub(super) async fn flush(&self, force: bool) -> CoreResult<()> {
        let (counters, done, total) = {
            let mut r = self.report.lock().expect("not poisoned");
            if !r.dirty || (!force && r.flushed.elapsed() < FLUSH_EVERY) {
                return Ok(());
            }
            r.dirty = false;
            r.flushed = Instant::now();
            (counters_json(&r.counters), r.done, r.total)
        };
        sqlx::query(
            "UPDATE robot_runs SET counters = $1, progress_done = $2, progress_total = $3 WHERE id = $4",
        )
        .bind(counters)
        .bind(done)
        .bind(total)
        .bind(self.run_id)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}

pub(super) fn counters_json(c: &BTreeMap<String, i64>) -> String {
    serde_json::to_string(c).unwrap_or_else(|_| "{}".into())
}
