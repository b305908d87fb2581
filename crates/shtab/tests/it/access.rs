//! People & access through the API: grants and their states, connectors failing and
//! retried, the agents' API (tokens, ETag, reports), offboarding, expiry, WireGuard devices
//! and the Ansible inventory.

use serde_json::{Value, json};
use shtab_core::auth::Role;
use shtab_core::jobs;

use crate::testkit::{ApiClient, TestApp, json};

pub const IVAN_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPKmLfPPsGlMiFyrP+BlfOM59sM7staY1XH71gFF8glT ivan@laptop";

/// Runs every queued job (provisioning, robots) that is due now.
pub async fn drain(app: &TestApp) {
    let set = shtab::server::robot_set(&app.db, &app.config);
    let registry = shtab::server::job_registry(&app.db, &app.config, set);
    jobs::run_due(&app.db, &registry)
        .await
        .expect("run due jobs");
}

/// Makes every queued job due now, as if its backoff had passed.
async fn fast_forward(app: &TestApp) {
    sqlx::query("UPDATE jobs SET run_at = 0 WHERE state = 'queued'")
        .execute(app.db.pool())
        .await
        .unwrap();
}

pub async fn admin_api(app: &TestApp) -> ApiClient {
    app.token_as("root@agency.test", &[Role::Admin]).await
}

pub async fn person(api: &ApiClient, name: &str, email: &str, keys: &[&str]) -> i64 {
    let p = json(
        api.post("/api/v1/people")
            .json(&json!({"full_name": name, "emails": [email], "ssh_keys": keys})),
        201,
    )
    .await;
    p["id"].as_i64().unwrap()
}

pub async fn resource(api: &ApiClient, body: Value) -> i64 {
    json(api.post("/api/v1/access/resources").json(&body), 201).await["id"]
        .as_i64()
        .unwrap()
}

pub async fn grant(api: &ApiClient, body: Value) -> Value {
    json(api.post("/api/v1/access/grants").json(&body), 201).await
}

async fn grant_state(api: &ApiClient, id: i64) -> Value {
    let list = json(api.get("/api/v1/access/grants"), 200).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id)
        .cloned()
        .expect("the grant is listed")
}

/// Adds a server and returns (its id, its agent token).
pub async fn server(api: &ApiClient, name: &str, groups: &[&str]) -> (i64, String) {
    let s = json(
        api.post("/api/v1/access/servers")
            .json(&json!({"name": name, "address": "127.0.0.1", "groups": groups})),
        201,
    )
    .await;
    (
        s["server"]["id"].as_i64().unwrap(),
        s["token"].as_str().unwrap().to_string(),
    )
}

pub fn vpn_settings(subnet: &str) -> Value {
    json!({
        "endpoint": "vpn.agency.test:51820",
        "server_public_key": "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",
        "subnet": subnet,
        "dns": "10.8.0.1",
        "gateway": "gw",
    })
}

