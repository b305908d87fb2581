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
        c.systems.invoices = SystemOfRecord::Bitrix24;
        adjust(c);
    })
    .await;
    let maria = app.create_user(MARIA, "Мария", &[Role::Developer]).await;
    let set = shtab::server::robot_set(&app.db, &app.config);
    let run = robots::run_in_foreground(&app.db, &set, "bitrix24.users", None)
        .await
        .unwrap();
    assert_eq!(run.status, "done", "{:?}", run.error);
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
    let api = app.token_as("buh@agency.test", &[Role::Accountant]).await;
    expect_json(
        api.post("/api/v1/bank/accounts").json(&json!({
            "number": OURS, "bic": "044525974", "bank_name": "АО «ТБанк»",
        })),
        201,
    )
    .await;
    portal.forget_requests();
    Hub {
        portal,
        app,
        api,
        maria: maria.person_id,
    }
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
    expect_json(
        hub.api
            .post("/api/v1/bank/imports")
            .query(&[("file_name", "statement.txt")])
            .body(bytes.to_vec()),
        200,
    )
    .await
}

/// Runs every job that is due now: matching, the portal's event jobs, notifications.
pub async fn drain(app: &TestApp) {
    let set = shtab::server::robot_set(&app.db, &app.config);
    let registry = shtab::server::job_registry(&app.db, &app.config, set);
    jobs::run_due(&app.db, &registry)
        .await
        .expect("run due jobs");
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
    hub.portal.add_invoice(invoice(120, "120", 1_500_050));
    hub.portal.link_requisite(120, 40);
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
    // The part payment reached Мария's channel; the full one told nobody.
    assert_eq!(
        told(&hub.app).await,
        [(
            hub.maria.0,
            "email".to_string(),
            "bank.payment_needs_attention".to_string()
        )]
    );

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
            "batch"
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
    jobs::enqueue(
        &hub.app.db,
        &shtab_bank::jobs::MatchPayments {
            payment_ids: vec![full, part],
        },
    )
    .await
    .unwrap();
    drain(&hub.app).await;
    let set = shtab::server::robot_set(&hub.app.db, &hub.app.config);
    let run = robots::run_in_foreground(&hub.app.db, &set, "bitrix24.invoices", None)
        .await
        .unwrap();
    assert_eq!(run.status, "done", "{:?}", run.error);
    assert!(writes(&hub.portal).is_empty(), "{:?}", writes(&hub.portal));
    assert_eq!(
        hub.portal.timeline(120).len() + hub.portal.timeline(121).len(),
        2
    );
    assert_eq!(told(&hub.app).await.len(), 1);
}
