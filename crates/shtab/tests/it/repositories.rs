//! Repositories and commit authors as their users meet them: adding a repository by the
//! form and through `/api/v1/repositories`, what each role sees (secrets above all), the
//! webhook to paste into the forge, replacing its secret, deleting, "Sweep now", and
//! mapping an unmatched commit author to a person.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{Value, json as body};
use shtab_core::auth::Role;
use shtab_core::time::now_ms;
use shtab_vcs::store::{RepositoryId, deliveries, repositories};

use crate::testkit::{ApiClient, TestApp, WebClient, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CREDENTIAL: &str = "glpat-credential-never-shown-7Qx";

fn github_app() -> Value {
    body!({
        "name": "Client website",
        "forge": "github",
        "clone_url": "https://github.com/acme/app.git",
        "web_url": "https://github.com/acme/app",
        "credential_username": "ci-bot",
        "credential_secret": CREDENTIAL,
        "branch_filter": "main\nrelease/*",
    })
}

async fn create(api: &ApiClient, repository: &Value) -> Value {
    json(api.post("/api/v1/repositories").json(repository), 201).await
}

/// The repository's id from where a saved form leads: `/repositories/{id}?saved=1`.
fn saved_id(response: &reqwest::Response) -> i64 {
    assert_eq!(response.status(), 303, "the form was not accepted");
    let location = response.headers()["location"].to_str().unwrap();
    location
        .strip_prefix("/repositories/")
        .and_then(|rest| rest.strip_suffix("?saved=1"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("saved form leads to {location}"))
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 303, "expected a redirect");
    response.headers()["location"].to_str().unwrap().to_string()
}

/// The form fields a browser sends for a new GitHub repository named `name`.
fn form_fields<'a>(name: &'a str, web_url: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("forge", "github"),
        ("clone_url", ""),
        ("web_url", web_url),
        ("credential_username", ""),
        ("credential_secret", ""),
        ("branch_filter", ""),
        ("ref_patterns", ""),
        ("project_keys", ""),
        ("enabled", "1"),
    ]
}

fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    name: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    for f in fields.iter_mut() {
        if f.0 == name {
            f.1 = value;
        }
    }
    fields
}

