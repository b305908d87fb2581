//! The built-in invoices as people meet them (`/api/v1/invoices`, the pages, CSV import)
//! and as the matcher meets them, through the invoices port: paid and state follow the
//! allocations, however often they are recorded.

use serde_json::{Value, json as body};
use shtab_bank::invoices::BuiltinInvoices;
use shtab_core::auth::Role;
use shtab_core::ports::{InvoiceState, Invoices};

use crate::testkit::{ApiClient, TestApp, WebClient, json};

/// Valid INNs (check digits right) of two payers.
const ROMASHKA: &str = "7707083893";
const LUTIK: &str = "7736050003";

fn fields(v: &Value) -> Vec<(String, String)> {
    v["error"]["fields"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap_or("").to_string(),
                        f["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

async fn accountant(app: &TestApp) -> ApiClient {
    app.token_as("buh@agency.test", &[Role::Accountant]).await
}

/// An invoice through the API; returns its id.
async fn add(api: &ApiClient, number: &str, inn: &str, kopecks: i64, due: Option<&str>) -> i64 {
    let created = json(
        api.post("/api/v1/invoices").json(&body!({
            "number": number,
            "issued_on": "2020-01-01",
            "payer_name": "ООО «Ромашка»",
            "payer_inn": inn,
            "amount_kopecks": kopecks,
            "due_on": due,
        })),
        201,
    )
    .await;
    created["id"].as_i64().unwrap()
}

/// A stored incoming payment (with the account it came to), as the statement import
/// would leave it; returns its id.
async fn payment(app: &TestApp, key: &str, kopecks: i64) -> i64 {
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
         payer_inn, match_state, created_at) \
         VALUES ($1, $2, 'tbank', 'incoming', $3, '2026-02-03', 'ООО «Ромашка»', $4, 'matched', 0) RETURNING id",
    )
    .bind(account)
    .bind(key)
    .bind(kopecks)
    .bind(ROMASHKA)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// What the matcher writes before it tells the port.
async fn allocate(app: &TestApp, payment: i64, invoice: i64, kopecks: i64) {
    sqlx::query(
        "INSERT INTO bank_allocations (payment_id, invoice_id, amount, origin, created_at) \
         VALUES ($1, $2, $3, 'auto', 0)",
    )
    .bind(payment)
    .bind(invoice.to_string())
    .bind(kopecks)
    .execute(app.db.pool())
    .await
    .unwrap();
}

async fn unallocate(app: &TestApp, payment: i64, invoice: i64) {
    sqlx::query("DELETE FROM bank_allocations WHERE payment_id = $1 AND invoice_id = $2")
        .bind(payment)
        .bind(invoice.to_string())
        .execute(app.db.pool())
        .await
        .unwrap();
}

/// Russian text as a spreadsheet on Russian Windows saves it.
fn windows_1251(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'А'..='я' => (c as u32 - 'А' as u32 + 0xC0) as u8,
            'Ё' => 0xA8,
            'ё' => 0xB8,
            '«' => 0xAB,
            '»' => 0xBB,
            '№' => 0xB9,
            c if c.is_ascii() => c as u8,
            c => panic!("{c} is not in this test's Windows-1251 table"),
        })
        .collect()
}

