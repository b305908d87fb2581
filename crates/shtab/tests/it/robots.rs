//! Robots and the job queue under them: retries and crash recovery at the queue level, the
//! schedule firing once across two `shtab serve` processes, one run at a time, schedule
//! validation, "Run now" on the pages and the API, `shtab robots run`, and shutdown in the
//! middle of a job.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shtab_core::auth::Role;
use shtab_core::db::Db;
use shtab_core::jobs::{self, Job, JobContext, JobError, Registry, Worker, WorkerConfig};
use shtab_core::robots::{self, RunStatus};
use shtab_core::time::now_ms;

use crate::browser;
use crate::testkit::{PASSWORD, PgDatabase, TestApp, json, postgres_url};

const BIN: &str = env!("CARGO_BIN_EXE_shtab");

fn shot(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("ui")
        .join(format!("{name}.png"))
}

/// A test job: `fail_first` fails its first attempt (to be retried); `permanent` fails for
/// good; `always` fails every attempt; `sleep_ms` works that long.
#[derive(Serialize, Deserialize)]
struct TestJob {
    mode: String,
    #[serde(default)]
    sleep_ms: u64,
}

impl Job for TestJob {
    const KIND: &'static str = "test.job";
    const MAX_ATTEMPTS: i64 = 3;
}

async fn handle(job: TestJob, ctx: JobContext) -> Result<(), JobError> {
    tokio::time::sleep(Duration::from_millis(job.sleep_ms)).await;
    match job.mode.as_str() {
        "fail_first" if ctx.attempt == 1 => Err(JobError::Retry("first attempt fails".into())),
        "permanent" => Err(JobError::Permanent("cannot ever work".into())),
        "always" => Err(JobError::Retry(format!("attempt {} failed", ctx.attempt))),
        _ => Ok(()),
    }
}

fn test_registry() -> Registry {
    Registry::new().register::<TestJob, _, _>(handle)
}

fn job(mode: &str) -> TestJob {
    TestJob {
        mode: mode.into(),
        sleep_ms: 0,
    }
}

/// Makes a queued job due now (instead of waiting out its backoff).
async fn make_due(db: &Db, id: i64) {
    sqlx::query("UPDATE jobs SET run_at = $1 WHERE id = $2")
        .bind(now_ms() - 1)
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_job_whose_worker_crashed_is_recovered_and_completes() {
    let app = TestApp::spawn().await;
    let id = jobs::enqueue(&app.db, &job("ok")).await.unwrap();
    // A worker claimed it and died: the job is running under a lease nobody renews.
    sqlx::query(
        "UPDATE jobs SET state = 'running', attempts = 1, lease_until = $1, locked_by = 'gone-1234' WHERE id = $2",
    )
    .bind(now_ms() - 1_000)
    .bind(id)
    .execute(app.db.pool())
    .await
    .unwrap();
    assert_eq!(jobs::run_due(&app.db, &test_registry()).await.unwrap(), 0);
    assert_eq!(jobs::recover_expired(&app.db, now_ms()).await.unwrap(), 1);
    let row = jobs::get(&app.db, id).await.unwrap();
    assert_eq!(row.state, "queued");
    assert!(row.last_error.unwrap().contains("stopped"));
    assert_eq!(jobs::run_due(&app.db, &test_registry()).await.unwrap(), 1);
    let row = jobs::get(&app.db, id).await.unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("done", 2));
}

