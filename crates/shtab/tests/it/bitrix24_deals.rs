//! Deals on the portal (`systems.deals = "bitrix24"`), as managers and the portal see them:
//! a tender the search robot finds is one portal deal in the category Shtab created, its
//! money sent as exact decimal text; a crash between `crm.deal.add` and Shtab's record finds
//! the deal on the portal instead of making a second; a move made on the portal into the
//! vendor-approval stage sends the vendor e-mail once whether the event, the robot or both
//! see it; a move through Shtab without the approved price is refused naming it; a move made
//! on the portal that skips a stage rule is noted on the deal and told to its manager, or
//! moved back with `crm.rules_enforcement = "revert"`; the settings save only what the portal
//! has, and a field deleted there stops the robot and every write, named.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use shtab_bitrix24::adapters::PortalDeals;
use shtab_bitrix24::fake::{FakeDeal, FakePortal, FakeUser};
use shtab_bitrix24::robots::deals::DealChanged;
use shtab_bitrix24::store::deals::DealsMap;
use shtab_core::audit::Actor;
use shtab_core::auth::Role;
use shtab_core::config::{Config, RulesEnforcement, Secret, SmtpTls, SystemOfRecord};
use shtab_core::ports::{Crm, NewDeal};
use shtab_core::robots::{self, RunRow};
use shtab_tenders::domain::SavedSearchSpec;
use shtab_tenders::store::searches::{self, SearchInput};
use shtab_tenders::store::tenders;

use crate::smtp_sink::{SmtpSink, parse_mail};
use crate::tenders_portal::{FakePortal as Eis, FakeTender, TOKEN};
use crate::testkit::{TestApp, hidden_value, json as json_of};

const IVAN: &str = "ivan@agency.test";
const REG: &str = "0373100038724000012";
/// The outgoing webhook's application token.
const EVENTS_TOKEN: &str = "events-token-3f9a";

/// A portal with Ivan (user 7) and a hub whose deals live there.
async fn hub_with(adjust: impl FnOnce(&mut Config) + Send + 'static) -> (FakePortal, TestApp) {
    let portal = FakePortal::start().await;
    portal.add_user(FakeUser::new(7, "Иван", "Петров", "Ivan@Agency.test"));
    let webhook = portal.webhook_url();
    let app = TestApp::spawn_with(move |c| {
        c.bitrix24.webhook_url = Secret::new(webhook);
        c.bitrix24.application_token = Secret::new(EVENTS_TOKEN.to_owned());
        c.systems.deals = SystemOfRecord::Bitrix24;
        adjust(c);
    })
    .await;
    (portal, app)
}

async fn run_robot(app: &TestApp, name: &str) -> RunRow {
    let set = shtab::server::robot_set(&app.db, &app.config);
    robots::run_in_foreground(&app.db, &set, name, None)
        .await
        .expect("the robot runs")
}

/// Ivan as a user, matched to his portal user by the users robot.
async fn ivan(app: &TestApp) -> shtab_core::auth::users::User {
    let user = app.create_user(IVAN, "Иван Петров", &[Role::Manager]).await;
    let run = run_robot(app, "bitrix24.users").await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    user
}

fn portal_deals(app: &TestApp) -> Arc<PortalDeals> {
    shtab::server::portal_deals(&app.db, &app.config).expect("a portal is configured")
}

fn crm(app: &TestApp) -> Arc<dyn Crm> {
    shtab::server::crm(&app.db, &app.config)
}

/// Creates the category «Тендеры» with the pipeline's stages and fields, as the settings
/// page's button does.
async fn set_up(app: &TestApp) -> DealsMap {
    portal_deals(app)
        .create_category(&Actor::system("test"))
        .await
        .expect("the category is created")
}

async fn run_jobs(app: &TestApp) {
    let registry = shtab::server::job_registry(
        &app.db,
        &app.config,
        shtab::server::robot_set(&app.db, &app.config),
    );
    shtab_core::jobs::run_due(&app.db, &registry).await.unwrap();
}

