//! The `invoices` table: creating, reading, listing, changing and cancelling invoices.

use chrono::NaiveDate;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::db::{AnyRow, Db, Row, Tx, can_match, like_pattern};
use shtab_core::error::{CoreError, CoreResult, unique_violation_as};
use shtab_core::ids::PersonId;
use shtab_core::jobs;
use shtab_core::ports::InvoiceState;
use shtab_core::time::now_ms;
use sqlx::AssertSqlSafe;

use super::domain::{
    Invoice, InvoiceAllocation, InvoiceChange, InvoiceId, InvoiceInput, check_due, is_unpaid,
    parse_state, search_text, state_for, state_str,
};
use crate::domain::Kopecks;
use crate::domain::purpose::normalize_number;
use crate::jobs::InvoiceAppeared;

const SELECT_INVOICE: &str = "SELECT i.id, i.number, i.issued_on, i.payer_name, i.payer_inn, i.amount, i.paid, \
            i.due_on, i.responsible_id, p.full_name AS responsible_name, i.state, i.created_at, i.updated_at \
     FROM invoices i LEFT JOIN people p ON p.id = i.responsible_id";

/// Dates are stored as ISO text; one that is not is a broken row, not bad input.
fn date(text: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn invoice_from_row(row: &AnyRow) -> Result<Invoice, sqlx::Error> {
    let state: String = row.try_get("state")?;
    Ok(Invoice {
        id: InvoiceId(row.try_get("id")?),
        number: row.try_get("number")?,
        issued_on: date(&row.try_get::<String, _>("issued_on")?)?,
        payer_name: row.try_get("payer_name")?,
        payer_inn: row.try_get("payer_inn")?,
        amount: Kopecks(row.try_get("amount")?),
        paid: Kopecks(row.try_get("paid")?),
        due_on: row
            .try_get::<Option<String>, _>("due_on")?
            .as_deref()
            .map(date)
            .transpose()?,
        responsible_id: row
            .try_get::<Option<i64>, _>("responsible_id")?
            .map(PersonId),
        responsible_name: row.try_get("responsible_name")?,
        state: parse_state(&state).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown invoice state «{state}»").into())
        })?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn get(db: &Db, id: InvoiceId) -> CoreResult<Invoice> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT_INVOICE} WHERE i.id = $1")))
        .bind(id.0)
        .fetch_optional(db.pool())
        .await?
        .ok_or(CoreError::NotFound("invoice"))?;
    Ok(invoice_from_row(&row)?)
}

/// [`get`] inside a transaction (whose writes it sees).
pub(super) async fn get_in(tx: &mut Tx, id: InvoiceId) -> CoreResult<Invoice> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT_INVOICE} WHERE i.id = $1")))
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(CoreError::NotFound("invoice"))?;
    Ok(invoice_from_row(&row)?)
}

/// Makes this transaction the only writer of the invoice until it ends, so that reading
/// its allocations and writing what they add up to cannot interleave with another writer
/// (a second matcher run, a person editing it). A no-op UPDATE does it on both backends:
/// PostgreSQL locks the row, SQLite takes the database's write lock.
pub(super) async fn lock(tx: &mut Tx, id: InvoiceId) -> CoreResult<()> {
    let locked = sqlx::query("UPDATE invoices SET updated_at = updated_at WHERE id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(CoreError::NotFound("invoice"));
    }
    Ok(())
}

/// The invoices waiting for money from the payer with this INN, oldest first: what the
/// matcher chooses from.
pub async fn open_by_payer_inn(db: &Db, inn: &str) -> CoreResult<Vec<Invoice>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{SELECT_INVOICE} WHERE i.payer_inn = $1 AND i.state IN ('open', 'partially_paid') \
         ORDER BY i.issued_on, i.id"
    )))
    .bind(inn.trim())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(invoice_from_row)
        .collect::<Result<_, _>>()?)
}

/// Creates an invoice and queues [`InvoiceAppeared`] in the same transaction, so payments
/// of its payer that arrived before it are matched once it exists.
pub async fn create(db: &Db, actor: &Actor, input: &InvoiceInput) -> CoreResult<Invoice> {
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, actor, input).await?;
    tx.commit().await?;
    get(db, id).await
}

