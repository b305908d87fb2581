//! Code ↔ tasks, as a forge and a developer see it: signed push webhooks of each forge
//! (the real sample payloads where they exist), redeliveries and forgeries, linking to
//! tasks and people, and the sweep over real git repositories built by the test.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use shtab_core::audit::Actor;
use shtab_core::auth::Role;
use shtab_core::jobs;
use shtab_vcs::domain::repository::RawRepositoryInput;
use shtab_vcs::domain::signature::sign_github;
use shtab_vcs::store::{Repository, repositories};

use crate::testkit::{ApiClient, TestApp, json as expect_json};

pub(crate) async fn add_repository(
    app: &TestApp,
    forge: &str,
    web_url: &str,
    clone_url: &str,
) -> Repository {
    let input = RawRepositoryInput {
        name: format!("{forge}-{}", rand_suffix()),
        forge: forge.into(),
        web_url: web_url.into(),
        clone_url: clone_url.into(),
        ..Default::default()
    }
    .parse()
    .expect("valid repository");
    repositories::create(&app.db, &Actor::system("test"), &input)
        .await
        .expect("create repository")
}

/// Runs every queued job (linking, robots, notifications) now.
pub(crate) async fn drain(app: &TestApp) {
    let set = shtab::server::robot_set(&app.db, &app.config);
    let registry = shtab::server::job_registry(&app.db, &app.config, set);
    jobs::run_due(&app.db, &registry)
        .await
        .expect("run due jobs");
}

pub(crate) async fn sweep(app: &TestApp) -> shtab_core::robots::RunRow {
    let set = shtab::server::robot_set(&app.db, &app.config);
    shtab_core::robots::run_in_foreground(&app.db, &set, "vcs.sweep", None)
        .await
        .expect("sweep runs")
}

pub(crate) async fn new_task(api: &ApiClient, title: &str) -> i64 {
    let task = expect_json(
        api.post("/api/v1/tasks").json(&json!({ "title": title })),
        201,
    )
    .await;
    task["id"].as_i64().expect("task id")
}

pub(crate) async fn task_commits(api: &ApiClient, task: i64) -> Vec<Value> {
    let body = expect_json(api.get(&format!("/api/v1/tasks/{task}/commits")), 200).await;
    let items = if body.is_array() {
        body
    } else {
        body["items"].clone()
    };
    items.as_array().cloned().unwrap_or_default()
}

pub(crate) struct Hook<'a> {
    pub path: &'a str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub(crate) async fn post(app: &TestApp, hook: &Hook<'_>) -> (u16, Value) {
    post_to(&app.url(""), hook).await
}

/// [`post`] to the hub at `base` (`http://127.0.0.1:PORT`).
pub(crate) async fn post_to(base: &str, hook: &Hook<'_>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}{}", hook.path))
        .header("content-type", "application/json")
        .body(hook.body.clone());
    for (name, value) in &hook.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

pub(crate) fn github_push(secret: &str, delivery: &str, body: Vec<u8>) -> Hook<'static> {
    Hook {
        path: "/hooks/github",
        headers: vec![
            ("X-GitHub-Event".into(), "push".into()),
            ("X-GitHub-Delivery".into(), delivery.into()),
            (
                "X-Hub-Signature-256".into(),
                sign_github(secret.as_bytes(), &body),
            ),
        ],
        body,
    }
}

