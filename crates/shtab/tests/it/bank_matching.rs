//! Matching payments to invoices end to end: the jobs the import queues, the invoices port
//! marking invoices paid, the responsible manager told through their channel, idempotent
//! re-runs, a payment matched once its invoice appears, and allocating by hand on the API
//! and the payment's page. Accounts, payments and invoices are written with SQL so these
//! tests depend on nothing but the schema and the matcher.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;
use shtab_bank::jobs::{InvoiceAppeared, MatchPayments};
use shtab_bank::service::matching::{self, Matcher};
use shtab_core::auth::Role;
use shtab_core::ids::PersonId;
use shtab_core::jobs;
use shtab_core::time::now_ms;
use sqlx::Row;

use crate::testkit::{TestApp, json as json_of};

const PAYER_INN: &str = "7707083893";
const OTHER_INN: &str = "7736207543";

static OP_KEYS: AtomicU64 = AtomicU64::new(0);

pub(crate) async fn account(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO bank_accounts (number, bic, created_at, updated_at) \
         VALUES ('40702810900000000001', '044525974', $1, $1) RETURNING id",
    )
    .bind(now_ms())
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// An incoming payment from ООО «Ромашка» waiting to be matched, as the import stores it.
pub(crate) async fn payment(
    app: &TestApp,
    account: i64,
    inn: &str,
    kopecks: i64,
    purpose: &str,
) -> i64 {
    let key = format!("test:{}", OP_KEYS.fetch_add(1, Ordering::SeqCst));
    sqlx::query_scalar(
        "INSERT INTO bank_payments (account_id, op_key, source, direction, amount, op_date, \
         payer_name, payer_inn, payee_name, purpose, search_text, match_state, created_at) \
         VALUES ($1, $2, '1c', 'incoming', $3, '2026-02-02', 'ООО «Ромашка»', $4, 'Агентство', $5, \
         'ооо «ромашка»', 'waiting', $6) RETURNING id",
    )
    .bind(account)
    .bind(key)
    .bind(kopecks)
    .bind(inn)
    .bind(purpose)
    .bind(now_ms())
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// An open built-in invoice.
pub(crate) async fn invoice(
    app: &TestApp,
    number: &str,
    inn: &str,
    kopecks: i64,
    responsible: Option<PersonId>,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO invoices (number, number_key, issued_on, payer_name, payer_inn, amount, paid, \
         responsible_id, state, search_text, created_at, updated_at) \
         VALUES ($1, $2, '2026-02-01', 'ООО «Ромашка»', $3, $4, 0, $5, 'open', '', $6, $6) RETURNING id",
    )
    .bind(number)
    .bind(shtab_bank::domain::purpose::normalize_number(number))
    .bind(inn)
    .bind(kopecks)
    .bind(responsible.map(|p| p.0))
    .bind(now_ms())
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// A person whose messages go to an e-mail address.
async fn with_email_channel(app: &TestApp, person: PersonId, email: &str) {
    sqlx::query(
        "INSERT INTO person_channels (person_id, channel, target, enabled, updated_at) \
         VALUES ($1, 'email', $2, 1, $3)",
    )
    .bind(person.0)
    .bind(email)
    .bind(now_ms())
    .execute(app.db.pool())
    .await
    .unwrap();
}

async fn manager(app: &TestApp) -> PersonId {
    let person = app.add_person("Мария Менеджер", "maria@agency.test").await;
    with_email_channel(app, person, "maria@agency.test").await;
    person
}

/// Runs every due job: the hub's, plus the matcher's (registered here as well, so these
/// tests do not depend on how the binary wires it).
pub(crate) async fn run_jobs(app: &TestApp) {
    let registry = shtab::server::job_registry(
        &app.db,
        &app.config,
        shtab::server::robot_set(&app.db, &app.config),
    )
    .merge(matching::registry(Matcher::builtin(&app.db, &app.config)));
    jobs::run_due(&app.db, &registry).await.unwrap();
}

pub(crate) async fn match_now(app: &TestApp, ids: &[i64]) {
    jobs::enqueue(
        &app.db,
        &MatchPayments {
            payment_ids: ids.to_vec(),
        },
    )
    .await
    .unwrap();
    run_jobs(app).await;
}

/// (allocated, match_state, match_note)
async fn payment_state(app: &TestApp, id: i64) -> (i64, String, String) {
    sqlx::query_as("SELECT allocated, match_state, match_note FROM bank_payments WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// (paid, state)
async fn invoice_state(app: &TestApp, id: i64) -> (i64, String) {
    sqlx::query_as("SELECT paid, state FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// Every allocation row, as stored.
async fn allocation_rows(app: &TestApp) -> Vec<(i64, i64, String, i64, String, i64)> {
    sqlx::query_as(
        "SELECT id, payment_id, invoice_id, amount, origin, created_at FROM bank_allocations ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

struct Delivery {
    person_id: i64,
    channel: String,
    target: String,
    template_key: String,
    subject: String,
    body: String,
    link: Option<String>,
}

async fn deliveries(app: &TestApp) -> Vec<Delivery> {
    let rows = sqlx::query(
        "SELECT person_id, channel, target, template_key, subject, body, link \
         FROM notify_deliveries ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|r| Delivery {
            person_id: r.get("person_id"),
            channel: r.get("channel"),
            target: r.get("target"),
            template_key: r.get("template_key"),
            subject: r.get("subject"),
            body: r.get("body"),
            link: r.get("link"),
        })
        .collect()
}

async fn audit_actions(app: &TestApp, payment: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE object_kind = 'bank_payment' AND object_id = $1 ORDER BY id",
    )
    .bind(payment.to_string())
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_full_match_by_number_marks_the_invoice_paid_and_tells_nobody() {
    let app = TestApp::spawn().await;
    let maria = manager(&app).await;
    let acc = account(&app).await;
    let inv = invoice(&app, "42", PAYER_INN, 1_250_000, Some(maria)).await;
    // Another invoice of the same amount: the number, not the amount, decides.
    let other = invoice(&app, "43", PAYER_INN, 1_250_000, Some(maria)).await;
    let pay = payment(
        &app,
        acc,
        PAYER_INN,
        1_250_000,
        "Оплата по счету № 42 от 01.02.2026",
    )
    .await;

    match_now(&app, &[pay]).await;

    assert_eq!(invoice_state(&app, inv).await, (1_250_000, "paid".into()));
    assert_eq!(invoice_state(&app, other).await, (0, "open".into()));
    let (allocated, state, note) = payment_state(&app, pay).await;
    assert_eq!((allocated, state.as_str()), (1_250_000, "matched"));
    assert!(note.contains("42"), "{note}");
    let rows = allocation_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].2.as_str(), rows[0].3, rows[0].4.as_str()),
        (inv.to_string().as_str(), 1_250_000, "auto")
    );
    assert!(
        deliveries(&app).await.is_empty(),
        "a clean full match tells nobody"
    );
    assert_eq!(audit_actions(&app, pay).await, vec!["bank.payment.match"]);
}

#[tokio::test]
async fn a_partial_payment_part_pays_the_invoice_and_tells_its_manager() {
    let app = TestApp::spawn().await;
    let maria = manager(&app).await;
    let acc = account(&app).await;
    let inv = invoice(&app, "СЧ-7", PAYER_INN, 1_000_000, Some(maria)).await;
    let pay = payment(
        &app,
        acc,
        PAYER_INN,
        400_000,
        "Аванс по сч. СЧ-7, НДС не облагается",
    )
    .await;

    match_now(&app, &[pay]).await;

    assert_eq!(
        invoice_state(&app, inv).await,
        (400_000, "partially_paid".into())
    );
    let (allocated, state, _) = payment_state(&app, pay).await;
    assert_eq!((allocated, state.as_str()), (400_000, "partial"));
    let sent = deliveries(&app).await;
    assert_eq!(sent.len(), 1, "one message, on the manager's one channel");
    let d = &sent[0];
    assert_eq!(d.person_id, maria.0);
    assert_eq!(
        (d.channel.as_str(), d.target.as_str()),
        ("email", "maria@agency.test")
    );
    assert_eq!(d.template_key, "bank.payment_needs_attention");
    assert!(d.subject.contains("ООО «Ромашка»"), "{}", d.subject);
    assert!(
        d.body.contains("ООО «Ромашка»") && d.body.contains(PAYER_INN),
        "{}",
        d.body
    );
    assert!(
        d.body.contains("4 000,00") && d.body.contains("СЧ-7"),
        "{}",
        d.body
    );
    assert!(d.body.contains("частично"), "{}", d.body);
    assert_eq!(
        d.link.as_deref(),
        Some(app.url(&format!("/bank/payments/{pay}")).as_str())
    );
}

#[tokio::test]
async fn a_payment_for_several_named_invoices_pays_them_all_when_the_sum_is_exact() {
    let app = TestApp::spawn().await;
    let maria = manager(&app).await;
    let acc = account(&app).await;
    let a = invoice(&app, "12", PAYER_INN, 100_000, Some(maria)).await;
    let b = invoice(&app, "13", PAYER_INN, 250_000, Some(maria)).await;
    let c = invoice(&app, "15", PAYER_INN, 50_000, Some(maria)).await;
    let d = invoice(&app, "16", PAYER_INN, 20_000, Some(maria)).await;
    let pay = payment(
        &app,
        acc,
        PAYER_INN,
        400_000,
        "Оплата по счетам 12, 13 и 15",
    )
    .await;
    let short = payment(&app, acc, PAYER_INN, 10_000, "Оплата по счетам 12 и 13").await;

    match_now(&app, &[pay, short]).await;

    for inv in [a, b, c] {
        assert_eq!(invoice_state(&app, inv).await.1, "paid");
    }
    assert_eq!(payment_state(&app, pay).await.1, "matched");
    let amounts: Vec<(i64, i64)> = allocation_rows(&app)
        .await
        .iter()
        .map(|r| (r.2.parse().unwrap(), r.3))
        .collect();
    assert_eq!(amounts, vec![(a, 100_000), (b, 250_000), (c, 50_000)]);
    // Settled before the second payment was looked at: the invoices it names are paid,
    // the one left does not fit its amount, so it waits for a person.
    assert_eq!(payment_state(&app, short).await.1, "attention");
    assert_eq!(invoice_state(&app, d).await, (0, "open".into()));
    let sent = deliveries(&app).await;
    assert_eq!(
        sent.len(),
        2,
        "both need a look: several invoices, and nothing fitting"
    );
    assert!(sent[0].body.contains("12, 13, 15"), "{}", sent[0].body);
    assert!(sent[1].body.contains("№ 12, 13"), "{}", sent[1].body);
}

#[tokio::test]
async fn overpayment_and_a_payer_without_invoices_are_left_for_a_person() {
    let app = TestApp::spawn().await;
    let maria = manager(&app).await;
    let acc = account(&app).await;
    // Who may allocate by hand hears about payments no invoice's manager answers for.
    let accountant = app
        .create_user("buh@agency.test", "Бухгалтер", &[Role::Accountant])
        .await;
    with_email_channel(&app, accountant.person_id, "buh@agency.test").await;

    let inv = invoice(&app, "42", PAYER_INN, 100_000, Some(maria)).await;
    let over = payment(&app, acc, PAYER_INN, 150_000, "Оплата по счету 42").await;
    let stranger = payment(&app, acc, OTHER_INN, 70_000, "Оплата по договору").await;

    match_now(&app, &[over, stranger]).await;

    assert_eq!(invoice_state(&app, inv).await, (0, "open".into()));
    let (allocated, state, note) = payment_state(&app, over).await;
    assert_eq!((allocated, state.as_str()), (0, "attention"));
    assert!(note.contains("больше остатка"), "{note}");
    let (allocated, state, _) = payment_state(&app, stranger).await;
    assert_eq!((allocated, state.as_str()), (0, "attention"));
    assert!(allocation_rows(&app).await.is_empty());

    let sent = deliveries(&app).await;
    let to: Vec<(i64, &str)> = sent
        .iter()
        .map(|d| (d.person_id, d.target.as_str()))
        .collect();
    assert_eq!(
        to,
        vec![
            (maria.0, "maria@agency.test"),
            (accountant.person_id.0, "buh@agency.test")
        ]
    );
    assert!(
        sent[0].body.contains("1 000,00"),
        "the invoice's remaining: {}",
        sent[0].body
    );
    assert!(
        sent[1].body.contains("нет неоплаченных счетов"),
        "{}",
        sent[1].body
    );
}

/// Everything a matcher run could change: allocations, payments' matching, invoices (with
/// their change time), deliveries and the audit log's length.
type Snapshot = (
    Vec<(i64, i64, String, i64, String, i64)>,
    Vec<(i64, i64, String, String)>,
    Vec<(i64, i64, String, i64)>,
    usize,
    i64,
);

async fn snapshot(app: &TestApp) -> Snapshot {
    let payments = sqlx::query_as(
        "SELECT id, allocated, match_state, match_note FROM bank_payments ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let invoices = sqlx::query_as("SELECT id, paid, state, updated_at FROM invoices ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    (
        allocation_rows(app).await,
        payments,
        invoices,
        deliveries(app).await.len(),
        audit,
    )
}

#[tokio::test]
async fn running_the_matcher_again_changes_nothing() {
    let app = TestApp::spawn().await;
    let maria = manager(&app).await;
    let acc = account(&app).await;
    let accountant = app
        .create_user("buh@agency.test", "Бухгалтер", &[Role::Accountant])
        .await;
    with_email_channel(&app, accountant.person_id, "buh@agency.test").await;
    let a = invoice(&app, "1", PAYER_INN, 100_000, Some(maria)).await;
    invoice(&app, "2", PAYER_INN, 300_000, Some(maria)).await;
    let ids = vec![
        payment(&app, acc, PAYER_INN, 100_000, "Оплата по счету 1").await,
        payment(&app, acc, PAYER_INN, 100_000, "Оплата по счету 2").await,
        payment(&app, acc, PAYER_INN, 999_999, "Оплата по счету 2").await,
        payment(&app, acc, OTHER_INN, 5_000, "За услуги").await,
    ];
    match_now(&app, &ids).await;
    let before = snapshot(&app).await;
    assert_eq!(before.0.len(), 2, "{:?}", before.0);
    assert_eq!(before.3, 3, "partial, overpayment, no candidate");

    match_now(&app, &ids).await;
    jobs::enqueue(&app.db, &InvoiceAppeared { invoice_id: a })
        .await
        .unwrap();
    run_jobs(&app).await;
    let matcher = Matcher::builtin(&app.db, &app.config);
    for id in &ids {
        let r = matcher.match_payment(*id).await.unwrap();
        assert!(!r.changed && r.notified.is_empty(), "{r:?}");
    }

    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn a_payment_that_came_before_its_invoice_is_matched_when_the_invoice_appears() {
    let app = TestApp::spawn().await;
    let maria = manager(&app).await;
    let acc = account(&app).await;
    let pay = payment(
        &app,
        acc,
        PAYER_INN,
        700_000,
        "Оплата по счету № 77 от 01.02.2026",
    )
    .await;
    match_now(&app, &[pay]).await;
    assert_eq!(payment_state(&app, pay).await.1, "attention");

    let inv = invoice(&app, "77", PAYER_INN, 700_000, Some(maria)).await;
    // Another payer's invoice appearing leaves the payment alone.
    let foreign = invoice(&app, "77", OTHER_INN, 700_000, Some(maria)).await;
    jobs::enqueue(
        &app.db,
        &InvoiceAppeared {
            invoice_id: foreign,
        },
    )
    .await
    .unwrap();
    run_jobs(&app).await;
    assert_eq!(payment_state(&app, pay).await.1, "attention");

    jobs::enqueue(&app.db, &InvoiceAppeared { invoice_id: inv })
        .await
        .unwrap();
    run_jobs(&app).await;
    assert_eq!(payment_state(&app, pay).await.0, 700_000);
    assert_eq!(payment_state(&app, pay).await.1, "matched");
    assert_eq!(invoice_state(&app, inv).await, (700_000, "paid".into()));
    assert_eq!(invoice_state(&app, foreign).await, (0, "open".into()));
}

#[tokio::test]
async fn allocating_by_hand_never_exceeds_the_payment_or_the_invoice() {
    let app = TestApp::spawn().await;
    let acc = account(&app).await;
    let api = app.token_as("buh@agency.test", &[Role::Accountant]).await;
    let reader = app.token_as("boss@agency.test", &[Role::Manager]).await;
    let a = invoice(&app, "1", PAYER_INN, 300_000, None).await;
    let b = invoice(&app, "2", PAYER_INN, 1_000_000, None).await;
    let foreign = invoice(&app, "3", OTHER_INN, 1_000_000, None).await;
    let pay = payment(&app, acc, PAYER_INN, 500_000, "За услуги").await;
    let path = format!("/api/v1/bank/payments/{pay}/allocations");

    let refused = |body: serde_json::Value| {
        body["error"]["fields"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let body = json_of(
        api.post(&path)
            .json(&json!({"invoice_id": a.to_string(), "amount": 300_001})),
        422,
    )
    .await;
    assert_eq!(refused(body), "exceeds_invoice");
    let body = json_of(
        api.post(&path)
            .json(&json!({"invoice_id": b.to_string(), "amount": 500_001})),
        422,
    )
    .await;
    assert_eq!(refused(body), "exceeds_payment");
    let body = json_of(
        api.post(&path)
            .json(&json!({"invoice_id": foreign.to_string(), "amount": 1})),
        422,
    )
    .await;
    assert_eq!(refused(body), "foreign_invoice");
    let body = json_of(
        api.post(&path)
            .json(&json!({"invoice_id": "999", "amount": 1})),
        422,
    )
    .await;
    assert_eq!(refused(body), "not_found");
    let body = json_of(
        api.post(&path)
            .json(&json!({"invoice_id": a.to_string(), "amount": 0})),
        422,
    )
    .await;
    assert_eq!(refused(body), "amount_not_positive");
    json_of(
        reader
            .post(&path)
            .json(&json!({"invoice_id": a.to_string(), "amount": 1})),
        403,
    )
    .await;
    assert!(
        allocation_rows(&app).await.is_empty(),
        "nothing written by refusals"
    );

    let made = json_of(
        api.post(&path)
            .json(&json!({"invoice_id": a.to_string(), "amount": 300_000})),
        201,
    )
    .await;
    assert_eq!(
        (made["amount"].as_i64(), made["origin"].as_str()),
        (Some(300_000), Some("manual"))
    );
    assert_eq!(invoice_state(&app, a).await, (300_000, "paid".into()));
    assert_eq!(
        payment_state(&app, pay).await.1,
        "attention",
        "200 000 still unplaced"
    );
    // What is left of the payment, not of the invoice, now limits.
    let body = json_of(
        api.post(&path)
            .json(&json!({"invoice_id": b.to_string(), "amount": 200_001})),
        422,
    )
    .await;
    assert_eq!(refused(body), "exceeds_payment");
    json_of(
        api.post(&path)
            .json(&json!({"invoice_id": b.to_string(), "amount": 200_000})),
        201,
    )
    .await;
    assert_eq!(
        invoice_state(&app, b).await,
        (200_000, "partially_paid".into())
    );

    let got = json_of(api.get(&format!("/api/v1/bank/payments/{pay}")), 200).await;
    assert_eq!(got["allocated"], 500_000);
    assert_eq!(got["match_state"], "partial");
    assert_eq!(got["allocations"].as_array().unwrap().len(), 2);
    assert_eq!(
        audit_actions(&app, pay).await,
        vec!["bank.payment.allocate", "bank.payment.allocate"]
    );
}

#[tokio::test]
async fn removing_an_allocation_is_audit_logged_and_puts_the_states_back() {
    let app = TestApp::spawn().await;
    let maria = manager(&app).await;
    let acc = account(&app).await;
    let api = app.token_as("buh@agency.test", &[Role::Accountant]).await;
    let inv = invoice(&app, "5", PAYER_INN, 200_000, Some(maria)).await;
    let pay = payment(&app, acc, PAYER_INN, 200_000, "Оплата по счету 5").await;
    match_now(&app, &[pay]).await;
    assert_eq!(invoice_state(&app, inv).await.1, "paid");
    let allocation = allocation_rows(&app).await[0].0;

    json_of(
        api.delete(&format!("/api/v1/bank/payments/{pay}/allocations/999999")),
        404,
    )
    .await;
    let other = payment(&app, acc, PAYER_INN, 1_000, "x").await;
    json_of(
        api.delete(&format!(
            "/api/v1/bank/payments/{other}/allocations/{allocation}"
        )),
        404,
    )
    .await;

    let body = json_of(
        api.delete(&format!(
            "/api/v1/bank/payments/{pay}/allocations/{allocation}"
        )),
        200,
    )
    .await;
    assert_eq!(
        (body["allocated"].as_i64(), body["match_state"].as_str()),
        (Some(0), Some("attention"))
    );
    assert!(allocation_rows(&app).await.is_empty());
    assert_eq!(invoice_state(&app, inv).await, (0, "open".into()));
    assert_eq!(
        audit_actions(&app, pay).await,
        vec!["bank.payment.match", "bank.payment.unallocate"]
    );
    let changes: String = sqlx::query_scalar(
        "SELECT changes FROM audit_log WHERE action = 'bank.payment.unallocate'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert!(
        changes.contains("200000") && changes.contains("auto"),
        "{changes}"
    );

    // Matching again finds the invoice again.
    let run = json_of(api.post(&format!("/api/v1/bank/payments/{pay}/match")), 200).await;
    assert_eq!(run["outcome"], "full");
    assert_eq!(run["payment"]["match_state"], "matched");
    assert_eq!(invoice_state(&app, inv).await.1, "paid");
}

#[tokio::test]
async fn the_payment_page_shows_the_allocations_and_allocates_by_hand() {
    let app = TestApp::spawn().await;
    let acc = account(&app).await;
    let inv = invoice(&app, "СЧ-9", PAYER_INN, 300_000, None).await;
    let pay = payment(&app, acc, PAYER_INN, 100_000, "Оплата услуг").await;
    let web = app.login_as("buh@agency.test", &[Role::Accountant]).await;

    let page = web.get_text(&format!("/bank/payments/{pay}")).await;
    assert!(
        page.contains("ООО «Ромашка»") && page.contains("Оплата услуг"),
        "{page}"
    );
    assert!(
        page.contains(&format!("<option value=\"{inv}\" selected>")),
        "{page}"
    );
    assert!(
        page.contains("value=\"1000,00\""),
        "prefilled with the smaller remaining: {page}"
    );

    let refused = web
        .post_form(
            &format!("/bank/payments/{pay}/allocations"),
            &[("invoice_id", &inv.to_string()), ("amount", "1000,01")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("больше неразнесённой части платежа")
    );

    let done = web
        .post_form(
            &format!("/bank/payments/{pay}/allocations"),
            &[("invoice_id", &inv.to_string()), ("amount", "1 000,00")],
        )
        .await;
    assert_eq!(done.status(), 303);
    let page = web
        .get_text(&format!("/bank/payments/{pay}?done=allocated"))
        .await;
    assert!(
        page.contains(&format!("href=\"/invoices/{inv}\">№ СЧ-9</a>")),
        "{page}"
    );
    assert!(page.contains("вручную"), "{page}");
    assert_eq!(
        invoice_state(&app, inv).await,
        (100_000, "partially_paid".into())
    );

    let allocation = allocation_rows(&app).await[0].0;
    let removed = web
        .post_form(
            &format!("/bank/payments/{pay}/allocations/{allocation}/delete"),
            &[],
        )
        .await;
    assert_eq!(removed.status(), 303);
    assert_eq!(payment_state(&app, pay).await.1, "attention");

    let reader = app.login_as("boss@agency.test", &[Role::Manager]).await;
    let page = reader.get_text(&format!("/bank/payments/{pay}")).await;
    assert!(
        !page.contains("/allocations\""),
        "no allocation form without BankManage"
    );
    let denied = reader
        .post_form(&format!("/bank/payments/{pay}/match"), &[])
        .await;
    assert_eq!(denied.status(), 403);
}

#[tokio::test]
async fn two_payments_matched_at_once_never_pay_one_invoice_twice() {
    let app = TestApp::spawn().await;
    let acc = account(&app).await;
    let inv = invoice(&app, "42", PAYER_INN, 100_000, None).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(payment(&app, acc, PAYER_INN, 100_000, "Оплата по счету 42").await);
    }
    let matcher = Matcher::builtin(&app.db, &app.config);
    let runs: Vec<_> = ids
        .iter()
        .map(|&id| {
            let m = matcher.clone();
            tokio::spawn(async move { m.match_payment(id).await })
        })
        .collect();
    for run in runs {
        run.await.unwrap().unwrap();
    }
    let rows = allocation_rows(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(invoice_state(&app, inv).await, (100_000, "paid".into()));
    let mut states = Vec::new();
    for id in ids {
        states.push(payment_state(&app, id).await.1);
    }
    states.sort();
    assert_eq!(
        states,
        vec!["attention", "attention", "attention", "matched"]
    );
}
