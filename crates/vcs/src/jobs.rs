//! The capability's queued work: linking what a webhook delivered, telling the tracker again
//! about an author's commits once they were mapped to a person, and linking what waited for a
//! task once it appeared (Shtab's own, or one the system of record announced).

use serde::{Deserialize, Serialize};
use shtab_core::jobs::{Job, JobError, Registry};
use shtab_core::tasks::{TaskAppeared, TaskCreated};

use crate::domain::reach::Reach;
use crate::linker::{IncomingCommit, Linker, TaskCache};
use crate::store::commits::RefFilter;
use crate::store::deliveries::{self, DeliveryStatus};
use crate::store::repositories;

/// A push as the webhook accepted it, kept with the delivery until the job links it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueuedPush {
    pub branch: Option<String>,
    pub commits: Vec<QueuedCommit>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueuedCommit {
    pub sha: String,
    pub message: String,
    pub author_name: String,
    pub author_email: Option<String>,
    /// The forge's one timestamp for the commit.
    pub timestamp_ms: i64,
}

/// Links the commits of an accepted delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IngestDelivery {
    pub delivery: i64,
}

impl Job for IngestDelivery {
    const KIND: &'static str = "vcs.ingest";
}

/// Re-sends an author's linked commits to the tracker after "this is …".
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RelinkAuthor {
    pub email: String,
}

impl Job for RelinkAuthor {
    const KIND: &'static str = "vcs.relink_author";
}

pub fn registry(linker: Linker) -> Registry {
    let ingest = linker.clone();
    let relink = linker.clone();
    let created = linker.clone();
    Registry::new()
        .register::<IngestDelivery, _, _>(move |job, _ctx| {
            let linker = ingest.clone();
            async move { ingest_delivery(&linker, job.delivery).await }
        })
        .register::<RelinkAuthor, _, _>(move |job, _ctx| {
            let linker = relink.clone();
            async move {
                linker.relink_author(&job.email).await?;
                Ok(())
            }
        })
        .register::<TaskCreated, _, _>(move |job, _ctx| {
            let linker = created.clone();
            async move { link_new_task(&linker, job.task_id).await }
        })
        .register::<TaskAppeared, _, _>(move |job, _ctx| {
            let linker = linker.clone();
            async move {
                linker.link_waiting_for(&job.task_id).await?;
                Ok(())
            }
        })
}

/// A built-in task appeared: the references that named it before it existed (`#42`, or its
/// key) are linked now rather than at the next sweep.
async fn link_new_task(linker: &Linker, id: shtab_core::ids::TaskId) -> Result<(), JobError> {
    let task = match shtab_core::tasks::get(linker.db(), id).await {
        Ok(t) => t,
        Err(shtab_core::CoreError::NotFound(_)) => return Ok(()), // deleted since
        Err(e) => return Err(e.into()),
    };
    let mut references = vec![task.id.0.to_string()];
    references.extend(task.key.map(|k| k.as_str().to_string()));
    let mut tasks = TaskCache::default();
    for reference in &references {
        linker
            .link(RefFilter::UnlinkedNamed(reference), &mut tasks)
            .await?;
    }
    Ok(())
}

async fn ingest_delivery(linker: &Linker, delivery: i64) -> Result<(), JobError> {
    let db = linker.db();
    let Some((repository_id, status, payload)) = deliveries::payload(db, delivery).await? else {
        return Ok(()); // pruned or its repository deleted: nothing left to do
    };
    if status != DeliveryStatus::Queued.as_str() {
        return Ok(()); // done by an earlier attempt
    }
    let push: QueuedPush = match payload.as_deref().map(serde_json::from_str) {
        Some(Ok(p)) => p,
        other => {
            let why = match other {
                Some(Err(e)) => format!("the stored push does not read back: {e}"),
                _ => "the delivery has no stored push".to_string(),
            };
            deliveries::finish(db, delivery, DeliveryStatus::Failed, &why, 0).await?;
            return Err(JobError::Permanent(why));
        }
    };
    let repository = repositories::get(db, repository_id).await?;
    let rules = repository.ref_rules().map_err(|e| {
        JobError::Permanent(format!(
            "repository {}: reference patterns: {e}",
            repository.name
        ))
    })?;
    let commits: Vec<IncomingCommit> = push
        .commits
        .into_iter()
        .map(|c| IncomingCommit {
            sha: c.sha,
            message: c.message,
            author_name: c.author_name,
            author_email: c.author_email,
            authored_at: c.timestamp_ms,
            committed_at: c.timestamp_ms,
            reach: Reach::Pushed(push.branch.iter().cloned().collect()),
        })
        .collect();
    let mut authors = linker.author_resolver();
    let mut tasks = TaskCache::default();
    let counts = match linker
        .ingest(&repository, &rules, &commits, &mut authors, &mut tasks)
        .await
    {
        Ok(counts) => counts,
        Err(e) => {
            // A refusal (the tracker's missing scope, no permission) ends the delivery with
            // its reason on the repository's page; a passing failure is retried as it is.
            let error = JobError::from(e);
            if let JobError::Permanent(why) = &error {
                deliveries::finish(db, delivery, DeliveryStatus::Failed, why, 0).await?;
            }
            return Err(error);
        }
    };
    let mut note = format!(
        "{} commits, {} naming tasks, {} links made",
        counts.scanned, counts.with_refs, counts.linked
    );
    let missing = tasks.missing();
    if !missing.is_empty() {
        note.push_str(&format!(
            "; no such task (yet) for {}: waiting",
            missing.join(", ")
        ));
    }
    deliveries::finish(
        db,
        delivery,
        DeliveryStatus::Processed,
        &note,
        counts.linked as i64,
    )
    .await?;
    Ok(())
}
