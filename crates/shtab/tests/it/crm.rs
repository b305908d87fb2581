//! The built-in CRM end to end: deals created once per external key, stage gates that refuse
//! a move (over the deal page, the board's script and the API) until the named field is
//! filled, the vendor e-mail of the "approval" stage delivered to a real SMTP server
//! (Debian's aiosmtpd) with the tender's link and data, and the audit trail.

use serde_json::{Map, Value, json};
use shtab_core::audit::Actor;
use shtab_core::auth::Role;
use shtab_core::config::SmtpTls;
use shtab_core::ports::{Crm, NewDeal};
use shtab_tenders::crm::BuiltinCrm;

use crate::smtp_sink::{SmtpSink, assert_headers_of_real_mail, parse_mail};
use crate::testkit::{TestApp, json as json_of};

// ---------------------------------------------------------------------------------------
// Helpers

fn crm(app: &TestApp) -> BuiltinCrm {
    BuiltinCrm::new(app.db.clone(), app.config.clone())
}

fn tender_fields() -> Map<String, Value> {
    json!({
        "reg_number": "0373100038724000012",
        "tender_url": "https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber=0373100038724000012",
        "customer": "ГБУ «Жилищник района Арбат»",
        "customer_inn": "7704869733",
        "max_price": 123_456_789,
        "currency": "RUB",
        "deadline": "2026-12-01T10:00:00+03:00",
        "law": "44-FZ",
        "okpd2": ["62.01.11.000"],
        "cancelled": false
    })
    .as_object()
    .unwrap()
    .clone()
}

/// A deal as the tenders robot makes it, in the given stage.
async fn new_deal(app: &TestApp, key: &str, stage: &str, fields: Map<String, Value>) -> i64 {
    let deal = crm(app)
        .create_deal(
            &NewDeal {
                pipeline: "tenders".into(),
                stage: stage.into(),
                title: format!("Закупка № {key}"),
                responsible: None,
                fields,
                external_key: key.into(),
            },
            &Actor::robot("tenders.searches"),
        )
        .await
        .unwrap();
    deal.id.parse().unwrap()
}

async fn stage_of(app: &TestApp, id: i64) -> String {
    crm(app).deal(id).await.unwrap().stage
}

async fn audit_actions(app: &TestApp, id: i64) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT action, actor_label FROM audit_log WHERE object_kind = 'deal' AND object_id = $1 ORDER BY id",
    )
    .bind(id.to_string())
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

async fn run_jobs(app: &TestApp) {
    let registry = shtab::server::job_registry(
        &app.db,
        &app.config,
        shtab::server::robot_set(&app.db, &app.config),
    );
    shtab_core::jobs::run_due(&app.db, &registry).await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Deals

#[tokio::test]
async fn a_deal_is_created_once_per_external_key_and_audited() {
    let app = TestApp::spawn().await;
    let first = new_deal(&app, "0373100038724000012", "", tender_fields()).await;
    let mut changed = tender_fields();
    changed.insert("customer".into(), json!("someone else"));
    let second = new_deal(&app, "0373100038724000012", "", changed).await;
    assert_eq!(first, second, "the same key gives the same deal");

    let deal = crm(&app).deal(first).await.unwrap();
    assert_eq!(
        deal.stage, "new",
        "a deal starts in the pipeline's first stage"
    );
    assert_eq!(deal.fields["customer"], "ГБУ «Жилищник района Арбат»");
    assert_eq!(deal.fields["max_price"], 123_456_789);
    let all = crm(&app).deals("tenders", None, 100).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        audit_actions(&app, first).await,
        vec![("deal.create".to_string(), "tenders.searches".to_string())]
    );

    // The port reads back what it stored.
    let port = crm(&app);
    let fields = port.read_fields(&first.to_string()).await.unwrap();
    assert_eq!(fields["reg_number"], "0373100038724000012");
    assert!(port.get_deal("nonsense").await.unwrap().is_none());
}