fn field_errors(v: &Value) -> Vec<(String, String)> {
    v["error"]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap_or("").to_string(),
                        f["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn secret_of(app: &TestApp, id: i64) -> String {
    repositories::get(&app.db, RepositoryId(id))
        .await
        .unwrap()
        .webhook_secret
}

async fn audit_count(app: &TestApp, action: &str, id: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND object_kind = 'repository' AND object_id = $2",
    )
    .bind(action)
    .bind(id.to_string())
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn the_api_keeps_the_credential_to_itself_and_the_webhook_secret_to_managers() {
    let app = TestApp::spawn().await;
    let developer = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let manager = app.token_as("boss@agency.test", &[Role::Manager]).await;
    let accountant = app.token_as("books@agency.test", &[Role::Accountant]).await;

    let created = create(&developer, &github_app()).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["forge"], "github");
    assert_eq!(created["has_credential"], true);
    assert_eq!(created["credential_username"], "ci-bot");
    assert_eq!(created["branch_filter"], "main\nrelease/*");
    assert_eq!(created["webhook_url"], app.url("/hooks/github"));
    assert_eq!(created["webhook_secret"], secret_of(&app, id).await);
    assert!(created["webhook_secret"].as_str().unwrap().len() >= 20);
    assert!(created["last_sweep"].is_null());

    for reader in [&developer, &manager] {
        let list = reader.get("/api/v1/repositories").send().await.unwrap();
        assert_eq!(list.status(), 200);
        let text = list.text().await.unwrap();
        assert!(
            !text.contains(CREDENTIAL),
            "the credential is write-only: {text}"
        );
        let one = reader
            .get(&format!("/api/v1/repositories/{id}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!one.contains(CREDENTIAL), "{one}");
    }
    let seen_by_manager = json(manager.get(&format!("/api/v1/repositories/{id}")), 200).await;
    assert_eq!(seen_by_manager["name"], "Client website");
    assert_eq!(seen_by_manager["has_credential"], true);
    assert!(
        seen_by_manager["webhook_secret"].is_null(),
        "only those who manage repositories see the secret"
    );
    assert_eq!(seen_by_manager["webhook_url"], app.url("/hooks/github"));

    for path in [
        "/api/v1/repositories".to_string(),
        format!("/api/v1/repositories/{id}"),
        format!("/api/v1/repositories/{id}/deliveries"),
        "/api/v1/commit-authors".to_string(),
    ] {
        let refused = json(accountant.get(&path), 403).await;
        assert_eq!(refused["error"]["code"], "forbidden", "{path}");
    }
    // Reading is not managing.
    json(
        manager
            .patch(&format!("/api/v1/repositories/{id}"))
            .json(&body!({"name": "x"})),
        403,
    )
    .await;
    json(
        manager.post(&format!("/api/v1/repositories/{id}/webhook-secret")),
        403,
    )
    .await;
    json(manager.delete(&format!("/api/v1/repositories/{id}")), 403).await;
    json(
        manager.post("/api/v1/repositories").json(&github_app()),
        403,
    )
    .await;
    let anonymous = reqwest::get(app.url("/api/v1/repositories")).await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_credential_inside_a_clone_url_is_refused_naming_the_credential_fields() {
    let app = TestApp::spawn().await;
    let developer = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let mut repository = github_app();
    repository["clone_url"] = body!("https://oauth2:glpat-in-the-url@gitlab.agency.test/app.git");
    let refused = json(
        developer.post("/api/v1/repositories").json(&repository),
        422,
    )
    .await;
    assert_eq!(
        field_errors(&refused),
        vec![("clone_url".into(), "credential_in_url".into())]
    );
    let message = refused["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("credential_username") && message.contains("credential_secret"),
        "{message}"
    );
    assert!(
        !refused.to_string().contains("glpat-in-the-url"),
        "{refused}"
    );
    assert!(repositories::list(&app.db).await.unwrap().is_empty());

    let web = app
        .login_as("dev-web@agency.test", &[Role::Developer])
        .await;
    let typed = with(
        form_fields("Сайт клиента", "https://github.com/acme/site"),
        "clone_url",
        "https://ci:pa55word@git.agency.test/app.git",
    );
    let page = web.post_form("/repositories", &typed).await;
    assert_eq!(page.status(), 422);
    let page = page.text().await.unwrap();
    assert!(page.contains("«Токен или пароль»"), "{page}");
    assert!(page.contains("id=\"clone_url-error\""));

    let id = create(&developer, &github_app()).await["id"]
        .as_i64()
        .unwrap();
    let patched = json(
        developer
            .patch(&format!("/api/v1/repositories/{id}"))
            .json(&body!({"clone_url": "https://ghp_tokenInTheUrl@github.com/acme/app.git"})),
        422,
    )
    .await;
    assert_eq!(
        field_errors(&patched),
        vec![("clone_url".into(), "credential_in_url".into())]
    );
}

#[tokio::test]
async fn a_clone_url_stored_with_a_password_is_shown_without_it_everywhere() {
    let app = TestApp::spawn().await;
    let developer = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let manager = app.token_as("boss@agency.test", &[Role::Manager]).await;
    let id = create(&developer, &github_app()).await["id"]
        .as_i64()
        .unwrap();
    // Stored before such URLs were refused.
    sqlx::query("UPDATE vcs_repositories SET clone_url = $1 WHERE id = $2")
        .bind("https://ci:pa55word@git.agency.test/app.git")
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();

    for reader in [&developer, &manager] {
        let seen = json(reader.get(&format!("/api/v1/repositories/{id}")), 200).await;
        assert_eq!(seen["clone_url"], "https://git.agency.test/app.git");
    }
    let web = app
        .login_as("dev-web@agency.test", &[Role::Developer])
        .await;
    for path in [
        format!("/repositories/{id}"),
        format!("/repositories/{id}/edit"),
        "/repositories".to_string(),
    ] {
        let page = web.get_text(&path).await;
        assert!(!page.contains("pa55word"), "{path}: {page}");
    }
    let page = web.get_text(&format!("/repositories/{id}")).await;
    assert!(page.contains("https://git.agency.test/app.git"), "{page}");

    // Saving the edit form as shown stores the URL without the password; the audit log
    // never had it.
    let form = web.get_text(&format!("/repositories/{id}/edit")).await;
    assert!(
        form.contains("value=\"https://git.agency.test/app.git\""),
        "{form}"
    );
    let fields = with(
        form_fields("Client website", "https://github.com/acme/app"),
        "clone_url",
        "https://git.agency.test/app.git",
    );
    assert_eq!(
        saved_id(&web.post_form(&format!("/repositories/{id}"), &fields).await),
        id
    );
    let stored = repositories::get(&app.db, RepositoryId(id)).await.unwrap();
    assert_eq!(stored.clone_url, "https://git.agency.test/app.git");
    let log: Vec<String> = sqlx::query_scalar("SELECT changes FROM audit_log")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert!(log.iter().all(|c| !c.contains("pa55word")), "{log:?}");
}

#[tokio::test]
async fn the_api_refuses_bad_settings_naming_the_field() {
    let app = TestApp::spawn().await;
    let api = app.token_as("dev@agency.test", &[Role::Developer]).await;
    create(&api, &github_app()).await;

    let cases = [
        (
            body!({"name": "A", "forge": "git", "clone_url": "--upload-pack=touch /tmp/pwned"}),
            ("clone_url", "invalid_clone_url"),
        ),
        (
            body!({"name": "Client website", "forge": "gitlab", "web_url": "https://gitlab.com/acme/other"}),
            ("name", "duplicate_name"),
        ),
        (
            body!({"name": "Another", "forge": "github", "web_url": "https://github.com/ACME/app/"}),
            ("web_url", "duplicate_web_url"),
        ),
        (
            body!({"name": "B", "forge": "github", "web_url": "https://github.com/acme/b", "ref_patterns": "(?P<task>\\d+"}),
            ("ref_patterns", "invalid_pattern"),
        ),
        (
            body!({"name": "C", "forge": "svn", "web_url": "https://github.com/acme/c"}),
            ("forge", "invalid_forge"),
        ),
    ];
    for (input, (field, code)) in cases {
        let refused = json(api.post("/api/v1/repositories").json(&input), 422).await;
        assert_eq!(refused["error"]["code"], "invalid");
        assert!(
            field_errors(&refused).contains(&(field.to_string(), code.to_string())),
            "{input} → {refused}"
        );
    }
    let typo = json(
        api.post("/api/v1/repositories")
            .json(&body!({"name": "D", "forge": "github", "webhook_secret": "mine"})),
        400,
    )
    .await;
    assert_eq!(
        typo["error"]["code"], "bad_request",
        "unknown fields are refused, not ignored"
    );
    let all = json(api.get("/api/v1/repositories"), 200).await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        1,
        "nothing else was written"
    );
}

#[tokio::test]
async fn patching_keeps_what_was_not_sent_and_the_credential_until_it_is_cleared() {
    let app = TestApp::spawn().await;
    let api = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let id = create(&api, &github_app()).await["id"].as_i64().unwrap();
    let path = format!("/api/v1/repositories/{id}");

    let patched = json(
        api.patch(&path)
            .json(&body!({"branch_filter": "main", "project_keys": "web, app", "enabled": false})),
        200,
    )
    .await;
    assert_eq!(patched["name"], "Client website");
    assert_eq!(patched["branch_filter"], "main");
    assert_eq!(patched["project_keys"], "WEB, APP");
    assert_eq!(patched["enabled"], false);
    assert_eq!(
        patched["has_credential"], true,
        "an absent secret keeps the stored one"
    );
    let stored = repositories::get(&app.db, RepositoryId(id)).await.unwrap();
    assert_eq!(stored.credential_secret, CREDENTIAL);

    let cleared = json(
        api.patch(&path).json(&body!({"clear_credential": true})),
        200,
    )
    .await;
    assert_eq!(cleared["has_credential"], false);
    let refused = json(api.patch(&path).json(&body!({"web_url": "ftp://x"})), 422).await;
    assert!(field_errors(&refused).contains(&("web_url".into(), "invalid_url".into())));
    json(
        api.patch("/api/v1/repositories/987654").json(&body!({})),
        404,
    )
    .await;
    assert_eq!(audit_count(&app, "repository.update", id).await, 2);
}

#[tokio::test]
async fn the_form_adds_a_repository_and_names_what_is_wrong_next_to_the_field() {
    let app = TestApp::spawn().await;
    let developer = app.login_as("dev@agency.test", &[Role::Developer]).await;

    let form = developer.get_text("/repositories/new").await;
    for field in [
        "name=\"name\"",
        "name=\"forge\"",
        "name=\"clone_url\"",
        "name=\"web_url\"",
        "name=\"credential_username\"",
        "type=\"password\"",
        "name=\"branch_filter\"",
        "name=\"ref_patterns\"",
        "name=\"project_keys\"",
        "name=\"enabled\"",
        "#123, PROJ-123",
        "задача 123",
    ] {
        assert!(form.contains(field), "{field} is on the form");
    }

    // A bad clone URL: the form comes back as typed, the secret excepted.
    let typed = with(
        with(
            form_fields("Сайт клиента", "https://github.com/acme/site"),
            "clone_url",
            "ext::sh -c touch% /tmp/pwned",
        ),
        "credential_secret",
        "typed-secret-not-echoed",
    );
    let refused = developer.post_form("/repositories", &typed).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("адрес для клонирования: https://"), "{page}");
    assert!(page.contains("id=\"clone_url-error\""));
    assert!(page.contains("value=\"Сайт клиента\""), "kept as typed");
    assert!(
        !page.contains("typed-secret-not-echoed"),
        "secrets never go back to the browser"
    );

    let id = saved_id(
        &developer
            .post_form(
                "/repositories",
                &form_fields("Сайт клиента", "https://github.com/acme/site"),
            )
            .await,
    );
    let page = developer
        .get_text(&format!("/repositories/{id}?saved=1"))
        .await;
    assert!(page.contains("Сайт клиента"));
    assert!(
        page.contains(&app.url("/hooks/github")),
        "the webhook URL to paste: {page}"
    );
    assert!(page.contains("application/json"));
    assert!(
        page.contains(&secret_of(&app, id).await),
        "the secret, for those who manage"
    );

    let duplicate = developer
        .post_form(
            "/repositories",
            &form_fields("Сайт клиента", "https://github.com/acme/other"),
        )
        .await;
    assert_eq!(duplicate.status(), 422);
    assert!(duplicate.text().await.unwrap().contains("имя уже занято"));
    let same_url = developer
        .post_form(
            "/repositories",
            &form_fields("Другой", "https://github.com/acme/site/"),
        )
        .await;
    assert_eq!(same_url.status(), 422);
    assert!(
        same_url
            .text()
            .await
            .unwrap()
            .contains("этот адрес уже у другого репозитория")
    );
    let bad_pattern = developer
        .post_form(
            "/repositories",
            &with(
                form_fields("Третий", "https://github.com/acme/third"),
                "ref_patterns",
                "(?P<task>[0-9]+",
            ),
        )
        .await;
    assert_eq!(bad_pattern.status(), 422);
    let page = bad_pattern.text().await.unwrap();
    assert!(page.contains("id=\"ref_patterns-error\""), "{page}");
    assert!(page.contains("регулярное выражение с группой task"));
    assert_eq!(repositories::list(&app.db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn editing_by_the_form_keeps_the_stored_credential_when_left_empty() {
    let app = TestApp::spawn().await;
    let api = app
        .token_as("dev-api@agency.test", &[Role::Developer])
        .await;
    let id = create(&api, &github_app()).await["id"].as_i64().unwrap();
    let developer = app.login_as("dev@agency.test", &[Role::Developer]).await;

    let form = developer
        .get_text(&format!("/repositories/{id}/edit"))
        .await;
    assert!(form.contains("value=\"ci-bot\""));
    assert!(
        !form.contains(CREDENTIAL),
        "the stored token is not in the form"
    );
    assert!(form.contains("name=\"clear_credential\""));

    let fields = with(
        form_fields("Client website", "https://github.com/acme/app"),
        "branch_filter",
        "main",
    );
    let saved = developer
        .post_form(&format!("/repositories/{id}"), &fields)
        .await;
    assert_eq!(saved_id(&saved), id);
    let stored = repositories::get(&app.db, RepositoryId(id)).await.unwrap();
    assert_eq!(stored.credential_secret, CREDENTIAL);
    assert_eq!(stored.branch_filter, "main");
    assert_eq!(
        developer
            .post_form("/repositories/987654", &fields)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn readers_see_the_page_without_the_secret_and_others_not_at_all() {
    let app = TestApp::spawn().await;
    let api = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let id = create(&api, &github_app()).await["id"].as_i64().unwrap();
    let secret = secret_of(&app, id).await;

    let manager = app.login_as("boss@agency.test", &[Role::Manager]).await;
    let list = manager.get_text("/repositories").await;
    assert!(
        list.contains("<a href=\"/repositories\" aria-current=\"page\">"),
        "in the menu"
    );
    assert!(list.contains("Client website"));
    assert!(!list.contains("/repositories/new"), "no adding for readers");
    assert!(!list.contains("/repositories/sweep"));
    let page = manager.get_text(&format!("/repositories/{id}")).await;
    assert!(page.contains(&app.url("/hooks/github")));
    assert!(
        !page.contains(&secret),
        "the secret is for those who manage"
    );
    assert!(!page.contains(&format!("/repositories/{id}/secret")));
    assert!(!page.contains(&format!("/repositories/{id}/delete")));
    assert_eq!(
        manager
            .get(&format!("/repositories/{id}/edit"))
            .await
            .status(),
        403
    );
    assert_eq!(manager.get("/repositories/new").await.status(), 403);
    let rotate = manager
        .post_form(&format!("/repositories/{id}/secret"), &[])
        .await;
    assert_eq!(rotate.status(), 403);
    assert_eq!(secret_of(&app, id).await, secret);

    let accountant = app.login_as("books@agency.test", &[Role::Accountant]).await;
    assert!(
        !accountant
            .get_text("/")
            .await
            .contains("href=\"/repositories\"")
    );
    for path in [
        "/repositories".to_string(),
        format!("/repositories/{id}"),
        "/commit-authors".into(),
    ] {
        assert_eq!(accountant.get(&path).await.status(), 403, "{path}");
    }
    assert_eq!(manager.get("/repositories/987654").await.status(), 404);
    assert_eq!(
        manager.get("/repositories/not-a-number").await.status(),
        404
    );
}

#[tokio::test]
async fn plain_git_has_no_webhook_to_set_up() {
    let app = TestApp::spawn().await;
    let api = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let created = create(
        &api,
        &body!({"name": "Internal", "forge": "git", "clone_url": "/srv/git/internal.git"}),
    )
    .await;
    assert!(created["webhook_url"].is_null());
    let developer = app
        .login_as("dev-web@agency.test", &[Role::Developer])
        .await;
    let page = developer
        .get_text(&format!("/repositories/{}", created["id"]))
        .await;
    assert!(page.contains("не присылает веб-хуков"), "{page}");
    assert!(!page.contains("/hooks/"));
}

#[tokio::test]
async fn replacing_the_secret_changes_it_and_is_recorded() {
    let app = TestApp::spawn().await;
    let api = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let id = create(&api, &github_app()).await["id"].as_i64().unwrap();
    let first = secret_of(&app, id).await;

    let rotated = json(
        api.post(&format!("/api/v1/repositories/{id}/webhook-secret")),
        200,
    )
    .await;
    let second = rotated["webhook_secret"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert_eq!(secret_of(&app, id).await, second);

    let developer = app
        .login_as("dev-web@agency.test", &[Role::Developer])
        .await;
    let answer = developer
        .post_form(&format!("/repositories/{id}/secret"), &[])
        .await;
    assert_eq!(
        location(&answer),
        format!("/repositories/{id}?rotated=1#webhook")
    );
    let third = secret_of(&app, id).await;
    assert_ne!(third, second);
    let page = developer
        .get_text(&format!("/repositories/{id}?rotated=1"))
        .await;
    assert!(page.contains(&third) && !page.contains(&second));

    assert_eq!(audit_count(&app, "repository.rotate_secret", id).await, 2);
    let changes: String = sqlx::query_scalar(
        "SELECT changes FROM audit_log WHERE action = 'repository.rotate_secret' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert!(
        !changes.contains(&first) && !changes.contains(&second),
        "{changes}"
    );
    json(api.post("/api/v1/repositories/987654/webhook-secret"), 404).await;
}

#[tokio::test]
async fn deleting_needs_the_confirmation_and_removes_the_repository() {
    let app = TestApp::spawn().await;
    let api = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let id = create(&api, &github_app()).await["id"].as_i64().unwrap();
    let developer = app
        .login_as("dev-web@agency.test", &[Role::Developer])
        .await;

    let unconfirmed = developer
        .post_form(&format!("/repositories/{id}/delete"), &[])
        .await;
    assert_eq!(unconfirmed.status(), 422);
    assert!(
        unconfirmed
            .text()
            .await
            .unwrap()
            .contains("Отметьте подтверждение")
    );
    assert!(repositories::get(&app.db, RepositoryId(id)).await.is_ok());

    let deleted = developer
        .post_form(&format!("/repositories/{id}/delete"), &[("confirm", "1")])
        .await;
    assert_eq!(location(&deleted), "/repositories?deleted=1");
    json(api.get(&format!("/api/v1/repositories/{id}")), 404).await;
    assert_eq!(audit_count(&app, "repository.delete", id).await, 1);

    let other = create(&api, &github_app()).await["id"].as_i64().unwrap();
    let response = api
        .delete(&format!("/api/v1/repositories/{other}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    json(api.delete(&format!("/api/v1/repositories/{other}")), 404).await;
}

#[tokio::test]
async fn deliveries_show_on_the_page_and_in_the_api_with_why_they_were_refused() {
    let app = TestApp::spawn().await;
    let api = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let id = create(&api, &github_app()).await["id"].as_i64().unwrap();
    deliveries::insert_rejected(
        &app.db,
        RepositoryId(id),
        "d-42",
        "push",
        "the signature does not match the secret",
    )
    .await
    .unwrap();

    let list = json(
        api.get(&format!("/api/v1/repositories/{id}/deliveries")),
        200,
    )
    .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["delivery_id"], "d-42");
    assert_eq!(items[0]["status"], "rejected");
    assert_eq!(
        items[0]["reason"],
        "the signature does not match the secret"
    );
    json(
        api.get(&format!("/api/v1/repositories/{id}/deliveries?limit=0")),
        400,
    )
    .await;
    json(api.get("/api/v1/repositories/987654/deliveries"), 404).await;

    let manager = app.login_as("boss@agency.test", &[Role::Manager]).await;
    let page = manager.get_text(&format!("/repositories/{id}")).await;
    assert!(page.contains("d-42") && page.contains("отклонён"), "{page}");
    assert!(page.contains("the signature does not match the secret"));
    let listing = manager.get_text("/repositories").await;
    assert!(
        listing.contains("<td class=\"right\">1</td>"),
        "a delivery in the last day: {listing}"
    );
}

#[tokio::test]
async fn sweep_now_queues_one_run_and_says_when_one_is_already_on_its_way() {
    let app = TestApp::spawn().await;
    let developer = app.login_as("dev@agency.test", &[Role::Developer]).await;

    // A binary without the robot says so instead of failing.
    let missing = developer.post_form("/repositories/sweep", &[]).await;
    assert_eq!(location(&missing), "/repositories?sweep=unavailable");

    sqlx::query(
        "INSERT INTO robots (name, cron, time_zone, enabled, next_fire_at, updated_at) \
         VALUES ('vcs.sweep', '*/15 * * * *', 'Europe/Moscow', 1, NULL, $1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(now_ms())
    .execute(app.db.pool())
    .await
    .unwrap();
    // A developer does not see robots' runs, so they are told on the same page.
    let queued = developer.post_form("/repositories/sweep", &[]).await;
    assert_eq!(location(&queued), "/repositories?sweep=queued");
    let again = developer.post_form("/repositories/sweep", &[]).await;
    assert_eq!(location(&again), "/repositories?sweep=busy");
    let page = developer.get_text("/repositories?sweep=busy").await;
    assert!(page.contains("Обход уже запущен"), "{page}");

    let manager = app.login_as("boss@agency.test", &[Role::Manager]).await;
    assert_eq!(
        manager.post_form("/repositories/sweep", &[]).await.status(),
        403
    );

    // An admin, who sees robots, is taken to the run (here: the one already queued).
    let admin = app.admin().await;
    assert_eq!(
        location(&admin.post_form("/repositories/sweep", &[]).await),
        "/repositories?sweep=busy"
    );
    sqlx::query("UPDATE robot_runs SET status = 'done'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let run_page = location(&admin.post_form("/repositories/sweep", &[]).await);
    assert!(run_page.starts_with("/robots/runs/"), "{run_page}");
}

/// Stores a commit as the linker would for an author nobody matched.
async fn unmatched_commit(app: &TestApp, repository: i64, sha: &str, email: &str) {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO vcs_commits (repository_id, sha, change_key, author_name, author_email, person_id, \
         authored_at, committed_at, message, branches, first_seen_at) \
         VALUES ($1, $2, $2, 'Ivan at home', $3, NULL, $4, $4, 'fix #12', 'main', $4)",
    )
    .bind(repository)
    .bind(sha)
    .bind(email)
    .bind(now)
    .execute(app.db.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn an_unmatched_author_is_listed_and_this_is_gives_their_commits_to_the_person() {
    let app = TestApp::spawn().await;
    let api = app
        .token_as("dev-api@agency.test", &[Role::Developer])
        .await;
    let repository = create(&api, &github_app()).await["id"].as_i64().unwrap();
    unmatched_commit(&app, repository, "a1", "ivan@home.test").await;
    unmatched_commit(&app, repository, "a2", "ivan@home.test").await;
    unmatched_commit(&app, repository, "a3", "stranger@else.test").await;
    let ivan = app.add_person("Иван Петров", "ivan@agency.test").await;

    let manager = app.login_as("boss@agency.test", &[Role::Manager]).await;
    let read_only = manager.get_text("/commit-authors").await;
    assert!(read_only.contains("ivan@home.test") && read_only.contains("Ivan at home"));
    assert!(
        !read_only.contains("name=\"person_id\""),
        "readers cannot map"
    );
    assert_eq!(
        manager
            .post_form(
                "/commit-authors",
                &[("email", "ivan@home.test"), ("person_id", "1")]
            )
            .await
            .status(),
        403
    );

    let developer = app.login_as("dev@agency.test", &[Role::Developer]).await;
    let page = developer.get_text("/commit-authors").await;
    assert!(
        page.contains("name=\"person_id\"") && page.contains("Иван Петров"),
        "{page}"
    );

    let ivan_id = ivan.to_string();
    let mapped = developer
        .post_form(
            "/commit-authors",
            &[("email", "Ivan@Home.test"), ("person_id", &ivan_id)],
        )
        .await;
    let back = location(&mapped);
    assert!(back.starts_with("/commit-authors?mapped=2"), "{back}");
    let page = developer.get_text(&back).await;
    assert!(
        page.contains(
            "Адрес ivan@home.test закреплён за человеком «Иван Петров», коммитов перенесено: 2."
        ),
        "{page}"
    );
    assert!(
        !page.contains("<td class=\"mono\">ivan@home.test</td>"),
        "no longer unmatched"
    );
    assert!(page.contains("stranger@else.test"));

    let alias: i64 = sqlx::query_scalar(
        "SELECT person_id FROM vcs_author_aliases WHERE email = 'ivan@home.test'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(alias, ivan.0);
    let attributed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM vcs_commits WHERE author_email = 'ivan@home.test' AND person_id = $1",
    )
    .bind(ivan.0)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(attributed, 2);
    let jobs: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'vcs.relink_author'")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(jobs.len(), 1, "the tracker is told in the background");
    assert!(jobs[0].contains("ivan@home.test"), "{jobs:?}");

    let nobody = developer
        .post_form(
            "/commit-authors",
            &[("email", "stranger@else.test"), ("person_id", "")],
        )
        .await;
    assert_eq!(nobody.status(), 422);
}

#[tokio::test]
async fn the_api_lists_unmatched_authors_and_maps_them() {
    let app = TestApp::spawn().await;
    let api = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let repository = create(&api, &github_app()).await["id"].as_i64().unwrap();
    unmatched_commit(&app, repository, "b1", "olga@home.test").await;
    let olga = app.add_person("Ольга Смирнова", "olga@agency.test").await;

    let list = json(api.get("/api/v1/commit-authors"), 200).await;
    assert_eq!(list["items"][0]["email"], "olga@home.test");
    assert_eq!(list["items"][0]["commits"], 1);

    let unknown = json(
        api.post("/api/v1/commit-authors")
            .json(&body!({"email": "olga@home.test", "person_id": 987654})),
        422,
    )
    .await;
    assert_eq!(
        field_errors(&unknown),
        vec![("person_id".into(), "not_found".into())]
    );
    let bad = json(
        api.post("/api/v1/commit-authors")
            .json(&body!({"email": "not an address", "person_id": olga.0})),
        422,
    )
    .await;
    assert_eq!(
        field_errors(&bad),
        vec![("email".into(), "invalid_email".into())]
    );
    json(
        api.post("/api/v1/commit-authors")
            .json(&body!({"email": "x@y.test"})),
        400,
    )
    .await;

    let mapped = json(
        api.post("/api/v1/commit-authors")
            .json(&body!({"email": "OLGA@home.test", "person_id": olga.0})),
        200,
    )
    .await;
    assert_eq!(mapped["email"], "olga@home.test");
    assert_eq!(mapped["person_name"], "Ольга Смирнова");
    assert_eq!(mapped["commits"], 1);
    let after = json(api.get("/api/v1/commit-authors"), 200).await;
    assert_eq!(after["items"], body!([]));
}

#[tokio::test]
async fn the_english_pages_speak_english() {
    let app = TestApp::spawn().await;
    let developer: WebClient = app.login_as("dev@agency.test", &[Role::Developer]).await;
    assert_eq!(
        developer
            .post_form("/lang", &[("lang", "en")])
            .await
            .status(),
        303
    );
    let list = developer.get_text("/repositories").await;
    assert!(
        list.contains("Add repository") && list.contains("Sweep now"),
        "{list}"
    );
    let form = developer.get_text("/repositories/new").await;
    assert!(
        form.contains("Leave empty") || form.contains("never shown again"),
        "{form}"
    );
    assert!(
        developer
            .get_text("/commit-authors")
            .await
            .contains("Commit authors")
    );
}

/// A plain HTTP server on loopback standing in for a git host: it answers 404 to
/// everything and remembers what each request carried, so a test can pin what git sent.
struct GitHost {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    authorization: Option<String>,
}

impl GitHost {
    async fn start() -> GitHost {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let mut lines = head.lines();
                    let request_line = lines.next().unwrap_or_default().to_string();
                    let authorization = lines
                        .filter_map(|l| l.split_once(':'))
                        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                        .map(|(_, value)| value.trim().to_string());
                    log.lock().unwrap().push(Seen {
                        request_line,
                        authorization,
                    });
                    let _ = socket
                        .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .await;
                });
            }
        });
        GitHost { port, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn forget(&self) {
        self.seen.lock().unwrap().clear();
    }
}

async fn sweep(app: &TestApp) {
    let set = shtab::server::robot_set(&app.db, &app.config);
    shtab_core::robots::run_in_foreground(&app.db, &set, "vcs.sweep", None)
        .await
        .expect("the sweep runs");
}

fn basic(secret: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("oauth2:{secret}"));
    format!("Basic {token}")
}

#[tokio::test]
async fn a_clone_url_moved_to_another_host_leaves_the_stored_credential_behind() {
    let app = TestApp::spawn().await;
    let developer = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let agency_host = GitHost::start().await;
    let own_host = GitHost::start().await;
    let created = create(
        &developer,
        &body!({
            "name": "Internal",
            "forge": "git",
            "clone_url": format!("http://127.0.0.1:{}/app.git", agency_host.port),
            "credential_secret": CREDENTIAL,
        }),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/repositories/{id}");
    sweep(&app).await;
    let first = agency_host.seen();
    assert!(
        first
            .iter()
            .any(|r| r.authorization.as_deref() == Some(basic(CREDENTIAL).as_str())),
        "the host the token was given for gets it: {first:?}"
    );

    // A developer points the repository at their own host, leaving the secret empty.
    let moved = json(
        developer.patch(&path).json(&body!({
            "clone_url": format!("http://localhost:{}/app.git", own_host.port),
            "credential_secret": "",
        })),
        200,
    )
    .await;
    assert_eq!(moved["has_credential"], false, "{moved}");
    assert_eq!(
        repositories::get(&app.db, RepositoryId(id))
            .await
            .unwrap()
            .credential_secret,
        ""
    );
    sweep(&app).await;
    let seen = own_host.seen();
    assert!(!seen.is_empty(), "git did ask the new host");
    for request in &seen {
        assert_eq!(request.authorization, None, "{request:?}");
    }
    let changes: String = sqlx::query_scalar(
        "SELECT changes FROM audit_log WHERE action = 'repository.update' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert!(
        changes.contains("moved to another scheme, host or port"),
        "{changes}"
    );

    // A token given with the new URL is for it, and stays when only the path changes.
    let given = json(
        developer
            .patch(&path)
            .json(&body!({"credential_secret": "token-for-the-own-host"})),
        200,
    )
    .await;
    assert_eq!(given["has_credential"], true);
    let renamed = json(
        developer.patch(&path).json(&body!({
            "clone_url": format!("http://localhost:{}/renamed.git", own_host.port),
        })),
        200,
    )
    .await;
    assert_eq!(
        renamed["has_credential"], true,
        "same scheme, host and port"
    );
    own_host.forget();
    sweep(&app).await;
    let seen = own_host.seen();
    assert!(
        seen.iter().all(|r| r.request_line.contains("/renamed.git")
            && r.authorization.as_deref() == Some(basic("token-for-the-own-host").as_str())),
        "{seen:?}"
    );
    assert!(!seen.is_empty());

    // A new URL and a new token in one request: the token goes with the URL.
    let both = json(
        developer.patch(&path).json(&body!({
            "clone_url": format!("http://127.0.0.1:{}/app.git", agency_host.port),
            "credential_secret": CREDENTIAL,
        })),
        200,
    )
    .await;
    assert_eq!(both["has_credential"], true);
}

#[tokio::test]
async fn the_form_says_when_a_moved_clone_url_left_the_token_behind() {
    let app = TestApp::spawn().await;
    let api = app
        .token_as("dev-api@agency.test", &[Role::Developer])
        .await;
    let id = create(&api, &github_app()).await["id"].as_i64().unwrap();
    let developer = app.login_as("dev@agency.test", &[Role::Developer]).await;
    let form = developer
        .get_text(&format!("/repositories/{id}/edit"))
        .await;
    assert!(form.contains("сохранённый токен удаляется"), "{form}");

    let fields = with(
        with(
            form_fields("Client website", "https://github.com/acme/app"),
            "clone_url",
            "https://git.elsewhere.test/acme/app.git",
        ),
        "credential_username",
        "ci-bot",
    );
    let saved = developer
        .post_form(&format!("/repositories/{id}"), &fields)
        .await;
    let to = location(&saved);
    assert_eq!(
        to,
        format!("/repositories/{id}?saved=1&credential_dropped=1")
    );
    let page = developer.get_text(&to).await;
    assert!(page.contains("сохранённый токен удалён"), "{page}");
    assert!(
        !repositories::get(&app.db, RepositoryId(id))
            .await
            .unwrap()
            .has_credential()
    );
    // Saving again changes nothing more and says nothing about a token.
    let again = developer
        .post_form(&format!("/repositories/{id}"), &fields)
        .await;
    assert_eq!(location(&again), format!("/repositories/{id}?saved=1"));

    assert_eq!(
        developer
            .post_form("/lang", &[("lang", "en")])
            .await
            .status(),
        303
    );
    let page = developer.get_text(&to).await;
    assert!(page.contains("the stored token was removed"), "{page}");
    let form = developer
        .get_text(&format!("/repositories/{id}/edit"))
        .await;
    assert!(form.contains("the stored token is removed"), "{form}");
}
