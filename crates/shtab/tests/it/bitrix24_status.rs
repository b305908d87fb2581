//! The Bitrix24 settings page and status API against the fake portal: whose webhook it is,
//! the scopes it has against those the enabled systems need, a wrong webhook code, the page
//! without a portal, and that only admins may see or check any of it.

use shtab_bitrix24::fake::{FakePortal, FakeUser, WEBHOOK_USER};
use shtab_core::auth::Role;
use shtab_core::config::{Secret, SystemOfRecord};

use crate::testkit::{TestApp, json};

async fn hub_on(portal: &FakePortal, webhook: String, tasks: SystemOfRecord) -> TestApp {
    let _ = portal;
    TestApp::spawn_with(move |c| {
        c.bitrix24.webhook_url = Secret::new(webhook);
        c.systems.tasks = tasks;
    })
    .await
}

#[tokio::test]
async fn a_check_names_the_webhooks_owner_and_the_scopes_granted() {
    let portal = FakePortal::start().await;
    let mut owner = FakeUser::new(WEBHOOK_USER, "Ольга", "Смирнова", "olga@agency.test");
    owner.position = "Директор".into();
    portal.add_user(owner);
    portal.grant_scopes(&["task", "user", "im"]);
    let app = hub_on(&portal, portal.webhook_url(), SystemOfRecord::Bitrix24).await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;

    let before = json(api.get("/api/v1/bitrix24/status"), 200).await;
    assert_eq!(before["configured"], true);
    assert_eq!(before["mode"], "webhook");
    assert!(before.get("connection").is_none(), "{before}");
    assert_eq!(before["portal"], portal.origin());
    assert!(before.get("check").is_none(), "nothing asked yet: {before}");
    assert!(
        portal.calls().is_empty(),
        "the status asks the portal nothing"
    );
    assert!(
        !before
            .to_string()
            .contains(shtab_bitrix24::fake::WEBHOOK_CODE),
        "the webhook's code never leaves the hub"
    );

    let after = json(api.post("/api/v1/bitrix24/check"), 200).await;
    assert_eq!(after["check"]["ok"], true, "{after}");
    assert_eq!(after["check"]["owner"]["id"], 1);
    assert_eq!(after["check"]["owner"]["name"], "Ольга Смирнова");
    assert_eq!(after["check"]["owner"]["admin"], true);
    assert_eq!(
        after["check"]["granted_scopes"],
        serde_json::json!(["task", "user", "im"])
    );
    assert_eq!(after["missing_scopes"], serde_json::json!([]));
    let task = after["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scope"] == "task")
        .unwrap()
        .clone();
    assert_eq!(task["required"], true);
    assert_eq!(task["granted"], true);
    assert!(after.get("last_error").is_none(), "{after}");
    assert_eq!(after["budget"]["burst"], 50.0);
    assert_eq!(after["budget"]["configured_rate"], 2.0);

    // What Shtab asked: who it is, then its scopes; no secret in any address.
    let asked: Vec<String> = portal.calls().iter().map(|c| c.method.clone()).collect();
    assert_eq!(asked, ["profile", "scope"]);
    assert!(portal.calls().iter().all(|c| c.query.is_none()));

    // The status now shows the same, without asking again.
    let status = json(api.get("/api/v1/bitrix24/status"), 200).await;
    assert_eq!(status["check"]["owner"]["id"], 1);
    assert_eq!(portal.calls().len(), 2);

    let web = app.admin().await;
    let page = web.get_text("/settings/bitrix24").await;
    assert!(page.contains("<h1>Битрикс24</h1>"), "Russian by default");
    assert!(page.contains("Ольга Смирнова (ID 1, администратор портала)"));
    assert!(page.contains(&portal.origin()));
    assert!(page.contains("Ошибок нет."));
}

