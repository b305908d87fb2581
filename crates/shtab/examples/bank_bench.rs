//! Bank figures: `bench/bank.sh` runs it.
//!
//! `bank_bench gen-1c FILE MB` — writes a 1CClientBankExchange statement that is about MB
//! megabytes in windows-1251 (written as UTF-8 text declaring `Кодировка=Windows`; the
//! script turns it into windows-1251 with iconv, which is what banks send).
//!
//! `bank_bench parse-1c FILE` — parses FILE with `shtab_bank::sources::onec::parse` (best of
//! three runs) and prints MB/s and the operations read; with `BENCH_ICONV_SECONDS` (iconv's
//! time on the same file) the ratio to it, against its aim (≤ 1.5×).
//!
//! `bank_bench match N [M]` — N invoices and N incoming payments in memory, payers spread
//! over N/4 INNs; every payment is matched with `purpose::invoice_numbers` and
//! `matching::decide` against the open invoices of its payer's INN (a hash map built once).
//! Prints the time, the outcomes, and the process's peak resident memory (VmHWM); with M,
//! the same for M, and M's time and its growth from N against their aims (≤ 3 s, ≤ 11×).
//!
//! `bank_bench list N` — N payments in a fresh SQLite database (bulk insert), then ~200
//! typical filtered list requests (a page of 50 and the capped totals, through the store
//! functions the page and the API call); prints p50/p99 per filter and overall, and the
//! query plan of each filter; every p99 against its aim (≤ 50 ms).

#[path = "common/aim.rs"]
mod aim;
#[path = "common/onec.rs"]
mod onec;

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use shtab_bank::domain::matching::{self, InvoiceFacts, Outcome, PaymentFacts};
use shtab_bank::domain::purpose::invoice_numbers;
use shtab_bank::store::payment_list::{self, Cursor, RawFilter, parse_day};
use shtab_core::config::Config;
use shtab_core::db::Db;

use onec::{Rng, inn};

/// The payments list's aim at a million payments, on either database.
const LIST_P99_AIM_MS: f64 = 50.0;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, what: &str| args.get(i).cloned().context(format!("missing {what}"));
    match args.get(1).map(String::as_str) {
        Some("gen-1c") => gen_1c(&arg(2, "FILE")?, arg(3, "MB")?.parse()?),
        Some("parse-1c") => parse_1c(&arg(2, "FILE")?),
        Some("match") => {
            let small = match_bench(arg(2, "N")?.parse()?)?;
            if let Some(m) = args.get(3) {
                let large = match_bench(m.parse()?)?;
                let (small, large) = (small.as_secs_f64(), large.as_secs_f64());
                println!(
                    "{}",
                    aim::at_most(&format!("matching {m}"), large, 3.0, "s")
                );
                println!(
                    "{}",
                    aim::at_most("growth of the matching time", large / small, 11.0, "×")
                );
            }
            Ok(())
        }
        Some("list") => list_bench(arg(2, "N")?.parse()?).await,
        _ => {
            anyhow::bail!("usage: bank_bench gen-1c FILE MB | parse-1c FILE | match N [M] | list N")
        }
    }
}

fn gen_1c(path: &str, megabytes: usize) -> anyhow::Result<()> {
    let target = megabytes * 1_000_000;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let header = onec::header();
    // Counted in characters: each is one byte once iconv has made the file windows-1251.
    let mut written = header.chars().count();
    out.write_all(header.as_bytes())?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut n = 0u64;
    while written < target {
        n += 1;
        let day = 1 + rng.below(31);
        let kopecks = 100 + rng.below(10_000_000);
        let payer_inn = inn(rng.below(50_000));
        let purpose = format!(
            "Оплата по счету № {} от {day:02}.01.2026 за услуги по разработке. Сумма {}-{:02} без налога (НДС)",
            rng.below(100_000),
            kopecks / 100,
            kopecks % 100,
        );
        let doc = onec::incoming(n, day, kopecks, &payer_inn, n % 50_000, &purpose);
        written += doc.chars().count();
        out.write_all(doc.as_bytes())?;
    }
    out.write_all(onec::FOOTER.as_bytes())?;
    out.flush()?;
    eprintln!("{path}: {n} documents, {written} characters");
    Ok(())
}

