//! Code ↔ tasks with history rewritten, as developers do it: rebases, cherry-picks,
//! force-pushes, deleted branches, and one clone registered twice. A command in a message
//! runs once per change, whichever copy comes first and however it comes (webhook or sweep);
//! each commit lists the branches that reach it now, and one no branch reaches is marked.

use std::process::Command;

use serde_json::{Value, json};
use shtab_core::auth::Role;
use shtab_vcs::domain::change::ChangeAction;
use shtab_vcs::store::ledger::{self, ActionKey, Claim};

use crate::testkit::{ApiClient, TestApp, json as expect_json};
use crate::vcs::{
    Forge, add_repository, drain, github_push, new_task, now_secs, post, sweep, task_commits,
};

async fn minutes(api: &ApiClient, task: i64) -> (i64, usize) {
    let time = expect_json(api.get(&format!("/api/v1/tasks/{task}/time")), 200).await;
    (
        time["total_minutes"].as_i64().unwrap(),
        time["entries"].as_array().map_or(0, Vec::len),
    )
}

async fn status(api: &ApiClient, task: i64) -> String {
    let task = expect_json(api.get(&format!("/api/v1/tasks/{task}")), 200).await;
    task["status"].as_str().unwrap().to_string()
}

async fn reopen(api: &ApiClient, task: i64) {
    expect_json(
        api.patch(&format!("/api/v1/tasks/{task}"))
            .json(&json!({"status": "open"})),
        200,
    )
    .await;
}

/// A GitHub push of `shas` (as they are in the working repository) to `branch`.
pub(crate) fn push_of(forge: &Forge, web_url: &str, branch: &str, shas: &[&str]) -> Vec<u8> {
    let commits: Vec<Value> = shas
        .iter()
        .map(|sha| {
            let out = Command::new("git")
                .current_dir(&forge.work)
                .args(["show", "-s", "--format=%an%x00%ae%x00%aI%x00%B", sha])
                .output()
                .unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            let fields: Vec<&str> = text.splitn(4, '\0').collect();
            json!({
                "id": sha, "distinct": true, "message": fields[3].trim_end(),
                "timestamp": fields[2], "url": format!("{web_url}/commit/{sha}"),
                "author": {"name": fields[0], "email": fields[1], "username": fields[0]},
                "committer": {"name": "Committer", "email": "committer@agency.test"},
                "added": [], "removed": [], "modified": []
            })
        })
        .collect();
    let full_name = web_url.trim_start_matches("https://github.com/");
    serde_json::to_vec(&json!({
        "ref": format!("refs/heads/{branch}"), "before": "0".repeat(40),
        "after": shas.last().unwrap(), "created": false, "deleted": false, "forced": false,
        "repository": {"html_url": web_url, "full_name": full_name},
        "commits": commits
    }))
    .unwrap()
}

