//! The home page as each role meets it: counts of what needs attention — each equal to the
//! rows of the list it links to, none of a kind the role may not open — the first steps an
//! admin sees until they work, recent activity, and the same over `/api/v1/attention`.

use serde_json::{Map, Value, json};
use shtab_core::audit::Actor;
use shtab_core::auth::{Role, users};
use shtab_core::ports::{Crm, NewDeal};
use shtab_tenders::crm::BuiltinCrm;

use crate::access::{IVAN_KEY, grant, person, resource, server};
use crate::tenders_portal::{FakePortal, FakeTender, TOKEN};
use crate::testkit::{ApiClient, PASSWORD, TestApp, WebClient, json as json_of};

/// A user with `roles`, logged in on the pages and holding an API token.
pub(crate) async fn as_role(
    app: &TestApp,
    email: &str,
    roles: &[Role],
) -> (users::User, WebClient, ApiClient) {
    let user = app
        .create_user(email, email.split('@').next().unwrap(), roles)
        .await;
    let (_, secret) =
        shtab_core::auth::tokens::create(&app.db, &Actor::system("test"), user.id, "test")
            .await
            .unwrap();
    let web = app.login(email, PASSWORD).await;
    (user, web, ApiClient::new(&app.base, &secret))
}

pub(crate) async fn app_with_portal(fake: &FakePortal) -> TestApp {
    let addr = fake.serve().await;
    TestApp::spawn_with(move |c| {
        c.tenders.portal_url = format!("http://{addr}");
        c.tenders.soap_url = format!("http://{addr}/eis-integration/services/getDocsIP");
        c.tenders.soap_token = shtab_core::config::Secret::new(TOKEN);
    })
    .await
}

async fn run_robot(app: &TestApp, name: &str) -> shtab_core::robots::RunRow {
    let set = shtab::server::robot_set(&app.db, &app.config);
    shtab_core::robots::run_in_foreground(&app.db, &set, name, None)
        .await
        .unwrap()
}