#[tokio::test]
async fn failed_attempts_are_retried_after_backoff_and_end_failed_or_dead() {
    let app = TestApp::spawn().await;
    let registry = test_registry();
    let flaky = jobs::enqueue(&app.db, &job("fail_first")).await.unwrap();
    let permanent = jobs::enqueue(&app.db, &job("permanent")).await.unwrap();
    let hopeless = jobs::enqueue(&app.db, &job("always")).await.unwrap();

    assert_eq!(jobs::run_due(&app.db, &registry).await.unwrap(), 3);
    let row = jobs::get(&app.db, flaky).await.unwrap();
    assert_eq!(row.state, "queued", "retried later");
    assert!(row.run_at > now_ms() + 5_000, "after a backoff");
    assert_eq!(row.last_error.as_deref(), Some("first attempt fails"));
    let row = jobs::get(&app.db, permanent).await.unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("failed", 1));
    assert_eq!(row.last_error.as_deref(), Some("cannot ever work"));
    // Nothing is due until the backoff is over.
    assert_eq!(jobs::run_due(&app.db, &registry).await.unwrap(), 0);

    make_due(&app.db, flaky).await;
    assert_eq!(jobs::run_due(&app.db, &registry).await.unwrap(), 1);
    assert_eq!(jobs::get(&app.db, flaky).await.unwrap().state, "done");

    for _ in 0..TestJob::MAX_ATTEMPTS {
        make_due(&app.db, hopeless).await;
        jobs::run_due(&app.db, &registry).await.unwrap();
    }
    let row = jobs::get(&app.db, hopeless).await.unwrap();
    assert_eq!(
        (row.state.as_str(), row.attempts),
        ("dead", TestJob::MAX_ATTEMPTS)
    );
    assert_eq!(row.last_error.as_deref(), Some("attempt 3 failed"));
}

#[tokio::test]
async fn shutdown_in_the_middle_of_a_job_hands_it_back_without_using_an_attempt() {
    let app = TestApp::spawn().await;
    let id = jobs::enqueue(
        &app.db,
        &TestJob {
            mode: "ok".into(),
            sleep_ms: 30_000,
        },
    )
    .await
    .unwrap();
    let config = WorkerConfig {
        poll: Duration::from_millis(20),
        grace: Duration::ZERO,
        ..WorkerConfig::default()
    };
    let worker = Worker::new(app.db.clone(), test_registry(), config);
    let started = Instant::now();
    let db = app.db.clone();
    worker
        .run(async move {
            // Stop once the job is running.
            while jobs::get(&db, id).await.unwrap().state != "running" {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        })
        .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    let row = jobs::get(&app.db, id).await.unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("queued", 0));
}

