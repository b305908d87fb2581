//! Tasks on the portal (`systems.tasks = "bitrix24"`), as a developer and the portal see it: a
//! signed GitHub push naming `#101` becomes one comment on portal task 101, posted as the
//! author's portal user; a redelivery, the sweep and a rebased copy add nothing; `fixes #101`
//! completes the task once; a limited portal is retried and posts once; a task the portal
//! does not have gets nothing, and a refusal ends the job naming why.

use serde_json::json;
use shtab_bitrix24::fake::{FakePortal, FakeTask, FakeUser, Fault};
use shtab_core::auth::Role;
use shtab_core::config::{Config, Secret, SystemOfRecord};
use shtab_core::robots;
use shtab_vcs::domain::change::change_key;

use crate::testkit::TestApp;
use crate::vcs::{Forge, add_repository, drain, github_push, now_secs, post, sweep};
use crate::vcs_changes::{git_at, push_of};

pub(crate) const IVAN: &str = "ivan@agency.test";
pub(crate) const WEB_URL: &str = "https://github.com/acme/site";

/// A portal with Ivan (user 7) and task 101, a hub whose tasks live there, Ivan matched to
/// his portal user by the users robot, and a repository with its working copy.
async fn hub() -> (FakePortal, TestApp, Forge, shtab_vcs::store::Repository) {
    portal_hub(|_| {}).await
}

/// [`hub`], with the hub's configuration adjusted further by `adjust`.
pub(crate) async fn portal_hub(
    adjust: impl FnOnce(&mut Config),
) -> (FakePortal, TestApp, Forge, shtab_vcs::store::Repository) {
    let portal = FakePortal::start().await;
    portal.add_user(FakeUser::new(7, "Иван", "Петров", "Ivan@Agency.test"));
    portal.add_task(FakeTask::new(101, "Checkout"));
    let webhook = portal.webhook_url();
    let app = TestApp::spawn_with(move |c| {
        c.bitrix24.webhook_url = Secret::new(webhook);
        c.systems.tasks = SystemOfRecord::Bitrix24;
        adjust(c);
    })
    .await;
    app.create_user(IVAN, "Ivan", &[Role::Developer]).await;
    let set = shtab::server::robot_set(&app.db, &app.config);
    let run = robots::run_in_foreground(&app.db, &set, "bitrix24.users", None)
        .await
        .unwrap();
    assert_eq!(run.status, "done", "{:?}", run.error);
    let forge = Forge::new();
    let repo = add_repository(&app, "github", WEB_URL, &forge.clone_url()).await;
    (portal, app, forge, repo)
}

pub(crate) async fn push(
    app: &TestApp,
    repo: &shtab_vcs::store::Repository,
    delivery: &str,
    body: Vec<u8>,
) {
    let (code, answer) = post(app, &github_push(&repo.webhook_secret, delivery, body)).await;
    assert!(code == 202 || code == 200, "{code} {answer}");
}

/// The comment a commit makes: its short hash linked to the forge, the first line, then the
/// repository, branch and author.
fn link_text(repository: &str, sha: &str, message: &str, branch: &str) -> String {
    format!(
        "[URL={WEB_URL}/commit/{sha}]{}[/URL] {message}\n{repository} · [B]{branch}[/B] · ivan",
        &sha[..9]
    )
}

