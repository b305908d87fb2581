//! `bitrix24_bench match PAYMENTS PAYERS` — a fake portal on 127.0.0.1 with PAYERS companies
//! (one requisite each, its INN) and PAYMENTS smart invoices spread over them, and a hub
//! database (SQLite in a temp dir, or `BENCH_DATABASE_URL`) with PAYMENTS incoming payments,
//! each paying one invoice in full by its number. The bank's matcher matches them all in one
//! run (as one imported statement does) through the portal's invoices port. Prints the HTTP
//! requests the portal received per payment, the wall time here (the fake answers at once and
//! the client is not held to a rate), and the wall time the same requests take at the
//! portal's 2 requests a second; checks that every invoice ended paid with one comment.

use std::time::Instant;

use crate::onec::inn;
use anyhow::ensure;
use shtab_bank::service::matching::Matcher;
use shtab_bitrix24::fake::{FakeInvoice, FakePortal, FakeRequisite};
use shtab_core::config::{Config, Secret, SystemOfRecord};
use shtab_core::db;
use shtab_core::time::now_ms;
use shtab_core::types::Kopecks;

const REQUESTS_PER_PAYMENT_AIM: f64 = 0.1;

pub async fn run(payments: usize, payers: usize) -> anyhow::Result<()> {
    ensure!(
        payers > 0 && payments >= payers,
        "need PAYMENTS ≥ PAYERS > 0"
    );
    let portal = FakePortal::start().await;
    portal.add_invoice_category(2, "Общая");
    let amount = |i: usize| 100_000 + (i as i64 * 7_919) % 10_000_000;
    for p in 0..payers {
        let company = 1000 + p as u64;
        portal.add_requisite(FakeRequisite::company(
            10_000 + p as u64,
            company,
            &inn(p as u64),
            &format!("ООО «Клиент {p}»"),
        ));
    }
    for i in 0..payments {
        let payer = i % payers;
        let id = 100_000 + i as u64;
        portal.add_invoice(FakeInvoice::new(
            id,
            &format!("{}", 5000 + i),
            Kopecks(amount(i)),
            2,
            1000 + payer as u64,
        ));
        portal.link_requisite(id, 10_000 + payer as u64);
    }

    let dir = tempfile::tempdir()?;
    let mut config = Config {
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
        config.database.url = Secret::new(url);
    }
    config.systems.invoices = SystemOfRecord::Bitrix24;
    config.bitrix24.webhook_url = Secret::new(portal.webhook_url());
    // The fake answers at once; the 2 req/s figure is computed from the requests counted.
    config.bitrix24.rate = 10_000;
    config.bitrix24.burst = 10_000;
    let db = db::connect(&config).await?;
    db.migrate(shtab::server::CAPABILITY_MIGRATIONS).await?;

    let account: i64 = sqlx::query_scalar(
        "INSERT INTO bank_accounts (number, bic, created_at, updated_at) \
         VALUES ('40702810900000000001', '044525974', $1, $1) RETURNING id",
    )
    .bind(now_ms())
    .fetch_one(db.pool())
    .await?;
    let mut ids = Vec::with_capacity(payments);
    let mut tx = db.begin().await?;
    for i in 0..payments {
        let payer = i % payers;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO bank_payments (account_id, op_key, source, direction, amount, op_date, \
             payer_name, payer_inn, payee_name, purpose, search_text, match_state, created_at) \
             VALUES ($1, $2, '1c', 'incoming', $3, '2026-02-02', $4, $5, 'Агентство', $6, '', \
             'waiting', $7) RETURNING id",
        )
        .bind(account)
        .bind(format!("bench:{i}"))
        .bind(amount(i))
        .bind(format!("ООО «Клиент {payer}»"))
        .bind(inn(payer as u64))
        .bind(format!("Оплата по счету № {} от 01.02.2026", 5000 + i))
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
    }
    tx.commit().await?;

    let matcher: Matcher = shtab::server::matcher(&db, &config);
    portal.forget_requests();
    let started = Instant::now();
    let counts = matcher.match_payments(&ids).await?;
    let took = started.elapsed();
    let requests = portal.http_requests().len();
    let commands = portal.calls().len() - requests
        + portal
            .http_requests()
            .iter()
            .filter(|r| r.method != "batch")
            .count();

    let paid = (0..payments)
        .filter(|i| {
            portal
                .invoice(100_000 + *i as u64)
                .is_some_and(|inv| inv.stage_id == "DT31_2:P")
        })
        .count();
    let commented = (0..payments)
        .filter(|i| portal.timeline(100_000 + *i as u64).len() == 1)
        .count();
    ensure!(
        counts.matched as usize == payments && paid == payments && commented == payments,
        "matched {} of {payments}, {paid} invoices paid, {commented} with one comment",
        counts.matched
    );
    let per_payment = requests as f64 / payments as f64;
    let at_rate = requests as f64 / 2.0;
    println!(
        "{payments} payments of {payers} payers: {requests} HTTP requests ({commands} method \
         calls) = {per_payment:.3} requests per payment; matched here in {:.1} s; at 2 req/s \
         the requests alone take {at_rate:.0} s ({:.1} min)",
        took.as_secs_f64(),
        at_rate / 60.0
    );
    println!(
        "{}",
        crate::aim::at_most(
            "HTTP requests per payment",
            per_payment,
            REQUESTS_PER_PAYMENT_AIM,
            "requests"
        )
    );
    let mut by_method: std::collections::BTreeMap<String, usize> = Default::default();
    for c in portal.calls().iter().filter(|c| c.method != "batch") {
        *by_method.entry(c.method.clone()).or_default() += 1;
    }
    for (method, n) in by_method {
        println!("  {method}: {n}");
    }
    Ok(())
}
