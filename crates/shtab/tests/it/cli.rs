//! The `shtab` binary as an operator runs it: commands against a data directory (or a
//! fresh PostgreSQL database when `SHTAB_TEST_DATABASE_URL` is set), and `shtab serve` as a
//! child process reached over HTTP.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::testkit::{ApiClient, PgDatabase, WebClient, postgres_url};

const BIN: &str = env!("CARGO_BIN_EXE_shtab");

/// A data directory, and a database of its own on PostgreSQL, for running `shtab` on.
pub(crate) struct Site {
    dir: tempfile::TempDir,
    database_url: Option<String>,
    _pg: Option<PgDatabase>,
}

impl Site {
    pub(crate) async fn new() -> Site {
        let pg = match postgres_url() {
            Some(server) => Some(PgDatabase::create(&server).await),
            None => None,
        };
        Site {
            dir: tempfile::tempdir().unwrap(),
            database_url: pg.as_ref().map(|p| p.url.clone()),
            _pg: pg,
        }
    }

    /// `shtab ARGS --data-dir DIR`, with none of the caller's `SHTAB_*` settings leaking in.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .arg("--data-dir")
            .arg(self.dir.path().join("data"));
        for (name, _) in std::env::vars() {
            if name.starts_with("SHTAB_") {
                cmd.env_remove(name);
            }
        }
        if let Some(url) = &self.database_url {
            cmd.env("SHTAB_DATABASE_URL", url);
        }
        cmd.env("RUST_LOG", "warn").stdin(Stdio::null());
        cmd
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().expect("run shtab");
        assert!(
            out.status.success(),
            "shtab {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn serve(&self) -> Server {
        Server::start(self.command(&["serve", "--listen", &free_address()]))
    }