/// `ONCRMDEALUPDATE` for the deal, posted to the hub's events endpoint as the portal does
/// (the deal's id only), then the jobs it queued.
async fn event(portal: &FakePortal, app: &TestApp, deal: u64) {
    let id = deal.to_string();
    let body = portal.event_body(
        "ONCRMDEALUPDATE",
        &[("data[FIELDS][ID]", id.as_str())],
        EVENTS_TOKEN,
    );
    let jobs_of_deals = format!(
        "SELECT COUNT(*) FROM jobs WHERE kind = '{}'",
        <DealChanged as shtab_core::jobs::Job>::KIND
    );
    let before = app.count(&jobs_of_deals).await;
    let answer = reqwest::Client::new()
        .post(app.url("/hooks/bitrix24"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200, "the event is taken");
    assert_eq!(
        app.count(&jobs_of_deals).await,
        before + 1,
        "the event queued the deal's job"
    );
    run_jobs(app).await;
}

fn tender_fields(extra: &[(&str, Value)]) -> Map<String, Value> {
    let mut f = json!({
        "reg_number": REG,
        "tender_url": format!("https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber={REG}"),
        "customer": "ГБУ «Жилищник района Арбат»",
        "customer_inn": "7704869733",
        "max_price": 123_456_789,
        "currency": "RUB",
        "deadline": "2026-12-01T10:00:00+03:00",
        "law": "44-FZ",
        "okpd2": ["62.01.11.000"],
    })
    .as_object()
    .unwrap()
    .clone();
    for (k, v) in extra {
        f.insert((*k).into(), v.clone());
    }
    f
}

fn new_deal(responsible: Option<shtab_core::ids::PersonId>, fields: Map<String, Value>) -> NewDeal {
    NewDeal {
        pipeline: "tenders".into(),
        stage: String::new(),
        title: format!("Закупка № {REG}"),
        responsible,
        fields,
        external_key: REG.into(),
    }
}

async fn create(app: &TestApp, deal: NewDeal) -> u64 {
    crm(app)
        .create_deal(&deal, &Actor::robot("tenders.searches"))
        .await
        .expect("the deal is created")
        .id
        .parse()
        .unwrap()
}

// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_tender_the_search_robot_finds_becomes_one_portal_deal_and_the_inbox_acts_on_it() {
    let eis = Eis::default();
    let tender = FakeTender::new(1, "Оказание услуг по охране зданий");
    eis.set(vec![tender.clone()]);
    let addr = eis.serve().await;
    let (portal, app) = hub_with(move |c| {
        c.tenders.portal_url = format!("http://{addr}");
        c.tenders.soap_url = format!("http://{addr}/eis-integration/services/getDocsIP");
        c.tenders.soap_token = Secret::new(TOKEN);
    })
    .await;
    let ivan = ivan(&app).await;
    let map = set_up(&app).await;
    let cat = map.category_id;
    searches::create(
        &app.db,
        &Actor::system("test"),
        &SearchInput {
            name: "Охрана".into(),
            spec: SavedSearchSpec {
                keywords: vec!["охрана".into()],
                ..SavedSearchSpec::default()
            },
            responsible: Some(ivan.person_id),
            enabled: true,
            schedule: "*/10 * * * *".into(),
            use_documents: false,
        },
        "Europe/Moscow",
    )
    .await
    .unwrap();
    portal.forget_requests();

    let run = run_robot(&app, "tenders.searches").await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    let adds = portal.calls_of("crm.deal.add");
    assert_eq!(adds.len(), 1, "{adds:?}");
    let sent = adds[0].body()["fields"].clone();
    assert_eq!(sent["TITLE"], "Оказание услуг по охране зданий");
    assert_eq!(sent["CATEGORY_ID"], cat);
    assert_eq!(sent["STAGE_ID"], format!("C{cat}:NEW"));
    assert_eq!(sent["ASSIGNED_BY_ID"], 7, "the responsible's portal user");
    assert_eq!(sent["UF_CRM_SHT_REGNUMBER"], tender.reg);
    assert_eq!(
        sent[map.fields["max_price"].as_str()],
        "441666.67",
        "money as exact decimal text"
    );
    assert_eq!(sent[map.fields["okpd2"].as_str()], json!(["80.10.12.000"]));
    assert_eq!(
        (&sent["OPPORTUNITY"], &sent["CURRENCY_ID"]),
        (&json!("441666.67"), &json!("RUB")),
        "the deal's amount is the maximum price until a price is set"
    );
    // Before adding, the number was looked up on the portal, in the request that also
    // checked the mapping against it.
    let looked = portal.calls_of("crm.deal.list");
    assert_eq!(looked.len(), 1);
    assert!(looked[0].in_batch.is_some());
    assert_eq!(
        looked[0].body()["filter"],
        json!({"CATEGORY_ID": cat.to_string(), "UF_CRM_SHT_REGNUMBER": tender.reg})
    );

    // The next run finds the same tender: nothing more on the portal.
    let run = run_robot(&app, "tenders.searches").await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    assert_eq!(portal.calls_of("crm.deal.add").len(), 1);
    assert_eq!(portal.deals().len(), 1);

    let stored = tenders::by_reg_number(&app.db, &tender.reg)
        .await
        .unwrap()
        .unwrap();
    let deal_id = stored.deal_id.clone().expect("the tender has its deal");
    let on_portal = portal.deal(deal_id.parse().unwrap()).unwrap();
    assert_eq!(on_portal.stage_id, format!("C{cat}:NEW"));
    let deal = crm(&app).get_deal(&deal_id).await.unwrap().unwrap();
    assert_eq!(
        (deal.stage.as_str(), deal.responsible),
        ("new", Some(ivan.person_id))
    );
    assert_eq!(deal.fields["max_price"], 44_166_667, "read back exactly");
    assert_eq!(deal.fields["okpd2"], json!(["80.10.12.000"]));
    let card = format!("{}/crm/deal/details/{deal_id}/", portal.origin());
    assert_eq!(deal.url.as_deref(), Some(card.as_str()));

    // The inbox shows the portal deal; "take" moves it there.
    let api = app.token_as("sales@agency.test", &[Role::Manager]).await;
    let inbox = json_of(api.get("/api/v1/tenders"), 200).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 1, "{inbox}");
    portal.forget_requests();
    let taken = json_of(
        api.post(&format!("/api/v1/tenders/{}/take", stored.id)),
        200,
    )
    .await;
    assert_eq!(taken["stage"], "reviewing");
    let updates = portal.calls_of("crm.deal.update");
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(
        updates[0].body(),
        json!({"id": deal_id.parse::<u64>().unwrap(), "fields": {"STAGE_ID": format!("C{cat}:PREPARATION")},
               "params": {"REGISTER_SONET_EVENT": "N"}})
    );
    assert_eq!(
        portal.deal(deal_id.parse().unwrap()).unwrap().stage_id,
        format!("C{cat}:PREPARATION")
    );
    let inbox = json_of(api.get("/api/v1/tenders"), 200).await;
    assert!(inbox["items"].as_array().unwrap().is_empty(), "{inbox}");

    // The deal's page acts on the portal deal and links to its card; the board is the
    // portal's kanban.
    let web = app.login_as("boss@agency.test", &[Role::Manager]).await;
    let page = web.get_text(&format!("/deals/{deal_id}")).await;
    assert!(
        page.contains(&format!("id=\"deal-card\" href=\"{card}\"")),
        "{page}"
    );
    assert!(
        page.contains("На рассмотрении"),
        "the stage by Shtab's name"
    );
    let board = web.get("/deals").await;
    assert_eq!(board.status(), 303);
    assert_eq!(
        board.headers()["location"],
        format!("{}/crm/deal/kanban/category/{cat}/", portal.origin()).as_str()
    );
}

