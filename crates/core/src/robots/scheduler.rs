//! The scheduler every `shtab serve` runs: once a second it looks for robots whose tick is
//! due and fires each one by moving its `next_fire_at` on with a conditional update. Only
//! the process whose update matched the tick it saw queues the run, so a tick fires once
//! however many processes share the database.

use std::future::Future;
use std::time::{Duration, Instant};

use super::store::{self, RobotRow};
use super::{RobotSet, Schedule, Trigger};
use crate::db::{Db, FromRow};
use crate::error::CoreResult;
use crate::time::now_ms;

pub const TICK: Duration = Duration::from_secs(1);
const CLEANUP_EVERY: Duration = Duration::from_secs(60);

/// Ticks until `shutdown` completes.
pub async fn run(db: Db, robots: RobotSet, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut last_cleanup: Option<Instant> = None;
    loop {
        // Runs cut off by a process that died are tidied before any run starts; this pass
        // keeps the pages truthful in between without writing every second.
        if last_cleanup.is_none_or(|at| at.elapsed() >= CLEANUP_EVERY) {
            last_cleanup = Some(Instant::now());
            if let Err(e) = store::interrupt_orphaned_runs(&db).await {
                tracing::warn!(error = %e, "cannot mark interrupted runs");
            }
        }
        if let Err(e) = tick(&db, &robots, now_ms()).await {
            tracing::warn!(error = %e, "robot scheduler tick failed");
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(TICK) => {}
        }
    }
}

#[derive(FromRow)]
struct Due {
    name: String,
    cron: String,
    time_zone: String,
    next_fire_at: Option<i64>,
}

/// One look at the schedules as of `now`; returns the runs this process queued.
pub async fn tick(db: &Db, robots: &RobotSet, now: i64) -> CoreResult<Vec<i64>> {
    let due = sqlx::query_as::<_, Due>(
        "SELECT name, cron, time_zone, next_fire_at FROM robots \
         WHERE enabled = 1 AND (next_fire_at IS NULL OR next_fire_at <= $1) ORDER BY name",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    // Before the busy checks below: a run its dead process left "running" must not hold
    // its robot back.
    store::interrupt_orphaned_runs(db).await?;
    let mut queued = Vec::new();
    for robot in due {
        if robots.get(&robot.name).is_none() {
            // Another version of the binary knows this robot; leave its ticks to it.
            continue;
        }
        let Ok(schedule) = Schedule::parse(&robot.cron, &robot.time_zone) else {
            tracing::warn!(robot = %robot.name, "the robot's schedule does not parse");
            continue;
        };
        // A tick missed while no hub was running fires once, then the schedule goes on
        // from now.
        let next = schedule.next_after(now);
        let mut tx = db.begin().await?;
        let won = sqlx::query(
            "UPDATE robots SET next_fire_at = $1 WHERE name = $2 AND enabled = 1 \
             AND ((next_fire_at IS NULL AND $3 IS NULL) OR next_fire_at = $3)",
        )
        .bind(next)
        .bind(&robot.name)
        .bind(robot.next_fire_at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let Some(fire_at) = robot.next_fire_at else {
            // A robot just enabled: it only needed its first tick set.
            tx.commit().await?;
            continue;
        };
        if !won {
            continue;
        }
        match store::queue_run_in(&mut tx, &robot.name, Trigger::Schedule, Some(fire_at)).await? {
            Some(run) => queued.push(run),
            None => {
                tracing::info!(robot = %robot.name, "tick skipped: the previous run has not finished")
            }
        }
        tx.commit().await?;
    }
    Ok(queued)
}

/// When the robot fires next, for pages and `shtab robots list`.
pub fn next_fire(robot: &RobotRow) -> Option<i64> {
    robot.next_fire_at.filter(|_| robot.is_enabled())
}
