//! `batch`: one request for up to 50 commands; each command's result or error by its label.

use std::time::Duration;

use serde_json::{Value, json};
use shtab_bitrix24::client::decode::PortalId;
use shtab_bitrix24::client::{Batch, Bitrix24Error};
use shtab_bitrix24::fake::Fault;

use super::portal;

#[tokio::test]
async fn a_partly_failing_batch_fails_only_its_failing_commands() {
    let (fake, client) = portal().await;
    fake.grant_scopes(&["task", "user"]);
    let mut batch = Batch::new();
    batch
        .add("t101", "tasks.task.get", &json!({"taskId": 101}))
        .unwrap();
    batch
        .add("t999", "tasks.task.get", &json!({"taskId": 999}))
        .unwrap();
    batch.add("u7", "user.get", &json!({"ID": 7})).unwrap();
    batch
        .add(
            "tell7",
            "im.notify.system.add",
            &json!({"USER_ID": 7, "MESSAGE": "hi"}),
        )
        .unwrap();
    let answer = client.batch(&batch).await.unwrap();
    assert_eq!(
        fake.http_requests().len(),
        1,
        "one request for four commands"
    );

    let t101: Value = answer.decode("t101").unwrap();
    assert_eq!(t101["task"]["id"], "101");
    let t999: Value = answer.decode("t999").unwrap();
    assert_eq!(t999, json!([]), "a missing task is an empty result");
    let users: Vec<Value> = answer.decode("u7").unwrap();
    assert_eq!(users[0]["EMAIL"], "Ivan.Petrov@agency.example");
    assert_eq!(answer.total("u7"), Some(1));
    let err = answer.result("tell7").unwrap_err();
    assert_eq!(
        err,
        Bitrix24Error::MissingScope {
            method: "im.notify.system.add".into(),
            scope: "im".into()
        }
    );
    assert_eq!(answer.failures().len(), 1);
    assert!(fake.notifications().is_empty());
}

#[tokio::test]
async fn a_batch_without_errors_reads_the_empty_error_list() {
    let (fake, client) = portal().await;
    let mut batch = Batch::new();
    batch.add("me", "profile", &()).unwrap();
    let answer = client.batch(&batch).await.unwrap();
    assert!(answer.failures().is_empty());
    // The portal wrote the empty maps as lists.
    let raw = client
        .call("batch", &json!({"halt": 0, "cmd": {"me": "profile"}}))
        .await
        .unwrap();
    assert_eq!(raw.value()["result_error"], json!([]));
    assert_eq!(raw.value()["result_next"], json!([]));
    drop(fake);
}

#[tokio::test]
async fn numeric_labels_would_lose_the_keys_which_is_why_the_client_refuses_them() {
    let (_fake, client) = portal().await;
    // The trap, sent raw: the portal answers lists, and which command failed is unknowable.
    let raw = client
        .call(
            "batch",
            &json!({"halt": 0, "cmd": {"0": "tasks.task.get?taskId=101", "1": "nope.nope"}}),
        )
        .await
        .unwrap();
    assert!(raw.value()["result"].is_array(), "{:?}", raw.value());
    let mut batch = Batch::new();
    assert!(
        batch
            .add("0", "tasks.task.get", &json!({"taskId": 101}))
            .is_err()
    );
}

#[tokio::test]
async fn a_command_over_its_time_limit_is_a_transient_error_inside_a_200_batch() {
    let (fake, client) = portal().await;
    fake.fail_next(
        Some("tasks.task.get"),
        Fault::OperationTimeLimit {
            reset_in: Duration::from_secs(60),
        },
    );
    let mut batch = Batch::new();
    batch
        .add("t101", "tasks.task.get", &json!({"taskId": 101}))
        .unwrap();
    batch
        .add("t102", "tasks.task.get", &json!({"taskId": 102}))
        .unwrap();
    let answer = client.batch(&batch).await.unwrap();
    let err = answer.result("t101").unwrap_err();
    assert!(
        matches!(err, Bitrix24Error::OperationTimeLimit { .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert!(answer.result("t102").is_ok());
}

#[tokio::test]
async fn command_parameters_reach_the_portal_intact_and_in_order() {
    let (fake, client) = portal().await;
    #[derive(serde::Serialize)]
    #[allow(non_snake_case)]
    struct CommentAdd {
        TASKID: u64,
        FIELDS: Fields,
    }
    #[derive(serde::Serialize)]
    #[allow(non_snake_case)]
    struct Fields {
        POST_MESSAGE: String,
        AUTHOR_ID: u64,
    }
    let text = "[B]main[/B] [URL=https://git.example/a/b/commit/0abc?x=1&y=2]0abc123[/URL] Fix «кнопку» 100% & more";
    let mut batch = Batch::new();
    for (label, task) in [("c101", 101), ("c102", 102)] {
        batch
            .add(
                label,
                "task.commentitem.add",
                &CommentAdd {
                    TASKID: task,
                    FIELDS: Fields {
                        POST_MESSAGE: text.into(),
                        AUTHOR_ID: 7,
                    },
                },
            )
            .unwrap();
    }
    let answer = client.batch(&batch).await.unwrap();
    let id: PortalId = answer.decode("c102").unwrap();
    let on_102 = fake.comments(102);
    assert_eq!(on_102.len(), 1);
    assert_eq!(
        (on_102[0].id, on_102[0].author_id, on_102[0].text.as_str()),
        (id.0, 7, text)
    );
    let sent = fake.calls_of("task.commentitem.add");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].in_batch.as_deref(), Some("c101"));
    assert_eq!(
        sent[0].body(),
        json!({"TASKID": "101", "FIELDS": {"POST_MESSAGE": text, "AUTHOR_ID": "7"}})
    );
}

#[tokio::test]
async fn a_halting_batch_leaves_later_commands_unrun_and_says_so() {
    let (_fake, client) = portal().await;
    let mut batch = Batch::new().halt_on_error();
    batch
        .add("bad", "task.commentitem.add", &json!({"TASKID": 999}))
        .unwrap();
    batch.add("good", "profile", &()).unwrap();
    let answer = client.batch(&batch).await.unwrap();
    assert!(answer.result("bad").is_err());
    let err = answer.result("good").unwrap_err();
    assert!(err.to_string().contains("did not run"), "{err}");
}
