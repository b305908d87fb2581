//! Plain calls: what goes out, and how the portal's loose answers and refusals come back.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shtab_bitrix24::client::decode::{FlexMap, PortalId, de_flag};
use shtab_bitrix24::client::{Bitrix24Error, Client};
use shtab_bitrix24::fake::{FakeTask, Fault, WEBHOOK_CODE};

use super::{fast_config, portal};

#[tokio::test]
async fn a_call_posts_json_to_the_methods_address_and_reads_the_result() {
    let (fake, client) = portal().await;
    let answer = client.call("user.current", &()).await.unwrap();
    #[derive(Deserialize)]
    struct User {
        #[serde(rename = "ID")]
        id: PortalId,
        #[serde(rename = "ACTIVE", deserialize_with = "de_flag")]
        active: bool,
    }
    let me: User = answer.decode().unwrap();
    assert_eq!((me.id, me.active), (PortalId(1), true));
    let sent = fake.http_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "user.current");
    assert_eq!(
        sent[0].query, None,
        "nothing travels in the address's query"
    );
}

#[derive(Deserialize)]
struct Task {
    id: PortalId,
    #[serde(rename = "responsibleId")]
    responsible_id: PortalId,
    status: PortalId,
    #[serde(default)]
    group: FlexMap<Value>,
}

#[tokio::test]
async fn ids_as_strings_and_an_empty_group_as_a_list_decode() {
    let (_fake, client) = portal().await;
    let answer = client
        .call("tasks.task.get", &json!({"taskId": 101}))
        .await
        .unwrap();
    assert_eq!(
        answer.value()["task"]["id"],
        "101",
        "the fake writes ids as strings"
    );
    assert_eq!(answer.value()["task"]["group"], json!([]));
    #[derive(Deserialize)]
    struct Wrapper {
        task: Task,
    }
    let task = answer.decode::<Wrapper>().unwrap().task;
    assert_eq!(
        (task.id, task.responsible_id, task.status),
        (PortalId(101), PortalId(1), PortalId(2))
    );
    assert!(task.group.0.is_empty());
}

#[tokio::test]
async fn a_task_the_webhook_cannot_see_is_an_empty_result_not_an_error() {
    let (fake, client) = portal().await;
    let mut hidden = FakeTask::new(103, "Secret");
    hidden.visible = false;
    fake.add_task(hidden);
    for id in [103, 999] {
        let answer = client
            .call("tasks.task.get", &json!({"taskId": id}))
            .await
            .unwrap();
        assert!(answer.is_empty_list(), "task {id}: {:?}", answer.value());
    }
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct CommentAdd {
    TASKID: u64,
    FIELDS: Fields,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Fields {
    POST_MESSAGE: String,
    AUTHOR_ID: u64,
}

/// The same parameters with the keys the other way round: a positional method reads FIELDS
/// as the task id.
#[derive(Serialize)]
#[allow(non_snake_case)]
struct CommentAddReversed {
    FIELDS: Fields,
    TASKID: u64,
}

#[tokio::test]
async fn legacy_parameters_go_in_the_order_declared_because_the_portal_reads_them_by_position() {
    let (fake, client) = portal().await;
    let params = CommentAdd {
        TASKID: 101,
        FIELDS: Fields {
            POST_MESSAGE: "[URL=https://git.example/c/abc]abc1234[/URL] Fix & ship".into(),
            AUTHOR_ID: 7,
        },
    };
    let id: PortalId = client
        .call("task.commentitem.add", &params)
        .await
        .unwrap()
        .decode()
        .unwrap();
    let comments = fake.comments(101);
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].id, id.0);
    assert_eq!(comments[0].author_id, 7);
    assert_eq!(
        comments[0].text,
        "[URL=https://git.example/c/abc]abc1234[/URL] Fix & ship"
    );
    let sent = &fake.calls_of("task.commentitem.add")[0];
    assert_eq!(
        serde_json::to_string(&sent.params).unwrap(),
        r#"{"TASKID":101,"FIELDS":{"POST_MESSAGE":"[URL=https://git.example/c/abc]abc1234[/URL] Fix & ship","AUTHOR_ID":7}}"#
    );

    let reversed = CommentAddReversed {
        FIELDS: Fields {
            POST_MESSAGE: "x".into(),
            AUTHOR_ID: 7,
        },
        TASKID: 101,
    };
    let err = client
        .call("task.commentitem.add", &reversed)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Bitrix24Error::Refused { ref code, .. } if code == "ERROR_CORE"),
        "{err}"
    );
    assert_eq!(fake.comments(101).len(), 1);
}