    /// A file in the site's directory with `contents`.
    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(contents.as_bytes()))
            .unwrap();
        path.display().to_string()
    }
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An address nobody listens on right now (bound, then let go).
pub(crate) fn free_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// A running `shtab serve`. Killed by PID when dropped, so a failing test leaves no server
/// behind.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    pub(crate) fn start(mut cmd: Command) -> Server {
        let listen = cmd
            .get_args()
            .skip_while(|a| *a != "--listen")
            .nth(1)
            .and_then(|a| a.to_str())
            .expect("serve is given --listen")
            .to_string();
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start shtab serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut all = sink.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        Server {
            child,
            base: format!("http://{listen}"),
            stderr,
        }
    }

    /// Waits until `/healthz` answers 200.
    pub(crate) async fn ready(mut self) -> Server {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send().await
                && r.status() == 200
            {
                return self;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("shtab serve exited with {status}:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "shtab serve did not come up:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM, as a service manager does, and waits for the exit.
    fn terminate(mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The password `shtab` printed after `marker`.
pub(crate) fn printed_after(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} in {text}"))
        + marker.len();
    text[start..]
        .split_whitespace()
        .next()
        .expect("a password follows")
        .to_string()
}

async fn logs_in(base: &str, email: &str, password: &str) -> bool {
    WebClient::new(base)
        .try_login(email, password)
        .await
        .status()
        .is_redirection()
}

#[tokio::test]
async fn an_admin_added_with_a_password_file_logs_in_over_http() {
    let site = Site::new().await;
    let file = site.file("password", "a long enough passphrase\n");
    let out = site.run(&[
        "user",
        "add",
        "--admin",
        "--email",
        "Boss@Agency.test",
        "--password-file",
        &file,
    ]);
    assert!(stdout(&out).contains("admin"), "{}", stdout(&out));
    assert!(
        !stdout(&out).contains("passphrase"),
        "a chosen password is not echoed"
    );

    let server = site.serve().ready().await;
    assert!(logs_in(&server.base, "boss@agency.test", "a long enough passphrase").await);
    assert!(
        !server.log().contains("First admin created"),
        "{}",
        server.log()
    );
}

#[tokio::test]
async fn user_add_without_a_terminal_prints_a_generated_password_once() {
    let site = Site::new().await;
    let out = site.run(&[
        "user",
        "add",
        "--email",
        "dev@agency.test",
        "--name",
        "Dev",
        "--role",
        "developer",
    ]);
    let text = stdout(&out);
    let password = printed_after(&text, "password (shown only now): ");
    assert_eq!(text.matches(&password).count(), 1, "{text}");

    let server = site.serve().ready().await;
    assert!(logs_in(&server.base, "dev@agency.test", &password).await);
}

#[tokio::test]
async fn user_list_shows_each_user_with_roles_and_state() {
    let site = Site::new().await;
    site.run(&["user", "add", "--admin", "--email", "boss@agency.test"]);
    site.run(&[
        "user",
        "add",
        "--email",
        "acc@agency.test",
        "--role",
        "accountant",
        "--role",
        "manager",
    ]);
    let list = stdout(&site.run(&["user", "list"]));
    let boss = list
        .lines()
        .find(|l| l.contains("boss@agency.test"))
        .unwrap();
    assert!(boss.contains("admin") && boss.contains("active"), "{list}");
    let acc = list
        .lines()
        .find(|l| l.contains("acc@agency.test"))
        .unwrap();
    assert!(acc.contains("manager,accountant"), "{list}");
}

#[tokio::test]
async fn a_token_created_on_the_command_line_calls_the_api() {
    let site = Site::new().await;
    site.run(&["user", "add", "--admin", "--email", "boss@agency.test"]);
    let out = site.run(&[
        "token",
        "create",
        "--user",
        "boss@agency.test",
        "--name",
        "ci",
    ]);
    let secret = stdout(&out).trim().to_string();
    assert!(secret.starts_with("shtab_"), "{secret}");

    let server = site.serve().ready().await;
    let me =
        crate::testkit::json(ApiClient::new(&server.base, &secret).get("/api/v1/me"), 200).await;
    assert_eq!(me["email"], "boss@agency.test");

    let nobody = site
        .command(&["token", "create", "--user", "nobody@agency.test"])
        .output()
        .unwrap();
    assert!(!nobody.status.success());
    assert!(stderr(&nobody).contains("nobody@agency.test"));
}

#[tokio::test]
async fn config_check_prints_the_effective_configuration_with_secrets_masked() {
    let site = Site::new().await;
    let out = site
        .command(&["config", "check"])
        .env("SHTAB_DATABASE_URL", "postgres://u:hunter2@h/db")
        .env("SHTAB_SERVER_LISTEN", "0.0.0.0:9999")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!stderr(&out).contains("hunter2"));
    assert!(text.contains("***"), "{text}");
    assert!(text.contains("0.0.0.0:9999"), "{text}");
}

#[tokio::test]
async fn config_check_fails_naming_the_bad_key() {
    let site = Site::new().await;
    let out = site
        .command(&["config", "check"])
        .env("SHTAB_SERVER_LISTEN", "nonsense")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("server.listen"), "{}", stderr(&out));

    let file = site.file(
        "shtab.toml",
        "[server]\nlisten = \"127.0.0.1:9000\"\nlisten_port = 9000\n",
    );
    let out = site
        .command(&["config", "check", "--config", &file])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("listen_port"), "{}", stderr(&out));
}

#[tokio::test]
async fn migrate_twice_is_fine() {
    let site = Site::new().await;
    site.run(&["migrate"]);
    let again = site.run(&["migrate"]);
    assert!(stdout(&again).contains("up to date"), "{}", stdout(&again));
}

#[tokio::test]
async fn demo_twice_adds_nothing_the_second_time() {
    let site = Site::new().await;
    let first = stdout(&site.run(&["demo"]));
    assert!(first.contains("14 people, 11 users"), "{first}");
    assert!(first.contains("300 commits"), "{first}");
    assert!(
        first.contains("users (passwords are shown only now)"),
        "{first}"
    );
    let users_after_first = stdout(&site.run(&["user", "list"])).lines().count();

    let second = stdout(&site.run(&["demo"]));
    assert!(
        second.contains("demo company: already loaded, nothing added"),
        "{second}"
    );
    assert!(!second.contains("passwords"), "{second}");
    assert_eq!(
        stdout(&site.run(&["user", "list"])).lines().count(),
        users_after_first
    );

    let removed = stdout(&site.run(&["demo", "--remove"]));
    assert!(removed.contains("demo company removed:"), "{removed}");
    assert!(removed.contains("people"), "{removed}");
    let again = stdout(&site.run(&["demo", "--remove"]));
    assert!(again.contains("nothing to remove"), "{again}");
}

