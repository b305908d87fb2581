//! The `jobs` table. Every statement works on SQLite and PostgreSQL; only the claim adds
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, where several processes claim at once (SQLite
//! has one writer at a time, which makes the same statement safe there).

use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::{Job, JobError, JobState, backoff};
use crate::db::{Backend, Db, FromRow, Tx};
use crate::error::{CoreError, CoreResult};
use crate::time::now_ms;

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, payload, state, attempts, max_attempts, run_at, last_error, created_at, started_at, finished_at";

fn payload_of<J: Job>(job: &J) -> CoreResult<String> {
    serde_json::to_string(job).map_err(|e| CoreError::Internal(format!("job {}: {e}", J::KIND)))
}

/// Queues `job` to run at once.
pub async fn enqueue<J: Job>(db: &Db, job: &J) -> CoreResult<i64> {
    let mut tx = db.begin().await?;
    let id = enqueue_in(&mut tx, job, None).await?;
    tx.commit().await?;
    Ok(id)
}

/// Queues `job` inside the caller's transaction, so it exists exactly when the change that
/// caused it does. `run_at` (Unix ms) delays it.
pub async fn enqueue_in<J: Job>(tx: &mut Tx, job: &J, run_at: Option<i64>) -> CoreResult<i64> {
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, state, max_attempts, run_at, created_at) \
         VALUES ($1, $2, 'queued', $3, $4, $5) RETURNING id",
    )
    .bind(J::KIND)
    .bind(payload_of(job)?)
    .bind(J::MAX_ATTEMPTS)
    .bind(run_at.unwrap_or(now))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn get(db: &Db, id: i64) -> CoreResult<JobRow> {
    sqlx::query_as::<_, JobRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(CoreError::NotFound("job"))
}

/// A job handed to a worker.
#[derive(Debug, Clone, FromRow)]
pub(super) struct Claimed {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
}

/// What a worker asks for: up to `limit` of the oldest due jobs of `kinds`, under a lease.
pub(super) struct ClaimRequest<'a> {
    pub kinds: &'a [&'a str],
    pub worker: &'a str,
    pub now: i64,
    pub lease_ms: i64,
    pub limit: usize,
}

/// Takes up to `limit` of the oldest due jobs of `kinds`, marks them running under a lease,
/// and counts the attempt; oldest first, empty when nothing is due. One statement for the
/// lot: on PostgreSQL a claim is a commit (an fsync), so a worker with room for several jobs
/// pays for one, not one each.
pub(super) async fn claim(db: &Db, request: &ClaimRequest<'_>) -> CoreResult<Vec<Claimed>> {
    if request.kinds.is_empty() || request.limit == 0 {
        return Ok(Vec::new());
    }
    let mut conn = db.pool().acquire().await?;
    claim_on(&mut conn, db.backend(), request).await
}

/// Marks the jobs of `done` done and claims the next ones in one transaction: on PostgreSQL
/// a worker's turn then costs one commit, not two.
pub(super) async fn finish_and_claim(
    db: &Db,
    done: &[i64],
    request: &ClaimRequest<'_>,
) -> CoreResult<Vec<Claimed>> {
    if done.is_empty() {
        return claim(db, request).await;
    }
    if request.limit == 0 || request.kinds.is_empty() {
        finish_done(db, done, request.worker).await?;
        return Ok(Vec::new());
    }
    let mut tx = db.begin().await?;
    finish_done_on(&mut tx, done, request.worker).await?;
    let claimed = claim_on(&mut tx, db.backend(), request).await?;
    tx.commit().await?;
    Ok(claimed)
}

async fn claim_on(
    conn: &mut AnyConnection,
    backend: Backend,
    request: &ClaimRequest<'_>,
) -> CoreResult<Vec<Claimed>> {
    let ClaimRequest {
        kinds,
        worker,
        now,
        lease_ms,
        limit,
    } = *request;
    let first_kind = 6;
    let placeholders: Vec<String> = (0..kinds.len())
        .map(|i| format!("${}", first_kind + i))
        .collect();
    let skip_locked = if backend == Backend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1, locked_by = $2, started_at = $3 \
         WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $4 AND kind IN ({}) \
                      ORDER BY run_at, id LIMIT $5{skip_locked}) \
         RETURNING id, kind, payload, attempts, max_attempts, run_at",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, ClaimedRow>(AssertSqlSafe(sql))
        .bind(now + lease_ms)
        .bind(worker)
        .bind(now)
        .bind(now)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
    for k in kinds {
        query = query.bind(*k);
    }
    let mut rows = query.fetch_all(&mut *conn).await?;
    // RETURNING promises no order; the queue's is by due time, then age.
    rows.sort_by_key(|r| (r.run_at, r.id));
    Ok(rows.into_iter().map(Claimed::from).collect())
}

/// A claimed row with the due time it was claimed at, to put a batch in queue order.
#[derive(FromRow)]
struct ClaimedRow {
    id: i64,
    kind: String,
    payload: String,
    attempts: i64,
    max_attempts: i64,
    run_at: i64,
}