/// [`create`] inside the caller's transaction (the CSV import adds a whole file in one).
pub(super) async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    input: &InvoiceInput,
) -> CoreResult<InvoiceId> {
    let key = input.number_key();
    check_number_free(tx, None, input.payer_inn.as_str(), &key).await?;
    if let Some(p) = input.responsible_id {
        check_responsible(tx, p).await?;
    }
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO invoices (number, number_key, issued_on, payer_name, payer_inn, amount, paid, due_on, \
         responsible_id, state, search_text, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, 'open', $9, $10, $10) RETURNING id",
    )
    .bind(&input.number)
    .bind(&key)
    .bind(input.issued_on.to_string())
    .bind(&input.payer_name)
    .bind(input.payer_inn.as_str())
    .bind(input.amount.0)
    .bind(input.due_on.map(|d| d.to_string()))
    .bind(input.responsible_id.map(|p| p.0))
    .bind(search_text(&input.number, &input.payer_name, input.payer_inn.as_str()))
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    // Two requests with the same number at once: the loser hears it like the form would.
    .map_err(|e| {
        unique_violation_as(
            e,
            "number",
            "duplicate_invoice_number",
            "this payer already has an invoice with this number",
        )
    })?;
    let id = InvoiceId(id);
    let mut changes = Changes::new();
    changes
        .set("number", &input.number)
        .set("issued_on", &input.issued_on)
        .set("payer_name", &input.payer_name)
        .set("payer_inn", &input.payer_inn)
        .set("amount", &input.amount)
        .set("due_on", &input.due_on)
        .set("responsible_id", &input.responsible_id);
    audit::record(
        tx,
        actor,
        Event {
            action: "invoice.create",
            object_kind: "invoice",
            object_id: id.to_string(),
            object_label: label(&input.number, &input.payer_name),
            changes,
        },
    )
    .await?;
    jobs::enqueue_in(tx, &InvoiceAppeared { invoice_id: id.0 }, None).await?;
    Ok(id)
}

/// Applies `change`; a change that changes nothing writes nothing (no audit entry either).
/// A changed number, payer or amount queues [`InvoiceAppeared`] again, as waiting payments
/// may fit the invoice now.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: InvoiceId,
    change: &InvoiceChange,
) -> CoreResult<Invoice> {
    let mut tx = db.begin().await?;
    lock(&mut tx, id).await?;
    let before = get_in(&mut tx, id).await?;
    if before.state == InvoiceState::Cancelled {
        return Err(CoreError::Conflict(format!(
            "invoice {} is cancelled and can no longer be changed",
            before.number
        )));
    }
    let number = change
        .number
        .clone()
        .unwrap_or_else(|| before.number.clone());
    let issued_on = change.issued_on.unwrap_or(before.issued_on);
    let payer_name = change
        .payer_name
        .clone()
        .unwrap_or_else(|| before.payer_name.clone());
    let payer_inn = change
        .payer_inn
        .as_ref()
        .map_or_else(|| before.payer_inn.clone(), |i| i.as_str().to_string());
    let amount = change.amount.unwrap_or(before.amount);
    let due_on = change.due_on.unwrap_or(before.due_on);
    let responsible = change.responsible_id.unwrap_or(before.responsible_id);

    let mut problems = Vec::new();
    if amount < before.paid {
        problems.push(shtab_core::FieldError::new(
            "amount",
            "amount_below_paid",
            format!("{} is already paid; the amount cannot be less", before.paid),
        ));
    }
    // Payments were matched by the payer's INN; moving the invoice to another payer would
    // leave them paying a stranger's invoice.
    if payer_inn != before.payer_inn && before.paid.0 > 0 {
        problems.push(shtab_core::FieldError::new(
            "payer_inn",
            "invoice_has_payments",
            "payments are allocated to the invoice, so its payer cannot change; take them off first",
        ));
    }
    if let Some(due) = due_on
        && let Err(e) = check_due(issued_on, due)
    {
        problems.push(e);
    }
    if !problems.is_empty() {
        return Err(CoreError::Invalid(problems));
    }
    let key = normalize_number(&number);
    if payer_inn != before.payer_inn || key != normalize_number(&before.number) {
        check_number_free(&mut tx, Some(id), &payer_inn, &key).await?;
    }
    if let Some(p) = responsible.filter(|p| Some(*p) != before.responsible_id) {
        check_responsible(&mut tx, p).await?;
    }
    let state = state_for(before.paid, amount);

    let mut changes = Changes::new();
    changes
        .diff("number", &before.number, &number)
        .diff("issued_on", &before.issued_on, &issued_on)
        .diff("payer_name", &before.payer_name, &payer_name)
        .diff("payer_inn", &before.payer_inn, &payer_inn)
        .diff("amount", &before.amount, &amount)
        .diff("due_on", &before.due_on, &due_on)
        .diff("responsible_id", &before.responsible_id, &responsible)
        .diff("state", &before.state, &state);
    if changes.is_empty() {
        tx.commit().await?;
        return Ok(before);
    }
    sqlx::query(
        "UPDATE invoices SET number = $1, number_key = $2, issued_on = $3, payer_name = $4, payer_inn = $5, \
         amount = $6, due_on = $7, responsible_id = $8, state = $9, search_text = $10, updated_at = $11 \
         WHERE id = $12",
    )
    .bind(&number)
    .bind(&key)
    .bind(issued_on.to_string())
    .bind(&payer_name)
    .bind(&payer_inn)
    .bind(amount.0)
    .bind(due_on.map(|d| d.to_string()))
    .bind(responsible.map(|p| p.0))
    .bind(state_str(state))
    .bind(search_text(&number, &payer_name, &payer_inn))
    .bind(now_ms())
    .bind(id.0)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        unique_violation_as(
            e,
            "number",
            "duplicate_invoice_number",
            "this payer already has an invoice with this number",
        )
    })?;
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "invoice.update",
            object_kind: "invoice",
            object_id: id.to_string(),
            object_label: label(&number, &payer_name),
            changes,
        },
    )
    .await?;
    let matters_for_matching = key != normalize_number(&before.number)
        || payer_inn != before.payer_inn
        || amount != before.amount;
    if matters_for_matching && is_unpaid(state) {
        jobs::enqueue_in(&mut tx, &InvoiceAppeared { invoice_id: id.0 }, None).await?;
    }
    tx.commit().await?;
    get(db, id).await
}