#[tokio::test]
async fn a_missing_scope_is_named_and_is_not_retried() {
    let (fake, client) = portal().await;
    fake.grant_scopes(&["task", "user"]);
    let err = client
        .call(
            "im.notify.system.add",
            &json!({"USER_ID": 7, "MESSAGE": "hi"}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Bitrix24Error::MissingScope {
            method: "im.notify.system.add".into(),
            scope: "im".into()
        }
    );
    assert!(err.to_string().contains("«im»"), "{err}");
    assert!(!err.is_transient());
    assert_eq!(fake.http_requests().len(), 1);
    assert!(fake.notifications().is_empty());
    assert_eq!(client.last_error(), Some(err));
}

#[tokio::test]
async fn a_method_the_portal_lacks_says_so() {
    let (_fake, client) = portal().await;
    let err = client.call("tasks.flow.flow.get", &()).await.unwrap_err();
    assert_eq!(err.kind(), "method_missing");
    assert!(err.to_string().contains("tasks.flow.flow.get"), "{err}");
}

#[tokio::test]
async fn a_wrong_webhook_code_is_a_clear_error_that_never_shows_the_code() {
    let (fake, _client) = portal().await;
    let wrong = fake.webhook_url().replace(WEBHOOK_CODE, "wrongcode1234");
    let client = Client::webhook(&wrong, fast_config()).unwrap();
    let err = client.call("profile", &()).await.unwrap_err();
    assert!(
        matches!(err, Bitrix24Error::WrongWebhookCode { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("bitrix24.webhook_url"), "{err}");
    for shown in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!shown.contains("wrongcode1234"), "{shown}");
    }
    assert!(!err.is_transient());
    assert_eq!(
        fake.http_requests().len(),
        1,
        "a refused code is not tried again"
    );
}

#[tokio::test]
async fn error_codes_as_numeric_text_or_the_number_zero_are_read() {
    let (fake, client) = portal().await;
    fake.fail_next(
        Some("tasks.task.get"),
        Fault::Error {
            status: 400,
            code: json!("100"),
            description: "Required field taskId".into(),
        },
    );
    fake.fail_next(
        Some("user.get"),
        Fault::Error {
            status: 400,
            code: json!(0),
            description: "Insufficient permissions".into(),
        },
    );
    let err = client.call("tasks.task.get", &json!({})).await.unwrap_err();
    assert!(
        matches!(err, Bitrix24Error::Refused { ref code, .. } if code == "100"),
        "{err:?}"
    );
    let err = client.call("user.get", &json!({})).await.unwrap_err();
    assert_eq!(err.kind(), "no_permission", "{err}");
}

#[tokio::test]
async fn an_html_page_is_retried_and_then_reported_as_unavailable() {
    let (fake, client) = portal().await;
    fake.fail_next(None, Fault::Html(502));
    client
        .call("profile", &())
        .await
        .expect("passes on the second try");
    assert_eq!(fake.http_requests().len(), 2);

    fake.forget_requests();
    for _ in 0..3 {
        fake.fail_next(None, Fault::Html(200));
    }
    let err = client.call("profile", &()).await.unwrap_err();
    assert!(
        matches!(err, Bitrix24Error::Unavailable { status: 200, .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert!(
        err.to_string().contains("<html>"),
        "says what came back: {err}"
    );
    assert_eq!(fake.http_requests().len(), 3, "three attempts in all");
}

#[tokio::test]
async fn an_unreachable_portal_is_a_transient_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::webhook(
        &format!("http://{addr}/rest/1/{WEBHOOK_CODE}/"),
        fast_config(),
    )
    .unwrap();
    let err = client.call("profile", &()).await.unwrap_err();
    assert!(matches!(err, Bitrix24Error::Network { .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(!err.to_string().contains(WEBHOOK_CODE), "{err}");
}

#[tokio::test]
async fn a_webhook_on_plain_http_elsewhere_is_refused_before_any_request() {
    let err = Client::webhook(
        "http://agency.bitrix24.ru/rest/1/k3y9webhook42/",
        fast_config(),
    )
    .unwrap_err();
    assert!(matches!(err, Bitrix24Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("https"), "{err}");
    assert!(!err.to_string().contains("k3y9webhook42"), "{err}");
}

#[tokio::test]
async fn whose_webhook_it_is_and_which_scopes_it_has() {
    let (fake, client) = portal().await;
    fake.grant_scopes(&["task", "user"]);
    let me = client.profile().await.unwrap();
    assert_eq!(
        (me.id, me.name.as_str(), me.last_name.as_str(), me.admin),
        (PortalId(1), "Anna", "Admin", true)
    );
    assert_eq!(client.scopes().await.unwrap(), ["task", "user"]);
    assert_eq!(client.webhook_user(), Some(1));
    assert_eq!(client.portal().as_str(), fake.origin());
}