#[tokio::test]
async fn serve_with_demo_loads_the_demo_company_before_serving() {
    let site = Site::new().await;
    let server = Server::start(site.command(&["serve", "--demo", "--listen", &free_address()]))
        .ready()
        .await;
    let again = stdout(&site.run(&["demo"]));
    assert!(
        again.contains("demo company: already loaded, nothing added"),
        "{again}"
    );
    assert!(server.terminate().success());
}

#[tokio::test]
async fn healthcheck_tells_a_running_hub_from_a_closed_port() {
    let site = Site::new().await;
    let server = site.serve().ready().await;
    let up = site
        .command(&["healthcheck", "--url", &server.base])
        .output()
        .unwrap();
    assert_eq!(up.status.code(), Some(0), "{}", stderr(&up));

    let closed = format!("http://{}", free_address());
    let down = site
        .command(&["healthcheck", "--url", &closed])
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(1), "{}", stderr(&down));
}

#[tokio::test]
async fn the_first_start_prints_the_first_admins_credentials_and_they_work() {
    let site = Site::new().await;
    let server = site.serve().ready().await;
    let log = server.log();
    let password = printed_after(&log, "with the password ");
    assert!(log.contains("admin@localhost"), "{log}");
    assert!(logs_in(&server.base, "admin@localhost", &password).await);

    // A second start has its admin already and prints no password.
    assert!(server.terminate().success());
    let again = site.serve().ready().await;
    assert!(
        !again.log().contains("with the password"),
        "{}",
        again.log()
    );
}

#[tokio::test]
async fn sigterm_stops_serve_gracefully_with_exit_code_zero() {
    let site = Site::new().await;
    let server = site.serve().ready().await;
    let status = server.terminate();
    assert_eq!(status.code(), Some(0), "{status}");
}

