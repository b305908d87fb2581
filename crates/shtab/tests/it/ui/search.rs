//! The header's search in a real browser: `/` puts the cursor in it from anywhere on the
//! page, typing shows results grouped by kind under it (htmx, from this server), each a
//! link to its page.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use serde_json::json;
use shtab_core::auth::Role;

use super::{log_in, shot};
use crate::browser;
use crate::testkit::TestApp;

#[tokio::test]
async fn slash_focuses_the_search_and_typing_shows_grouped_results() {
    let Some(b) = browser::browser().await else {
        eprintln!("skipped: no chromedriver");
        return;
    };
    let app = TestApp::spawn().await;
    let api = app.token_as("root@agency.test", &[Role::Admin]).await;
    let person = crate::access::person(&api, "Фёдор Набережный", "fedor@agency.test", &[]).await;
    let task = crate::vcs::new_task(&api, "Набережная: поправить меню").await;
    app.create_user("boss@agency.test", "Анна Начальникова", &[Role::Admin])
        .await;
    log_in(&b, &app, "boss@agency.test", None).await;

    // Nothing has the focus; "/" gives it to the search box.
    let keys = KeyActions::new("keyboard".to_string())
        .then(KeyAction::Down { value: '/' })
        .then(KeyAction::Up { value: '/' });
    b.client().perform_actions(keys).await.expect("press /");
    let focused = b
        .eval("return document.activeElement && document.activeElement.id")
        .await;
    assert_eq!(
        focused,
        json!("global-search"),
        "/ focuses the header's search"
    );
    // The slash itself is not typed into the box.
    assert_eq!(
        b.eval("return document.activeElement.value").await,
        json!("")
    );

    let typing = b.client().active_element().await.expect("the focused box");
    typing.send_keys("набережн").await.expect("type");
    let results = b
        .wait_for_text("#global-search-results", "Фёдор Набережный")
        .await;
    // Group headings are drawn in capitals; their text is as written.
    let lower = results.to_lowercase();
    assert!(
        lower.contains("люди") && lower.contains("задачи"),
        "{results}"
    );
    assert!(results.contains("Набережная: поправить меню"), "{results}");
    let groups = b
        .eval("return Array.from(document.querySelectorAll('#global-search-results [data-group] h3')).map(h => h.textContent)")
        .await;
    assert_eq!(groups, json!(["Люди", "Задачи"]));
    let links = b
        .eval("return Array.from(document.querySelectorAll('#global-search-results a')).map(a => a.getAttribute('href'))")
        .await;
    assert_eq!(
        links,
        json!([format!("/people/{person}"), format!("/tasks/{task}")])
    );
    b.screenshot(shot("global-search")).await;

    // The page did not change: the results came in place.
    assert_eq!(b.current_url().await, app.url("/"));
    b.close().await;
}
