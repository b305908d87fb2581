//! The demo company: every capability has something to show, loading it twice changes
//! nothing, and removing it brings every table back to what it was, leaving a person's own
//! data as it was.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use shtab_core::audit::Actor;
use shtab_core::auth::Role;
use shtab_core::db::Backend;
use shtab_core::ports::Crm;

use crate::testkit::{TestApp, json};

/// Row counts of every table of the schema (but the migrations' own).
async fn table_counts(app: &TestApp) -> BTreeMap<String, i64> {
    let sql = match app.db.backend() {
        Backend::Sqlite => {
            // Not the people search's FTS5 index: the tables behind it are its storage, which
            // a removal need not shrink back (what it finds is a search's business).
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations'"
        }
    };
    let tables: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert!(tables.len() > 40, "the schema's tables: {tables:?}");
    let mut counts = BTreeMap::new();
    for t in tables {
        counts.insert(
            t.clone(),
            app.count(&format!("SELECT COUNT(*) FROM {t}")).await,
        );
    }
    counts
}

/// Differences between two snapshots, for a readable failure.
fn changed(before: &BTreeMap<String, i64>, after: &BTreeMap<String, i64>) -> Vec<String> {
    after
        .iter()
        .filter(|(t, n)| before.get(*t) != Some(n))
        .map(|(t, n)| format!("{t}: {:?} → {n}", before.get(t)))
        .collect()
}

async fn grouped(app: &TestApp, sql: &str) -> BTreeMap<String, i64> {
    let rows: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    rows.into_iter().collect()
}

/// A person's own data, made before the demo: it must survive the demo's removal.
async fn own_data(app: &TestApp) -> (i64, i64) {
    app.add_person("Свой Сотрудник", "own@agency.test").await;
    let task = shtab_core::tasks::create(
        &app.db,
        &Actor::system("test"),
        &shtab_core::tasks::RawTaskInput {
            title: "Своя задача".into(),
            ..Default::default()
        }
        .parse()
        .unwrap(),
    )
    .await
    .unwrap();
    // Billed to a demo customer's INN (ООО «Ромашка»): removal goes by the ledger, not by
    // whom an invoice is for.
    let invoice = shtab_bank::invoices::create(
        &app.db,
        &Actor::system("test"),
        &shtab_bank::invoices::RawInvoiceInput {
            number: "СВОЙ-1".into(),
            issued_on: "2026-01-15".into(),
            payer_name: "ООО «Ромашка»".into(),
            payer_inn: "7708123450".into(),
            amount: "1000".into(),
            ..Default::default()
        }
        .parse()
        .unwrap(),
    )
    .await
    .unwrap();
    (task.id.0, invoice.id.0)
}

