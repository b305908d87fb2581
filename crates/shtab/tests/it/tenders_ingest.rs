//! Tender searches against the fake portal: tenders stored once whatever how many searches
//! and polls find them, a changed notice kept as history, a cancellation marked, the portal's
//! faults failing the run without touching what was stored, a 500-item feed, and the
//! document service as a second source. Each tender becomes a deal in the CRM's "new" stage.

use shtab_core::audit::Actor;
use shtab_core::robots::{self, RunRow};
use shtab_tenders::domain::{Kopecks, SavedSearchSpec};
use shtab_tenders::store::searches::{self, SavedSearch, SearchInput};
use shtab_tenders::store::tenders;

use crate::tenders_portal::{FakePortal, FakeTender, Mode, TOKEN};
use crate::testkit::TestApp;

async fn app_with(fake: &FakePortal, timeout: u64) -> TestApp {
    let addr = fake.serve().await;
    TestApp::spawn_with(move |c| {
        c.tenders.portal_url = format!("http://{addr}");
        c.tenders.soap_url = format!("http://{addr}/eis-integration/services/getDocsIP");
        c.tenders.soap_token = shtab_core::config::Secret::new(TOKEN);
        c.tenders.request_timeout_secs = timeout;
    })
    .await
}

async fn add_search(app: &TestApp, name: &str, spec: SavedSearchSpec) -> SavedSearch {
    let manager = app
        .add_person(
            &format!("Менеджер {name}"),
            &format!("{}@agency.test", name.len()),
        )
        .await;
    searches::create(
        &app.db,
        &Actor::system("test"),
        &SearchInput {
            name: name.into(),
            spec,
            responsible: Some(manager),
            enabled: true,
            schedule: "*/10 * * * *".into(),
            use_documents: false,
        },
        "Europe/Moscow",
    )
    .await
    .expect("the search is valid")
}

fn guarding() -> SavedSearchSpec {
    SavedSearchSpec {
        keywords: vec!["охрана".into()],
        ..SavedSearchSpec::default()
    }
}

async fn run_robot(app: &TestApp) -> RunRow {
    let set = shtab::server::robot_set(&app.db, &app.config);
    robots::run_in_foreground(&app.db, &set, "tenders.searches", None)
        .await
        .expect("the robot runs")
}

/// One more poll of a search, as the robot does when its schedule comes round again.
async fn poll(
    app: &TestApp,
    search: &SavedSearch,
) -> Result<shtab_tenders::service::RunCounts, String> {
    shtab::server::tender_ingest(&app.db, &app.config)
        .run(search, &Actor::robot("tenders.searches"))
        .await
        .map_err(|e| e.to_string())
}

fn counters(run: &RunRow) -> serde_json::Value {
    serde_json::from_str(&run.counters).unwrap()
}

async fn deal_of(app: &TestApp, reg: &str) -> shtab_core::ports::Deal {
    let tender = tenders::by_reg_number(&app.db, reg)
        .await
        .unwrap()
        .expect("stored");
    let deal = tender.deal_id.expect("the tender has a deal");
    shtab::server::crm(&app.db, &app.config)
        .get_deal(&deal)
        .await
        .unwrap()
        .expect("the deal exists")
}

fn three() -> Vec<FakeTender> {
    vec![
        FakeTender::new(1, "Оказание услуг по охране зданий"),
        FakeTender::new(2, "Услуги физической охраны объектов"),
        FakeTender::new(3, "Охрана территории парка"),
    ]
}

