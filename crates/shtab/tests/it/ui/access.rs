//! A person's access page in a real browser: grant a server login, see it pending, revoke
//! it, see it revoked.

use serde_json::json;
use shtab_core::auth::Role;

use super::{log_in, shot};
use crate::access::{IVAN_KEY, admin_api, person, resource};
use crate::browser;
use crate::testkit::TestApp;

#[tokio::test]
async fn an_admin_grants_a_server_login_and_revokes_it() {
    let Some(b) = browser::browser().await else {
        eprintln!("skipped: no chromedriver");
        return;
    };
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван Петров", "ivan@agency.test", &[IVAN_KEY]).await;
    resource(
        &api,
        json!({"name": "Веб-серверы", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    app.create_user("boss@agency.test", "Анна Начальникова", &[Role::Admin])
        .await;
    log_in(&b, &app, "boss@agency.test", None).await;

    b.goto(&app.url("/access")).await;
    b.wait_for_text("#people", "Иван Петров").await;
    b.click_and_load(&format!("#people a[href='/access/people/{ivan}']"))
        .await;
    b.wait_for_text("h1", "Иван Петров").await;

    // A login that is not a unix name comes back with the error next to it.
    b.fill("#login", "Иван Петров").await;
    b.click_and_load("#grant-submit").await;
    b.wait_for_text("#login-error", "недопустимое имя пользователя Unix")
        .await;

    b.fill("#login", "ivan").await;
    b.fill("#groups", "dev").await;
    b.fill("#reason", "дежурства").await;
    b.click_and_load("#grant-submit").await;
    b.wait_for_text(".flash-ok", "Доступ выдан").await;
    let state = b
        .wait_for_text("#grants tbody tr .grant-state", "ожидает")
        .await;
    assert!(state.contains("ожидает"));
    b.screenshot(shot("access-granted")).await;

    b.click_and_load("#grants tbody tr button.revoke").await;
    b.wait_for_text(".flash-ok", "Доступ отозван").await;
    b.wait_for_text("#grants tbody tr .grant-state", "отозван")
        .await;
    assert!(
        !b.exists("#grants tbody tr button.revoke").await,
        "nothing left to revoke"
    );
    b.screenshot(shot("access-revoked")).await;
    b.close().await;
}