#[tokio::test]
async fn a_commit_naming_a_portal_task_is_one_comment_on_it_whatever_copies_arrive() {
    let (portal, app, forge, repo) = hub().await;
    let t = now_secs() + 5;
    forge.commit("someone@agency.test", t, "Start");
    let sha = forge.commit(IVAN, t + 1, "Checkout total #101 @1h30m");
    forge.push_all();
    let body = push_of(&forge, WEB_URL, "main", &[&sha]);
    push(&app, &repo, "d-1", body.clone()).await;
    drain(&app).await;

    let comments = portal.comments(101);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!((comments[0].author_id, comments[0].in_chat), (7, false));
    let expected = link_text(&repo.name, &sha, "Checkout total #101 @1h30m", "main");
    assert_eq!(comments[0].text, expected);
    let sent = portal.calls_of("task.commentitem.add");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body(),
        json!({"TASKID": "101", "FIELDS": {"POST_MESSAGE": expected, "AUTHOR_ID": "7"}})
    );

    // A redelivery, the sweep, and a rebased copy on another branch (webhook and sweep).
    let (code, answer) = post(&app, &github_push(&repo.webhook_secret, "d-1", body)).await;
    assert_eq!((code, answer["status"].clone()), (200, json!("duplicate")));
    let run = sweep(&app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    forge.run(&["checkout", "-q", "-b", "topic", "HEAD~1"]);
    git_at(&forge, t + 2, &["cherry-pick", &sha]);
    let copy = forge.head();
    assert_ne!(copy, sha);
    forge.push_all();
    push(
        &app,
        &repo,
        "d-2",
        push_of(&forge, WEB_URL, "topic", &[&copy]),
    )
    .await;
    drain(&app).await;
    let run = sweep(&app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);

    assert_eq!(portal.comments(101).len(), 1, "{:?}", portal.comments(101));
    assert_eq!(portal.calls_of("task.commentitem.add").len(), 1);
    let elapsed = portal.elapsed(101);
    assert_eq!(elapsed.len(), 1, "time logged once: {elapsed:?}");
    assert_eq!((elapsed[0].user_id, elapsed[0].seconds), (7, 5400));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM bitrix24_ledger WHERE task_id = '101' AND state = 'done'")
            .await,
        2,
        "the comment and the time entry"
    );
}

#[tokio::test]
async fn a_comment_cut_short_by_a_crash_is_not_posted_again() {
    let (portal, app, forge, repo) = hub().await;
    let t = now_secs() + 5;
    let message = "Checkout total #101";
    let sha = forge.commit(IVAN, t, message);
    forge.push_all();
    // A hub claimed the comment, called the portal and died before recording the answer: the
    // portal may hold the comment already.
    let key = format!("change:{}", change_key(IVAN, message));
    sqlx::query(
        "INSERT INTO bitrix24_ledger (task_id, action_key, state, claimed_at) \
         VALUES ('101', $1, 'pending', 0)",
    )
    .bind(&key)
    .execute(app.db.pool())
    .await
    .unwrap();
    push(
        &app,
        &repo,
        "d-1",
        push_of(&forge, WEB_URL, "main", &[&sha]),
    )
    .await;
    drain(&app).await;
    sweep(&app).await;

    assert!(portal.calls_of("task.commentitem.add").is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM bitrix24_ledger WHERE state = 'pending'")
            .await,
        1,
        "left for a person to check"
    );
}

#[tokio::test]
async fn fixes_completes_the_portal_task_once_and_a_limited_portal_posts_once_after_a_retry() {
    let (portal, app, forge, repo) = hub().await;
    let t = now_secs() + 5;
    forge.commit("someone@agency.test", t, "Start");
    let sha = forge.commit(IVAN, t + 1, "Pay button, fixes #101");
    forge.push_all();
    // The portal is over its request rate when the comment goes.
    portal.fail_next(Some("task.commentitem.add"), Fault::QueryLimit);
    push(
        &app,
        &repo,
        "d-1",
        push_of(&forge, WEB_URL, "main", &[&sha]),
    )
    .await;
    drain(&app).await;

    assert!(portal.comments(101).is_empty());
    assert_eq!(portal.task(101).unwrap().status, 2, "not completed yet");
    let (state, error): (String, Option<String>) =
        sqlx::query_as("SELECT state, last_error FROM jobs WHERE kind = 'vcs.ingest'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(state, "queued", "retried, not failed: {error:?}");
    assert!(
        error
            .as_deref()
            .unwrap_or("")
            .contains("QUERY_LIMIT_EXCEEDED"),
        "{error:?}"
    );

    // The retry comes due.
    sqlx::query("UPDATE jobs SET run_at = 0 WHERE state = 'queued'")
        .execute(app.db.pool())
        .await
        .unwrap();
    drain(&app).await;
    let comments = portal.comments(101);
    let texts: Vec<&str> = comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        comments.len(),
        2,
        "the commit, and why it was completed: {texts:?}"
    );
    assert!(texts[0].contains("Pay button, fixes #101"), "{texts:?}");
    assert!(texts[1].starts_with("closed by commit:"), "{texts:?}");
    assert!(comments.iter().all(|c| c.author_id == 7), "{comments:?}");
    assert_eq!(portal.task(101).unwrap().status, 5, "completed");
    assert_eq!(portal.calls_of("tasks.task.complete").len(), 1);

    // A rebased copy completes nothing again and comments nothing.
    forge.run(&["checkout", "-q", "-b", "topic", "HEAD~1"]);
    git_at(&forge, t + 2, &["cherry-pick", &sha]);
    let copy = forge.head();
    forge.push_all();
    push(
        &app,
        &repo,
        "d-2",
        push_of(&forge, WEB_URL, "topic", &[&copy]),
    )
    .await;
    drain(&app).await;
    sweep(&app).await;
    assert_eq!(portal.comments(101).len(), 2);
    assert_eq!(portal.calls_of("tasks.task.complete").len(), 1);
}