/// A real sample with its commit messages replaced (the shape stays the forge's own).
fn sample_with_messages(relative: &str, messages: &[&str]) -> Option<Vec<u8>> {
    let bytes = shtab_core::samples::read(relative)?;
    let mut payload: Value = serde_json::from_slice(&bytes).unwrap();
    for (commit, message) in payload["commits"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .zip(messages)
    {
        commit["message"] = json!(message);
    }
    Some(serde_json::to_vec(&payload).unwrap())
}

#[tokio::test]
async fn a_github_push_attaches_each_commit_to_the_task_it_names() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    let chmouel = app
        .add_person("Chmouel Boudjnah", "Chmouel@RedHat.com")
        .await;
    let repo = add_repository(
        &app,
        "github",
        "https://github.com/openshift-pipelines/pipelines-as-code",
        "",
    )
    .await;
    let task = new_task(&api, "Install docs").await;
    let first = format!("Install docs: no @latest needed, task {task}\n\nSigned-off-by: x");
    let second = format!("Merge pull request #108 from chmouel/update-readme\n\nrefs #{task}");
    let Some(body) = sample_with_messages(
        "github/push-branch-2-commits-pr-merge.json",
        &[&first, &second],
    ) else {
        return;
    };
    let (status, answer) = post(&app, &github_push(&repo.webhook_secret, "d-1", body)).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["status"], "queued");
    drain(&app).await;

    let commits = task_commits(&api, task).await;
    assert_eq!(commits.len(), 2, "{commits:?}");
    assert!(
        commits[0]["committed_at"].as_str() <= commits[1]["committed_at"].as_str(),
        "oldest first: {commits:?}"
    );
    assert_eq!(commits[0]["author"]["email"], "chmouel@redhat.com");
    assert_eq!(
        commits[0]["author"]["person"]["id"],
        json!(chmouel.0),
        "matched by e-mail, whatever its case"
    );
    assert!(
        commits[0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://github.com/openshift-pipelines/pipelines-as-code/commit/"),
        "{}",
        commits[0]["url"]
    );
    assert_eq!(
        commits[1]["author"]["person"],
        Value::Null,
        "cboudjna@redhat.com is nobody's address yet"
    );
    let branches = commits[0]["branches"].to_string();
    assert!(branches.contains("main"), "{branches}");
}

#[tokio::test]
async fn forged_or_unsigned_hooks_are_refused_and_store_nothing() {
    let app = TestApp::spawn().await;
    let repo = add_repository(
        &app,
        "github",
        "https://github.com/openshift-pipelines/pipelines-as-code",
        "",
    )
    .await;
    let Some(body) = shtab_core::samples::read("github/push-branch-2-commits-pr-merge.json") else {
        return;
    };
    let mut forged = github_push("not the secret", "d-9", body.clone());
    let (status, answer) = post(&app, &forged).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["error"]["code"], "bad_signature");
    forged
        .headers
        .retain(|(name, _)| name != "X-Hub-Signature-256");
    let (status, _) = post(&app, &forged).await;
    assert_eq!(status, 401, "no signature at all");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'vcs.ingest'")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM vcs_deliveries WHERE status = 'rejected'")
            .await,
        2
    );

    // The genuine delivery with the same id still gets in, once.
    let genuine = github_push(&repo.webhook_secret, "d-9", body);
    assert_eq!(post(&app, &genuine).await.0, 202);
    let (status, answer) = post(&app, &genuine).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("duplicate")),
        "a redelivery is a no-op"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'vcs.ingest'")
            .await,
        1
    );
}

#[tokio::test]
async fn bad_payloads_get_a_clear_answer_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let repo = add_repository(&app, "github", "https://github.com/acme/app", "").await;
    let garbage = github_push(&repo.webhook_secret, "d-1", b"{\"ref\": ".to_vec());
    let (status, answer) = post(&app, &garbage).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["code"], "invalid_payload");
    let latin1 = github_push(&repo.webhook_secret, "d-2", b"{\"ref\": \"\xe9\"}".to_vec());
    assert_eq!(post(&app, &latin1).await.0, 400, "not UTF-8");
    let elsewhere = json!({
        "ref": "refs/heads/main", "before": "0".repeat(40), "after": "1".repeat(40),
        "repository": {"html_url": "https://github.com/someone/else", "full_name": "someone/else"},
        "commits": []
    });
    let unknown = github_push(
        &repo.webhook_secret,
        "d-3",
        serde_json::to_vec(&elsewhere).unwrap(),
    );
    let (status, answer) = post(&app, &unknown).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["code"], "unknown_repository");
    assert_eq!(app.count("SELECT COUNT(*) FROM vcs_deliveries").await, 0);

    // An empty push of a known repository is accepted and says why nothing happens.
    let mut empty = elsewhere.clone();
    empty["repository"]["html_url"] = json!("https://github.com/acme/app");
    let (status, answer) = post(
        &app,
        &github_push(
            &repo.webhook_secret,
            "d-4",
            serde_json::to_vec(&empty).unwrap(),
        ),
    )
    .await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("ignored")),
        "{answer}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'vcs.ingest'")
            .await,
        0
    );
}

