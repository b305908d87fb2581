//! A renamed portal answers 302: the call is repeated once at the new address with its body
//! (a followed redirect would have turned it into a GET without one), and the client says the
//! address should be updated.

use serde_json::json;
use shtab_bitrix24::client::Bitrix24Error;
use shtab_bitrix24::fake::{FakePortal, FakeTask, WEBHOOK_CODE};

use super::portal;

#[tokio::test]
async fn a_renamed_portal_gets_the_same_call_once_at_its_new_address() {
    let (old, client) = portal().await;
    let new = FakePortal::start().await;
    new.add_task(FakeTask::new(101, "Landing page"));
    new.add_task(FakeTask::new(555, "Not asked for"));
    old.rename_to(&new);

    let params = json!({"filter": {"ID": [101]}, "select": ["ID", "TITLE"]});
    let answer = client.call("tasks.task.list", &params).await.unwrap();
    let tasks = answer.value()["tasks"].as_array().unwrap().clone();
    assert_eq!(
        tasks.len(),
        1,
        "filtered, not an unfiltered list: {tasks:?}"
    );
    assert_eq!(tasks[0]["id"], "101");
    let repeated = new.http_requests();
    assert_eq!(repeated.len(), 1);
    assert_eq!(repeated[0].body(), params, "the body went along");
    assert_eq!(client.moved_to().unwrap().as_str(), new.origin());

    // Later calls go to the new address directly.
    client.call("profile", &()).await.unwrap();
    assert_eq!(old.http_requests().len(), 1);
    assert_eq!(new.http_requests().len(), 2);
}

#[tokio::test]
async fn a_redirect_to_plain_http_on_another_host_is_refused() {
    let (old, client) = portal().await;
    old.rename_to_address("http://portal.example");
    let err = client.call("profile", &()).await.unwrap_err();
    assert!(matches!(err, Bitrix24Error::Redirect { .. }), "{err:?}");
    assert!(err.to_string().contains("https"), "{err}");
    assert!(!err.to_string().contains(WEBHOOK_CODE), "{err}");
    assert_eq!(client.moved_to(), None);
}

#[tokio::test]
async fn a_second_redirect_is_not_followed() {
    let (a, client) = portal().await;
    let b = FakePortal::start().await;
    a.rename_to(&b);
    b.rename_to(&a);
    let err = client.call("profile", &()).await.unwrap_err();
    assert!(matches!(err, Bitrix24Error::Redirect { .. }), "{err:?}");
    assert!(err.to_string().contains("again"), "{err}");
    assert_eq!(a.http_requests().len() + b.http_requests().len(), 2);
}
