//! The `robots`, `robot_runs` and `robot_run_logs` tables.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{RobotRunJob, RobotSet, RunStatus, Schedule, Trigger};
use crate::audit::{self, Actor, Changes, Event};
use crate::db::{Db, FromRow, Tx};
use crate::error::{CoreError, CoreResult};
use crate::jobs;
use crate::time::now_ms;

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct RobotRow {
    pub name: String,
    pub cron: String,
    pub time_zone: String,
    pub enabled: i64,
    pub next_fire_at: Option<i64>,
    pub updated_at: i64,
}

impl RobotRow {
    pub fn is_enabled(&self) -> bool {
        self.enabled != 0
    }
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct RunRow {
    pub id: i64,
    pub robot: String,
    pub trigger: String,
    pub status: String,
    pub fire_at: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub counters: String,
    pub progress_done: i64,
    pub progress_total: i64,
    pub error: Option<String>,
    pub job_id: Option<i64>,
}

impl RunRow {
    pub fn status(&self) -> RunStatus {
        RunStatus::parse(&self.status).unwrap_or(RunStatus::Failed)
    }

    pub fn counters(&self) -> BTreeMap<String, i64> {
        serde_json::from_str(&self.counters).unwrap_or_default()
    }

    /// Milliseconds from start to end, once finished.
    pub fn duration_ms(&self) -> Option<i64> {
        Some(self.finished_at? - self.started_at?)
    }
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct LogLine {
    pub id: i64,
    pub at: i64,
    pub level: String,
    pub message: String,
}

const ROBOT_COLUMNS: &str = "name, cron, time_zone, enabled, next_fire_at, updated_at";
pub(super) const RUN_COLUMNS: &str = "id, robot, trigger, status, fire_at, created_at, started_at, finished_at, counters, progress_done, progress_total, error, job_id";

/// Gives every robot of this binary its row with the default schedule; a schedule someone
/// edited stays as it is. Safe to run from several processes at once.
pub async fn sync_known(db: &Db, robots: &RobotSet, default_time_zone: &str) -> CoreResult<()> {
    let now = now_ms();
    for robot in robots.iter() {
        let schedule = Schedule::parse(robot.default_schedule(), default_time_zone)?;
        sqlx::query(
            "INSERT INTO robots (name, cron, time_zone, enabled, next_fire_at, updated_at) \
             VALUES ($1, $2, $3, 1, $4, $5) ON CONFLICT (name) DO NOTHING",
        )
        .bind(robot.name())
        .bind(robot.default_schedule())
        .bind(default_time_zone)
        .bind(schedule.next_after(now))
        .bind(now)
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

pub async fn list(db: &Db) -> CoreResult<Vec<RobotRow>> {
    Ok(sqlx::query_as::<_, RobotRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {ROBOT_COLUMNS} FROM robots ORDER BY name"
    )))
    .fetch_all(db.pool())
    .await?)
}

pub async fn get(db: &Db, name: &str) -> CoreResult<RobotRow> {
    sqlx::query_as::<_, RobotRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {ROBOT_COLUMNS} FROM robots WHERE name = $1"
    )))
    .bind(name)
    .fetch_optional(db.pool())
    .await?
    .ok_or(CoreError::NotFound("robot"))
}

/// A change to a robot's schedule; absent fields keep their value.
#[derive(Debug, Clone, Default)]
pub struct ScheduleChange {
    pub cron: Option<String>,
    pub time_zone: Option<String>,
    pub enabled: Option<bool>,
}

/// Changes a schedule (audit-logged) and sets the next tick from now.
pub async fn update_schedule(
    db: &Db,
    actor: &Actor,
    name: &str,
    change: &ScheduleChange,
) -> CoreResult<RobotRow> {
    let before = get(db, name).await?;
    let cron = change
        .cron
        .as_deref()
        .map(str::trim)
        .unwrap_or(&before.cron)
        .to_string();
    let time_zone = change
        .time_zone
        .as_deref()
        .map(str::trim)
        .unwrap_or(&before.time_zone)
        .to_string();
    let enabled = change.enabled.unwrap_or(before.is_enabled());
    let schedule = Schedule::parse(&cron, &time_zone)?;
    let now = now_ms();
    let next = if enabled {
        schedule.next_after(now)
    } else {
        None
    };
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE robots SET cron = $1, time_zone = $2, enabled = $3, next_fire_at = $4, updated_at = $5 WHERE name = $6",
    )
    .bind(&cron)
    .bind(&time_zone)
    .bind(i64::from(enabled))
    .bind(next)
    .bind(now)
    .bind(name)
    .execute(&mut *tx)
    .await?;
    let mut changes = Changes::new();
    changes.diff("cron", &before.cron, &cron);
    changes.diff("time_zone", &before.time_zone, &time_zone);
    changes.diff("enabled", &before.is_enabled(), &enabled);
    if !changes.is_empty() {
        audit::record(
            &mut tx,
            actor,
            Event {
                action: "robot.schedule",
                object_kind: "robot",
                object_id: name.to_string(),
                object_label: name.to_string(),
                changes,
            },
        )
        .await?;
    }
    tx.commit().await?;
    get(db, name).await
}