#[tokio::test]
async fn two_hubs_share_one_postgresql_database() {
    let Some(pg_server) = postgres_url() else {
        eprintln!("skipped: needs PostgreSQL");
        return;
    };
    let pg = PgDatabase::create(&pg_server).await;
    let site = Site {
        dir: tempfile::tempdir().unwrap(),
        database_url: Some(pg.url.clone()),
        _pg: Some(pg),
    };
    // Started at the same moment on an empty database: both migrate, one makes the admin.
    let a = site.serve();
    let b = site.serve();
    let (a, b) = (a.ready().await, b.ready().await);
    let log = format!("{}{}", a.log(), b.log());
    assert_eq!(log.matches("First admin created").count(), 1, "{log}");
    let password = printed_after(&log, "with the password ");

    let token = stdout(&site.run(&["token", "create", "--user", "admin@localhost"]));
    let via_a = ApiClient::new(&a.base, token.trim());
    let via_b = ApiClient::new(&b.base, token.trim());
    let r = via_a
        .post("/api/v1/people")
        .json(&serde_json::json!({"full_name": "Zinaida Shared", "emails": ["zina@agency.test"]}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let listed = via_b
        .get("/api/v1/people?q=Zinaida")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listed.contains("Zinaida Shared"), "{listed}");

    // A session made on A is good on B (cookies do not tell ports apart).
    let browser = WebClient::new(&a.base);
    assert!(
        browser
            .try_login("admin@localhost", &password)
            .await
            .status()
            .is_redirection()
    );
    let on_b = browser
        .http
        .get(format!("{}/settings", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(on_b.status(), 200);
}

#[test]
fn vcs_refs_shows_what_a_commit_message_refers_to() {
    let out = Command::new(BIN)
        .args([
            "vcs",
            "refs",
            "Fixes #12 @1h30m, see PROJ-4 (https://x.test/a#99)",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("reference: #12"), "{text}");
    assert!(text.contains("reference: PROJ-4"), "{text}");
    assert!(
        !text.contains("99"),
        "a link's fragment is not a task: {text}"
    );
    assert!(text.contains("command: close #12"), "{text}");
    assert!(text.contains("command: log 1h 30m on #12"), "{text}");

    let keys = Command::new(BIN)
        .args(["vcs", "refs", "--keys", "WEB", "PROJ-4 and WEB-5"])
        .output()
        .unwrap();
    let text = String::from_utf8(keys.stdout).unwrap();
    assert!(text.contains("WEB-5") && !text.contains("PROJ-4"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    let patterns = dir.path().join("patterns.txt");
    std::fs::write(&patterns, "(unclosed\n").unwrap();
    let bad = Command::new(BIN)
        .args(["vcs", "refs", "--patterns", patterns.to_str().unwrap(), "x"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("line 1"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[tokio::test]
async fn user_passwd_revokes_the_users_api_tokens() {
    let site = Site::new().await;
    site.run(&["user", "add", "--admin", "--email", "boss@agency.test"]);
    let out = site.run(&["token", "create", "--user", "boss@agency.test"]);
    let secret = stdout(&out).trim().to_string();

    let out = site.run(&["user", "passwd", "--email", "boss@agency.test"]);
    assert!(
        stdout(&out).contains("API tokens were revoked"),
        "{}",
        stdout(&out)
    );
    let password = printed_after(&stdout(&out), "password (shown only now): ");

    let server = site.serve().ready().await;
    let body =
        crate::testkit::json(ApiClient::new(&server.base, &secret).get("/api/v1/me"), 401).await;
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(logs_in(&server.base, "boss@agency.test", &password).await);
}

/// The `password_checks_total` counter of a hub's `/metrics` (0 before the first check).
async fn password_checks(base: &str) -> u64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("password_checks_total "))
        .map(|v| v.trim().parse::<f64>().unwrap() as u64)
        .unwrap_or(0)
}

/// The hub is a process of its own here, so its `/metrics` counts only this test's logins.
/// The guesses leave together (several client threads, a barrier, connections already open),
/// so they reach the hub while the first checks are still running.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_parallel_wrong_passwords_get_at_most_the_allowed_real_checks() {
    let site = Site::new().await;
    let password_file = site.file("password", "the one real passphrase\n");
    site.run(&[
        "user",
        "add",
        "--admin",
        "--email",
        "boss@agency.test",
        "--password-file",
        &password_file,
    ]);
    let mut cmd = site.command(&["serve", "--listen", &free_address()]);
    cmd.env("SHTAB_AUTH_LOGIN_MAX_FAILURES", "5");
    let server = Server::start(cmd).ready().await;
    assert_eq!(password_checks(&server.base).await, 0);

    // Every guesser has its login form (and CSRF cookie) first, then all post at once.
    let mut guessers = Vec::new();
    for _ in 0..100 {
        let client = WebClient::new(&server.base);
        let form = client.get_text("/login").await;
        let csrf = crate::testkit::hidden_value(&form, "csrf_token").unwrap();
        guessers.push((client, csrf));
    }
    let start = Arc::new(tokio::sync::Barrier::new(guessers.len()));
    let attempts: Vec<_> = guessers
        .into_iter()
        .enumerate()
        .map(|(n, (client, csrf))| {
            let start = start.clone();
            let request = client.http.post(client.url("/login")).form(&[
                ("email", "boss@agency.test"),
                ("password", format!("wrong guess number {n}").as_str()),
                ("csrf_token", &csrf),
            ]);
            tokio::spawn(async move {
                start.wait().await;
                let status = request.send().await.unwrap().status().as_u16();
                drop(client);
                status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for a in attempts {
        statuses.push(a.await.unwrap());
    }
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(refused + wrong, 100, "{statuses:?}");
    assert!(wrong <= 5, "{wrong} guesses were checked: {statuses:?}");

    let checks = password_checks(&server.base).await;
    assert!(
        (1..=5).contains(&checks),
        "{checks} real password checks for 100 guesses"
    );
    // The account waits out the window, even with the right password.
    let right = WebClient::new(&server.base)
        .try_login("boss@agency.test", "the one real passphrase")
        .await;
    assert_eq!(right.status(), 429);
    assert_eq!(password_checks(&server.base).await, checks);
}