#[tokio::test]
async fn a_crash_between_the_portal_call_and_the_record_makes_no_second_deal() {
    let (portal, app) = hub_with(|_| {}).await;
    let map = set_up(&app).await;
    let cat = map.category_id;
    // A hub claimed the number, called crm.deal.add and died before recording the answer:
    // the portal holds the deal, Shtab only the claim.
    sqlx::query(
        "INSERT INTO bitrix24_deals (external_key, deal_id, claimed_at) VALUES ($1, NULL, 0)",
    )
    .bind(REG)
    .execute(app.db.pool())
    .await
    .unwrap();
    let made = portal.add_deal(FakeDeal {
        id: 0,
        title: format!("Закупка № {REG}"),
        category_id: cat,
        stage_id: format!("C{cat}:NEW"),
        assigned_by_id: 1,
        opportunity: "0.00".into(),
        currency_id: "RUB".into(),
        fields: [("UF_CRM_SHT_REGNUMBER".to_string(), json!(REG))].into(),
    });
    portal.forget_requests();

    let id = create(&app, new_deal(None, tender_fields(&[]))).await;
    assert_eq!(id, made, "the portal's deal is recorded, not doubled");
    assert!(portal.calls_of("crm.deal.add").is_empty());
    assert_eq!(
        app.count(&format!(
            "SELECT deal_id FROM bitrix24_deals WHERE external_key = '{REG}'"
        ))
        .await,
        made as i64
    );
    // From now on Shtab's record answers without looking.
    portal.forget_requests();
    assert_eq!(create(&app, new_deal(None, tender_fields(&[]))).await, made);
    assert!(portal.calls_of("crm.deal.list").is_empty());

    // Another process creating a deal right now: this one waits rather than doubles it.
    sqlx::query("INSERT INTO bitrix24_deals (external_key, deal_id, claimed_at) VALUES ('32514850391', NULL, $1)")
        .bind(shtab_core::time::now_ms())
        .execute(app.db.pool())
        .await
        .unwrap();
    let mut other = new_deal(None, tender_fields(&[("reg_number", json!("32514850391"))]));
    other.external_key = "32514850391".into();
    let busy = crm(&app)
        .create_deal(&other, &Actor::robot("tenders.searches"))
        .await
        .unwrap_err();
    assert!(busy.is_transient(), "{busy}");
    assert!(portal.calls_of("crm.deal.add").is_empty());
}