fn parse_1c(path: &str) -> anyhow::Result<()> {
    let bytes = std::fs::read(path)?;
    let mut best = Duration::MAX;
    let mut operations = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let statement =
            shtab_bank::sources::onec::parse(&bytes).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        best = best.min(started.elapsed());
        operations = statement.operations.len();
    }
    let mb = bytes.len() as f64 / 1_000_000.0;
    println!(
        "1c parse: {mb:.1} MB, {operations} operations in {:.3} s (best of 3) = {:.1} MB/s",
        best.as_secs_f64(),
        mb / best.as_secs_f64()
    );
    if let Some(iconv) = std::env::var("BENCH_ICONV_SECONDS")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| *s > 0.0)
    {
        let ratio = best.as_secs_f64() / iconv;
        println!("{}", aim::at_most("1C parsing vs iconv", ratio, 1.5, "×"));
    }
    Ok(())
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn match_bench(n: usize) -> anyhow::Result<Duration> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let payers = (n / 4).max(1) as u64;
    let started = Instant::now();
    let mut invoices: Vec<InvoiceFacts> = (0..n)
        .map(|i| InvoiceFacts {
            id: i.to_string(),
            number: format!("{}", 1000 + i),
            payer_inn: inn(i as u64 % payers),
            amount: 100_000 + rng.below(100_000_000) as i64,
            paid: 0,
            open: true,
        })
        .collect();
    // Payments: most name their invoice and pay it in full, some pay a part, some name
    // nothing (matched by amount), some name an invoice of someone else.
    let payments: Vec<(String, i64, String)> = (0..n)
        .map(|i| {
            let inv = &invoices[rng.below(n as u64) as usize];
            let (amount, purpose) = match rng.below(10) {
                0..=5 => (
                    inv.amount,
                    format!(
                        "Оплата по счету № {} от 01.02.2026, НДС не облагается",
                        inv.number
                    ),
                ),
                6 => (
                    inv.amount / 2,
                    format!("Частичная оплата по сч. {} за услуги", inv.number),
                ),
                7 => (
                    inv.amount,
                    "Оплата за услуги по договору 15/2025".to_owned(),
                ),
                8 => (
                    inv.amount,
                    format!("Оплата по счетам {}, {} и {}", inv.number, 1000 + i, 2 * i),
                ),
                _ => (
                    inv.amount + 1,
                    format!("Оплата по счет-фактуре № {}", inv.number),
                ),
            };
            (inv.payer_inn.clone(), amount, purpose)
        })
        .collect();
    let generated = started.elapsed();

    let started = Instant::now();
    let mut by_inn: HashMap<String, Vec<usize>> = HashMap::with_capacity(payers as usize);
    for (i, inv) in invoices.iter().enumerate() {
        by_inn.entry(inv.payer_inn.clone()).or_default().push(i);
    }
    let index = started.elapsed();

    let started = Instant::now();
    let (mut full, mut several, mut partial, mut unallocated) = (0, 0, 0, 0);
    let mut candidates: Vec<InvoiceFacts> = Vec::new();
    for (payer_inn, amount, purpose) in &payments {
        let numbers = invoice_numbers(purpose);
        candidates.clear();
        if let Some(ids) = by_inn.get(payer_inn) {
            candidates.extend(
                ids.iter()
                    .map(|&i| &invoices[i])
                    .filter(|inv| inv.open)
                    .cloned(),
            );
        }
        let outcome = matching::decide(
            &PaymentFacts {
                amount: *amount,
                payer_inn: Some(payer_inn.clone()),
                purpose_numbers: numbers,
                already_allocated: 0,
            },
            &candidates,
        );
        // Apply it, as the matcher would, so later payments see paid invoices.
        for (id, paid) in outcome.allocations() {
            if let Ok(i) = id.parse::<usize>()
                && let Some(inv) = invoices.get_mut(i)
            {
                inv.paid += paid;
                inv.open = inv.paid < inv.amount;
            }
        }
        match outcome {
            Outcome::Full { .. } => full += 1,
            Outcome::Several { .. } => several += 1,
            Outcome::Partial { .. } => partial += 1,
            Outcome::Unallocated { .. } => unallocated += 1,
        }
    }
    let matched = started.elapsed();
    println!(
        "matching {n} payments × {n} invoices ({payers} payers): {:.2} s ({:.0} payments/s; \
         index {:.2} s, data generation {:.2} s apart); full {full}, several {several}, \
         partial {partial}, unallocated {unallocated}; peak memory (VmHWM) {:.0} MB",
        matched.as_secs_f64(),
        n as f64 / matched.as_secs_f64(),
        index.as_secs_f64(),
        generated.as_secs_f64(),
        peak_rss_mb()
    );
    Ok(matched)
}

