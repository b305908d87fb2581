//! The linker: what webhooks and the sweep both feed. It finds the task references in each
//! commit, works out who wrote it, stores the commits that name tasks, and links every
//! reference whose task exists through the tracker port; the others wait until their task
//! appears. Commands (`fixes #12`, `@2h`) run once per change, when the first copy of it is
//! linked (see [`commands`]).

mod authors;
mod commands;

use std::collections::HashMap;
use std::sync::Arc;

use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::{CommitLink, Directory, Task, Tracker};

use crate::domain::change::change_key;
use crate::domain::reach::Reach;
use crate::domain::refs::{Command, RefRules, Scan};
use crate::domain::repository::RepoForge;
use crate::store::commits::{self, CommitRecord, RefFilter, RefRecord, RefRow};
use crate::store::{Repository, RepositoryId};

pub use authors::AuthorResolver;

/// A commit as a webhook or the sweep saw it.
#[derive(Debug, Clone)]
pub struct IncomingCommit {
    pub sha: String,
    pub message: String,
    pub author_name: String,
    /// As given; normalised here.
    pub author_email: Option<String>,
    pub authored_at: i64,
    pub committed_at: i64,
    /// The branches that reach it, as far as its source knows.
    pub reach: Reach,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Commits looked at.
    pub scanned: u64,
    /// Of those, commits that name at least one task.
    pub with_refs: u64,
    /// References newly linked to their task.
    pub linked: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.scanned += o.scanned;
        self.with_refs += o.with_refs;
        self.linked += o.linked;
    }
}

#[derive(Clone)]
pub struct Linker {
    db: Db,
    tracker: Arc<dyn Tracker>,
    directory: Arc<dyn Directory>,
    gitea_noreply_domains: Arc<Vec<String>>,
}

/// Tasks looked up during one run: a reference is asked of the tracker once.
#[derive(Default)]
pub struct TaskCache(HashMap<String, Option<Task>>);

impl TaskCache {
    /// The references the tracker had no task for (sorted): they wait for their task.
    pub fn missing(&self) -> Vec<&str> {
        let mut missing: Vec<&str> = self
            .0
            .iter()
            .filter(|(_, task)| task.is_none())
            .map(|(reference, _)| reference.as_str())
            .collect();
        missing.sort_unstable();
        missing
    }
}

