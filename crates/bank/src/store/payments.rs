//! The `bank_payments` table: every operation of every statement, stored once by its key.

use chrono::NaiveDate;
use shtab_core::db::{AnyRow, Db, Row, Tx};
use shtab_core::error::{CoreError, CoreResult};
use shtab_core::time::now_ms;

use super::accounts::AccountId;
use crate::domain::{Direction, Kopecks, Operation, Party};

/// One operation about to be stored: the bank's operation with what the import decided
/// about it (whose account, which way).
#[derive(Debug, Clone, Copy)]
pub struct NewPayment<'a> {
    pub operation: &'a Operation,
    pub direction: Direction,
}

/// What [`store_operations`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredOperations {
    pub new_ids: Vec<i64>,
    /// The new incoming ones: these wait to be matched to invoices.
    pub new_incoming_ids: Vec<i64>,
    /// Operations whose key was already stored (an earlier or overlapping statement).
    pub known: u64,
}

/// Where a payment came from (`bank_payments.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Source {
    #[serde(rename = "1c")]
    OneC,
    #[serde(rename = "tbank")]
    TBank,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::OneC => "1c",
            Source::TBank => "tbank",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "1c" => Some(Source::OneC),
            "tbank" => Some(Source::TBank),
            _ => None,
        }
    }
}

impl From<crate::sources::Format> for Source {
    fn from(f: crate::sources::Format) -> Source {
        match f {
            crate::sources::Format::OneC => Source::OneC,
            crate::sources::Format::TBank => Source::TBank,
        }
    }
}

pub fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Incoming => "incoming",
        Direction::Outgoing => "outgoing",
        Direction::Internal => "internal",
        Direction::Unknown => "unknown",
    }
}

pub fn parse_direction(s: &str) -> Option<Direction> {
    Some(match s {
        "incoming" => Direction::Incoming,
        "outgoing" => Direction::Outgoing,
        "internal" => Direction::Internal,
        "unknown" => Direction::Unknown,
        _ => return None,
    })
}

/// The day money moved on our account: credited for incoming, debited otherwise. Banks
/// fill these dates inconsistently (T-Bank writes ДатаСписано on incoming transfers), so
/// the other date, then the document's, stand in.
pub fn op_date(op: &Operation, direction: Direction) -> NaiveDate {
    let (first, second) = match direction {
        Direction::Incoming => (op.credited_on, op.debited_on),
        _ => (op.debited_on, op.credited_on),
    };
    first.or(second).unwrap_or(op.date)
}

/// The counterparty's name and INN, lower-cased here (SQLite's `LOWER` leaves Cyrillic
/// alone) for the payer filter. Both sides when neither is clearly the counterparty.
pub fn search_text(op: &Operation, direction: Direction) -> String {
    let sides: &[&Party] = match direction {
        Direction::Incoming => &[&op.payer],
        Direction::Outgoing => &[&op.payee],
        Direction::Internal | Direction::Unknown => &[&op.payer, &op.payee],
    };
    let mut parts = Vec::new();
    for p in sides {
        parts.extend(p.name.as_deref());
        parts.extend(p.inn_text());
    }
    parts.join(" ").to_lowercase()
}

/// Stores each operation under `account` unless its key is already stored (then it counts
/// as known). Runs in the caller's transaction, so a failing file stores nothing.
pub async fn store_operations(
    tx: &mut Tx,
    account: AccountId,
    import_id: Option<i64>,
    ops: &[NewPayment<'_>],
    source: Source,
) -> CoreResult<StoredOperations> {
    let mut out = StoredOperations::default();
    let now = now_ms();
    for p in ops {
        let op = p.operation;
        if op.amount.as_i64() <= 0 {
            return Err(CoreError::Internal(format!(
                "operation {} has a non-positive amount",
                op.key
            )));
        }
        let match_state = if p.direction == Direction::Incoming {
            "waiting"
        } else {
            "none"
        };
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO bank_payments (account_id, op_key, import_id, source, direction, amount, \
             doc_number, doc_date, op_date, payer_name, payer_inn, payer_kpp, payer_account, payer_bank, \
             payer_bic, payee_name, payee_inn, payee_kpp, payee_account, payee_bank, payee_bic, purpose, \
             search_text, allocated, match_state, match_note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
             $19, $20, $21, $22, $23, 0, $24, '', $25) \
             ON CONFLICT (op_key) DO NOTHING RETURNING id",
        )
        .bind(account.0)
        .bind(&op.key)
        .bind(import_id)
        .bind(source.as_str())
        .bind(direction_str(p.direction))
        .bind(op.amount.as_i64())
        .bind(op.number.as_deref().unwrap_or(""))
        .bind(op.date.to_string())
        .bind(op_date(op, p.direction).to_string())
        .bind(text(&op.payer.name))
        .bind(op.payer.inn_text().unwrap_or(""))
        .bind(text(&op.payer.kpp))
        .bind(text(&op.payer.account))
        .bind(text(&op.payer.bank_name))
        .bind(text(&op.payer.bic))
        .bind(text(&op.payee.name))
        .bind(op.payee.inn_text().unwrap_or(""))
        .bind(text(&op.payee.kpp))
        .bind(text(&op.payee.account))
        .bind(text(&op.payee.bank_name))
        .bind(text(&op.payee.bic))
        .bind(text(&op.purpose))
        .bind(search_text(op, p.direction))
        .bind(match_state)
        .bind(now)
        .fetch_optional(&mut **tx)
        .await?;
        match id {
            Some(id) => {
                out.new_ids.push(id);
                if p.direction == Direction::Incoming {
                    out.new_incoming_ids.push(id);
                }
            }
            None => out.known += 1,
        }
    }
    Ok(out)
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

/// One side of a stored payment, as the bank wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoredParty {
    pub name: String,
    pub inn: String,
    pub kpp: String,
    pub account: String,
    pub bank: String,
    pub bic: String,
}