#[tokio::test]
async fn a_task_the_portal_lacks_gets_nothing_and_a_refusal_ends_the_job_naming_why() {
    let (portal, app, forge, repo) = hub().await;
    let t = now_secs() + 5;
    let sha = forge.commit(IVAN, t, "Typo #404");
    forge.push_all();
    push(
        &app,
        &repo,
        "d-1",
        push_of(&forge, WEB_URL, "main", &[&sha]),
    )
    .await;
    drain(&app).await;

    let asked = portal.calls_of("tasks.task.list");
    assert_eq!(asked.len(), 1);
    // In a batch command the list goes PHP-style: `filter[ID][0]=404`.
    assert_eq!(asked[0].body()["filter"]["ID"], json!({"0": "404"}));
    assert!(portal.calls_of("task.commentitem.add").is_empty());
    assert!(portal.comments(404).is_empty());
    let waiting: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT reference, task_id FROM vcs_refs")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        waiting,
        vec![("404".to_string(), None)],
        "waits for its task"
    );

    // The webhook loses the task scope: the next push's job ends, naming the scope.
    portal.grant_scopes(&["user"]);
    let next = forge.commit(IVAN, t + 1, "Checkout #101");
    forge.push_all();
    push(
        &app,
        &repo,
        "d-2",
        push_of(&forge, WEB_URL, "main", &[&next]),
    )
    .await;
    drain(&app).await;
    let failed: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT state, last_error FROM jobs WHERE kind = 'vcs.ingest' AND state <> 'done'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "failed", "{failed:?}");
    let reason = failed[0].1.clone().unwrap_or_default();
    assert!(reason.contains("task"), "{reason}");
    assert!(portal.comments(101).is_empty());
    let page = app
        .admin()
        .await
        .get_text(&format!("/repositories/{}", repo.id.0))
        .await;
    let shown = html_escape(&reason);
    assert!(
        page.contains(&shown),
        "the delivery shows the refusal: {reason}"
    );
}

/// Text as the pages escape it.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn two_hubs_linking_one_change_at_once_post_one_comment() {
    let (portal, app, _forge, _repo) = hub().await;
    let other = app.another_hub().await;
    let commit = |sha: &str| shtab_core::ports::CommitLink {
        repository: "site".into(),
        sha: sha.into(),
        change_key: "same-change".into(),
        message: "Checkout total #101".into(),
        author: None,
        author_name: "Ivan".into(),
        author_email: IVAN.into(),
        authored_at: 0,
        committed_at: 0,
        url: None,
        branches: vec!["main".into()],
    };
    let here = shtab::server::tracker(&app.db, &app.config);
    let there = shtab::server::tracker(&other.db, &other.config);
    let links_here = [("101".to_string(), commit("aaaaaaaaaa"))];
    let links_there = [("101".to_string(), commit("bbbbbbbbbb"))];
    let (a, b) = tokio::join!(
        here.link_commits(&links_here),
        there.link_commits(&links_there)
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(portal.comments(101).len(), 1, "{:?}", portal.comments(101));
}
