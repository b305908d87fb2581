//! The tenders' pages and API as a manager uses them: the search editor with the portal's
//! URL and a "run now" preview that stores nothing, the inbox with "take" and "not
//! interesting" (the deal moves to "reviewing" or "lost"), a tender's page with its history.

use serde_json::json;
use shtab_core::auth::Role;
use shtab_tenders::store::tenders;

use crate::tenders_portal::{FakePortal, FakeTender, Mode, TOKEN};
use crate::testkit::{TestApp, json};

async fn app_with(fake: &FakePortal) -> TestApp {
    let addr = fake.serve().await;
    TestApp::spawn_with(move |c| {
        c.tenders.portal_url = format!("http://{addr}");
        c.tenders.soap_url = format!("http://{addr}/eis-integration/services/getDocsIP");
        c.tenders.soap_token = shtab_core::config::Secret::new(TOKEN);
    })
    .await
}

fn two() -> Vec<FakeTender> {
    vec![
        FakeTender::new(21, "Охрана административного здания"),
        FakeTender::new(22, "Охрана и уборка склада"),
    ]
}

async fn run_searches(app: &TestApp) {
    let set = shtab::server::robot_set(&app.db, &app.config);
    let run = shtab_core::robots::run_in_foreground(&app.db, &set, "tenders.searches", None)
        .await
        .unwrap();
    assert_eq!(run.status, "done", "{:?}", run.error);
}