/// A stored payment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Payment {
    pub id: i64,
    pub account_id: AccountId,
    pub op_key: String,
    pub import_id: Option<i64>,
    /// `1c` or `tbank`.
    pub source: String,
    pub direction: Direction,
    pub amount: Kopecks,
    pub doc_number: String,
    /// ISO dates.
    pub doc_date: Option<String>,
    pub op_date: String,
    pub payer: StoredParty,
    pub payee: StoredParty,
    pub purpose: String,
    pub allocated: Kopecks,
    /// `waiting`, `matched`, `partial`, `attention` (incoming) or `none`.
    pub match_state: String,
    pub match_note: String,
    pub created_at: i64,
}

/// Every column, for [`payment_from_row`].
pub const PAYMENT_COLUMNS: &str = "id, account_id, op_key, import_id, source, direction, amount, \
     doc_number, doc_date, op_date, payer_name, payer_inn, payer_kpp, payer_account, payer_bank, \
     payer_bic, payee_name, payee_inn, payee_kpp, payee_account, payee_bank, payee_bic, purpose, \
     allocated, match_state, match_note, created_at";

pub fn payment_from_row(row: &AnyRow) -> CoreResult<Payment> {
    let party = |side: &str| -> Result<StoredParty, sqlx::Error> {
        Ok(StoredParty {
            name: row.try_get(format!("{side}_name").as_str())?,
            inn: row.try_get(format!("{side}_inn").as_str())?,
            kpp: row.try_get(format!("{side}_kpp").as_str())?,
            account: row.try_get(format!("{side}_account").as_str())?,
            bank: row.try_get(format!("{side}_bank").as_str())?,
            bic: row.try_get(format!("{side}_bic").as_str())?,
        })
    };
    let direction: String = row.try_get("direction")?;
    Ok(Payment {
        id: row.try_get("id")?,
        account_id: AccountId(row.try_get("account_id")?),
        op_key: row.try_get("op_key")?,
        import_id: row.try_get("import_id")?,
        source: row.try_get("source")?,
        direction: parse_direction(&direction).ok_or_else(|| {
            CoreError::Internal(format!("bank_payments: unknown direction «{direction}»"))
        })?,
        amount: Kopecks(row.try_get("amount")?),
        doc_number: row.try_get("doc_number")?,
        doc_date: row.try_get("doc_date")?,
        op_date: row.try_get("op_date")?,
        payer: party("payer")?,
        payee: party("payee")?,
        purpose: row.try_get("purpose")?,
        allocated: Kopecks(row.try_get("allocated")?),
        match_state: row.try_get("match_state")?,
        match_note: row.try_get("match_note")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn get(db: &Db, id: i64) -> CoreResult<Payment> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM bank_payments WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(CoreError::NotFound("payment"))?;
    payment_from_row(&row)
}

/// [`get`] inside a transaction (whose writes it sees).
pub async fn get_in(tx: &mut Tx, id: i64) -> CoreResult<Payment> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM bank_payments WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(CoreError::NotFound("payment"))?;
    payment_from_row(&row)
}

/// How many payments an account has (the accounts page shows it).
pub async fn count_for_account(db: &Db, account: AccountId) -> CoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM bank_payments WHERE account_id = $1")
            .bind(account.0)
            .fetch_one(db.pool())
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Inn;

    fn op() -> Operation {
        Operation {
            key: "k".into(),
            doc_type: None,
            number: Some("7".into()),
            date: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            amount: Kopecks(100),
            payer: Party {
                name: Some("ООО «Ромашка»".into()),
                inn: Inn::parse("7707083893").ok(),
                ..Party::default()
            },
            payee: Party {
                name: Some("Агентство".into()),
                ..Party::default()
            },
            purpose: None,
            debited_on: NaiveDate::from_ymd_opt(2026, 2, 2),
            credited_on: None,
            payment_kind: None,
            vo: None,
            priority: None,
            uin: None,
            tax: None,
            stated_direction: None,
        }
    }

    #[test]
    fn search_text_is_the_counterparty_lower_cased() {
        assert_eq!(
            search_text(&op(), Direction::Incoming),
            "ооо «ромашка» 7707083893"
        );
        assert_eq!(search_text(&op(), Direction::Outgoing), "агентство");
    }

    #[test]
    fn op_date_falls_back_to_the_other_date_then_the_document() {
        let mut o = op();
        assert_eq!(op_date(&o, Direction::Incoming).to_string(), "2026-02-02");
        o.debited_on = None;
        assert_eq!(op_date(&o, Direction::Outgoing).to_string(), "2026-02-01");
    }

    #[test]
    fn directions_round_trip() {
        for d in [
            Direction::Incoming,
            Direction::Outgoing,
            Direction::Internal,
            Direction::Unknown,
        ] {
            assert_eq!(parse_direction(direction_str(d)), Some(d));
        }
    }
}