#[tokio::test]
async fn every_forge_sample_is_understood_when_signed() {
    let app = TestApp::spawn().await;
    // (forge, sample, web URL of its repository, event headers, expected status word)
    type Case<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 8] = [
        (
            "github",
            "github/ping.json",
            "",
            &[("X-GitHub-Event", "ping")],
            "ignored",
        ),
        (
            "github",
            "github/push-branch-2-commits-pr-merge.json",
            "https://github.com/openshift-pipelines/pipelines-as-code",
            &[("X-GitHub-Event", "push")],
            "queued",
        ),
        (
            "github",
            "github/push-tag-commit-not-distinct.json",
            "https://github.com/chmouel/scratchmyback",
            &[("X-GitHub-Event", "push")],
            "ignored",
        ),
        (
            "github",
            "github/push-new-branch-committer-without-username.json",
            "https://github.com/Codertocat/Hello-World",
            &[("X-GitHub-Event", "push")],
            "queued",
        ),
        (
            "gitlab",
            "gitlab/push-hook.docs-example.json",
            "http://example.com/mike/diaspora",
            &[("X-Gitlab-Event", "Push Hook")],
            "queued",
        ),
        (
            "gitlab",
            "gitlab/tag-push-hook.docs-example.json",
            "http://example.com/jsmith/example",
            &[("X-Gitlab-Event", "Tag Push Hook")],
            "ignored",
        ),
        (
            "gitlab",
            "gitlab/push-hook.gitlab-com-2025.json",
            "https://gitlab.com/sdglitched/w2fm-test",
            &[("X-Gitlab-Event", "Push Hook")],
            "queued",
        ),
        (
            "gitea",
            "gitlab/forgejo-push.codeberg-2025.json",
            "https://codeberg.org/fedora/w2fm-test",
            &[("X-Forgejo-Event", "push")],
            "queued",
        ),
    ];
    for (n, (forge, sample, web_url, events, expected)) in cases.into_iter().enumerate() {
        let Some(body) = shtab_core::samples::read(sample) else {
            return;
        };
        let secret = if web_url.is_empty() {
            None
        } else {
            let existing = shtab_vcs::store::repositories::list(&app.db).await.unwrap();
            Some(match existing.into_iter().find(|r| r.web_url == web_url) {
                Some(r) => r.webhook_secret,
                None => {
                    add_repository(&app, forge, web_url, "")
                        .await
                        .webhook_secret
                }
            })
        };
        let mut headers: Vec<(String, String)> = events
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let delivery = format!("sample-{n}");
        match forge {
            "github" => headers.push(("X-GitHub-Delivery".into(), delivery)),
            "gitlab" => headers.push(("X-Gitlab-Event-UUID".into(), delivery)),
            _ => headers.push(("X-Forgejo-Delivery".into(), delivery)),
        }
        let Some(secret) = secret else {
            // The ping of a repository nobody added: the forge is told so.
            let hook = Hook {
                path: "/hooks/github",
                headers,
                body,
            };
            assert_eq!(post(&app, &hook).await.0, 404, "{sample}");
            continue;
        };
        match forge {
            "gitlab" => headers.push(("X-Gitlab-Token".into(), secret.clone())),
            "github" => headers.push((
                "X-Hub-Signature-256".into(),
                sign_github(secret.as_bytes(), &body),
            )),
            _ => headers.push((
                "X-Forgejo-Signature".into(),
                sign_github(secret.as_bytes(), &body)
                    .trim_start_matches("sha256=")
                    .to_string(),
            )),
        }
        let path = format!("/hooks/{forge}");
        let (status, answer) = post(
            &app,
            &Hook {
                path: &path,
                headers,
                body,
            },
        )
        .await;
        assert!(
            status == 200 || status == 202,
            "{sample}: {status} {answer}"
        );
        assert_eq!(answer["status"], expected, "{sample}: {answer}");
    }
    drain(&app).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM vcs_deliveries WHERE status IN ('failed', 'queued')")
            .await,
        0,
        "every queued delivery was processed"
    );
}

