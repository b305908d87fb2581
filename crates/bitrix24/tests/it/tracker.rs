//! The tracker port over portal tasks: what each operation sends, and that repeating one adds
//! nothing.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use shtab_bitrix24::adapters::{
    MappedPeople, MemoryCopies, MemoryLedger, PortalTracker, TaskCopies, TaskCopy,
};
use shtab_bitrix24::client::Client;
use shtab_bitrix24::fake::{FakeTask, Fault};
use shtab_core::ids::PersonId;
use shtab_core::ports::{CommitLink, TimeEntry, Tracker};

use super::portal;

const IVAN: PersonId = PersonId(42);

fn tracker(client: &Client) -> (PortalTracker, Arc<MemoryLedger>) {
    let people = MappedPeople(HashMap::from([(IVAN, 7)]));
    let ledger = Arc::new(MemoryLedger::default());
    (
        PortalTracker::new(client.clone(), Arc::new(people), ledger.clone()),
        ledger,
    )
}

fn commit(sha: &str, change_key: &str, author: Option<PersonId>) -> CommitLink {
    CommitLink {
        repository: "site".into(),
        sha: sha.into(),
        change_key: change_key.into(),
        message: "Fix the checkout #101\n\nbody".into(),
        author,
        author_name: "Ivan Petrov".into(),
        author_email: "ivan.petrov@agency.example".into(),
        authored_at: 1_760_000_000_000,
        committed_at: 1_760_000_000_000,
        url: Some(format!("https://git.example/site/commit/{sha}")),
        branches: vec!["main".into()],
    }
}

#[tokio::test]
async fn references_are_looked_up_fifty_to_a_list_in_one_request() {
    let (fake, client) = portal().await;
    for id in 200..320 {
        fake.add_task(FakeTask::new(id, &format!("Task {id}")));
    }
    let (tracker, _) = tracker(&client);
    let mut refs: Vec<String> = (190..330).map(|n| n.to_string()).collect();
    refs.push("101".into());
    refs.push("SHT-5".into());
    fake.forget_requests();
    let found = tracker.find_tasks(&refs).await.unwrap();
    assert_eq!(found.len(), 121, "200..320 and 101; the rest name nothing");
    let t = &found["101"];
    assert_eq!(
        (
            t.id.as_str(),
            t.reference.as_str(),
            t.title.as_str(),
            t.closed
        ),
        ("101", "#101", "Landing page", false)
    );
    assert_eq!(
        t.url.as_deref(),
        Some(
            format!(
                "{}/company/personal/user/1/tasks/task/view/101/",
                fake.origin()
            )
            .as_str()
        )
    );
    assert_eq!(
        fake.http_requests().len(),
        1,
        "141 numbers in 3 list commands in one batch"
    );
    let lists = fake.calls_of("tasks.task.list");
    assert_eq!(lists.len(), 3);
    assert_eq!(lists[0].body()["start"], "-1");
    assert_eq!(
        lists[0].body()["filter"]["ID"].as_object().unwrap().len(),
        50
    );
}

#[tokio::test]
async fn find_task_reads_one_task_and_a_hidden_one_is_none() {
    let (fake, client) = portal().await;
    let mut hidden = FakeTask::new(103, "Secret");
    hidden.visible = false;
    fake.add_task(hidden);
    let mut done = FakeTask::new(104, "Done");
    done.status = 5;
    done.responsible_id = 7;
    fake.add_task(done);
    let (tracker, _) = tracker(&client);
    assert!(tracker.find_task("103").await.unwrap().is_none());
    assert!(tracker.find_task("SHT-1").await.unwrap().is_none());
    let t = tracker.find_task("104").await.unwrap().unwrap();
    assert!(t.closed);
    assert_eq!(t.responsible, Some(IVAN));
    assert_eq!(
        fake.calls_of("tasks.task.get")[0].body(),
        json!({"taskId": 103, "select": ["ID", "TITLE", "STATUS", "RESPONSIBLE_ID"]})
    );
}

