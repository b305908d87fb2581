//! Faults, measured (issue 18): `bench/kill.sh` runs it.
//!
//! `kill_bench SHTAB DATABASE_URL` — two `shtab serve` processes (the binary SHTAB, release
//! build) share the empty PostgreSQL database DATABASE_URL, each on a free loopback port with
//! its own data directory. Through their HTTP API and webhook route, with a token made by
//! `shtab token create`, it sets up 200 tasks, a bank account, the invoices the statement
//! pays, a GitHub repository and a local git repository; then, while the work below goes
//! on, it SIGKILLs one of the two hubs (by its PID) at random moments and starts it again
//! on the same port, `BENCH_KILLS` times:
//!
//! - a 1CClientBankExchange statement of `BENCH_OPERATIONS` operations, uploaded in files
//!   of 1 000 that overlap the previous file by 100 (as statements of consecutive days do),
//!   two at a time; importing queues the matching of the new payments to the invoices;
//! - `BENCH_PUSHES` signed GitHub pushes of 20 commits each to `/hooks/github`, 8 at a time;
//! - a run of the sweep robot (`POST /api/v1/robots/vcs.sweep/run`) every 2 seconds; it
//!   links the `BENCH_SWEEP_COMMITS` commits of the local repository.
//!
//! A request a dead hub refused, or cut off, is sent again (to either hub) until one
//! answers: a repeated upload or push must add nothing. The work is spread over the time
//! the kills take (on average `BENCH_KILL_EVERY_MS` between two), so the kills fall while
//! it runs. When the work is sent and the kills are done, a last sweep is run, the robots'
//! schedules are switched off, and the bench waits until no job is queued or running and no
//! robot run is active (a job of a killed hub waits out its 60-second lease). Then it
//! checks, with SQL against the database, and prints:
//!
//! - every payment of the statement stored once: payments stored = distinct operations in
//!   the files, and the imports' "new" counts add up to the payments stored;
//! - every invoice's paid amount equal to the sum of its allocations, and every payment's
//!   allocated amount equal to the sum of its allocations;
//! - every link present once: the links of the pushes' commits and of the swept commits
//!   equal to the commits sent (each names one task), every push's delivery processed;
//! - every tenth pushed commit logs 15 minutes (`#N @15m`): time logged once per such
//!   commit, or still waiting for the claim on it that a kill left pending to go stale (15
//!   minutes; counted apart);
//! - no job lost: none dead or failed, none queued or running; none run twice with a
//!   visible effect: no payment given the same matching decision twice (audit log), no
//!   payment or invoice with more allocated to it than its amount;
//! - no robot run stuck running or queued, and none failed.
//!
//! The checks are checked too: each is then broken on purpose inside a transaction that is
//! rolled back (a payment deleted, an invoice's paid amount changed, …) and must fail.
//! Exits non-zero, naming what is wrong, on any violation. `BENCH_SEED` repeats a run's
//! data and its schedule of kills (the seed is printed at the start); `BENCH_LOGS` keeps the
//! hubs' logs in a directory.

#[path = "common/github.rs"]
mod github;
#[path = "common/onec.rs"]
mod onec;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use onec::{OUR_ACCOUNT, Rng, inn};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{Acquire, Connection};

const ADMIN: &str = "kill-bench@agency.test";
const TASKS: i64 = 200;
/// Operations per uploaded file, and how many of the previous file's each repeats.
const CHUNK: usize = 1000;
const OVERLAP: usize = 100;
const UPLOADS_AT_ONCE: usize = 2;
const PUSHES_AT_ONCE: usize = 8;
const SWEEP_EVERY: Duration = Duration::from_secs(2);
/// Every tenth pushed commit logs time on its task (`#N @15m`), written by the admin.
const TIME_EVERY: usize = 10;
/// A request no hub has answered for this long is a failure of the bench, not a retry.
const GIVE_UP_AFTER: Duration = Duration::from_secs(240);
/// The longest wait for the queue to drain once the kills are over (leases are 60 s).
const DRAIN_LIMIT: Duration = Duration::from_secs(600);

struct Settings {
    shtab: PathBuf,
    database_url: String,
    kills: usize,
    operations: usize,
    pushes: usize,
    sweep_commits: usize,
    seed: u64,
    kill_every: Duration,
}

fn setting<T: FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={v} is not a number")),
        _ => Ok(default),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kill bench FAILED: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    shtab_core::tls::install_crypto_provider();
    let args: Vec<String> = std::env::args().collect();
    let (Some(shtab), Some(url)) = (args.get(1), args.get(2)) else {
        bail!("usage: kill_bench SHTAB DATABASE_URL (an empty PostgreSQL database)");
    };
    let seed = match setting("BENCH_SEED", 0u64)? {
        0 => shtab_core::time::now_ms() as u64 ^ u64::from(std::process::id()) << 32 | 1,
        s => s,
    };
    let settings = Settings {
        shtab: std::fs::canonicalize(shtab).with_context(|| format!("no binary at {shtab}"))?,
        database_url: url.clone(),
        kills: setting("BENCH_KILLS", 50)?,
        operations: setting("BENCH_OPERATIONS", 50_000)?,
        pushes: setting("BENCH_PUSHES", 2_000)?,
        sweep_commits: setting("BENCH_SWEEP_COMMITS", 5_000)?,
        seed,
        kill_every: Duration::from_millis(setting("BENCH_KILL_EVERY_MS", 3_000)?),
    };
    ensure!(
        settings.operations >= CHUNK && settings.pushes > 0 && settings.sweep_commits > 0,
        "BENCH_OPERATIONS must be at least {CHUNK}, BENCH_PUSHES and BENCH_SWEEP_COMMITS above 0"
    );
    let work = tempfile::tempdir()?;
    let outcome = bench(&settings, work.path()).await;
    if let Ok(dir) = std::env::var("BENCH_LOGS")
        && !dir.is_empty()
    {
        std::fs::create_dir_all(&dir)?;
        for hub in ["a", "b"] {
            let log = work.path().join(format!("hub-{hub}.log"));
            let _ = std::fs::copy(&log, Path::new(&dir).join(format!("hub-{hub}.log")));
        }
    }
    outcome
}

