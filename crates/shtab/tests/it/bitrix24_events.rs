//! The portal's outgoing events (`POST /hooks/bitrix24`) and the portal's tasks on Shtab's
//! pages, as the portal, a developer and an attacker see them: a task created after the commit
//! that named it gets its comment as soon as `ONTASKADD` arrives; with the event lost, the next
//! sweep makes the link; `ONTASKUPDATE` refreshes what the task page shows; a forged event, one
//! of another portal, or an oversized body is refused and leaves nothing behind.

use serde_json::{Value, json};
use shtab_bitrix24::fake::{FakePortal, FakeTask};
use shtab_core::auth::Role;
use shtab_core::config::SystemOfRecord;

use crate::bitrix24_tasks::{IVAN, WEB_URL, portal_hub, push};
use crate::testkit::{TestApp, json as expect_json};
use crate::vcs::{Forge, drain, now_secs, sweep};
use crate::vcs_changes::push_of;

/// What the outgoing webhook's page shows as its application token.
const TOKEN: &str = "k7rq2w9application0token";

async fn hub() -> (FakePortal, TestApp, Forge, shtab_vcs::store::Repository) {
    portal_hub(|c| c.bitrix24.application_token = shtab_core::config::Secret::new(TOKEN)).await
}

fn hook(app: &TestApp) -> String {
    app.url("/hooks/bitrix24")
}

/// Posts `body` as an event; the status and the answer.
async fn post_event(app: &TestApp, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(hook(app))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Jobs an event may queue.
async fn event_jobs(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM jobs WHERE kind IN ('tasks.appeared', 'bitrix24.task_changed')")
        .await
}

/// Pushes a commit by Ivan with `message`; its sha.
async fn commit(
    app: &TestApp,
    forge: &Forge,
    repo: &shtab_vcs::store::Repository,
    delivery: &str,
    at: i64,
    message: &str,
) -> String {
    let sha = forge.commit(IVAN, at, message);
    forge.push_all();
    push(
        app,
        repo,
        delivery,
        push_of(forge, WEB_URL, "main", &[&sha]),
    )
    .await;
    drain(app).await;
    sha
}

#[tokio::test]
async fn a_task_created_after_its_commit_gets_the_comment_when_the_portal_says_so() {
    let (portal, app, forge, repo) = hub().await;
    let t = now_secs() + 5;
    let sha = commit(&app, &forge, &repo, "d-1", t, "Checkout total #202").await;
    assert!(portal.comments(202).is_empty(), "no task 202 yet");

    // Someone creates task 202; the portal's queue server posts ONTASKADD.
    portal.add_task(FakeTask::new(202, "Totals"));
    portal.forget_requests();
    let status = portal
        .send_task_event(&hook(&app), "ONTASKADD", 202, TOKEN)
        .await;
    assert_eq!(status, 200);
    assert!(
        portal.calls().is_empty(),
        "the hook answers before asking the portal anything"
    );
    drain(&app).await;

    let comments = portal.comments(202);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].author_id, 7);
    assert!(comments[0].text.contains(&sha[..9]), "{}", comments[0].text);
    // One request asks for the one task the event named, one posts the comment.
    let lists = portal.calls_of("tasks.task.list");
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].body()["filter"]["ID"], json!({"0": "202"}));
    assert_eq!(portal.http_requests().len(), 2, "{:?}", portal.calls());

    // The same event again, and the sweep: nothing waits any more, so the portal is not even
    // asked.
    portal.forget_requests();
    portal
        .send_task_event(&hook(&app), "ONTASKADD", 202, TOKEN)
        .await;
    drain(&app).await;
    let run = sweep(&app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    assert_eq!(portal.comments(202).len(), 1);
    assert!(portal.calls().is_empty(), "{:?}", portal.calls());
}