/// Cancels an invoice nobody paid. One with payments allocated is refused: the payments
/// must be taken off it first (on their pages), so no money is left pointing at a
/// cancelled invoice. Cancelling a cancelled invoice changes nothing.
pub async fn cancel(db: &Db, actor: &Actor, id: InvoiceId) -> CoreResult<Invoice> {
    let mut tx = db.begin().await?;
    lock(&mut tx, id).await?;
    let before = get_in(&mut tx, id).await?;
    if before.state == InvoiceState::Cancelled {
        tx.commit().await?;
        return Ok(before);
    }
    let (count, sum) = allocated(&mut tx, id).await?;
    if count > 0 {
        return Err(CoreError::Conflict(format!(
            "invoice {} cannot be cancelled: {count} payment(s) for {sum} RUB are allocated to it; \
             take them off on the payments' pages first",
            before.number
        )));
    }
    sqlx::query("UPDATE invoices SET state = 'cancelled', updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    let mut changes = Changes::new();
    changes.diff("state", &before.state, &InvoiceState::Cancelled);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "invoice.cancel",
            object_kind: "invoice",
            object_id: id.to_string(),
            object_label: label(&before.number, &before.payer_name),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// How many payments are allocated to the invoice and what they add up to, from the
/// allocations themselves (the matcher's and people's record), not from `invoices.paid`.
pub(super) async fn allocated(tx: &mut Tx, id: InvoiceId) -> CoreResult<(i64, Kopecks)> {
    // SUM of BIGINT is NUMERIC on PostgreSQL; the cast keeps it an integer on both.
    let (count, sum): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM bank_allocations WHERE invoice_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&mut **tx)
    .await?;
    Ok((count, Kopecks(sum)))
}

/// The payments allocated to the invoice, oldest first.
pub async fn allocations(db: &Db, id: InvoiceId) -> CoreResult<Vec<InvoiceAllocation>> {
    let rows = sqlx::query(
        "SELECT a.payment_id, p.op_date, p.payer_name, a.amount, a.origin, a.created_at \
         FROM bank_allocations a JOIN bank_payments p ON p.id = a.payment_id \
         WHERE a.invoice_id = $1 ORDER BY p.op_date, a.id",
    )
    .bind(id.to_string())
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(InvoiceAllocation {
                payment_id: r.try_get("payment_id")?,
                op_date: r.try_get("op_date")?,
                payer_name: r.try_get("payer_name")?,
                amount: Kopecks(r.try_get("amount")?),
                origin: r.try_get("origin")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Which invoices by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateFilter {
    /// Open and partially paid: still waiting for money.
    #[default]
    Unpaid,
    Is(InvoiceState),
    All,
}

/// The invoice list's filter: a search text, a state, overdue only, paged by offset.
#[derive(Debug, Clone)]
pub struct ListFilter {
    /// Looks through numbers, payer names and INNs.
    pub q: Option<String>,
    pub state: StateFilter,
    /// Only unpaid invoices whose due date is before `today`.
    pub overdue: bool,
    /// Today where the agency is (the configured time zone).
    pub today: NaiveDate,
    pub offset: i64,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct ListPage {
    pub items: Vec<Invoice>,
    pub total: i64,
    /// Over every invoice the filter finds, not only this page.
    pub sum_amount: Kopecks,
    pub sum_remaining: Kopecks,
    pub offset: i64,
    pub limit: i64,
}

/// Newest first (by date, then by id).
pub async fn list(db: &Db, filter: &ListFilter) -> CoreResult<ListPage> {
    let limit = if filter.limit <= 0 {
        50
    } else {
        filter.limit.min(500)
    };
    let offset = filter.offset.max(0);
    let q = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| !can_match(q)) {
        return Ok(ListPage {
            items: Vec::new(),
            total: 0,
            sum_amount: Kopecks(0),
            sum_remaining: Kopecks(0),
            offset,
            limit,
        });
    }
    let key = q.map(normalize_number);
    let q = q.map(like_pattern);
    let (state, unpaid) = match filter.state {
        StateFilter::Unpaid => (None, 1_i64),
        StateFilter::Is(s) => (Some(state_str(s)), 0),
        StateFilter::All => (None, 0),
    };
    let overdue = i64::from(filter.overdue);
    let today = filter.today.to_string();
    // Every condition is always present and switched off by a NULL (or 0) parameter, so
    // one statement serves every combination.
    let condition = "($1 IS NULL OR i.search_text LIKE $1 ESCAPE '\\' OR i.number_key = $2) \
         AND ($3 IS NULL OR i.state = $3) \
         AND ($4 = 0 OR i.state IN ('open', 'partially_paid')) \
         AND ($5 = 0 OR (i.state IN ('open', 'partially_paid') AND i.due_on IS NOT NULL AND i.due_on < $6))";
    let (total, sum_amount, sum_remaining): (i64, i64, i64) = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(i.amount), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN i.state IN ('open', 'partially_paid') THEN i.amount - i.paid ELSE 0 END), 0) AS BIGINT) \
         FROM invoices i WHERE {condition}"
    )))
    .bind(&q)
    .bind(&key)
    .bind(state)
    .bind(unpaid)
    .bind(overdue)
    .bind(&today)
    .fetch_one(db.pool())
    .await?;
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{SELECT_INVOICE} WHERE {condition} ORDER BY i.issued_on DESC, i.id DESC LIMIT $7 OFFSET $8"
    )))
    .bind(&q)
    .bind(&key)
    .bind(state)
    .bind(unpaid)
    .bind(overdue)
    .bind(&today)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok(ListPage {
        items: rows
            .iter()
            .map(invoice_from_row)
            .collect::<Result<_, _>>()?,
        total,
        sum_amount: Kopecks(sum_amount),
        sum_remaining: Kopecks(sum_remaining),
        offset,
        limit,
    })
}

