//! The `task_time_entries` table: time spent on tasks, at most one entry per source.

use super::domain::{TaskTime, TimeSheet};
use crate::db::{Db, Row, Tx};
use crate::error::{CoreError, CoreResult};
use crate::ids::{PersonId, TaskId, TaskTimeEntryId};
use crate::ports::TimeEntry;
use crate::time::now_ms;

/// A working month; more in one entry is a typo (`@200h` for `@2h`), not work.
const MAX_MINUTES: i64 = 31 * 24 * 60;

fn check(entry: &TimeEntry) -> CoreResult<String> {
    if !(1..=MAX_MINUTES).contains(&entry.minutes) {
        return Err(CoreError::field(
            "minutes",
            "invalid_minutes",
            format!("from 1 to {MAX_MINUTES} minutes"),
        ));
    }
    if entry.source.trim().is_empty() || entry.source.len() > 500 {
        return Err(CoreError::field("source", "required", "is required"));
    }
    // The note comes from a commit's first line: kept to one line of sensible length,
    // whatever the commit carried, rather than refusing the time spent over it.
    Ok(entry
        .note
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(500)
        .collect())
}

/// Records `entry` on `task` (which must exist) unless its source was recorded there
/// already; returns whether it was new.
pub(super) async fn log(tx: &mut Tx, task: TaskId, entry: &TimeEntry) -> CoreResult<bool> {
    let note = check(entry)?;
    let inserted = sqlx::query(
        "INSERT INTO task_time_entries (task_id, person_id, minutes, spent_at, note, source, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (task_id, source) DO NOTHING",
    )
    .bind(task.0)
    .bind(entry.person.0)
    .bind(entry.minutes)
    .bind(entry.spent_at)
    .bind(&note)
    .bind(entry.source.trim())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// A task's time, in the order it was spent, and the total.
pub async fn time(db: &Db, task: TaskId) -> CoreResult<TimeSheet> {
    super::store::get(db, task).await?;
    let rows = sqlx::query(
        "SELECT e.id, e.person_id, p.full_name, e.minutes, e.spent_at, e.note, e.source, e.created_at \
         FROM task_time_entries e JOIN people p ON p.id = e.person_id \
         WHERE e.task_id = $1 ORDER BY e.spent_at, e.id",
    )
    .bind(task.0)
    .fetch_all(db.pool())
    .await?;
    let entries = rows
        .into_iter()
        .map(|r| {
            Ok(TaskTime {
                id: TaskTimeEntryId(r.try_get("id")?),
                person_id: PersonId(r.try_get("person_id")?),
                person_name: r.try_get("full_name")?,
                minutes: r.try_get("minutes")?,
                spent_at: r.try_get("spent_at")?,
                note: r.try_get("note")?,
                source: r.try_get("source")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let total_minutes = entries.iter().map(|e| e.minutes).sum();
    Ok(TimeSheet {
        entries,
        total_minutes,
    })
}
