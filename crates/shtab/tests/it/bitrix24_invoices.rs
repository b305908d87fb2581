//! Invoices on the portal (`systems.invoices = "bitrix24"`), as the accountant, the manager
//! and the portal see it: a 1CClientBankExchange statement in which ООО «Ромашка» (INN
//! 7707083893) pays 15 000,50 ₽ «по счету 120» moves smart invoice 120 to its pipeline's paid
//! stage with a timeline comment; a part payment keeps the stage, comments paid and left, and
//! reaches the responsible manager's channel; the same statement again changes nothing on the
//! portal; a portal down during the import delays matching, which then pays each invoice
//! once; two invoices of the same amount and no number are left for a person. Every test pins
//! what Shtab sent.

use serde_json::{Value, json};
use shtab_bitrix24::fake::{FakeInvoice, FakePortal, FakeRequisite, FakeUser, Recorded};
use shtab_core::auth::Role;
use shtab_core::config::{Secret, SystemOfRecord};
use shtab_core::ids::PersonId;
use shtab_core::jobs;
use shtab_core::robots;
use shtab_core::time::now_ms;
use shtab_core::types::Kopecks;

use crate::testkit::{ApiClient, TestApp, json as expect_json};

const PAYER_INN: &str = "7707083893";
const OURS: &str = "40702810900000000001";
const PAYER_ACCOUNT: &str = "40702810900000000099";
const MARIA: &str = "maria@agency.test";
/// The outgoing webhook's application token the portal signs its events with.
const EVENTS_TOKEN: &str = "invoice-events-7c21";
/// The portal's smart-invoice pipeline and its stages.
const NEW: &str = "DT31_2:N";
const PAID: &str = "DT31_2:P";
/// Methods that change the portal.
const WRITES: [&str; 4] = [
    "crm.item.update",
    "crm.timeline.comment.add",
    "crm.item.payment.pay",
    "crm.item.payment.unpay",
];

pub struct Hub {
    pub portal: FakePortal,
    pub app: TestApp,
    /// An accountant's token: imports statements.
    pub api: ApiClient,
    pub maria: PersonId,
}

/// A portal with Мария (user 7, who answers for the invoices), the invoice pipeline 2 and
/// ООО «Ромашка» (company 5, requisite 40 with INN 7707083893); a hub whose invoices live
/// there, Мария matched to her portal user and told by e-mail, and our bank account.
pub async fn hub() -> Hub {
    hub_with(|_| {}).await
}

pub async fn hub_with(
    adjust: impl FnOnce(&mut shtab_core::config::Config) + Send + 'static,
) -> Hub {
    let portal = FakePortal::start().await;
    portal.add_user(FakeUser::new(7, "Мария", "Менеджер", MARIA));
    portal.add_invoice_category(2, "Общая");
    portal.add_requisite(FakeRequisite::company(40, 5, PAYER_INN, "ООО «Ромашка»"));
    let webhook = portal.webhook_url();
    let app = TestApp::spawn_with(move |c| {
        c.bitrix24.webhook_url = Secret::new(webhook);
        c.bitrix24.application_token = Secret::new(EVENTS_TOKEN.to_owned());
        c.systems.invoices = SystemOfRecord::Bitrix24;
        adjust(c);
    })
    .await;
    let maria = app.create_user(MARIA, "Мария", &[Role::Developer]).await;
    crate::bitrix24_app::users_robot(&app).await;
    sqlx::query(
        "INSERT INTO person_channels (person_id, channel, target, enabled, updated_at) \
         VALUES ($1, 'email', $2, 1, $3)",
    )
    .bind(maria.person_id.0)
    .bind(MARIA)
    .bind(now_ms())
    .execute(app.db.pool())
    .await
    .unwrap();
    let api = accountant(&app).await;
    portal.forget_requests();
    Hub {
        portal,
        app,
        api,
        maria: maria.person_id,
    }
}

impl Hub {
    /// Smart invoice `id` (numbered alike) of ООО «Ромашка», with its requisite picked.
    fn romashka_invoice(&self, id: u64, kopecks: i64) {
        self.portal
            .add_invoice(invoice(id, &id.to_string(), kopecks));
        self.portal.link_requisite(id, 40);
    }
}

/// An accountant's token, and our bank account that statements are of.
pub async fn accountant(app: &TestApp) -> ApiClient {
    let api = app.token_as("buh@agency.test", &[Role::Accountant]).await;
    expect_json(
        api.post("/api/v1/bank/accounts").json(&json!({
            "number": OURS, "bic": "044525974", "bank_name": "АО «ТБанк»",
        })),
        201,
    )
    .await;
    api
}