#[tokio::test]
async fn the_gitea_sample_verifies_byte_for_byte_with_its_published_secret() {
    let app = TestApp::spawn().await;
    let Some(body) = shtab_core::samples::read("gitlab/gitea-push.json") else {
        return;
    };
    let repo = add_repository(&app, "gitea", "http://localhost:3000/example/example", "").await;
    sqlx::query("UPDATE vcs_repositories SET webhook_secret = $1 WHERE id = $2")
        .bind("IsWishesWereHorsesWedAllBeEatingSteak!")
        .bind(repo.id.0)
        .execute(app.db.pool())
        .await
        .unwrap();
    let hook = |signature: &str| Hook {
        path: "/hooks/gitea",
        headers: vec![
            ("X-Gitea-Event".into(), "push".into()),
            ("X-Gitea-Delivery".into(), "g-1".into()),
            ("X-Gitea-Signature".into(), signature.into()),
        ],
        body: body.clone(),
    };
    let good = "60fe446c74fa0cb9474f98cc557db79e10c7aaf22cf324ad65239600b9e4d915";
    let bad = "60fe446c74fa0cb9474f98cc557db79e10c7aaf22cf324ad65239600b9e4d916";
    assert_eq!(post(&app, &hook(bad)).await.0, 401);
    assert_eq!(post(&app, &hook(good)).await.0, 202);
}

#[tokio::test]
async fn a_push_of_thousands_of_commits_is_answered_at_once_and_linked() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    let repo = add_repository(&app, "github", "https://github.com/acme/app", "").await;
    let task = new_task(&api, "Big refactoring").await;
    let other = new_task(&api, "Small fixes").await;
    let lead = shtab_core::people::find_by_email(
        &app.db,
        &shtab_core::types::Email::parse("email", "lead@agency.test").unwrap(),
    )
    .await
    .unwrap()
    .expect("the lead is a person");
    // Even commits are the lead's; odd ones come from forty strangers. A third name `task`,
    // a third `other`: more than one statement's worth of rows of each kind.
    let author = |i: usize| {
        if i.is_multiple_of(2) {
            "lead@agency.test".to_string()
        } else {
            format!("dev{}@example.test", i % 40)
        }
    };
    let commits: Vec<Value> = (0..3000)
        .map(|i| {
            let message = match i % 3 {
                0 => format!("step {i} for #{task}"),
                1 => format!("step {i} for #{other}"),
                _ => format!("step {i}"),
            };
            json!({
                "id": format!("{i:040x}"), "distinct": true,
                "message": message,
                "timestamp": "2026-11-20T10:00:00+03:00",
                "url": format!("https://github.com/acme/app/commit/{i:040x}"),
                "author": {"name": "Ann", "email": author(i), "username": "ann"},
                "committer": {"name": "Ann", "email": "ann@agency.test"},
                "added": [], "removed": [], "modified": []
            })
        })
        .collect();
    let payload = json!({
        "ref": "refs/heads/main", "before": "a".repeat(40), "after": format!("{:040x}", 2999),
        "created": false, "deleted": false, "forced": false,
        "repository": {"html_url": "https://github.com/acme/app", "full_name": "acme/app"},
        "commits": commits
    });
    let started = std::time::Instant::now();
    let (status, _) = post(
        &app,
        &github_push(
            &repo.webhook_secret,
            "big",
            serde_json::to_vec(&payload).unwrap(),
        ),
    )
    .await;
    assert_eq!(status, 202);
    // Not a timing assertion on the product: a generous bound so a hang shows as a failure.
    assert!(started.elapsed().as_secs() < 30);
    drain(&app).await;
    for (task, first) in [(task, 0), (other, 1)] {
        let mut commits = task_commits(&api, task).await;
        assert_eq!(commits.len(), 1000, "task {task}");
        commits.sort_by_key(|c| c["sha"].as_str().unwrap().to_string());
        for (k, commit) in commits.iter().enumerate() {
            let i = first + 3 * k;
            assert_eq!(commit["sha"], format!("{i:040x}"));
            let person = &commit["author"]["person"]["id"];
            if i.is_multiple_of(2) {
                assert_eq!(person, &json!(lead.0), "commit {i}");
            } else {
                assert!(person.is_null(), "commit {i} by a stranger: {commit}");
            }
        }
    }
}