impl From<ClaimedRow> for Claimed {
    fn from(r: ClaimedRow) -> Claimed {
        Claimed {
            id: r.id,
            kind: r.kind,
            payload: r.payload,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
        }
    }
}

/// Keeps a running job's lease alive.
pub(super) async fn renew(db: &Db, id: i64, worker: &str, until: i64) -> CoreResult<()> {
    sqlx::query(
        "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND state = 'running' AND locked_by = $3",
    )
    .bind(until)
    .bind(id)
    .bind(worker)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Marks the jobs of `ids` done, in one statement: jobs that succeed together (a batch
/// claimed together usually does) cost one commit. As in [`finish`], only jobs this worker
/// still holds change.
pub(super) async fn finish_done(db: &Db, ids: &[i64], worker: &str) -> CoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut conn = db.pool().acquire().await?;
    finish_done_on(&mut conn, ids, worker).await
}

async fn finish_done_on(conn: &mut AnyConnection, ids: &[i64], worker: &str) -> CoreResult<()> {
    let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "UPDATE jobs SET state = 'done', finished_at = $1, lease_until = NULL, locked_by = NULL \
         WHERE state = 'running' AND locked_by = $2 AND id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(now_ms()).bind(worker);
    for id in ids {
        query = query.bind(*id);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

pub(super) async fn finish(
    db: &Db,
    job: &Claimed,
    worker: &str,
    result: Result<(), JobError>,
) -> CoreResult<JobState> {
    let now = now_ms();
    let (state, run_at, error) = match result {
        Ok(()) => (JobState::Done, None, None),
        Err(JobError::Permanent(m)) => (JobState::Failed, None, Some(m)),
        Err(e) if job.attempts >= job.max_attempts => (JobState::Dead, None, Some(e.to_string())),
        Err(JobError::RetryAfter { after, message }) => {
            let wait = i64::try_from(after.as_millis())
                .unwrap_or(i64::MAX)
                .max(1_000);
            (
                JobState::Queued,
                Some(now.saturating_add(wait)),
                Some(message),
            )
        }
        Err(e) => {
            let wait = i64::try_from(backoff(job.attempts).as_millis()).unwrap_or(i64::MAX);
            (
                JobState::Queued,
                Some(now.saturating_add(wait)),
                Some(e.to_string()),
            )
        }
    };
    let finished_at = if state == JobState::Queued {
        None
    } else {
        Some(now)
    };
    // Only the worker holding the job may finish it: if its lease ran out and another
    // worker took the job over, this late answer changes nothing.
    sqlx::query(
        "UPDATE jobs SET state = $1, run_at = COALESCE($2, run_at), last_error = COALESCE($3, last_error), \
         finished_at = $4, lease_until = NULL, locked_by = NULL \
         WHERE id = $5 AND state = 'running' AND locked_by = $6",
    )
    .bind(state.as_str())
    .bind(run_at)
    .bind(error)
    .bind(finished_at)
    .bind(job.id)
    .bind(worker)
    .execute(db.pool())
    .await?;
    Ok(state)
}

/// Gives back a job this worker could not finish because it is shutting down; the attempt
/// does not count.
pub(super) async fn release(db: &Db, id: i64, worker: &str) -> CoreResult<()> {
    sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_until = NULL, locked_by = NULL \
         WHERE id = $1 AND state = 'running' AND locked_by = $2",
    )
    .bind(id)
    .bind(worker)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Puts back the jobs whose worker stopped renewing the lease (the process died). The
/// attempt it was making counts; one that used the last attempt is dead.
pub async fn recover_expired(db: &Db, now: i64) -> CoreResult<u64> {
    let message = "the worker running this job stopped before finishing it";
    let dead = sqlx::query(
        "UPDATE jobs SET state = 'dead', finished_at = $1, lease_until = NULL, locked_by = NULL, last_error = $2 \
         WHERE state = 'running' AND lease_until < $1 AND attempts >= max_attempts",
    )
    .bind(now)
    .bind(message)
    .execute(db.pool())
    .await?
    .rows_affected();
    let requeued = sqlx::query(
        "UPDATE jobs SET state = 'queued', run_at = $1, lease_until = NULL, locked_by = NULL, last_error = $2 \
         WHERE state = 'running' AND lease_until < $1",
    )
    .bind(now)
    .bind(message)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(dead + requeued)
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct StateCount {
    pub kind: String,
    pub state: String,
    pub count: i64,
}

/// How many jobs of each kind are in each state, for `/metrics` and the robots page.
pub async fn counts(db: &Db) -> CoreResult<Vec<StateCount>> {
    Ok(sqlx::query_as::<_, StateCount>(
        "SELECT kind, state, COUNT(*) AS count FROM jobs GROUP BY kind, state ORDER BY kind, state",
    )
    .fetch_all(db.pool())
    .await?)
}