/// Money still owed to the agency, for the dashboard: what unpaid invoices still await,
/// the part of it that is overdue (due before `today`), and how many invoices are overdue.
pub async fn receivables(db: &Db, today: NaiveDate) -> CoreResult<(Kopecks, Kopecks, i64)> {
    let (open, overdue, count): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(amount - paid), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN due_on IS NOT NULL AND due_on < $1 THEN amount - paid ELSE 0 END), 0) AS BIGINT), \
         COUNT(CASE WHEN due_on IS NOT NULL AND due_on < $1 THEN 1 END) \
         FROM invoices WHERE state IN ('open', 'partially_paid')",
    )
    .bind(today.to_string())
    .fetch_one(db.pool())
    .await?;
    Ok((Kopecks(open), Kopecks(overdue), count))
}

/// How audit entries and messages name an invoice.
pub(super) fn label(number: &str, payer_name: &str) -> String {
    format!("№ {number}, {payer_name}")
}

/// Names the invoice that has the number already, so the form can say which.
async fn check_number_free(
    tx: &mut Tx,
    me: Option<InvoiceId>,
    payer_inn: &str,
    key: &str,
) -> CoreResult<()> {
    let owner: Option<(i64, String)> =
        sqlx::query_as("SELECT id, number FROM invoices WHERE payer_inn = $1 AND number_key = $2")
            .bind(payer_inn)
            .bind(key)
            .fetch_optional(&mut **tx)
            .await?;
    match owner.filter(|(id, _)| Some(InvoiceId(*id)) != me) {
        Some((_, number)) => Err(CoreError::field(
            "number",
            "duplicate_invoice_number",
            format!("this payer already has invoice {number}"),
        )),
        None => Ok(()),
    }
}

async fn check_responsible(tx: &mut Tx, person: PersonId) -> CoreResult<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1")
        .bind(person.0)
        .fetch_optional(&mut **tx)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(CoreError::field(
            "responsible_id",
            "not_found",
            format!("there is no person #{person}"),
        )),
    }
}