#[tokio::test]
async fn a_noreply_address_is_matched_by_the_persons_forge_login() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    let input = shtab_core::people::RawPersonInput {
        full_name: "Codertocat".into(),
        emails: vec!["octo@agency.test".into()],
        forge_logins: vec![shtab_core::people::ForgeLogin {
            forge: shtab_core::people::Forge::Github,
            login: "Codertocat".into(),
        }],
        ..Default::default()
    }
    .parse()
    .expect("a valid person");
    let octo = shtab_core::people::create(&app.db, &Actor::system("test"), &input)
        .await
        .unwrap()
        .id;
    let repo = add_repository(
        &app,
        "github",
        "https://github.com/Codertocat/Hello-World",
        "",
    )
    .await;
    let task = new_task(&api, "Hello").await;
    let message = format!("Initial commit, задача {task}");
    let Some(body) = sample_with_messages(
        "github/push-new-branch-committer-without-username.json",
        &[&message],
    ) else {
        return;
    };
    assert_eq!(
        post(&app, &github_push(&repo.webhook_secret, "n-1", body))
            .await
            .0,
        202
    );
    drain(&app).await;
    let commits = task_commits(&api, task).await;
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0]["author"]["person"]["id"], json!(octo.0));
}

/// A working repository and the bare "forge" it pushes to, made with the git program.
pub(crate) struct Forge {
    _dir: tempfile::TempDir,
    pub work: std::path::PathBuf,
    pub origin: std::path::PathBuf,
}

impl Forge {
    pub(crate) fn new() -> Forge {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        let origin = dir.path().join("origin.git");
        git(
            dir.path(),
            &["init", "-q", "--bare", origin.to_str().unwrap()],
        );
        git(
            dir.path(),
            &["init", "-q", "-b", "main", work.to_str().unwrap()],
        );
        git(
            &work,
            &["remote", "add", "origin", origin.to_str().unwrap()],
        );
        Forge {
            _dir: dir,
            work,
            origin,
        }
    }

    pub(crate) fn clone_url(&self) -> String {
        self.origin.to_str().unwrap().to_string()
    }

    /// Commits a new file as `email` at `at` (Unix seconds) and returns the sha.
    pub(crate) fn commit(&self, email: &str, at: i64, message: &str) -> String {
        let file = self.work.join(format!("f{}", rand_suffix()));
        std::fs::write(&file, message).unwrap();
        git(&self.work, &["add", "-A"]);
        let date = format!("@{at} +0300");
        let status = Command::new("git")
            .current_dir(&self.work)
            .args([
                "-c",
                "commit.gpgsign=false",
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                message,
            ])
            .env("GIT_AUTHOR_NAME", email.split('@').next().unwrap())
            .env("GIT_AUTHOR_EMAIL", email)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_NAME", "Committer")
            .env("GIT_COMMITTER_EMAIL", "committer@agency.test")
            .env("GIT_COMMITTER_DATE", &date)
            .status()
            .unwrap();
        assert!(status.success());
        self.head()
    }

