//! The built-in tracker as its users meet it: tasks through `/api/v1/tasks` and the pages,
//! and as the `vcs` capability meets it, through the tracker port: commits attached once
//! and shown oldest first, time logged once per source, tasks closed once.

use serde_json::{Value, json as body};
use shtab_core::audit::Actor;
use shtab_core::auth::Role;
use shtab_core::ports::{CommitLink, TimeEntry, Tracker};
use shtab_core::tasks::{self, BuiltinTracker, RawTaskInput};

use crate::testkit::{TestApp, json};

/// The task's id from where a saved form leads: `/tasks/{id}?saved=1`.
fn saved_id(response: &reqwest::Response) -> i64 {
    assert_eq!(response.status(), 303, "the form was not accepted");
    let location = response.headers()["location"].to_str().unwrap();
    location
        .strip_prefix("/tasks/")
        .and_then(|rest| rest.strip_suffix("?saved=1"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("saved form leads to {location}"))
}

/// A task made the way a script would, straight through the core.
pub async fn add_task(app: &TestApp, title: &str, key: Option<&str>) -> i64 {
    let input = RawTaskInput {
        title: title.into(),
        key: key.map(str::to_string),
        ..Default::default()
    }
    .parse()
    .expect("a valid task");
    tasks::create(&app.db, &Actor::system("test"), &input)
        .await
        .expect("create task")
        .id
        .0
}

/// A commit as the `vcs` linker hands it to the tracker.
pub fn commit(sha: &str, message: &str, committed_at: i64) -> CommitLink {
    CommitLink {
        repository: "backend".into(),
        sha: sha.into(),
        change_key: format!("key-{sha}"),
        message: message.into(),
        author: None,
        author_name: "Ivan Petrov".into(),
        author_email: "ivan@agency.test".into(),
        authored_at: committed_at - 60_000,
        committed_at,
        url: Some(format!("https://git.agency.test/backend/commit/{sha}")),
        branches: vec!["main".into()],
    }
}

/// `(actor_label, changes)` of the audit entries for `action` on task `id`.
async fn audit(app: &TestApp, action: &str, id: i64) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT actor_label, changes FROM audit_log WHERE action = $1 AND object_kind = 'task' AND object_id = $2 ORDER BY id",
    )
    .bind(action)
    .bind(id.to_string())
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