#[tokio::test]
async fn a_gate_refuses_a_move_over_the_api_until_the_field_is_filled() {
    let app = TestApp::spawn().await;
    let api = app.token_as("sales@agency.test", &[Role::Manager]).await;
    let id = new_deal(&app, "0373100038724000012", "reviewing", tender_fields()).await;

    let refused = json_of(
        api.post(&format!("/api/v1/deals/{id}/move"))
            .json(&json!({"stage": "approval"})),
        422,
    )
    .await;
    let fields = refused["error"]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{refused}");
    assert_eq!(fields[0]["field"], "recommended_price");
    assert_eq!(fields[0]["code"], "required_to_enter");
    assert_eq!(
        fields[0]["message"],
        "Recommended price is required to enter the stage “Approval with vendor”"
    );
    let deal = json_of(api.get(&format!("/api/v1/deals/{id}")), 200).await;
    assert_eq!(deal["stage"], "reviewing", "nothing changed");

    // A value the field cannot hold is refused by name, and nothing is written.
    let bad = json_of(
        api.patch(&format!("/api/v1/deals/{id}"))
            .json(&json!({"fields": {"recommended_price": "дорого", "colour": "red"}})),
        422,
    )
    .await;
    let names: Vec<&str> = bad["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["colour", "recommended_price"]);

    let patched = json_of(
        api.patch(&format!("/api/v1/deals/{id}"))
            .json(&json!({"fields": {"recommended_price": "1 100 000,50"}})),
        200,
    )
    .await;
    assert_eq!(patched["fields"]["recommended_price"], 110_000_050);

    let moved = json_of(
        api.post(&format!("/api/v1/deals/{id}/move"))
            .json(&json!({"stage": "approval"})),
        200,
    )
    .await;
    assert_eq!(moved["stage"], "approval");

    // Inside "approval" the price it required on entry cannot be emptied; a PATCH cannot
    // move the deal either.
    let cleared = json_of(
        api.patch(&format!("/api/v1/deals/{id}"))
            .json(&json!({"fields": {"recommended_price": null}})),
        422,
    )
    .await;
    assert_eq!(cleared["error"]["fields"][0]["field"], "recommended_price");
    assert_eq!(cleared["error"]["fields"][0]["code"], "required_in_stage");
    let unknown = json_of(
        api.patch(&format!("/api/v1/deals/{id}"))
            .json(&json!({"stage": "won"})),
        400,
    )
    .await;
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `stage`"),
        "{unknown}"
    );
    let deal = json_of(api.get(&format!("/api/v1/deals/{id}")), 200).await;
    assert_eq!(deal["fields"]["recommended_price"], 110_000_050);
    assert_eq!(deal["stage"], "approval");

    // Leaving "approval" needs the approved price, except for giving up.
    let refused = json_of(
        api.post(&format!("/api/v1/deals/{id}/move"))
            .json(&json!({"stage": "price_approved"})),
        422,
    )
    .await;
    assert_eq!(refused["error"]["fields"][0]["field"], "approved_price");
    assert_eq!(refused["error"]["fields"][0]["code"], "required_to_leave");
    assert_eq!(stage_of(&app, id).await, "approval");
    json_of(
        api.post(&format!("/api/v1/deals/{id}/move"))
            .json(&json!({"stage": "nowhere"})),
        422,
    )
    .await;
    json_of(
        api.patch(&format!("/api/v1/deals/{id}"))
            .json(&json!({"fields": {"approved_price": 105_000_000}})),
        200,
    )
    .await;
    let moved = json_of(
        api.post(&format!("/api/v1/deals/{id}/move"))
            .json(&json!({"stage": "price_approved"})),
        200,
    )
    .await;
    assert_eq!(moved["stage"], "price_approved");

    let list = json_of(api.get("/api/v1/deals?stage=price_approved"), 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // Everything is in the audit log, in the token's name, and in the deal's history.
    let actions: Vec<String> = audit_actions(&app, id)
        .await
        .into_iter()
        .map(|(a, who)| {
            if a != "deal.create" {
                assert!(who.contains("token"), "{who}");
            }
            a
        })
        .collect();
    assert_eq!(
        actions,
        [
            "deal.create",
            "deal.fields",
            "deal.move",
            "deal.fields",
            "deal.move"
        ]
    );
    let changes: String = sqlx::query_scalar(
        "SELECT changes FROM audit_log WHERE object_kind = 'deal' AND action = 'deal.move' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let changes: Value = serde_json::from_str(&changes).unwrap();
    assert_eq!(
        changes["stage"],
        json!({"before": "reviewing", "after": "approval"})
    );
    assert_eq!(
        changes["actions"][0]["action"], "email",
        "what the entry actions did: {changes}"
    );
    let history = json_of(api.get(&format!("/api/v1/deals/{id}/history")), 200).await;
    let kinds: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    // Entering "approval" ran its actions: the e-mail (no address configured here) and
    // the notification (no responsible person); both say why they did nothing.
    assert_eq!(
        kinds,
        [
            "created", "fields", "moved", "action", "action", "fields", "moved"
        ]
    );
    assert!(
        history["history"][3]["detail"]["error"]
            .as_str()
            .unwrap()
            .contains("no address"),
        "{history}"
    );

    // Reading needs the permission; a developer may not move deals.
    let dev = app.token_as("dev@agency.test", &[Role::Developer]).await;
    json_of(
        dev.post(&format!("/api/v1/deals/{id}/move"))
            .json(&json!({"stage": "lost"})),
        403,
    )
    .await;
}

#[tokio::test]
async fn a_gate_refuses_a_move_on_the_deal_page_and_the_board_until_the_field_is_filled() {
    let app = TestApp::spawn().await;
    let web = app.login_as("sales@agency.test", &[Role::Manager]).await;
    let id = new_deal(&app, "0373100038724000012", "reviewing", tender_fields()).await;

    let board = web.get_text("/deals").await;
    assert!(
        board.contains("Согласование с вендором"),
        "columns by stage"
    );
    assert!(board.contains(&format!("data-deal-id=\"{id}\"")));
    assert!(
        board.contains("1\u{a0}234\u{a0}567,89"),
        "money shown formatted"
    );

    let page = web
        .post_form(&format!("/deals/{id}/move"), &[("stage", "approval")])
        .await;
    assert_eq!(page.status().as_u16(), 422);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Сделку нельзя перевести на этап «Согласование с вендором». Не заполнены поля: «Рекомендованная цена»"),
        "{html}"
    );
    assert_eq!(stage_of(&app, id).await, "reviewing");

    // The board's script posts the same move asking for JSON.
    let csrf = web.csrf().await;
    let answer = web
        .http
        .post(web.url(&format!("/deals/{id}/move")))
        .header("accept", "application/json")
        .header("x-csrf-token", &csrf)
        .form(&[("stage", "approval")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 422);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["fields"], json!(["recommended_price"]));
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("«Рекомендованная цена»")
    );

    // The deal is given to a person on its page.
    let me: i64 = sqlx::query_scalar("SELECT id FROM people WHERE full_name = 'sales'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let assigned = web
        .post_form(
            &format!("/deals/{id}/responsible"),
            &[("responsible_id", &me.to_string())],
        )
        .await;
    assert_eq!(assigned.status().as_u16(), 303);
    let html = web.get_text(&format!("/deals/{id}")).await;
    assert!(
        html.contains(&format!(
            "href=\"/people/{me}\" id=\"deal-responsible\">sales</a>"
        )),
        "{html}"
    );
    assert!(
        html.contains("назначен ответственный"),
        "in the history: {html}"
    );

    // A typo in the amount is refused by name and nothing is saved.
    let bad = web
        .post_form(
            &format!("/deals/{id}"),
            &[("recommended_price", "1 100 000,5,5")],
        )
        .await;
    assert_eq!(bad.status().as_u16(), 422);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("сумма вида 1 234 567,89")
    );

    let saved = web
        .post_form(
            &format!("/deals/{id}"),
            &[("recommended_price", "1 100 000,50")],
        )
        .await;
    assert_eq!(saved.status().as_u16(), 303);
    assert_eq!(saved.headers()["location"], format!("/deals/{id}?saved=1"));
    let deal = crm(&app).deal(id).await.unwrap();
    assert_eq!(deal.fields["recommended_price"], 110_000_050);

    let moved = web
        .post_form(&format!("/deals/{id}/move"), &[("stage", "approval")])
        .await;
    assert_eq!(moved.status().as_u16(), 303);
    let html = web
        .get_text(moved.headers()["location"].to_str().unwrap())
        .await;
    assert!(
        html.contains("Сделка переведена на этап «Согласование с вендором»"),
        "{html}"
    );
    assert!(
        html.contains("1 100 000,50"),
        "the form shows the amount as typed"
    );
    assert_eq!(stage_of(&app, id).await, "approval");

    let answer = web
        .http
        .post(web.url(&format!("/deals/{id}/move")))
        .header("accept", "application/json")
        .header("x-csrf-token", &csrf)
        .form(&[("stage", "filed")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 422);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("«Согласованная цена» (нужно, чтобы уйти с этапа «Согласование с вендором»)"),
        "{body}"
    );

    // In English on request.
    let en = web.post_form("/lang", &[("lang", "en")]).await;
    assert!(en.status().is_success() || en.status().is_redirection());
    let html = web
        .post_form(&format!("/deals/{id}/move"), &[("stage", "filed")])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(
            "The deal cannot move to “Application filed”. Missing fields: “Approved price”"
        ),
        "{html}"
    );
}