fn field_codes(body: &Value) -> Vec<(String, String)> {
    body["error"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap().to_string(),
                        e["code"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn bad_keys_logins_and_a_full_subnet_are_field_errors_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;

    let bad_key = json(
        api.post("/api/v1/people")
            .json(&json!({"full_name": "Иван", "emails": ["ivan@agency.test"], "ssh_keys": ["ssh-ed25519 not-base64!"]})),
        422,
    )
    .await;
    assert!(
        field_codes(&bad_key)
            .iter()
            .any(|(f, c)| f.starts_with("ssh_keys") && c == "invalid_ssh_key"),
        "{bad_key}"
    );

    let ivan = person(&api, "Иван Петров", "ivan@agency.test", &[IVAN_KEY]).await;
    let web = resource(
        &api,
        json!({"name": "Web servers", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    for bad in ["Ivan", "1ivan", "ivan petrov", "root;rm"] {
        let body = json(
            api.post("/api/v1/access/grants")
                .json(&json!({"person_id": ivan, "resource_id": web, "login": bad})),
            422,
        )
        .await;
        assert_eq!(
            field_codes(&body),
            vec![("login".to_string(), "invalid_login".to_string())],
            "{bad}: {body}"
        );
    }
    let bad_group = json(
        api.post("/api/v1/access/grants")
            .json(&json!({"person_id": ivan, "resource_id": web, "login": "ivan", "groups": ["ok", "Bad Group"]})),
        422,
    )
    .await;
    assert_eq!(field_codes(&bad_group)[0].0, "groups");
    let none = json(
        api.get(&format!("/api/v1/access/grants?person_id={ivan}")),
        200,
    )
    .await;
    assert_eq!(
        none["items"].as_array().unwrap().len(),
        0,
        "nothing was granted"
    );

    let bad_vpn = json(
        api.post("/api/v1/access/resources")
            .json(&json!({"name": "VPN", "kind": "vpn", "settings": vpn_settings("10.8.0.0/33")})),
        422,
    )
    .await;
    assert_eq!(
        field_codes(&bad_vpn),
        vec![("subnet".to_string(), "invalid_subnet".to_string())]
    );

    // A /30 has one address for devices: the first is the gateway's.
    let vpn = resource(
        &api,
        json!({"name": "VPN", "kind": "vpn", "settings": vpn_settings("10.9.0.0/30")}),
    )
    .await;
    let g = grant(&api, json!({"person_id": ivan, "resource_id": vpn})).await;
    let first = json(
        api.post("/api/v1/access/devices")
            .json(&json!({"grant_id": g["id"], "name": "Ноутбук"})),
        201,
    )
    .await;
    assert_eq!(first["device"]["address"], "10.9.0.2");
    let full = json(
        api.post("/api/v1/access/devices")
            .json(&json!({"grant_id": g["id"], "name": "Телефон"})),
        422,
    )
    .await;
    assert_eq!(
        field_codes(&full),
        vec![("address".to_string(), "subnet_full".to_string())]
    );
    let devices = json(
        api.get(&format!("/api/v1/access/people/{ivan}/devices")),
        200,
    )
    .await;
    assert_eq!(devices["items"].as_array().unwrap().len(), 1);
}

/// A command connector that fails while `fail` exists next to it, and records each call.
fn flaky_program(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("provision.sh");
    let script = format!(
        "#!/bin/sh\ncat >> {log}\necho >> {log}\nif [ -e {fail} ]; then echo 'mail server says no' >&2; exit 75; fi\necho \"done $SHTAB_ACTION\"\n",
        log = dir.join("calls.log").display(),
        fail = dir.join("fail").display(),
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[tokio::test]
async fn a_failing_connector_fails_only_its_grant_which_is_retried_while_others_proceed() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let flaky_dir = dir.path().join("flaky");
    let good_dir = dir.path().join("good");
    std::fs::create_dir_all(&flaky_dir).unwrap();
    std::fs::create_dir_all(&good_dir).unwrap();
    std::fs::write(flaky_dir.join("fail"), "").unwrap();
    let flaky = flaky_program(&flaky_dir);
    let good = flaky_program(&good_dir);

    let ivan = person(&api, "Иван Петров", "ivan.petrov@agency.test", &[]).await;
    let mail = resource(
        &api,
        json!({"name": "Mail", "kind": "connector", "connector": "command", "settings": {"program": flaky.to_str().unwrap()}}),
    )
    .await;
    let chat = resource(
        &api,
        json!({"name": "Chat", "kind": "connector", "connector": "command", "settings": {"program": good.to_str().unwrap()}}),
    )
    .await;
    let mail_grant = grant(
        &api,
        json!({"person_id": ivan, "resource_id": mail, "reason": "new hire"}),
    )
    .await;
    let chat_grant = grant(&api, json!({"person_id": ivan, "resource_id": chat})).await;
    assert_eq!(mail_grant["state"], "pending");
    assert_eq!(
        mail_grant["login"], "ivan.petrov",
        "the work e-mail's local part"
    );

    drain(&app).await;
    let failed = grant_state(&api, mail_grant["id"].as_i64().unwrap()).await;
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("mail server says no"),
        "{failed}"
    );
    assert_eq!(failed["attempts"], 1);
    let applied = grant_state(&api, chat_grant["id"].as_i64().unwrap()).await;
    assert_eq!(applied["state"], "applied");
    assert_eq!(applied["note"], "done grant");
    // The program got the grant on stdin.
    let calls = std::fs::read_to_string(good_dir.join("calls.log")).unwrap();
    assert!(calls.contains("\"login\":\"ivan.petrov\""), "{calls}");

    // Still failing at the retry: attempts count up, the state stays failed.
    fast_forward(&app).await;
    drain(&app).await;
    assert_eq!(
        grant_state(&api, mail_grant["id"].as_i64().unwrap()).await["attempts"],
        2
    );

    // The mail server is back: the next retry applies it.
    std::fs::remove_file(flaky_dir.join("fail")).unwrap();
    fast_forward(&app).await;
    drain(&app).await;
    let ok = grant_state(&api, mail_grant["id"].as_i64().unwrap()).await;
    assert_eq!(ok["state"], "applied", "{ok}");
    assert_eq!(ok["error"], "");
    assert_eq!(ok["attempts"], 3);

    // Revoking runs the program again with the revoke action.
    let revoking = json(
        api.post(&format!("/api/v1/access/grants/{}/revoke", ok["id"])),
        200,
    )
    .await;
    assert_eq!(revoking["state"], "revoking");
    drain(&app).await;
    let revoked = grant_state(&api, ok["id"].as_i64().unwrap()).await;
    assert_eq!(revoked["state"], "revoked");
    assert_eq!(revoked["note"], "done revoke");
    json(
        api.post(&format!("/api/v1/access/grants/{}/revoke", ok["id"])),
        409,
    )
    .await;
}

/// A mailbox connector's stand-in: answers a grant with the first password it made.
fn mailbox_program(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("mailbox.sh");
    let script = "#!/bin/sh\ncat > /dev/null\nif [ \"$SHTAB_ACTION\" = grant ]; then \
        echo '{\"state\": {\"mailbox\": \"ivan\"}, \"note\": \"mailbox created\", \"secret_for_person\": \"Xq7-first-pass\"}'; \
        else echo '{\"state\": {\"mailbox\": \"ivan\"}, \"note\": \"mailbox disabled\"}'; fi\n";
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[tokio::test]
async fn a_new_mailboxs_first_password_is_shown_once_and_then_forgotten() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let program = mailbox_program(dir.path());
    let ivan = person(&api, "Иван Петров", "ivan.petrov@agency.test", &[]).await;
    let mail = resource(
        &api,
        json!({"name": "Mail", "kind": "connector", "connector": "command", "settings": {"program": program.to_str().unwrap()}}),
    )
    .await;
    let mail2 = resource(
        &api,
        json!({"name": "Client mail", "kind": "connector", "connector": "command", "settings": {"program": program.to_str().unwrap()}}),
    )
    .await;
    let first = grant(&api, json!({"person_id": ivan, "resource_id": mail})).await;
    let second = grant(&api, json!({"person_id": ivan, "resource_id": mail2})).await;
    drain(&app).await;
    let (first, second) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    let applied = grant_state(&api, first).await;
    assert_eq!(applied["state"], "applied");
    assert_eq!(applied["has_first_secret"], true);
    // Nowhere in the grant's answer or on the page is the password itself.
    assert!(!applied.to_string().contains("Xq7-first-pass"));
    let web = app.admin().await;
    let page = web.get_text(&format!("/access/people/{ivan}")).await;
    assert!(page.contains("Показать пароль") && !page.contains("Xq7-first-pass"));

    // Over the API: once, then 404.
    let shown = json(
        api.post(&format!("/api/v1/access/grants/{first}/first-secret")),
        200,
    )
    .await;
    assert_eq!(shown["secret"], "Xq7-first-pass");
    json(
        api.post(&format!("/api/v1/access/grants/{first}/first-secret")),
        404,
    )
    .await;
    assert_eq!(grant_state(&api, first).await["has_first_secret"], false);

    // On the page: once, then "already shown".
    let shown = web
        .post_form(&format!("/access/grants/{second}/first-secret"), &[])
        .await;
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    assert!(shown.text().await.unwrap().contains("Xq7-first-pass"));
    let again = web
        .post_form(&format!("/access/grants/{second}/first-secret"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(!again.contains("Xq7-first-pass") && again.contains("уже был показан"));
    let audit: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'access.first_secret_shown'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(audit, 2);
}

#[tokio::test]
async fn a_failed_grant_can_be_retried_at_once_by_hand() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fail"), "").unwrap();
    let program = flaky_program(dir.path());
    let ivan = person(&api, "Иван", "ivan@agency.test", &[]).await;
    let mail = resource(
        &api,
        json!({"name": "Mail", "kind": "connector", "connector": "command", "settings": {"program": program.to_str().unwrap()}}),
    )
    .await;
    let g = grant(&api, json!({"person_id": ivan, "resource_id": mail})).await;
    drain(&app).await;
    assert_eq!(
        grant_state(&api, g["id"].as_i64().unwrap()).await["state"],
        "failed"
    );
    std::fs::remove_file(dir.path().join("fail")).unwrap();
    let retried = json(
        api.post(&format!("/api/v1/access/grants/{}/retry", g["id"])),
        200,
    )
    .await;
    assert_eq!(retried["state"], "pending");
    drain(&app).await;
    assert_eq!(
        grant_state(&api, g["id"].as_i64().unwrap()).await["state"],
        "applied"
    );
}

fn agent(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, app.url(&format!("/agent/v1/{path}")))
        .bearer_auth(token)
}

async fn server_row(app: &TestApp, id: i64) -> (Option<i64>, String, String) {
    sqlx::query_as(
        "SELECT last_seen_at, applied_revision, hostname FROM access_servers WHERE id = $1",
    )
    .bind(id)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn the_agent_api_refuses_wrong_and_revoked_tokens_answers_304_and_takes_reports() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван Петров", "ivan@agency.test", &[IVAN_KEY]).await;
    let web = resource(
        &api,
        json!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    let (id, token) = server(&api, "web1", &["web"]).await;
    let g = grant(&api, json!({"person_id": ivan, "resource_id": web, "login": "ivan", "sudo": true, "groups": ["dev"]})).await;
    assert_eq!(g["state"], "pending");

    // Wrong tokens: 401, and the server is not marked as seen.
    for wrong in ["", "nope", &format!("{token}x")] {
        let r = agent(&app, wrong, reqwest::Method::GET, "state")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{wrong}");
        let r = agent(&app, wrong, reqwest::Method::POST, "report")
            .json(&json!({"revision": "x", "applied": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    assert_eq!(
        server_row(&app, id).await,
        (None, String::new(), String::new())
    );

    let registered: Value = agent(&app, &token, reqwest::Method::POST, "register")
        .json(&json!({"hostname": "web1.agency.test", "agent_version": "0.1.0"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(registered["server"], "web1");

    let r = agent(&app, &token, reqwest::Method::GET, "state")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let state: Value = r.json().await.unwrap();
    let revision = state["revision"].as_str().unwrap().to_string();
    assert_eq!(etag, format!("\"{revision}\""));
    assert_eq!(state["server"], "web1");
    let account = &state["accounts"][0];
    assert_eq!(account["login"], "ivan");
    assert_eq!(account["uid"], 20000);
    assert_eq!(account["sudo"], true);
    assert_eq!(account["groups"], json!(["dev"]));
    assert_eq!(account["state"], "present");
    assert_eq!(account["keys"], json!([IVAN_KEY]));

    let again = agent(&app, &token, reqwest::Method::GET, "state")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // A run that failed somewhere does not count as applied, whatever revision it names.
    let failed = json!({"revision": revision, "applied": [],
        "drift": [], "errors": ["ivan: useradd exited with 1"]});
    let r = agent(&app, &token, reqwest::Method::POST, "report")
        .json(&failed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        grant_state(&api, g["id"].as_i64().unwrap()).await["state"],
        "pending"
    );

    let report = json!({"revision": revision, "applied": [{"target": "ivan", "action": "create", "detail": "uid 20000"}],
        "drift": ["ivan: unmanaged key in ~/.ssh/authorized_keys"], "errors": []});
    let r = agent(&app, &token, reqwest::Method::POST, "report")
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        grant_state(&api, g["id"].as_i64().unwrap()).await["state"],
        "applied"
    );
    let s = json(api.get(&format!("/api/v1/access/servers/{id}")), 200).await;
    assert_eq!(s["applied_revision"], s["desired_revision"]);
    assert_eq!(s["in_sync"], true);
    let applied = s["applied_revision"].as_str().unwrap().to_string();
    assert_eq!(s["hostname"], "web1.agency.test");
    assert_eq!(
        s["drift"],
        json!(["ivan: unmanaged key in ~/.ssh/authorized_keys"])
    );

    // The server's page shows the report.
    let web_client = app.admin().await;
    let page = web_client.get_text(&format!("/access/servers/{id}")).await;
    assert!(
        page.contains(&applied),
        "the applied revision is on the page"
    );
    assert!(page.contains("unmanaged key"), "the drift is on the page");

    // Revoking changes the revision: the account is locked, its keys gone.
    json(
        api.post(&format!("/api/v1/access/grants/{}/revoke", g["id"])),
        200,
    )
    .await;
    let r = agent(&app, &token, reqwest::Method::GET, "state")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let locked: Value = r.json().await.unwrap();
    assert_ne!(locked["revision"], revision.as_str());
    assert_eq!(locked["accounts"][0]["state"], "locked");
    assert_eq!(locked["accounts"][0]["keys"], json!([]));
    assert_eq!(
        grant_state(&api, g["id"].as_i64().unwrap()).await["state"],
        "revoking"
    );
    let r = agent(&app, &token, reqwest::Method::POST, "report")
        .json(&json!({"revision": locked["revision"], "applied": [{"target": "ivan", "action": "lock"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        grant_state(&api, g["id"].as_i64().unwrap()).await["state"],
        "revoked"
    );

    // A revoked token: 401, and the report is not recorded.
    let before = server_row(&app, id).await;
    let r = api
        .delete(&format!("/api/v1/access/servers/{id}/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = agent(&app, &token, reqwest::Method::POST, "report")
        .json(&json!({"revision": "forged", "applied": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        agent(&app, &token, reqwest::Method::GET, "state")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(server_row(&app, id).await, before);

    // A rotated token works again; the old one still does not.
    let rotated = json(api.post(&format!("/api/v1/access/servers/{id}/token")), 200).await;
    let new_token = rotated["token"].as_str().unwrap();
    assert_eq!(
        agent(&app, new_token, reqwest::Method::GET, "state")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        agent(&app, &token, reqwest::Method::GET, "state")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let stored: Option<String> =
        sqlx::query_scalar("SELECT token_hash FROM access_servers WHERE id = $1")
            .bind(id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_ne!(
        stored.as_deref(),
        Some(new_token),
        "only a hash of the token is kept"
    );
}

#[tokio::test]
async fn uids_are_allocated_once_per_login_and_a_login_belongs_to_one_person() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван", "ivan@agency.test", &[IVAN_KEY]).await;
    let olga = person(&api, "Ольга", "olga@agency.test", &[]).await;
    let web = resource(
        &api,
        json!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    let db = resource(
        &api,
        json!({"name": "DB", "kind": "ssh", "settings": {"target": "db1"}}),
    )
    .await;
    grant(
        &api,
        json!({"person_id": ivan, "resource_id": web, "login": "ivan"}),
    )
    .await;
    grant(
        &api,
        json!({"person_id": olga, "resource_id": web, "login": "olga"}),
    )
    .await;
    grant(
        &api,
        json!({"person_id": ivan, "resource_id": db, "login": "ivan"}),
    )
    .await;
    let taken = json(
        api.post("/api/v1/access/grants")
            .json(&json!({"person_id": olga, "resource_id": db, "login": "ivan"})),
        422,
    )
    .await;
    assert_eq!(
        field_codes(&taken),
        vec![("login".to_string(), "duplicate_login".to_string())]
    );
    let (_, token) = server(&api, "db1", &[]).await;
    let state: Value = agent(&app, &token, reqwest::Method::GET, "state")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(
        state["accounts"][0]["uid"], 20000,
        "ivan's uid on every server"
    );
}

#[tokio::test]
async fn offboarding_revokes_everything_marks_the_person_left_and_audits_each_step() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let program = flaky_program(dir.path());
    let ivan = person(&api, "Иван Петров", "ivan@agency.test", &[IVAN_KEY]).await;
    let mail = resource(
        &api,
        json!({"name": "Mail", "kind": "connector", "connector": "command", "settings": {"program": program.to_str().unwrap()}}),
    )
    .await;
    let web = resource(
        &api,
        json!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    let vpn = resource(
        &api,
        json!({"name": "VPN", "kind": "vpn", "settings": vpn_settings("10.8.0.0/24")}),
    )
    .await;
    let (_, token) = server(&api, "web1", &["web"]).await;
    let (_, gw_token) = server(&api, "gw", &[]).await;
    grant(&api, json!({"person_id": ivan, "resource_id": mail})).await;
    grant(
        &api,
        json!({"person_id": ivan, "resource_id": web, "login": "ivan"}),
    )
    .await;
    let vpn_grant = grant(&api, json!({"person_id": ivan, "resource_id": vpn})).await;
    json(
        api.post("/api/v1/access/devices")
            .json(&json!({"grant_id": vpn_grant["id"], "name": "laptop"})),
        201,
    )
    .await;
    drain(&app).await;
    let gw: Value = agent(&app, &gw_token, reqwest::Method::GET, "state")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gw["wireguard"]["peers"].as_array().unwrap().len(), 1);

    let result = json(
        api.post(&format!("/api/v1/access/people/{ivan}/offboard"))
            .json(&json!({})),
        200,
    )
    .await;
    let steps = result["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4, "{result}");
    assert!(steps.iter().all(|s| s["outcome"] == "ok"), "{result}");
    assert_eq!(steps[3]["action"], "mark_left");

    drain(&app).await;
    let grants = json(
        api.get(&format!("/api/v1/access/grants?person_id={ivan}")),
        200,
    )
    .await;
    for g in grants["items"].as_array().unwrap() {
        assert!(g["revoked_at"].is_string(), "{g}");
        if g["resource_kind"] == "connector" {
            assert_eq!(g["state"], "revoked");
        }
    }
    let p = json(api.get(&format!("/api/v1/people/{ivan}")), 200).await;
    assert_eq!(p["status"], "left");
    let web_state: Value = agent(&app, &token, reqwest::Method::GET, "state")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(web_state["accounts"][0]["state"], "locked");
    let gw: Value = agent(&app, &gw_token, reqwest::Method::GET, "state")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        gw["wireguard"]["peers"],
        json!([]),
        "the device's peer is gone from the gateway"
    );

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'access.%' OR action = 'person.deactivate' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        actions.iter().filter(|a| *a == "access.revoke").count(),
        3,
        "{actions:?}"
    );
    assert!(actions.contains(&"person.deactivate".to_string()));
    assert!(actions.contains(&"access.offboard".to_string()));
    assert!(
        actions.contains(&"access.revoked".to_string()),
        "the mailbox's outcome: {actions:?}"
    );

    // Nothing more can be granted to someone who left.
    let refused = json(
        api.post("/api/v1/access/grants")
            .json(&json!({"person_id": ivan, "resource_id": mail})),
        422,
    )
    .await;
    assert_eq!(field_codes(&refused)[0].1, "person_left");
}

#[tokio::test]
async fn the_expiry_robot_revokes_grants_whose_end_has_come() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван", "ivan@agency.test", &[IVAN_KEY]).await;
    let web = resource(
        &api,
        json!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    let past = json(
        api.post("/api/v1/access/grants")
            .json(&json!({"person_id": ivan, "resource_id": web, "login": "ivan", "expires_at": "2020-01-01T00:00:00Z"})),
        422,
    )
    .await;
    assert_eq!(field_codes(&past)[0].0, "expires_at");
    let soon = grant(
        &api,
        json!({"person_id": ivan, "resource_id": web, "login": "ivan", "expires_at": "2099-01-01T00:00:00+03:00"}),
    )
    .await;
    let lasting = grant(
        &api,
        json!({"person_id": ivan, "resource_id": web, "login": "ivan"}),
    )
    .await;
    // Time passes for the first grant.
    sqlx::query("UPDATE access_grants SET expires_at = 1 WHERE id = $1")
        .bind(soon["id"].as_i64().unwrap())
        .execute(app.db.pool())
        .await
        .unwrap();
    let set = shtab::server::robot_set(&app.db, &app.config);
    let run = shtab_core::robots::run_in_foreground(&app.db, &set, "access.expiry", None)
        .await
        .unwrap();
    assert_eq!(run.status, "done", "{run:?}");
    let expired = grant_state(&api, soon["id"].as_i64().unwrap()).await;
    assert_eq!(
        expired["state"], "revoked",
        "no server reaches it, so nothing is left to take back"
    );
    assert_eq!(expired["revoked_by"], "access.expiry");
    assert_eq!(
        grant_state(&api, lasting["id"].as_i64().unwrap()).await["revoked_at"],
        Value::Null
    );
    // Running again changes nothing.
    shtab_core::robots::run_in_foreground(&app.db, &set, "access.expiry", None)
        .await
        .unwrap();
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'access.revoke'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_device_key_matches_wg_pubkey_and_its_config_is_given_once() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван", "ivan@agency.test", &[]).await;
    let vpn = resource(
        &api,
        json!({"name": "VPN", "kind": "vpn", "settings": vpn_settings("10.8.0.0/24")}),
    )
    .await;
    let g = grant(&api, json!({"person_id": ivan, "resource_id": vpn})).await;
    let created = json(
        api.post("/api/v1/access/devices")
            .json(&json!({"grant_id": g["id"], "name": "laptop"})),
        201,
    )
    .await;
    let config = created["config"].as_str().unwrap();
    assert!(config.contains("Address = 10.8.0.2/32"), "{config}");
    assert!(config.contains("Endpoint = vpn.agency.test:51820"));
    assert!(config.contains("PublicKey = HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="));
    assert!(created["qr_svg"].as_str().unwrap().contains("<svg"));
    let private = config
        .lines()
        .find_map(|l| l.strip_prefix("PrivateKey = "))
        .expect("the config has the private key");
    let public = created["device"]["public_key"].as_str().unwrap();

    match std::process::Command::new("wg")
        .arg("pubkey")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        Ok(mut child) => {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{private}\n").as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success());
            assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), public);
        }
        Err(e) => eprintln!("wg not installed ({e}): only the key's shape was checked"),
    }

    // The private key is nowhere in the database.
    let dump: Vec<(String,)> = sqlx::query_as("SELECT public_key FROM access_devices")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(dump, vec![(public.to_string(),)]);
    let audit: Vec<String> = sqlx::query_scalar("SELECT changes FROM audit_log")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert!(audit.iter().all(|c| !c.contains(private)));
    let listed = json(
        api.get(&format!("/api/v1/access/people/{ivan}/devices")),
        200,
    )
    .await;
    assert!(!listed.to_string().contains(private));
}

#[tokio::test]
async fn the_ansible_inventory_lists_groups_hosts_and_their_accounts() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван", "ivan@agency.test", &[IVAN_KEY]).await;
    let web = resource(
        &api,
        json!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    server(&api, "web1", &["web", "prod"]).await;
    server(&api, "db1", &[]).await;
    grant(
        &api,
        json!({"person_id": ivan, "resource_id": web, "login": "ivan", "sudo": true}),
    )
    .await;

    let r = reqwest::get(app.url("/api/v1/access/ansible/inventory"))
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a token is needed");
    let inv = json(api.get("/api/v1/access/ansible/inventory"), 200).await;
    assert_eq!(inv["web"]["hosts"], json!(["web1"]));
    assert_eq!(inv["prod"]["hosts"], json!(["web1"]));
    assert_eq!(inv["ungrouped"]["hosts"], json!(["db1"]));
    let children = inv["all"]["children"].as_array().unwrap();
    assert!(children.contains(&json!("web")) && children.contains(&json!("ungrouped")));
    let web1 = &inv["_meta"]["hostvars"]["web1"];
    assert_eq!(web1["ansible_host"], "127.0.0.1");
    assert_eq!(web1["shtab_accounts"][0]["login"], "ivan");
    assert_eq!(web1["shtab_accounts"][0]["keys"], json!([IVAN_KEY]));
    assert_eq!(inv["_meta"]["hostvars"]["db1"]["shtab_accounts"], json!([]));
}

#[tokio::test]
async fn the_vpn_gateway_gets_the_device_peers_and_its_report_applies_the_vpn_grant() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван Петров", "ivan@agency.test", &[]).await;
    let vpn = resource(
        &api,
        json!({"name": "VPN", "kind": "vpn", "settings": vpn_settings("10.8.0.0/24")}),
    )
    .await;
    let (_, token) = server(&api, "gw", &[]).await;
    let g = grant(&api, json!({"person_id": ivan, "resource_id": vpn})).await;
    let device = json(
        api.post("/api/v1/access/devices")
            .json(&json!({"grant_id": g["id"], "name": "laptop"})),
        201,
    )
    .await;
    let state: Value = agent(&app, &token, reqwest::Method::GET, "state")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["accounts"], json!([]));
    let peers = &state["wireguard"]["peers"];
    assert_eq!(state["wireguard"]["interface"], "wg0");
    assert_eq!(peers[0]["public_key"], device["device"]["public_key"]);
    assert_eq!(peers[0]["allowed_ips"], json!(["10.8.0.2/32"]));
    assert_eq!(peers[0]["comment"], "Иван Петров: laptop");
    assert_eq!(
        grant_state(&api, g["id"].as_i64().unwrap()).await["state"],
        "pending"
    );
    let r = agent(&app, &token, reqwest::Method::POST, "report")
        .json(&json!({"revision": state["revision"], "applied": [{"target": "wg0", "action": "peers"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        grant_state(&api, g["id"].as_i64().unwrap()).await["state"],
        "applied"
    );

    // A revoked device leaves the peer list.
    json(
        api.post(&format!(
            "/api/v1/access/devices/{}/revoke",
            device["device"]["id"]
        )),
        200,
    )
    .await;
    let state: Value = agent(&app, &token, reqwest::Method::GET, "state")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["wireguard"]["peers"], json!([]));
}

#[tokio::test]
async fn readers_see_access_but_only_managers_change_it() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван", "ivan@agency.test", &[]).await;
    let web = resource(
        &api,
        json!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    let manager = app.token_as("manager@agency.test", &[Role::Manager]).await;
    json(manager.get("/api/v1/access/grants"), 200).await;
    json(manager.get("/api/v1/access/servers"), 200).await;
    json(
        manager
            .post("/api/v1/access/grants")
            .json(&json!({"person_id": ivan, "resource_id": web, "login": "ivan"})),
        403,
    )
    .await;
    json(
        manager
            .post("/api/v1/access/servers")
            .json(&json!({"name": "web1"})),
        403,
    )
    .await;
    json(
        manager.post(&format!("/api/v1/access/people/{ivan}/offboard")),
        403,
    )
    .await;
    let developer = app.token_as("dev@agency.test", &[Role::Developer]).await;
    json(developer.get("/api/v1/access/grants"), 403).await;
    json(developer.get("/api/v1/access/ansible/inventory"), 403).await;
}

#[tokio::test]
async fn a_server_moved_into_a_group_gets_that_groups_accounts() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван", "ivan@agency.test", &[IVAN_KEY]).await;
    let web = resource(
        &api,
        json!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    grant(
        &api,
        json!({"person_id": ivan, "resource_id": web, "login": "ivan"}),
    )
    .await;
    let (id, token) = server(&api, "app2", &[]).await;
    let state = |token: String| {
        let app_url = app.url("/agent/v1/state");
        async move {
            reqwest::Client::new()
                .get(app_url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(state(token.clone()).await["accounts"], json!([]));
    let bad = json(
        api.patch(&format!("/api/v1/access/servers/{id}"))
            .json(&json!({"name": "app2", "groups": ["Web!"]})),
        422,
    )
    .await;
    assert_eq!(field_codes(&bad)[0].0, "groups");
    let moved = json(
        api.patch(&format!("/api/v1/access/servers/{id}"))
            .json(&json!({"name": "app2", "address": "10.0.0.2", "groups": ["web"]})),
        200,
    )
    .await;
    assert_eq!(moved["groups"], json!(["web"]));
    assert_eq!(state(token).await["accounts"][0]["login"], "ivan");
}

#[tokio::test]
async fn a_grant_of_a_system_or_cloud_account_is_refused_naming_the_login() {
    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван", "ivan@agency.test", &[IVAN_KEY]).await;
    let web = resource(
        &api,
        json!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    for login in [
        "root", "ubuntu", "debian", "admin", "deploy", "git", "postgres", "ec2-user", "www-data",
        "nobody",
    ] {
        let refused = json(
            api.post("/api/v1/access/grants")
                .json(&json!({"person_id": ivan, "resource_id": web, "login": login})),
            422,
        )
        .await;
        let fields = field_codes(&refused);
        assert_eq!(fields.len(), 1, "{login}: {refused}");
        assert_eq!(fields[0].0, "login", "{login}: {refused}");
        assert!(
            ["refused_login", "invalid_login"].contains(&fields[0].1.as_str()),
            "{login}: {refused}"
        );
    }
    let ubuntu = json(
        api.post("/api/v1/access/grants")
            .json(&json!({"person_id": ivan, "resource_id": web, "login": "ubuntu"})),
        422,
    )
    .await;
    assert_eq!(
        field_codes(&ubuntu),
        [("login".to_string(), "refused_login".to_string())]
    );
    assert!(
        ubuntu["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("«ubuntu» is a system or cloud-image account"),
        "{ubuntu}"
    );
    // Nothing was written: no grant, no uid taken.
    let grants = json(api.get("/api/v1/access/grants"), 200).await;
    assert_eq!(grants["items"], json!([]));
    let (uids,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_uids")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(uids, 0);

    // The person's page says so in Russian.
    let page = app.admin().await;
    let r = page
        .post_form(
            &format!("/access/people/{ivan}"),
            &[
                ("resource_id", &web.to_string()),
                ("login", "deploy"),
                ("shell", "/bin/bash"),
                ("expires_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("это системная учётная запись"),
        "the login's error, in Russian"
    );

    // A personal login is fine.
    grant(
        &api,
        json!({"person_id": ivan, "resource_id": web, "login": "ivan"}),
    )
    .await;
}

#[tokio::test]
async fn the_refused_logins_are_configurable() {
    let app = TestApp::spawn_with(|c| c.access.refused_logins = "ops, Root".into()).await;
    let api = admin_api(&app).await;
    let ivan = person(&api, "Иван", "ivan@agency.test", &[IVAN_KEY]).await;
    let web = resource(
        &api,
        json!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    let refused = json(
        api.post("/api/v1/access/grants")
            .json(&json!({"person_id": ivan, "resource_id": web, "login": "ops"})),
        422,
    )
    .await;
    assert_eq!(
        field_codes(&refused),
        [("login".to_string(), "refused_login".to_string())]
    );
    // The agency's own list replaces the default: `deploy` is now a login like any other.
    grant(
        &api,
        json!({"person_id": ivan, "resource_id": web, "login": "deploy"}),
    )
    .await;
    // `root` stays refused whatever the list says: the agent would never touch it.
    let root = json(
        api.post("/api/v1/access/grants")
            .json(&json!({"person_id": ivan, "resource_id": web, "login": "root"})),
        422,
    )
    .await;
    assert_eq!(field_codes(&root)[0].0, "login");
}