    pub(crate) fn head(&self) -> String {
        let out = Command::new("git")
            .current_dir(&self.work)
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    pub(crate) fn run(&self, args: &[&str]) {
        git(&self.work, args);
    }

    pub(crate) fn push_all(&self) {
        git(&self.work, &["push", "-q", "--force", "--all", "origin"]);
    }
}

pub(crate) fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@agency.test",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

pub(crate) fn now_secs() -> i64 {
    shtab_core::time::now_ms() / 1000
}

pub(crate) async fn counter(run: &shtab_core::robots::RunRow, name: &str) -> i64 {
    let counters: Value = serde_json::from_str(&run.counters).unwrap();
    counters[name].as_i64().unwrap_or(0)
}

#[tokio::test]
async fn the_sweep_back_fills_history_then_walks_only_what_is_new() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    let ann = app.add_person("Ann Dev", "ann@agency.test").await;
    let login = new_task(&api, "Login").await;
    let export = new_task(&api, "Export").await;
    let forge = Forge::new();
    let t = now_secs() - 10_000;
    let c1 = forge.commit("ann@agency.test", t, &format!("Login form #{login}"));
    forge.commit("ann@agency.test", t + 10, "Tidy up");
    forge.run(&["checkout", "-q", "-b", "feature"]);
    let c3 = forge.commit(
        "bob@elsewhere.test",
        t + 20,
        &format!("Export to CSV, task {export}"),
    );
    forge.run(&["checkout", "-q", "main"]);
    forge.run(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch feature",
        "feature",
    ]);
    forge.push_all();
    add_repository(&app, "git", "", &forge.clone_url()).await;

    let run = sweep(&app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    assert_eq!(counter(&run, "commits").await, 4, "the whole history, once");
    assert_eq!(counter(&run, "linked").await, 2);
    let on_login = task_commits(&api, login).await;
    assert_eq!(on_login.len(), 1);
    assert_eq!(on_login[0]["sha"], c1.as_str());
    assert_eq!(on_login[0]["author"]["person"]["id"], json!(ann.0));
    assert_eq!(task_commits(&api, export).await[0]["sha"], c3.as_str());

    let again = sweep(&app).await;
    assert_eq!(
        counter(&again, "commits").await,
        0,
        "nothing new, nothing walked"
    );

    // A commit whose webhook never came.
    let c4 = forge.commit(
        "ann@agency.test",
        t + 40,
        &format!("Login: remember me #{login}"),
    );
    forge.push_all();
    let run = sweep(&app).await;
    assert_eq!(counter(&run, "commits").await, 1);
    assert_eq!(task_commits(&api, login).await.len(), 2);

    // Rewritten history: the last commit amended (a rebased copy) and force-pushed, the
    // feature branch deleted. The copy joins the task as the same change.
    forge.run(&[
        "-c",
        "commit.gpgsign=false",
        "commit",
        "-q",
        "--amend",
        "--no-edit",
        "--date",
        "now",
    ]);
    let c4_copy = forge.head();
    assert_ne!(c4, c4_copy);
    forge.run(&["push", "-q", "--force", "origin", "main"]);
    forge.run(&["push", "-q", "origin", "--delete", "feature"]);
    let run = sweep(&app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    let on_login = task_commits(&api, login).await;
    assert_eq!(on_login.len(), 3, "{on_login:?}");
    let key = |sha: &str| {
        on_login
            .iter()
            .find(|c| c["sha"] == sha)
            .map(|c| c["change_key"].clone())
    };
    assert_eq!(
        key(&c4),
        key(&c4_copy),
        "a rebased copy is the same change: {on_login:?}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM vcs_heads WHERE branch = 'feature'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_reference_to_a_task_that_does_not_exist_yet_waits_for_it() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    let forge = Forge::new();
    let sha = forge.commit("ann@agency.test", now_secs() - 100, "WEB-7 login page");
    forge.push_all();
    add_repository(&app, "git", "", &forge.clone_url()).await;
    sweep(&app).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM vcs_refs WHERE task_id IS NULL AND reference = 'WEB-7'")
            .await,
        1
    );

    let task = expect_json(
        api.post("/api/v1/tasks")
            .json(&json!({"title": "Login page", "key": "WEB-7"})),
        201,
    )
    .await;
    let task = task["id"].as_i64().unwrap();
    drain(&app).await;
    let commits = task_commits(&api, task).await;
    assert_eq!(commits.len(), 1, "linked as soon as the task appeared");
    assert_eq!(commits[0]["sha"], sha.as_str());
}

#[tokio::test]
async fn an_unreachable_repository_fails_alone_and_forgets_nothing() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    let task = new_task(&api, "Reports").await;
    let forge = Forge::new();
    forge.commit(
        "ann@agency.test",
        now_secs() - 100,
        &format!("Reports #{task}"),
    );
    forge.push_all();
    let good = add_repository(&app, "git", "", &forge.clone_url()).await;
    let gone = add_repository(&app, "git", "", "/nonexistent/shtab-test/gone.git").await;

    let run = sweep(&app).await;
    assert_eq!(run.status, "failed");
    let error = run.error.clone().unwrap_or_default();
    assert!(
        error.contains(&gone.name) && !error.contains(&good.name),
        "{error}"
    );
    assert_eq!(
        task_commits(&api, task).await.len(),
        1,
        "the reachable repository was swept"
    );
    let gone = repositories::get(&app.db, gone.id).await.unwrap();
    assert_eq!(gone.last_sweep_status, "failed");
    assert!(!gone.last_sweep_error.is_empty());
    assert_eq!(
        repositories::get(&app.db, good.id)
            .await
            .unwrap()
            .last_sweep_status,
        "ok"
    );
}

