//! What the robots API reads and writes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shtab_core::robots::{LogLine, RobotRow, RunRow, Schedule};
use shtab_core::time::rfc3339_ms;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct RobotBody {
    pub name: String,
    pub title: String,
    /// Cron expression: five fields, or six with seconds first.
    pub cron: String,
    /// The expression in English words.
    pub description: String,
    /// IANA time zone the expression is read in.
    pub time_zone: String,
    pub enabled: bool,
    /// RFC 3339; absent while disabled.
    pub next_run_at: Option<String>,
    pub last_run: Option<RunBody>,
}

impl RobotBody {
    pub fn new(row: RobotRow, title: String, last: Option<RunRow>) -> RobotBody {
        RobotBody {
            description: Schedule::parse(&row.cron, &row.time_zone)
                .map(|s| s.describe())
                .unwrap_or_default(),
            next_run_at: shtab_core::robots::scheduler::next_fire(&row).map(rfc3339_ms),
            enabled: row.is_enabled(),
            name: row.name,
            title,
            cron: row.cron,
            time_zone: row.time_zone,
            last_run: last.map(|r| RunBody::new(r, None)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RobotList {
    pub robots: Vec<RobotBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunBody {
    pub id: i64,
    pub robot: String,
    /// `schedule`, `manual` or `cli`.
    pub trigger: String,
    /// `queued`, `running`, `done`, `failed` or `interrupted`.
    pub status: String,
    /// The schedule tick this run was fired for (RFC 3339).
    pub fire_at: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub counters: BTreeMap<String, i64>,
    pub progress_done: i64,
    pub progress_total: i64,
    pub error: Option<String>,
    pub job_id: Option<i64>,
    /// The run's log, in `GET /robots/runs/{id}` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<Vec<LogBody>>,
}

impl RunBody {
    pub fn new(r: RunRow, log: Option<Vec<LogLine>>) -> RunBody {
        RunBody {
            counters: r.counters(),
            id: r.id,
            robot: r.robot,
            trigger: r.trigger,
            status: r.status,
            fire_at: r.fire_at.map(rfc3339_ms),
            created_at: rfc3339_ms(r.created_at),
            started_at: r.started_at.map(rfc3339_ms),
            finished_at: r.finished_at.map(rfc3339_ms),
            progress_done: r.progress_done,
            progress_total: r.progress_total,
            error: r.error,
            job_id: r.job_id,
            log: log.map(|l| l.into_iter().map(LogBody::from).collect()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogBody {
    pub at: String,
    /// `info`, `warn` or `error`.
    pub level: String,
    pub message: String,
}

impl From<LogLine> for LogBody {
    fn from(l: LogLine) -> Self {
        LogBody {
            at: rfc3339_ms(l.at),
            level: l.level,
            message: l.message,
        }
    }
}

/// A change to a robot's schedule; absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RobotPatch {
    pub cron: Option<String>,
    pub time_zone: Option<String>,
    pub enabled: Option<bool>,
}

/// A run queued by `POST /robots/{name}/run`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunQueued {
    pub run_id: i64,
    pub job_id: Option<i64>,
    pub run: RunBody,
}

/// Paging of a robot's run history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunParams {
    /// Runs older than this run: the previous page's `next_before_id`.
    pub before_id: Option<i64>,
    /// Runs per page, 1–500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A page of a robot's runs, newest first (without their logs).
#[derive(Debug, Serialize, ToSchema)]
pub struct RunList {
    pub runs: Vec<RunBody>,
    /// Pass as `before_id` for the next (older) page; `null` on the last page.
    pub next_before_id: Option<i64>,
}
