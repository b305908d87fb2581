//! The sweep: fetches each repository into a bare mirror under the data directory and
//! walks, Redmine's way, the commits reachable from any branch head that were not reachable
//! from the heads it saw last time — so webhooks that never came, pushes over the forge's
//! limits, force-pushes and deleted branches all come out right. The first sweep of a
//! repository walks its whole history. Heads are remembered only after everything below
//! them was linked: a sweep cut off half-way walks the same commits again, harmlessly.
//!
//! The sweep is also the truth about branches: each commit it walks arrives with every
//! branch that reaches it, and when heads moved, the branches of the commits stored earlier
//! are brought up to date from one walk of the graph (a commit left on no branch is kept and
//! shown as such, not deleted).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use shtab_core::robots::{LogLevel, Robot, RobotError, RunContext};
use shtab_core::time::now_ms;
use shtab_core::types::Locale;

use crate::domain::reach::{BranchReach, Reach};
use crate::linker::{Counts, IncomingCommit, Linker, TaskCache};
use crate::sources::git::{Credential, GitCommit, Mirror, Walk};
use crate::store::{Repository, commits, deliveries, heads, repositories};

/// Commits handed to the linker at once: one transaction each.
const BATCH: usize = 5000;
const DELIVERIES_KEPT_MS: i64 = 30 * 86_400_000;

pub struct Sweep {
    linker: Linker,
    mirrors: PathBuf,
    fetch_timeout: Duration,
}

impl Sweep {
    /// `mirrors`: where the bare mirrors live (`<data_dir>/vcs/mirrors`).
    pub fn new(linker: Linker, mirrors: PathBuf, fetch_timeout: Duration) -> Sweep {
        Sweep {
            linker,
            mirrors,
            fetch_timeout,
        }
    }
}

#[async_trait::async_trait]
impl Robot for Sweep {
    fn name(&self) -> &'static str {
        "vcs.sweep"
    }

    fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Ru => "Обход репозиториев",
            Locale::En => "Repository sweep",
        }
    }

    fn default_schedule(&self) -> &'static str {
        "*/15 * * * *"
    }

    async fn run(&self, ctx: &RunContext) -> Result<(), RobotError> {
        let db = self.linker.db();
        deliveries::prune(db, now_ms() - DELIVERIES_KEPT_MS).await?;
        let waiting = self.linker.link_waiting().await?;
        ctx.count("waiting_linked", waiting as i64).await?;
        let all = repositories::list(db).await?;
        let swept: Vec<&Repository> = all
            .iter()
            .filter(|r| r.enabled && !r.clone_url.is_empty())
            .collect();
        let mut failed = Vec::new();
        for repository in &swept {
            ctx.log(LogLevel::Info, format!("{}: fetching", repository.name))
                .await?;
            match self.sweep_one(Some(ctx), repository).await {
                Ok(counts) => {
                    repositories::record_sweep(db, repository.id, None, counts.scanned as i64)
                        .await?;
                    ctx.count("repositories", 1).await?;
                    ctx.count("commits", counts.scanned as i64).await?;
                    ctx.count("with_references", counts.with_refs as i64)
                        .await?;
                    ctx.count("linked", counts.linked as i64).await?;
                    ctx.log(
                        LogLevel::Info,
                        format!(
                            "{}: {} new commits, {} naming tasks, {} links made",
                            repository.name, counts.scanned, counts.with_refs, counts.linked
                        ),
                    )
                    .await?;
                }
                Err(e) => {
                    repositories::record_sweep(db, repository.id, Some(&e), 0).await?;
                    ctx.count("failed", 1).await?;
                    ctx.log(LogLevel::Error, format!("{}: {e}", repository.name))
                        .await?;
                    failed.push(repository.name.clone());
                }
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(RobotError(format!(
                "{} of {} repositories failed: {}",
                failed.len(),
                swept.len(),
                failed.join(", ")
            )))
        }
    }
}

impl Sweep {
    /// Sweeps one repository outside a robot run (the demo company's, which must not fetch
    /// anyone else's): the same walk and linking as the robot's, recorded on the repository.
    pub async fn sweep_repository(&self, repository: &Repository) -> Result<Counts, String> {
        let db = self.linker.db();
        let result = self.sweep_one(None, repository).await;
        let (error, scanned) = match &result {
            Ok(counts) => (None, counts.scanned as i64),
            Err(e) => (Some(e.as_str()), 0),
        };
        repositories::record_sweep(db, repository.id, error, scanned)
            .await
            .map_err(|e| e.to_string())?;
        result
    }

    /// `ctx`: the robot run to report progress to, when there is one.
    async fn sweep_one(
        &self,
        ctx: Option<&RunContext>,
        repository: &Repository,
    ) -> Result<Counts, String> {
        let rules = repository
            .ref_rules()
            .map_err(|e| format!("reference patterns: {e}"))?;
        let mirror = Mirror::open(&self.mirrors.join(format!("{}.git", repository.id)))
            .await
            .map_err(|e| e.to_string())?;
        let credential = repository.has_credential().then(|| Credential {
            username: if repository.credential_username.is_empty() {
                // GitHub, GitLab and Gitea all take a token with any user name.
                "oauth2".to_string()
            } else {
                repository.credential_username.clone()
            },
            secret: repository.credential_secret.clone(),
        });
        mirror
            .fetch(
                &repository.clone_url,
                credential.as_ref(),
                self.fetch_timeout,
            )
            .await
            .map_err(|e| e.to_string())?;
        let filter = repository.branch_filter();
        let current: BTreeMap<String, String> = mirror
            .branch_heads()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|(branch, _)| filter.accepts(branch))
            .collect();
        let db = self.linker.db();
        let seen = heads::get(db, repository.id)
            .await
            .map_err(|e| e.to_string())?;
        if current == seen {
            return Ok(Counts::default());
        }
        let stored_before = commits::any(db, repository.id)
            .await
            .map_err(|e| e.to_string())?;
        let exclude: Vec<String> = seen.values().cloned().collect();
        let mut include: Vec<String> = current
            .iter()
            .filter(|(branch, sha)| seen.get(*branch) != Some(*sha))
            .map(|(_, sha)| sha.clone())
            .collect();
        include.sort_unstable();
        include.dedup();
        let total = mirror
            .count(&include, &exclude)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(ctx) = ctx {
            ctx.progress(0, total as i64)
                .await
                .map_err(|e| e.to_string())?;
        }