async fn bench(s: &Settings, work: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    println!(
        "kill bench: seed {} (BENCH_SEED), {} kills, {} operations, {} pushes of {} commits, {} commits to sweep",
        s.seed,
        s.kills,
        s.operations,
        s.pushes,
        github::COMMITS_PER_PUSH,
        s.sweep_commits
    );
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&s.database_url)
        .await
        .context("cannot connect to the bench's database")?;

    // The data, before any hub runs.
    let statement = Statement::generate(s.operations, s.seed);
    let repo = work.join("sweep.git");
    make_sweep_repository(&repo, s.sweep_commits)?;

    // Hub A first: it migrates the empty database and makes the first admin.
    let mut hubs = vec![Hub::new('a', work)?, Hub::new('b', work)?];
    hubs[0].start(s)?;
    wait_healthy(&hubs[0]).await?;
    hubs[1].start(s)?;
    wait_healthy(&hubs[1]).await?;
    let token = make_token(s, &hubs[0])?;
    let api = Api::new(&token, hubs.iter().map(Hub::url).collect())?;

    let setup = setup(&api, &statement, &repo).await?;
    // What the setup queued (a look for waiting payments per new invoice) is done before
    // the first payment arrives, so each payment is decided on the same invoices.
    drain(&pool).await?;
    eprintln!(
        "set up in {:.1} s: {TASKS} tasks, {} invoices, 2 repositories; {} files of the statement",
        started.elapsed().as_secs_f64(),
        statement.invoices.len(),
        statement.files.len()
    );

    // The work and the kills, at the same time.
    let window = s.kill_every * u32::try_from(s.kills).unwrap_or(u32::MAX);
    let chaos_started = Instant::now();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let killer = tokio::spawn(killer(hubs, s.clone_for_killer(), stopped));
    let work_done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sweeps = tokio::spawn(request_sweeps(api.clone(), work_done.clone()));
    let (uploads, pushes) = tokio::join!(
        upload_statement(&api, &statement, window),
        send_pushes(&api, &setup.github_secret, s.pushes, window)
    );
    work_done.store(true, Ordering::SeqCst);
    let uploads = uploads?;
    pushes?;
    let sweeps_requested = sweeps.await??;
    let work_secs = chaos_started.elapsed().as_secs_f64();
    eprintln!("work sent in {work_secs:.1} s; waiting for the kills to finish");
    // The kills go on until all are done.
    loop {
        let done = KILLS_DONE.load(Ordering::SeqCst);
        if done >= s.kills {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let kills_secs = chaos_started.elapsed().as_secs_f64();

    // A sweep with nobody killing anything: what the interrupted ones left, it finishes.
    let drain_started = Instant::now();
    let last_sweep = final_sweep(&api).await?;
    stop_schedules(&api).await?;
    drain(&pool).await?;
    let drain_secs = drain_started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let hubs = killer.await??;
    let starts: usize = hubs.iter().map(|h| h.starts).sum();
    // Idle now; the figures are taken on a database nobody writes to.
    drop(hubs);
    let exits = UNEXPECTED_EXITS.lock().unwrap().clone();

    let expected = Expected {
        payments: statement.distinct_keys,
        webhook_links: (s.pushes * github::COMMITS_PER_PUSH) as i64,
        sweep_links: s.sweep_commits as i64,
        time_commands: (s.pushes * github::COMMITS_PER_PUSH).div_ceil(TIME_EVERY) as i64,
        pushes: s.pushes as i64,
    };
    let mut conn = pool.acquire().await?;
    let checks = check(&mut conn, &expected).await?;
    println!(
        "\nkill bench on PostgreSQL: {} kills of 2 hubs ({} starts in all) over {kills_secs:.1} s; work sent in {work_secs:.1} s, \
         drained {drain_secs:.1} s later; {:.1} s in all",
        KILLS_DONE.load(Ordering::SeqCst),
        starts,
        started.elapsed().as_secs_f64()
    );
    println!(
        "  requests: {} uploads of {} files ({} new, {} known in the answers), {} pushes, {} sweep runs asked for \
         (last one {last_sweep}); {} sent again after a dead hub, {} answered 5xx by a live hub",
        uploads.requests,
        statement.files.len(),
        uploads.new,
        uploads.known,
        s.pushes,
        sweeps_requested,
        api.retries.load(Ordering::SeqCst),
        api.server_errors.load(Ordering::SeqCst),
    );
    for line in api.error_samples.lock().unwrap().iter() {
        println!("    5xx: {line}");
    }
    for line in &exits {
        println!("  a hub stopped by itself: {line}");
    }
    let mut failed = Vec::new();
    for c in &checks {
        println!(
            "  {:<4} {}: {}",
            if c.ok { "ok" } else { "FAIL" },
            c.name,
            c.shown
        );
        if !c.ok {
            failed.push(c.name);
        }
    }
    for line in figures(&mut conn).await? {
        println!("  {line}");
    }
    // Each check must be able to fail: break what it checks, in a transaction rolled back.
    let checked = Instant::now();
    let caught = self_test(&mut conn, &expected).await?;
    println!(
        "  the checks catch each invariant broken on purpose: {caught} ({:.1} s)",
        checked.elapsed().as_secs_f64()
    );
    ensure!(
        failed.is_empty(),
        "invariants violated: {}",
        failed.join("; ")
    );
    ensure!(
        exits.is_empty(),
        "a hub stopped without being killed (see above)"
    );
    ensure!(
        KILLS_DONE.load(Ordering::SeqCst) >= s.kills,
        "only {} of {} kills were done",
        KILLS_DONE.load(Ordering::SeqCst),
        s.kills
    );
    Ok(())
}

impl Settings {
    fn clone_for_killer(&self) -> Settings {
        Settings {
            shtab: self.shtab.clone(),
            database_url: self.database_url.clone(),
            ..*self
        }
    }
}

// ------------------------------------------------------------------------------ hubs

/// One `shtab serve` process, started again on the same port after each kill.
struct Hub {
    name: char,
    port: u16,
    data_dir: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    starts: usize,
}

impl Drop for Hub {
    /// However the bench ends, no hub outlives it.
    fn drop(&mut self) {
        self.kill();
    }
}

impl Hub {
    fn new(name: char, work: &Path) -> anyhow::Result<Hub> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let data_dir = work.join(format!("hub-{name}"));
        std::fs::create_dir_all(&data_dir)?;
        Ok(Hub {
            name,
            port,
            data_dir,
            log: work.join(format!("hub-{name}.log")),
            child: None,
            starts: 0,
        })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn command(&self, s: &Settings) -> Command {
        let mut cmd = Command::new(&s.shtab);
        // Nothing of the caller's Shtab settings: only this bench's database.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SHTAB_") {
                cmd.env_remove(name);
            }
        }
        cmd.env("SHTAB_DATABASE_URL", &s.database_url)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .stdin(Stdio::null());
        cmd
    }

    fn start(&mut self, s: &Settings) -> anyhow::Result<()> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = self
            .command(s)
            .args(["serve", "--admin-email", ADMIN, "--listen"])
            .arg(format!("127.0.0.1:{}", self.port))
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", s.shtab.display()))?;
        self.child = Some(child);
        self.starts += 1;
        Ok(())
    }

    /// SIGKILL, then reaped; the PID it had.
    fn kill(&mut self) -> Option<u32> {
        let mut child = self.child.take()?;
        let pid = child.id();
        let _ = child.kill();
        let _ = child.wait();
        Some(pid)
    }

    /// How the process ended, when it ended without being killed.
    fn exited(&mut self) -> Option<ExitStatus> {
        let status = self.child.as_mut()?.try_wait().ok()??;
        self.child = None;
        Some(status)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n      ")
    }
}