#[tokio::test]
async fn with_the_event_lost_the_next_sweep_links_fifty_tasks_to_a_list_command() {
    let (portal, app, forge, repo) = hub().await;
    let t = now_secs() + 5;
    let named: Vec<String> = (301..=360).map(|n| format!("#{n}")).collect();
    commit(
        &app,
        &forge,
        &repo,
        "d-1",
        t,
        &format!("Import the price list {}", named.join(" ")),
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM vcs_refs WHERE task_id IS NULL")
            .await,
        60,
        "sixty references wait"
    );

    // The tasks are created, and no event ever reaches Shtab.
    for n in 301..=360 {
        portal.add_task(FakeTask::new(n, &format!("Price list part {n}")));
    }
    portal.forget_requests();
    let run = sweep(&app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);

    for n in 301..=360 {
        assert_eq!(portal.comments(n).len(), 1, "task {n}");
    }
    let lists = portal.calls_of("tasks.task.list");
    let sizes: Vec<usize> = lists
        .iter()
        .map(|l| {
            l.body()["filter"]["ID"]
                .as_object()
                .map_or(0, |ids| ids.len())
        })
        .collect();
    assert_eq!(sizes, [50, 10], "at most 50 ids a list command");
    assert!(
        lists.iter().all(|l| l.in_batch.is_some()),
        "both in one batch"
    );
    let batches = portal
        .http_requests()
        .iter()
        .filter(|r| r.method == "batch")
        .count();
    assert_eq!(batches, 3, "one lookup, two batches of 50 and 10 comments");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM vcs_refs WHERE task_id IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn the_task_page_shows_the_portal_task_its_commits_and_why_others_wait() {
    let (portal, app, forge, repo) = hub().await;
    portal.update_task(101, |task| task.responsible_id = 7);
    let mut hidden = FakeTask::new(505, "Payroll");
    hidden.visible = false;
    portal.add_task(hidden);
    let t = now_secs() + 5;
    let linked = commit(&app, &forge, &repo, "d-1", t, "Checkout total #101").await;
    let waiting = commit(&app, &forge, &repo, "d-2", t + 1, "Typo #404").await;
    let secret = commit(&app, &forge, &repo, "d-3", t + 2, "Payroll export #505").await;
    let dev = app.login_as("dev@agency.test", &[Role::Developer]).await;
    let api = app.token_as("lead@agency.test", &[Role::Manager]).await;

    // A linked task: title, status and responsible as the portal says, a link to its card,
    // the commit; shown from the copy the linking read, without asking the portal again.
    portal.forget_requests();
    let page = dev.get_text("/tasks/101").await;
    assert!(portal.calls().is_empty(), "{:?}", portal.calls());
    assert!(page.contains("Checkout"), "{page}");
    assert!(page.contains("ждёт выполнения"), "pending, in Russian");
    assert!(page.contains("Иван Петров"), "the responsible person");
    let card = format!(
        "{}/company/personal/user/7/tasks/task/view/101/",
        portal.origin()
    );
    assert!(page.contains(&format!("href=\"{card}\"")), "{page}");
    assert!(page.contains(&linked[..7]), "{page}");
    let items = expect_json(api.get("/api/v1/tasks/101/commits"), 200).await["items"].clone();
    assert_eq!(items.as_array().unwrap().len(), 1, "{items}");
    assert_eq!(items[0]["sha"], json!(linked));
    assert!(items[0]["linked_at"].is_string());
    assert!(items[0].get("waiting").is_none(), "{items}");

    // The portal changes the task and says so: the page follows, reading the task once. The
    // event itself asks the portal nothing (one comes for every change of a task).
    portal.update_task(101, |task| {
        task.title = "Checkout, new totals".into();
        task.status = 3;
    });
    portal.forget_requests();
    let status = portal
        .send_task_event(&hook(&app), "ONTASKUPDATE", 101, TOKEN)
        .await;
    assert_eq!(status, 200);
    drain(&app).await;
    assert!(portal.calls().is_empty(), "{:?}", portal.calls());
    let page = dev.get_text("/tasks/101").await;
    assert!(page.contains("Checkout, new totals"), "{page}");
    assert!(page.contains("в работе"), "in progress");
    let read = portal.calls_of("tasks.task.get");
    assert_eq!(read.len(), 1);
    assert_eq!(
        read[0].body(),
        json!({"taskId": 101, "select": ["ID", "TITLE", "STATUS", "RESPONSIBLE_ID"]})
    );
    portal.forget_requests();
    dev.get_text("/tasks/101").await;
    assert!(
        portal.calls().is_empty(),
        "the new copy serves the next view"
    );

    // Tasks the portal does not show: the commits stay visible, with the reason.
    for (task, sha) in [(404, &waiting), (505, &secret)] {
        let page = dev.get_text(&format!("/tasks/{task}")).await;
        assert!(
            page.contains(&format!("В Битрикс24 нет задачи {task}")),
            "{page}"
        );
        assert!(
            page.contains(&sha[..7]) && page.contains("ждёт задачу"),
            "{page}"
        );
        let items =
            expect_json(api.get(&format!("/api/v1/tasks/{task}/commits")), 200).await["items"]
                .clone();
        assert_eq!(items[0]["sha"], json!(sha));
        assert_eq!(items[0]["linked_at"], Value::Null);
        let why = items[0]["waiting"].as_str().unwrap_or_default();
        assert!(why.contains("no such task"), "{why}");
    }

    // The webhook's user is shown task 505: the portal's update links the waiting commit.
    portal.update_task(505, |task| task.visible = true);
    portal
        .send_task_event(&hook(&app), "ONTASKUPDATE", 505, TOKEN)
        .await;
    drain(&app).await;
    assert_eq!(portal.comments(505).len(), 1);
    let items = expect_json(api.get("/api/v1/tasks/505/commits"), 200).await["items"].clone();
    assert!(items[0]["linked_at"].is_string(), "{items}");

    // Tasks are changed on the portal: the page's form no longer writes Shtab's own tables,
    // even where a task of theirs (left from before the switch) has the number.
    let own = expect_json(
        api.post("/api/v1/tasks").json(&json!({"title": "Old"})),
        201,
    )
    .await;
    let own = own["id"].as_i64().unwrap();
    let change = dev
        .post_form(
            &format!("/tasks/{own}"),
            &[("status", "closed"), ("assignee_id", "")],
        )
        .await;
    assert_eq!(change.status().as_u16(), 404);
    let still = app
        .count(&format!(
            "SELECT COUNT(*) FROM tasks WHERE id = {own} AND status = 'open'"
        ))
        .await;
    assert_eq!(still, 1);

    // A number no task and no commit has; a role that may not read tasks.
    assert_eq!(dev.get("/tasks/999").await.status().as_u16(), 404);
    expect_json(api.get("/api/v1/tasks/999/commits"), 404).await;
    let accountant = app.token_as("books@agency.test", &[Role::Accountant]).await;
    expect_json(accountant.get("/api/v1/tasks/101/commits"), 403).await;
}

#[tokio::test]
async fn forged_foreign_and_oversized_events_are_refused_and_leave_nothing() {
    let (portal, app, forge, repo) = hub().await;
    let t = now_secs() + 5;
    commit(&app, &forge, &repo, "d-1", t, "Checkout total #202").await;
    portal.add_task(FakeTask::new(202, "Totals"));
    let jobs_before = app.count("SELECT COUNT(*) FROM jobs").await;
    let other = FakePortal::start().await;
    let genuine = portal.task_event_body("ONTASKADD", 202, TOKEN);

    let refused = [
        (
            portal.task_event_body("ONTASKADD", 202, "guessed"),
            401,
            "bad_token",
        ),
        (
            genuine.replace("&auth%5Bapplication_token%5D=", "&auth%5Bapp_token%5D="),
            401,
            "bad_token",
        ),
        (
            portal.task_event_body("ONTASKADD", 202, ""),
            401,
            "bad_token",
        ),
        // Another portal's event, carrying this hub's token.
        (
            other.task_event_body("ONTASKADD", 202, TOKEN),
            403,
            "other_portal",
        ),
        (
            genuine.replace(&portal.domain().replace(':', "%3A"), "evil.bitrix24.ru"),
            403,
            "other_portal",
        ),
        // The genuine event with 70 KiB of padding.
        (
            format!("{genuine}&pad={}", "x".repeat(70 * 1024)),
            413,
            "payload_too_large",
        ),
    ];
    for (body, status, code) in refused {
        let (got, answer) = post_event(&app, body.clone()).await;
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{answer}"
        );
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.contains(TOKEN), "{message}");
    }
    // A portal event Shtab does not act on is answered and left alone.
    let (got, answer) = post_event(
        &app,
        portal.event_body("ONCRMCONTACTUPDATE", &[("data[FIELDS][ID]", "759")], TOKEN),
    )
    .await;
    assert_eq!((got, answer["status"].clone()), (200, json!("ignored")));

    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, jobs_before);
    drain(&app).await;
    assert!(portal.comments(202).is_empty(), "nothing was linked");
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for outcome in ["refused", "too_large", "ignored"] {
        assert!(
            metrics.contains(&format!(
                "bitrix24_events_total{{event=\"other\",outcome=\"{outcome}\"}}"
            )),
            "{outcome}"
        );
    }

    // The genuine event still works after all that.
    let (got, answer) = post_event(&app, genuine).await;
    assert_eq!(
        (got, answer["status"].clone()),
        (200, json!("queued")),
        "{answer}"
    );
    drain(&app).await;
    assert_eq!(portal.comments(202).len(), 1);
}

#[tokio::test]
async fn without_an_application_token_no_event_is_believed() {
    let (portal, app, _forge, _repo) = portal_hub(|_| {}).await;
    for token in ["", "anything"] {
        let (status, answer) =
            post_event(&app, portal.task_event_body("ONTASKADD", 101, token)).await;
        assert_eq!(status, 401, "{answer}");
        let why = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(why.contains("bitrix24.application_token"), "{why}");
    }
    assert_eq!(event_jobs(&app).await, 0);
}

#[tokio::test]
async fn with_tasks_in_shtab_task_events_are_answered_and_ignored() {
    let portal = FakePortal::start().await;
    let webhook = portal.webhook_url();
    let app = TestApp::spawn_with(move |c| {
        c.bitrix24.webhook_url = shtab_core::config::Secret::new(webhook);
        c.bitrix24.application_token = shtab_core::config::Secret::new(TOKEN);
        c.systems.tasks = SystemOfRecord::Shtab;
    })
    .await;
    let (status, answer) = post_event(&app, portal.task_event_body("ONTASKADD", 101, TOKEN)).await;
    assert_eq!(
        (status, answer["status"].clone()),
        (200, json!("ignored")),
        "{answer}"
    );
    assert_eq!(event_jobs(&app).await, 0);
}