async fn list_bench(n: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    // An empty PostgreSQL database instead of SQLite (bench/bank.sh creates and drops it).
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
        config.database.url = shtab_core::config::Secret::new(url);
    }
    let db = shtab::server::open_database(&config).await?;
    let started = Instant::now();
    fill(&db, n).await?;
    if db.backend() == shtab_core::db::Backend::Postgres {
        // What autovacuum does within a minute of a bulk load (since PostgreSQL 13 inserts
        // alone start a vacuum too): without statistics the planner guesses, and without the
        // visibility map the capped count visits the table for each of its 10 001 rows.
        sqlx::query("VACUUM (ANALYZE) bank_payments, bank_counterparties")
            .execute(db.pool())
            .await?;
    }
    eprintln!(
        "inserted {n} payments in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let filters: &[(&str, &str)] = &[
        ("first page, newest first", ""),
        ("a month", "from=2025-03-01&to=2025-03-31"),
        ("payer by INN", "payer=7707083893"),
        (
            "payer name part",
            "payer=%D0%BA%D0%BB%D0%B8%D0%B5%D0%BD%D1%82+17",
        ),
        ("unmatched", "state=unmatched"),
        (
            "incoming ≥ 100 000 ₽",
            "direction=incoming&amount_min=100000",
        ),
        ("largest first", "sort=amount"),
        ("by payer", "sort=payer"),
        (
            "an account, a quarter",
            "account=2&from=2025-01-01&to=2025-03-31",
        ),
        ("page 100 (keyset)", "@deep"),
    ];
    let mut all = Vec::new();
    for (name, query) in filters {
        let (filter, deep) = if *query == "@deep" {
            (RawFilter::default().parse()?, true)
        } else {
            (RawFilter::from_query(query).parse()?, false)
        };
        let mut after: Option<Cursor> = None;
        if deep {
            for _ in 0..99 {
                after = payment_list::page(&db, &filter, after.as_ref(), 50)
                    .await?
                    .next;
            }
        }
        let mut times = Vec::new();
        let mut shown = 0;
        let mut total = String::new();
        for _ in 0..20 {
            let started = Instant::now();
            let page = payment_list::page(&db, &filter, after.as_ref(), 50).await?;
            let totals = payment_list::totals(&db, &filter).await?;
            times.push(started.elapsed());
            shown = page.items.len();
            total = if totals.capped {
                format!("{}+", totals.count)
            } else {
                totals.count.to_string()
            };
        }
        let plan = payment_list::query_plan(&db, &filter, after.as_ref())
            .await?
            .join("; ");
        let count_plan = payment_list::count_plan(&db, &filter).await?.join("; ");
        times.sort();
        let p99 = ms(times[times.len() * 99 / 100]);
        let verdict = if p99 <= LIST_P99_AIM_MS {
            "met"
        } else {
            "short"
        };
        println!(
            "  {name:<26} p50 {:>7.2} ms  p99 {p99:>7.2} ms (aim ≤ {LIST_P99_AIM_MS} ms: {verdict})  ({shown} shown, {total} match)  plan: {plan}  count: {count_plan}",
            ms(times[times.len() / 2]),
        );
        all.extend(times);
    }
    all.sort();
    println!(
        "payments list with {n} payments ({:?}), {} requests (page of 50 + capped totals): p50 {:.2} ms, p99 {:.2} ms",
        db.backend(),
        all.len(),
        ms(all[all.len() / 2]),
        ms(all[all.len() * 99 / 100])
    );
    println!(
        "{}",
        aim::at_most(
            "payments list p99, every filter together",
            ms(all[all.len() * 99 / 100]),
            LIST_P99_AIM_MS,
            "ms"
        )
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One generated payment, in the order of the insert's columns.
struct Row {
    account: i64,
    key: String,
    direction: &'static str,
    amount: i64,
    date: String,
    name: String,
    inn: String,
    purpose: String,
    search: String,
    state: &'static str,
}

/// Two accounts and `n` payments over two years, a fifth of them outgoing, payers spread
/// over 20 000 INNs (one of them 7707083893), in transactions of 5 000 multi-row inserts.
async fn fill(db: &Db, n: usize) -> anyhow::Result<()> {
    for (id, number) in [(1, "40702810900000000001"), (2, "40702810900000000002")] {
        sqlx::query(
            "INSERT INTO bank_accounts (id, number, bic, created_at, updated_at) VALUES ($1, $2, '044525974', 0, 0)",
        )
        .bind(id)
        .bind(number)
        .execute(db.pool())
        .await?;
    }
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    // The two years of days up to 2025-12-31, newest first.
    let mut days = Vec::with_capacity(731);
    let mut day = parse_day("day", "2025-12-31").map_err(|e| anyhow::anyhow!("{e}"))?;
    for _ in 0..=730 {
        days.push(day.to_string());
        day = day.pred_opt().context("a day before")?;
    }
    // Most incoming payments get matched; a few percent wait or need a person.
    let state = |r: u64| match r {
        0..=89 => "matched",
        90..=93 => "partial",
        94..=97 => "waiting",
        _ => "attention",
    };
    let rows_per_insert = 500;
    let mut i = 0usize;
    while i < n {
        let mut tx = db.begin().await?;
        for _ in 0..10 {
            let batch = rows_per_insert.min(n - i);
            if batch == 0 {
                break;
            }
            let mut sql = String::from(
                "INSERT INTO bank_payments (account_id, op_key, source, direction, amount, op_date, payer_name, \
                 payer_inn, purpose, search_text, match_state, created_at) VALUES ",
            );
            let mut values: Vec<Row> = Vec::with_capacity(batch);
            for k in 0..batch {
                let id = i + k;
                let date = days[730 - id * 730 / n.max(1)].clone();
                let outgoing = rng.below(5) == 0;
                let payer_no = rng.below(20_000);
                let payer_inn = if payer_no == 0 {
                    "7707083893".to_owned()
                } else {
                    inn(payer_no)
                };
                let name = format!("ООО «Клиент {payer_no}»");
                values.push(Row {
                    account: 1 + (rng.below(2) as i64),
                    key: format!("bench:{id}"),
                    direction: if outgoing { "outgoing" } else { "incoming" },
                    amount: 100 + rng.below(50_000_000) as i64,
                    date,
                    search: format!("{name} {payer_inn}").to_lowercase(),
                    name,
                    inn: payer_inn,
                    purpose: format!("Оплата по счету № {id} за услуги"),
                    state: if outgoing {
                        "none"
                    } else {
                        state(rng.below(100))
                    },
                });
                if k > 0 {
                    sql.push_str(", ");
                }
                let b = k * 10;
                sql.push_str(&format!(
                    "(${}, ${}, '1c', ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 0)",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9,
                    b + 10
                ));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in values {
                q = q
                    .bind(v.account)
                    .bind(v.key)
                    .bind(v.direction)
                    .bind(v.amount)
                    .bind(v.date)
                    .bind(v.name)
                    .bind(v.inn)
                    .bind(v.purpose)
                    .bind(v.search)
                    .bind(v.state);
            }
            q.execute(&mut *tx).await?;
            i += batch;
        }
        tx.commit().await?;
    }
    Ok(())
}