#[tokio::test]
async fn pages_read_the_copy_until_the_portal_says_the_task_changed() {
    let (fake, client) = portal().await;
    let copies = Arc::new(MemoryCopies::default());
    let tracker = tracker(&client).0.with_copies(copies.clone());
    // Linking looks task 101 up with a list: the pages' copy comes with it.
    tracker.find_tasks(&["101".into()]).await.unwrap();
    fake.forget_requests();
    let t = tracker.task_for_page("101").await.unwrap().unwrap();
    assert_eq!(
        (t.title.as_str(), t.status.as_str()),
        ("Landing page", "pending")
    );
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());

    // The task is completed and renamed on the portal: pages keep the copy until its event.
    fake.update_task(101, |t| {
        t.title = "Landing page v2".into();
        t.status = 5;
    });
    let t = tracker.task_for_page("101").await.unwrap().unwrap();
    assert_eq!(t.title, "Landing page");
    let t = tracker.refresh(101).await.unwrap().unwrap();
    assert_eq!((t.closed, t.status.as_str()), (true, "completed"));
    let t = tracker.task_for_page("101").await.unwrap().unwrap();
    assert_eq!(t.title, "Landing page v2");

    // An old copy is read again; with the portal away, the page shows the old copy.
    let old = TaskCopy {
        read_at: 0,
        ..copies.get(101).await.unwrap().unwrap()
    };
    copies.put(std::slice::from_ref(&old)).await.unwrap();
    fake.forget_requests();
    for _ in 0..3 {
        fake.fail_next(Some("tasks.task.get"), Fault::Html(502));
    }
    let t = tracker.task_for_page("101").await.unwrap().unwrap();
    assert_eq!(t.title, "Landing page v2");
    assert_eq!(
        fake.calls_of("tasks.task.get").len(),
        3,
        "tried, then the copy"
    );

    // Hidden from the webhook's user: the copy goes, and pages say there is no such task.
    fake.update_task(101, |t| t.visible = false);
    assert_eq!(tracker.refresh(101).await.unwrap(), None);
    assert_eq!(copies.get(101).await.unwrap(), None);
    assert_eq!(tracker.task_for_page("101").await.unwrap(), None);
}

#[tokio::test]
async fn a_commit_is_one_comment_per_change_posted_as_its_authors_portal_user() {
    let (fake, client) = portal().await;
    let (tracker, ledger) = tracker(&client);
    let first = commit("0abc1234def", "change-1", Some(IVAN));
    tracker.link_commit("101", &first).await.unwrap();
    // A redelivery, a sweep, a rebased copy (same change, new sha): nothing more.
    tracker.link_commit("101", &first).await.unwrap();
    tracker
        .link_commits(&[("101".into(), commit("99rebased00", "change-1", Some(IVAN)))])
        .await
        .unwrap();
    let comments = fake.comments(101);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].author_id, 7);
    assert!(!comments[0].in_chat);
    assert_eq!(
        comments[0].text,
        "[URL=https://git.example/site/commit/0abc1234def]0abc1234d[/URL] Fix the checkout #101\nsite · [B]main[/B] · Ivan Petrov"
    );
    let sent = fake.calls_of("task.commentitem.add");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body(),
        json!({"TASKID": "101", "FIELDS": {"POST_MESSAGE": comments[0].text, "AUTHOR_ID": "7"}})
    );
    assert_eq!(ledger.entries(), 1);
}

#[tokio::test]
async fn where_the_portal_refuses_the_author_the_webhooks_user_posts_in_the_chat_saying_who() {
    let (fake, client) = portal().await;
    fake.refuse_author_id();
    let (tracker, _) = tracker(&client);
    tracker
        .link_commit("101", &commit("0abc1234def", "c1", Some(IVAN)))
        .await
        .unwrap();
    let comments = fake.comments(101);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].in_chat);
    assert_eq!(comments[0].author_id, 1);
    assert!(
        comments[0]
            .text
            .starts_with("Commit by Ivan Petrov <ivan.petrov@agency.example>:\n[URL="),
        "{}",
        comments[0].text
    );
    let sent = fake.calls_of("tasks.task.chat.message.send");
    assert_eq!(sent[0].body()["fields"]["taskId"], "101");
    // Retrying adds nothing: the ledger has it.
    tracker
        .link_commit("101", &commit("0abc1234def", "c1", Some(IVAN)))
        .await
        .unwrap();
    assert_eq!(fake.comments(101).len(), 1);
}

