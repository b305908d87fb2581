//! The access pages over HTTP, as a browser submits them: resources, a person's grants
//! (with field errors in Russian), a server's token shown once, a VPN device's configuration
//! and QR code shown once, offboarding with its steps, and the English interface.

use serde_json::json;

use crate::access::{IVAN_KEY, admin_api, person};
use crate::testkit::{TestApp, json};

#[tokio::test]
async fn an_admin_grants_and_revokes_through_the_pages_and_sees_each_state() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let web = app.admin().await;
    let ivan = person(&api, "Иван Петров", "ivan@agency.test", &[IVAN_KEY]).await;

    let r = web
        .post_form(
            "/access/resources",
            &[
                ("name", "Веб-серверы"),
                ("kind", "ssh"),
                ("connector", ""),
                ("settings", r#"{"target": "web"}"#),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let overview = web.get_text("/access").await;
    assert!(overview.contains("<h1>Доступы</h1>"), "Russian by default");
    assert!(overview.contains("Веб-серверы") && overview.contains("ssh → web"));
    assert!(overview.contains(&format!("/access/people/{ivan}")));

    let bad = web
        .post_form(
            "/access/resources",
            &[("name", "VPN"), ("kind", "vpn"), ("settings", r#"{"endpoint": "x", "server_public_key": "short", "subnet": "10.0.0.0/40", "gateway": "gw"}"#)],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let bad = bad.text().await.unwrap();
    assert!(
        bad.contains("подсеть IPv4"),
        "the subnet's error, in Russian"
    );
    assert!(bad.contains("открытый ключ WireGuard"));

    let resources = json(api.get("/api/v1/access/resources"), 200).await;
    let resource_id = resources["items"][0]["id"].as_i64().unwrap().to_string();

    let page = format!("/access/people/{ivan}");
    let refused = web
        .post_form(
            &page,
            &[
                ("resource_id", &resource_id),
                ("login", "Иван"),
                ("shell", "/bin/bash"),
                ("expires_on", ""),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains("недопустимое имя пользователя Unix"),
        "the login's error in Russian"
    );
    assert!(
        refused.contains("value=\"Иван\""),
        "the form keeps what was typed"
    );

    let r = web
        .post_form(
            &page,
            &[
                ("resource_id", &resource_id),
                ("login", "ivan"),
                ("sudo", "1"),
                ("shell", "/bin/bash"),
                ("groups", "dev"),
                ("expires_on", "2099-12-31"),
                ("reason", "дежурства"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("{page}?done=granted").as_str()
    );
    let shown = web.get_text(&format!("{page}?done=granted")).await;
    assert!(shown.contains("Доступ выдан."));
    assert!(shown.contains("data-state=\"pending\""));
    assert!(
        shown.contains("ожидает")
            && shown.contains("дежурства")
            && shown.contains("31.12.2099 23:59"),
        "{shown}"
    );

    let grants = json(
        api.get(&format!("/api/v1/access/grants?person_id={ivan}")),
        200,
    )
    .await;
    let grant_id = grants["items"][0]["id"].as_i64().unwrap();
    let r = web
        .post_form(&format!("/access/grants/{grant_id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let shown = web.get_text(&format!("{page}?done=revoked")).await;
    assert!(shown.contains("Доступ отозван."));
    assert!(
        shown.contains("data-state=\"revoked\""),
        "no server reaches it: nothing to take back"
    );

    // English on request.
    web.post_form("/lang", &[("lang", "en"), ("next", "/access")])
        .await;
    let english = web.get_text(&page).await;
    assert!(
        english.contains("Grants") && english.contains("revoked"),
        "{english}"
    );
}

#[tokio::test]
async fn a_server_token_and_a_device_configuration_are_shown_once() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let web = app.admin().await;
    let ivan = person(&api, "Иван Петров", "ivan@agency.test", &[]).await;

    let created = web
        .post_form(
            "/access/servers",
            &[("name", "gw"), ("address", "10.0.0.1"), ("groups", "vpn")],
        )
        .await;
    assert_eq!(created.status(), 200);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let created = created.text().await.unwrap();
    assert!(
        created.contains("id=\"agent-token\""),
        "the token is on the answer"
    );
    let servers = json(api.get("/api/v1/access/servers"), 200).await;
    let id = servers["items"][0]["id"].as_i64().unwrap();
    let again = web.get_text(&format!("/access/servers/{id}")).await;
    assert!(!again.contains("agent-token"), "and never again");
    let list = web.get_text("/access/servers").await;
    assert!(list.contains("gw") && list.contains("10.0.0.1"));
    let edited = web
        .post_form(
            &format!("/access/servers/{id}"),
            &[
                ("name", "gw"),
                ("address", "10.0.0.9"),
                ("groups", "vpn, edge"),
            ],
        )
        .await;
    assert_eq!(edited.status(), 303);
    let page = web.get_text(&format!("/access/servers/{id}")).await;
    assert!(page.contains("10.0.0.9") && page.contains("vpn, edge"));
    let refused = web
        .post_form(&format!("/access/servers/{id}"), &[("name", "Gw Bad")])
        .await;
    assert_eq!(refused.status(), 422);
    let bad = web
        .post_form("/access/servers", &[("name", "Bad Name"), ("groups", "")])
        .await;
    assert_eq!(bad.status(), 422);

    let vpn = json(
        api.post("/api/v1/access/resources").json(&json!({"name": "VPN", "kind": "vpn", "settings": {
            "endpoint": "vpn.agency.test:51820", "server_public_key": "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",
            "subnet": "10.7.0.0/30", "gateway": "gw"}})),
        201,
    )
    .await;
    let g = json(
        api.post("/api/v1/access/grants")
            .json(&json!({"person_id": ivan, "resource_id": vpn["id"]})),
        201,
    )
    .await;
    let grant_id = g["id"].as_i64().unwrap().to_string();
    let device = web
        .post_form(
            &format!("/access/people/{ivan}/devices"),
            &[("grant_id", &grant_id), ("name", "Ноутбук")],
        )
        .await;
    assert_eq!(device.status(), 200);
    assert_eq!(device.headers()["cache-control"], "no-store");
    let device = device.text().await.unwrap();
    assert!(device.contains("<svg"), "the QR code");
    assert!(
        device.contains("href=\"data:text/plain;base64,"),
        "the configuration as a file"
    );
    assert!(device.contains("10.7.0.2"));
    let person_page = web.get_text(&format!("/access/people/{ivan}")).await;
    assert!(person_page.contains("10.7.0.2") && !person_page.contains("data:text/plain"));

    let full = web
        .post_form(
            &format!("/access/people/{ivan}/devices"),
            &[("grant_id", &grant_id), ("name", "Телефон")],
        )
        .await;
    assert_eq!(full.status(), 422);
    assert!(
        full.text()
            .await
            .unwrap()
            .contains("в подсети не осталось свободных адресов")
    );

    // Offboarding: the confirmation lists what goes, the answer every step.
    let confirm = web
        .get_text(&format!("/access/people/{ivan}/offboard"))
        .await;
    let listed = confirm.split("id=\"to-revoke\"").nth(1).unwrap_or_default();
    assert!(listed.contains("<li>VPN"), "{listed}");
    let done = web
        .post_form(
            &format!("/access/people/{ivan}/offboard"),
            &[("left_on", "2026-11-24")],
        )
        .await;
    assert_eq!(done.status(), 200);
    let done = done.text().await.unwrap();
    assert!(done.contains("id=\"steps\""));
    assert!(
        done.contains("mark_left") && done.contains("left on 2026-11-24"),
        "{done}"
    );
    let p = json(api.get(&format!("/api/v1/people/{ivan}")), 200).await;
    assert_eq!(p["status"], "left");
    assert_eq!(p["left_on"], "2026-11-24");
}
