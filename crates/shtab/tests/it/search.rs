//! The header's search as people use it: each kind (people, tasks, repositories, payments by
//! payer, INN or amount, invoices by number or customer, tenders by number or words, deals)
//! found with its link; kinds a role may not open never shown; the same over
//! `/api/v1/search` for a token; the live fragment htmx swaps in.

use serde_json::{Value, json};
use shtab_core::auth::Role;

use crate::home::{app_with_portal, as_role, deal, payment};
use crate::tenders_portal::{FakePortal, FakeTender};
use crate::testkit::{ApiClient, TestApp, json as json_of};

/// `{group key: [(title, href)]}` of a search.
async fn search(api: &ApiClient, q: &str) -> Vec<(String, Vec<(String, String)>)> {
    let body = json_of(api.get("/api/v1/search").query(&[("q", q)]), 200).await;
    body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_string(),
                g["hits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| {
                        (
                            h["title"].as_str().unwrap().to_string(),
                            h["href"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn group<'a>(
    found: &'a [(String, Vec<(String, String)>)],
    key: &str,
) -> Option<&'a Vec<(String, String)>> {
    found.iter().find(|(k, _)| k == key).map(|(_, hits)| hits)
}

fn kinds(found: &[(String, Vec<(String, String)>)]) -> Vec<&str> {
    found.iter().map(|(k, _)| k.as_str()).collect()
}

/// Invoice НБ-17 of ООО «Набережная»; its id.
async fn invoice_nb17(admin: &ApiClient) -> i64 {
    json_of(
        admin.post("/api/v1/invoices").json(&json!({
            "number": "НБ-17",
            "issued_on": "2026-01-01",
            "payer_name": "ООО «Набережная»",
            "payer_inn": "7707083893",
            "amount_kopecks": 1_234_550,
        })),
        201,
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

async fn seeded() -> (TestApp, FakePortal) {
    let fake = FakePortal::default();
    fake.set(vec![FakeTender::new(31, "Уборка помещений набережной")]);
    let app = app_with_portal(&fake).await;
    (app, fake)
}

#[tokio::test]
async fn each_kind_is_found_with_its_link_and_hidden_from_roles_that_may_not_open_it() {
    let (app, _fake) = seeded().await;
    let admin = app.token_as("root@agency.test", &[Role::Admin]).await;
    // A person, a task, a repository.
    let person = crate::access::person(&admin, "Фёдор Набережный", "fedor@agency.test", &[]).await;
    let task = crate::vcs::new_task(&admin, "Набережная: поправить меню").await;
    let repo = crate::vcs::add_repository(
        &app,
        "gitea",
        "https://git.agency.test/web/naberezhnaya",
        "",
    )
    .await;
    // Payments and an invoice.
    let romashka = payment(
        &app,
        "p1",
        "ООО «Набережная»",
        "7707083893",
        1_234_550,
        "waiting",
    )
    .await;
    payment(&app, "p2", "ООО «Лютик»", "7736050003", 77_700, "matched").await;
    let invoice = invoice_nb17(&admin).await;
    // A tender as the robot stores it, and a deal.
    json_of(
        admin
            .post("/api/v1/tenders/searches")
            .json(&json!({"name": "Уборка", "spec": {"keywords": ["уборка"]}})),
        201,
    )
    .await;
    let set = shtab::server::robot_set(&app.db, &app.config);
    shtab_core::robots::run_in_foreground(&app.db, &set, "tenders.searches", None)
        .await
        .unwrap();
    let tender =
        shtab_tenders::store::tenders::by_reg_number(&app.db, &FakeTender::new(31, "").reg)
            .await
            .unwrap()
            .unwrap();
    let deal_id = deal(&app, "NB-1", "reviewing", None, 10).await;

    let found = search(&admin, "набережн").await;
    assert_eq!(
        group(&found, "people").unwrap(),
        &vec![(
            "Фёдор Набережный".to_string(),
            format!("/people/{}", person)
        )]
    );
    assert!(
        group(&found, "tasks").unwrap().iter().any(|(t, h)| t
            .contains("Набережная: поправить меню")
            && *h == format!("/tasks/{task}"))
    );
    assert!(
        group(&found, "payments")
            .unwrap()
            .iter()
            .any(|(t, h)| t.contains("ООО «Набережная»")
                && *h == format!("/bank/payments/{romashka}"))
    );
    assert!(
        group(&found, "invoices")
            .unwrap()
            .iter()
            .any(|(t, h)| t.contains("НБ-17") && *h == format!("/invoices/{invoice}"))
    );
    assert!(
        group(&found, "tenders")
            .unwrap()
            .iter()
            .any(|(t, h)| t.contains("Уборка помещений набережной")
                && *h == format!("/tenders/{}", tender.id))
    );
    // The tender's deal, titled as the tender.
    assert!(
        group(&found, "deals")
            .unwrap()
            .iter()
            .any(|(t, _)| t == "Уборка помещений набережной")
    );
    assert!(group(&found, "repositories").is_none());
    assert_eq!(
        group(&search(&admin, "naberezhnaya").await, "repositories").unwrap(),
        &vec![(repo.name.clone(), format!("/repositories/{}", repo.id.0))]
    );

    // Payments by INN and by amount (as a person types it); invoices by number; tenders by
    // number; deals by title or customer.
    let by_inn = search(&admin, "7707083893").await;
    assert_eq!(group(&by_inn, "payments").unwrap().len(), 1);
    assert!(group(&by_inn, "invoices").unwrap()[0].0.contains("НБ-17"));
    let by_amount = search(&admin, "12 345,50").await;
    assert_eq!(
        group(&by_amount, "payments").unwrap()[0].1,
        format!("/bank/payments/{romashka}")
    );
    assert!(
        group(&by_amount, "payments").unwrap()[0]
            .0
            .starts_with("12 345,50 ₽")
    );
    assert!(group(&search(&admin, "нб-17").await, "invoices").is_some());
    let by_number = search(&admin, &tender.facts.reg_number.as_str()[10..]).await;
    assert_eq!(
        group(&by_number, "tenders").unwrap()[0].1,
        format!("/tenders/{}", tender.id)
    );
    let deals = search(&admin, "арбат").await;
    assert_eq!(
        group(&deals, "deals").unwrap()[0].1,
        format!("/deals/{deal_id}")
    );
    // Nothing to look for, nothing found.
    assert!(search(&admin, "   ").await.is_empty());
    assert!(search(&admin, "zzzz-nothing-like-it").await.is_empty());

    // Roles: a developer never sees money or tenders, an accountant never tasks or tenders.
    let (_, developer_web, developer) = as_role(&app, "dev@agency.test", &[Role::Developer]).await;
    let (_, _, accountant) = as_role(&app, "buh@agency.test", &[Role::Accountant]).await;
    let (_, _, manager) = as_role(&app, "man@agency.test", &[Role::Manager]).await;
    assert_eq!(
        kinds(&search(&developer, "набережн").await),
        vec!["people", "tasks"]
    );
    assert_eq!(
        kinds(&search(&accountant, "набережн").await),
        vec!["people", "payments", "invoices"]
    );
    assert_eq!(
        kinds(&search(&manager, "набережн").await),
        vec![
            "people", "tasks", "payments", "invoices", "tenders", "deals"
        ]
    );
    assert_eq!(
        kinds(&search(&developer, "naberezhnaya").await),
        vec!["repositories"]
    );
    assert!(search(&accountant, "naberezhnaya").await.is_empty());
    assert!(search(&developer, "7707083893").await.is_empty());

    // The fragment htmx swaps in under the header's box, grouped, with the links; and the
    // page itself for Enter.
    let fragment = developer_web
        .get("/search?q=%D0%BD%D0%B0%D0%B1%D0%B5%D1%80%D0%B5%D0%B6%D0%BD")
        .await;
    assert_eq!(fragment.status(), 200);
    let page = fragment.text().await.unwrap();
    assert!(
        page.contains("<h1>Поиск</h1>"),
        "the whole page without HX-Request"
    );
    assert!(page.contains("data-group=\"people\"") && page.contains("data-group=\"tasks\""));
    assert!(!page.contains("data-group=\"payments\""));
    assert!(page.contains(&format!("href=\"/tasks/{task}\"")));
    let fragment = developer_web
        .http
        .get(developer_web.url("/search"))
        .query(&[("q", "набережн")])
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(fragment.status(), 200);
    let fragment = fragment.text().await.unwrap();
    assert!(!fragment.contains("<h1>") && fragment.starts_with("<div class=\"search-results\">"));
    assert!(fragment.contains(&format!("href=\"/people/{person}\"")));
    assert!(!fragment.contains("data-group=\"payments\""));
}

/// PostgreSQL refuses a NUL character in text, so a search holding one used to answer 500
/// there; SQLite read it only up to the NUL.
#[tokio::test]
async fn a_search_holding_a_nul_character_finds_nothing_on_every_list() {
    let app = TestApp::spawn().await;
    let admin = app.token_as("root@agency.test", &[Role::Admin]).await;
    crate::vcs::new_task(&admin, "Набережная: поправить меню").await;
    invoice_nb17(&admin).await;
    let found = |path: &str| admin.get(path).query(&[("q", "набережн\0ая")]);
    assert_eq!(
        json_of(found("/api/v1/search"), 200).await["groups"],
        json!([])
    );
    for list in ["/api/v1/tasks", "/api/v1/invoices", "/api/v1/people"] {
        let page = json_of(found(list), 200).await;
        assert_eq!(page["items"], json!([]), "{list}");
        assert_eq!(page["total"], 0, "{list}");
    }
    // Without the NUL each is found, so the empty answers above are the NUL's doing.
    for list in ["/api/v1/tasks", "/api/v1/invoices"] {
        let page = json_of(admin.get(list).query(&[("q", "набережн")]), 200).await;
        assert_eq!(page["total"], 1, "{list}");
    }
    let page = app.admin().await.get("/search?q=%D0%BD%00%D0%B0").await;
    assert_eq!(page.status(), 200, "the search page");
}

#[tokio::test]
async fn the_api_answers_a_token_with_a_documented_shape_and_refuses_without_one() {
    let app = TestApp::spawn().await;
    let api = app.token_as("root@agency.test", &[Role::Admin]).await;
    crate::access::person(&api, "Анна Смирнова", "anna@agency.test", &[]).await;
    let body: Value = json_of(
        api.get("/api/v1/search?q=%D0%90%D0%BD%D0%BD%D0%B0&limit=1"),
        200,
    )
    .await;
    assert_eq!(body["q"], "Анна");
    assert_eq!(body["groups"][0]["key"], "people");
    assert_eq!(body["groups"][0]["label"], "Люди");
    assert_eq!(body["groups"][0]["hits"].as_array().unwrap().len(), 1);
    json_of(api.get("/api/v1/search?q=a&limit=many"), 400).await;
    json_of(api.get("/api/v1/search?q=a&limit=0"), 400).await;
    json_of(api.get("/api/v1/search?q=a&limit=51"), 400).await;
    let anonymous = reqwest::Client::new()
        .get(app.url("/api/v1/search?q=a"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    // The document describes it.
    let doc = json_of(
        reqwest::Client::new().get(app.url("/api/openapi.json")),
        200,
    )
    .await;
    assert!(
        doc["paths"]["/api/v1/search"]["get"].is_object(),
        "documented"
    );
    assert!(
        doc["paths"]["/api/v1/attention"]["get"].is_object(),
        "documented"
    );
}