#[tokio::test]
async fn a_portal_move_into_vendor_approval_emails_the_vendor_once_and_shtab_refuses_a_move_without_the_approved_price()
 {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let (portal, app) = hub_with(move |c| {
        c.notify.email.smtp_host = "127.0.0.1".into();
        c.notify.email.smtp_port = port;
        c.notify.email.tls = SmtpTls::None;
        c.notify.email.from = "Штаб <shtab@agency.test>".into();
    })
    .await;
    let map = set_up(&app).await;
    let cat = map.category_id;
    let id = create(
        &app,
        new_deal(
            None,
            tender_fields(&[
                ("recommended_price", json!(110_000_050)),
                ("vendor_email", json!("partners@vendor.test")),
            ]),
        ),
    )
    .await;

    // A manager drags the deal on the portal's kanban: reviewing, then vendor approval.
    portal.move_deal(id, &format!("C{cat}:PREPARATION"));
    portal.move_deal(id, &format!("C{cat}:PREPAYMENT_INVOICE"));
    // The event of the second move, then the robot: both see the entry, it is acted on once.
    event(&portal, &app, id).await;
    let run = run_robot(&app, "bitrix24.deals").await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    event(&portal, &app, id).await;
    run_jobs(&app).await;
    let mails: Vec<Value> = sink.messages().iter().map(|m| parse_mail(m)).collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0]["to"]
            .as_str()
            .unwrap()
            .contains("partners@vendor.test")
    );
    assert_eq!(
        mails[0]["subject"],
        format!("Согласование цены: закупка № {REG}")
    );
    let body = mails[0]["body"].as_str().unwrap();
    assert!(
        body.contains("Рекомендованная цена: 1\u{a0}100\u{a0}000,50"),
        "{body}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'crm.send_deal_email'")
            .await,
        1
    );
    // The robot read the history since its cursor and the deals it names, a request each.
    let history = portal.calls_of("crm.stagehistory.list");
    assert!(
        history
            .iter()
            .all(|h| h.body()["entityTypeId"] == "2" || h.body()["entityTypeId"] == 2),
        "{history:?}"
    );

    // Moving on through Shtab needs the approved price: refused naming it, nothing changes.
    let api = app.token_as("sales@agency.test", &[Role::Manager]).await;
    portal.forget_requests();
    let refused = json_of(
        api.post(&format!("/api/v1/deals/{id}/move"))
            .json(&json!({"stage": "price_approved"})),
        422,
    )
    .await;
    let fields = refused["error"]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{refused}");
    assert_eq!(fields[0]["field"], "approved_price");
    assert_eq!(fields[0]["code"], "required_to_leave");
    assert!(portal.calls_of("crm.deal.update").is_empty());
    assert_eq!(
        portal.deal(id).unwrap().stage_id,
        format!("C{cat}:PREPAYMENT_INVOICE")
    );

    // With the price typed in, it goes; the portal gets the price as exact decimal text.
    let saved = json_of(
        api.patch(&format!("/api/v1/deals/{id}"))
            .json(&json!({"fields": {"approved_price": "150 000,50"}})),
        200,
    )
    .await;
    assert_eq!(saved["fields"]["approved_price"], 15_000_050);
    let update = portal.calls_of("crm.deal.update");
    assert_eq!(
        update[0].body()["fields"],
        json!({
            map.fields["approved_price"].as_str(): "150000.50",
            "OPPORTUNITY": "150000.50", "CURRENCY_ID": "RUB",
        }),
        "the deal's amount follows the approved price"
    );
    let moved = json_of(
        api.post(&format!("/api/v1/deals/{id}/move"))
            .json(&json!({"stage": "price_approved"})),
        200,
    )
    .await;
    assert_eq!(moved["stage"], "price_approved");
    assert_eq!(
        portal.deal(id).unwrap().stage_id,
        format!("C{cat}:EXECUTING")
    );
    run_robot(&app, "bitrix24.deals").await;
    run_jobs(&app).await;
    assert_eq!(sink.messages().len(), 1, "no second vendor e-mail");
}