/// The run of `robot` that is queued or running, if any.
pub async fn active_run(db: &Db, robot: &str) -> CoreResult<Option<RunRow>> {
    Ok(sqlx::query_as::<_, RunRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM robot_runs WHERE robot = $1 AND status IN ('queued', 'running') ORDER BY id LIMIT 1"
    )))
    .bind(robot)
    .fetch_optional(db.pool())
    .await?)
}

/// Queues a run now ("Run now"): refused with a conflict naming the run while another run
/// of the robot is queued or running. Returns the run, with its job id.
pub async fn request_run(db: &Db, actor: &Actor, robot: &str) -> CoreResult<RunRow> {
    get(db, robot).await?;
    interrupt_orphaned_runs(db).await?;
    let mut tx = db.begin().await?;
    let Some(run_id) = queue_run_in(&mut tx, robot, Trigger::Manual, None).await? else {
        drop(tx);
        return Err(busy(db, robot).await);
    };
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "robot.run",
            object_kind: "robot",
            object_id: robot.to_string(),
            object_label: robot.to_string(),
            changes: Changes::new(),
        },
    )
    .await?;
    tx.commit().await?;
    get_run(db, run_id).await
}

/// The conflict for a run refused because another run of `robot` is queued or running,
/// naming that run (if it has not finished in the meantime).
pub(super) async fn busy(db: &Db, robot: &str) -> CoreError {
    match active_run(db, robot).await {
        Ok(Some(run)) => CoreError::Conflict(format!(
            "robot {robot} already has run {} {}",
            run.id, run.status
        )),
        Ok(None) => {
            CoreError::Conflict(format!("robot {robot} already had a run queued or running"))
        }
        Err(e) => e,
    }
}

/// Queues a run of `robot` in the caller's transaction because something it watches asked
/// for it, unless one is already queued or running (which will see the same thing).
pub async fn queue_run_if_idle(tx: &mut Tx, robot: &str) -> CoreResult<Option<i64>> {
    queue_run_in(tx, robot, Trigger::Event, None).await
}

/// Inserts a queued run and its job in the caller's transaction; `None`, with nothing
/// written, when another run of the robot is queued or running.
pub(super) async fn queue_run_in(
    tx: &mut Tx,
    robot: &str,
    trigger: Trigger,
    fire_at: Option<i64>,
) -> CoreResult<Option<i64>> {
    let Some(run_id) = insert_run(tx, robot, trigger, RunStatus::Queued, fire_at, None).await?
    else {
        return Ok(None);
    };
    let job_id = jobs::enqueue_in(
        tx,
        &RobotRunJob {
            robot: robot.to_string(),
            run_id,
        },
        None,
    )
    .await?;
    sqlx::query("UPDATE robot_runs SET job_id = $1 WHERE id = $2")
        .bind(job_id)
        .bind(run_id)
        .execute(&mut **tx)
        .await?;
    Ok(Some(run_id))
}