/// A bank payment as an import would store it.
pub(crate) async fn payment(
    app: &TestApp,
    key: &str,
    payer: &str,
    inn: &str,
    kopecks: i64,
    state: &str,
) -> i64 {
    let account: Option<i64> = sqlx::query_scalar("SELECT id FROM bank_accounts LIMIT 1")
        .fetch_optional(app.db.pool())
        .await
        .unwrap();
    let account = match account {
        Some(a) => a,
        None => sqlx::query_scalar(
            "INSERT INTO bank_accounts (number, bic, created_at, updated_at) \
             VALUES ('40702810900000000001', '044525974', 0, 0) RETURNING id",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap(),
    };
    sqlx::query_scalar(
        "INSERT INTO bank_payments (account_id, op_key, source, direction, amount, op_date, payer_name, \
         payer_inn, search_text, match_state, created_at) \
         VALUES ($1, $2, 'tbank', 'incoming', $3, '2026-02-03', $4, $5, $6, $7, 0) RETURNING id",
    )
    .bind(account)
    .bind(key)
    .bind(kopecks)
    .bind(payer)
    .bind(inn)
    .bind(format!("{payer} {inn}").to_lowercase())
    .bind(state)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

pub(crate) async fn deal(
    app: &TestApp,
    key: &str,
    stage: &str,
    responsible: Option<shtab_core::ids::PersonId>,
    deadline_days: i64,
) -> i64 {
    let deadline =
        shtab_core::time::rfc3339_ms(shtab_core::time::now_ms() + deadline_days * 24 * 3600 * 1000);
    let mut fields = Map::new();
    fields.insert("customer".into(), json!("ГБУ «Жилищник района Арбат»"));
    fields.insert("deadline".into(), json!(deadline));
    let d = BuiltinCrm::new(app.db.clone(), app.config.clone())
        .create_deal(
            &NewDeal {
                pipeline: "tenders".into(),
                stage: stage.into(),
                title: format!("Закупка № {key}"),
                responsible,
                fields,
                external_key: key.into(),
            },
            &Actor::robot("tenders.searches"),
        )
        .await
        .unwrap();
    d.id.parse().unwrap()
}

/// Distinct ids in links `href="{prefix}{digits}"`.
fn linked_ids(html: &str, prefix: &str) -> usize {
    let needle = format!("href=\"{prefix}");
    let mut ids = std::collections::BTreeSet::new();
    for (at, _) in html.match_indices(&needle) {
        let rest = &html[at + needle.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && rest[digits.len()..].starts_with('"') {
            ids.insert(digits);
        }
    }
    ids.len()
}

/// Rows of the tables' bodies.
fn body_rows(html: &str) -> usize {
    html.split("<tbody>")
        .skip(1)
        .map(|part| {
            part.split("</tbody>")
                .next()
                .unwrap_or("")
                .matches("<tr")
                .count()
        })
        .sum()
}

/// How many rows the list at `href` shows, as its kind is counted.
async fn rows_of(web: &WebClient, key: &str, href: &str) -> usize {
    let response = web.get(href).await;
    assert_eq!(response.status(), 200, "{key}: {href}");
    let html = response.text().await.unwrap();
    match key {
        "bank.payments_attention" => linked_ids(&html, "/bank/payments/"),
        "invoices.overdue" => linked_ids(&html, "/invoices/"),
        "tenders.inbox" => html.matches("<tr id=\"tender-").count(),
        "deals.mine" | "deals.deadline_week" => html.matches("data-deal-id=").count(),
        "access.grants_failed" => html.matches("data-grant=").count(),
        "access.servers_out_of_sync" => linked_ids(&html, "/access/servers/"),
        "robots.failed" => html.matches("data-robot=").count(),
        "notifications.dead" => html.matches("data-status=\"dead\"").count(),
        "vcs.unmatched_authors" => body_rows(&html),
        other => panic!("no way to count the list of {other}"),
    }
}

/// Everything that can need attention, a few of each.
async fn seed(app: &TestApp, manager: shtab_core::ids::PersonId) {
    let admin = app.token_as("root@agency.test", &[Role::Admin]).await;

    // Tenders: a saved search run once finds two, both wait in the inbox.
    json_of(
        admin
            .post("/api/v1/tenders/searches")
            .json(&json!({"name": "Охрана", "spec": {"keywords": ["охрана"]}})),
        201,
    )
    .await;
    let run = run_robot(app, "tenders.searches").await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    // Deals: one open and the manager's with a deadline in two days, one open of nobody's
    // far off, one lost of the manager's.
    deal(app, "D-1", "reviewing", Some(manager), 2).await;
    deal(app, "D-2", "reviewing", None, 30).await;
    deal(app, "D-3", "lost", Some(manager), 1).await;

    // Bank: two payments need a look, one is matched; one invoice is overdue, one not.
    payment(
        app,
        "p1",
        "ООО «Ромашка»",
        "7707083893",
        150_000,
        "attention",
    )
    .await;
    payment(app, "p2", "ООО «Лютик»", "7736050003", 9_900, "attention").await;
    payment(app, "p3", "ООО «Ромашка»", "7707083893", 500_000, "matched").await;
    for (number, due) in [("СЧ-1", "2020-02-01"), ("СЧ-2", "2099-01-01")] {
        json_of(
            admin.post("/api/v1/invoices").json(&json!({
                "number": number,
                "issued_on": "2020-01-01",
                "payer_name": "ООО «Ромашка»",
                "payer_inn": "7707083893",
                "amount_kopecks": 100_000,
                "due_on": due,
            })),
            201,
        )
        .await;
    }

    // Access: one failed grant of two; one server out of sync of two.
    let ivan = person(&admin, "Иван Петров", "ivan@agency.test", &[IVAN_KEY]).await;
    let web = resource(
        &admin,
        json!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    let db = resource(
        &admin,
        json!({"name": "DB", "kind": "ssh", "settings": {"target": "db1"}}),
    )
    .await;
    let failed = grant(
        &admin,
        json!({"person_id": ivan, "resource_id": web, "login": "ivan"}),
    )
    .await;
    grant(
        &admin,
        json!({"person_id": ivan, "resource_id": db, "login": "ivan"}),
    )
    .await;
    shtab_access::store::grants::set_state(
        &app.db,
        failed["id"].as_i64().unwrap(),
        shtab_access::domain::grant::GrantState::Failed,
    )
    .await
    .unwrap();
    let (behind, _) = server(&admin, "web1", &["web"]).await;
    server(&admin, "web2", &["web"]).await;
    sqlx::query(
        "UPDATE access_servers SET applied_revision = 'an-old-one', reported_at = 1 WHERE id = $1",
    )
    .bind(behind)
    .execute(app.db.pool())
    .await
    .unwrap();

    // Platform: a robot whose last run failed (of the robots `serve` registers); a
    // notification that gave up.
    let set = shtab::server::robot_set(&app.db, &app.config);
    shtab_core::robots::sync_known(&app.db, &set, "Europe/Moscow")
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO robot_runs (robot, trigger, status, created_at, started_at, finished_at, counters, error) \
         VALUES ('housekeeping', 'schedule', 'failed', 1, 1, 2, '{}', 'disk full')",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO notify_deliveries (person_id, channel, target, template_key, subject, body, status, attempts, last_error, created_at) \
         VALUES ($1, 'email', 'ivan@agency.test', 'test', 'Проверка', 'Текст', 'dead', 5, 'refused', 1)",
    )
    .bind(ivan)
    .execute(app.db.pool())
    .await
    .unwrap();

    // Code: two commits of an author nobody is matched to.
    let repo: i64 = sqlx::query_scalar(
        "INSERT INTO vcs_repositories (name, forge, webhook_secret, created_at, updated_at) \
         VALUES ('site', 'git', 'x', 0, 0) RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    for sha in ["a1", "a2"] {
        sqlx::query(
            "INSERT INTO vcs_commits (repository_id, sha, change_key, author_name, author_email, authored_at, \
             committed_at, message, first_seen_at) VALUES ($1, $2, $2, 'Stranger', 'stranger@example.com', 1, 1, 'fix', 1)",
        )
        .bind(repo)
        .bind(sha)
        .execute(app.db.pool())
        .await
        .unwrap();
    }
}

fn keys(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect()
}

fn count(v: &Value, key: &str) -> i64 {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {v}"))["count"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn each_role_sees_only_its_counts_and_each_count_is_the_rows_of_its_list() {
    let fake = FakePortal::default();
    fake.set(vec![
        FakeTender::new(21, "Охрана административного здания"),
        FakeTender::new(22, "Охрана и уборка склада"),
    ]);
    let app = app_with_portal(&fake).await;
    let (manager_user, manager_web, manager_api) =
        as_role(&app, "manager@agency.test", &[Role::Manager]).await;
    seed(&app, manager_user.person_id).await;

    let (_, admin_web, admin_api) = as_role(&app, "boss@agency.test", &[Role::Admin]).await;
    let (_, accountant_web, accountant_api) =
        as_role(&app, "buh@agency.test", &[Role::Accountant]).await;
    let (_, developer_web, developer_api) =
        as_role(&app, "dev@agency.test", &[Role::Developer]).await;

    let all = [
        "robots.failed",
        "notifications.dead",
        "vcs.unmatched_authors",
        "bank.payments_attention",
        "invoices.overdue",
        "tenders.inbox",
        "deals.mine",
        "deals.deadline_week",
        "access.grants_failed",
        "access.servers_out_of_sync",
    ];
    let expected: [(&str, &ApiClient, &WebClient, Vec<&str>); 4] = [
        ("admin", &admin_api, &admin_web, all.to_vec()),
        (
            "manager",
            &manager_api,
            &manager_web,
            vec![
                "robots.failed",
                "vcs.unmatched_authors",
                "bank.payments_attention",
                "invoices.overdue",
                "tenders.inbox",
                "deals.mine",
                "deals.deadline_week",
                "access.grants_failed",
                "access.servers_out_of_sync",
            ],
        ),
        (
            "accountant",
            &accountant_api,
            &accountant_web,
            vec!["bank.payments_attention", "invoices.overdue"],
        ),
        (
            "developer",
            &developer_api,
            &developer_web,
            vec!["vcs.unmatched_authors"],
        ),
    ];
    for (role, api, web, wanted) in expected {
        let body = json_of(api.get("/api/v1/attention"), 200).await;
        let mut got = keys(&body);
        got.sort();
        let mut wanted: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
        wanted.sort();
        assert_eq!(got, wanted, "{role}: {body}");
        let home = web.get_text("/").await;
        for item in body["items"].as_array().unwrap() {
            let key = item["key"].as_str().unwrap();
            let href = item["href"].as_str().unwrap();
            let n = item["count"].as_i64().unwrap();
            assert_eq!(
                rows_of(web, key, href).await as i64,
                n,
                "{role}: {key} → {href}"
            );
            if n == 0 {
                // Only the admin has no deals of their own; a zero is not shown.
                assert_eq!((role, key), ("admin", "deals.mine"));
                assert!(!home.contains(&format!("data-attention=\"{key}\"")));
                continue;
            }
            // The page shows the count with its link, in Russian.
            let line = home
                .split(&format!("data-attention=\"{key}\""))
                .nth(1)
                .and_then(|rest| rest.split("</li>").next())
                .unwrap_or_else(|| panic!("{role}: {key} on the home page"));
            assert!(
                line.contains(&format!("attention-count\">{n}<")),
                "{role}: {line}"
            );
            assert!(
                home.contains(item["label"].as_str().unwrap()),
                "{role}: {key}'s label"
            );
        }
        for hidden in all.iter().filter(|k| !wanted.iter().any(|w| w == *k)) {
            assert!(
                !home.contains(&format!("data-attention=\"{hidden}\"")),
                "{role} sees {hidden}"
            );
        }
    }

    // What was seeded, exactly.
    let admin = json_of(admin_api.get("/api/v1/attention"), 200).await;
    assert_eq!(count(&admin, "bank.payments_attention"), 2);
    assert_eq!(count(&admin, "invoices.overdue"), 1);
    assert_eq!(count(&admin, "tenders.inbox"), 2);
    assert_eq!(count(&admin, "access.grants_failed"), 1);
    assert_eq!(count(&admin, "access.servers_out_of_sync"), 1);
    assert_eq!(count(&admin, "robots.failed"), 1);
    assert_eq!(count(&admin, "notifications.dead"), 1);
    assert_eq!(count(&admin, "vcs.unmatched_authors"), 1);
    // The deals waiting on the manager are the manager's, not the admin's.
    let manager = json_of(manager_api.get("/api/v1/attention"), 200).await;
    assert_eq!(count(&manager, "deals.mine"), 1);
    assert_eq!(count(&admin, "deals.mine"), 0);
    assert_eq!(count(&manager, "deals.deadline_week"), 1);

    // Recent activity: the audit log's latest entries for those who may read it.
    let home = admin_web.get_text("/").await;
    assert!(home.contains("Последние события") && home.contains("Весь журнал"));
    let home = developer_web.get_text("/").await;
    assert!(!home.contains("Последние события"));

    // No token: 401, as JSON.
    let anonymous = reqwest::Client::new()
        .get(app.url("/api/v1/attention"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn an_admin_sees_the_first_steps_ticked_as_each_starts_to_work() {
    let app = TestApp::spawn_with(|c| {
        c.notify.email.smtp_host = "127.0.0.1".into();
    })
    .await;
    let (_, admin_web, admin_api) = as_role(&app, "boss@agency.test", &[Role::Admin]).await;
    let (_, manager_web, manager_api) =
        as_role(&app, "manager@agency.test", &[Role::Manager]).await;

    let steps = |v: &Value| -> Vec<(String, bool)> {
        v["first_steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["key"].as_str().unwrap().to_string(),
                    s["done"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let body = json_of(admin_api.get("/api/v1/attention"), 200).await;
    assert_eq!(
        steps(&body),
        vec![
            ("email".to_string(), true),
            ("telegram".to_string(), false),
            ("portal".to_string(), true),
            ("repository".to_string(), false),
            ("bank_account".to_string(), false),
            ("tender_search".to_string(), false),
            ("server".to_string(), false),
        ]
    );
    let home = admin_web.get_text("/").await;
    assert!(home.contains("Первые шаги"));
    assert!(home.contains("data-step=\"email\" data-done=\"true\""));
    assert!(home.contains("data-step=\"server\" data-done=\"false\""));
    // Not for a manager.
    assert_eq!(
        steps(&json_of(manager_api.get("/api/v1/attention"), 200).await),
        vec![]
    );
    assert!(!manager_web.get_text("/").await.contains("Первые шаги"));

    // A bank account is ticked once a statement put a payment in it, a server once its
    // agent reported, not when the row was merely added.
    payment(&app, "p1", "ООО «Ромашка»", "7707083893", 100, "waiting").await;
    let admin = app.token_as("root@agency.test", &[Role::Admin]).await;
    let (id, _) = server(&admin, "web1", &["web"]).await;
    let body = json_of(admin_api.get("/api/v1/attention"), 200).await;
    assert!(steps(&body).contains(&("bank_account".to_string(), true)));
    assert!(steps(&body).contains(&("server".to_string(), false)));
    sqlx::query("UPDATE access_servers SET reported_at = 1 WHERE id = $1")
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();
    let body = json_of(admin_api.get("/api/v1/attention"), 200).await;
    assert!(steps(&body).contains(&("server".to_string(), true)));
}

/// Fragments of English Shtab itself wrote that a Russian page used to show.
const ENGLISH: &[&str] = &[
    "At every",
    "At minute",
    "At 03:30",
    "needs_attention",
    "waiting_linked",
    "with_references",
    "deleted 0",
    "naming tasks",
    "links made",
    "closed by",
    " info ",
    " RUB",
];

/// What a person reads: the page without its tags (attributes keep stable keys).
fn visible(page: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in page.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn assert_russian(page: &str, what: &str) {
    let text = visible(page);
    for english in ENGLISH {
        assert!(!text.contains(english), "{what} shows «{english}»:\n{text}");
    }
}

#[tokio::test]
async fn russian_pages_read_schedules_counters_logs_notes_and_comments_in_russian() {
    use shtab_core::ports::Tracker;

    let app = TestApp::spawn().await;
    let set = shtab::server::robot_set(&app.db, &app.config);
    shtab_core::robots::sync_known(&app.db, &set, "Europe/Moscow")
        .await
        .unwrap();
    let (_, web, api) = as_role(&app, "boss@agency.test", &[Role::Admin]).await;

    // The robots: schedules in words, runs with their counters and log.
    let housekeeping = run_robot(&app, "housekeeping").await;
    let statements = run_robot(&app, "bank.statements").await;
    let sweep = run_robot(&app, "vcs.sweep").await;
    let robots = web.get_text("/robots").await;
    assert_russian(&robots, "/robots");
    assert!(robots.contains("каждые 5 минут"), "{robots}");
    assert!(robots.contains("ежедневно в 03:30"), "{robots}");
    let page = web.get_text("/robots/housekeeping").await;
    assert_russian(&page, "/robots/housekeeping");
    for run in [&housekeeping, &statements, &sweep] {
        let page = web.get_text(&format!("/robots/runs/{}", run.id)).await;
        assert_russian(&page, &format!("the run of {}", run.robot));
        // The title names the robot after the dash.
        let title = page
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .unwrap();
        assert!(
            !title.contains("— ·") && !title.trim_end().ends_with('—'),
            "{title}"
        );
    }
    let page = web
        .get_text(&format!("/robots/runs/{}", housekeeping.id))
        .await;
    assert!(page.contains("удалено истёкших сеансов: 0"), "{page}");
    assert!(page.contains("сеансов удалено"), "{page}");
    let page = web
        .get_text(&format!("/robots/runs/{}", statements.id))
        .await;
    assert!(page.contains("требуют разбора") && page.contains("data-counter=\"needs_attention\""));

    // A webhook delivery's note on the repository's page.
    let repo: i64 = sqlx::query_scalar(
        "INSERT INTO vcs_repositories (name, forge, webhook_secret, created_at, updated_at) \
         VALUES ('site', 'gitea', 'x', 0, 0) RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO vcs_deliveries (repository_id, delivery_id, claimed_id, event, status, reason, commits, linked, received_at) \
         VALUES ($1, 'd1', 'site', 'push', 'processed', \
         '2 commits, 2 naming tasks, 1 links made; no such task (yet) for WEB-7: waiting', 2, 1, 1)",
    )
    .bind(repo)
    .execute(app.db.pool())
    .await
    .unwrap();
    let page = web.get_text(&format!("/repositories/{repo}")).await;
    assert_russian(&page, "the repository");
    assert!(
        page.contains("коммитов: 2, с номерами задач: 2, связей создано: 1; таких задач (пока) нет: WEB-7 — ждём"),
        "{page}"
    );

    // The comment a commit leaves on the task it closes.
    let task = crate::vcs::new_task(&api, "Поправить меню").await;
    shtab_core::tasks::BuiltinTracker::new(app.db.clone())
        .close_task(
            &task.to_string(),
            None,
            "closed by commit:site@0abc: Поправить меню",
        )
        .await
        .unwrap();
    let page = web.get_text(&format!("/tasks/{task}")).await;
    assert_russian(&page, "the task");
    assert!(
        page.contains("закрыта коммитом site@0abc: Поправить меню"),
        "{page}"
    );
}