#[tokio::test]
async fn a_portal_move_that_skips_a_rule_is_noted_on_the_deal_and_told_to_its_manager_once() {
    let (portal, app) = hub_with(|_| {}).await;
    let ivan = ivan(&app).await;
    shtab_core::notify::set_channels(
        &app.db,
        &Actor::system("test"),
        ivan.person_id,
        &[shtab_core::notify::RawChannel {
            channel: "email".into(),
            target: IVAN.into(),
            enabled: true,
        }],
        true,
    )
    .await
    .unwrap();
    let map = set_up(&app).await;
    let cat = map.category_id;
    let id = create(
        &app,
        new_deal(
            Some(ivan.person_id),
            tender_fields(&[("recommended_price", json!(110_000_050))]),
        ),
    )
    .await;
    crm(&app)
        .move_deal(&id.to_string(), "approval", &Actor::system("test"))
        .await
        .unwrap();
    // Another application moves it on without the approved price.
    portal.move_deal(id, &format!("C{cat}:EXECUTING"));
    let run = run_robot(&app, "bitrix24.deals").await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    run_jobs(&app).await;
    event(&portal, &app, id).await;
    run_robot(&app, "bitrix24.deals").await;
    run_jobs(&app).await;

    let notes = portal.deal_timeline(id);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(
        notes[0].comment,
        "Сделка перешла на этап «Цена согласована», не заполнив обязательные поля: \
         Согласованная цена. Заполните их."
    );
    let sent = portal.calls_of("crm.timeline.comment.add");
    assert_eq!(sent[0].body()["fields"]["ENTITY_TYPE"], "deal");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM notify_deliveries WHERE template_key = 'crm.deal_rules_broken'"
        )
        .await,
        1,
        "the manager is told once"
    );
    assert_eq!(
        portal.deal(id).unwrap().stage_id,
        format!("C{cat}:EXECUTING"),
        "left where it was moved"
    );
}

#[tokio::test]
async fn with_revert_a_portal_move_that_skips_a_rule_is_moved_back_without_repeating_the_stage() {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let (portal, app) = hub_with(move |c| {
        c.crm.rules_enforcement = RulesEnforcement::Revert;
        c.notify.email.smtp_host = "127.0.0.1".into();
        c.notify.email.smtp_port = port;
        c.notify.email.tls = SmtpTls::None;
        c.notify.email.from = "Штаб <shtab@agency.test>".into();
        c.tenders.vendor_email = "partners@vendor.test".into();
    })
    .await;
    let map = set_up(&app).await;
    let cat = map.category_id;
    let id = create(
        &app,
        new_deal(
            None,
            tender_fields(&[("recommended_price", json!(110_000_050))]),
        ),
    )
    .await;
    crm(&app)
        .move_deal(&id.to_string(), "approval", &Actor::system("test"))
        .await
        .unwrap();
    run_jobs(&app).await;
    assert_eq!(sink.messages().len(), 1, "the vendor e-mail of the entry");

    portal.move_deal(id, &format!("C{cat}:EXECUTING"));
    portal.forget_requests();
    event(&portal, &app, id).await;
    let back = portal.calls_of("crm.deal.update");
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(
        back[0].body()["fields"],
        json!({"STAGE_ID": format!("C{cat}:PREPAYMENT_INVOICE")})
    );
    assert_eq!(
        portal.deal(id).unwrap().stage_id,
        format!("C{cat}:PREPAYMENT_INVOICE")
    );
    let notes = portal.deal_timeline(id);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].comment.ends_with(
            "Штаб вернул её на этап «Согласование с вендором»: заполните поля и переведите снова."
        ),
        "{}",
        notes[0].comment
    );
    // The way back is no new entry: the robot and a late event change nothing.
    run_robot(&app, "bitrix24.deals").await;
    event(&portal, &app, id).await;
    run_jobs(&app).await;
    assert_eq!(portal.calls_of("crm.deal.update").len(), 1);
    assert_eq!(portal.deal_timeline(id).len(), 1);
    assert_eq!(
        sink.messages().len(),
        1,
        "approval's e-mail is not sent again"
    );
}