        let mut counts = Counts::default();
        let mut authors = self.linker.author_resolver();
        let mut tasks = TaskCache::default();
        let walk = mirror
            .walk(&include, &exclude)
            .await
            .map_err(|e| e.to_string())?;
        // One walk over every moved head, children first: a new commit can only be on
        // branches that moved, and each arrives knowing all of them.
        let (mut batches, reader) = read_batches(walk, BranchReach::new(&current));
        while let Some(batch) = batches.recv().await {
            let batch = batch?;
            counts += self
                .linker
                .ingest(repository, &rules, &batch, &mut authors, &mut tasks)
                .await
                .map_err(|e| e.to_string())?;
            if let Some(ctx) = ctx {
                ctx.progress(counts.scanned as i64, total as i64)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        // The reader ends by closing the channel; a panic there must not pass for the end of
        // the history.
        reader
            .await
            .map_err(|e| format!("reading the history failed: {e}"))?;
        // Commits stored before this walk may have gained branches (a merge, a new branch)
        // or lost them (a deleted branch, a force-push). The first sweep's walk saw the whole
        // graph, so then only commits a webhook brought earlier need it.
        if !seen.is_empty() || stored_before {
            let changed = self
                .reconcile(&mirror, repository, &current)
                .await
                .map_err(|e| e.to_string())?;
            if let Some(ctx) = ctx {
                ctx.count("branches_changed", changed as i64)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        heads::replace(db, repository.id, &current)
            .await
            .map_err(|e| e.to_string())?;
        Ok(counts)
    }

    /// Brings the branches of every stored commit of `repository` to what the mirror says
    /// (the sweep is the truth) and tells the tracker about the linked ones that changed;
    /// returns how many changed. A stored commit no branch reaches is on none any more, if
    /// the mirror has it: one a webhook brought that the fetch has not yet is left as it is.
    async fn reconcile(
        &self,
        mirror: &Mirror,
        repository: &Repository,
        current: &BTreeMap<String, String>,
    ) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
        let db = self.linker.db();
        let mut unreached = commits::branches(db, repository.id).await?;
        if unreached.is_empty() {
            return Ok(0);
        }
        let mut heads: Vec<String> = current.values().cloned().collect();
        heads.sort_unstable();
        heads.dedup();
        let mut reach = BranchReach::new(current);
        let mut graph = mirror.graph(&heads).await?;
        let mut changed: Vec<(String, String)> = Vec::new();
        while let Some((sha, parents)) = graph.next().await? {
            let set = reach.visit(&sha, &parents);
            if let Some(stored) = unreached.remove(&sha) {
                let now = reach.names(set).join("\n");
                if now != stored {
                    changed.push((sha, now));
                }
            }
        }
        let lost: Vec<String> = unreached
            .into_iter()
            .filter(|(_, stored)| !stored.is_empty())
            .map(|(sha, _)| sha)
            .collect();
        changed.extend(
            mirror
                .present(&lost)
                .await?
                .into_iter()
                .map(|sha| (sha, String::new())),
        );
        commits::set_branches(db, repository.id, &changed).await?;
        let shas: Vec<String> = changed.into_iter().map(|(sha, _)| sha).collect();
        self.linker.relink(repository.id, &shas).await?;
        Ok(shas.len())
    }
}

/// Batches of the walk's commits, each knowing every branch that reaches it, read on a task
/// of their own: git's stream is read and parsed while the batch before is stored, instead
/// of git waiting on a full pipe meanwhile. One batch waits in the channel at most. A read
/// error is the last item; dropping the receiver stops the reader (and git, its pipe closed).
fn read_batches(
    mut walk: Walk,
    mut reach: BranchReach,
) -> (
    tokio::sync::mpsc::Receiver<Result<Vec<IncomingCommit>, String>>,
    tokio::task::JoinHandle<()>,
) {
    let (sender, receiver) = tokio::sync::mpsc::channel(1);
    let reader = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let commit = match walk.next().await {
                Ok(Some(commit)) => commit,
                Ok(None) => break,
                Err(e) => {
                    let _ = sender.send(Err(e.to_string())).await;
                    return;
                }
            };
            // Children come first: a commit's branches are known once it is reached.
            let set = reach.visit(&commit.sha, &commit.parents);
            batch.push(incoming(commit, Reach::Exactly(reach.names(set))));
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if sender.send(Ok(full)).await.is_err() {
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = sender.send(Ok(batch)).await;
        }
    });
    (receiver, reader)
}

fn incoming(c: GitCommit, reach: Reach) -> IncomingCommit {
    IncomingCommit {
        sha: c.sha,
        message: c.message,
        author_name: c.author_name,
        author_email: (!c.author_email.is_empty()).then_some(c.author_email),
        authored_at: c.authored_at_ms,
        committed_at: c.committed_at_ms,
        reach,
    }
}