#[tokio::test]
async fn a_worker_claiming_several_jobs_at_once_runs_each_once_and_keeps_each_outcome() {
    let app = TestApp::spawn().await;
    let mut ok = Vec::new();
    for _ in 0..9 {
        ok.push(jobs::enqueue(&app.db, &job("ok")).await.unwrap());
    }
    let retried = jobs::enqueue(&app.db, &job("fail_first")).await.unwrap();
    let refused = jobs::enqueue(&app.db, &job("permanent")).await.unwrap();
    let config = WorkerConfig {
        concurrency: 4,
        poll: Duration::from_millis(20),
        ..WorkerConfig::default()
    };
    let worker = Worker::new(app.db.clone(), test_registry(), config);
    let db = app.db.clone();
    worker
        .run(async move {
            // Until every job has had its first attempt recorded.
            while jobs::counts(&db)
                .await
                .unwrap()
                .iter()
                .any(|c| c.state == "running" || (c.state == "queued" && c.count > 1))
                || jobs::get(&db, retried).await.unwrap().attempts == 0
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    for id in ok {
        let row = jobs::get(&app.db, id).await.unwrap();
        assert_eq!((row.state.as_str(), row.attempts), ("done", 1), "job {id}");
        assert!(row.finished_at.is_some());
    }
    let row = jobs::get(&app.db, retried).await.unwrap();
    assert_eq!(
        (row.state.as_str(), row.attempts, row.last_error.as_deref()),
        ("queued", 1, Some("first attempt fails")),
        "a failure among successes keeps its own retry"
    );
    assert!(row.run_at > now_ms(), "and waits for its backoff");
    let row = jobs::get(&app.db, refused).await.unwrap();
    assert_eq!(
        (row.state.as_str(), row.last_error.as_deref()),
        ("failed", Some("cannot ever work"))
    );
}

/// Gives the test hub's robots their rows, as `shtab serve` does on start.
async fn sync(app: &TestApp) {
    robots::sync_known(
        &app.db,
        &shtab::server::robot_set(&app.db, &app.config),
        "Europe/Moscow",
    )
    .await
    .unwrap();
}

async fn drain(app: &TestApp) {
    let registry = shtab::server::job_registry(
        &app.db,
        &app.config,
        shtab::server::robot_set(&app.db, &app.config),
    );
    jobs::run_due(&app.db, &registry).await.unwrap();
}

#[tokio::test]
async fn run_now_through_the_api_records_counters_progress_and_log() {
    let app = TestApp::spawn().await;
    sync(&app).await;
    // Something to clear: an expired session.
    let user = app
        .create_user("old@agency.test", "Old Session", &[Role::Developer])
        .await;
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ('x', $1, 'c', 0, 0, 1)")
        .bind(user.id.0)
        .execute(app.db.pool())
        .await
        .ok();
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let listed = json(api.get("/api/v1/robots"), 200).await;
    let housekeeping = listed["robots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "housekeeping")
        .expect("housekeeping is listed");
    assert_eq!(housekeeping["cron"], "30 3 * * *");
    assert_eq!(housekeeping["time_zone"], "Europe/Moscow");

    let queued = json(api.post("/api/v1/robots/housekeeping/run"), 202).await;
    let run_id = queued["run_id"].as_i64().unwrap();
    assert_eq!(queued["run"]["status"], "queued");
    // A second "run now" while the first waits is refused.
    json(api.post("/api/v1/robots/housekeeping/run"), 409).await;
    drain(&app).await;

    let run = json(api.get(&format!("/api/v1/robots/runs/{run_id}")), 200).await;
    assert_eq!(run["status"], "done", "{run}");
    assert_eq!(run["trigger"], "manual");
    assert_eq!(run["progress_done"], run["progress_total"]);
    assert!(run["counters"]["sessions"].is_i64(), "{run}");
    assert!(run["log"].as_array().unwrap().len() >= 5, "{run}");
    let audit = json(api.get("/api/v1/audit?object_kind=robot"), 200).await;
    assert!(audit.to_string().contains("robot.run"), "{audit}");

    // The worker's job kinds are on /metrics, by state.
    drain(&app).await;
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("jobs{kind=\"robot.run\",state=\"done\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("robot_run_duration_seconds_bucket{robot=\"housekeeping\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("robot_runs{robot=\"housekeeping\",status=\"done\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_robot_never_runs_twice_at_the_same_time() {
    let app = TestApp::spawn().await;
    sync(&app).await;
    let set = shtab::server::robot_set(&app.db, &app.config);
    // One run is going (in another process, say).
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let first = json(api.post("/api/v1/robots/housekeeping/run"), 202).await;
    sqlx::query("UPDATE robot_runs SET status = 'running' WHERE id = $1")
        .bind(first["run_id"].as_i64().unwrap())
        .execute(app.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET state = 'running', lease_until = $1, locked_by = 'elsewhere' WHERE id = $2")
        .bind(now_ms() + 60_000)
        .bind(first["job_id"].as_i64().unwrap())
        .execute(app.db.pool())
        .await
        .unwrap();
    // The command line is refused…
    let refused = robots::run_in_foreground(&app.db, &set, "housekeeping", None).await;
    assert!(
        matches!(refused, Err(shtab_core::CoreError::Conflict(_))),
        "{refused:?}"
    );
    // …so is "run now"…
    json(api.post("/api/v1/robots/housekeeping/run"), 409).await;
    // …and the database itself refuses a second run, queued or running.
    for status in ["queued", "running"] {
        let second = sqlx::query(
            "INSERT INTO robot_runs (robot, trigger, status, created_at) VALUES ('housekeeping', 'manual', $1, 0)",
        )
        .bind(status)
        .execute(app.db.pool())
        .await;
        assert!(second.is_err(), "a second {status} run was stored");
    }
    drain(&app).await;
    let active: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM robot_runs WHERE status IN ('queued', 'running')")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(active, 1);
}

/// Sends `requests` at once and sorts the answers into the accepted runs and the refusals.
async fn at_once(requests: Vec<reqwest::RequestBuilder>) -> (Vec<Value>, Vec<Value>) {
    let mut set = tokio::task::JoinSet::new();
    for request in requests {
        set.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        });
    }
    let (mut accepted, mut refused) = (Vec::new(), Vec::new());
    while let Some(answer) = set.join_next().await {
        match answer.unwrap() {
            (202, body) => accepted.push(body),
            (409, body) => refused.push(body),
            (status, body) => panic!("{status}: {body}"),
        }
    }
    (accepted, refused)
}

/// One run is queued; every refusal is the JSON conflict naming it.
async fn assert_one_run(app: &TestApp, accepted: &[Value], refused: &[Value], round: usize) {
    assert_eq!(accepted.len(), 1, "round {round}: {accepted:?}");
    let run = accepted[0]["run_id"].as_i64().unwrap();
    for body in refused {
        assert_eq!(body["error"]["code"], "conflict", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("run {run} ")), "{message}");
    }
    let active: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM robot_runs WHERE robot = 'housekeeping' AND status IN ('queued', 'running')",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(active, 1, "round {round}");
}

// Several threads, as `shtab serve` has, so the requests really overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_now_pressed_many_times_at_once_queues_one_run() {
    let app = TestApp::spawn().await;
    sync(&app).await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    json(api.get("/api/v1/robots/housekeeping"), 200).await;
    for round in 0..5 {
        let requests = (0..6)
            .map(|_| api.post("/api/v1/robots/housekeeping/run"))
            .collect();
        let (accepted, refused) = at_once(requests).await;
        assert_one_run(&app, &accepted, &refused, round).await;
        assert_eq!(refused.len(), 5);
        drain(&app).await;
    }
    let done: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM robot_runs WHERE robot = 'housekeeping' AND status = 'done'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(done, 5, "one run per round, each worked off once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_now_on_two_hubs_at_once_queues_one_run() {
    let a = TestApp::spawn().await;
    sync(&a).await;
    let b = a.another_hub().await;
    let on_a = a.token_as("boss@agency.test", &[Role::Admin]).await;
    let on_b = on_a.on(&b.base);
    json(on_a.get("/api/v1/robots/housekeeping"), 200).await;
    for round in 0..5 {
        let (accepted, refused) = at_once(vec![
            on_a.post("/api/v1/robots/housekeeping/run"),
            on_b.post("/api/v1/robots/housekeeping/run"),
        ])
        .await;
        assert_one_run(&a, &accepted, &refused, round).await;
        drain(&a).await;
    }
}

#[tokio::test]
async fn a_robots_run_history_is_in_the_api_page_by_page() {
    let app = TestApp::spawn().await;
    sync(&app).await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let queued = json(api.post("/api/v1/robots/housekeeping/run"), 202).await;
        ids.push(queued["run_id"].as_i64().unwrap());
        drain(&app).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/robots/housekeeping/runs?limit=2".to_string();
    loop {
        let page = json(api.get(&path), 200).await;
        for run in page["runs"].as_array().unwrap() {
            assert_eq!(run["robot"], "housekeeping");
            assert_eq!(run["status"], "done");
            assert!(run.get("log").is_none(), "no logs in the list: {run}");
            seen.push(run["id"].as_i64().unwrap());
        }
        match page["next_before_id"].as_i64() {
            Some(before) => {
                path = format!("/api/v1/robots/housekeeping/runs?limit=2&before_id={before}")
            }
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "every run once, newest first");

    let whole = json(api.get("/api/v1/robots/housekeeping/runs"), 200).await;
    assert_eq!(whole["runs"].as_array().unwrap().len(), 3);
    assert!(whole["next_before_id"].is_null());
    let unknown = json(api.get("/api/v1/robots/nobody/runs"), 404).await;
    assert_eq!(unknown["error"]["code"], "not_found");
    let bad = json(api.get("/api/v1/robots/housekeeping/runs?limit=0"), 400).await;
    assert!(bad["error"]["message"].as_str().unwrap().contains("limit"));
    json(api.get("/api/v1/robots/housekeeping/runs?before_id=x"), 400).await;
    // As the robot's page: a manager may read it, a developer may not.
    let manager = app.token_as("manager@agency.test", &[Role::Manager]).await;
    json(manager.get("/api/v1/robots/housekeeping/runs"), 200).await;
    let dev = app.token_as("dev@agency.test", &[Role::Developer]).await;
    json(dev.get("/api/v1/robots/housekeeping/runs"), 403).await;
}

#[tokio::test]
async fn a_run_left_running_by_a_stopped_process_is_interrupted_and_run_again() {
    let app = TestApp::spawn().await;
    sync(&app).await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let queued = json(api.post("/api/v1/robots/housekeeping/run"), 202).await;
    let run_id = queued["run_id"].as_i64().unwrap();
    // The worker started it, then its process was stopped and handed the job back.
    sqlx::query("UPDATE robot_runs SET status = 'running', started_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(run_id)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(robots::interrupt_orphaned_runs(&app.db).await.unwrap(), 1);
    assert_eq!(
        robots::get_run(&app.db, run_id).await.unwrap().status(),
        RunStatus::Interrupted
    );
    // The job runs again: a new run, which finishes.
    drain(&app).await;
    let runs = robots::runs(&app.db, "housekeeping", 10).await.unwrap();
    let statuses: Vec<&str> = runs.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(statuses, ["done", "interrupted"]);
}

#[tokio::test]
async fn an_invalid_cron_or_time_zone_is_a_field_error() {
    let app = TestApp::spawn().await;
    sync(&app).await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let body = json(
        api.patch("/api/v1/robots/housekeeping")
            .json(&serde_json::json!({"cron": "61 * * * *", "time_zone": "Mars/Olympus"})),
        422,
    )
    .await;
    let text = body.to_string();
    assert!(
        text.contains("\"cron\"") && text.contains("\"time_zone\""),
        "{text}"
    );
    json(
        api.patch("/api/v1/robots/nobody")
            .json(&serde_json::json!({})),
        404,
    )
    .await;

    let saved = json(
        api.patch("/api/v1/robots/housekeeping")
            .json(&serde_json::json!({"cron": "0 */2 * * *", "time_zone": "Asia/Yekaterinburg", "enabled": false})),
        200,
    )
    .await;
    assert_eq!(saved["cron"], "0 */2 * * *");
    assert_eq!(saved["enabled"], false);
    assert!(saved["next_run_at"].is_null());

    // The page shows the error next to the field and keeps what was typed.
    let web = app.admin().await;
    let page = web
        .post_form(
            "/robots/housekeeping",
            &[
                ("cron", "every day"),
                ("time_zone", "Europe/Moscow"),
                ("enabled", "1"),
            ],
        )
        .await;
    assert_eq!(page.status(), 422);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"cron-error\""), "{html}");
    assert!(html.contains("value=\"every day\""), "{html}");

    // A manager sees robots but may not change them.
    let manager = app.token_as("manager@agency.test", &[Role::Manager]).await;
    json(manager.get("/api/v1/robots"), 200).await;
    json(manager.post("/api/v1/robots/housekeeping/run"), 403).await;
    let dev = app.token_as("dev@agency.test", &[Role::Developer]).await;
    json(dev.get("/api/v1/robots"), 403).await;
}

#[tokio::test]
async fn run_now_on_the_page_shows_the_run_finishing_with_its_counters() {
    let app = TestApp::spawn().await;
    sync(&app).await;
    let web = app.admin().await;
    let list = web.get_text("/robots").await;
    assert!(list.contains("/robots/housekeeping/run"), "{list}");
    let r = web.post_form("/robots/housekeeping/run", &[]).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/robots/runs/"), "{location}");
    let page = web.get_text(&location).await;
    assert!(
        page.contains("hx-trigger=\"every 1s\""),
        "polls while queued: {page}"
    );
    assert!(!page.contains("id=\"run-already\""), "{page}");
    // Pressed again while it waits: no second run; the page says so and shows the first.
    let again = web.post_form("/robots/housekeeping/run", &[]).await;
    let again = again.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(again, format!("{location}?already=1"));
    let page = web.get_text(&again).await;
    assert!(
        page.contains("id=\"run-already\"") && page.contains("Новый запуск не создан"),
        "{page}"
    );
    drain(&app).await;
    let live = web.get_text(&format!("{location}/live")).await;
    assert!(live.contains("data-status=\"done\""), "{live}");
    assert!(
        !live.contains("hx-trigger"),
        "stops polling once finished: {live}"
    );
    assert!(live.contains("data-counter=\"sessions\""), "{live}");
    let robot = web.get_text("/robots/housekeeping").await;
    assert!(robot.contains(&location), "history links the run: {robot}");
}

fn shtab(database_url: Option<&str>, data_dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).arg("--data-dir").arg(data_dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("SHTAB_") {
            cmd.env_remove(name);
        }
    }
    if let Some(url) = database_url {
        cmd.env("SHTAB_DATABASE_URL", url);
    }
    cmd.env("RUST_LOG", "warn").stdin(Stdio::null());
    cmd
}

#[tokio::test]
async fn robots_run_on_the_command_line_prints_progress_and_counters() {
    let pg = match postgres_url() {
        Some(server) => Some(PgDatabase::create(&server).await),
        None => None,
    };
    let dir = tempfile::tempdir().unwrap();
    let url = pg.as_ref().map(|p| p.url.as_str());
    let out = shtab(url, dir.path(), &["robots", "run", "housekeeping"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("progress 5/5"), "{stdout}");
    assert!(
        stdout.contains("counters: jobs=0 run_logs=0 runs=0 sessions=0 throttle=0"),
        "{stdout}"
    );
    assert!(stdout.contains(": done"), "{stdout}");

    let out = shtab(url, dir.path(), &["robots", "list"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("housekeeping")
            && stdout.contains("30 3 * * *")
            && stdout.contains(" done "),
        "{stdout}"
    );

    let out = shtab(url, dir.path(), &["robots", "run", "nobody"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl Serve {
    fn terminate(mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[tokio::test]
async fn a_tick_fires_once_across_two_serve_processes() {
    let Some(server) = postgres_url() else {
        eprintln!("skipped: needs PostgreSQL");
        return;
    };
    let pg = PgDatabase::create(&server).await;
    let dir = tempfile::tempdir().unwrap();
    // Migrate and register the robots, then make housekeeping fire every second.
    let out = shtab(Some(&pg.url), dir.path(), &["robots", "list"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut config = shtab_core::config::Config::default();
    config.database.url = shtab_core::config::Secret::new(pg.url.clone());
    let db = shtab_core::db::connect(&config).await.unwrap();
    sqlx::query(
        "UPDATE robots SET cron = '* * * * * *', next_fire_at = NULL WHERE name = 'housekeeping'",
    )
    .execute(db.pool())
    .await
    .unwrap();

    let serve = || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        drop(listener);
        Serve(
            shtab(Some(&pg.url), dir.path(), &["serve", "--listen", &address])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let (a, b) = (serve(), serve());
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(a.terminate().code(), Some(0));
    assert_eq!(b.terminate().code(), Some(0));

    let ticks: Vec<(i64, i64)> = sqlx::query_as(
        // Housekeeping's ticks only: other robots' schedules may fire on the same minute.
        "SELECT fire_at, COUNT(*) FROM robot_runs WHERE trigger = 'schedule' AND robot = 'housekeeping' \
         GROUP BY fire_at ORDER BY fire_at",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert!(ticks.len() >= 3, "the schedule fired: {ticks:?}");
    assert!(
        ticks.iter().all(|(_, n)| *n == 1),
        "once per tick: {ticks:?}"
    );
    assert!(
        ticks.iter().all(|(at, _)| at % 1_000 == 0),
        "on whole seconds: {ticks:?}"
    );
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM robot_runs WHERE status = 'running'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0, "nothing left running after SIGTERM");
    let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM robot_runs WHERE status = 'done'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(done >= 2, "the runs were worked off: {done}");
    db.close().await;
}

#[tokio::test]
async fn browser_run_now_and_watch_the_run_finish() {
    let Some(b) = browser::browser().await else {
        eprintln!("skipped: no chromedriver");
        return;
    };
    let app = TestApp::spawn().await;
    sync(&app).await;
    app.create_user("robots@agency.test", "Робот Робертович", &[Role::Admin])
        .await;
    // A worker, as in `shtab serve`.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(shtab::server::background(
        app.db.clone(),
        app.config.clone(),
        WorkerConfig {
            poll: Duration::from_millis(100),
            ..WorkerConfig::default()
        },
        stopped,
    ));

    b.goto(&app.url("/login")).await;
    b.fill("#email", "robots@agency.test").await;
    b.fill("#password", PASSWORD).await;
    b.click_and_load("form[action='/login'] button[type=submit]")
        .await;
    b.wait_for(".user-menu").await;
    b.goto(&app.url("/robots/housekeeping")).await;
    b.click_and_load("#run-now").await;
    assert!(b.current_url().await.contains("/robots/runs/"));
    b.wait_for("#run-live[data-status='done']").await;
    assert!(b.exists("[data-counter='sessions']").await);
    b.screenshot(shot("robots-run-done")).await;
    b.goto(&app.url("/robots")).await;
    b.wait_for("tr[data-robot='housekeeping']").await;
    b.screenshot(shot("robots-list")).await;
    b.close().await;
    let _ = stop.send(true);
    worker.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_queued_run_whose_job_ended_without_it_does_not_block_the_robot() {
    let app = TestApp::spawn().await;
    sync(&app).await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let queued = json(api.post("/api/v1/robots/housekeeping/run"), 202).await;
    sqlx::query("UPDATE jobs SET state = 'dead', last_error = 'gave up' WHERE id = $1")
        .bind(queued["job_id"].as_i64().unwrap())
        .execute(app.db.pool())
        .await
        .unwrap();
    // The next "run now" sweeps it away first.
    json(api.post("/api/v1/robots/housekeeping/run"), 202).await;
    let old = robots::get_run(&app.db, queued["run_id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(old.status(), RunStatus::Failed);
    assert_eq!(old.error.as_deref(), Some("gave up"));
}

#[tokio::test]
async fn concurrent_ticks_fire_a_due_robot_once_and_a_disabled_one_never() {
    let app = TestApp::spawn().await;
    sync(&app).await;
    let set = shtab::server::robot_set(&app.db, &app.config);
    let now = now_ms();
    sqlx::query("UPDATE robots SET next_fire_at = $1 WHERE name = 'housekeeping'")
        .bind(now - 1_000)
        .execute(app.db.pool())
        .await
        .unwrap();
    let tick = || robots::scheduler::tick(&app.db, &set, now);
    let (a, b, c) = tokio::join!(tick(), tick(), tick());
    // Other robots' ticks may fall due while the test runs (a minute boundary on a slow
    // machine); only housekeeping's runs are the subject here.
    let all: Vec<i64> = [a, b, c].into_iter().flat_map(|r| r.unwrap()).collect();
    let queued = runs_of(&app, "housekeeping", &all).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    let row = robots::get(&app.db, "housekeeping").await.unwrap();
    assert!(row.next_fire_at.unwrap() > now, "moved on to the next tick");
    let run = robots::get_run(&app.db, queued[0]).await.unwrap();
    assert_eq!(
        (run.trigger.as_str(), run.fire_at),
        ("schedule", Some(now - 1_000))
    );

    // Disabled: never due, whatever its tick said.
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    json(
        api.patch("/api/v1/robots/housekeeping")
            .json(&serde_json::json!({"enabled": false})),
        200,
    )
    .await;
    drain(&app).await;
    sqlx::query("UPDATE robots SET next_fire_at = $1 WHERE name = 'housekeeping'")
        .bind(now - 1_000)
        .execute(app.db.pool())
        .await
        .unwrap();
    let queued = robots::scheduler::tick(&app.db, &set, now_ms())
        .await
        .unwrap();
    assert!(runs_of(&app, "housekeeping", &queued).await.is_empty());
}

/// The runs among `runs` that belong to `robot`.
async fn runs_of(app: &TestApp, robot: &str, runs: &[i64]) -> Vec<i64> {
    let mut mine = Vec::new();
    for &id in runs {
        if robots::get_run(&app.db, id).await.unwrap().robot == robot {
            mine.push(id);
        }
    }
    mine
}