#[tokio::test]
async fn the_settings_api_saves_only_what_the_portal_has_and_only_for_admins() {
    let (portal, app) = hub_with(|_| {}).await;
    let admin = app.token_as("admin@agency.test", &[Role::Admin]).await;
    let manager = app.token_as("sales@agency.test", &[Role::Manager]).await;
    let empty = json_of(admin.get("/api/v1/bitrix24/settings"), 200).await;
    assert_eq!(empty["deals"], json!(null));
    for (request, status) in [
        (manager.get("/api/v1/bitrix24/settings"), 403),
        (
            manager
                .put("/api/v1/bitrix24/settings")
                .json(&json!({"deals": {"category_id": 0}})),
            403,
        ),
        (
            reqwest::Client::new().get(app.url("/api/v1/bitrix24/settings")),
            401,
        ),
    ] {
        assert_eq!(request.send().await.unwrap().status().as_u16(), status);
    }

    // A mapping made on the portal by hand: its own category and fields.
    let map = set_up(&app).await;
    sqlx::query("DELETE FROM bitrix24_deal_settings")
        .execute(app.db.pool())
        .await
        .unwrap();
    let good = json!({"category_id": map.category_id, "stages": map.stages, "fields": map.fields});

    let mut unknown = good.clone();
    unknown["category_id"] = json!(99);
    let refused = json_of(
        admin
            .put("/api/v1/bitrix24/settings")
            .json(&json!({"deals": unknown})),
        422,
    )
    .await;
    let errors = refused["error"]["fields"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{refused}");
    assert_eq!(errors[0]["field"], "deals.category_id");
    assert_eq!(errors[0]["message"], "the portal has no deal category 99");

    let mut wrong = good.clone();
    wrong["stages"]["approval"] = json!("C1:NOPE");
    wrong["fields"]["approved_price"] = json!("UF_CRM_GONE");
    wrong["fields"]
        .as_object_mut()
        .unwrap()
        .remove("vendor_email");
    let refused = json_of(
        admin
            .put("/api/v1/bitrix24/settings")
            .json(&json!({"deals": wrong})),
        422,
    )
    .await;
    let named: Vec<(String, String)> = refused["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            (
                "deals.stages.approval".to_string(),
                "unknown_stage".to_string()
            ),
            ("deals.fields.approved_price".into(), "unknown_field".into()),
            (
                "deals.fields.vendor_email".into(),
                "field_not_mapped".into()
            ),
        ]
    );
    assert!(
        refused["error"]["fields"][1]["message"]
            .as_str()
            .unwrap()
            .contains("UF_CRM_GONE")
    );
    let unchanged = json_of(admin.get("/api/v1/bitrix24/settings"), 200).await;
    assert_eq!(unchanged["deals"], Value::Null, "nothing saved");
    let odd = admin
        .put("/api/v1/bitrix24/settings")
        .json(&json!({"deals": good, "colour": "red"}))
        .send()
        .await
        .unwrap();
    assert!(odd.status().is_client_error(), "{}", odd.status());

    let saved = json_of(
        admin
            .put("/api/v1/bitrix24/settings")
            .json(&json!({"deals": good})),
        200,
    )
    .await;
    assert_eq!(saved["deals"]["category_id"], map.category_id);
    assert_eq!(
        saved["deals"]["stages"]["won"],
        format!("C{}:WON", map.category_id)
    );
    assert_eq!(
        saved["deals"]["fields"]["reg_number"],
        "UF_CRM_SHT_REGNUMBER"
    );
    assert_eq!(saved["deals"]["problem"], Value::Null);
    assert!(portal.calls_of("crm.deal.add").is_empty());
}

