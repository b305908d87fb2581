//! The platform's own robot: clears what only grows — expired sessions, old login
//! throttling, finished jobs and old robot runs.

use super::{LogLevel, Robot, RobotError, RunContext};
use crate::time::now_ms;
use crate::types::Locale;

const DAY_MS: i64 = 86_400_000;

pub struct Housekeeping;

#[async_trait::async_trait]
impl Robot for Housekeeping {
    fn name(&self) -> &'static str {
        "housekeeping"
    }

    fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Ru => "Уборка",
            Locale::En => "Housekeeping",
        }
    }

    fn default_schedule(&self) -> &'static str {
        "30 3 * * *"
    }

    async fn run(&self, ctx: &RunContext) -> Result<(), RobotError> {
        let now = now_ms();
        // (counter, what the log says, statement, cut-off)
        let steps: [(&str, &str, &str, i64); 5] = [
            (
                "sessions",
                "expired sessions",
                "DELETE FROM sessions WHERE expires_at < $1",
                now,
            ),
            (
                "throttle",
                "login throttling rows older than a day",
                "DELETE FROM login_throttle WHERE window_start < $1",
                now - DAY_MS,
            ),
            (
                "jobs",
                "finished jobs older than 30 days",
                "DELETE FROM jobs WHERE state IN ('done', 'failed', 'dead') AND finished_at < $1",
                now - 30 * DAY_MS,
            ),
            (
                "run_logs",
                "log lines of runs older than 90 days",
                "DELETE FROM robot_run_logs WHERE run_id IN \
                 (SELECT id FROM robot_runs WHERE created_at < $1 AND status NOT IN ('queued', 'running'))",
                now - 90 * DAY_MS,
            ),
            (
                "runs",
                "robot runs older than 90 days",
                "DELETE FROM robot_runs WHERE created_at < $1 AND status NOT IN ('queued', 'running')",
                now - 90 * DAY_MS,
            ),
        ];
        let total = steps.len() as i64;
        ctx.progress(0, total).await?;
        for (i, (counter, what, sql, cutoff)) in steps.into_iter().enumerate() {
            let deleted = sqlx::query(sql)
                .bind(cutoff)
                .execute(ctx.db().pool())
                .await?
                .rows_affected();
            let deleted = i64::try_from(deleted).unwrap_or(i64::MAX);
            ctx.count(counter, deleted).await?;
            ctx.log(LogLevel::Info, format!("deleted {deleted} {what}"))
                .await?;
            ctx.progress(i as i64 + 1, total).await?;
        }
        Ok(())
    }
}
