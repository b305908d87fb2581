//! Commands in commit messages: closing a task and logging time. A command belongs to the
//! change, not to one commit: the first copy of a change to be linked to a task decides, and
//! every later copy (rebased, cherry-picked, pushed to a second repository) finds that
//! decision in the change ledger ([`crate::store::ledger`]) and does nothing.
//!
//! Commands run only when the author is a person whose user may change tasks (anyone can put
//! anyone's e-mail in `git config`, so the permission is the guard the forge cannot give) and
//! the commit is newer than the repository in Shtab (importing old history must not reopen
//! the past). A refusal is recorded in the ledger too: a rebased copy of an imported commit
//! is the same old change.

use shtab_core::auth::{Permission, Role, users};
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::TimeEntry;

use super::Linker;
use crate::domain::change::ChangeAction;
use crate::store::commits::{self, RefRow};
use crate::store::ledger::{self, ActionKey, Claim};

/// Runs the commands of newly linked references, given with their task's id. Most commits
/// carry none: their status is written in one transaction, not one statement each. A
/// reference whose commands could not finish keeps an empty status, for the sweep to retry.
pub(super) async fn run_all(linker: &Linker, linked: &[(&RefRow, &str)]) -> CoreResult<()> {
    let mut statuses = Vec::new();
    for &(row, task) in linked {
        if !row.commands_status.is_empty() {
            continue;
        }
        let status = run(linker, row, task).await?;
        if status.is_empty() {
            continue;
        }
        statuses.push((
            row.repository_id,
            row.sha.clone(),
            row.reference.clone(),
            status,
        ));
    }
    commits::set_commands_statuses(linker.db(), &statuses).await
}

/// The commands one reference carries, as they ran: its `commands_status`; empty while this
/// very copy's earlier claim is pending (its process died, or is still at it elsewhere).
async fn run(linker: &Linker, row: &RefRow, task: &str) -> CoreResult<String> {
    let wanted: Vec<ChangeAction> = [
        (row.close_requested != 0).then_some(ChangeAction::Close),
        (row.minutes > 0).then_some(ChangeAction::LogTime),
    ]
    .into_iter()
    .flatten()
    .collect();
    if wanted.is_empty() {
        return Ok("none".to_string());
    }
    let source = format!("commit:{}@{}", row.repository_name, row.sha);
    let mut won = Vec::new();
    let mut taken = Vec::new();
    for action in wanted {
        let key = ActionKey {
            task_id: task,
            change_key: &row.change_key,
            action,
        };
        match ledger::claim(linker.db(), &key, &source).await? {
            Claim::Won { source } => won.push((key, source)),
            Claim::Taken {
                source: first,
                status,
            } => {
                if first == source && status == "pending" {
                    return Ok(String::new());
                }
                taken.push(first);
            }
        }
    }
    if won.is_empty() {
        taken.dedup();
        return Ok(format!("same change as {}", taken.join(", ")));
    }
    let outcome = match refusal(linker, row).await {
        Ok(Some(why)) => format!("skipped: {why}"),
        Ok(None) => {
            for (key, source) in &won {
                if let Err(e) = execute(linker, row, task, key.action, source).await {
                    release_all(linker, &won).await;
                    return Err(e);
                }
            }
            "done".to_string()
        }
        Err(e) => {
            release_all(linker, &won).await;
            return Err(e);
        }
    };
    for (key, _) in &won {
        ledger::finish(linker.db(), key, &outcome).await?;
    }
    Ok(outcome)
}

/// After a failure: the claims go back, so the retry that follows the error may act. Should
/// giving back fail too, the claims turn stale and are taken over later.
async fn release_all(linker: &Linker, won: &[(ActionKey<'_>, String)]) {
    for (key, _) in won {
        if let Err(e) = ledger::release(linker.db(), key).await {
            tracing::warn!(error = %e, action = key.action.as_str(), "cannot release a change action");
        }
    }
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

async fn execute(
    linker: &Linker,
    row: &RefRow,
    task: &str,
    action: ChangeAction,
    source: &str,
) -> CoreResult<()> {
    let person = row.person_id.map(PersonId);
    match action {
        ChangeAction::LogTime => {
            let Some(person) = person else {
                return Ok(()); // refused above
            };
            let entry = TimeEntry {
                person,
                minutes: row.minutes,
                spent_at: row.committed_at,
                note: first_line(&row.message).to_string(),
                source: source.to_string(),
            };
            linker.tracker().log_time(task, &entry).await
        }
        ChangeAction::Close => {
            let note = format!("closed by {source}: {}", first_line(&row.message));
            linker.tracker().close_task(task, person, &note).await
        }
    }
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("").trim()
}