/// Posts `file` the way the import page's form does: multipart, the CSRF token first.
async fn upload(client: &WebClient, file: &[u8]) -> reqwest::Response {
    let csrf = client.csrf().await;
    let boundary = "shtab-test-boundary-invoices";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"invoices.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    client
        .http
        .post(client.url("/invoices/import"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn invoices_are_created_through_the_api_and_bad_fields_are_named() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;

    let refused = json(
        api.post("/api/v1/invoices").json(&body!({
            "number": "СЧ-42",
            "issued_on": "01.02.2026",
            "payer_name": "ООО «Ромашка»",
            "payer_inn": "7707083894",
            "amount_kopecks": 0,
        })),
        422,
    )
    .await;
    assert_eq!(
        fields(&refused),
        pairs(&[
            ("payer_inn", "invalid_identifier"),
            ("amount_kopecks", "amount_not_positive")
        ])
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invoices").await, 0);

    let response = api
        .post("/api/v1/invoices")
        .json(&body!({
            "number": "СЧ-42",
            "issued_on": "01.02.2026",
            "payer_name": "ООО «Ромашка»",
            "payer_inn": ROMASHKA,
            "amount_kopecks": 12_345_600,
            "due_on": "2026-02-15",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/invoices/{id}"));
    assert_eq!(created["state"], "open");
    assert_eq!(created["issued_on"], "2026-02-01");
    assert_eq!(created["remaining_kopecks"], 12_345_600);

    // The same number as payers write it («сч-0042») is the same invoice of this payer…
    let duplicate = json(
        api.post("/api/v1/invoices").json(&body!({
            "number": "сч-0042",
            "issued_on": "2026-02-02",
            "payer_name": "ООО «Ромашка»",
            "payer_inn": ROMASHKA,
            "amount_kopecks": 100,
        })),
        422,
    )
    .await;
    assert_eq!(
        fields(&duplicate),
        pairs(&[("number", "duplicate_invoice_number")])
    );
    assert!(
        duplicate["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("СЧ-42"),
        "{duplicate}"
    );
    // …and free for another payer.
    add(&api, "СЧ-42", LUTIK, 100, None).await;

    // Creating queued the matching of payments that came before the invoice.
    let queued: Vec<String> = sqlx::query_scalar(
        "SELECT payload FROM jobs WHERE kind = 'bank.invoice_appeared' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(queued.len(), 2);
    let first: Value = serde_json::from_str(&queued[0]).unwrap();
    assert_eq!(first["invoice_id"], id);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.create' AND actor_kind = 'token'"
        )
        .await,
        2
    );

    let got = json(api.get(&format!("/api/v1/invoices/{id}")), 200).await;
    assert_eq!(got["payer_inn"], ROMASHKA);
    assert_eq!(got["allocations"], body!([]));
    json(api.get("/api/v1/invoices/999999"), 404).await;
}

#[tokio::test]
async fn the_form_creates_an_invoice_and_shows_errors_in_russian() {
    let app = TestApp::spawn().await;
    let manager = app.add_person("Мария Менеджер", "maria@agency.test").await;
    let web = app.login_as("buh@agency.test", &[Role::Accountant]).await;
    let form = web.get_text("/invoices/new").await;
    assert!(form.contains("name=\"number\""), "{form}");

    let refused = web
        .post_form(
            "/invoices",
            &[
                ("number", "77"),
                ("issued_on", "2026-02-01"),
                ("payer_name", "ИП Лютиков"),
                ("payer_inn", "12345"),
                ("amount", "0"),
                ("due_on", ""),
                ("responsible_id", ""),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("сумма должна быть больше нуля"), "{page}");
    assert!(page.contains("неверный реквизит"), "{page}");
    assert!(
        page.contains("ИП Лютиков"),
        "what was typed is kept: {page}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invoices").await, 0);

    let saved = web
        .post_form(
            "/invoices",
            &[
                ("number", "77"),
                ("issued_on", "01.02.2026"),
                ("payer_name", "ИП Лютиков"),
                ("payer_inn", LUTIK),
                ("amount", "1 500,50"),
                ("due_on", "10.02.2026"),
                ("responsible_id", &manager.to_string()),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let location = saved.headers()["location"].to_str().unwrap().to_string();
    let page = web.get_text(&location).await;
    assert!(page.contains("1 500,50"), "{page}");
    assert!(page.contains("Мария Менеджер"), "{page}");

    // The same number for the same payer is refused on the form too.
    let again = web
        .post_form(
            "/invoices",
            &[
                ("number", "077"),
                ("issued_on", "01.02.2026"),
                ("payer_name", "ИП Лютиков"),
                ("payer_inn", LUTIK),
                ("amount", "10"),
            ],
        )
        .await;
    assert_eq!(again.status(), 422);
    let page = again.text().await.unwrap();
    assert!(
        page.contains("у этого плательщика уже есть счёт с таким номером"),
        "{page}"
    );

    // Editing: the amount can grow; the list finds it by the payer's name in any case.
    let id = location
        .trim_start_matches("/invoices/")
        .trim_end_matches("?saved=1")
        .to_string();
    let edited = web
        .post_form(
            &format!("/invoices/{id}/edit"),
            &[
                ("number", "77"),
                ("issued_on", "01.02.2026"),
                ("payer_name", "ИП Лютиков"),
                ("payer_inn", LUTIK),
                ("amount", "2000"),
                ("due_on", ""),
                ("responsible_id", ""),
            ],
        )
        .await;
    assert_eq!(edited.status(), 303);
    let list = web
        .get_text("/invoices?q=%D0%BB%D1%8E%D1%82%D0%B8%D0%BA")
        .await;
    assert!(list.contains("2 000,00"), "{list}");
}

#[tokio::test]
async fn developers_may_not_see_or_touch_invoices() {
    let app = TestApp::spawn().await;
    let dev = app.token_as("dev@agency.test", &[Role::Developer]).await;
    json(dev.get("/api/v1/invoices"), 403).await;
    json(
        dev.post("/api/v1/invoices").json(&body!({"number": "1"})),
        403,
    )
    .await;
    json(dev.post("/api/v1/invoices/import").body("number\n1\n"), 403).await;
    let web = app.login_as("dev2@agency.test", &[Role::Developer]).await;
    assert_eq!(web.get("/invoices").await.status(), 403);
    assert_eq!(web.get("/invoices/new").await.status(), 403);
    assert_eq!(
        web.post_form("/invoices", &[("number", "1")])
            .await
            .status(),
        403
    );
    // A manager reads and writes them.
    let manager = app.token_as("boss@agency.test", &[Role::Manager]).await;
    add(&manager, "1", ROMASHKA, 100, None).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM invoices").await, 1);
}

#[tokio::test]
async fn a_windows_1251_file_with_semicolons_and_russian_headers_is_imported() {
    let app = TestApp::spawn().await;
    let maria = app.add_person("Мария Менеджер", "maria@agency.test").await;
    let web = app.login_as("buh2@agency.test", &[Role::Accountant]).await;
    let page = web.get_text("/invoices/import").await;
    assert!(page.contains("action=\"/invoices/import\""), "{page}");

    let file = windows_1251(&format!(
        "Номер;Дата;Плательщик;ИНН;Сумма;Срок оплаты;Ответственный\r\n\
         СЧ-1;01.02.2026;ООО «Ромашка»;{ROMASHKA};1 234,56;15.02.2026;maria@agency.test\r\n\
         \r\n\
         СЧ-2;2026-02-03;ИП Лютиков;{LUTIK};99,5;;\r\n"
    ));
    let response = upload(&web, &file).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        "/invoices/import?imported=2"
    );
    let api = accountant(&app).await;
    let list = json(api.get("/api/v1/invoices").query(&[("q", "ромашка")]), 200).await;
    assert_eq!(list["total"], 1, "{list}");
    let first = &list["items"][0];
    assert_eq!(first["number"], "СЧ-1");
    assert_eq!(first["payer_name"], "ООО «Ромашка»");
    assert_eq!(first["amount_kopecks"], 123_456);
    assert_eq!(first["due_on"], "2026-02-15");
    assert_eq!(first["responsible_id"], maria.0);
    let all = json(api.get("/api/v1/invoices"), 200).await;
    assert_eq!(all["total"], 2);
    assert_eq!(all["sum_amount_kopecks"], 123_456 + 9_950);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'bank.invoice_appeared'")
            .await,
        2
    );
}

#[tokio::test]
async fn a_file_with_a_broken_line_imports_nothing_and_names_the_line() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    add(&api, "5", LUTIK, 100, None).await;

    let file = format!(
        "number,date,payer,inn,amount,due,responsible\n\
         10,2026-02-01,Romashka,{ROMASHKA},100.00,,\n\
         11,2026-02-01,Romashka,7707083894,100.00,,\n\
         12,2026-02-01,Romashka,{ROMASHKA},1234.00,,\n\
         10,2026-02-02,Romashka,{ROMASHKA},5,,\n\
         0005,2026-02-02,Lutik,{LUTIK},5,,\n\
         13,2026-02-02,Romashka,{ROMASHKA},5,,nobody@agency.test\n"
    );
    let refused = json(
        api.post("/api/v1/invoices/import")
            .header("content-type", "text/csv")
            .body(file),
        422,
    )
    .await;
    let rows: Vec<(u64, String, String)> = refused["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_string(),
                r["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (3, "payer_inn".into(), "invalid_identifier".into()),
            (5, "number".into(), "duplicate_invoice_number".into()),
            (6, "number".into(), "duplicate_invoice_number".into()),
            (7, "responsible_email".into(), "not_found".into()),
        ],
        "{refused}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM invoices").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'bank.invoice_appeared'")
            .await,
        1
    );

    // The page lists the bad line the same way.
    let web = app.login_as("buh2@agency.test", &[Role::Accountant]).await;
    let bad = format!("номер;дата;плательщик;инн;сумма\n1;2026-02-01;X;{ROMASHKA};-5\n");
    let response = upload(&web, bad.as_bytes()).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("<td class=\"num\">2</td>"), "{page}");
    assert!(page.contains("сумма должна быть больше нуля"), "{page}");

    let unknown = json(
        api.post("/api/v1/invoices/import")
            .body("number;colour\n1;red\n"),
        422,
    )
    .await;
    assert_eq!(fields(&unknown), pairs(&[("file", "invalid_csv")]));
    assert_eq!(app.count("SELECT COUNT(*) FROM invoices").await, 1);
}

#[tokio::test]
async fn the_port_recomputes_paid_and_state_from_the_allocations() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    let invoice = add(&api, "100", ROMASHKA, 100_000, None).await;
    let other = add(&api, "101", ROMASHKA, 5_000, None).await;
    let port = BuiltinInvoices::new(app.db.clone());
    let (id, p1, p2, p3) = (
        invoice.to_string(),
        payment(&app, "tbank:1", 40_000).await,
        payment(&app, "tbank:2", 60_000).await,
        payment(&app, "tbank:3", 50_000).await,
    );

    let open = port.open_by_payer_inn(ROMASHKA).await.unwrap();
    assert_eq!(open.len(), 2);
    assert_eq!(port.get("nope").await.unwrap(), None);
    assert_eq!(port.get("999999").await.unwrap(), None);

    allocate(&app, p1, invoice, 40_000).await;
    let after = port
        .record_payment(&id, &p1.to_string(), 40_000)
        .await
        .unwrap();
    assert_eq!(
        (after.paid_kopecks, after.state),
        (40_000, InvoiceState::PartiallyPaid)
    );
    // Recording the same payment again changes nothing and logs nothing.
    let again = port
        .record_payment(&id, &p1.to_string(), 40_000)
        .await
        .unwrap();
    assert_eq!(again, after);
    let recorded = "SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.payment_recorded' AND actor_kind = 'robot'";
    assert_eq!(app.count(recorded).await, 1);

    allocate(&app, p2, invoice, 60_000).await;
    let paid = port
        .record_payment(&id, &p2.to_string(), 60_000)
        .await
        .unwrap();
    assert_eq!(
        (paid.paid_kopecks, paid.state),
        (100_000, InvoiceState::Paid)
    );
    let open = port.open_by_payer_inn(ROMASHKA).await.unwrap();
    assert_eq!(
        open.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        [other.to_string()]
    );

    // More than the invoice's amount is refused and leaves it as it was.
    allocate(&app, p3, invoice, 50_000).await;
    let refused = port.record_payment(&id, &p3.to_string(), 50_000).await;
    assert!(
        matches!(refused, Err(shtab_core::CoreError::Conflict(_))),
        "{refused:?}"
    );
    unallocate(&app, p3, invoice).await;
    assert_eq!(port.get(&id).await.unwrap().unwrap(), paid);

    unallocate(&app, p1, invoice).await;
    let reversed = port.reverse_payment(&id, &p1.to_string()).await.unwrap();
    assert_eq!(
        (reversed.paid_kopecks, reversed.state),
        (60_000, InvoiceState::PartiallyPaid)
    );
    unallocate(&app, p2, invoice).await;
    let reversed = port.reverse_payment(&id, &p2.to_string()).await.unwrap();
    assert_eq!(
        (reversed.paid_kopecks, reversed.state),
        (0, InvoiceState::Open)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.payment_reversed'")
            .await,
        2
    );
}

#[tokio::test]
async fn the_overdue_filter_finds_unpaid_invoices_past_their_due_date() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    let late = add(&api, "L-1", ROMASHKA, 30_000, Some("2020-01-10")).await;
    add(&api, "F-1", ROMASHKA, 20_000, Some("2099-12-31")).await;
    add(&api, "N-1", ROMASHKA, 10_000, None).await;
    let cancelled = add(&api, "C-1", ROMASHKA, 5_000, Some("2020-01-10")).await;
    json(
        api.post(&format!("/api/v1/invoices/{cancelled}/cancel")),
        200,
    )
    .await;

    let overdue = json(api.get("/api/v1/invoices?overdue=true&state=all"), 200).await;
    assert_eq!(overdue["total"], 1, "{overdue}");
    assert_eq!(overdue["items"][0]["id"], late);
    assert_eq!(overdue["items"][0]["overdue"], true);
    assert_eq!(overdue["sum_remaining_kopecks"], 30_000);
    let unpaid = json(api.get("/api/v1/invoices"), 200).await;
    assert_eq!(unpaid["total"], 3);
    assert_eq!(unpaid["sum_remaining_kopecks"], 60_000);

    let (open, overdue_sum, overdue_count) =
        shtab_bank::invoices::receivables(&app.db, "2026-02-01".parse().unwrap())
            .await
            .unwrap();
    assert_eq!((open.0, overdue_sum.0, overdue_count), (60_000, 30_000, 1));

    let web = app.login_as("buh2@agency.test", &[Role::Accountant]).await;
    let page = web.get_text("/invoices?overdue=1").await;
    assert!(page.contains("L-1") && !page.contains("F-1"), "{page}");
    assert!(page.contains("badge-danger"), "overdue is marked: {page}");
}

#[tokio::test]
async fn an_invoice_with_payments_cannot_be_cancelled_or_cut_below_them() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    let invoice = add(&api, "200", ROMASHKA, 100_000, None).await;
    let p = payment(&app, "tbank:9", 30_000).await;
    allocate(&app, p, invoice, 30_000).await;
    let port = BuiltinInvoices::new(app.db.clone());
    port.record_payment(&invoice.to_string(), &p.to_string(), 30_000)
        .await
        .unwrap();

    let refused = json(api.post(&format!("/api/v1/invoices/{invoice}/cancel")), 409).await;
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("allocated"),
        "{refused}"
    );
    let cut = json(
        api.patch(&format!("/api/v1/invoices/{invoice}"))
            .json(&body!({"amount_kopecks": 20_000})),
        422,
    )
    .await;
    assert_eq!(
        fields(&cut),
        pairs(&[("amount_kopecks", "amount_below_paid")])
    );
    let moved = json(
        api.patch(&format!("/api/v1/invoices/{invoice}"))
            .json(&body!({"payer_inn": LUTIK})),
        422,
    )
    .await;
    assert_eq!(
        fields(&moved),
        pairs(&[("payer_inn", "invoice_has_payments")])
    );
    // Down to exactly what is paid: the invoice is paid.
    let exact = json(
        api.patch(&format!("/api/v1/invoices/{invoice}"))
            .json(&body!({"amount_kopecks": 30_000, "due_on": null})),
        200,
    )
    .await;
    assert_eq!(exact["state"], "paid");

    let web = app.login_as("buh2@agency.test", &[Role::Accountant]).await;
    let page = web
        .post_form(&format!("/invoices/{invoice}/cancel"), &[])
        .await;
    assert_eq!(page.status(), 409);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("/bank/payments/"),
        "the allocation links to its payment: {page}"
    );

    unallocate(&app, p, invoice).await;
    port.reverse_payment(&invoice.to_string(), &p.to_string())
        .await
        .unwrap();
    let cancelled = json(api.post(&format!("/api/v1/invoices/{invoice}/cancel")), 200).await;
    assert_eq!(cancelled["state"], "cancelled");
    json(
        api.patch(&format!("/api/v1/invoices/{invoice}"))
            .json(&body!({"number": "201"})),
        409,
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.cancel'")
            .await,
        1
    );
}