#[tokio::test]
async fn tenders_are_stored_once_across_searches_and_polls_each_with_a_new_deal() {
    let fake = FakePortal::default();
    fake.set(three());
    let app = app_with(&fake, 30).await;
    let first = add_search(&app, "Охрана", guarding()).await;
    let second = add_search(&app, "Охрана Москва", guarding()).await;

    let run = run_robot(&app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    let c = counters(&run);
    // Both searches see the same three tenders: six sightings, three new tenders.
    assert_eq!(
        (
            c["found"].as_i64(),
            c["new"].as_i64(),
            c["updated"].as_i64()
        ),
        (Some(6), Some(3), Some(0))
    );
    assert_eq!(tenders::count(&app.db).await.unwrap(), 3);

    let t = tenders::by_reg_number(&app.db, &three()[0].reg)
        .await
        .unwrap()
        .unwrap();
    // Enriched from the notice XML: what the feed does not carry.
    assert_eq!(t.facts.customer_inn.as_deref(), Some("7701234567"));
    assert_eq!(t.facts.region.as_deref(), Some("77"));
    assert_eq!(t.facts.okpd2, vec!["80.10.12.000".to_string()]);
    assert_eq!(t.facts.platform.as_deref(), Some("АО «Сбербанк-АСТ»"));
    assert_eq!(t.facts.max_price, Some(Kopecks(44_166_667)));
    assert_eq!(
        t.facts.deadline.map(|d| d.to_rfc3339()).as_deref(),
        Some("2099-12-01T07:00:00+00:00")
    );
    let names: Vec<String> = tenders::hits(&app.db, t.id)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.search_name)
        .collect();
    assert_eq!(
        names,
        vec!["Охрана".to_string(), "Охрана Москва".to_string()]
    );

    let deal = deal_of(&app, &three()[0].reg).await;
    assert_eq!(
        (deal.pipeline.as_str(), deal.stage.as_str()),
        ("tenders", "new")
    );
    assert_eq!(deal.title, "Оказание услуг по охране зданий");
    assert_eq!(deal.responsible, first.responsible);
    assert_eq!(deal.fields["reg_number"], three()[0].reg.as_str());
    assert_eq!(deal.fields["max_price"], 44_166_667);
    assert_eq!(deal.fields["customer_inn"], "7701234567");
    assert_eq!(deal.fields["law"], "44-FZ");
    assert_eq!(deal.fields["deadline"], "2099-12-01T07:00:00+00:00");
    assert_eq!(deal.fields["okpd2"], serde_json::json!(["80.10.12.000"]));

    // The next polls find the same tenders: nothing new, nothing changed, no notice refetched.
    let notices = fake.notice_requests();
    for search in [&first, &second] {
        assert_eq!(
            poll(&app, search).await.unwrap(),
            shtab_tenders::service::RunCounts {
                found: 3,
                new: 0,
                updated: 0
            }
        );
    }
    assert_eq!(fake.notice_requests(), notices);
    assert_eq!(tenders::count(&app.db).await.unwrap(), 3);
    assert_eq!(tenders::versions(&app.db, t.id).await.unwrap().len(), 1);
    let runs = searches::runs(&app.db, first.id, 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0].found, runs[0].new), (3, 0));
    assert_eq!((runs[1].found, runs[1].new), (3, 3));
}

#[tokio::test]
async fn a_changed_notice_updates_the_tender_and_its_deal_keeping_history_and_a_cancellation_is_marked()
 {
    let fake = FakePortal::default();
    fake.set(three());
    let app = app_with(&fake, 30).await;
    let search = add_search(&app, "Охрана", guarding()).await;
    poll(&app, &search).await.unwrap();

    fake.edit(|ts| {
        ts[0].price = "400000.00".into();
        ts[0].deadline = "2099-12-05T10:00:00+03:00".into();
        ts[0].updated = "30.07.2026".into();
        ts[0].version = 2;
        ts[1].cancelled = true;
        ts[1].updated = "30.07.2026".into();
    });
    let counts = poll(&app, &search).await.unwrap();
    assert_eq!((counts.found, counts.new, counts.updated), (3, 0, 2));

    let changed = tenders::by_reg_number(&app.db, &three()[0].reg)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.facts.max_price, Some(Kopecks(40_000_000)));
    assert_eq!(changed.facts.notice_version, Some(2));
    let history = tenders::versions(&app.db, changed.id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[1].facts.max_price,
        Some(Kopecks(44_166_667)),
        "the first state is kept"
    );
    let deal = deal_of(&app, &three()[0].reg).await;
    assert_eq!(deal.fields["max_price"], 40_000_000);
    assert_eq!(deal.fields["deadline"], "2099-12-05T07:00:00+00:00");

    let cancelled = tenders::by_reg_number(&app.db, &three()[1].reg)
        .await
        .unwrap()
        .unwrap();
    assert!(cancelled.facts.cancelled);
    assert_eq!(
        deal_of(&app, &three()[1].reg).await.fields["cancelled"],
        true
    );
    // Still one row per tender.
    assert_eq!(tenders::count(&app.db).await.unwrap(), 3);
}

