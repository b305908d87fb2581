//! Commands in commit messages: closing a task and logging time. They run once, when the
//! reference is first linked, and only when the author is a person whose user may change
//! tasks (anyone can put anyone's e-mail in `git config`, so the permission is the guard
//! the forge cannot give) and the commit is newer than the repository in Shtab (importing
//! old history must not reopen the past).

use shtab_core::auth::{Permission, Role, users};
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::{Task, TimeEntry};

use super::Linker;
use crate::store::commits::{self, RefRow};

/// Runs the commands of newly linked references. Most commits carry none: their status is
/// written in one transaction, not one statement each.
pub(super) async fn run_all(linker: &Linker, linked: &[(RefRow, Task)]) -> CoreResult<()> {
    let mut statuses = Vec::new();
    for (row, task) in linked {
        if !row.commands_status.is_empty() {
            continue;
        }
        let wanted = row.close_requested != 0 || row.minutes > 0;
        let status = if !wanted {
            "none".to_string()
        } else {
            match refusal(linker, row).await? {
                Some(why) => format!("skipped: {why}"),
                None => {
                    execute(linker, row, task).await?;
                    "done".to_string()
                }
            }
        };
        statuses.push((
            row.repository_id,
            row.sha.clone(),
            row.reference.clone(),
            status,
        ));
    }
    commits::set_commands_statuses(linker.db(), &statuses).await
}

async fn refusal(linker: &Linker, row: &RefRow) -> CoreResult<Option<&'static str>> {
    if row.committed_at < row.repository_created_at {
        return Ok(Some("the commit is older than the repository in Shtab"));
    }
    let Some(person) = row.person_id.map(PersonId) else {
        return Ok(Some("the author is not matched to a person"));
    };
    let allowed = users::get_by_person(linker.db(), person)
        .await?
        .is_some_and(|u| u.is_active() && Role::grants(&u.roles, Permission::TasksWrite));
    Ok((!allowed).then_some("the author may not change tasks"))
}

async fn execute(linker: &Linker, row: &RefRow, task: &Task) -> CoreResult<()> {
    let person = row.person_id.map(PersonId);
    let source = format!("commit:{}@{}", row.repository_name, row.sha);
    if row.minutes > 0
        && let Some(person) = person
    {
        let entry = TimeEntry {
            person,
            minutes: row.minutes,
            spent_at: row.committed_at,
            note: first_line(&row.message).to_string(),
            source: source.clone(),
        };
        linker.tracker().log_time(&task.id, &entry).await?;
    }
    if row.close_requested != 0 {
        let note = format!("closed by {source}: {}", first_line(&row.message));
        linker.tracker().close_task(&task.id, person, &note).await?;
    }
    Ok(())
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("").trim()
}
