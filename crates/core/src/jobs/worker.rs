use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::JobError;
use super::registry::{JobContext, Registry};
use super::store::{self, Claimed};
use crate::db::Db;
use crate::error::CoreResult;
use crate::time::now_ms;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs run at the same time by this process.
    pub concurrency: usize,
    /// How often an idle worker looks for due jobs.
    pub poll: Duration,
    /// How long a claimed job stays ours without renewal; a process that dies loses its
    /// jobs to other workers after this long.
    pub lease: Duration,
    /// On shutdown, how long running jobs may take to finish before they are handed back.
    pub grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 4,
            poll: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            grace: Duration::from_secs(20),
        }
    }
}

/// Runs the jobs of one process.
pub struct Worker {
    db: Db,
    registry: Registry,
    config: WorkerConfig,
    id: String,
}

impl Worker {
    pub fn new(db: Db, registry: Registry, config: WorkerConfig) -> Worker {
        let id = format!(
            "{}-{}",
            std::process::id(),
            &crate::auth::random_token()[..8]
        );
        Worker {
            db,
            registry,
            config,
            id,
        }
    }

    /// Claims and runs due jobs until `shutdown` completes; then lets running jobs finish
    /// within the grace period and hands the rest back to the queue, so none is left
    /// "running" behind.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let kinds = self.registry.kinds();
        let lease_ms = i64::try_from(self.config.lease.as_millis()).unwrap_or(60_000);
        let mut tasks: JoinSet<Result<(), JobError>> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, Claimed> = HashMap::new();
        let mut last_upkeep = Instant::now() - self.config.lease;
        loop {
            // Housekeeping at a third of the lease: renew ours, recover others' dead ones.
            if last_upkeep.elapsed() >= self.config.lease / 3 {
                last_upkeep = Instant::now();
                self.upkeep(&running, lease_ms).await;
            }
            while tasks.len() < self.config.concurrency {
                match store::claim(&self.db, &kinds, &self.id, now_ms(), lease_ms).await {
                    Ok(Some(job)) => {
                        let ctx = JobContext {
                            db: self.db.clone(),
                            job_id: job.id,
                            attempt: job.attempts,
                        };
                        let handle =
                            tasks.spawn(self.registry.start(&job.kind, job.payload.clone(), ctx));
                        running.insert(handle.id(), job);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot claim jobs");
                        break;
                    }
                }
            }
            tokio::select! {
                () = &mut shutdown => break,
                Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    self.finished(&mut running, done).await;
                }
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
        self.drain(tasks, running).await;
    }

    async fn upkeep(&self, running: &HashMap<tokio::task::Id, Claimed>, lease_ms: i64) {
        for job in running.values() {
            if let Err(e) = store::renew(&self.db, job.id, &self.id, now_ms() + lease_ms).await {
                tracing::warn!(job = job.id, error = %e, "cannot renew the lease");
            }
        }
        match store::recover_expired(&self.db, now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "recovered jobs of a worker that stopped"),
            Err(e) => tracing::warn!(error = %e, "cannot recover expired jobs"),
        }
    }

    async fn finished(
        &self,
        running: &mut HashMap<tokio::task::Id, Claimed>,
        done: Result<(tokio::task::Id, Result<(), JobError>), tokio::task::JoinError>,
    ) {
        let (id, result) = match done {
            Ok((id, result)) => (id, result),
            Err(e) => (
                e.id(),
                Err(JobError::Retry(format!("the job panicked: {e}"))),
            ),
        };
        if let Some(job) = running.remove(&id) {
            record(&self.db, &job, &self.id, result).await;
        }
    }

    async fn drain(
        &self,
        mut tasks: JoinSet<Result<(), JobError>>,
        mut running: HashMap<tokio::task::Id, Claimed>,
    ) {
        let deadline = tokio::time::Instant::now() + self.config.grace;
        while !tasks.is_empty() {
            match tokio::time::timeout_at(deadline, tasks.join_next_with_id()).await {
                Ok(Some(done)) => self.finished(&mut running, done).await,
                Ok(None) | Err(_) => break,
            }
        }
        tasks.abort_all();
        for job in running.values() {
            tracing::info!(job = job.id, kind = %job.kind, "shutting down: job handed back to the queue");
            if let Err(e) = store::release(&self.db, job.id, &self.id).await {
                tracing::warn!(job = job.id, error = %e, "cannot hand the job back; its lease will expire");
            }
        }
    }
}

async fn record(db: &Db, job: &Claimed, worker: &str, result: Result<(), JobError>) {
    if let Err(e) = &result {
        tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job attempt failed");
    }
    match store::finish(db, job, worker, result).await {
        Ok(state) => metrics::counter!("jobs_finished_total", "kind" => job.kind.clone(), "state" => state.as_str()).increment(1),
        Err(e) => tracing::error!(job = job.id, error = %e, "cannot record the job's outcome; its lease will expire"),
    }
}

/// Runs every job of a registered kind that is due now, one after another, until none is
/// left, and returns how many attempts were made. For tests and `shtab robots run`: the
/// outcome does not depend on timing.
pub async fn run_due(db: &Db, registry: &Registry) -> CoreResult<usize> {
    let kinds = registry.kinds();
    let worker = format!("run-due-{}", std::process::id());
    let mut attempts = 0;
    while let Some(job) = store::claim(db, &kinds, &worker, now_ms(), 3_600_000).await? {
        attempts += 1;
        let ctx = JobContext {
            db: db.clone(),
            job_id: job.id,
            attempt: job.attempts,
        };
        // A task of its own, so a panicking handler becomes a failed attempt.
        let result = match tokio::spawn(registry.start(&job.kind, job.payload.clone(), ctx)).await {
            Ok(r) => r,
            Err(e) => Err(JobError::Retry(format!("the job panicked: {e}"))),
        };
        record(db, &job, &worker, result).await;
    }
    Ok(attempts)
}