/// Inserts a run that is queued or running; `None` when another run of the robot is
/// queued or running, or the tick already has its run. The unique index
/// `robot_runs_one_active` decides, atomically, whatever the number of requests and hubs:
/// a check before the insert would let two requests both see the robot idle. `DO NOTHING`
/// rather than a caught error keeps the caller's transaction usable on PostgreSQL.
pub(super) async fn insert_run(
    tx: &mut Tx,
    robot: &str,
    trigger: Trigger,
    status: RunStatus,
    fire_at: Option<i64>,
    job_id: Option<i64>,
) -> CoreResult<Option<i64>> {
    let now = now_ms();
    let started = (status == RunStatus::Running).then_some(now);
    Ok(sqlx::query_scalar(
        "INSERT INTO robot_runs (robot, trigger, status, fire_at, created_at, started_at, job_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(robot)
    .bind(trigger.as_str())
    .bind(status.as_str())
    .bind(fire_at)
    .bind(now)
    .bind(started)
    .bind(job_id)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn get_run(db: &Db, id: i64) -> CoreResult<RunRow> {
    sqlx::query_as::<_, RunRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM robot_runs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(CoreError::NotFound("run"))
}

pub async fn last_run(db: &Db, robot: &str) -> CoreResult<Option<RunRow>> {
    Ok(runs(db, robot, 1).await?.into_iter().next())
}

/// The latest runs of `robot`, newest first.
pub async fn runs(db: &Db, robot: &str, limit: i64) -> CoreResult<Vec<RunRow>> {
    Ok(sqlx::query_as::<_, RunRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM robot_runs WHERE robot = $1 ORDER BY id DESC LIMIT $2"
    )))
    .bind(robot)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// A page of a robot's runs, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct RunPage {
    pub runs: Vec<RunRow>,
    /// Pass as `before_id` for the next (older) page; `None` on the last page.
    pub next_before_id: Option<i64>,
}

/// The runs of `robot` older than run `before_id` (all when `None`), at most `limit`
/// (1–500), newest first. An unknown robot is not found.
pub async fn run_history(
    db: &Db,
    robot: &str,
    before_id: Option<i64>,
    limit: i64,
) -> CoreResult<RunPage> {
    get(db, robot).await?;
    let limit = limit.clamp(1, 500);
    let mut runs = sqlx::query_as::<_, RunRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM robot_runs WHERE robot = $1 AND ($2 IS NULL OR id < $2) \
         ORDER BY id DESC LIMIT $3"
    )))
    .bind(robot)
    .bind(before_id)
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?;
    let next_before_id = if runs.len() as i64 > limit {
        runs.truncate(limit as usize);
        runs.last().map(|r| r.id)
    } else {
        None
    };
    Ok(RunPage {
        runs,
        next_before_id,
    })
}

pub async fn logs(db: &Db, run_id: i64) -> CoreResult<Vec<LogLine>> {
    Ok(sqlx::query_as::<_, LogLine>(
        "SELECT id, at, level, message FROM robot_run_logs WHERE run_id = $1 ORDER BY id",
    )
    .bind(run_id)
    .fetch_all(db.pool())
    .await?)
}

/// How long a run from the command line may stay "running" before it is taken for one
/// whose process died (it has no job whose lease would tell).
const CLI_RUN_STALE_MS: i64 = 6 * 3_600_000;

/// Marks as interrupted the runs left "running" by a process that stopped: their job is no
/// longer running (handed back on shutdown, or its lease was recovered after a crash); and
/// as failed the queued runs whose job ended without them. Returns how many changed.
pub async fn interrupt_orphaned_runs(db: &Db) -> CoreResult<u64> {
    let now = now_ms();
    // A queued run whose job ended without starting it (no such robot in this version,
    // every attempt found another run going) would otherwise block its robot for good.
    let failed = sqlx::query(
        "UPDATE robot_runs SET status = 'failed', finished_at = $1, \
           error = COALESCE((SELECT last_error FROM jobs WHERE jobs.id = robot_runs.job_id), 'its job ended without running it') \
         WHERE status = 'queued' AND job_id IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = robot_runs.job_id AND jobs.state IN ('queued', 'running'))",
    )
    .bind(now)
    .execute(db.pool())
    .await?
    .rows_affected();
    let interrupted = sqlx::query(
        "UPDATE robot_runs SET status = 'interrupted', finished_at = $1, \
           error = COALESCE(error, 'the process running it stopped') \
         WHERE status = 'running' AND ( \
           (job_id IS NULL AND started_at < $2) OR \
           (job_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = robot_runs.job_id AND jobs.state = 'running')))",
    )
    .bind(now)
    .bind(now - CLI_RUN_STALE_MS)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(failed + interrupted)
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct RunCount {
    pub robot: String,
    pub status: String,
    pub count: i64,
}

/// How many runs of each robot are in each status, for `/metrics`.
pub async fn run_counts(db: &Db) -> CoreResult<Vec<RunCount>> {
    Ok(sqlx::query_as::<_, RunCount>(
        "SELECT robot, status, COUNT(*) AS count FROM robot_runs GROUP BY robot, status ORDER BY robot, status",
    )
    .fetch_all(db.pool())
    .await?)
}
