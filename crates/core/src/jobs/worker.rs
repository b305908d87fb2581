use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::registry::{JobContext, Registry};
use super::store::{self, ClaimRequest, Claimed};
use super::{JobError, JobState};
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

/// A job task's end as the `JoinSet` reports it.
type Joined = Result<(tokio::task::Id, Result<(), JobError>), tokio::task::JoinError>;

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
        // Jobs that ended and whose outcome is not written yet.
        let mut ended: Vec<Joined> = Vec::new();
        loop {
            // Housekeeping at a third of the lease: renew ours, recover others' dead ones.
            if last_upkeep.elapsed() >= self.config.lease / 3 {
                last_upkeep = Instant::now();
                self.upkeep(&running, lease_ms).await;
            }
            // Every job that has ended by now is written in this turn, the successes together
            // with the claim that fills their places: one commit a turn, however many ended.
            while let Some(done) = tasks.try_join_next_with_id() {
                ended.push(done);
            }
            let succeeded = self.record_failures(&mut running, &mut ended).await;
            let request = ClaimRequest {
                kinds: &kinds,
                worker: &self.id,
                now: now_ms(),
                lease_ms,
                limit: self.config.concurrency.saturating_sub(tasks.len()),
            };
            let ids: Vec<i64> = succeeded.iter().map(|j| j.id).collect();
            match store::finish_and_claim(&self.db, &ids, &request).await {
                Ok(claimed) => {
                    count_done(&succeeded);
                    for job in claimed {
                        let ctx = JobContext {
                            db: self.db.clone(),
                            job_id: job.id,
                            attempt: job.attempts,
                        };
                        let handle =
                            tasks.spawn(self.registry.start(&job.kind, job.payload.clone(), ctx));
                        running.insert(handle.id(), job);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim jobs");
                    // The successes were rolled back with the claim; written alone, they
                    // need not run again.
                    self.write_done(&succeeded).await;
                }
            }
            tokio::select! {
                () = &mut shutdown => break,
                Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => ended.push(done),
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
        self.finished(&mut running, ended).await;
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

    /// Records what became of the jobs that ended: the successes in one statement, each
    /// failure with its own retry time and error.
    async fn finished(
        &self,
        running: &mut HashMap<tokio::task::Id, Claimed>,
        mut ended: Vec<Joined>,
    ) {
        let succeeded = self.record_failures(running, &mut ended).await;
        self.write_done(&succeeded).await;
    }

    async fn write_done(&self, succeeded: &[Claimed]) {
        let ids: Vec<i64> = succeeded.iter().map(|j| j.id).collect();
        match store::finish_done(&self.db, &ids, &self.id).await {
            Ok(()) => count_done(succeeded),
            Err(e) => {
                tracing::error!(jobs = ?ids, error = %e, "cannot record the jobs' outcome; their leases will expire")
            }
        }
    }

    /// Takes the jobs out of `ended` (and `running`), records each failure with its own
    /// retry time and error, and returns the successes, to be written together.
    async fn record_failures(
        &self,
        running: &mut HashMap<tokio::task::Id, Claimed>,
        ended: &mut Vec<Joined>,
    ) -> Vec<Claimed> {
        let mut succeeded = Vec::new();
        for done in ended.drain(..) {
            let (id, result) = match done {
                Ok((id, result)) => (id, result),
                Err(e) => (
                    e.id(),
                    Err(JobError::Retry(format!("the job panicked: {e}"))),
                ),
            };
            let Some(job) = running.remove(&id) else {
                continue;
            };
            match result {
                Ok(()) => succeeded.push(job),
                Err(e) => record(&self.db, &job, &self.id, Err(e)).await,
            }
        }
        succeeded
    }

    async fn drain(
        &self,
        mut tasks: JoinSet<Result<(), JobError>>,
        mut running: HashMap<tokio::task::Id, Claimed>,
    ) {
        let deadline = tokio::time::Instant::now() + self.config.grace;
        while !tasks.is_empty() {
            match tokio::time::timeout_at(deadline, tasks.join_next_with_id()).await {
                Ok(Some(done)) => self.finished(&mut running, vec![done]).await,
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

fn count_done(jobs: &[Claimed]) {
    for job in jobs {
        metrics::counter!("jobs_finished_total", "kind" => job.kind.clone(), "state" => JobState::Done.as_str()).increment(1);
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
    let request = |now| ClaimRequest {
        kinds: &kinds,
        worker: &worker,
        now,
        lease_ms: 3_600_000,
        limit: 1,
    };
    while let Some(job) = store::claim(db, &request(now_ms())).await?.pop() {
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