/// Smart invoice `id` of ООО «Ромашка» (company 5) in pipeline 2, Мария responsible.
pub fn invoice(id: u64, number: &str, kopecks: i64) -> FakeInvoice {
    FakeInvoice {
        assigned_by_id: 7,
        ..FakeInvoice::new(id, number, Kopecks(kopecks), 2, 5)
    }
}

/// An incoming payment order from ООО «Ромашка» to our account.
pub fn doc(number: &str, amount: &str, purpose: &str) -> String {
    format!(
        "СекцияДокумент=Платежное поручение\r\nНомер={number}\r\nДата=02.02.2026\r\nСумма={amount}\r\n\
         ПлательщикСчет={PAYER_ACCOUNT}\r\nПлательщик=ООО «Ромашка»\r\nПлательщикИНН={PAYER_INN}\r\n\
         ПолучательСчет={OURS}\r\nПолучатель=Агентство\r\nДатаПоступило=02.02.2026\r\n\
         НазначениеПлатежа={purpose}\r\nКонецДокумента\r\n"
    )
}

/// A 1CClientBankExchange statement of our account with `docs`.
pub fn statement(docs: &[String]) -> Vec<u8> {
    format!(
        "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nДатаНачала=01.02.2026\r\n\
         ДатаКонца=03.02.2026\r\nРасчСчет={OURS}\r\nСекцияРасчСчет\r\nДатаНачала=01.02.2026\r\n\
         ДатаКонца=03.02.2026\r\nРасчСчет={OURS}\r\nНачальныйОстаток=0.00\r\n\
         КонечныйОстаток=0.00\r\nКонецРасчСчет\r\n{}КонецФайла\r\n",
        docs.concat()
    )
    .into_bytes()
}

pub async fn import(hub: &Hub, bytes: &[u8]) -> Value {
    import_as(&hub.api, bytes).await
}

/// A statement imported with `api`'s token: the import's report.
pub async fn import_as(api: &ApiClient, bytes: &[u8]) -> Value {
    expect_json(
        api.post("/api/v1/bank/imports")
            .query(&[("file_name", "statement.txt")])
            .body(bytes.to_vec()),
        200,
    )
    .await
}

/// A statement of `docs` imported, and the matching it queued done.
async fn import_and_match(hub: &Hub, docs: &[String]) {
    import(hub, &statement(docs)).await;
    drain(&hub.app).await;
}

/// Runs every job that is due now: matching, the portal's event jobs, notifications.
pub async fn drain(app: &TestApp) {
    let set = shtab::server::robot_set(&app.db, &app.config);
    let registry = shtab::server::job_registry(&app.db, &app.config, set);
    jobs::run_due(&app.db, &registry)
        .await
        .expect("run due jobs");
}

/// Matching of `payments` queued again, as a retried job would be.
async fn match_again(hub: &Hub, payments: Vec<i64>) {
    jobs::enqueue(
        &hub.app.db,
        &shtab_bank::jobs::MatchPayments {
            payment_ids: payments,
        },
    )
    .await
    .unwrap();
}

/// Jobs waiting for their retry are due now.
pub async fn retries_due(app: &TestApp) {
    sqlx::query("UPDATE jobs SET run_at = 0 WHERE state = 'queued'")
        .execute(app.db.pool())
        .await
        .unwrap();
}