#[tokio::test]
async fn the_error_page_broken_xml_and_a_timeout_fail_the_run_and_keep_what_was_stored() {
    let fake = FakePortal::default();
    fake.set(three());
    let app = app_with(&fake, 2).await;
    let search = add_search(&app, "Охрана", guarding()).await;
    poll(&app, &search).await.unwrap();
    let before = tenders::by_reg_number(&app.db, &three()[0].reg)
        .await
        .unwrap()
        .unwrap();

    // A fourth tender and a change appear, but the portal misbehaves.
    let mut more = three();
    more.push(FakeTender::new(4, "Охрана склада"));
    more[0].price = "1.00".into();
    more[0].updated = "31.07.2026".into();
    fake.set(more);

    fake.mode(Mode::HtmlError);
    let error = poll(&app, &search).await.unwrap_err();
    assert!(
        error.contains("rss.html") && error.contains("not an RSS feed"),
        "{error}"
    );
    // Through the robot: a search that never ran is due; its run fails, naming it.
    let fresh = add_search(&app, "Охрана 2", guarding()).await;
    let run = run_robot(&app).await;
    assert_eq!(run.status, "failed");
    let error = run.error.unwrap_or_default();
    assert!(
        error.contains("«Охрана 2»") && error.contains("not an RSS feed"),
        "{error}"
    );
    assert!(
        searches::runs(&app.db, fresh.id, 10)
            .await
            .unwrap()
            .is_empty()
    );

    fake.mode(Mode::BrokenNotice);
    let error = poll(&app, &search).await.unwrap_err();
    assert!(
        error.contains("viewXml.html") && error.contains("malformed XML"),
        "{error}"
    );

    fake.mode(Mode::Slow);
    let error = poll(&app, &search).await.unwrap_err();
    assert!(error.contains("did not answer in time"), "{error}");

    // Nothing of the failed runs was stored: no fourth tender, no change, no run counted.
    assert_eq!(tenders::count(&app.db).await.unwrap(), 3);
    let after = tenders::by_reg_number(&app.db, &three()[0].reg)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.facts, before.facts);
    assert_eq!(
        searches::runs(&app.db, search.id, 10).await.unwrap().len(),
        1
    );

    // The next poll goes on as if nothing happened.
    fake.mode(Mode::Ok);
    let counts = poll(&app, &search).await.unwrap();
    assert_eq!((counts.found, counts.new, counts.updated), (4, 1, 1));
}