#[tokio::test]
async fn a_missing_scope_is_named_against_the_system_that_needs_it() {
    let portal = FakePortal::start().await;
    portal.grant_scopes(&["user", "im"]);
    let app = hub_on(&portal, portal.webhook_url(), SystemOfRecord::Bitrix24).await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let after = json(api.post("/api/v1/bitrix24/check"), 200).await;
    assert_eq!(
        after["missing_scopes"],
        serde_json::json!(["task"]),
        "{after}"
    );

    let web = app.admin().await;
    let page = web
        .post_form("/settings/bitrix24/check", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Не хватает прав: task"), "{page}");

    // With tasks kept in Shtab the same webhook lacks nothing.
    let shtab_tasks = hub_on(&portal, portal.webhook_url(), SystemOfRecord::Shtab).await;
    let api = shtab_tasks
        .token_as("boss@agency.test", &[Role::Admin])
        .await;
    let after = json(api.post("/api/v1/bitrix24/check"), 200).await;
    assert_eq!(after["missing_scopes"], serde_json::json!([]), "{after}");
}

#[tokio::test]
async fn a_wrong_webhook_code_is_told_as_such() {
    let portal = FakePortal::start().await;
    let wrong = format!("{}/rest/{WEBHOOK_USER}/notthecode1/", portal.origin());
    let app = hub_on(&portal, wrong, SystemOfRecord::Shtab).await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let after = json(api.post("/api/v1/bitrix24/check"), 200).await;
    assert_eq!(after["check"]["ok"], false, "{after}");
    assert_eq!(after["last_error"]["kind"], "wrong_webhook_code");
    assert!(
        after["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("bitrix24.webhook_url"),
        "{after}"
    );
    assert!(
        !after.to_string().contains("notthecode1"),
        "no secret shown"
    );

    let web = app.login_as("en@agency.test", &[Role::Admin]).await;
    web.post_form("/settings", &[("locale", "en")]).await;
    let page = web.get_text("/settings/bitrix24").await;
    assert!(page.contains("the portal refused"), "{page}");
    assert!(page.contains("wrong_webhook_code"));
}

#[tokio::test]
async fn without_a_portal_the_page_says_how_to_connect_one() {
    let app = TestApp::spawn().await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let status = json(api.get("/api/v1/bitrix24/status"), 200).await;
    assert_eq!(status["configured"], false);
    assert_eq!(status["mode"], "none");
    assert!(
        status["problem"]
            .as_str()
            .unwrap()
            .contains("bitrix24.webhook_url")
    );
    let refused = json(api.post("/api/v1/bitrix24/check"), 409).await;
    assert_eq!(refused["error"]["code"], "conflict");
    let page = app.admin().await.get_text("/settings/bitrix24").await;
    assert!(page.contains("Портал Битрикс24 не подключён."), "{page}");
    assert!(page.contains("Входящий вебхук"));

    let app_mode = TestApp::spawn_with(|c| {
        c.bitrix24.portal_url = "https://agency.bitrix24.ru".into();
        c.bitrix24.client_id = "local.1".into();
    })
    .await;
    let api = app_mode.token_as("boss@agency.test", &[Role::Admin]).await;
    let status = json(api.get("/api/v1/bitrix24/status"), 200).await;
    assert_eq!(status["mode"], "application");
    assert!(
        status["problem"]
            .as_str()
            .unwrap()
            .ends_with("missing: bitrix24.client_secret"),
        "{status}"
    );
}

#[tokio::test]
async fn only_admins_see_or_check_the_portal() {
    let portal = FakePortal::start().await;
    let app = hub_on(&portal, portal.webhook_url(), SystemOfRecord::Shtab).await;
    for role in [Role::Manager, Role::Accountant, Role::Developer] {
        let who = format!("{}@agency.test", role.as_str());
        let api = app.token_as(&who, &[role]).await;
        let e = json(api.get("/api/v1/bitrix24/status"), 403).await;
        assert_eq!(e["error"]["code"], "forbidden");
        json(api.post("/api/v1/bitrix24/check"), 403).await;
        let web = app.login(&who, crate::testkit::PASSWORD).await;
        assert_eq!(web.get("/settings/bitrix24").await.status(), 403);
        assert_eq!(
            web.post_form("/settings/bitrix24/check", &[])
                .await
                .status(),
            403
        );
        assert!(
            !web.get_text("/").await.contains("/settings/bitrix24"),
            "no link for {who}"
        );
    }
    // A forged form without the session's CSRF token checks nothing.
    let admin = app.admin().await;
    let forged = admin
        .http
        .post(admin.url("/settings/bitrix24/check"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(portal.calls().is_empty(), "nobody reached the portal");
    assert!(admin.get_text("/").await.contains("/settings/bitrix24"));
}