async fn wait_healthy(hub: &Hub) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{}/healthz", hub.url())).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!(
        "hub {} did not come up on {}: {}",
        hub.name,
        hub.url(),
        hub.log_tail()
    )
}

fn make_token(s: &Settings, hub: &Hub) -> anyhow::Result<String> {
    let out = hub
        .command(s)
        .env("SHTAB_LOG_LEVEL", "warn")
        .args(["token", "create", "--user", ADMIN, "--name", "kill bench"])
        .stderr(Stdio::inherit())
        .output()?;
    ensure!(out.status.success(), "shtab token create failed");
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

static KILLS_DONE: AtomicUsize = AtomicUsize::new(0);
static UNEXPECTED_EXITS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Kills a hub at random moments (on average `kill_every` apart) and starts it again at
/// once, until `kills` are done; restarts a hub that stopped by itself, noting it. Hands
/// the hubs back, running, when `stop` says so.
async fn killer(
    mut hubs: Vec<Hub>,
    s: Settings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Vec<Hub>> {
    let mut rng = Rng(s.seed);
    let mean_ms = s.kill_every.as_millis() as u64;
    let started = Instant::now();
    let mut next = Instant::now() + Duration::from_millis(rng.below(2 * mean_ms + 1));
    loop {
        if *stop.borrow() {
            return Ok(hubs);
        }
        for hub in &mut hubs {
            if let Some(status) = hub.exited() {
                let line = format!(
                    "hub {} ({status}) at {:.1} s; its log ends:\n      {}",
                    hub.name,
                    started.elapsed().as_secs_f64(),
                    hub.log_tail()
                );
                eprintln!("kill bench: {line}");
                UNEXPECTED_EXITS.lock().unwrap().push(line);
                hub.start(&s)?;
            }
        }
        let done = KILLS_DONE.load(Ordering::SeqCst);
        if done < s.kills && Instant::now() >= next {
            let hub = &mut hubs[rng.below(2) as usize];
            if let Some(pid) = hub.kill() {
                KILLS_DONE.fetch_add(1, Ordering::SeqCst);
                eprintln!(
                    "kill {}/{}: hub {} (pid {pid}) at {:.1} s",
                    done + 1,
                    s.kills,
                    hub.name,
                    started.elapsed().as_secs_f64()
                );
                hub.start(&s)?;
            }
            next = Instant::now() + Duration::from_millis(rng.below(2 * mean_ms + 1));
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            _ = stop.changed() => {}
        }
    }
}

// ------------------------------------------------------------------------------ HTTP

/// The hubs' API, with the bench's token. A request refused or cut off by a dead hub, or
/// answered 5xx, is sent again, to the hubs in turn, until one answers.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    token: String,
    urls: Arc<Vec<String>>,
    turn: Arc<AtomicUsize>,
    retries: Arc<AtomicUsize>,
    server_errors: Arc<AtomicUsize>,
    error_samples: Arc<Mutex<Vec<String>>>,
}

impl Api {
    fn new(token: &str, urls: Vec<String>) -> anyhow::Result<Api> {
        Ok(Api {
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(2))
                .timeout(Duration::from_secs(180))
                .build()?,
            token: token.to_owned(),
            urls: Arc::new(urls),
            turn: Arc::new(AtomicUsize::new(0)),
            retries: Arc::new(AtomicUsize::new(0)),
            server_errors: Arc::new(AtomicUsize::new(0)),
            error_samples: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// Sends the request `build` makes for a hub's base URL until a hub answers with
    /// something other than 5xx; the status and the body (JSON, or the text as a string).
    async fn send(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> anyhow::Result<(u16, Value)> {
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            let base = &self.urls[self.turn.fetch_add(1, Ordering::Relaxed) % self.urls.len()];
            let last = match build(&self.http, base)
                .bearer_auth(&self.token)
                .send()
                .await
            {
                Ok(r) => {
                    let status = r.status().as_u16();
                    match r.text().await {
                        Ok(text) if status < 500 => {
                            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                            return Ok((status, body));
                        }
                        Ok(text) => {
                            // A live hub's 5xx: the database is there, so it is worth a look.
                            self.server_errors.fetch_add(1, Ordering::Relaxed);
                            let mut samples = self.error_samples.lock().unwrap();
                            if samples.len() < 5 {
                                samples.push(format!("{what}: {status} {text}"));
                            }
                            format!("{status} {text}")
                        }
                        // The hub died while answering.
                        Err(e) => e.to_string(),
                    }
                }
                Err(e) => e.to_string(),
            };
            attempt += 1;
            self.retries.fetch_add(1, Ordering::Relaxed);
            if started.elapsed() > GIVE_UP_AFTER {
                bail!(
                    "{what}: no hub answered for {} s; last: {last}",
                    GIVE_UP_AFTER.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt.min(10)))).await;
        }
    }

    async fn json(
        &self,
        what: &str,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<(u16, Value)> {
        let path = path.to_owned();
        self.send(what, |c, base| {
            let request = c.request(method.clone(), format!("{base}/api/v1{path}"));
            if body.is_null() {
                request
            } else {
                request.json(&body)
            }
        })
        .await
    }

    /// A call that must succeed with `want`.
    async fn expect(
        &self,
        want: u16,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let (status, answer) = self.json(path, method, path, body).await?;
        ensure!(status == want, "{path}: {status} {answer}");
        Ok(answer)
    }
}

// ------------------------------------------------------------------------------ data

/// The statement, cut into overlapping files, and the invoices it pays.
struct Statement {
    files: Vec<Vec<u8>>,
    /// Distinct operations over all files, by their stable keys (what "stored once" means).
    distinct_keys: i64,
    /// CSV rows: number, payer INN, payer name, amount in kopecks.
    invoices: Vec<(String, String, String, u64)>,
}

impl Statement {
    /// `n` incoming payments of `n / 20` payers against `n / 5` invoices: most pay an
    /// invoice they name in full, some half of it, some name none (matched by the amount),
    /// some pay one already paid, some come from payers without invoices.
    fn generate(n: usize, seed: u64) -> Statement {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed.rotate_left(17) | 1);
        let payers = (n / 20).max(10) as u64;
        let invoices: Vec<(String, String, String, u64)> = (0..n / 5)
            .map(|j| {
                let client = j as u64 % payers;
                (
                    format!("{}", 10_000 + j),
                    inn(client),
                    format!("ООО \"Клиент номер {client}\""),
                    100_000 + rng.below(100_000_000),
                )
            })
            .collect();
        let docs: Vec<String> = (0..n)
            .map(|i| {
                let day = 1 + (i * 31 / n) as u64;
                let j = rng.below(invoices.len() as u64) as usize;
                let (number, payer_inn, _, amount) = &invoices[j];
                let client = j as u64 % payers;
                let (payer_inn, client, kopecks, purpose) = match rng.below(10) {
                    0..=5 | 9 => (
                        payer_inn.clone(),
                        client,
                        *amount,
                        format!("Оплата по счету № {number} от 05.01.2026 за услуги"),
                    ),
                    6 => (
                        payer_inn.clone(),
                        client,
                        amount / 2,
                        format!("Частичная оплата по сч. {number} за услуги"),
                    ),
                    7 => (
                        payer_inn.clone(),
                        client,
                        *amount,
                        "Оплата за услуги по договору 15/2025".to_owned(),
                    ),
                    _ => {
                        let stranger = payers + i as u64;
                        (
                            inn(stranger),
                            stranger,
                            100 + rng.below(10_000_000),
                            format!("Оплата по счету № {} за товары", rng.below(100_000)),
                        )
                    }
                };
                onec::incoming(i as u64 + 1, day, kopecks, &payer_inn, client, &purpose)
            })
            .collect();
        let mut files = Vec::new();
        let mut start = 0;
        while start < n {
            let from = start.saturating_sub(OVERLAP);
            let end = (start + CHUNK).min(n);
            let mut text = onec::header();
            for d in &docs[from..end] {
                text.push_str(d);
            }
            text.push_str(onec::FOOTER);
            files.push(text.into_bytes());
            start = end;
        }
        let mut keys = HashSet::new();
        for f in &files {
            let parsed = shtab_bank::sources::parse_any(f).expect("a generated statement parses");
            for p in parsed.operations {
                keys.insert(p.operation.key);
            }
        }
        Statement {
            files,
            distinct_keys: keys.len() as i64,
            invoices,
        }
    }
}

/// A bare repository of `commits` commits on `main`, each naming one of the tasks (`#N`),
/// so the sweep has exactly `commits` links to make.
fn make_sweep_repository(dir: &Path, commits: usize) -> anyhow::Result<()> {
    use std::io::Write;
    let git = |args: &[&str]| {
        let mut cmd = Command::new("git");
        cmd.env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .arg("--git-dir")
            .arg(dir)
            .args(args);
        cmd
    };
    let status = Command::new("git")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["init", "--bare", "--quiet", "--initial-branch=main"])
        .arg(dir)
        .status()?;
    ensure!(status.success(), "git init failed");
    let mut stream = String::new();
    for i in 1..=commits {
        let message = format!("Sweep change {i} for #{}", (i as i64 - 1) % TASKS + 1);
        let content = format!("line {i}\n");
        let at = 1_700_000_000 + i * 60;
        let _ = write!(
            stream,
            "commit refs/heads/main\nmark :{i}\nauthor Dev <dev{}@agency.test> {at} +0300\n\
             committer Dev <dev{}@agency.test> {at} +0300\ndata {}\n{message}\n",
            i % 30,
            i % 30,
            message.len()
        );
        if i > 1 {
            let _ = writeln!(stream, "from :{}", i - 1);
        }
        let _ = write!(
            stream,
            "M 100644 inline src/f{}.txt\ndata {}\n{content}\n",
            i % 100,
            content.len()
        );
    }
    let mut child = git(&["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .context("fast-import's stdin")?
        .write_all(stream.as_bytes())?;
    ensure!(child.wait()?.success(), "git fast-import failed");
    Ok(())
}

struct Setup {
    github_secret: String,
}

/// Everything the work needs, made through the API before the first kill.
async fn setup(api: &Api, statement: &Statement, repo: &Path) -> anyhow::Result<Setup> {
    use reqwest::Method;
    for t in 1..=TASKS {
        let task = api
            .expect(
                201,
                Method::POST,
                "/tasks",
                json!({"title": format!("Task {t}")}),
            )
            .await?;
        // The commits name tasks #1‥#200: a fresh database numbers them so.
        ensure!(
            task["id"].as_i64() == Some(t),
            "task {t} got the id {}",
            task["id"]
        );
    }
    api.expect(
        201,
        Method::POST,
        "/bank/accounts",
        json!({"number": OUR_ACCOUNT, "bic": "044525974", "bank_name": "АО «ТБанк»"}),
    )
    .await?;
    let mut csv = String::from("номер;дата;плательщик;инн;сумма\n");
    for (number, payer_inn, name, kopecks) in &statement.invoices {
        let _ = writeln!(
            csv,
            "{number};2026-01-01;{name};{payer_inn};{},{:02}",
            kopecks / 100,
            kopecks % 100
        );
    }
    let (status, answer) = api
        .send("invoices import", |c, base| {
            c.post(format!("{base}/api/v1/invoices/import"))
                .header("content-type", "text/csv")
                .body(csv.clone())
        })
        .await?;
    ensure!(status == 200, "invoices import: {status} {answer}");
    let github = api
        .expect(
            201,
            Method::POST,
            "/repositories",
            json!({"name": "acme/app", "forge": "github", "web_url": "https://github.com/acme/app"}),
        )
        .await?;
    let github_secret = github["webhook_secret"]
        .as_str()
        .context("the repository's webhook secret")?
        .to_owned();
    api.expect(
        201,
        Method::POST,
        "/repositories",
        json!({"name": "swept", "forge": "git", "clone_url": repo.to_str().context("a UTF-8 path")?}),
    )
    .await?;
    Ok(Setup { github_secret })
}

// ------------------------------------------------------------------------------ work

#[derive(Default)]
struct Uploads {
    requests: usize,
    new: u64,
    known: u64,
}

/// Uploads the files in order, two at a time, spread over `window`.
async fn upload_statement(
    api: &Api,
    statement: &Statement,
    window: Duration,
) -> anyhow::Result<Uploads> {
    let started = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(UPLOADS_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    let files = statement.files.len();
    for (k, file) in statement.files.iter().enumerate() {
        let due = started + window.mul_f64(k as f64 / files as f64);
        tokio::time::sleep_until(due.into()).await;
        let permit = gate.clone().acquire_owned().await?;
        let (api, file) = (api.clone(), file.clone());
        tasks.spawn(async move {
            let _permit = permit;
            let (status, answer) = api
                .send(&format!("upload of file {k}"), |c, base| {
                    c.post(format!("{base}/api/v1/bank/imports"))
                        .query(&[("file_name", format!("statement-{k:03}.txt"))])
                        .header("content-type", "application/octet-stream")
                        .body(file.clone())
                })
                .await?;
            ensure!(status == 200, "upload of file {k}: {status} {answer}");
            Ok::<_, anyhow::Error>((
                answer["new"].as_u64().unwrap_or(0),
                answer["known"].as_u64().unwrap_or(0),
            ))
        });
    }
    let mut out = Uploads::default();
    while let Some(r) = tasks.join_next().await {
        let (new, known) = r??;
        out.requests += 1;
        out.new += new;
        out.known += known;
    }
    Ok(out)
}

/// Sends the pushes, 8 at a time, spread over `window`; each must be accepted (202), or
/// recognised as a redelivery (200) when it is sent again.
async fn send_pushes(
    api: &Api,
    secret: &str,
    pushes: usize,
    window: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(PUSHES_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for p in 0..pushes {
        let due = started + window.mul_f64(p as f64 / pushes as f64);
        tokio::time::sleep_until(due.into()).await;
        let permit = gate.clone().acquire_owned().await?;
        let body = with_time_commands(github::push_body(p, TASKS), p)?;
        let signature = shtab_vcs::domain::signature::sign_github(secret.as_bytes(), &body);
        let api = api.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let (status, answer) = api
                .send(&format!("push {p}"), |c, base| {
                    c.post(format!("{base}/hooks/github"))
                        .header("X-GitHub-Event", "push")
                        .header("X-GitHub-Delivery", format!("kill-bench-{p}"))
                        .header("X-Hub-Signature-256", signature.clone())
                        .header("content-type", "application/json")
                        .body(body.clone())
                })
                .await?;
            ensure!(
                status == 202 || status == 200,
                "push {p}: {status} {answer}"
            );
            Ok::<_, anyhow::Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    Ok(())
}

/// Push `p` with every tenth commit logging 15 minutes on its task, authored by the admin
/// (a person who may change tasks) after the repository was added, so the command runs.
fn with_time_commands(body: Vec<u8>, p: usize) -> anyhow::Result<Vec<u8>> {
    let mut push: Value = serde_json::from_slice(&body)?;
    let commits = push["commits"]
        .as_array_mut()
        .context("the push's commits")?;
    for (c, commit) in commits.iter_mut().enumerate() {
        if !(p * github::COMMITS_PER_PUSH + c).is_multiple_of(TIME_EVERY) {
            continue;
        }
        let message = commit["message"].as_str().context("a message")?;
        commit["message"] = Value::String(message.replacen("\n\n", " @15m\n\n", 1));
        commit["author"]["email"] = Value::String(ADMIN.to_owned());
        commit["timestamp"] = Value::String("2030-01-01T10:00:00+03:00".to_owned());
    }
    Ok(serde_json::to_vec(&push)?)
}

/// Asks for a run of the sweep every 2 seconds until the work is sent; how many were
/// queued (the others found a run queued or running: 409).
async fn request_sweeps(
    api: Api,
    done: Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<usize> {
    let mut queued = 0;
    while !done.load(Ordering::SeqCst) {
        let (status, answer) = api
            .json(
                "sweep",
                reqwest::Method::POST,
                "/robots/vcs.sweep/run",
                json!({}),
            )
            .await?;
        match status {
            202 => queued += 1,
            409 => {}
            _ => bail!("asking for a sweep: {status} {answer}"),
        }
        tokio::time::sleep(SWEEP_EVERY).await;
    }
    Ok(queued)
}

/// Runs the sweep once more and waits for it to end; its status.
async fn final_sweep(api: &Api) -> anyhow::Result<String> {
    let deadline = Instant::now() + DRAIN_LIMIT;
    let run_id = loop {
        let (status, answer) = api
            .json(
                "sweep",
                reqwest::Method::POST,
                "/robots/vcs.sweep/run",
                json!({}),
            )
            .await?;
        match status {
            202 => break answer["run_id"].as_i64().context("run_id")?,
            // One is queued or running (perhaps waiting for a lease of a killed hub).
            409 => {}
            _ => bail!("asking for the last sweep: {status} {answer}"),
        }
        ensure!(
            Instant::now() < deadline,
            "no sweep could be queued for 10 minutes"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    loop {
        let (_, run) = api
            .json(
                "run",
                reqwest::Method::GET,
                &format!("/robots/runs/{run_id}"),
                Value::Null,
            )
            .await?;
        let status = run["status"].as_str().unwrap_or("").to_owned();
        if !matches!(status.as_str(), "queued" | "running") {
            ensure!(status == "done", "the last sweep ended {status}: {run}");
            return Ok(format!("{status}, run {run_id}"));
        }
        ensure!(
            Instant::now() < deadline,
            "the last sweep did not end in 10 minutes: {run}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Switches off every robot's schedule, so no run starts while the figures are taken.
async fn stop_schedules(api: &Api) -> anyhow::Result<()> {
    let robots = api
        .expect(200, reqwest::Method::GET, "/robots", Value::Null)
        .await?;
    for r in robots["robots"].as_array().context("the robots")? {
        let name = r["name"].as_str().context("a robot's name")?;
        api.expect(
            200,
            reqwest::Method::PATCH,
            &format!("/robots/{name}"),
            json!({"enabled": false}),
        )
        .await?;
    }
    Ok(())
}

/// Waits until no job is queued or running and no robot run is queued or running.
async fn drain(pool: &PgPool) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let (jobs, runs): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')), \
                    (SELECT COUNT(*) FROM robot_runs WHERE status IN ('queued', 'running'))",
        )
        .fetch_one(pool)
        .await?;
        if jobs == 0 && runs == 0 {
            return Ok(());
        }
        if started.elapsed() > DRAIN_LIMIT {
            let states: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT kind, state, COUNT(*) FROM jobs WHERE state IN ('queued', 'running') GROUP BY kind, state",
            )
            .fetch_all(pool)
            .await?;
            bail!(
                "the work did not drain in {} s: {jobs} jobs queued or running ({states:?}), {runs} robot runs active",
                DRAIN_LIMIT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

// ------------------------------------------------------------------------------ checks

struct Expected {
    payments: i64,
    webhook_links: i64,
    sweep_links: i64,
    time_commands: i64,
    pushes: i64,
}

struct Check {
    name: &'static str,
    shown: String,
    ok: bool,
}

/// The commits of the pushes have ids of 20 commits a push counted in hex: their first 20
/// digits are zeros, which no real git id of the swept repository has.
const PUSHED_SHA: &str = "00000000000000000000%";

async fn scalar(conn: &mut PgConnection, sql: &'static str) -> anyhow::Result<i64> {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut *conn)
        .await
        .with_context(|| sql)
}

/// The invariants that hold when a count is zero: the check's name, the count, and what
/// the counted rows are.
const MUST_BE_NONE: [(&str, &str, &str); 8] = [
    (
        "invoice paid = its allocations",
        "SELECT COUNT(*) FROM invoices i WHERE i.paid <> COALESCE( \
           (SELECT SUM(a.amount) FROM bank_allocations a WHERE a.invoice_id = CAST(i.id AS TEXT)), 0)",
        "invoices differ",
    ),
    (
        "payment allocated = its allocations",
        "SELECT COUNT(*) FROM bank_payments p WHERE p.allocated <> COALESCE( \
           (SELECT SUM(a.amount) FROM bank_allocations a WHERE a.payment_id = p.id), 0)",
        "payments differ",
    ),
    (
        "no payment given the same decision twice",
        "SELECT COUNT(*) FROM (SELECT object_id FROM audit_log WHERE action = 'bank.payment.match' \
           GROUP BY object_id, changes HAVING COUNT(*) > 1) t",
        "payments with one matching entry twice in the audit log",
    ),
    (
        "no money allocated twice",
        "SELECT (SELECT COUNT(*) FROM bank_payments WHERE allocated > amount) \
              + (SELECT COUNT(*) FROM invoices WHERE paid > amount)",
        "payments or invoices with more allocated than their amount",
    ),
    (
        "no job dead or failed",
        "SELECT COUNT(*) FROM jobs WHERE state IN ('dead', 'failed')",
        "dead or failed",
    ),
    (
        "no job left queued or running",
        "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')",
        "queued or running",
    ),
    (
        "no robot run stuck running",
        "SELECT COUNT(*) FROM robot_runs WHERE status IN ('running', 'queued')",
        "running or queued",
    ),
    (
        "no robot run failed",
        "SELECT COUNT(*) FROM robot_runs WHERE status = 'failed'",
        "failed",
    ),
];

async fn check(conn: &mut PgConnection, e: &Expected) -> anyhow::Result<Vec<Check>> {
    let mut out = Vec::new();
    let mut add = |name, ok, shown: String| out.push(Check { name, shown, ok });

    let stored = scalar(conn, "SELECT COUNT(*) FROM bank_payments").await?;
    add(
        "payments stored once",
        stored == e.payments,
        format!("{stored} stored, {} distinct in the statement", e.payments),
    );
    let said_new = scalar(
        conn,
        "SELECT COALESCE(SUM(new_count), 0)::BIGINT FROM bank_imports",
    )
    .await?;
    add(
        "imports' new counts add up",
        said_new == stored,
        format!("{said_new} new over all imports, {stored} payments stored"),
    );
    let webhook_links =
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM task_commits WHERE sha LIKE $1")
            .bind(PUSHED_SHA)
            .fetch_one(&mut *conn)
            .await?;
    add(
        "pushed commits linked once",
        webhook_links == e.webhook_links,
        format!("{webhook_links} links, {} commits pushed", e.webhook_links),
    );
    let sweep_links =
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM task_commits WHERE sha NOT LIKE $1")
            .bind(PUSHED_SHA)
            .fetch_one(&mut *conn)
            .await?;
    add(
        "swept commits linked once",
        sweep_links == e.sweep_links,
        format!(
            "{sweep_links} links, {} commits in the repository",
            e.sweep_links
        ),
    );
    let processed = scalar(
        conn,
        "SELECT COUNT(*) FROM vcs_deliveries WHERE status = 'processed'",
    )
    .await?;
    let deliveries = scalar(
        conn,
        "SELECT COUNT(*) FROM vcs_deliveries WHERE status <> 'rejected'",
    )
    .await?;
    add(
        "every push recorded and processed once",
        processed == e.pushes && deliveries == e.pushes,
        format!(
            "{deliveries} deliveries, {processed} processed, {} pushes sent",
            e.pushes
        ),
    );
    let logged = scalar(
        conn,
        "SELECT COUNT(*) FROM task_time_entries WHERE source LIKE 'commit:%'",
    )
    .await?;
    // A claim a killed hub left pending is taken over once it is 15 minutes old (the
    // change ledger cannot tell a dead process from a slow one sooner): delayed, not lost.
    let delayed = scalar(
        conn,
        "SELECT COUNT(*) FROM vcs_change_actions a WHERE a.action = 'log_time' AND a.status = 'pending' \
           AND NOT EXISTS (SELECT 1 FROM task_time_entries t \
                           WHERE t.source = a.source AND CAST(t.task_id AS TEXT) = a.task_id)",
    )
    .await?;
    add(
        "time logged once per commit command",
        logged + delayed == e.time_commands,
        format!(
            "{logged} entries logged, {delayed} waiting for a claim a kill left pending to go stale, {} commands pushed",
            e.time_commands
        ),
    );
    for (name, sql, what) in MUST_BE_NONE {
        let n = scalar(conn, sql).await?;
        add(name, n == 0, format!("{n} {what}"));
    }
    Ok(out)
}

/// Counts that tell how the run went, beside the checks.
async fn figures(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::new();
    let jobs: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT kind, COUNT(*), COALESCE(SUM(CASE WHEN attempts > 1 THEN 1 ELSE 0 END), 0)::BIGINT, \
                COALESCE(MAX(attempts), 0)::BIGINT FROM jobs GROUP BY kind ORDER BY kind",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut text = String::from("jobs (kind: done, run again after a kill, most attempts):");
    for (kind, n, again, most) in jobs {
        let _ = write!(text, " {kind} {n}/{again}/{most};");
    }
    lines.push(text);
    let runs: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT robot, status, COUNT(*) FROM robot_runs GROUP BY robot, status ORDER BY robot, status",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut text = String::from("robot runs:");
    for (robot, status, n) in runs {
        let _ = write!(text, " {robot} {status} {n};");
    }
    lines.push(text);
    let states: Vec<(String, i64)> = sqlx::query_as(
        "SELECT match_state, COUNT(*) FROM bank_payments GROUP BY match_state ORDER BY match_state",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut text = String::from("payments by match state:");
    for (state, n) in states {
        let _ = write!(text, " {state} {n};");
    }
    let allocations = scalar(conn, "SELECT COUNT(*) FROM bank_allocations").await?;
    let imports = scalar(conn, "SELECT COUNT(*) FROM bank_imports").await?;
    let _ = write!(text, " {allocations} allocations; {imports} import records");
    lines.push(text);
    let paid: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM invoices GROUP BY state ORDER BY state")
            .fetch_all(&mut *conn)
            .await?;
    let mut text = String::from("invoices:");
    for (state, n) in paid {
        let _ = write!(text, " {state} {n};");
    }
    lines.push(text);
    Ok(lines)
}

/// Breaks each invariant in turn inside a savepoint that is rolled back, and confirms the
/// check of it fails; "N of N".
async fn self_test(conn: &mut PgConnection, e: &Expected) -> anyhow::Result<String> {
    let breakages: &[(&str, &str)] = &[
        (
            "payments stored once",
            "DELETE FROM bank_payments WHERE id = (SELECT MAX(id) FROM bank_payments)",
        ),
        (
            "imports' new counts add up",
            "UPDATE bank_imports SET new_count = new_count + 1 WHERE id = (SELECT MIN(id) FROM bank_imports)",
        ),
        (
            "invoice paid = its allocations",
            "UPDATE invoices SET paid = paid + 1 WHERE id = (SELECT MIN(id) FROM invoices)",
        ),
        (
            "payment allocated = its allocations",
            "DELETE FROM bank_allocations WHERE id = (SELECT MIN(id) FROM bank_allocations)",
        ),
        (
            "no money allocated twice",
            "UPDATE invoices SET paid = amount + 1 WHERE id = (SELECT MIN(id) FROM invoices)",
        ),
        (
            "no payment given the same decision twice",
            "INSERT INTO audit_log (at, actor_kind, actor_label, action, object_kind, object_id, object_label, changes) \
             SELECT at, actor_kind, actor_label, action, object_kind, object_id, object_label, changes FROM audit_log \
             WHERE id = (SELECT MIN(id) FROM audit_log WHERE action = 'bank.payment.match')",
        ),
        (
            "pushed commits linked once",
            "DELETE FROM task_commits WHERE sha = (SELECT MIN(sha) FROM task_commits)",
        ),
        (
            "swept commits linked once",
            "DELETE FROM task_commits WHERE sha = (SELECT MAX(sha) FROM task_commits)",
        ),
        (
            "time logged once per commit command",
            "DELETE FROM task_time_entries WHERE id = (SELECT MIN(id) FROM task_time_entries)",
        ),
        (
            "every push recorded and processed once",
            "UPDATE vcs_deliveries SET status = 'queued' WHERE id = (SELECT MIN(id) FROM vcs_deliveries)",
        ),
        (
            "no job dead or failed",
            "UPDATE jobs SET state = 'dead' WHERE id = (SELECT MIN(id) FROM jobs)",
        ),
        (
            "no job left queued or running",
            "UPDATE jobs SET state = 'running' WHERE id = (SELECT MIN(id) FROM jobs)",
        ),
        (
            "no robot run stuck running",
            "UPDATE robot_runs SET status = 'running' WHERE id = (SELECT MAX(id) FROM robot_runs)",
        ),
        (
            "no robot run failed",
            "UPDATE robot_runs SET status = 'failed' WHERE id = (SELECT MAX(id) FROM robot_runs)",
        ),
    ];
    let mut tx = Connection::begin(&mut *conn).await?;
    let mut caught = 0;
    for (name, sql) in breakages {
        let mut broken = Acquire::begin(&mut tx).await?;
        let changed = sqlx::query(*sql)
            .execute(&mut *broken)
            .await?
            .rows_affected();
        ensure!(changed > 0, "breaking \"{name}\" changed nothing: {sql}");
        let checks = check(&mut broken, e).await?;
        let verdict = checks
            .iter()
            .find(|c| c.name == *name)
            .with_context(|| format!("no check named {name}"))?;
        ensure!(
            !verdict.ok,
            "the check \"{name}\" still passes with its invariant broken ({sql})"
        );
        broken.rollback().await?;
        caught += 1;
    }
    tx.rollback().await?;
    Ok(format!("{caught} of {}", breakages.len()))
}
