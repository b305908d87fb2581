//! Code ↔ tasks figures: `bench/vcs.sh` runs it.
//!
//! `vcs_bench backfill REPO` — the first sweep of the repository at REPO (all of its
//! history) into a fresh SQLite database with tasks 1‥500, against
//! `git log --all --format='%H %ae %s'` on the same repository; prints both and the ratio,
//! and the time of the `git fetch` into the mirror, measured apart.
//!
//! `vcs_bench ingest` — a hub on a loopback port with its job worker; `BENCH_PUSHES` signed
//! GitHub pushes of 20 commits each (default 500) sent 8 at a time, at once (a burst) or,
//! with `BENCH_RATE`, that many a second (steady); prints pushes per second and the p50/p99
//! time from sending a push until its links are stored.
//!
//! Each prints its figures next to their aims (issue 18): the back-fill within 1.3× git log;
//! a burst drained at 200 pushes/s or more; p99 within 300 ms at a steady 20 pushes/s.

#[path = "common/aim.rs"]
mod aim;
#[path = "common/github.rs"]
mod github;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::db::Db;
use shtab_core::jobs::{Worker, WorkerConfig};
use shtab_vcs::domain::repository::RawRepositoryInput;
use shtab_vcs::store::repositories;

const TASKS: i64 = 500;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shtab_core::tls::install_crypto_provider();
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("backfill") => backfill(args.get(2).context("usage: vcs_bench backfill REPO")?).await,
        Some("ingest") => ingest().await,
        _ => anyhow::bail!("usage: vcs_bench backfill REPO | vcs_bench ingest"),
    }
}

async fn fresh_database(dir: &std::path::Path) -> anyhow::Result<(Db, Arc<Config>)> {
    let config = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    std::fs::create_dir_all(&config.data_dir)?;
    let db = shtab::server::open_database(&config).await?;
    for n in 1..=TASKS {
        sqlx::query(
            "INSERT INTO tasks (id, title, description, status, created_at, updated_at) VALUES ($1, $2, '', 'open', 0, 0)",
        )
        .bind(n)
        .bind(format!("Task {n}"))
        .execute(db.pool())
        .await?;
    }
    Ok((db, Arc::new(config)))
}

async fn add_repository(
    db: &Db,
    forge: &str,
    web_url: &str,
    clone_url: &str,
) -> anyhow::Result<shtab_vcs::store::Repository> {
    let input = RawRepositoryInput {
        name: "bench".into(),
        forge: forge.into(),
        web_url: web_url.into(),
        clone_url: clone_url.into(),
        ..Default::default()
    }
    .parse()
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(repositories::create(db, &Actor::system("bench"), &input).await?)
}

async fn backfill(repo: &str) -> anyhow::Result<()> {
    let repo = std::fs::canonicalize(repo)?;
    let started = Instant::now();
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["log", "--all", "--format=%H %ae %s"])
        .output()?;
    anyhow::ensure!(out.status.success(), "git log failed");
    let git_log = started.elapsed();
    let commits = out.stdout.iter().filter(|b| **b == b'\n').count();

    let dir = tempfile::tempdir()?;
    let (db, config) = fresh_database(dir.path()).await?;
    let url = repo.to_str().context("path")?;
    let repository = add_repository(&db, "git", "", url).await?;
    // The fetch first, on its own: for a local repository it is git packing every object,
    // which says nothing about Shtab; the sweep then finds the mirror up to date.
    let started = Instant::now();
    let mirror = shtab_vcs::sources::git::Mirror::open(
        &config
            .data_dir
            .join("vcs")
            .join("mirrors")
            .join(format!("{}.git", repository.id)),
    )
    .await?;
    mirror.fetch(url, None, Duration::from_secs(600)).await?;
    let fetch = started.elapsed();
    let set = shtab::server::robot_set(&db, &config);
    let started = Instant::now();
    let run = shtab_core::robots::run_in_foreground(&db, &set, "vcs.sweep", None).await?;
    let sweep = started.elapsed();
    anyhow::ensure!(run.status == "done", "the sweep failed: {:?}", run.error);
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM task_commits")
        .fetch_one(db.pool())
        .await?;
    let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vcs_refs WHERE task_id IS NULL")
        .fetch_one(db.pool())
        .await?;
    println!(
        "back-fill: {commits} commits; git log --all {:.2} s; first sweep (walk + link, SQLite) {:.2} s = {:.2}x git log; \
         git fetch into the mirror before it {:.2} s; {links} links, {waiting} references waiting for tasks; counters {}",
        git_log.as_secs_f64(),
        sweep.as_secs_f64(),
        sweep.as_secs_f64() / git_log.as_secs_f64(),
        fetch.as_secs_f64(),
        run.counters
    );
    println!(
        "{}",
        aim::at_most(
            "first sweep vs git log",
            sweep.as_secs_f64() / git_log.as_secs_f64(),
            1.3,
            "×"
        )
    );
    Ok(())
}