// ---------------------------------------------------------------------------------------
// The vendor e-mail

#[tokio::test]
async fn entering_approval_emails_the_vendor_through_a_real_smtp_server() {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let app = TestApp::spawn_with(|c| {
        c.notify.email.smtp_host = "127.0.0.1".into();
        c.notify.email.smtp_port = port;
        c.notify.email.tls = SmtpTls::None;
        c.notify.email.from = "Штаб <shtab@agency.test>".into();
        c.tenders.vendor_email = "partners@vendor.test".into();
    })
    .await;
    let api = app.token_as("sales@agency.test", &[Role::Manager]).await;
    let mut fields = tender_fields();
    fields.insert("recommended_price".into(), json!(110_000_050));
    let id = new_deal(&app, "0373100038724000012", "reviewing", fields.clone()).await;
    let mut other_fields = fields.clone();
    other_fields.insert("vendor_email".into(), json!("Sales@Other-Vendor.test"));
    other_fields.insert("reg_number".into(), json!("32514850391"));
    let other = new_deal(&app, "32514850391", "reviewing", other_fields).await;
    // The second deal has a responsible manager, who is told when it enters "approval".
    let manager = app.add_person("Иван Петров", "ivan@agency.test").await;
    shtab_core::notify::set_channels(
        &app.db,
        &Actor::system("test"),
        manager,
        &[shtab_core::notify::RawChannel {
            channel: "email".into(),
            target: "ivan@agency.test".into(),
            enabled: true,
        }],
        true,
    )
    .await
    .unwrap();
    // An unknown person is refused and nothing is written, the fields included.
    let refused = json_of(
        api.patch(&format!("/api/v1/deals/{other}"))
            .json(&json!({"responsible_id": 999_999, "fields": {"approved_price": 1}})),
        422,
    )
    .await;
    assert_eq!(refused["error"]["fields"][0]["field"], "responsible_id");
    assert!(
        !crm(&app)
            .deal(other)
            .await
            .unwrap()
            .fields
            .contains_key("approved_price")
    );
    let assigned = json_of(
        api.patch(&format!("/api/v1/deals/{other}"))
            .json(&json!({"responsible_id": manager.0})),
        200,
    )
    .await;
    assert_eq!(assigned["responsible_id"], manager.0);

    for deal in [id, other] {
        json_of(
            api.post(&format!("/api/v1/deals/{deal}/move"))
                .json(&json!({"stage": "approval"})),
            200,
        )
        .await;
    }
    let queued = json_of(api.get(&format!("/api/v1/deals/{id}/history")), 200).await;
    assert_eq!(
        queued["emails"][0]["status"], "pending",
        "queued by the move, sent by the job"
    );
    assert!(sink.messages().is_empty());

    run_jobs(&app).await;

    let files = sink.messages();
    assert_eq!(files.len(), 3, "one e-mail per deal, one to the manager");
    let mails: Vec<Value> = files.iter().map(|f| parse_mail(f)).collect();
    // The vendor's e-mail and the manager's notification alike look like mail.
    for mail in &mails {
        assert_headers_of_real_mail(mail, "agency.test");
    }
    let to_config = mails
        .iter()
        .find(|m| m["to"].as_str().unwrap().contains("partners@vendor.test"))
        .expect("the deal without vendor_email goes to tenders.vendor_email");
    assert!(
        mails.iter().any(|m| m["to"]
            .as_str()
            .unwrap()
            .contains("sales@other-vendor.test")),
        "the field wins over the configured address: {mails:?}"
    );
    let to_manager = mails
        .iter()
        .find(|m| m["to"].as_str().unwrap().contains("ivan@agency.test"))
        .expect("the responsible manager is notified");
    assert_eq!(
        to_manager["subject"],
        "Сделка «Закупка № 32514850391»: этап «Согласование с вендором»"
    );
    assert!(
        to_manager["body"]
            .as_str()
            .unwrap()
            .contains(&format!("{}/deals/{other}", app.base)),
        "{to_manager}"
    );
    assert_eq!(
        to_config["subject"],
        "Согласование цены: закупка № 0373100038724000012"
    );
    let body = to_config["body"].as_str().unwrap();
    for expected in [
        "https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber=0373100038724000012",
        "Закупка № 0373100038724000012",
        "Заказчик: ГБУ «Жилищник района Арбат»",
        "Начальная цена: 1\u{a0}234\u{a0}567,89",
        "Рекомендованная цена: 1\u{a0}100\u{a0}000,50",
        "Окончание подачи заявок: 01.12.2026 10:00",
    ] {
        assert!(body.contains(expected), "{expected:?} not in {body}");
    }

    let sent = json_of(api.get(&format!("/api/v1/deals/{id}/history")), 200).await;
    assert_eq!(sent["emails"][0]["status"], "sent", "{sent}");
    assert_eq!(sent["emails"][0]["to"], "partners@vendor.test");

    // The deal page lists the e-mail with its status.
    let web = app.login_as("boss@agency.test", &[Role::Admin]).await;
    let page = web.get_text(&format!("/deals/{id}")).await;
    assert!(page.contains("partners@vendor.test"), "{page}");
    assert!(page.contains("отправлено"), "{page}");
    assert!(
        page.contains("id=\"deal-tender\" href=\"https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber=0373100038724000012\""),
        "the tender's link: {page}"
    );

    // Running the jobs again sends nothing twice.
    run_jobs(&app).await;
    assert_eq!(sink.messages().len(), 3);
}