pub async fn payment_id(app: &TestApp, number: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM bank_payments WHERE doc_number = $1")
        .bind(number)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// (match_state, allocated)
pub async fn payment_state(app: &TestApp, id: i64) -> (String, i64) {
    sqlx::query_as("SELECT match_state, allocated FROM bank_payments WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// (person, channel, template) of every message queued.
pub async fn told(app: &TestApp) -> Vec<(i64, String, String)> {
    sqlx::query_as("SELECT person_id, channel, template_key FROM notify_deliveries ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

/// What Мария is sent about a payment that needs her: a notice on the portal, an e-mail.
fn maria_told(hub: &Hub) -> [(i64, String, String); 2] {
    ["bitrix24", "email"].map(|channel| {
        (
            hub.maria.0,
            channel.to_owned(),
            "bank.payment_needs_attention".to_owned(),
        )
    })
}

pub fn writes(portal: &FakePortal) -> Vec<Recorded> {
    portal
        .calls()
        .into_iter()
        .filter(|c| WRITES.contains(&c.method.as_str()))
        .collect()
}

/// The comment Shtab leaves for a payment.
fn paid_comment(app: &TestApp, payment: i64, head: &str, purpose: &str) -> String {
    format!(
        "{head}\nНазначение: {purpose}\nПлатёж в Штабе: [URL={}/bank/payments/{payment}]№ {payment}[/URL]",
        app.base
    )
}

#[tokio::test]
async fn a_statement_pays_invoice_120_in_full_and_121_in_part_and_again_changes_nothing() {
    let hub = hub().await;
    hub.romashka_invoice(120, 1_500_050);
    // 121 has no requisite picked: it is found as the company's.
    hub.portal.add_invoice(invoice(121, "121", 1_000_000));
    let bytes = statement(&[
        doc("501", "15000.50", "Оплата по счету 120 от 01.02.2026"),
        doc("502", "4000.00", "Частичная оплата по счету 121"),
    ]);
    let report = import(&hub, &bytes).await;
    assert_eq!(report["new"], 2, "{report}");
    drain(&hub.app).await;

    let full = payment_id(&hub.app, "501").await;
    let part = payment_id(&hub.app, "502").await;
    assert_eq!(
        payment_state(&hub.app, full).await,
        ("matched".into(), 1_500_050)
    );
    assert_eq!(
        payment_state(&hub.app, part).await,
        ("partial".into(), 400_000)
    );
    assert_eq!(hub.portal.invoice(120).unwrap().stage_id, PAID);
    assert_eq!(
        hub.portal.invoice(121).unwrap().stage_id,
        NEW,
        "a part payment keeps the stage"
    );
    let on_120: Vec<String> = hub
        .portal
        .timeline(120)
        .into_iter()
        .map(|c| c.comment)
        .collect();
    assert_eq!(
        on_120,
        [paid_comment(
            &hub.app,
            full,
            "[B]Счёт оплачен[/B]: 15 000,50 ₽ от ООО «Ромашка» (ИНН 7707083893), выписка от 02.02.2026.",
            "Оплата по счету 120 от 01.02.2026"
        )]
    );
    let on_121: Vec<String> = hub
        .portal
        .timeline(121)
        .into_iter()
        .map(|c| c.comment)
        .collect();
    assert_eq!(
        on_121,
        [paid_comment(
            &hub.app,
            part,
            "[B]Частичная оплата[/B]: 4 000,00 ₽ от ООО «Ромашка» (ИНН 7707083893), выписка от \
             02.02.2026. Оплачено 4 000,00 ₽ из 10 000,00 ₽, осталось 6 000,00 ₽.",
            "Частичная оплата по счету 121"
        )]
    );
    // The part payment reached Мария's channels, her e-mail and the portal's app on her
    // phone (the portal user the users robot matched her to); the full one told nobody.
    assert_eq!(told(&hub.app).await, maria_told(&hub));

    // What was asked: the pipelines, the payer's requisites by INN, the invoices that picked
    // them and the company's open ones, the unlinked one's link; then the invoices to write,
    // their pipelines and payment documents; then one batch of writes.
    let http: Vec<String> = hub
        .portal
        .http_requests()
        .iter()
        .map(|r| r.method.clone())
        .collect();
    assert_eq!(
        http,
        [
            "crm.category.list",
            "batch",
            "batch",
            "batch",
            "batch",
            "batch",
            "crm.category.list",
            "batch",
            "batch",
            "batch",
            // Мария's notice of the part payment, on her phone.
            "im.notify.system.add"
        ],
        "{:?}",
        hub.portal
            .calls()
            .iter()
            .map(|c| &c.method)
            .collect::<Vec<_>>()
    );
    let asked = hub.portal.calls_of("crm.requisite.list");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].body()["filter"], json!({"RQ_INN": PAYER_INN}));
    let links = hub.portal.calls_of("crm.requisite.link.list");
    assert_eq!(
        links[0].body()["filter"],
        json!({"@REQUISITE_ID": {"0": "40"}, "ENTITY_TYPE_ID": "31"})
    );
    assert_eq!(
        links[1].body()["filter"],
        json!({"@ENTITY_ID": {"0": "121"}, "ENTITY_TYPE_ID": "31"})
    );
    let owned = hub.portal.calls_of("crm.item.list");
    assert_eq!(
        owned[0].body()["filter"],
        json!({"@companyId": {"0": "5"}, "!@stageId": {"0": PAID, "1": "DT31_2:D"}})
    );
    assert_eq!(owned[0].body()["entityTypeId"], "31");
    let sent = writes(&hub.portal);
    let methods: Vec<&str> = sent.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "crm.item.update",
            "crm.timeline.comment.add",
            "crm.timeline.comment.add"
        ]
    );
    assert_eq!(
        sent[0].body(),
        json!({"entityTypeId": "31", "id": "120", "fields": {"stageId": PAID}})
    );
    assert_eq!(
        sent[1].body(),
        json!({"fields": {"ENTITY_ID": "120", "ENTITY_TYPE": "dynamic_31", "COMMENT": on_120[0]}})
    );

    // The same statement again, a retried matching job, and the robot: nothing changes on
    // the portal, and nobody is told twice.
    hub.portal.forget_requests();
    let again = import(&hub, &bytes).await;
    assert_eq!(
        (again["new"].clone(), again["known"].clone()),
        (json!(0), json!(2))
    );
    match_again(&hub, vec![full, part]).await;
    drain(&hub.app).await;
    let run = run_invoices_robot(&hub.app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    assert!(writes(&hub.portal).is_empty(), "{:?}", writes(&hub.portal));
    assert_eq!(
        hub.portal.timeline(120).len() + hub.portal.timeline(121).len(),
        2
    );
    assert_eq!(
        told(&hub.app).await.len(),
        2,
        "still the part payment's e-mail and portal notice"
    );
}

/// (state, last_error) of the matching jobs not done.
async fn matching_jobs(app: &TestApp) -> Vec<(String, Option<String>)> {
    sqlx::query_as(
        "SELECT state, last_error FROM jobs WHERE kind = 'bank.match_payments' AND state <> 'done'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_portal_down_during_the_import_keeps_the_payments_and_matching_resumes_paying_once() {
    let hub = hub().await;
    hub.romashka_invoice(120, 1_500_050);
    hub.portal.set_down(true);
    let bytes = statement(&[doc("501", "15000.50", "Оплата по счету 120")]);
    assert_eq!(import(&hub, &bytes).await["new"], 1);
    drain(&hub.app).await;

    let id = payment_id(&hub.app, "501").await;
    assert_eq!(
        payment_state(&hub.app, id).await,
        ("waiting".into(), 0),
        "stored, not decided"
    );
    assert_eq!(hub.portal.invoice(120).unwrap().stage_id, NEW);
    assert!(writes(&hub.portal).is_empty());
    let waiting = matching_jobs(&hub.app).await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(
        waiting[0].0, "queued",
        "retried later, not given up: {waiting:?}"
    );
    let error = waiting[0].1.clone().unwrap_or_default();
    assert!(
        error.contains("503"),
        "the portal's refusal is kept: {error}"
    );

    // The portal is back; the retry comes due, and again, and the robot runs: paid once.
    hub.portal.set_down(false);
    retries_due(&hub.app).await;
    drain(&hub.app).await;
    assert_eq!(
        payment_state(&hub.app, id).await,
        ("matched".into(), 1_500_050)
    );
    assert_eq!(hub.portal.invoice(120).unwrap().stage_id, PAID);
    match_again(&hub, vec![id]).await;
    drain(&hub.app).await;
    run_invoices_robot(&hub.app).await;
    assert_eq!(hub.portal.timeline(120).len(), 1);
    assert_eq!(hub.portal.calls_of("crm.item.update").len(), 1);
    assert_eq!(hub.portal.calls_of("crm.timeline.comment.add").len(), 1);
}

#[tokio::test]
async fn a_hub_that_died_between_the_portal_call_and_its_record_changes_nothing_twice() {
    let hub = hub().await;
    hub.romashka_invoice(120, 1_500_050);
    import_and_match(&hub, &[doc("501", "15000.50", "Оплата по счету 120")]).await;
    assert_eq!(hub.portal.timeline(120).len(), 1);

    // As if the answers never got recorded: the portal has the stage and the comment, Shtab
    // still has its claims open.
    sqlx::query("UPDATE bitrix24_invoice_payments SET state = 'applying'")
        .execute(hub.app.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE bitrix24_ledger SET state = 'pending', portal_id = NULL, done_at = NULL")
        .execute(hub.app.db.pool())
        .await
        .unwrap();
    hub.portal.forget_requests();
    let id = payment_id(&hub.app, "501").await;
    match_again(&hub, vec![id]).await;
    drain(&hub.app).await;
    let run = run_invoices_robot(&hub.app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);

    assert!(writes(&hub.portal).is_empty(), "{:?}", writes(&hub.portal));
    assert_eq!(hub.portal.timeline(120).len(), 1);
    let state: String = sqlx::query_scalar("SELECT state FROM bitrix24_invoice_payments")
        .fetch_one(hub.app.db.pool())
        .await
        .unwrap();
    assert_eq!(state, "applied", "the stage is read back and found done");
}

#[tokio::test]
async fn two_invoices_of_the_same_amount_and_no_number_are_left_for_a_person() {
    let hub = hub().await;
    for id in [130, 131] {
        hub.romashka_invoice(id, 500_000);
    }
    import_and_match(
        &hub,
        &[doc("601", "5000.00", "Оплата услуг по договору 15/2025")],
    )
    .await;

    let id = payment_id(&hub.app, "601").await;
    assert_eq!(payment_state(&hub.app, id).await, ("attention".into(), 0));
    assert!(writes(&hub.portal).is_empty(), "{:?}", writes(&hub.portal));
    for id in [130, 131] {
        assert_eq!(hub.portal.invoice(id).unwrap().stage_id, NEW);
        assert!(hub.portal.timeline(id).is_empty());
    }
    assert_eq!(
        told(&hub.app).await,
        maria_told(&hub),
        "the manager of the invoices decides"
    );
}

async fn run_invoices_robot(app: &TestApp) -> robots::RunRow {
    let set = shtab::server::robot_set(&app.db, &app.config);
    robots::run_in_foreground(&app.db, &set, "bitrix24.invoices", None)
        .await
        .unwrap()
}

/// `onCrmDynamicItemAdd` of item `id` of smart process `entity_type`, posted to the hub's
/// events endpoint as the portal does; the hub's status and answer.
async fn item_added(hub: &Hub, entity_type: &str, id: &str) -> (u16, Value) {
    hub.portal
        .send_event(
            &hub.app.url("/hooks/bitrix24"),
            "onCrmDynamicItemAdd",
            &[
                ("data[FIELDS][ID]", id),
                ("data[FIELDS][ENTITY_TYPE_ID]", entity_type),
            ],
            EVENTS_TOKEN,
        )
        .await
}

#[tokio::test]
async fn an_invoice_created_after_its_payment_gets_it_by_the_event_or_else_by_the_robot() {
    let hub = hub().await;
    hub.portal.add_invoice(invoice(139, "139", 100_000));
    let first = run_invoices_robot(&hub.app).await;
    assert_eq!(first.status, "done", "{:?}", first.error);
    import_and_match(
        &hub,
        &[
            doc("701", "3000.00", "Оплата по счету 140"),
            doc("702", "4000.00", "Оплата по счету 141"),
        ],
    )
    .await;
    let (p140, p141) = (
        payment_id(&hub.app, "701").await,
        payment_id(&hub.app, "702").await,
    );
    assert_eq!(payment_state(&hub.app, p140).await.1, 0, "no invoice yet");
    assert_eq!(payment_state(&hub.app, p141).await.1, 0);

    // Invoice 140 appears and the portal says so.
    hub.romashka_invoice(140, 300_000);
    let (status, answer) = item_added(&hub, "31", "140").await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("queued")));
    drain(&hub.app).await;
    assert_eq!(
        payment_state(&hub.app, p140).await,
        ("matched".into(), 300_000)
    );
    assert_eq!(hub.portal.invoice(140).unwrap().stage_id, PAID);
    assert_eq!(hub.portal.timeline(140).len(), 1);

    // Invoice 141 appears and the event is lost: the robot finds it.
    hub.romashka_invoice(141, 400_000);
    let run = run_invoices_robot(&hub.app).await;
    assert_eq!(run.status, "done", "{:?}", run.error);
    assert_eq!(
        payment_state(&hub.app, p141).await,
        ("matched".into(), 400_000)
    );
    assert_eq!(hub.portal.invoice(141).unwrap().stage_id, PAID);

    // The late event, and the robot again: nothing twice.
    assert_eq!(item_added(&hub, "31", "141").await.0, 200);
    drain(&hub.app).await;
    run_invoices_robot(&hub.app).await;
    assert_eq!(hub.portal.timeline(140).len(), 1);
    assert_eq!(hub.portal.timeline(141).len(), 1);
    assert_eq!(hub.portal.calls_of("crm.item.update").len(), 2);

    // Another smart process is not Shtab's; an id that is not one is refused, naming it.
    let queued = "SELECT COUNT(*) FROM jobs WHERE kind = 'bitrix24.invoice_added'";
    let before = hub.app.count(queued).await;
    let (status, answer) = item_added(&hub, "128", "5").await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("ignored")));
    let (status, answer) = item_added(&hub, "31", "12a").await;
    assert_eq!(status, 400);
    let refused = answer["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(hub.app.count(queued).await, before, "nothing queued");
    assert!(
        refused.contains("data[FIELDS][ID]") && refused.contains("12a"),
        "{refused}"
    );
}

/// An incoming payment order from another payer.
fn doc_from(number: &str, amount: &str, purpose: &str, inn: &str, name: &str) -> String {
    doc(number, amount, purpose)
        .replace(
            &format!("ПлательщикИНН={PAYER_INN}"),
            &format!("ПлательщикИНН={inn}"),
        )
        .replace("Плательщик=ООО «Ромашка»", &format!("Плательщик={name}"))
}

#[tokio::test]
async fn every_company_and_contact_of_the_inn_is_a_candidate_but_not_an_invoice_billed_to_another_inn()
 {
    const HOLDING_INN: &str = "7736207543";
    const TRADER_INN: &str = "500100732259";
    let hub = hub().await;
    // A second company with the same INN (a duplicate card): its invoice picked nothing.
    hub.portal.add_requisite(FakeRequisite::company(
        41,
        6,
        PAYER_INN,
        "ООО «Ромашка» (дубль)",
    ));
    hub.portal.add_invoice(FakeInvoice {
        assigned_by_id: 7,
        ..FakeInvoice::new(150, "150", Kopecks(250_000), 2, 6)
    });
    // Company 5 also holds another legal entity; invoice 151 is billed to that one.
    hub.portal
        .add_requisite(FakeRequisite::company(42, 5, HOLDING_INN, "АО «Холдинг»"));
    hub.portal.add_invoice(invoice(151, "151", 260_000));
    hub.portal.link_requisite(151, 42);
    // A sole trader entered as a contact.
    hub.portal
        .add_requisite(FakeRequisite::contact(43, 9, TRADER_INN, "ИП Сидоров"));
    hub.portal.add_invoice(FakeInvoice {
        assigned_by_id: 7,
        contact_ids: vec![9],
        ..FakeInvoice::new(152, "152", Kopecks(270_000), 2, 0)
    });
    import_and_match(
        &hub,
        &[
            doc("801", "2500.00", "Оплата по счету 150"),
            doc("802", "2600.00", "Оплата по счету 151"),
            doc_from(
                "803",
                "2700.00",
                "Оплата по счету 152",
                TRADER_INN,
                "ИП Сидоров",
            ),
        ],
    )
    .await;

    assert_eq!(hub.portal.invoice(150).unwrap().stage_id, PAID);
    assert_eq!(hub.portal.invoice(152).unwrap().stage_id, PAID);
    assert_eq!(
        hub.portal.invoice(151).unwrap().stage_id,
        NEW,
        "billed to another INN"
    );
    let p151 = payment_id(&hub.app, "802").await;
    assert_eq!(payment_state(&hub.app, p151).await, ("attention".into(), 0));
    let contact_items = hub
        .portal
        .calls_of("crm.item.list")
        .into_iter()
        .filter(|c| c.body()["filter"].get("@contactId").is_some())
        .count();
    assert_eq!(contact_items, 1, "the contact's invoices were asked for");
}

#[tokio::test]
async fn the_admin_picks_the_paid_and_partly_paid_stages_and_only_what_the_portal_has_is_saved() {
    let hub = hub().await;
    hub.portal
        .add_invoice_stage(2, "DT31_2:UC_PART", "Оплачен частично", 25);
    let admin = hub.app.token_as("boss@agency.test", &[Role::Admin]).await;
    let path = "/api/v1/bitrix24/settings";
    let shown = expect_json(admin.get(path), 200).await;
    assert_eq!(
        shown,
        json!({"deals": null, "invoices":
            {"category_id": null, "paid_stage": null, "partly_paid_stage": null, "problems": []}})
    );
    expect_json(hub.api.get(path), 403).await;
    expect_json(
        hub.api
            .put(path)
            .json(&json!({"invoices": {"category_id": 2}})),
        403,
    )
    .await;
    let accountant = hub
        .app
        .login_as("buh2@agency.test", &[Role::Accountant])
        .await;
    let page = accountant.get("/settings/bitrix24/invoices").await;
    assert_eq!(page.status(), 403);
    let forged = accountant
        .post_form("/settings/bitrix24/invoices", &[("category_id", "2")])
        .await;
    assert_eq!(forged.status(), 403);

    let refused = |body: Value| {
        let admin = &admin;
        async move {
            let answer = expect_json(admin.put(path).json(&json!({"invoices": body})), 422).await;
            let fields: Vec<(String, String)> = answer["error"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap().to_owned(),
                        f["message"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            fields
        }
    };
    let fields = refused(json!({"category_id": 9})).await;
    assert_eq!(fields[0].0, "invoices.category_id");
    assert!(fields[0].1.contains('9'), "{fields:?}");
    let fields = refused(json!({"category_id": 2, "paid_stage": "DT31_2:X"})).await;
    assert_eq!(fields[0].0, "invoices.paid_stage");
    assert!(fields[0].1.contains("DT31_2:X"), "{fields:?}");
    let fields = refused(json!({"category_id": 2, "partly_paid_stage": "DT31_2:D"})).await;
    assert_eq!(fields[0].0, "invoices.partly_paid_stage");
    assert!(fields[0].1.contains("final"), "{fields:?}");
    // Both systems in one PUT are saved together or not at all: the portal has no deal
    // category 5, so the good invoice settings beside it are not saved either.
    let both = json!({"invoices": {"category_id": 2}, "deals": {"category_id": 5}});
    let refused_deals = expect_json(admin.put(path).json(&both), 422).await;
    assert_eq!(
        refused_deals["error"]["fields"][0]["field"],
        "deals.category_id"
    );
    assert_eq!(
        expect_json(admin.get(path), 200).await["invoices"]["category_id"],
        Value::Null
    );

    let picked =
        json!({"category_id": 2, "paid_stage": PAID, "partly_paid_stage": "DT31_2:UC_PART"});
    let saved = expect_json(admin.put(path).json(&json!({"invoices": picked})), 200).await;
    assert_eq!(saved["invoices"]["partly_paid_stage"], "DT31_2:UC_PART");
    // The same on the page: a stage the portal lacks comes back named, nothing saved.
    let web = hub.app.admin().await;
    let form = |paid: &'static str| {
        [
            ("category_id", "2"),
            ("paid_stage", paid),
            ("partly_paid_stage", "DT31_2:UC_PART"),
        ]
    };
    let refused = web
        .post_form("/settings/bitrix24/invoices", &form("DT31_2:X"))
        .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("«DT31_2:X» — этого нет на портале"), "{page}");
    let saved = web
        .post_form("/settings/bitrix24/invoices", &form(PAID))
        .await;
    assert_eq!(
        saved.headers()["location"],
        "/settings/bitrix24/invoices?saved=1"
    );
    assert_eq!(
        expect_json(admin.get(path), 200).await["invoices"]["paid_stage"],
        PAID
    );

    // A part payment moves to the stage picked, the rest to the paid stage.
    hub.romashka_invoice(121, 1_000_000);
    import_and_match(&hub, &[doc("901", "4000.00", "Оплата по счету 121")]).await;
    assert_eq!(hub.portal.invoice(121).unwrap().stage_id, "DT31_2:UC_PART");
    import_and_match(&hub, &[doc("902", "6000.00", "Оплата по счету 121")]).await;
    assert_eq!(hub.portal.invoice(121).unwrap().stage_id, PAID);
    let last = hub.portal.timeline(121).pop().unwrap().comment;
    assert!(
        last.starts_with("[B]Счёт оплачен[/B]: 6 000,00 ₽"),
        "{last}"
    );

    // The stage is deleted on the portal: the robot fails naming it, the page shows it, and
    // a part payment writes nothing to the portal.
    hub.portal.delete_invoice_stage("DT31_2:UC_PART");
    let run = run_invoices_robot(&hub.app).await;
    assert_eq!(run.status, "failed");
    let error = run.error.unwrap_or_default();
    assert!(
        error.contains("partly_paid_stage") && error.contains("DT31_2:UC_PART"),
        "{error}"
    );
    let shown = expect_json(admin.get(path), 200).await;
    assert_eq!(
        shown["invoices"]["problems"][0]["field"], "partly_paid_stage",
        "{shown}"
    );
    let page = web.get_text("/settings/bitrix24/invoices").await;
    assert!(
        page.contains("Сохранённые настройки не подходят порталу")
            && page.contains("«DT31_2:UC_PART»"),
        "{page}"
    );
    hub.romashka_invoice(122, 1_000_000);
    hub.portal.forget_requests();
    import_and_match(&hub, &[doc("903", "1000.00", "Оплата по счету 122")]).await;
    assert!(writes(&hub.portal).is_empty(), "{:?}", writes(&hub.portal));
    let waiting = matching_jobs(&hub.app).await;
    assert!(
        waiting[0]
            .1
            .as_deref()
            .unwrap_or("")
            .contains("DT31_2:UC_PART"),
        "{waiting:?}"
    );
}

#[tokio::test]
async fn taking_a_payment_back_comments_restores_the_stage_and_unpays_its_document() {
    let hub = hub().await;
    hub.romashka_invoice(120, 1_500_050);
    hub.portal.move_invoice(120, "DT31_2:S");
    let document = hub.portal.add_payment_document(120, Kopecks(1_500_050));
    import_and_match(&hub, &[doc("501", "15000.50", "Оплата по счету 120")]).await;
    assert_eq!(hub.portal.invoice(120).unwrap().stage_id, PAID);
    assert!(
        hub.portal.payment_documents(120)[0].paid,
        "the same sum: paid too"
    );
    let pay = hub.portal.calls_of("crm.item.payment.pay");
    assert_eq!(pay.len(), 1);
    assert_eq!(pay[0].body(), json!({"id": document.to_string()}));

    let id = payment_id(&hub.app, "501").await;
    let page = hub
        .app
        .admin()
        .await
        .get_text(&format!("/bank/payments/{id}"))
        .await;
    let card = format!("{}/crm/type/31/details/120/", hub.portal.origin());
    assert!(
        page.contains(&card),
        "the payment links the invoice's card: {page}"
    );
    let allocation: i64 =
        sqlx::query_scalar("SELECT id FROM bank_allocations WHERE payment_id = $1")
            .bind(id)
            .fetch_one(hub.app.db.pool())
            .await
            .unwrap();
    expect_json(
        hub.api.delete(&format!(
            "/api/v1/bank/payments/{id}/allocations/{allocation}"
        )),
        200,
    )
    .await;
    assert_eq!(
        hub.portal.invoice(120).unwrap().stage_id,
        "DT31_2:S",
        "the stage it had"
    );
    assert!(!hub.portal.payment_documents(120)[0].paid);
    let comments = hub.portal.timeline(120);
    assert_eq!(comments.len(), 2);
    assert!(
        comments[1].comment.starts_with(
            "[B]Оплата снята[/B]: 15 000,50 ₽ от ООО «Ромашка» (ИНН 7707083893), выписка от \
             02.02.2026 больше не засчитана в этот счёт. Оплачено 0,00 ₽ из 15 000,50 ₽, осталось \
             15 000,50 ₽. Стадия возвращена: Отправлен клиенту."
        ),
        "{}",
        comments[1].comment
    );

    // Allocated again by hand: paid again, with a comment of its own.
    expect_json(
        hub.api
            .post(&format!("/api/v1/bank/payments/{id}/allocations"))
            .json(&json!({"invoice_id": "120", "amount": 1_500_050})),
        201,
    )
    .await;
    assert_eq!(hub.portal.invoice(120).unwrap().stage_id, PAID);
    assert_eq!(hub.portal.timeline(120).len(), 3);
}

#[tokio::test]
async fn a_portal_that_refuses_updates_in_a_batch_gets_them_one_by_one() {
    let hub = hub().await;
    hub.portal.refuse_in_batch("crm.item.update");
    hub.romashka_invoice(120, 1_500_050);
    import_and_match(&hub, &[doc("501", "15000.50", "Оплата по счету 120")]).await;
    assert_eq!(hub.portal.invoice(120).unwrap().stage_id, PAID);
    let updates = hub.portal.calls_of("crm.item.update");
    let alone: Vec<bool> = updates.iter().map(|u| u.in_batch.is_none()).collect();
    assert_eq!(
        alone,
        [false, true],
        "refused in the batch, then sent on its own"
    );
    assert_eq!(
        updates[1].body(),
        json!({"entityTypeId": 31, "id": 120, "fields": {"stageId": PAID}})
    );
    assert_eq!(hub.portal.timeline(120).len(), 1);
}
