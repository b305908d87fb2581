//! Running a robot: from its job (scheduled or "run now") or in the foreground
//! (`shtab robots run`).

use serde::{Deserialize, Serialize};

use super::context::{RunContext, RunObserver, counters_json};
use super::store::{self, RunRow};
use super::{LogLevel, RobotSet, RunStatus, Trigger};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::jobs::{JobContext, JobError};
use crate::time::now_ms;

/// The job that runs one queued run of a robot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RobotRunJob {
    pub robot: String,
    pub run_id: i64,
}

pub(super) async fn run_job(
    robots: &RobotSet,
    job: RobotRunJob,
    ctx: JobContext,
) -> Result<(), JobError> {
    if robots.get(&job.robot).is_none() {
        return Err(JobError::Permanent(format!("no robot named {}", job.robot)));
    }
    let db = &ctx.db;
    store::interrupt_orphaned_runs(db).await?;
    let run = store::get_run(db, job.run_id).await?;
    let run_id = match run.status() {
        RunStatus::Queued => run.id,
        // Already recorded as finished: the job's own ending was lost; nothing to redo.
        RunStatus::Done | RunStatus::Failed => return Ok(()),
        // An earlier attempt of this job was cut off (its process died or shut down): that
        // run stays in the history as interrupted and this attempt is a new run.
        RunStatus::Running | RunStatus::Interrupted => {
            finish(
                db,
                run.id,
                RunStatus::Interrupted,
                Some("the process running it stopped"),
                &run.counters,
            )
            .await?;
            let trigger = match run.trigger.as_str() {
                "schedule" => Trigger::Schedule,
                "cli" => Trigger::Cli,
                "event" => Trigger::Event,
                _ => Trigger::Manual,
            };
            let mut tx = db.begin().await.map_err(CoreError::from)?;
            let id = store::insert_run(
                &mut tx,
                &job.robot,
                trigger,
                RunStatus::Queued,
                None,
                Some(ctx.job_id),
            )
            .await?;
            tx.commit().await.map_err(CoreError::from)?;
            match id {
                Some(id) => id,
                // Another run of the robot was queued or started meanwhile: it does the
                // work this one would have done.
                None => return Ok(()),
            }
        }
    };
    // Only this job's run is queued (one active run per robot), so nothing else can start.
    let started = sqlx::query(
        "UPDATE robot_runs SET status = 'running', started_at = $1 WHERE id = $2 AND status = 'queued'",
    )
    .bind(now_ms())
    .bind(run_id)
    .execute(db.pool())
    .await
    .map_err(CoreError::from)?;
    if started.rows_affected() != 1 {
        return Ok(());
    }
    let outcome = execute(db, robots, &job.robot, run_id, None).await?;
    match outcome.status() {
        RunStatus::Failed => Err(JobError::Permanent(
            outcome.error.unwrap_or_else(|| "the robot failed".into()),
        )),
        _ => Ok(()),
    }
}

/// Runs the robot for the run `run_id`, already marked running, and records how it ended.
async fn execute(
    db: &Db,
    robots: &RobotSet,
    name: &str,
    run_id: i64,
    observer: Option<RunObserver>,
) -> CoreResult<RunRow> {
    let robot = robots
        .get(name)
        .ok_or(CoreError::NotFound("robot"))?
        .clone();
    let ctx = RunContext::new(db.clone(), run_id, name, observer);
    let started = std::time::Instant::now();
    let result = robot.run(&ctx).await;
    if let Err(e) = &result {
        // The log line is a courtesy; the error is kept with the run either way.
        let _ = ctx.log(LogLevel::Error, e.to_string()).await;
    }
    ctx.flush(true).await?;
    let counters = counters_json(&ctx.counters());
    let (status, error) = match &result {
        Ok(()) => (RunStatus::Done, None),
        Err(e) => (RunStatus::Failed, Some(e.to_string())),
    };
    finish(db, run_id, status, error.as_deref(), &counters).await?;
    metrics::histogram!("robot_run_duration_seconds", "robot" => name.to_string(), "status" => status.as_str())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("robot_runs_total", "robot" => name.to_string(), "status" => status.as_str())
        .increment(1);
    store::get_run(db, run_id).await
}

async fn finish(
    db: &Db,
    run_id: i64,
    status: RunStatus,
    error: Option<&str>,
    counters: &str,
) -> CoreResult<()> {
    sqlx::query(
        "UPDATE robot_runs SET status = $1, finished_at = $2, error = COALESCE($3, error), counters = $4 WHERE id = $5",
    )
    .bind(status.as_str())
    .bind(now_ms())
    .bind(error)
    .bind(counters)
    .bind(run_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Runs `name` now in this process (`shtab robots run`), outside the queue, and returns
/// the finished run. Refused with a conflict while another run of the robot is queued or
/// running.
pub async fn run_in_foreground(
    db: &Db,
    robots: &RobotSet,
    name: &str,
    observer: Option<RunObserver>,
) -> CoreResult<RunRow> {
    if robots.get(name).is_none() {
        return Err(CoreError::NotFound("robot"));
    }
    store::interrupt_orphaned_runs(db).await?;
    let mut tx = db.begin().await?;
    let inserted =
        store::insert_run(&mut tx, name, Trigger::Cli, RunStatus::Running, None, None).await?;
    let Some(run_id) = inserted else {
        drop(tx);
        return Err(store::busy(db, name).await);
    };
    tx.commit().await?;
    execute(db, robots, name, run_id, observer).await
}

/// Marks the foreground run of `name` as interrupted (Ctrl-C in `shtab robots run`).
pub async fn interrupt_foreground(db: &Db, name: &str) -> CoreResult<()> {
    sqlx::query(
        "UPDATE robot_runs SET status = 'interrupted', finished_at = $1, error = 'interrupted' \
         WHERE robot = $2 AND status = 'running' AND job_id IS NULL",
    )
    .bind(now_ms())
    .bind(name)
    .execute(db.pool())
    .await?;
    Ok(())
}