#[tokio::test]
async fn a_feed_of_500_tenders_is_stored_in_one_run() {
    let fake = FakePortal::default();
    fake.set(
        (1..=500)
            .map(|n| FakeTender::new(n, &format!("Охрана объекта {n}")))
            .collect(),
    );
    let app = app_with(&fake, 30).await;
    add_search(&app, "Охрана", guarding()).await;
    let run = run_robot(&app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    let c = counters(&run);
    assert_eq!(
        (c["found"].as_i64(), c["new"].as_i64()),
        (Some(500), Some(500))
    );
    assert_eq!(tenders::count(&app.db).await.unwrap(), 500);
    assert!(
        tenders::without_deal(&app.db).await.unwrap().is_empty(),
        "every tender has a deal"
    );
}

#[tokio::test]
async fn post_filters_drop_what_the_feed_cannot_filter_and_the_preview_stores_nothing() {
    let fake = FakePortal::default();
    let mut ts = three();
    ts[1].okpd2 = "62.01.11.000".into();
    ts[2].kpp = "500101001".into(); // region 50
    ts.push(FakeTender {
        deadline: "2020-01-01T10:00:00+03:00".into(),
        ..FakeTender::new(4, "Охрана прошлых лет")
    });
    ts.push(FakeTender::new(5, "Охрана и уборка помещений"));
    fake.set(ts);
    let app = app_with(&fake, 30).await;
    let search = add_search(
        &app,
        "Охрана 80",
        SavedSearchSpec {
            keywords: vec!["охрана".into()],
            exclude: vec!["уборки".into()],
            okpd2_prefixes: vec!["80.10".into()],
            regions: vec!["77".into()],
            ..SavedSearchSpec::default()
        },
    )
    .await;
    let preview = shtab::server::tender_ingest(&app.db, &app.config)
        .preview(&search)
        .await
        .unwrap();
    let verdicts: Vec<(String, Option<String>)> = preview
        .iter()
        .map(|c| {
            (
                c.facts.reg_number.to_string()[14..].to_string(),
                c.rejection.as_ref().map(|r| {
                    serde_json::to_value(r).unwrap()["reason"]
                        .as_str()
                        .unwrap()
                        .to_string()
                }),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("00001".into(), None),
            ("00002".into(), Some("okpd2".into())),
            ("00003".into(), Some("region".into())),
            ("00004".into(), Some("deadline_passed".into())),
            ("00005".into(), Some("excluded_word".into())),
        ]
    );
    assert_eq!(
        tenders::count(&app.db).await.unwrap(),
        0,
        "a preview stores nothing"
    );
    let counts = poll(&app, &search).await.unwrap();
    assert_eq!((counts.found, counts.new), (1, 1));
}

#[tokio::test]
async fn the_document_service_brings_a_regions_notices_with_the_token() {
    let fake = FakePortal::default();
    fake.archive(vec![
        FakeTender::new(7, "Охрана здания суда"),
        FakeTender::new(8, "Поставка бумаги"),
    ]);
    let app = app_with(&fake, 30).await;
    let mut search = add_search(
        &app,
        "Охрана 77",
        SavedSearchSpec {
            keywords: vec!["охрана".into()],
            laws: vec![shtab_tenders::domain::Law::Fz44],
            regions: vec!["77".into()],
            ..SavedSearchSpec::default()
        },
    )
    .await;
    search.use_documents = true;
    let counts = poll(&app, &search).await.unwrap();
    assert_eq!((counts.found, counts.new), (1, 1));
    let t = tenders::by_reg_number(&app.db, &FakeTender::new(7, "").reg)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.facts.title, "Охрана здания суда");
    assert_eq!(t.facts.customer_inn.as_deref(), Some("7701234567"));
    let requests = fake.soap_requests();
    assert!(requests.iter().all(|r| r.contains(&format!(
        "<individualPerson_token>{TOKEN}</individualPerson_token>"
    ))));
    assert!(
        requests
            .iter()
            .any(|r| r.contains("<orgRegion>77</orgRegion>")
                && r.contains("<subsystemType>PRIZ</subsystemType>"))
    );

    // A wrong token is the service's own refusal, named.
    let other = FakePortal::default();
    let addr = other.serve().await;
    let mut config = (*app.config).clone();
    config.tenders.soap_url = format!("http://{addr}/eis-integration/services/getDocsIP");
    config.tenders.portal_url = format!("http://{addr}");
    config.tenders.soap_token = shtab_core::config::Secret::new("wrong");
    let error = shtab::server::tender_ingest(&app.db, &config)
        .run(&search, &Actor::robot("test"))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("Токен не найден"), "{error}");
}

#[tokio::test]
async fn the_responsible_manager_is_reminded_once_before_the_application_deadline() {
    let fake = FakePortal::default();
    let soon = shtab_core::time::rfc3339_ms(shtab_core::time::now_ms() + 30 * 3600 * 1000);
    let mut ts = three();
    ts[0].deadline = soon;
    fake.set(ts);
    let app = app_with(&fake, 30).await;
    let search = add_search(&app, "Охрана", guarding()).await;
    // The manager reads e-mail.
    sqlx::query(
        "INSERT INTO person_channels (person_id, channel, target, enabled, updated_at) \
         VALUES ($1, 'email', 'sales@agency.test', 1, $2)",
    )
    .bind(search.responsible.unwrap().0)
    .bind(shtab_core::time::now_ms())
    .execute(app.db.pool())
    .await
    .unwrap();
    poll(&app, &search).await.unwrap();

    let set = shtab::server::robot_set(&app.db, &app.config);
    for _ in 0..2 {
        let run = robots::run_in_foreground(&app.db, &set, "tenders.reminders", None)
            .await
            .unwrap();
        assert_eq!(run.status, "done", "{:?}", run.error);
    }
    // Only the tender closing within the configured two days, and only once.
    let sent = shtab_core::notify::list(
        &app.db,
        &shtab_core::notify::DeliveryFilter {
            status: None,
            channel: None,
            person_id: None,
            before_id: None,
            limit: 50,
        },
    )
    .await
    .unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let d = &sent[0];
    assert_eq!(
        Some(shtab_core::ids::PersonId(d.person_id)),
        search.responsible
    );
    assert_eq!(d.template_key, "tenders.deadline_soon");
    assert!(d.subject.contains(&three()[0].reg), "{}", d.subject);
    assert!(
        d.body.contains("Оказание услуг по охране зданий") && d.body.contains("441 666,67 ₽"),
        "{}",
        d.body
    );
}