#[tokio::test]
async fn an_author_who_is_no_portal_user_is_named_in_a_comment_by_the_webhooks_user() {
    let (fake, client) = portal().await;
    let (tracker, _) = tracker(&client);
    tracker
        .link_commit("102", &commit("feedbeef00", "c2", None))
        .await
        .unwrap();
    let comments = fake.comments(102);
    assert_eq!(
        (comments.len(), comments[0].author_id, comments[0].in_chat),
        (1, 1, false)
    );
    assert!(
        comments[0].text.starts_with("Commit by Ivan Petrov"),
        "{}",
        comments[0].text
    );
    assert_eq!(
        fake.calls_of("task.commentitem.add")[0].body()["FIELDS"].get("AUTHOR_ID"),
        None
    );
}

#[tokio::test]
async fn many_commits_go_in_one_request_and_a_limited_portal_loses_none_and_repeats_none() {
    let (fake, client) = portal().await;
    for id in 200..260 {
        fake.add_task(FakeTask::new(id, "t"));
    }
    let (tracker, ledger) = tracker(&client);
    let links: Vec<(String, CommitLink)> = (200..260)
        .map(|id| {
            (
                id.to_string(),
                commit(&format!("sha{id}"), &format!("k{id}"), Some(IVAN)),
            )
        })
        .collect();
    // One command (the first) hits its method's resource limit inside a 200 batch.
    fake.fail_next(
        Some("task.commentitem.add"),
        shtab_bitrix24::fake::Fault::OperationTimeLimit {
            reset_in: std::time::Duration::from_secs(60),
        },
    );
    let err = tracker.link_commits(&links).await.unwrap_err();
    assert!(err.to_string().contains("OPERATION_TIME_LIMIT"), "{err}");
    assert_eq!(ledger.entries(), 59);
    // The job queue retries: only the missing one is posted.
    fake.forget_requests();
    tracker.link_commits(&links).await.unwrap();
    assert_eq!(fake.calls_of("task.commentitem.add").len(), 1);
    for id in 200..260 {
        assert_eq!(fake.comments(id).len(), 1, "task {id}");
    }
}

#[tokio::test]
async fn closing_completes_once_and_notes_why() {
    let (fake, client) = portal().await;
    let (tracker, _) = tracker(&client);
    tracker
        .close_task("101", Some(IVAN), "closed by site@0abc: Fix")
        .await
        .unwrap();
    tracker
        .close_task("101", Some(IVAN), "closed by site@0abc: Fix")
        .await
        .unwrap();
    assert_eq!(fake.task(101).unwrap().status, 5);
    assert_eq!(fake.calls_of("tasks.task.complete").len(), 1);
    assert_eq!(
        fake.calls_of("tasks.task.complete")[0].body(),
        json!({"taskId": 101})
    );
    let comments = fake.comments(101);
    assert_eq!(comments.len(), 1);
    assert_eq!(
        (comments[0].author_id, comments[0].text.as_str()),
        (7, "closed by site@0abc: Fix")
    );
    let err = tracker.close_task("999", None, "").await.unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
}

#[tokio::test]
async fn time_is_logged_once_per_source_as_the_persons_portal_user() {
    let (fake, client) = portal().await;
    let (tracker, _) = tracker(&client);
    let entry = TimeEntry {
        person: IVAN,
        minutes: 90,
        spent_at: 1_760_000_000_000,
        note: "site@0abc1234".into(),
        source: "commit:site@0abc1234".into(),
    };
    tracker.log_time("101", &entry).await.unwrap();
    tracker.log_time("101", &entry).await.unwrap();
    let logged = fake.elapsed(101);
    assert_eq!(logged.len(), 1);
    assert_eq!((logged[0].seconds, logged[0].user_id), (5400, 7));
    let sent = fake.calls_of("task.elapseditem.add");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        serde_json::to_string(&sent[0].params).unwrap(),
        r#"{"TASKID":101,"ARFIELDS":{"SECONDS":5400,"COMMENT_TEXT":"site@0abc1234","USER_ID":7,"CREATED_DATE":"2025-10-09T08:53:20+00:00"}}"#
    );
}
