//! Which payment paid which invoice: the rows of `bank_allocations`, and the matching state
//! a payment carries beside them (`allocated`, `match_state`, `match_note`). Writes take a
//! transaction, so the allocations, the payment's totals and the audit entry are stored
//! together or not at all.

use std::collections::HashMap;

use shtab_core::db::{AnyRow, Backend, Db, Row, Tx};
use shtab_core::error::{CoreError, CoreResult};
use shtab_core::time::now_ms;

use crate::domain::Kopecks;

/// Who made an allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The matcher.
    Auto,
    /// A person on the payment's page or through the API.
    Manual,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Auto => "auto",
            Origin::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Origin> {
        match s {
            "auto" => Some(Origin::Auto),
            "manual" => Some(Origin::Manual),
            _ => None,
        }
    }
}

/// Part of a payment allocated to an invoice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Allocation {
    pub id: i64,
    pub payment_id: i64,
    /// The invoice's id in the invoices port.
    pub invoice_id: String,
    pub amount: Kopecks,
    pub origin: Origin,
    pub created_at: i64,
}

const COLUMNS: &str = "id, payment_id, invoice_id, amount, origin, created_at";

fn from_row(r: &AnyRow) -> CoreResult<Allocation> {
    let origin: String = r.try_get("origin")?;
    Ok(Allocation {
        id: r.try_get("id")?,
        payment_id: r.try_get("payment_id")?,
        invoice_id: r.try_get("invoice_id")?,
        amount: Kopecks(r.try_get("amount")?),
        origin: Origin::parse(&origin).ok_or_else(|| {
            CoreError::Internal(format!("bank_allocations: unknown origin «{origin}»"))
        })?,
        created_at: r.try_get("created_at")?,
    })
}

/// The payment's allocations, in the order they were made.
pub async fn of_payment(db: &Db, payment_id: i64) -> CoreResult<Vec<Allocation>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bank_allocations WHERE payment_id = $1 ORDER BY id"
    )))
    .bind(payment_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// [`of_payment`] inside a transaction (whose writes it sees).
pub async fn of_payment_in(tx: &mut Tx, payment_id: i64) -> CoreResult<Vec<Allocation>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bank_allocations WHERE payment_id = $1 ORDER BY id"
    )))
    .bind(payment_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The allocations to an invoice (by its port id), in the order they were made.
pub async fn of_invoice(db: &Db, invoice_id: &str) -> CoreResult<Vec<Allocation>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bank_allocations WHERE invoice_id = $1 ORDER BY id"
    )))
    .bind(invoice_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get_in(tx: &mut Tx, id: i64) -> CoreResult<Allocation> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bank_allocations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(CoreError::NotFound("allocation"))?;
    from_row(&row)
}

/// Kopecks of the payment allocated, from the rows themselves.
pub async fn sum_for_payment(tx: &mut Tx, payment_id: i64) -> CoreResult<Kopecks> {
    // SUM of BIGINT is NUMERIC on PostgreSQL; the cast keeps it an integer on both.
    let sum: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM bank_allocations WHERE payment_id = $1",
    )
    .bind(payment_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Kopecks(sum))
}

/// Kopecks allocated to the invoice, over all payments.
pub async fn sum_for_invoice(tx: &mut Tx, invoice_id: &str) -> CoreResult<Kopecks> {
    let sum: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM bank_allocations WHERE invoice_id = $1",
    )
    .bind(invoice_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Kopecks(sum))
}

/// What is allocated to each of the invoices, as committed (absent: nothing).
pub async fn sums_for_invoices(
    db: &Db,
    invoice_ids: &[String],
) -> CoreResult<HashMap<String, Kopecks>> {
    let mut out = HashMap::new();
    // One query per invoice keeps the statement plain; a payer has a handful open.
    for id in invoice_ids {
        let sum: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM bank_allocations WHERE invoice_id = $1",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await?;
        out.insert(id.clone(), Kopecks(sum));
    }
    Ok(out)
}

