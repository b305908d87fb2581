//! The robots pages' words, in Russian and English.

use shtab_core::robots::RunStatus;

use crate::i18n::{Locale, pick};

#[derive(Debug)]
pub struct RobotsTexts {
    pub title: &'static str,
    pub robot: &'static str,
    pub schedule: &'static str,
    pub cron: &'static str,
    pub cron_hint: &'static str,
    pub time_zone: &'static str,
    pub enabled: &'static str,
    pub last_run: &'static str,
    pub next_run: &'static str,
    pub never: &'static str,
    pub run_now: &'static str,
    pub history: &'static str,
    pub no_runs: &'static str,
    pub run: &'static str,
    pub status: &'static str,
    pub trigger: &'static str,
    pub started: &'static str,
    pub finished: &'static str,
    pub counters: &'static str,
    pub progress: &'static str,
    pub log: &'static str,
    pub no_log: &'static str,
    pub error: &'static str,
    pub saved: &'static str,
    pub disabled: &'static str,
    pub busy: &'static str,
    /// On the page of the run a refused "Run now" opened instead.
    pub already: &'static str,
    pub back: &'static str,
}

static RU: RobotsTexts = RobotsTexts {
    title: "Роботы",
    robot: "Робот",
    schedule: "Расписание",
    cron: "Выражение cron",
    cron_hint: "Пять полей (минута час день месяц день-недели) или шесть, с секундами в начале. Например, «30 3 * * *» — каждый день в 03:30.",
    time_zone: "Часовой пояс",
    enabled: "Включён",
    last_run: "Последний запуск",
    next_run: "Следующий запуск",
    never: "—",
    run_now: "Запустить сейчас",
    history: "История запусков",
    no_runs: "Запусков ещё не было.",
    run: "Запуск",
    status: "Состояние",
    trigger: "Причина",
    started: "Начат",
    finished: "Закончен",
    counters: "Счётчики",
    progress: "Ход работы",
    log: "Журнал",
    no_log: "Записей нет.",
    error: "Ошибка",
    saved: "Сохранено.",
    disabled: "выключен",
    busy: "Робот уже работает или стоит в очереди.",
    already: "Новый запуск не создан: робот уже работает или стоит в очереди. Это его текущий запуск.",
    back: "Ко всем роботам",
};

static EN: RobotsTexts = RobotsTexts {
    title: "Robots",
    robot: "Robot",
    schedule: "Schedule",
    cron: "Cron expression",
    cron_hint: "Five fields (minute hour day month weekday), or six with seconds first. E.g. “30 3 * * *” is every day at 03:30.",
    time_zone: "Time zone",
    enabled: "Enabled",
    last_run: "Last run",
    next_run: "Next run",
    never: "—",
    run_now: "Run now",
    history: "Runs",
    no_runs: "No runs yet.",
    run: "Run",
    status: "Status",
    trigger: "Trigger",
    started: "Started",
    finished: "Finished",
    counters: "Counters",
    progress: "Progress",
    log: "Log",
    no_log: "Nothing logged.",
    error: "Error",
    saved: "Saved.",
    disabled: "disabled",
    busy: "The robot is already running or queued.",
    already: "No new run was queued: the robot is already running or queued. This is its current run.",
    back: "All robots",
};

impl RobotsTexts {
    pub fn status(&self, s: RunStatus) -> &'static str {
        let ru = std::ptr::eq(self, &RU);
        match (s, ru) {
            (RunStatus::Queued, true) => "в очереди",
            (RunStatus::Running, true) => "работает",
            (RunStatus::Done, true) => "готово",
            (RunStatus::Failed, true) => "ошибка",
            (RunStatus::Interrupted, true) => "прерван",
            (RunStatus::Queued, false) => "queued",
            (RunStatus::Running, false) => "running",
            (RunStatus::Done, false) => "done",
            (RunStatus::Failed, false) => "failed",
            (RunStatus::Interrupted, false) => "interrupted",
        }
    }

    pub fn locale(&self) -> Locale {
        if std::ptr::eq(self, &RU) {
            Locale::Ru
        } else {
            Locale::En
        }
    }

    /// A log line's level.
    pub fn level(&self, level: &str) -> &'static str {
        match (level, self.locale()) {
            ("info", Locale::Ru) => "инфо",
            ("warn", Locale::Ru) => "внимание",
            ("error", Locale::Ru) => "ошибка",
            ("info", Locale::En) => "info",
            ("warn", Locale::En) => "warning",
            ("error", Locale::En) => "error",
            (_, Locale::Ru) => "запись",
            (_, Locale::En) => "note",
        }
    }

    pub fn trigger(&self, t: &str) -> &'static str {
        let ru = std::ptr::eq(self, &RU);
        match (t, ru) {
            ("schedule", true) => "по расписанию",
            ("manual", true) => "вручную",
            ("cli", true) => "из командной строки",
            ("event", true) => "по событию",
            ("schedule", false) => "schedule",
            ("manual", false) => "manual",
            ("event", false) => "event",
            _ => "command line",
        }
    }
}

pub fn texts(locale: Locale) -> &'static RobotsTexts {
    pick(locale, &RU, &EN)
}