#[tokio::test]
async fn the_demo_fills_every_capability_twice_adds_nothing_and_removal_restores_every_table() {
    let app = TestApp::spawn().await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let web = app.admin().await;
    let (own_task, own_invoice) = own_data(&app).await;
    let before = table_counts(&app).await;

    let report = shtab::demo::load(&app.db, &app.config).await.unwrap();
    assert_eq!(report.people.people_created, 14);
    let loaded = table_counts(&app).await;

    // Code ↔ tasks: the repository was swept, tasks show commits through the API, some
    // were closed by "fixes", time was logged, and an unknown author waits to be mapped.
    assert_eq!(report.code.commits, 300);
    let demo_tasks: Vec<i64> = sqlx::query_scalar(
        "SELECT CAST(object_id AS BIGINT) FROM demo_objects WHERE kind = 'task' ORDER BY 1",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(demo_tasks.len(), 36);
    let mut with_commits = 0;
    for id in &demo_tasks {
        let commits = json(api.get(&format!("/api/v1/tasks/{id}/commits")), 200).await;
        if !commits["items"].as_array().unwrap().is_empty() {
            with_commits += 1;
        }
    }
    assert!(with_commits >= 30, "{with_commits} demo tasks have commits");
    assert!(
        app.count("SELECT COUNT(*) FROM tasks WHERE status = 'closed'")
            .await
            > 0
    );
    assert!(app.count("SELECT COUNT(*) FROM task_time_entries").await > 0);
    let authors = json(api.get("/api/v1/commit-authors"), 200).await;
    let stranger = authors["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "petrov@contractor.example")
        .unwrap_or_else(|| panic!("an author nobody mapped: {authors}"));
    assert!(stranger["commits"].as_i64().unwrap() > 0, "{stranger}");

    // Bank: payments in every match state, invoices paid, part-paid and unpaid.
    let states = grouped(
        &app,
        "SELECT match_state, COUNT(*) FROM bank_payments GROUP BY match_state",
    )
    .await;
    for state in ["matched", "partial", "attention", "none"] {
        assert!(
            states.get(state).is_some_and(|n| *n > 0),
            "{state}: {states:?}"
        );
    }
    let several: i64 = app
        .count(
            "SELECT COUNT(*) FROM (SELECT payment_id FROM bank_allocations \
             GROUP BY payment_id HAVING COUNT(*) > 1) several",
        )
        .await;
    assert!(several > 0, "a payment pays several invoices at once");
    let invoices = grouped(&app, "SELECT state, COUNT(*) FROM invoices GROUP BY state").await;
    for state in ["paid", "partially_paid", "open"] {
        assert!(
            invoices.get(state).is_some_and(|n| *n > 0),
            "{state}: {invoices:?}"
        );
    }

    // Tenders: a few in the inbox, deals in every stage, vendor e-mails in the history.
    let crm: Arc<dyn Crm> = Arc::new(shtab_tenders::crm::BuiltinCrm::new(
        app.db.clone(),
        app.config.clone(),
    ));
    let inbox = shtab_tenders::service::inbox::inbox(&app.db, &crm)
        .await
        .unwrap();
    assert_eq!(inbox.len(), 3);
    let deals = json(api.get("/api/v1/deals"), 200).await;
    let stages: Vec<&str> = deals["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["stage"].as_str())
        .collect();
    for stage in [
        "new",
        "reviewing",
        "approval",
        "price_approved",
        "filed",
        "won",
        "lost",
    ] {
        assert!(stages.contains(&stage), "{stage}: {stages:?}");
    }
    assert!(app.count("SELECT COUNT(*) FROM crm_emails").await >= 4);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM crm_deals WHERE stage_id = 'approval' \
             AND fields NOT LIKE '%approved_price%'"
        )
        .await,
        1,
        "one deal waits for the approved price"
    );

    // Access: grants in each state, one person offboarded.
    let grants = grouped(
        &app,
        "SELECT state, COUNT(*) FROM access_grants GROUP BY state",
    )
    .await;
    for state in ["pending", "applied", "failed", "revoking", "revoked"] {
        assert!(
            grants.get(state).is_some_and(|n| *n > 0),
            "{state}: {grants:?}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM people WHERE status = 'left'")
            .await,
        1
    );

    // Notifications in the delivery log, sent and failed; nothing left queued to go out.
    let deliveries = json(api.get("/api/v1/notifications/deliveries"), 200).await;
    let statuses: Vec<&str> = deliveries["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["status"].as_str())
        .collect();
    assert!(
        statuses.contains(&"sent") && statuses.contains(&"failed"),
        "{statuses:?}"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND kind IN \
             ('crm.send_email', 'notify.deliver', 'access.provision', 'crm.notify_responsible')"
        )
        .await,
        0,
        "the demo sends nothing"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM person_channels WHERE enabled = 1")
            .await,
        0
    );

    // The pages of each capability open on the demo's data.
    let deal: i64 = app.count("SELECT MIN(id) FROM crm_deals").await;
    let task = demo_tasks[0];
    for (path, expected) in [
        (format!("/tasks/{task}"), "Личный кабинет клиента"),
        ("/commit-authors".into(), "petrov@contractor.example"),
        ("/repositories".into(), "demo-agency/site"),
        ("/bank".into(), "Основной счёт"),
        ("/bank/payments".into(), "ООО «Ромашка»"),
        (
            "/tenders".into(),
            "Разработка и сопровождение официального сайта",
        ),
        ("/deals".into(), "Редизайн и перенос сайта"),
        (format!("/deals/{deal}"), "Мосгортранс"),
        ("/access".into(), "Рабочий чат"),
        ("/notifications".into(), "chat not found"),
    ] {
        let response = web.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let page = response.text().await.unwrap();
        assert!(page.contains(expected), "{path} lacks «{expected}»");
    }

    // Again: nothing changes.
    let again = shtab::demo::load(&app.db, &app.config).await.unwrap();
    assert!(again.is_empty(), "{:?}", again.lines());
    let twice = table_counts(&app).await;
    assert!(
        changed(&loaded, &twice).is_empty(),
        "{:?}",
        changed(&loaded, &twice)
    );

    // Removal: every table as before, the person's own data still there.
    let removed = shtab::demo::remove(&app.db, &app.config).await.unwrap();
    assert!(!removed.is_empty());
    let after = table_counts(&app).await;
    assert!(
        changed(&before, &after).is_empty(),
        "{:?}",
        changed(&before, &after)
    );
    json(api.get(&format!("/api/v1/tasks/{own_task}")), 200).await;
    let invoice: Value = json(api.get(&format!("/api/v1/invoices/{own_invoice}")), 200).await;
    assert_eq!(invoice["number"], "СВОЙ-1");
    assert!(!app.config.data_dir.join("demo").exists());

    // And the demo can be loaded again after its removal.
    let reloaded = shtab::demo::load(&app.db, &app.config).await.unwrap();
    assert_eq!(reloaded.code.commits, 300);
}

#[tokio::test]
async fn capabilities_whose_records_live_in_another_system_are_left_out() {
    use shtab_core::config::SystemOfRecord;
    let app = TestApp::spawn_with(|c| {
        c.systems.tasks = SystemOfRecord::Bitrix24;
        c.systems.invoices = SystemOfRecord::Bitrix24;
        c.systems.deals = SystemOfRecord::Bitrix24;
    })
    .await;
    let before = table_counts(&app).await;

    let report = shtab::demo::load(&app.db, &app.config).await.unwrap();
    let lines = report.lines().join("\n");
    assert!(
        lines.contains("skipped: tasks live in another system"),
        "{lines}"
    );
    assert!(
        lines.contains("skipped: invoices live in another system"),
        "{lines}"
    );
    assert!(
        lines.contains("skipped: deals live in another system"),
        "{lines}"
    );
    for table in [
        "tasks",
        "vcs_repositories",
        "invoices",
        "bank_payments",
        "crm_deals",
        "tenders",
    ] {
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    // The rest is there, and goes again.
    assert!(app.count("SELECT COUNT(*) FROM access_grants").await > 0);
    shtab::demo::remove(&app.db, &app.config).await.unwrap();
    let after = table_counts(&app).await;
    assert!(
        changed(&before, &after).is_empty(),
        "{:?}",
        changed(&before, &after)
    );
}
