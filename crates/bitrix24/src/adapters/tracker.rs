//! The tracker port over the portal's tasks: `#101` names portal task 101. Lookups ask for up
//! to 50 tasks per list command and up to 50 commands per request; a commit becomes one
//! comment per change, posted as the author's portal user (`task.commentitem.add` with
//! `AUTHOR_ID`) or, where the portal refuses that, as the webhook's user in the task's chat
//! (`tasks.task.chat.message.send`) saying who the author is. What it reads of a task is kept
//! as a copy for the task pages (see [`super::copies`]).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use shtab_core::CoreError;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::{CommitLink, Task, TimeEntry, Tracker};

use super::copies::{NoCopies, TaskCopies, TaskCopy};
use super::ledger::Ledger;
use super::people::PortalPeople;
use super::{port_error, text};
use crate::client::batch::MAX_COMMANDS;
use crate::client::decode::{PortalId, de_opt_id, de_text};
use crate::client::{Batch, Bitrix24Error, Client};

/// What Shtab reads of a task.
const SELECT: [&str; 4] = ["ID", "TITLE", "STATUS", "RESPONSIBLE_ID"];
/// `STATUS` of a completed task.
const COMPLETED: u64 = 5;
/// Ids per `tasks.task.list` command: the portal's page.
const IDS_PER_LIST: usize = 50;
/// How long a page trusts a copy without an event saying the task changed: an event lost
/// leaves a page this far behind at most.
const COPY_TRUSTED_MS: i64 = 15 * 60 * 1000;