#[tokio::test]
async fn pipeline_settings_add_a_rule_that_gates_at_once() {
    let app = TestApp::spawn().await;
    let web = app.admin().await;
    let id = new_deal(&app, "0373100038724000012", "new", Map::new()).await;

    let page = web.get_text("/deals/settings").await;
    assert!(
        page.contains("«Рекомендованная цена» — чтобы войти на этап «Согласование с вендором»"),
        "{page}"
    );

    let refused = web
        .post_form(
            "/deals/settings",
            &[
                ("op", "add_rule"),
                ("field", "colour"),
                ("direction", "enter"),
                ("stage", "reviewing"),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let added = web
        .post_form(
            "/deals/settings",
            &[
                ("op", "add_rule"),
                ("field", "customer"),
                ("direction", "enter"),
                ("stage", "reviewing"),
                ("except_to", ""),
            ],
        )
        .await;
    assert_eq!(
        added.status().as_u16(),
        303,
        "{}",
        added.text().await.unwrap()
    );

    let err = crm(&app)
        .move_deal(&id.to_string(), "reviewing", &Actor::system("test"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Customer is required to enter"),
        "{err}"
    );
    // An entry action that sets a field runs with the move.
    let added = web
        .post_form(
            "/deals/settings",
            &[
                ("op", "add_action"),
                ("stage", "lost"),
                ("kind", "set_field"),
                ("field", "cancelled"),
                ("value", "да"),
            ],
        )
        .await;
    assert_eq!(
        added.status().as_u16(),
        303,
        "{}",
        added.text().await.unwrap()
    );
    let lost = crm(&app)
        .move_to(id, "lost", &Actor::system("test"))
        .await
        .unwrap();
    assert_eq!(lost.fields["cancelled"], true);

    // An e-mail template that does not compile is refused, naming the problem.
    let p = crm(&app).pipeline("tenders").await.unwrap();
    let email = p
        .actions
        .iter()
        .find(|a| matches!(a.kind, shtab_tenders::crm::domain::ActionKind::Email { .. }))
        .unwrap();
    let refused = web
        .post_form(
            "/deals/settings",
            &[
                ("op", "save_action"),
                ("id", &email.id.to_string()),
                ("kind", "email"),
                ("to_field", "vendor_email"),
                ("subject", "Цена"),
                ("body", "{% if %}"),
            ],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused.text().await.unwrap().contains("body:"));
    assert_eq!(
        crm(&app).pipeline("tenders").await.unwrap().actions,
        p.actions,
        "nothing changed"
    );

    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE object_kind = 'pipeline'")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(audit, ["pipeline.rule_add", "pipeline.action_add"]);
}

#[tokio::test]
async fn an_email_that_cannot_be_sent_shows_as_not_sent_with_the_reason() {
    // No SMTP server configured: the e-mail fails for good, and the page says so.
    let app = TestApp::spawn().await;
    let mut fields = tender_fields();
    fields.insert("recommended_price".into(), json!(10_000));
    fields.insert("vendor_email".into(), json!("partners@vendor.test"));
    let id = new_deal(&app, "0373100038724000012", "reviewing", fields).await;
    crm(&app)
        .move_deal(&id.to_string(), "approval", &Actor::system("test"))
        .await
        .unwrap();
    run_jobs(&app).await;

    let emails = crm(&app).emails(id).await.unwrap();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].status, "failed");
    assert!(
        emails[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("notify.email.smtp_host"),
        "{:?}",
        emails[0].last_error
    );
    let web = app.admin().await;
    let page = web.get_text(&format!("/deals/{id}")).await;
    assert!(page.contains("не отправлено"), "{page}");
    assert!(
        page.contains("не задан параметр notify.email.smtp_host"),
        "{page}"
    );
}
