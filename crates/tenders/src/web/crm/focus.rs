//! The board's narrowing to what needs someone: `?mine=1` (open deals the user is
//! responsible for) and `?deadline=week` (open deals whose application deadline falls in the
//! next seven days). The home page counts with the same rules, so its numbers are the cards.

use chrono::{DateTime, Duration, Utc};
use shtab_core::ids::PersonId;
use shtab_core::ports::StageOutcome;

use crate::crm::DealRecord;
use crate::crm::rules::outcome;

/// How far ahead "deadline this week" looks.
pub const DEADLINE_WINDOW_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    All,
    /// Open deals this person is responsible for.
    Mine(PersonId),
    /// Open deals with a deadline from `now` to `now` + 7 days.
    DeadlineSoon {
        now: DateTime<Utc>,
    },
}

impl Focus {
    /// From the board's parameters; `me` is the user's person.
    pub fn parse(mine: &str, deadline: &str, me: PersonId, now: DateTime<Utc>) -> Focus {
        if matches!(mine.trim(), "1" | "true" | "on") {
            Focus::Mine(me)
        } else if deadline.trim() == "week" {
            Focus::DeadlineSoon { now }
        } else {
            Focus::All
        }
    }

    pub fn keeps(&self, d: &DealRecord) -> bool {
        let open = outcome(&d.stage) == StageOutcome::Open;
        match *self {
            Focus::All => true,
            Focus::Mine(me) => open && d.responsible == Some(me),
            Focus::DeadlineSoon { now } => {
                open && deadline(d)
                    .is_some_and(|t| t >= now && t <= now + Duration::days(DEADLINE_WINDOW_DAYS))
            }
        }
    }
}

fn deadline(d: &DealRecord) -> Option<DateTime<Utc>> {
    let text = d.fields.get("deadline")?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What the board says when narrowed, and the way back.
pub fn caption(
    focus: Focus,
    locale: shtab_core::types::Locale,
) -> Option<(&'static str, &'static str)> {
    use shtab_core::types::Locale::{En, Ru};
    match (focus, locale) {
        (Focus::All, _) => None,
        (Focus::Mine(_), Ru) => Some((
            "Показаны открытые сделки, за которые отвечаете вы.",
            "Показать все",
        )),
        (Focus::Mine(_), En) => Some((
            "Showing the open deals you are responsible for.",
            "Show all",
        )),
        (Focus::DeadlineSoon { .. }, Ru) => Some((
            "Показаны открытые сделки со сроком подачи в ближайшие 7 дней.",
            "Показать все",
        )),
        (Focus::DeadlineSoon { .. }, En) => Some((
            "Showing the open deals whose deadline is in the next 7 days.",
            "Show all",
        )),
    }
}