#[tokio::test]
async fn a_search_made_on_the_page_shows_the_portal_url_and_previews_without_storing() {
    let fake = FakePortal::default();
    fake.set(two());
    let app = app_with(&fake).await;
    let web = app.login_as("sales@agency.test", &[Role::Manager]).await;

    let answer = web
        .post_form(
            "/tenders/searches",
            &[
                ("name", "Охрана"),
                ("keywords", "охрана\nохранные услуги"),
                ("exclude", "уборка"),
                ("law_44", "on"),
                ("price_min", "100 000"),
                ("price_max", "5 000 000,50"),
                ("okpd2", "80.10"),
                ("regions", "77"),
                ("stage_submission", "on"),
                ("enabled", "on"),
                ("schedule", "*/15 * * * *"),
            ],
        )
        .await;
    assert_eq!(answer.status(), 303, "{}", answer.text().await.unwrap());
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    let page = web.get_text(&location).await;
    assert!(page.contains("Сохранено."));
    // The portal's own search, to open in a browser.
    assert!(
        page.contains("https://zakupki.gov.ru/epz/order/extendedsearch/results.html?searchString="),
        "{page}"
    );
    assert!(page.contains("priceFromGeneral=100000"));
    assert!(page.contains("fz44=on"));

    let id = location
        .trim_start_matches("/tenders/searches/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let preview = web.get(&format!("/tenders/searches/{id}/preview")).await;
    assert_eq!(preview.status(), 200);
    let preview = preview.text().await.unwrap();
    assert!(preview.contains("Охрана административного здания") && preview.contains("подходит"));
    assert!(preview.contains("отсеян: excluded_word"), "{preview}");
    assert_eq!(
        tenders::count(&app.db).await.unwrap(),
        0,
        "the preview stored nothing"
    );

    // The portal's error page is shown as a failure, not as "nothing found".
    fake.mode(Mode::HtmlError);
    let failed = web.get(&format!("/tenders/searches/{id}/preview")).await;
    assert_eq!(failed.status(), 502);
    assert!(
        failed
            .text()
            .await
            .unwrap()
            .contains("Не удалось проверить поиск")
    );

    // A bad form comes back with the fields named.
    let refused = web
        .post_form(
            "/tenders/searches",
            &[
                ("name", "Плохой"),
                ("price_min", "сто"),
                ("regions", "777"),
                ("schedule", "every day"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Исправьте ошибки"));
    assert!(page.contains("aria-invalid"));
}

#[tokio::test]
async fn searches_over_the_api_with_urls_and_a_preview_and_errors_per_field() {
    let fake = FakePortal::default();
    fake.set(two());
    let app = app_with(&fake).await;
    let api = app.token_as("robot@agency.test", &[Role::Manager]).await;
    let created = json(
        api.post("/api/v1/tenders/searches").json(&json!({
            "name": "Охрана API",
            "spec": {"keywords": ["охрана"], "exclude": ["уборка"], "laws": ["44-FZ"], "price_max": 100000000},
            "schedule": "0 * * * *"
        })),
        201,
    )
    .await;
    assert!(created["browser_url"].as_str().unwrap().contains("fz44=on"));
    assert_eq!(created["rss_urls"].as_array().unwrap().len(), 1);
    let id = created["id"].as_i64().unwrap();

    let preview = json(
        api.post(&format!("/api/v1/tenders/searches/{id}/preview")),
        200,
    )
    .await;
    let verdicts: Vec<(bool, serde_json::Value)> = preview["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["accepted"].as_bool().unwrap(), c["rejection"].clone()))
        .collect();
    assert_eq!(
        verdicts,
        vec![(true, json!(null)), (false, json!("excluded_word"))]
    );
    assert_eq!(tenders::count(&app.db).await.unwrap(), 0);

    let refused = json(
        api.post("/api/v1/tenders/searches").json(&json!({
            "name": "Охрана API",
            "spec": {"price_min": 500, "price_max": 100, "regions": ["Москва"]},
            "schedule": "nonsense"
        })),
        422,
    )
    .await;
    let fields: Vec<&str> = refused["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"schedule")
            && fields.contains(&"price_max")
            && fields.contains(&"regions"),
        "{fields:?}"
    );
}

#[tokio::test]
async fn the_inbox_takes_a_tender_on_the_page_and_dismisses_one_over_the_api() {
    let fake = FakePortal::default();
    fake.set(two());
    let app = app_with(&fake).await;
    let api = app.token_as("robot@agency.test", &[Role::Manager]).await;
    json(
        api.post("/api/v1/tenders/searches")
            .json(&json!({"name": "Охрана", "spec": {"keywords": ["охрана"]}})),
        201,
    )
    .await;
    run_searches(&app).await;

    let sales = app
        .create_user("sales@agency.test", "Продажи", &[Role::Manager])
        .await;
    let web = app
        .login("sales@agency.test", crate::testkit::PASSWORD)
        .await;
    let inbox = web.get_text("/tenders").await;
    assert!(inbox.contains("Новые тендеры"));
    assert!(
        inbox.contains("Охрана административного здания")
            && inbox.contains("Охрана и уборка склада")
    );
    assert!(inbox.contains("/epz/order/notice/ea20/view/common-info.html?regNumber="));
    assert!(inbox.contains(&two()[0].reg) && inbox.contains("441 666,67 ₽"));

    let first = tenders::by_reg_number(&app.db, &two()[0].reg)
        .await
        .unwrap()
        .unwrap();
    let second = tenders::by_reg_number(&app.db, &two()[1].reg)
        .await
        .unwrap()
        .unwrap();
    let taken = web
        .post_form(&format!("/tenders/{}/take", first.id), &[])
        .await;
    assert_eq!(taken.status(), 303);
    let crm = shtab::server::crm(&app.db, &app.config);
    let deal = crm
        .get_deal(first.deal_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deal.stage, "reviewing");
    // Nobody was responsible for it: whoever took it now is.
    assert_eq!(deal.responsible, Some(sales.person_id));

    let answer = json(
        api.post(&format!("/api/v1/tenders/{}/dismiss", second.id)),
        200,
    )
    .await;
    assert_eq!(answer["stage"], "lost");

    // Both left the inbox; the page and the API agree.
    let inbox = web.get_text("/tenders").await;
    assert!(!inbox.contains(&two()[0].reg) && !inbox.contains(&two()[1].reg));
    let listed = json(api.get("/api/v1/tenders"), 200).await;
    assert_eq!(listed["items"], json!([]));

    // The tender's page: facts, the search that found it, its history, its deal.
    let page = web.get_text(&format!("/tenders/{}", first.id)).await;
    assert!(
        page.contains("7701234567")
            && page.contains("80.10.12.000")
            && page.contains("АО «Сбербанк-АСТ»")
    );
    assert!(page.contains(">Охрана</a>"));
    assert!(page.contains(&format!("/deals/{}", first.deal_id.clone().unwrap())));
    let detail = json(api.get(&format!("/api/v1/tenders/{}", first.id)), 200).await;
    assert_eq!(detail["tender"]["max_price"], 44_166_667);
    assert_eq!(detail["versions"].as_array().unwrap().len(), 1);
    assert_eq!(detail["searches"][0]["search_name"], "Охрана");

    // English on request: a user whose language is English reads the same pages in English.
    let english = app
        .create_user("en@agency.test", "English Reader", &[Role::Manager])
        .await;
    sqlx::query("UPDATE users SET locale = 'en' WHERE id = $1")
        .bind(english.id.0)
        .execute(app.db.pool())
        .await
        .unwrap();
    let en = app.login("en@agency.test", crate::testkit::PASSWORD).await;
    assert!(en.get_text("/tenders").await.contains("New tenders"));
    let page = en.get_text(&format!("/tenders/{}", first.id)).await;
    assert!(page.contains("Found by searches") && page.contains("History"));
    assert!(
        en.get_text("/tenders/searches")
            .await
            .contains("Tender searches")
    );

    // Reading is not enough to answer.
    let reader = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let status = reader
        .post(&format!("/api/v1/tenders/{}/take", first.id))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status == 403, "{status}");
}