async fn ingest() -> anyhow::Result<()> {
    let pushes: usize = std::env::var("BENCH_PUSHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    // Pushes a second; none: all at once.
    let rate: Option<f64> = std::env::var("BENCH_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|r: &f64| *r > 0.0);
    let dir = tempfile::tempdir()?;
    let (db, config) = fresh_database(dir.path()).await?;
    let repo = add_repository(&db, "github", "https://github.com/acme/app", "").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = shtab::server::application(db.clone(), config.clone());
    tokio::spawn(shtab::server::serve(listener, app, std::future::pending()));
    let set = shtab::server::robot_set(&db, &config);
    let worker = Worker::new(
        db.clone(),
        shtab::server::job_registry(&db, &config, set),
        WorkerConfig {
            concurrency: 2,
            poll: Duration::from_millis(5),
            ..WorkerConfig::default()
        },
    );
    tokio::spawn(worker.run(std::future::pending()));

    let client = reqwest::Client::new();
    let url = format!("http://{addr}/hooks/github");
    let secret = repo.webhook_secret.clone();
    let started = Instant::now();
    let sent_at = Arc::new(std::sync::Mutex::new(Vec::with_capacity(pushes)));
    let semaphore = Arc::new(tokio::sync::Semaphore::new(8));
    let mut handles = Vec::new();
    for p in 0..pushes {
        let due = rate.map(|r| started + Duration::from_secs_f64(p as f64 / r));
        let body = github::push_body(p, TASKS);
        let signature = shtab_vcs::domain::signature::sign_github(secret.as_bytes(), &body);
        let (client, url, sent_at, semaphore) = (
            client.clone(),
            url.clone(),
            sent_at.clone(),
            semaphore.clone(),
        );
        handles.push(tokio::spawn(async move {
            if let Some(due) = due {
                tokio::time::sleep_until(due.into()).await;
            }
            let _permit = semaphore.acquire().await;
            let t = shtab_core::time::now_ms();
            let response = client
                .post(&url)
                .header("X-GitHub-Event", "push")
                .header("X-GitHub-Delivery", format!("bench-{p}"))
                .header("X-Hub-Signature-256", signature)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            if let Ok(r) = response
                && r.status().as_u16() == 202
            {
                sent_at.lock().unwrap().push((format!("bench-{p}"), t));
            }
        }));
    }
    for h in handles {
        h.await?;
    }
    let accepted = sent_at.lock().unwrap().len();
    anyhow::ensure!(
        accepted == pushes,
        "only {accepted} of {pushes} pushes were accepted"
    );
    loop {
        let left: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM vcs_deliveries WHERE status = 'queued'")
                .fetch_one(db.pool())
                .await?;
        if left == 0 {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let states: Vec<(String, String, i64, Option<String>)> =
                sqlx::query_as("SELECT kind, state, CAST(COUNT(*) AS BIGINT), MAX(last_error) FROM jobs GROUP BY kind, state")
                    .fetch_all(db.pool())
                    .await?;
            anyhow::bail!("{left} deliveries still queued after 2 minutes; jobs: {states:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total = started.elapsed();
    let processed: Vec<(String, i64)> = sqlx::query_as(
        "SELECT claimed_id, processed_at FROM vcs_deliveries WHERE status = 'processed'",
    )
    .fetch_all(db.pool())
    .await?;
    let sent: std::collections::HashMap<String, i64> =
        sent_at.lock().unwrap().iter().cloned().collect();
    let mut latencies: Vec<i64> = processed
        .iter()
        .filter_map(|(id, done)| sent.get(id).map(|t| done - t))
        .collect();
    latencies.sort_unstable();
    let pick = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM task_commits")
        .fetch_one(db.pool())
        .await?;
    let mode = rate.map_or("a burst".to_owned(), |r| format!("{r} a second"));
    println!(
        "webhook ingest: {pushes} pushes of 20 commits ({links} links), {mode}, in {:.2} s = {:.0} pushes/s; send → links stored p50 {} ms, p99 {} ms",
        total.as_secs_f64(),
        pushes as f64 / total.as_secs_f64(),
        pick(0.5),
        pick(0.99)
    );
    let verdict = match rate {
        Some(_) => aim::at_most("p99 send → links stored", pick(0.99) as f64, 300.0, "ms"),
        None => aim::at_least(
            "a burst drains at",
            pushes as f64 / total.as_secs_f64(),
            200.0,
            "pushes/s",
        ),
    };
    println!("{verdict}");
    Ok(())
}
