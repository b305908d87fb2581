//! Robots and runs as the pages show them.

use shtab_core::robots::{self, RobotRow, RobotSet, RunRow, RunStatus, Schedule};

use super::texts::RobotsTexts;
use crate::i18n::Locale;

pub struct RobotView {
    pub name: String,
    pub title: String,
    pub cron: String,
    /// The expression in the reader's words («каждые 5 минут»); empty for shapes the
    /// page leaves to the expression itself.
    pub described: String,
    pub time_zone: String,
    pub enabled: bool,
    pub next_run: String,
    pub last_run: Option<RunView>,
}

impl RobotView {
    pub fn new(
        t: &RobotsTexts,
        set: &RobotSet,
        locale: Locale,
        row: RobotRow,
        last: Option<RunView>,
    ) -> RobotView {
        let next_run = match robots::scheduler::next_fire(&row)
            .and_then(|ms| robots::format_in_zone(ms, &row.time_zone))
        {
            Some(at) => at,
            _ if !row.is_enabled() => t.disabled.to_string(),
            _ => t.never.to_string(),
        };
        let described = match crate::words::cron::describe(&row.cron, locale) {
            words if words.is_empty() && locale == Locale::En => {
                Schedule::parse(&row.cron, &row.time_zone)
                    .map(|s| s.describe())
                    .unwrap_or_default()
            }
            words => words,
        };
        RobotView {
            title: set.title(&row.name, locale),
            name: row.name,
            described,
            cron: row.cron,
            time_zone: row.time_zone,
            enabled: row.enabled != 0,
            next_run,
            last_run: last,
        }
    }
}

pub struct RunView {
    pub id: i64,
    pub robot: String,
    pub status_code: &'static str,
    pub status: &'static str,
    pub trigger: &'static str,
    pub started: String,
    pub finished: String,
    /// (stored name, name in the reader's language, value).
    pub counters: Vec<(String, String, i64)>,
    pub progress_done: i64,
    pub progress_total: i64,
    pub error: Option<String>,
    pub live: bool,
}

impl RunView {
    pub fn new(t: &RobotsTexts, time: &dyn Fn(i64) -> String, run: &RunRow) -> RunView {
        let status = run.status();
        RunView {
            id: run.id,
            robot: run.robot.clone(),
            status_code: status.as_str(),
            status: t.status(status),
            trigger: t.trigger(&run.trigger),
            started: run.started_at.map(time).unwrap_or_else(|| t.never.into()),
            finished: run.finished_at.map(time).unwrap_or_else(|| t.never.into()),
            counters: run
                .counters()
                .into_iter()
                .map(|(k, v)| {
                    let label = crate::words::counters::label(&k, t.locale());
                    (k, label, v)
                })
                .collect(),
            progress_done: run.progress_done,
            progress_total: run.progress_total,
            error: run
                .error
                .as_deref()
                .map(|e| crate::words::notes::in_language(e, t.locale())),
            live: matches!(status, RunStatus::Queued | RunStatus::Running),
        }
    }

    pub fn counters_text(&self) -> String {
        self.counters
            .iter()
            .map(|(_, label, v)| format!("{label}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