fn fields(v: &Value) -> Vec<(String, String)> {
    v["error"]["fields"]
        .as_array()
        .map(|fs| {
            fs.iter()
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

#[tokio::test]
async fn the_api_creates_reads_patches_and_lists_tasks() {
    let app = TestApp::spawn().await;
    let api = app.token_as("robot@agency.test", &[Role::Manager]).await;
    let ivan = app.add_person("Иван Петров", "ivan@agency.test").await.0;

    let response = api
        .post("/api/v1/tasks")
        .json(&body!({"title": " Вёрстка главной ", "key": "web-12", "assignee_id": ivan}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/tasks/{id}"));
    assert_eq!(created["title"], "Вёрстка главной");
    assert_eq!(created["key"], "WEB-12", "keys are kept upper case");
    assert_eq!(created["reference"], "WEB-12");
    assert_eq!(created["status"], "open");
    assert_eq!(created["assignee"]["full_name"], "Иван Петров");
    assert_eq!(created["url"], format!("/tasks/{id}"));

    let read = json(api.get(&location), 200).await;
    assert_eq!(read, created);

    // Whoever reacts to new tasks (the vcs capability) hears of it through the queue.
    let queued: Vec<(String,)> =
        sqlx::query_as("SELECT payload FROM jobs WHERE kind = 'tasks.created' ORDER BY id")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(queued.len(), 1);
    let payload: Value = serde_json::from_str(&queued[0].0).unwrap();
    assert_eq!(payload["task_id"], id);

    let patched = json(
        api.patch(&location)
            .json(&body!({"status": "in_progress", "title": "Вёрстка главной страницы"})),
        200,
    )
    .await;
    assert_eq!(patched["status"], "in_progress");
    assert_eq!(patched["title"], "Вёрстка главной страницы");
    assert_eq!(patched["assignee_id"], ivan, "left out, so kept");
    let unassigned = json(
        api.patch(&location).json(&body!({"assignee_id": null})),
        200,
    )
    .await;
    assert_eq!(unassigned["assignee_id"], Value::Null);
    let closed = json(api.patch(&location).json(&body!({"status": "closed"})), 200).await;
    assert!(closed["closed_at"].is_string(), "{closed}");

    let updates = audit(&app, "task.update", id).await;
    assert_eq!(updates.len(), 3, "{updates:?}");
    assert!(updates[0].1.contains("in_progress"), "{:?}", updates[0]);
    assert!(
        updates[0].0.contains("robot"),
        "by the token's user: {:?}",
        updates[0]
    );
    // A patch that changes nothing writes nothing.
    json(api.patch(&location).json(&body!({"status": "closed"})), 200).await;
    assert_eq!(audit(&app, "task.update", id).await.len(), 3);
    assert_eq!(audit(&app, "task.create", id).await.len(), 1);

    let other = add_task(&app, "Настроить CI", None).await;
    let all = json(api.get("/api/v1/tasks"), 200).await;
    assert_eq!(all["total"], 2);
    assert_eq!(all["items"][0]["id"], other, "newest first");
    let active = json(api.get("/api/v1/tasks?status=active"), 200).await;
    assert_eq!(active["total"], 1, "the closed one is left out: {active}");
    for q in ["web-12", "ГЛАВНОЙ", &format!("%23{id}"), &id.to_string()] {
        let found = json(api.get(&format!("/api/v1/tasks?q={q}")), 200).await;
        assert_eq!(found["total"], 1, "«{q}»: {found}");
        assert_eq!(found["items"][0]["id"], id, "«{q}»");
    }
    let none = json(api.get(&format!("/api/v1/tasks?assignee_id={ivan}")), 200).await;
    assert_eq!(none["total"], 0);
}

#[tokio::test]
async fn the_api_refuses_bad_input_naming_the_field() {
    let app = TestApp::spawn().await;
    let api = app.token_as("robot@agency.test", &[Role::Developer]).await;
    let id = add_task(&app, "Есть", Some("WEB-1")).await;

    let cases = [
        (body!({}), ("title", "required")),
        (body!({"title": "x".repeat(301)}), ("title", "too_long")),
        (
            body!({"title": "Задача", "key": "12-WEB"}),
            ("key", "invalid_task_key"),
        ),
        (
            body!({"title": "Задача", "key": "web-1"}),
            ("key", "duplicate_task_key"),
        ),
        (
            body!({"title": "Задача", "assignee_id": 999_999}),
            ("assignee_id", "not_found"),
        ),
    ];
    for (sent, (field, code)) in cases {
        let err = json(api.post("/api/v1/tasks").json(&sent), 422).await;
        assert_eq!(err["error"]["code"], "invalid");
        assert_eq!(
            fields(&err),
            [(field.to_string(), code.to_string())],
            "{sent}"
        );
    }
    let total = json(api.get("/api/v1/tasks"), 200).await;
    assert_eq!(total["total"], 1, "nothing was written");

    let err = json(
        api.patch(&format!("/api/v1/tasks/{id}"))
            .json(&body!({"status": "done", "title": ""})),
        422,
    )
    .await;
    assert_eq!(
        fields(&err),
        [
            ("title".to_string(), "required".to_string()),
            ("status".to_string(), "invalid_status".to_string())
        ]
    );
    let err = json(
        api.post("/api/v1/tasks")
            .json(&body!({"title": "x", "colour": "red"})),
        400,
    )
    .await;
    assert_eq!(err["error"]["code"], "bad_request");
    for path in [
        "/api/v1/tasks/999999",
        "/api/v1/tasks/999999/commits",
        "/api/v1/tasks/999999/time",
    ] {
        let err = json(api.get(path), 404).await;
        assert_eq!(err["error"]["code"], "not_found", "{path}");
    }
    json(
        api.patch("/api/v1/tasks/999999")
            .json(&body!({"title": "x"})),
        404,
    )
    .await;
    json(api.get("/api/v1/tasks/abc"), 400).await;
}

#[tokio::test]
async fn those_without_the_right_cannot_read_or_change_tasks() {
    let app = TestApp::spawn().await;
    let id = add_task(&app, "Секретная задача", None).await;

    let accountant = app.login_as("acc@agency.test", &[Role::Accountant]).await;
    let home = accountant.get_text("/").await;
    assert!(!home.contains("href=\"/tasks\""), "no menu entry: {home}");
    for path in ["/tasks", "/tasks/new", &format!("/tasks/{id}")] {
        assert_eq!(accountant.get(path).await.status(), 403, "{path}");
    }
    let r = accountant.post_form("/tasks", &[("title", "Нельзя")]).await;
    assert_eq!(r.status(), 403);

    let token = app
        .token_as("acc-api@agency.test", &[Role::Accountant])
        .await;
    for path in [
        "/api/v1/tasks".to_string(),
        format!("/api/v1/tasks/{id}"),
        format!("/api/v1/tasks/{id}/commits"),
        format!("/api/v1/tasks/{id}/time"),
    ] {
        let err = json(token.get(&path), 403).await;
        assert_eq!(err["error"]["code"], "forbidden", "{path}");
    }
    json(
        token
            .post("/api/v1/tasks")
            .json(&body!({"title": "Нельзя"})),
        403,
    )
    .await;
    let anonymous = reqwest::get(app.url("/api/v1/tasks")).await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // A developer works on tasks.
    let dev = app.login_as("dev@agency.test", &[Role::Developer]).await;
    let home = dev.get_text("/").await;
    assert!(home.contains("href=\"/tasks\">Задачи</a>"), "{home}");
    let page = dev.get_text(&format!("/tasks/{id}")).await;
    assert!(page.contains("Секретная задача"), "{page}");
    assert!(
        page.contains(&format!("action=\"/tasks/{id}\"")),
        "the change form: {page}"
    );
    assert_eq!(
        tasks::list(&app.db, &Default::default())
            .await
            .unwrap()
            .total,
        1,
        "the refused form wrote nothing"
    );
}

#[tokio::test]
async fn the_form_creates_a_task_and_a_refused_form_names_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    add_task(&app, "Старая задача", Some("WEB-7")).await;
    let ivan = app.add_person("Иван Петров", "ivan@agency.test").await.0;

    let form = admin.get_text("/tasks/new").await;
    assert!(
        form.contains("Иван Петров"),
        "assignees to choose from: {form}"
    );

    let r = admin
        .post_form(
            "/tasks",
            &[
                ("title", " "),
                ("key", "web-7"),
                ("description", ""),
                ("assignee_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"title-error\""), "{page}");
    assert!(page.contains("обязательное поле"), "{page}");
    assert!(page.contains("value=\"web-7\""), "as typed: {page}");

    // Whether the key is free is the database's to say, once the fields are well-formed.
    let r = admin
        .post_form("/tasks", &[("title", "Задача"), ("key", "web-7")])
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"key-error\""), "{page}");
    assert!(page.contains("этот ключ уже у другой задачи"), "{page}");

    let r = admin
        .post_form("/tasks", &[("title", "Задача"), ("key", "КЛЮЧ-1")])
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("ключ вида WEB-12"), "{page}");

    let ivan_id = ivan.to_string();
    let id = saved_id(
        &admin
            .post_form(
                "/tasks",
                &[
                    ("title", "Подключить оплату"),
                    ("key", ""),
                    ("description", "Шаг 1\r\nШаг 2"),
                    ("assignee_id", &ivan_id),
                ],
            )
            .await,
    );
    let page = admin.get_text(&format!("/tasks/{id}?saved=1")).await;
    for shown in [
        "Подключить оплату",
        "Сохранено.",
        &format!("href=\"/people/{ivan}\">Иван Петров</a>"),
        "Шаг 1\nШаг 2",
        "открыта",
        "Коммитов, упоминающих задачу, пока нет.",
    ] {
        assert!(page.contains(shown), "the page shows {shown}: {page}");
    }

    // The list's one-line form needs only a title.
    let quick = saved_id(
        &admin
            .post_form("/tasks", &[("title", "Быстрая задача")])
            .await,
    );
    let list = admin.get_text("/tasks").await;
    assert!(
        list.contains(&format!("href=\"/tasks/{quick}\">Быстрая задача</a>")),
        "{list}"
    );
    assert!(list.contains(&format!("#{id}")), "{list}");
    let found = admin.get_text("/tasks?q=оплат").await;
    assert!(
        found.contains("Подключить оплату") && !found.contains("Быстрая задача"),
        "{found}"
    );
    let fragment = admin
        .http
        .get(admin.url("/tasks?q=web-7&status=all"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        fragment.starts_with("<div id=\"tasks-results\">"),
        "{fragment}"
    );
    assert!(fragment.contains("WEB-7"), "{fragment}");

    // The task page changes status and assignee; a bad status is named.
    let r = admin
        .post_form(
            &format!("/tasks/{id}"),
            &[("status", "in_progress"), ("assignee_id", "")],
        )
        .await;
    assert_eq!(saved_id(&r), id);
    let task = tasks::get(&app.db, shtab_core::ids::TaskId(id))
        .await
        .unwrap();
    assert_eq!(task.status, tasks::TaskStatus::InProgress);
    assert_eq!(task.assignee_id, None);
    let r = admin
        .post_form(
            &format!("/tasks/{id}"),
            &[("status", "done"), ("assignee_id", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"status-error\""), "{page}");
    assert!(page.contains("неизвестный статус"), "{page}");
    assert_eq!(audit(&app, "task.create", id).await.len(), 1);
    assert!(audit(&app, "task.create", id).await[0].0.contains("admin"));
    assert_eq!(admin.get("/tasks/999999").await.status(), 404);
    assert_eq!(admin.get("/tasks/abc").await.status(), 404);
}

#[tokio::test]
async fn commits_are_attached_once_and_shown_oldest_first() {
    let app = TestApp::spawn().await;
    let api = app.token_as("robot@agency.test", &[Role::Developer]).await;
    let ivan = app.add_person("Иван Петров", "ivan@agency.test").await;
    let id = add_task(&app, "Вход по SMS", Some("WEB-3")).await;
    let tracker = BuiltinTracker::new(app.db.clone());
    let task = id.to_string();

    let later = commit(
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "Second step WEB-3",
        1_700_000_200_000,
    );
    let earlier = commit(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "First step WEB-3\n\nWhy it is done this way.",
        1_700_000_100_000,
    );
    tracker.link_commit(&task, &later).await.unwrap();
    tracker.link_commit(&task, &earlier).await.unwrap();

    let list = json(api.get(&format!("/api/v1/tasks/{id}/commits")), 200).await;
    let shas: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sha"].as_str().unwrap())
        .collect();
    assert_eq!(
        shas,
        [earlier.sha.as_str(), later.sha.as_str()],
        "oldest first"
    );
    assert_eq!(list["items"][0]["author"]["person"], Value::Null);

    // The same commit again, now with its author mapped and reached by another branch only
    // (its first one deleted): the row is brought up to date, not doubled.
    let mut again = later.clone();
    again.author = Some(ivan);
    again.author_email = "ivan.petrov@agency.test".into();
    again.branches = vec!["feature/sms".into()];
    again.url = None;
    tracker.link_commit(&task, &again).await.unwrap();
    tracker.link_commit(&task, &again).await.unwrap();
    let list = json(api.get(&format!("/api/v1/tasks/{id}/commits")), 200).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    let second = &items[1];
    assert_eq!(second["author"]["person"]["id"], ivan.0);
    assert_eq!(second["author"]["email"], "ivan.petrov@agency.test");
    assert_eq!(
        second["branches"],
        body!(["feature/sms"]),
        "the branches that reach it now"
    );
    assert_eq!(second["unreachable"], false);
    assert_eq!(
        second["url"],
        format!("https://git.agency.test/backend/commit/{}", later.sha),
        "an address once known is kept"
    );
    let links = audit(&app, "task.link_commits", id).await;
    assert_eq!(
        links.len(),
        3,
        "two new, one update, nothing for the no-op: {links:?}"
    );
    assert!(
        links.iter().all(|(actor, _)| actor == "tracker"),
        "{links:?}"
    );

    // A cherry-picked copy in another repository is the same change.
    let mut copy = earlier.clone();
    copy.repository = "mobile".into();
    copy.sha = "cccccccccccccccccccccccccccccccccccccccc".into();
    copy.committed_at = 1_700_000_300_000;
    copy.url = Some("javascript:alert(1)".into());
    tracker
        .link_commits(&[(task.clone(), copy.clone())])
        .await
        .unwrap();
    let list = json(api.get(&format!("/api/v1/tasks/{id}/commits")), 200).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        3,
        "the API lists every copy"
    );
    assert_eq!(
        list["items"][2]["url"],
        Value::Null,
        "only web addresses are kept"
    );

    let admin = app.admin().await;
    let page = admin.get_text(&format!("/tasks/{id}")).await;
    let first = page
        .find("First step WEB-3")
        .expect("the first commit is shown");
    let second = page
        .find("Second step WEB-3")
        .expect("the second commit is shown");
    assert!(first < second, "oldest first on the page");
    assert_eq!(
        page.matches("First step WEB-3").count(),
        1,
        "the copy is not a second row"
    );
    assert!(page.contains("также: <span class=\"mono\""), "{page}");
    assert!(page.contains("ccccccc</span> в mobile"), "{page}");
    assert!(
        page.contains(&format!(
            "href=\"https://git.agency.test/backend/commit/{}\" target=\"_blank\" rel=\"noopener noreferrer\"",
            earlier.sha
        )),
        "{page}"
    );
    assert!(page.contains(">aaaaaaa</a>"), "short hash: {page}");
    assert!(
        page.contains("Why it is done this way."),
        "the rest of the message: {page}"
    );
    assert!(
        page.contains("<details><summary>First step WEB-3</summary>"),
        "{page}"
    );
    assert!(
        page.contains(&format!("href=\"/people/{ivan}\">Иван Петров</a>")),
        "{page}"
    );
    assert!(
        page.contains("Ivan Petrov <span class=\"muted\">&lt;ivan@agency.test&gt;</span>"),
        "{page}"
    );
    // 1_700_000_100_000 ms is 2023-11-14 22:15 UTC, 2023-11-15 01:15 in Moscow.
    assert!(
        page.contains("15.11.2023 01:15"),
        "in the configured zone: {page}"
    );

    let err = tracker.link_commit("999999", &earlier).await.unwrap_err();
    assert!(matches!(err, shtab_core::CoreError::NotFound(_)), "{err}");
    let err = tracker.link_commit("abc", &earlier).await.unwrap_err();
    assert!(matches!(err, shtab_core::CoreError::NotFound(_)), "{err}");
    let mut bad = earlier.clone();
    bad.sha = "not-a-sha".into();
    assert!(tracker.link_commit(&task, &bad).await.is_err());
}

#[tokio::test]
async fn time_is_logged_once_per_source_and_closing_is_idempotent() {
    let app = TestApp::spawn().await;
    let api = app.token_as("robot@agency.test", &[Role::Manager]).await;
    let ivan = app.add_person("Иван Петров", "ivan@agency.test").await;
    let id = add_task(&app, "Отчёт", None).await;
    let tracker = BuiltinTracker::new(app.db.clone());
    let task = id.to_string();

    let entry = |minutes: i64, source: &str| TimeEntry {
        person: ivan,
        minutes,
        spent_at: 1_700_000_000_000,
        note: "Fix report #1".into(),
        source: source.into(),
    };
    tracker
        .log_time(&task, &entry(90, "commit:backend@aaa"))
        .await
        .unwrap();
    tracker
        .log_time(&task, &entry(90, "commit:backend@aaa"))
        .await
        .unwrap();
    tracker
        .log_time(&task, &entry(60, "commit:backend@bbb"))
        .await
        .unwrap();
    let time = json(api.get(&format!("/api/v1/tasks/{id}/time")), 200).await;
    assert_eq!(time["total_minutes"], 150);
    assert_eq!(time["entries"].as_array().unwrap().len(), 2, "{time}");
    assert_eq!(time["entries"][0]["person"]["full_name"], "Иван Петров");
    assert_eq!(audit(&app, "task.log_time", id).await.len(), 2);
    assert!(
        tracker
            .log_time(&task, &entry(0, "commit:backend@ccc"))
            .await
            .is_err()
    );
    assert!(tracker.log_time("999999", &entry(5, "x")).await.is_err());

    tracker
        .close_task(&task, Some(ivan), "closed by commit:backend@bbb")
        .await
        .unwrap();
    tracker
        .close_task(&task, Some(ivan), "closed by commit:backend@bbb")
        .await
        .unwrap();
    let closed = json(api.get(&format!("/api/v1/tasks/{id}")), 200).await;
    assert_eq!(closed["status"], "closed");
    let entries = audit(&app, "task.close", id).await;
    assert_eq!(entries.len(), 1, "closed once: {entries:?}");
    assert_eq!(entries[0].0, "tracker");
    assert!(
        entries[0].1.contains("commit:backend@bbb"),
        "{:?}",
        entries[0]
    );

    tracker
        .comment(&task, None, "Отчёт отправлен")
        .await
        .unwrap();
    let comments = tasks::comments(&app.db, shtab_core::ids::TaskId(id))
        .await
        .unwrap();
    assert_eq!(comments.len(), 2, "the closing note and the comment");
    assert_eq!(comments[0].author_id, Some(ivan));

    let admin = app.admin().await;
    let page = admin.get_text(&format!("/tasks/{id}")).await;
    assert!(page.contains("2 ч 30 мин"), "the total: {page}");
    assert!(page.contains("1 ч 30 мин"), "{page}");
    assert!(page.contains("Отчёт отправлен"), "{page}");
    assert!(page.contains("закрыта"), "{page}");
    let english = admin.post_form("/lang", &[("lang", "en")]).await;
    assert_eq!(english.status(), 303);
    let page = admin.get_text(&format!("/tasks/{id}")).await;
    assert!(page.contains("2 h 30 min"), "{page}");
}

#[tokio::test]
async fn the_tracker_finds_tasks_by_number_and_by_key() {
    let app = TestApp::spawn().await;
    let tracker = BuiltinTracker::new(app.db.clone());
    let plain = add_task(&app, "Без ключа", None).await;
    let keyed = add_task(&app, "С ключом", Some("proj-12")).await;

    let found = tracker
        .find_task(&plain.to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, plain.to_string());
    assert_eq!(found.reference, format!("#{plain}"));
    assert_eq!(
        found.url.as_deref(),
        Some(format!("/tasks/{plain}").as_str())
    );
    assert!(!found.closed);
    assert_eq!(found.title, "Без ключа");
    assert_eq!(
        tracker
            .find_task(&format!("#{plain}"))
            .await
            .unwrap()
            .map(|t| t.id),
        Some(plain.to_string())
    );

    let found = tracker.find_task("PROJ-12").await.unwrap().unwrap();
    assert_eq!(found.id, keyed.to_string());
    assert_eq!(found.reference, "PROJ-12");
    assert_eq!(
        tracker.find_task("proj-12").await.unwrap().map(|t| t.id),
        Some(keyed.to_string())
    );

    for nothing in [
        "999999",
        "PROJ-13",
        "",
        "99999999999999999999999",
        "not a ref",
        "#",
    ] {
        assert!(
            tracker.find_task(nothing).await.unwrap().is_none(),
            "«{nothing}»"
        );
    }

    tracker
        .close_task(&keyed.to_string(), None, "")
        .await
        .unwrap();
    assert!(tracker.find_task("PROJ-12").await.unwrap().unwrap().closed);
    let comments = tasks::comments(&app.db, shtab_core::ids::TaskId(keyed))
        .await
        .unwrap();
    assert!(comments.is_empty(), "no note, no comment");
}
