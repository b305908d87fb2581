//! Tasks on the portal, set up as an operator does it: the `shtab` binary with nothing but
//! `SHTAB_SYSTEMS_TASKS=bitrix24` and `SHTAB_BITRIX24_WEBHOOK_URL` pointing at a portal on
//! loopback. `shtab robots run bitrix24.users` makes the portal's active employees people and
//! lists those who left; a signed GitHub push whose commit names `#101`, by an author whose
//! e-mail is portal user 7's, puts one comment on portal task 101 authored by user 7; a
//! redelivery, a sweep and a rebased copy add nothing.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shtab_bitrix24::fake::{FakePortal, FakeTask, FakeUser};

use crate::bitrix24_tasks::{IVAN, WEB_URL};
use crate::cli::{Server, Site, free_address, stdout};
use crate::testkit::{ApiClient, json as expect_json};
use crate::vcs::{Forge, github_push, now_secs, post_to, task_commits};
use crate::vcs_changes::{git_at, push_of};

/// `shtab ARGS` on `site`, told by the environment alone that tasks live on `portal`.
fn on_portal(site: &Site, portal: &FakePortal, args: &[&str]) -> Command {
    let mut cmd = site.command(args);
    cmd.env("SHTAB_SYSTEMS_TASKS", "bitrix24")
        .env("SHTAB_BITRIX24_WEBHOOK_URL", portal.webhook_url());
    cmd
}

/// Runs `shtab robots run NAME` for the portal and returns what it printed. Awaited, not
/// blocked on: the fake portal answers from this test's runtime.
async fn run_robot(site: &Site, portal: &FakePortal, name: &str) -> String {
    let out = tokio::process::Command::from(on_portal(site, portal, &["robots", "run", name]))
        .output()
        .await
        .unwrap();
    let printed = stdout(&out);
    assert!(
        out.status.success(),
        "shtab robots run {name}: {printed}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    printed
}

/// Waits until the hub has processed the delivery `id` (the linking job ran), and returns it.
async fn processed(api: &ApiClient, repository: i64, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = expect_json(
            api.get(&format!("/api/v1/repositories/{repository}/deliveries")),
            200,
        )
        .await;
        let delivery = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["delivery_id"] == id && d["status"] != "queued")
            .cloned();
        if let Some(delivery) = delivery {
            return delivery;
        }
        assert!(
            Instant::now() < deadline,
            "delivery {id} still queued: {list}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn an_operator_points_shtab_at_a_portal_and_a_commit_becomes_one_comment_on_its_task() {
    let portal = FakePortal::start().await;
    portal.add_user(FakeUser::new(7, "Иван", "Петров", "Ivan@Agency.test"));
    portal.add_user(FakeUser::new(9, "Сергей", "Уходящий", "sergey@agency.test"));
    portal.add_task(FakeTask::new(101, "Checkout"));
    let site = Site::new().await;

    // The portal's employees become people; one who then leaves is listed, not removed.
    let first = run_robot(&site, &portal, "bitrix24.users").await;
    assert!(first.contains("created=2"), "{first}");
    portal.update_user(9, |u| u.active = false);
    let second = run_robot(&site, &portal, "bitrix24.users").await;
    assert!(second.contains("left=1"), "{second}");
    assert!(
        second.contains("left the portal, offboard? Сергей Уходящий (portal user 9)"),
        "{second}"
    );
    assert!(!second.contains("Иван Петров"), "{second}");

    site.run(&["user", "add", "--admin", "--email", "boss@agency.test"]);
    let token = stdout(&site.run(&["token", "create", "--user", "boss@agency.test"]));
    let server = Server::start(on_portal(
        &site,
        &portal,
        &["serve", "--listen", &free_address()],
    ))
    .ready()
    .await;
    let api = ApiClient::new(&server.base, token.trim());
    let people = expect_json(api.get("/api/v1/people?q=Петров"), 200).await;
    assert_eq!(people["items"][0]["full_name"], "Иван Петров", "{people}");

    let forge = Forge::new();
    let repository = expect_json(
        api.post("/api/v1/repositories").json(&json!({
            "name": "site", "forge": "github", "web_url": WEB_URL,
            "clone_url": forge.clone_url(),
        })),
        201,
    )
    .await;
    let (id, secret) = (
        repository["id"].as_i64().unwrap(),
        repository["webhook_secret"].as_str().unwrap().to_owned(),
    );
    let t = now_secs() + 5;
    forge.commit("someone@agency.test", t, "Start");
    let sha = forge.commit(IVAN, t + 1, "Checkout total #101");
    forge.push_all();
    let body = push_of(&forge, WEB_URL, "main", &[&sha]);
    let (code, answer) = post_to(&server.base, &github_push(&secret, "d-1", body.clone())).await;
    assert_eq!(code, 202, "{answer}");
    let delivery = processed(&api, id, "d-1").await;
    assert_eq!(delivery["status"], "processed", "{delivery}");

    let comments = portal.comments(101);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].author_id, 7, "posted as Ivan's portal user");
    assert!(
        comments[0]
            .text
            .contains(&format!("[URL={WEB_URL}/commit/{sha}]")),
        "{}",
        comments[0].text
    );

    // A redelivery, a sweep, and a rebased copy pushed to another branch.
    let (code, answer) = post_to(&server.base, &github_push(&secret, "d-1", body)).await;
    assert_eq!((code, &answer["status"]), (200, &json!("duplicate")));
    let swept = run_robot(&site, &portal, "vcs.sweep").await;
    assert!(swept.contains(": done"), "{swept}");
    forge.run(&["checkout", "-q", "-b", "topic", "HEAD~1"]);
    git_at(&forge, t + 2, &["cherry-pick", &sha]);
    let copy = forge.head();
    forge.push_all();
    let body = push_of(&forge, WEB_URL, "topic", &[&copy]);
    let (code, answer) = post_to(&server.base, &github_push(&secret, "d-2", body)).await;
    assert_eq!(code, 202, "{answer}");
    let delivery = processed(&api, id, "d-2").await;
    assert_eq!(delivery["status"], "processed", "{delivery}");
    let swept = run_robot(&site, &portal, "vcs.sweep").await;
    assert!(swept.contains(": done"), "{swept}");

    assert_eq!(portal.comments(101).len(), 1, "{:?}", portal.comments(101));
    assert_eq!(portal.calls_of("task.commentitem.add").len(), 1);
    let commits = task_commits(&api, 101).await;
    let shas: Vec<&str> = commits.iter().filter_map(|c| c["sha"].as_str()).collect();
    assert!(
        shas.contains(&sha.as_str()) && shas.contains(&copy.as_str()),
        "both copies shown on the task's commits: {commits:?}"
    );
}