/// Runs git in the working repository as a commit-making command at `at` (Unix seconds): a
/// rebase or cherry-pick made "now" could fall in the second the repository was added.
pub(crate) fn git_at(forge: &Forge, at: i64, args: &[&str]) {
    let date = format!("@{at} +0300");
    let out = Command::new("git")
        .current_dir(&forge.work)
        .args(["-c", "user.name=Test", "-c", "user.email=test@agency.test"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn branches(commits: &[Value], sha: &str) -> Value {
    let commit = commits
        .iter()
        .find(|c| c["sha"] == sha)
        .unwrap_or_else(|| panic!("{sha} is not on the task: {commits:?}"));
    commit["branches"].clone()
}

fn unreachable(commits: &[Value], sha: &str) -> bool {
    commits.iter().find(|c| c["sha"] == sha).unwrap()["unreachable"]
        .as_bool()
        .unwrap()
}

#[tokio::test]
async fn a_rebased_copy_neither_logs_time_again_nor_closes_a_reopened_task() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    app.create_user("dev@agency.test", "Dev", &[Role::Developer])
        .await;
    let work = new_task(&api, "Payments page").await;
    let bug = new_task(&api, "Broken total").await;
    let forge = Forge::new();
    add_repository(&app, "git", "", &forge.clone_url()).await;
    let t = now_secs() + 5;
    forge.commit("dev@agency.test", t, "Start");
    forge.run(&["checkout", "-q", "-b", "topic"]);
    let original = forge.commit(
        "dev@agency.test",
        t + 1,
        &format!("work on #{work} @1h, fixes #{bug}"),
    );
    forge.push_all();
    sweep(&app).await;
    assert_eq!(minutes(&api, work).await, (60, 1));
    assert_eq!(status(&api, bug).await, "closed");
    reopen(&api, bug).await;

    // main moves on; topic is rebased onto it and force-pushed: a new sha, the same change.
    forge.run(&["checkout", "-q", "main"]);
    forge.commit("dev@agency.test", t + 2, "Meanwhile on main");
    forge.run(&["checkout", "-q", "topic"]);
    git_at(&forge, t + 3, &["rebase", "-q", "main"]);
    let rebased = forge.head();
    assert_ne!(rebased, original);
    forge.push_all();
    let run = sweep(&app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);

    assert_eq!(
        minutes(&api, work).await,
        (60, 1),
        "the rebased copy logs nothing"
    );
    assert_eq!(
        status(&api, bug).await,
        "open",
        "a task reopened by hand stays open"
    );
    let on_work = task_commits(&api, work).await;
    assert_eq!(on_work.len(), 2, "both copies are on the task: {on_work:?}");
    assert_eq!(on_work[0]["change_key"], on_work[1]["change_key"]);
    let done = ledger::for_task(&app.db, &work.to_string()).await.unwrap();
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(
        (done[0].action.as_str(), done[0].status.as_str()),
        ("log_time", "done")
    );
    assert!(done[0].source.ends_with(&original), "{done:?}");
}

#[tokio::test]
async fn a_copy_by_webhook_and_another_by_the_sweep_run_the_command_once() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    app.create_user("dev@agency.test", "Dev", &[Role::Developer])
        .await;
    let task = new_task(&api, "Export").await;
    let forge = Forge::new();
    let web_url = "https://github.com/acme/export";
    let repo = add_repository(&app, "github", web_url, &forge.clone_url()).await;
    let t = now_secs() + 5;
    forge.commit("dev@agency.test", t, "Start");
    forge.run(&["checkout", "-q", "-b", "topic"]);
    let first = forge.commit("dev@agency.test", t + 1, &format!("CSV export #{task} @2h"));
    forge.push_all();

    // The webhook comes first…
    let body = push_of(&forge, web_url, "topic", &[&first]);
    let (code, answer) = post(&app, &github_push(&repo.webhook_secret, "w-1", body)).await;
    assert_eq!(code, 202, "{answer}");
    drain(&app).await;
    assert_eq!(minutes(&api, task).await, (120, 1));

    // …then the branch is cherry-picked onto main (`-x` notes the origin) and the sweep
    // finds both copies, then a webhook brings the cherry-pick again.
    forge.run(&["checkout", "-q", "main"]);
    git_at(&forge, t + 2, &["cherry-pick", "-x", &first]);
    let picked = forge.head();
    forge.push_all();
    let run = sweep(&app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    let body = push_of(&forge, web_url, "main", &[&picked]);
    post(&app, &github_push(&repo.webhook_secret, "w-2", body)).await;
    drain(&app).await;

    assert_eq!(minutes(&api, task).await, (120, 1), "logged once");
    assert_eq!(task_commits(&api, task).await.len(), 2);
}

#[tokio::test]
async fn one_clone_registered_as_two_repositories_logs_time_once() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    app.create_user("dev@agency.test", "Dev", &[Role::Developer])
        .await;
    let task = new_task(&api, "Mirror").await;
    let forge = Forge::new();
    // The same code on two forges: the company's and a customer's mirror.
    add_repository(&app, "git", "", &forge.clone_url()).await;
    add_repository(&app, "git", "", &forge.clone_url()).await;
    forge.commit(
        "dev@agency.test",
        now_secs() + 5,
        &format!("Sync #{task} @45m"),
    );
    forge.push_all();
    let run = sweep(&app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    assert_eq!(minutes(&api, task).await, (45, 1));
    let commits = task_commits(&api, task).await;
    assert_eq!(
        commits.len(),
        2,
        "the commit in each repository: {commits:?}"
    );
}

#[tokio::test]
async fn concurrent_claims_of_one_change_action_have_one_winner() {
    let app = TestApp::spawn().await;
    // As two hubs or two jobs would: at the same time, each on its own connection.
    let claims: Vec<_> = (0..8)
        .map(|i| {
            let db = app.db.clone();
            tokio::spawn(async move {
                let key = ActionKey {
                    task_id: "42",
                    change_key: "0123456789abcdef01234567",
                    action: ChangeAction::LogTime,
                };
                ledger::claim(&db, &key, &format!("commit:repo{i}@abc")).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for claim in claims {
        answers.push(claim.await.expect("the claim's task"));
    }
    let won: Vec<&Claim> = answers
        .iter()
        .map(|a| a.as_ref().expect("claim"))
        .filter(|a| matches!(a, Claim::Won { .. }))
        .collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    let Claim::Won { source } = won[0] else {
        unreachable!()
    };
    // The winner's source is what every other claim sees.
    for answer in &answers {
        if let Ok(Claim::Taken { source: first, .. }) = answer {
            assert_eq!(first, source);
        }
    }
}

#[tokio::test]
async fn each_commit_lists_the_branches_that_reach_it_now() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    let task = new_task(&api, "Checkout").await;
    let forge = Forge::new();
    add_repository(&app, "git", "", &forge.clone_url()).await;
    let t = now_secs() - 1000;
    let initial = forge.commit("ann@agency.test", t, &format!("Initial #{task}"));
    forge.run(&["checkout", "-q", "-b", "topic"]);
    let on_topic = forge.commit("ann@agency.test", t + 1, &format!("Topic #{task}"));
    forge.run(&["checkout", "-q", "-b", "feature", "main"]);
    let on_feature = forge.commit("ann@agency.test", t + 2, &format!("Feature #{task}"));
    forge.push_all();
    sweep(&app).await;
    let commits = task_commits(&api, task).await;
    assert_eq!(
        branches(&commits, &initial),
        json!(["feature", "main", "topic"])
    );
    assert_eq!(branches(&commits, &on_topic), json!(["topic"]));
    assert_eq!(branches(&commits, &on_feature), json!(["feature"]));

    // topic merged into main.
    forge.run(&["checkout", "-q", "main"]);
    forge.run(&["merge", "-q", "--no-ff", "-m", "Merge topic", "topic"]);
    forge.push_all();
    sweep(&app).await;
    let commits = task_commits(&api, task).await;
    assert_eq!(branches(&commits, &on_topic), json!(["main", "topic"]));

    // feature deleted on the forge (and here, so that pushing all branches leaves it gone).
    forge.run(&["push", "-q", "origin", "--delete", "feature"]);
    forge.run(&["branch", "-q", "-D", "feature"]);
    sweep(&app).await;
    let commits = task_commits(&api, task).await;
    assert_eq!(branches(&commits, &initial), json!(["main", "topic"]));
    assert_eq!(branches(&commits, &on_feature), json!([]));
    assert!(unreachable(&commits, &on_feature), "{commits:?}");
    assert!(!unreachable(&commits, &initial));

    // topic gets a commit, then is rewritten and force-pushed.
    forge.run(&["checkout", "-q", "topic"]);
    let dropped = forge.commit("ann@agency.test", t + 3, &format!("Try A #{task}"));
    forge.push_all();
    sweep(&app).await;
    assert_eq!(
        branches(&task_commits(&api, task).await, &dropped),
        json!(["topic"])
    );
    forge.run(&["reset", "-q", "--hard", "HEAD~1"]);
    let kept = forge.commit("ann@agency.test", t + 4, &format!("Try B #{task}"));
    forge.push_all();
    sweep(&app).await;
    let commits = task_commits(&api, task).await;
    assert_eq!(commits.len(), 5, "nothing is deleted: {commits:?}");
    assert!(unreachable(&commits, &dropped), "{commits:?}");
    assert_eq!(branches(&commits, &kept), json!(["topic"]));

    // The task's page shows the branches and marks the commits no branch reaches.
    let web = app.login_as("viewer@agency.test", &[Role::Manager]).await;
    let page = web.get_text(&format!("/tasks/{task}")).await;
    assert!(page.contains("Ветки"), "a branches column");
    assert!(
        page.contains(r#"<span class="mono">topic</span>"#),
        "{page}"
    );
    assert_eq!(
        page.matches("ни в одной ветке").count(),
        2,
        "the deleted feature's and the rewritten commit: {page}"
    );
}

#[tokio::test]
async fn a_webhook_commit_the_mirror_has_not_fetched_yet_keeps_its_branch() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    let task = new_task(&api, "Search").await;
    let forge = Forge::new();
    let web_url = "https://github.com/acme/search";
    let repo = add_repository(&app, "github", web_url, &forge.clone_url()).await;
    let t = now_secs() - 1000;
    forge.commit("ann@agency.test", t, &format!("Search box #{task}"));
    forge.push_all();
    sweep(&app).await;

    // A commit made and announced, but not on the forge the sweep fetches from when it runs
    // (the push lands between the fetch and the walk, or on a slow replica).
    let later = forge.commit("ann@agency.test", t + 1, &format!("Search results #{task}"));
    let body = push_of(&forge, web_url, "main", &[&later]);
    post(&app, &github_push(&repo.webhook_secret, "w-1", body)).await;
    drain(&app).await;
    forge.run(&["checkout", "-q", "-b", "other", "HEAD~1"]);
    forge.run(&["push", "-q", "origin", "other"]);
    sweep(&app).await;

    let commits = task_commits(&api, task).await;
    assert_eq!(branches(&commits, &later), json!(["main"]));
    assert!(!unreachable(&commits, &later));
}

#[tokio::test]
async fn commands_cut_short_by_a_crash_are_finished_by_a_later_sweep_once() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    app.create_user("dev@agency.test", "Dev", &[Role::Developer])
        .await;
    let task = new_task(&api, "Invoices").await;
    let forge = Forge::new();
    add_repository(&app, "git", "", &forge.clone_url()).await;
    forge.commit(
        "dev@agency.test",
        now_secs() + 5,
        &format!("Invoices #{task} @30m"),
    );
    forge.push_all();
    sweep(&app).await;
    assert_eq!(minutes(&api, task).await, (30, 1));

    // As if the hub died after claiming the time and before telling the tracker.
    for sql in [
        "UPDATE vcs_refs SET commands_status = ''",
        "UPDATE vcs_change_actions SET status = 'pending', finished_at = NULL",
        "DELETE FROM task_time_entries",
    ] {
        sqlx::query(sql).execute(app.db.pool()).await.unwrap();
    }
    sweep(&app).await;
    assert_eq!(
        minutes(&api, task).await,
        (0, 0),
        "a fresh claim may be another hub at work: it is left alone"
    );

    sqlx::query("UPDATE vcs_change_actions SET claimed_at = 0")
        .execute(app.db.pool())
        .await
        .unwrap();
    sweep(&app).await;
    sweep(&app).await;
    assert_eq!(minutes(&api, task).await, (30, 1), "finished, once");
    let done = ledger::for_task(&app.db, &task.to_string()).await.unwrap();
    assert_eq!(done[0].status, "done", "{done:?}");
}

#[tokio::test]
async fn a_push_to_another_branch_adds_it_to_a_commit_already_on_the_task() {
    let app = TestApp::spawn().await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;
    let task = new_task(&api, "Profile").await;
    let forge = Forge::new();
    let web_url = "https://github.com/acme/profile";
    // Webhooks only: no clone URL, no sweep.
    let repo = add_repository(&app, "github", web_url, "").await;
    forge.run(&["checkout", "-q", "-b", "topic"]);
    let sha = forge.commit(
        "ann@agency.test",
        now_secs() - 100,
        &format!("Avatar #{task}"),
    );
    let body = push_of(&forge, web_url, "topic", &[&sha]);
    post(&app, &github_push(&repo.webhook_secret, "p-1", body)).await;
    drain(&app).await;
    assert_eq!(
        branches(&task_commits(&api, task).await, &sha),
        json!(["topic"])
    );

    // Fast-forwarded into main: GitHub's push to main carries the same commit.
    let body = push_of(&forge, web_url, "main", &[&sha]);
    post(&app, &github_push(&repo.webhook_secret, "p-2", body)).await;
    drain(&app).await;
    let commits = task_commits(&api, task).await;
    assert_eq!(commits.len(), 1);
    assert_eq!(branches(&commits, &sha), json!(["main", "topic"]));
}
