//! `bitrix24_invoice_payments`: what each payment paid on which portal invoice, as Shtab
//! applied it there (see the migration for the states), and the invoices robot's cursor.

use std::collections::HashMap;

use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::time::now_ms;
use shtab_core::types::Kopecks;

/// Where one payment's part of an invoice stands on the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Claimed: the portal is being (or was, with no answer recorded) told.
    Applying,
    /// The portal shows it: stage, comment, payment document.
    Applied,
    /// Being taken back.
    Reversing,
    Reversed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applying => "applying",
            State::Applied => "applied",
            State::Reversing => "reversing",
            State::Reversed => "reversed",
        }
    }

    fn parse(s: &str) -> State {
        match s {
            "applied" => State::Applied,
            "reversing" => State::Reversing,
            "reversed" => State::Reversed,
            _ => State::Applying,
        }
    }

    /// The payment counts towards the invoice's paid amount.
    pub fn counts(self) -> bool {
        matches!(self, State::Applying | State::Applied)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub invoice_id: u64,
    pub payment_id: String,
    pub amount: Kopecks,
    pub state: State,
    pub version: i64,
    pub stage_before: Option<String>,
    pub stage_after: Option<String>,
    pub document_id: Option<u64>,
}

type RawRow = (
    i64,
    String,
    i64,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
);

fn row(r: RawRow) -> Row {
    Row {
        invoice_id: r.0 as u64,
        payment_id: r.1,
        amount: Kopecks(r.2),
        state: State::parse(&r.3),
        version: r.4,
        stage_before: r.5,
        stage_after: r.6,
        document_id: r.7.map(|d| d as u64),
    }
}

const COLUMNS: &str = "invoice_id, payment_id, amount, state, version, stage_before, \
                       stage_after, document_id";

/// Every row of these invoices, by invoice.
pub async fn of_invoices(db: &Db, invoices: &[u64]) -> CoreResult<HashMap<u64, Vec<Row>>> {
    let mut out: HashMap<u64, Vec<Row>> = HashMap::new();
    for chunk in invoices.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM bitrix24_invoice_payments WHERE invoice_id IN ({}) \
             ORDER BY invoice_id, payment_id",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, RawRow>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id as i64);
        }
        for r in q.fetch_all(db.pool()).await? {
            let r = row(r);
            out.entry(r.invoice_id).or_default().push(r);
        }
    }
    Ok(out)
}

/// Kopecks the counting payments add up to, per invoice (absent: nothing paid).
pub async fn paid(db: &Db, invoices: &[u64]) -> CoreResult<HashMap<u64, Kopecks>> {
    Ok(of_invoices(db, invoices)
        .await?
        .into_iter()
        .map(|(id, rows)| {
            let sum = rows
                .iter()
                .filter(|r| r.state.counts())
                .map(|r| r.amount.0)
                .sum();
            (id, Kopecks(sum))
        })
        .collect())
}

pub async fn get(db: &Db, invoice: u64, payment: &str) -> CoreResult<Option<Row>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM bitrix24_invoice_payments WHERE invoice_id = $1 AND payment_id = $2"
    );
    Ok(sqlx::query_as::<_, RawRow>(sqlx::AssertSqlSafe(sql))
        .bind(invoice as i64)
        .bind(payment)
        .fetch_optional(db.pool())
        .await?
        .map(row))
}

