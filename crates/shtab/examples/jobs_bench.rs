//! Throughput of the job queue with empty jobs: `bench/jobs.sh` runs it per backend.
//!
//! `jobs_bench [DATABASE_URL]` (default: SQLite in a temp dir; `BENCH_JOBS` jobs, 10 000).
//! Prints the enqueue rate (one transaction per job), the rate at which a `Worker` with
//! concurrency 4 works them off, and the per-job overhead of each.

#[path = "common/aim.rs"]
mod aim;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use shtab_core::config::{Config, Secret};
use shtab_core::jobs::{self, Job, JobContext, JobError, Registry, Worker, WorkerConfig};

#[derive(Serialize, Deserialize)]
struct Empty;

impl Job for Empty {
    const KIND: &'static str = "bench.empty";
}

async fn nothing(_: Empty, _: JobContext) -> Result<(), JobError> {
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir()?;
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    if let Some(url) = std::env::args().nth(1) {
        config.database.url = Secret::new(url);
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let db = shtab_core::db::connect(&config).await?;
    db.migrate(shtab::server::CAPABILITY_MIGRATIONS).await?;
    let backend = format!("{:?}", db.backend()).to_lowercase();

    let started = Instant::now();
    for _ in 0..n {
        jobs::enqueue(&db, &Empty).await?;
    }
    let enqueue = started.elapsed();

    if db.backend() == shtab_core::db::Backend::Postgres {
        // As autovacuum would within a minute of the backlog. Without statistics the planner
        // takes the fresh table for nearly empty and sorts every queued job for each claim
        // (profiled with log_min_duration_statement: 1.1 ms a claim at 5 000 queued).
        sqlx::query("ANALYZE jobs").execute(db.pool()).await?;
    }
    let syncs_before = wal_syncs(&db).await?;
    let registry = Registry::new().register::<Empty, _, _>(nothing);
    let worker = Worker::new(
        db.clone(),
        registry,
        WorkerConfig {
            concurrency: 4,
            poll: Duration::from_millis(5),
            ..WorkerConfig::default()
        },
    );
    let started = Instant::now();
    let watch = db.clone();
    worker
        .run(async move {
            loop {
                let counts = jobs::counts(&watch).await.unwrap_or_default();
                let left: i64 = counts
                    .iter()
                    .filter(|c| c.state == "queued" || c.state == "running")
                    .map(|c| c.count)
                    .sum();
                if left == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    let process = started.elapsed();
    let done: i64 = jobs::counts(&db)
        .await?
        .iter()
        .filter(|c| c.state == "done")
        .map(|c| c.count)
        .sum();
    anyhow::ensure!(done as usize == n, "{done} of {n} jobs done");

    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let per_job = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!(
        "{backend:<8} {n} jobs  enqueue {:>7.0} jobs/s ({:>6.0} µs/job)  process (worker, concurrency 4) {:>7.0} jobs/s ({:>6.0} µs/job)",
        rate(enqueue),
        per_job(enqueue),
        rate(process),
        per_job(process),
    );
    if let (Some(before), Some(after)) = (syncs_before, wal_syncs(&db).await?) {
        // Where a job's time goes: each WAL sync is a commit waiting for the disk.
        let syncs = after - before;
        println!(
            "{backend:<8} WAL syncs while the worker ran: {syncs} ({:.2} per job; enqueue took one each, {:.0} µs)",
            syncs as f64 / n as f64,
            per_job(enqueue),
        );
    }
    if backend == "postgres" {
        // The aim is PostgreSQL's (issue 18): SQLite's writes are one at a time anyway.
        println!(
            "{}",
            aim::at_most("per job through the worker", per_job(process), 500.0, "µs")
        );
    }
    db.close().await;
    Ok(())
}

/// PostgreSQL's count of WAL syncs (a commit's wait for the disk), once every backend has
/// reported its statistics (they do so within 10 s of going idle); `None` on SQLite.
async fn wal_syncs(db: &shtab_core::db::Db) -> anyhow::Result<Option<i64>> {
    if db.backend() != shtab_core::db::Backend::Postgres {
        return Ok(None);
    }
    tokio::time::sleep(Duration::from_secs(11)).await;
    let syncs: i64 = sqlx::query_scalar("SELECT wal_sync FROM pg_stat_wal")
        .fetch_one(db.pool())
        .await?;
    Ok(Some(syncs))
}