#[tokio::test]
async fn the_settings_page_creates_the_pipeline_and_a_field_deleted_on_the_portal_stops_writes_named()
 {
    let (portal, app) = hub_with(|_| {}).await;
    let web = app.admin().await;
    let page = web.get_text("/settings/bitrix24").await;
    assert!(page.contains("Воронка ещё не выбрана"), "{page}");
    let created = web.post_form("/settings/bitrix24/deals/create", &[]).await;
    assert_eq!(created.status(), 303);

    let cat = portal
        .categories()
        .iter()
        .find(|c| c.name == "Тендеры")
        .expect("the category is made")
        .id;
    let names: Vec<String> = portal.stages(cat).iter().map(|s| s.name.clone()).collect();
    assert_eq!(
        names,
        [
            "Новый",
            "На рассмотрении",
            "Согласование с вендором",
            "Цена согласована",
            "Заявка подана",
            "Выиграли",
            "Проиграли/неинтересно",
            "Анализ причины провала"
        ]
    );
    let approved = portal
        .user_fields()
        .into_iter()
        .find(|f| f.label == "Согласованная цена")
        .expect("the field is made with its Russian label");
    assert_eq!(
        (approved.code.as_str(), approved.user_type.as_str()),
        ("UF_CRM_SHT_APPROVEDP", "double")
    );
    let add = portal
        .calls_of("crm.deal.userfield.add")
        .into_iter()
        .find(|c| c.body()["fields"]["FIELD_NAME"] == "SHT_APPROVEDP")
        .unwrap();
    assert_eq!(
        add.body()["fields"]["EDIT_FORM_LABEL"]["ru"],
        "Согласованная цена"
    );
    assert_eq!(
        add.body()["fields"]["EDIT_FORM_LABEL"]["en"],
        "Approved price"
    );
    assert_eq!(
        portal.user_fields().len(),
        15,
        "one per field of the pipeline"
    );
    let page = web.get_text("/settings/bitrix24?deals=created").await;
    assert!(
        hidden_value(&page, "csrf_token").is_some(),
        "the admin's page"
    );
    assert!(
        page.contains(&format!("name=\"category_id\" value=\"{cat}\"")),
        "{page}"
    );
    assert!(page.contains(&format!("value=\"C{cat}:PREPAYMENT_INVOICE\"")));

    // The admin deletes a field on the portal: the robot fails naming it, the page shows
    // it, and no deal is written with the stale mapping.
    portal.delete_user_field("UF_CRM_SHT_APPROVEDP");
    let run = run_robot(&app, "bitrix24.deals").await;
    assert_eq!(run.status, "failed");
    let error = run.error.unwrap_or_default();
    assert!(
        error.contains("UF_CRM_SHT_APPROVEDP") && error.contains("approved_price"),
        "{error}"
    );
    let page = web.get_text("/settings/bitrix24").await;
    assert!(page.contains("id=\"deals-problem\""), "{page}");
    assert!(page.contains("UF_CRM_SHT_APPROVEDP"));
    let refused = crm(&app)
        .create_deal(
            &new_deal(None, tender_fields(&[])),
            &Actor::robot("tenders.searches"),
        )
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("UF_CRM_SHT_APPROVEDP"),
        "{refused}"
    );
    assert!(portal.calls_of("crm.deal.add").is_empty());

    // "Create the missing fields" makes it again and the settings hold once more.
    let mut fields: Vec<(String, String)> = vec![("category_id".into(), cat.to_string())];
    let saved = portal_deals(&app).settings().await.unwrap().unwrap().map;
    for (stage, status) in &saved.stages {
        fields.push((format!("stage.{stage}"), status.clone()));
    }
    for (field, code) in &saved.fields {
        if field != "approved_price" {
            fields.push((format!("field.{field}"), code.clone()));
        }
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let made = web
        .post_form("/settings/bitrix24/deals/fields", &borrowed)
        .await;
    assert_eq!(made.status(), 303);
    assert!(
        portal
            .user_fields()
            .iter()
            .any(|f| f.code == "UF_CRM_SHT_APPROVEDP")
    );
    let run = run_robot(&app, "bitrix24.deals").await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    create(&app, new_deal(None, tender_fields(&[]))).await;
    assert_eq!(portal.calls_of("crm.deal.add").len(), 1);

    // A manager may not change these settings.
    let manager = app.login_as("sales@agency.test", &[Role::Manager]).await;
    let forbidden = manager
        .post_form("/settings/bitrix24/deals/create", &[])
        .await;
    assert_eq!(forbidden.status(), 403);
}