impl Linker {
    pub fn new(
        db: Db,
        tracker: Arc<dyn Tracker>,
        directory: Arc<dyn Directory>,
        gitea_noreply_domains: Vec<String>,
    ) -> Linker {
        Linker {
            db,
            tracker,
            directory,
            gitea_noreply_domains: Arc::new(gitea_noreply_domains),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn author_resolver(&self) -> AuthorResolver {
        AuthorResolver::new(
            self.db.clone(),
            self.directory.clone(),
            self.gitea_noreply_domains.clone(),
        )
    }

    /// Stores the commits of `batch` that name tasks and links what can be linked.
    pub async fn ingest(
        &self,
        repository: &Repository,
        rules: &RefRules,
        batch: &[IncomingCommit],
        authors: &mut AuthorResolver,
        tasks: &mut TaskCache,
    ) -> CoreResult<Counts> {
        let mut counts = Counts {
            scanned: batch.len() as u64,
            ..Counts::default()
        };
        let naming: Vec<(&IncomingCommit, Scan, String)> = batch
            .iter()
            .filter_map(|commit| {
                let scan = rules.scan(&commit.message);
                if scan.refs.is_empty() {
                    return None;
                }
                let email = commit
                    .author_email
                    .as_deref()
                    .and_then(crate::domain::author::normalize_email)
                    .unwrap_or_default();
                Some((commit, scan, email))
            })
            .collect();
        let emails: Vec<&str> = naming.iter().map(|(_, _, e)| e.as_str()).collect();
        authors.prefetch(&emails).await?;
        let mut records = Vec::new();
        for (commit, scan, email) in naming {
            let person = authors.resolve(&email).await?;
            records.push(CommitRecord {
                sha: commit.sha.clone(),
                change_key: change_key(&email, &commit.message),
                author_name: commit.author_name.clone(),
                author_email: email,
                person,
                authored_at: commit.authored_at,
                committed_at: commit.committed_at,
                message: commit.message.clone(),
                reach: commit.reach.clone(),
                refs: ref_records(&scan),
            });
        }
        counts.with_refs = records.len() as u64;
        if records.is_empty() {
            return Ok(counts);
        }
        let mut tx = self.db.begin().await?;
        let moved = commits::store_batch(&mut tx, repository.id, &records).await?;
        tx.commit().await?;
        // Commits linked before whose branches changed (a push to another branch carried
        // them): the tracker shows what reaches them now.
        if !moved.is_empty() {
            self.relink(repository.id, &moved).await?;
        }
        let shas: Vec<String> = records.into_iter().map(|r| r.sha).collect();
        counts.linked = self
            .link(
                RefFilter::UnlinkedOf {
                    repository: repository.id,
                    shas: &shas,
                },
                tasks,
            )
            .await?;
        Ok(counts)
    }

    /// Links the references `filter` selects whose tasks exist; returns how many.
    pub async fn link(&self, filter: RefFilter<'_>, tasks: &mut TaskCache) -> CoreResult<u64> {
        let rows = commits::load_refs(&self.db, filter).await?;
        let mut unknown: Vec<String> = rows
            .iter()
            .filter(|r| !tasks.0.contains_key(&r.reference))
            .map(|r| r.reference.clone())
            .collect();
        unknown.sort();
        unknown.dedup();
        let mut found = self.tracker.find_tasks(&unknown).await?;
        for reference in unknown {
            let task = found.remove(&reference);
            tasks.0.insert(reference, task);
        }
        let mut linked = Vec::new();
        let mut links = Vec::new();
        for row in rows {
            let Some(Some(task)) = tasks.0.get(&row.reference).cloned() else {
                continue;
            };
            links.push((task.id.clone(), commit_link(&row)));
            linked.push((row, task));
        }
        self.tracker.link_commits(&links).await?;
        let marks: Vec<(i64, String, String, String)> = linked
            .iter()
            .map(|(row, task)| {
                (
                    row.repository_id,
                    row.sha.clone(),
                    row.reference.clone(),
                    task.id.clone(),
                )
            })
            .collect();
        commits::mark_linked(&self.db, &marks).await?;
        let with_tasks: Vec<(&RefRow, &str)> = linked
            .iter()
            .map(|(row, task)| (row, task.id.as_str()))
            .collect();
        commands::run_all(self, &with_tasks).await?;
        Ok(linked.len() as u64)
    }

    /// Links every waiting reference whose task exists now (the sweep's first step, and
    /// what happens when the tracker reports a new task), and finishes the commands of
    /// linked ones that a failure or a crash cut short.
    pub async fn link_waiting(&self) -> CoreResult<u64> {
        let unfinished = commits::load_refs(&self.db, RefFilter::CommandsUnfinished).await?;
        let with_tasks: Vec<(&RefRow, &str)> = unfinished
            .iter()
            .filter_map(|row| row.task_id.as_deref().map(|task| (row, task)))
            .collect();
        commands::run_all(self, &with_tasks).await?;
        self.link(RefFilter::AllUnlinked, &mut TaskCache::default())
            .await
    }

    /// [`Linker::link_waiting`] for one task, when its tracker says it appeared (a portal
    /// event): the references waiting under `reference`, the task's id as commit messages
    /// name it (`101` for `#101`). The tracker is asked about that one reference, once.
    pub async fn link_waiting_for(&self, reference: &str) -> CoreResult<u64> {
        self.link(
            RefFilter::UnlinkedNamed(reference),
            &mut TaskCache::default(),
        )
        .await
    }

    /// Tells the tracker again about the linked commits among `shas`, whose branches changed.
    pub async fn relink(&self, repository: RepositoryId, shas: &[String]) -> CoreResult<u64> {
        let rows = commits::load_refs(&self.db, RefFilter::LinkedOf { repository, shas }).await?;
        self.send_again(&rows).await
    }

    async fn send_again(&self, rows: &[RefRow]) -> CoreResult<u64> {
        let links: Vec<(String, CommitLink)> = rows
            .iter()
            .filter_map(|row| row.task_id.clone().map(|task| (task, commit_link(row))))
            .collect();
        self.tracker.link_commits(&links).await?;
        Ok(links.len() as u64)
    }

    /// After "this is …" mapped `email` to a person (see [`crate::store::authors::set_alias`]):
    /// tells the tracker again about each linked commit under it, now with its author.
    pub async fn relink_author(&self, email: &str) -> CoreResult<u64> {
        let rows = commits::load_refs(&self.db, RefFilter::LinkedByAuthor(email)).await?;
        self.send_again(&rows).await
    }

    pub(crate) fn tracker(&self) -> &dyn Tracker {
        self.tracker.as_ref()
    }
}

/// One record per reference, carrying whether the message asked to close the task and
/// how much time it logged on it.
fn ref_records(scan: &Scan) -> Vec<RefRecord> {
    scan.refs
        .iter()
        .map(|r| {
            let close = scan
                .commands
                .iter()
                .any(|c| matches!(c, Command::Close(t) if t == r));
            let minutes = scan
                .commands
                .iter()
                .map(|c| match c {
                    Command::LogTime { task, minutes } if task == r => *minutes,
                    _ => 0,
                })
                .sum();
            RefRecord {
                reference: r.as_str().to_string(),
                close,
                minutes,
            }
        })
        .collect()
}

fn commit_link(row: &RefRow) -> CommitLink {
    let url = RepoForge::parse(&row.forge).and_then(|f| f.commit_url(&row.web_url, &row.sha));
    CommitLink {
        repository: row.repository_name.clone(),
        sha: row.sha.clone(),
        change_key: row.change_key.clone(),
        message: row.message.clone(),
        author: row.person_id.map(PersonId),
        author_name: row.author_name.clone(),
        author_email: row.author_email.clone(),
        authored_at: row.authored_at,
        committed_at: row.committed_at,
        url,
        branches: row.branches.lines().map(str::to_string).collect(),
    }
}