/// Allocates `amount` of the payment to the invoice. A second allocation of the same
/// payment to the same invoice adds to the first (one row per pair); a person adding to
/// the matcher's row makes it theirs.
pub async fn insert(
    tx: &mut Tx,
    payment_id: i64,
    invoice_id: &str,
    amount: Kopecks,
    origin: Origin,
) -> CoreResult<i64> {
    if amount.0 <= 0 {
        return Err(CoreError::Internal(format!(
            "allocation of payment {payment_id} to invoice {invoice_id}: {amount} is not positive"
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bank_allocations (payment_id, invoice_id, amount, origin, created_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (payment_id, invoice_id) DO UPDATE \
         SET amount = bank_allocations.amount + excluded.amount, origin = excluded.origin \
         RETURNING id",
    )
    .bind(payment_id)
    .bind(invoice_id)
    .bind(amount.0)
    .bind(origin.as_str())
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Removes an allocation; returns what it was.
pub async fn delete(tx: &mut Tx, id: i64) -> CoreResult<Allocation> {
    let found = get_in(tx, id).await?;
    sqlx::query("DELETE FROM bank_allocations WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(found)
}

/// Makes this transaction the only writer of the payment's matching until it ends: a
/// no-op UPDATE locks the row on PostgreSQL and takes the write lock on SQLite. Two
/// matcher runs, or a run and a person, then see each other's result rather than both
/// allocating the same money.
pub async fn lock_payment(tx: &mut Tx, payment_id: i64) -> CoreResult<()> {
    let locked = sqlx::query("UPDATE bank_payments SET allocated = allocated WHERE id = $1")
        .bind(payment_id)
        .execute(&mut **tx)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(CoreError::NotFound("payment"));
    }
    Ok(())
}

/// Serialises allocations to one invoice across transactions until this one ends, so two
/// payments cannot both take what is left of it. On SQLite the payment's lock already holds
/// the database's single write lock; on PostgreSQL a transaction-scoped advisory lock on
/// the invoice's id does it (the invoice may live in another system, so there is no row of
/// ours to lock). Take these in a fixed order (sorted ids) to avoid deadlocks.
pub async fn lock_invoice(tx: &mut Tx, backend: Backend, invoice_id: &str) -> CoreResult<()> {
    if backend == Backend::Postgres {
        // 2001: the bank migration's number, so the key space is the bank's own.
        sqlx::query("SELECT CAST(pg_advisory_xact_lock(2001, hashtext($1)) AS TEXT)")
            .bind(invoice_id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Sets what the payment's allocations add up to, its state and the reason.
pub async fn set_payment_match(
    tx: &mut Tx,
    payment_id: i64,
    allocated: Kopecks,
    state: &str,
    note: &str,
) -> CoreResult<()> {
    sqlx::query(
        "UPDATE bank_payments SET allocated = $1, match_state = $2, match_note = $3 WHERE id = $4",
    )
    .bind(allocated.0)
    .bind(state)
    .bind(note)
    .bind(payment_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Incoming payments of the payer that may still be matched automatically: waiting for an
/// invoice, or left for a person with nothing allocated yet. Oldest first, so the earliest
/// money pays the earliest invoice.
pub async fn rematchable_of_payer(db: &Db, payer_inn: &str) -> CoreResult<Vec<i64>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM bank_payments WHERE payer_inn = $1 AND direction = 'incoming' \
         AND (match_state = 'waiting' OR (match_state = 'attention' AND allocated = 0)) \
         ORDER BY op_date, id",
    )
    .bind(payer_inn)
    .fetch_all(db.pool())
    .await?;
    Ok(ids)
}

/// Every incoming payment that may still be matched automatically, of any payer with an INN
/// (see [`rematchable_of_payer`]). Oldest first.
pub async fn rematchable(db: &Db) -> CoreResult<Vec<i64>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM bank_payments WHERE payer_inn <> '' AND direction = 'incoming' \
         AND (match_state = 'waiting' OR (match_state = 'attention' AND allocated = 0)) \
         ORDER BY op_date, id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(ids)
}
