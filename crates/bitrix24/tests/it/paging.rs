//! Reading whole lists by id with `start=-1`, and offset paging's `next`/`total`.

use serde_json::{Map, Value, json};
use shtab_bitrix24::client::IdPager;
use shtab_bitrix24::fake::{FakeTask, FakeUser};

use super::portal;

#[tokio::test]
async fn a_list_is_read_by_id_cursor_without_counting() {
    let (fake, client) = portal().await;
    for id in 200..320 {
        fake.add_task(FakeTask::new(id, &format!("Task {id}")));
    }
    fake.forget_requests();
    let pager = IdPager::tasks(Map::new(), &["ID", "TITLE", "STATUS"]);
    let all = client.list_all_by_id(&pager).await.unwrap();
    assert_eq!(all.len(), 122, "tasks 101, 102 and 200..320");
    let ids: Vec<String> = all
        .iter()
        .map(|raw| {
            serde_json::from_str::<Value>(raw.get()).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.first().map(String::as_str), Some("101"));
    assert_eq!(ids.last().map(String::as_str), Some("319"));
    let sent = fake.http_requests();
    assert_eq!(sent.len(), 3, "50 + 50 + 22");
    for (page, request) in sent.iter().enumerate() {
        let body = request.body();
        assert_eq!(body["start"], -1, "page {page}: no COUNT");
        assert_eq!(body["order"], json!({"ID": "ASC"}));
        assert_eq!(body["select"], json!(["ID", "TITLE", "STATUS"]));
    }
    assert_eq!(sent[0].body()["filter"], json!({}));
    assert_eq!(sent[1].body()["filter"], json!({">ID": 247}));
    assert_eq!(sent[2].body()["filter"], json!({">ID": 297}));
}

#[tokio::test]
async fn users_are_paged_by_their_upper_case_id() {
    let (fake, client) = portal().await;
    for id in 10..70 {
        let mut u = FakeUser::new(id, "N", "L", &format!("u{id}@agency.example"));
        u.active = id % 2 == 0;
        fake.add_user(u);
    }
    let mut filter = Map::new();
    filter.insert("ACTIVE".into(), json!(true));
    let all = client
        .list_all_by_id(&IdPager::users(filter))
        .await
        .unwrap();
    assert_eq!(all.len(), 32, "users 1 and 7, and the 30 even ones");
    let sent = fake.calls_of("user.get");
    assert_eq!(sent[0].body()["sort"], "ID");
    assert_eq!(sent[0].body()["order"], "ASC");
    assert_eq!(sent[0].body()["FILTER"], json!({"ACTIVE": true}));
}

#[tokio::test]
async fn offset_paging_reports_total_and_next() {
    let (fake, client) = portal().await;
    for id in 10..70 {
        fake.add_user(FakeUser::new(
            id,
            "N",
            "L",
            &format!("u{id}@agency.example"),
        ));
    }
    let first = client.call("user.get", &json!({"start": 0})).await.unwrap();
    assert_eq!((first.total, first.next), (Some(62), Some(50)));
    let second = client
        .call("user.get", &json!({"start": 50}))
        .await
        .unwrap();
    assert_eq!((second.total, second.next), (Some(62), None));
    assert_eq!(second.value().as_array().unwrap().len(), 12);
}