/// The port's word for the portal's `STATUS`.
fn status_word(status: Option<u64>) -> String {
    match status {
        Some(2) => "pending".into(),
        Some(3) => "in_progress".into(),
        Some(4) => "awaiting_control".into(),
        Some(COMPLETED) => "completed".into(),
        Some(6) => "deferred".into(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

#[derive(Deserialize)]
struct PortalTask {
    id: PortalId,
    #[serde(default, deserialize_with = "de_text")]
    title: String,
    #[serde(default, deserialize_with = "de_opt_id")]
    status: Option<PortalId>,
    #[serde(rename = "responsibleId", default, deserialize_with = "de_opt_id")]
    responsible_id: Option<PortalId>,
}

impl PortalTask {
    /// What pages keep of it, read now.
    fn copy(&self) -> TaskCopy {
        TaskCopy {
            id: self.id.0,
            title: self.title.clone(),
            status: self.status.map(|s| s.0),
            responsible: self.responsible_id.map(|u| u.0),
            read_at: shtab_core::time::now_ms(),
        }
    }
}

#[derive(Deserialize)]
struct TaskList {
    #[serde(default)]
    tasks: Vec<PortalTask>,
}

#[derive(Deserialize)]
struct TaskGet {
    task: PortalTask,
}

/// `task.commentitem.add`: positional, `TASKID` first.
#[derive(Serialize)]
#[allow(non_snake_case)]
struct CommentAdd<'a> {
    TASKID: u64,
    FIELDS: CommentFields<'a>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct CommentFields<'a> {
    POST_MESSAGE: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    AUTHOR_ID: Option<u64>,
}

/// `task.elapseditem.add`: positional, `TASKID` first.
#[derive(Serialize)]
#[allow(non_snake_case)]
struct ElapsedAdd<'a> {
    TASKID: u64,
    ARFIELDS: ElapsedFields<'a>,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct ElapsedFields<'a> {
    SECONDS: i64,
    COMMENT_TEXT: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    USER_ID: Option<u64>,
    CREATED_DATE: String,
}

pub struct PortalTracker {
    client: Client,
    people: Arc<dyn PortalPeople>,
    ledger: Arc<dyn Ledger>,
    copies: Arc<dyn TaskCopies>,
}

/// A portal task's number from the port's id or a canonical reference (`101`, `#101`).
fn task_number(id: &str) -> Option<u64> {
    id.trim()
        .trim_start_matches('#')
        .parse()
        .ok()
        .filter(|n| *n > 0)
}

fn no_task() -> CoreError {
    CoreError::NotFound("task")
}

/// A comment to post: the text as the author, and the text as the webhook's user.
struct Comment {
    task: u64,
    author: Option<u64>,
    as_author: String,
    on_behalf: String,
}

/// What became of one comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Posting {
    Posted(u64),
    /// The portal answered an error (or was never asked): nothing was posted.
    Refused,
    /// The request broke off after it may have been sent: the portal may have posted it.
    Unknown,
}

/// A whole request failed: its comments were refused, unless the connection broke off, when
/// the portal may have acted.
fn mark_failed(outcome: &mut [Posting], chunk: &[usize], e: &Bitrix24Error) {
    if matches!(e, Bitrix24Error::Network { .. }) {
        for &i in chunk {
            outcome[i] = Posting::Unknown;
        }
    }
}

/// True when the portal refused to post as someone else (the new task card, or rights), so
/// the task's chat is worth trying; a transient error is not, it is retried as it is, and
/// neither is an application without working tokens, which the chat would refuse alike.
fn refused_as_author(e: &Bitrix24Error) -> bool {
    !e.is_transient()
        && !matches!(
            e,
            Bitrix24Error::MissingScope { .. }
                | Bitrix24Error::AppNotAuthorised { .. }
                | Bitrix24Error::AppNotConnected { .. }
        )
}

impl PortalTracker {
    pub fn new(client: Client, people: Arc<dyn PortalPeople>, ledger: Arc<dyn Ledger>) -> Self {
        PortalTracker {
            client,
            people,
            ledger,
            copies: Arc::new(NoCopies),
        }
    }

    /// The same tracker, keeping what it reads of tasks in `copies` for the task pages.
    pub fn with_copies(mut self, copies: Arc<dyn TaskCopies>) -> Self {
        self.copies = copies;
        self
    }

    async fn to_port(&self, t: &TaskCopy) -> CoreResult<Task> {
        let responsible = match t.responsible {
            Some(user) => self.people.person(user).await?,
            None => None,
        };
        // The portal opens a task at any user's path; the responsible's is the usual one.
        let user = t.responsible.or(self.client.webhook_user()).unwrap_or(0);
        Ok(Task {
            id: t.id.to_string(),
            reference: format!("#{}", t.id),
            url: Some(format!(
                "{}/company/personal/user/{user}/tasks/task/view/{}/",
                self.client.portal(),
                t.id
            )),
            title: t.title.clone(),
            closed: t.status == Some(COMPLETED),
            status: status_word(t.status),
            responsible,
        })
    }

    /// Reads task `number` from the portal and keeps what it says for the pages; a task it no
    /// longer shows is forgotten.
    pub async fn refresh(&self, number: u64) -> CoreResult<Option<Task>> {
        match self.get(number).await? {
            Some(t) => {
                let copy = t.copy();
                self.copies.put(std::slice::from_ref(&copy)).await?;
                Ok(Some(self.to_port(&copy).await?))
            }
            None => {
                self.copies.forget(number).await?;
                Ok(None)
            }
        }
    }

    async fn get(&self, number: u64) -> CoreResult<Option<PortalTask>> {
        let answer = self
            .client
            .call(
                "tasks.task.get",
                &json!({"taskId": number, "select": SELECT}),
            )
            .await
            .map_err(port_error)?;
        // A missing task, or one the webhook's user cannot see, is `result: []`.
        if answer.is_empty_list() {
            return Ok(None);
        }
        Ok(Some(answer.decode::<TaskGet>().map_err(port_error)?.task))
    }

    /// Posts comments, 50 per request: as their authors where there is one, then the ones the
    /// portal refused (or that have no author) as the webhook's user. Says of each comment
    /// whether it was posted (with the portal's id, or 0), refused (the portal answered an
    /// error: nothing was posted) or has an unknown outcome (the request broke off), and
    /// returns the first error that stopped one.
    async fn post(&self, comments: &[Comment]) -> (Vec<Posting>, Option<CoreError>) {
        let mut outcome: Vec<Posting> = vec![Posting::Refused; comments.len()];
        let mut first_error = None;
        let mut in_chat = Vec::new();
        let with_author: Vec<usize> = (0..comments.len()).collect();
        for chunk in with_author.chunks(MAX_COMMANDS) {
            let mut batch = Batch::new();
            for &i in chunk {
                let c = &comments[i];
                let text = if c.author.is_some() {
                    &c.as_author
                } else {
                    &c.on_behalf
                };
                let params = CommentAdd {
                    TASKID: c.task,
                    FIELDS: CommentFields {
                        POST_MESSAGE: text,
                        AUTHOR_ID: c.author,
                    },
                };
                if let Err(e) = batch.add(&format!("c{i}"), "task.commentitem.add", &params) {
                    first_error.get_or_insert(port_error(e));
                }
            }
            let answer = match self.client.batch(&batch).await {
                Ok(a) => a,
                Err(e) => {
                    mark_failed(&mut outcome, chunk, &e);
                    first_error.get_or_insert(port_error(e));
                    return (outcome, first_error);
                }
            };
            for &i in chunk {
                match answer.decode::<PortalId>(&format!("c{i}")) {
                    Ok(id) => outcome[i] = Posting::Posted(id.0),
                    Err(e) if refused_as_author(&e) => in_chat.push(i),
                    Err(e) => {
                        first_error.get_or_insert(port_error(e));
                    }
                }
            }
        }
        for chunk in in_chat.chunks(MAX_COMMANDS) {
            let mut batch = Batch::new();
            for &i in chunk {
                let c = &comments[i];
                let params = json!({"fields": {"taskId": c.task, "text": c.on_behalf}});
                if let Err(e) = batch.add(&format!("m{i}"), "tasks.task.chat.message.send", &params)
                {
                    first_error.get_or_insert(port_error(e));
                }
            }
            let answer = match self.client.batch(&batch).await {
                Ok(a) => a,
                Err(e) => {
                    mark_failed(&mut outcome, chunk, &e);
                    first_error.get_or_insert(port_error(e));
                    return (outcome, first_error);
                }
            };
            for &i in chunk {
                match answer.result(&format!("m{i}")) {
                    // The chat answers no message id.
                    Ok(_) => outcome[i] = Posting::Posted(0),
                    Err(e) => {
                        first_error.get_or_insert(port_error(e));
                    }
                }
            }
        }
        (outcome, first_error)
    }

    /// Finishes or gives back the ledger's claims on what [`PortalTracker::post`] did.
    async fn settle(&self, keys: &[(String, String)], outcome: &[Posting]) -> CoreResult<()> {
        for ((task_id, key), posting) in keys.iter().zip(outcome) {
            match posting {
                Posting::Posted(id) => self.ledger.finish(task_id, key, *id).await?,
                Posting::Refused => self.ledger.release(task_id, key).await?,
                Posting::Unknown => tracing::warn!(
                    task = %task_id,
                    key = %key,
                    "the portal's answer to a comment was lost; it is not posted again"
                ),
            }
        }
        Ok(())
    }

    async fn author(&self, person: Option<PersonId>) -> CoreResult<Option<u64>> {
        match person {
            Some(p) => self.people.portal_user(p).await,
            None => Ok(None),
        }
    }
}

#[async_trait]
impl Tracker for PortalTracker {
    async fn find_task(&self, reference: &str) -> CoreResult<Option<Task>> {
        let Some(number) = task_number(reference) else {
            return Ok(None);
        };
        self.refresh(number).await
    }

    /// From the copy while it is trusted, else from the portal (keeping a new copy). A portal
    /// that cannot be asked leaves the page with the last copy, however old, if there is one.
    async fn task_for_page(&self, task_id: &str) -> CoreResult<Option<Task>> {
        let Some(number) = task_number(task_id) else {
            return Ok(None);
        };
        let copy = self.copies.get(number).await?;
        if let Some(c) = &copy
            && shtab_core::time::now_ms() - c.read_at < COPY_TRUSTED_MS
        {
            return Ok(Some(self.to_port(c).await?));
        }
        match (self.refresh(number).await, copy) {
            (Err(e), Some(copy)) if e.is_transient() => {
                tracing::warn!(task = number, error = %e, "the portal cannot be asked; the page shows the last copy");
                Ok(Some(self.to_port(&copy).await?))
            }
            (answer, _) => answer,
        }
    }

    async fn find_tasks(&self, references: &[String]) -> CoreResult<HashMap<String, Task>> {
        let mut by_number: HashMap<u64, Vec<&String>> = HashMap::new();
        for r in references {
            if let Some(n) = task_number(r) {
                by_number.entry(n).or_default().push(r);
            }
        }
        let mut numbers: Vec<u64> = by_number.keys().copied().collect();
        numbers.sort_unstable();
        let lists: Vec<&[u64]> = numbers.chunks(IDS_PER_LIST).collect();
        let mut found = HashMap::new();
        for commands in lists.chunks(MAX_COMMANDS) {
            let mut batch = Batch::new();
            for (i, ids) in commands.iter().enumerate() {
                let params = json!({"filter": {"ID": ids}, "select": SELECT, "start": -1});
                batch
                    .add(&format!("l{i}"), "tasks.task.list", &params)
                    .map_err(port_error)?;
            }
            let answer = self.client.batch(&batch).await.map_err(port_error)?;
            let mut copies = Vec::new();
            for i in 0..commands.len() {
                let list: TaskList = answer.decode(&format!("l{i}")).map_err(port_error)?;
                for t in list.tasks {
                    let refs = by_number.get(&t.id.0).cloned().unwrap_or_default();
                    let copy = t.copy();
                    let task = self.to_port(&copy).await?;
                    copies.push(copy);
                    for r in refs {
                        found.insert(r.clone(), task.clone());
                    }
                }
            }
            self.copies.put(&copies).await?;
        }
        Ok(found)
    }

    async fn link_commit(&self, task_id: &str, commit: &CommitLink) -> CoreResult<()> {
        self.link_commits(&[(task_id.to_owned(), commit.clone())])
            .await
    }

    async fn link_commits(&self, links: &[(String, CommitLink)]) -> CoreResult<()> {
        let mut pending = Vec::new();
        let mut keys = Vec::new();
        for (task_id, commit) in links {
            let task = task_number(task_id).ok_or_else(no_task)?;
            let key = format!("change:{}", commit.change_key);
            // A change already on the portal (or being posted by another hub or job), or a
            // rebased copy earlier in this very call.
            if !self.ledger.claim(task_id, &key).await? {
                continue;
            }
            keys.push((task_id.clone(), key));
            let author = match self.author(commit.author).await {
                Ok(a) => a,
                Err(e) => {
                    let refused = vec![Posting::Refused; keys.len()];
                    self.settle(&keys, &refused).await?;
                    return Err(e);
                }
            };
            pending.push(Comment {
                task,
                author,
                as_author: text::commit_comment(commit),
                on_behalf: text::commit_comment_on_behalf(commit),
            });
        }
        if pending.is_empty() {
            return Ok(());
        }
        let (outcome, error) = self.post(&pending).await;
        self.settle(&keys, &outcome).await?;
        error.map_or(Ok(()), Err)
    }

    async fn comment(&self, task_id: &str, author: Option<PersonId>, text: &str) -> CoreResult<()> {
        let task = task_number(task_id).ok_or_else(no_task)?;
        let comment = Comment {
            task,
            author: self.author(author).await?,
            as_author: text.to_owned(),
            on_behalf: text.to_owned(),
        };
        let (_, error) = self.post(std::slice::from_ref(&comment)).await;
        error.map_or(Ok(()), Err)
    }

    async fn close_task(&self, task_id: &str, by: Option<PersonId>, note: &str) -> CoreResult<()> {
        let number = task_number(task_id).ok_or_else(no_task)?;
        let task = self.get(number).await?.ok_or_else(no_task)?;
        if task.status.is_some_and(|s| s.0 == COMPLETED) {
            return Ok(());
        }
        self.client
            .call("tasks.task.complete", &json!({"taskId": number}))
            .await
            .map_err(port_error)?;
        // The page's copy says it is open: read it again when next shown.
        self.copies.forget(number).await?;
        // After completing: a retry finds the task closed and does not repeat the note.
        if !note.trim().is_empty() {
            self.comment(task_id, by, note).await?;
        }
        Ok(())
    }

    async fn log_time(&self, task_id: &str, entry: &TimeEntry) -> CoreResult<()> {
        let number = task_number(task_id).ok_or_else(no_task)?;
        let key = format!("time:{}", entry.source);
        let spent_at = chrono::DateTime::from_timestamp_millis(entry.spent_at)
            .ok_or_else(|| CoreError::field("spent_at", "invalid", "is not a time"))?;
        let user = self.people.portal_user(entry.person).await?;
        if !self.ledger.claim(task_id, &key).await? {
            return Ok(());
        }
        let params = ElapsedAdd {
            TASKID: number,
            ARFIELDS: ElapsedFields {
                SECONDS: entry.minutes.saturating_mul(60),
                COMMENT_TEXT: &entry.note,
                USER_ID: user,
                CREATED_DATE: spent_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            },
        };
        let answer = self
            .client
            .call("task.elapseditem.add", &params)
            .await
            .and_then(|a| a.decode::<PortalId>());
        match answer {
            Ok(id) => self.ledger.finish(task_id, &key, id.0).await,
            Err(e) => {
                let outcome = if matches!(e, Bitrix24Error::Network { .. }) {
                    Posting::Unknown
                } else {
                    Posting::Refused
                };
                self.settle(&[(task_id.to_owned(), key)], &[outcome])
                    .await?;
                Err(port_error(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::task_number;

    #[test]
    fn references_name_portal_task_numbers() {
        assert_eq!(task_number("101"), Some(101));
        assert_eq!(task_number("#101"), Some(101));
        assert_eq!(task_number(" 7 "), Some(7));
        for other in ["SHT-42", "0", "", "#", "-3", "1.5"] {
            assert_eq!(task_number(other), None, "{other}");
        }
    }
}