/// Claims the payment's `amount` on the invoice for applying: a new row, or the row with its
/// amount replaced (a person changed the allocation) or revived (applied again after being
/// taken back), its version bumped so the portal hears of the change once. Returns the row as
/// claimed.
pub async fn claim_apply(db: &Db, invoice: u64, payment: &str, amount: Kopecks) -> CoreResult<Row> {
    sqlx::query(
        "INSERT INTO bitrix24_invoice_payments (invoice_id, payment_id, amount, state, version, \
         updated_at) VALUES ($1, $2, $3, 'applying', 1, $4) \
         ON CONFLICT (invoice_id, payment_id) DO UPDATE SET amount = $3, state = 'applying', \
         version = CASE WHEN bitrix24_invoice_payments.amount <> $3 \
                          OR bitrix24_invoice_payments.state IN ('reversing', 'reversed') \
                        THEN bitrix24_invoice_payments.version + 1 \
                        ELSE bitrix24_invoice_payments.version END, \
         updated_at = $4",
    )
    .bind(invoice as i64)
    .bind(payment)
    .bind(amount.0)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    get(db, invoice, payment)
        .await?
        .ok_or(shtab_core::CoreError::NotFound("invoice payment"))
}

/// Marks the row's version applied, remembering the stage before (unless one was already
/// remembered), the stage set and the payment document paid.
pub async fn applied(
    db: &Db,
    claimed: &Row,
    stage_before: &str,
    stage_after: Option<&str>,
    document: Option<u64>,
) -> CoreResult<()> {
    sqlx::query(
        "UPDATE bitrix24_invoice_payments SET state = 'applied', \
         stage_before = COALESCE(stage_before, $4), stage_after = COALESCE($5, stage_after), \
         document_id = COALESCE($6, document_id), updated_at = $7 \
         WHERE invoice_id = $1 AND payment_id = $2 AND version = $3 AND state = 'applying'",
    )
    .bind(claimed.invoice_id as i64)
    .bind(&claimed.payment_id)
    .bind(claimed.version)
    .bind(stage_before)
    .bind(stage_after)
    .bind(document.map(|d| d as i64))
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Claims taking the payment back; `None` when there is nothing of it on the invoice.
pub async fn claim_reverse(db: &Db, invoice: u64, payment: &str) -> CoreResult<Option<Row>> {
    let done = sqlx::query(
        "UPDATE bitrix24_invoice_payments SET state = 'reversing', updated_at = $3 \
         WHERE invoice_id = $1 AND payment_id = $2 AND state <> 'reversed'",
    )
    .bind(invoice as i64)
    .bind(payment)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    get(db, invoice, payment).await
}

pub async fn reversed(db: &Db, claimed: &Row) -> CoreResult<()> {
    sqlx::query(
        "UPDATE bitrix24_invoice_payments SET state = 'reversed', document_id = NULL, \
         stage_after = NULL, updated_at = $4 \
         WHERE invoice_id = $1 AND payment_id = $2 AND version = $3 AND state = 'reversing'",
    )
    .bind(claimed.invoice_id as i64)
    .bind(&claimed.payment_id)
    .bind(claimed.version)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Rows claimed for applying and not settled: a run that failed or stopped half-way.
pub async fn unsettled(db: &Db) -> CoreResult<Vec<Row>> {
    in_state(db, "applying").await
}

/// Rows whose reversal was claimed and not finished.
pub async fn reversing(db: &Db) -> CoreResult<Vec<Row>> {
    in_state(db, "reversing").await
}

async fn in_state(db: &Db, state: &str) -> CoreResult<Vec<Row>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM bitrix24_invoice_payments WHERE state = $1 \
         ORDER BY invoice_id, payment_id"
    );
    Ok(sqlx::query_as::<_, RawRow>(sqlx::AssertSqlSafe(sql))
        .bind(state)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(row)
        .collect())
}

/// The invoices robot's cursor: the highest invoice id it has seen.
pub async fn cursor(db: &Db) -> CoreResult<Option<u64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT last_id FROM bitrix24_invoice_cursor WHERE name = 'smart_invoices'",
    )
    .fetch_optional(db.pool())
    .await?;
    Ok(id.map(|i| i as u64))
}

pub async fn set_cursor(db: &Db, last_id: u64) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO bitrix24_invoice_cursor (name, last_id, updated_at) \
         VALUES ('smart_invoices', $1, $2) \
         ON CONFLICT (name) DO UPDATE SET last_id = $1, updated_at = $2",
    )
    .bind(last_id as i64)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}