#[tokio::test]
async fn commands_run_only_for_authors_who_may_change_tasks() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    app.create_user("dev@agency.test", "Dev", &[Role::Developer])
        .await;
    app.create_user("books@agency.test", "Books", &[Role::Accountant])
        .await;
    let mine = new_task(&api, "Fix login").await;
    let theirs = new_task(&api, "Fix export").await;
    let forge = Forge::new();
    add_repository(&app, "git", "", &forge.clone_url()).await;
    let now = now_secs() + 5;
    forge.commit("dev@agency.test", now, &format!("Fixes #{mine} @1h30m"));
    forge.commit(
        "books@agency.test",
        now + 1,
        &format!("closes #{theirs} @2h"),
    );
    forge.commit(
        "stranger@elsewhere.test",
        now + 2,
        &format!("closes #{theirs}"),
    );
    forge.push_all();
    sweep(&app).await;

    let task = expect_json(api.get(&format!("/api/v1/tasks/{mine}")), 200).await;
    assert_eq!(task["status"], "closed");
    let time = expect_json(api.get(&format!("/api/v1/tasks/{mine}/time")), 200).await;
    assert_eq!(time["total_minutes"], 90, "{time}");
    let other = expect_json(api.get(&format!("/api/v1/tasks/{theirs}")), 200).await;
    assert_ne!(
        other["status"], "closed",
        "an accountant and a stranger cannot close tasks"
    );
    assert_eq!(
        task_commits(&api, theirs).await.len(),
        2,
        "their commits are still linked"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM vcs_refs WHERE commands_status LIKE 'skipped:%'")
            .await,
        2
    );
}

#[tokio::test]
async fn mapping_an_unknown_author_reattributes_their_earlier_commits() {
    let app = TestApp::spawn().await;
    let admin = app.token_as("root@agency.test", &[Role::Admin]).await;
    let kate = app.add_person("Kate", "kate@agency.test").await;
    let task = new_task(&admin, "Search").await;
    let forge = Forge::new();
    forge.commit(
        "kate@home.test",
        now_secs() - 100,
        &format!("Search box #{task}"),
    );
    forge.push_all();
    add_repository(&app, "git", "", &forge.clone_url()).await;
    sweep(&app).await;
    assert_eq!(
        task_commits(&admin, task).await[0]["author"]["person"],
        Value::Null
    );
    let unmatched = expect_json(admin.get("/api/v1/commit-authors"), 200).await;
    assert!(
        unmatched.to_string().contains("kate@home.test"),
        "{unmatched}"
    );

    expect_json(
        admin
            .post("/api/v1/commit-authors")
            .json(&json!({"email": "kate@home.test", "person_id": kate.0})),
        200,
    )
    .await;
    drain(&app).await;
    assert_eq!(
        task_commits(&admin, task).await[0]["author"]["person"]["id"],
        json!(kate.0)
    );
    let unmatched = expect_json(admin.get("/api/v1/commit-authors"), 200).await;
    assert!(
        !unmatched.to_string().contains("kate@home.test"),
        "{unmatched}"
    );
}
