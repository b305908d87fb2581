//! `bitrix24_bench backfill REPO` — the first sweep of the repository at REPO into a fresh
//! SQLite hub whose tasks live on a fake portal on loopback (tasks 1‥600, so about 3 000 of
//! 100 000 generated commits name one that exists; the 30 authors are portal users), with
//! the portal's leaky bucket enforced at `bitrix24.rate`/`bitrix24.burst` (2 and 50, or
//! `BENCH_RATE`/`BENCH_BURST`). Prints the HTTP requests per linked commit (aim ≤ 0.05), the
//! portal's 503 answers (aim 0) and the wall time of the sweep.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use shtab_bitrix24::fake::{FakePortal, FakeTask, FakeUser};
use shtab_core::audit::Actor;
use shtab_core::config::{Config, Secret, SystemOfRecord};
use shtab_core::robots;
use shtab_vcs::domain::repository::RawRepositoryInput;
use shtab_vcs::store::repositories;

/// Portal tasks 1‥TASKS exist: the generator names #1‥3000 and «задача 1‥500».
const TASKS: u64 = 600;
/// The generator's authors: dev0‥dev29@agency.example, some spelt with capitals.
const AUTHORS: u64 = 30;
const REQUESTS_PER_LINK_AIM: f64 = 0.05;

fn env_u32(name: &str, default: u32) -> anyhow::Result<u32> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .with_context(|| format!("{name} must be a whole number, not «{v}»")),
        Err(_) => Ok(default),
    }
}

async fn portal(rate: u32, burst: u32) -> FakePortal {
    let portal = FakePortal::start().await;
    for k in 0..AUTHORS {
        portal.add_user(FakeUser::new(
            k + 10,
            &format!("Dev {k:02}"),
            "",
            &format!("dev{k}@agency.example"),
        ));
    }
    for id in 1..=TASKS {
        portal.add_task(FakeTask::new(id, &format!("Task {id}")));
    }
    portal.limit_rate(f64::from(rate), f64::from(burst));
    portal
}

pub async fn run(repo: &str) -> anyhow::Result<()> {
    let repo = std::fs::canonicalize(repo)?;
    let url = repo
        .to_str()
        .context("the repository's path is not UTF-8")?;
    let rate = env_u32("BENCH_RATE", 2)?;
    let burst = env_u32("BENCH_BURST", 50)?;
    let portal = portal(rate, burst).await;

    let dir = tempfile::tempdir()?;
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    config.bitrix24.webhook_url = Secret::new(portal.webhook_url());
    config.bitrix24.rate = rate;
    config.bitrix24.burst = burst;
    config.systems.tasks = SystemOfRecord::Bitrix24;
    let config = Arc::new(config);
    let db = shtab::server::open_database(&config).await?;
    let set = shtab::server::robot_set(&db, &config);
    let people = robots::run_in_foreground(&db, &set, "bitrix24.users", None).await?;
    anyhow::ensure!(
        people.status == "done",
        "the users robot failed: {:?}",
        people.error
    );

    let input = RawRepositoryInput {
        name: "bench".into(),
        forge: "git".into(),
        clone_url: url.into(),
        ..Default::default()
    }
    .parse()
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let repository = repositories::create(&db, &Actor::system("bench"), &input).await?;
    // The fetch first, on its own: it is git's work, not the portal's.
    let mirror = shtab_vcs::sources::git::Mirror::open(
        &config
            .data_dir
            .join("vcs")
            .join("mirrors")
            .join(format!("{}.git", repository.id)),
    )
    .await?;
    mirror.fetch(url, None, Duration::from_secs(600)).await?;

    portal.forget_requests();
    let limited_before = portal.limited();
    let started = Instant::now();
    let run = robots::run_in_foreground(&db, &set, "vcs.sweep", None).await?;
    let wall = started.elapsed();
    anyhow::ensure!(run.status == "done", "the sweep failed: {:?}", run.error);

    // The sweep keeps only the commits that name something; it counts all it walked.
    let counters: serde_json::Value = serde_json::from_str(&run.counters)?;
    let commits = counters["commits"].as_i64().unwrap_or(0);
    let with_refs = counters["with_references"].as_i64().unwrap_or(0);
    let linked: i64 =
        sqlx::query_scalar("SELECT COUNT(DISTINCT sha) FROM vcs_refs WHERE task_id IS NOT NULL")
            .fetch_one(db.pool())
            .await?;
    let requests = portal.http_requests().len();
    let comments = portal.calls_of("task.commentitem.add").len()
        + portal.calls_of("tasks.task.chat.message.send").len();
    let limited = portal.limited() - limited_before;
    let per_link = requests as f64 / linked.max(1) as f64;
    println!(
        "bitrix24 back-fill: {commits} commits walked, {with_refs} with references, {linked} linked \
         to portal tasks, {comments} comments, {requests} HTTP requests; rate {rate}/s burst {burst}"
    );
    println!(
        "{}",
        crate::aim::at_most(
            "HTTP requests per linked commit",
            per_link,
            REQUESTS_PER_LINK_AIM,
            "requests"
        )
    );
    println!(
        "{}",
        crate::aim::at_most("503 answers", limited as f64, 0.0, "answers")
    );
    println!(
        "  wall time of the sweep: {:.1} s; counters {}",
        wall.as_secs_f64(),
        run.counters
    );
    Ok(())
}
