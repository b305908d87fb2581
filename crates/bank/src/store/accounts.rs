//! The `bank_accounts` table: our accounts, where their statements come from, and the last
//! balance a statement reported.
//!
//! The T-Bank token is write-only: [`BankAccount`] only says whether one is set, and only
//! [`tbank_token`] (for the robot) reads it back, wrapped in a [`Secret`].

use chrono::NaiveDate;
use shtab_core::FieldError;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::config::Secret;
use shtab_core::db::{AnyRow, Db, Row, Tx};
use shtab_core::error::{CoreError, CoreResult, FieldErrors, unique_violation_as};
use shtab_core::time::now_ms;
use shtab_core::types::optional_text;
use sqlx::AssertSqlSafe;

use crate::domain::{AccountNumber, Bic, Kopecks};

/// A row of `bank_accounts`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct AccountId(pub i64);

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for AccountId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(AccountId)
    }
}

/// One of our bank accounts, as pages and the API may show it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BankAccount {
    pub id: AccountId,
    pub number: AccountNumber,
    pub bic: Bic,
    pub bank_name: String,
    pub currency: String,
    pub title: String,
    pub has_tbank_token: bool,
    /// The robot pulls T-Bank statements from this day on.
    pub tbank_from: Option<NaiveDate>,
    /// Kopecks, as the latest statement reported.
    pub balance: Option<Kopecks>,
    /// The moment the balance is as of (Unix ms): the end of the statement's last day, UTC.
    pub balance_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl BankAccount {
    /// The title when there is one, else the number: how the account is named in lists.
    pub fn label(&self) -> String {
        if self.title.is_empty() {
            self.number.to_string()
        } else {
            format!("{} ({})", self.title, self.number)
        }
    }
}

const TITLE_MAX: usize = 200;
const TOKEN_MAX: usize = 500;
const DUPLICATE: &str = "another account has this number";

/// A new account as typed (a form or a JSON body).
#[derive(Debug, Clone, Default)]
pub struct RawAccountInput {
    pub number: String,
    pub bic: String,
    pub bank_name: String,
    /// Empty: RUB.
    pub currency: String,
    pub title: String,
    /// Empty: no T-Bank API source.
    pub tbank_token: String,
    /// ISO date or DD.MM.YYYY; empty: none.
    pub tbank_from: String,
}

/// A new account, checked.
#[derive(Debug, Clone)]
pub struct AccountInput {
    pub number: AccountNumber,
    pub bic: Bic,
    pub bank_name: String,
    pub currency: String,
    pub title: String,
    pub tbank_token: Option<Secret>,
    pub tbank_from: Option<NaiveDate>,
}

impl RawAccountInput {
    /// Every problem at once, each on its field.
    pub fn parse(&self) -> CoreResult<AccountInput> {
        let mut errors = FieldErrors::default();
        let number = errors
            .take(AccountNumber::parse(&self.number).map_err(|e| e.into_field_error("number")));
        let bic = errors.take(Bic::parse(&self.bic).map_err(|e| e.into_field_error("bic")));
        let bank_name = errors.take(optional_text("bank_name", &self.bank_name, TITLE_MAX));
        let currency = errors.take(parse_currency(&self.currency));
        let title = errors.take(optional_text("title", &self.title, TITLE_MAX));
        let token = errors.take(parse_token(&self.tbank_token));
        let from = errors.take(parse_from(&self.tbank_from));
        if let (Some(n), Some(c)) = (&number, &currency) {
            errors.take(check_currency(n, c));
        }
        errors.into_result()?;
        // Every `take` above succeeded, or `into_result` returned.
        match (number, bic, bank_name, currency, title, token, from) {
            (
                Some(number),
                Some(bic),
                Some(bank_name),
                Some(currency),
                Some(title),
                Some(token),
                Some(from),
            ) => Ok(AccountInput {
                number,
                bic,
                bank_name: bank_name.unwrap_or_default(),
                currency,
                title: title.unwrap_or_default(),
                tbank_token: token,
                tbank_from: from,
            }),
            _ => Err(CoreError::Internal(
                "account input: unreported field error".into(),
            )),
        }
    }
}

/// A change to an account as typed; `None` keeps the value. The number cannot change: the
/// account's payments were stored under it.
#[derive(Debug, Clone, Default)]
pub struct RawAccountChange {
    pub bic: Option<String>,
    pub bank_name: Option<String>,
    pub currency: Option<String>,
    pub title: Option<String>,
    /// `Some("")` removes the token; `Some(token)` replaces it.
    pub tbank_token: Option<String>,
    /// `Some("")` clears the date.
    pub tbank_from: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub bic: Option<Bic>,
    pub bank_name: Option<String>,
    pub currency: Option<String>,
    pub title: Option<String>,
    pub tbank_token: Option<Option<Secret>>,
    pub tbank_from: Option<Option<NaiveDate>>,
}

impl RawAccountChange {
    pub fn parse(&self) -> CoreResult<AccountChange> {
        let mut errors = FieldErrors::default();
        let mut change = AccountChange::default();
        if let Some(b) = &self.bic {
            change.bic = errors.take(Bic::parse(b).map_err(|e| e.into_field_error("bic")));
        }
        if let Some(b) = &self.bank_name {
            change.bank_name = errors
                .take(optional_text("bank_name", b, TITLE_MAX))
                .map(Option::unwrap_or_default);
        }
        if let Some(c) = &self.currency {
            change.currency = errors.take(parse_currency(c));
        }
        if let Some(t) = &self.title {
            change.title = errors
                .take(optional_text("title", t, TITLE_MAX))
                .map(Option::unwrap_or_default);
        }
        if let Some(t) = &self.tbank_token {
            change.tbank_token = errors.take(parse_token(t));
        }
        if let Some(f) = &self.tbank_from {
            change.tbank_from = errors.take(parse_from(f));
        }
        errors.into_result()?;
        Ok(change)
    }
}

fn parse_currency(text: &str) -> Result<String, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok("RUB".into());
    }
    if t.len() != 3 || !t.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(FieldError::new(
            "currency",
            "invalid_currency",
            format!("«{t}» is not a currency code: three letters, like RUB"),
        ));
    }
    Ok(t.to_ascii_uppercase())
}

/// Digits 6–8 of the number name the currency; a rouble account (`810`, or `643`) typed
/// as another currency would have its kopecks read as the wrong money. Other codes are not
/// checked: there is no ISO 4217 table here, and test or transit numbers carry `000`.
fn check_currency(number: &AccountNumber, currency: &str) -> Result<(), FieldError> {
    let code = number.currency_code();
    if matches!(code, "810" | "643") && currency != "RUB" {
        return Err(FieldError::new(
            "currency",
            "currency_mismatch",
            format!("the account number's currency digits are {code}: roubles, not {currency}"),
        ));
    }
    Ok(())
}

fn parse_token(text: &str) -> Result<Option<Secret>, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() > TOKEN_MAX || t.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(FieldError::new(
            "tbank_token",
            "invalid_token",
            "a T-Bank token is one line without spaces",
        ));
    }
    Ok(Some(Secret::new(t)))
}

fn parse_from(text: &str) -> Result<Option<NaiveDate>, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d.%m.%Y"))
        .map(Some)
        .map_err(|_| {
            FieldError::new(
                "tbank_from",
                "invalid_date",
                format!("«{t}» is not a date (YYYY-MM-DD or DD.MM.YYYY)"),
            )
        })
}

pub async fn create(db: &Db, actor: &Actor, input: &AccountInput) -> CoreResult<BankAccount> {
    let mut tx = db.begin().await?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM bank_accounts WHERE number = $1")
        .bind(input.number.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(CoreError::field("number", "duplicate_account", DUPLICATE));
    }
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bank_accounts (number, bic, bank_name, currency, title, tbank_token, tbank_from, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(input.number.as_str())
    .bind(input.bic.as_str())
    .bind(&input.bank_name)
    .bind(&input.currency)
    .bind(&input.title)
    .bind(input.tbank_token.as_ref().map(Secret::expose).unwrap_or(""))
    .bind(input.tbank_from.map(|d| d.to_string()))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    // Two requests with the same number at once: the loser hears it like the form would.
    .map_err(|e| unique_violation_as(e, "number", "duplicate_account", DUPLICATE))?;
    let id = AccountId(id);
    let mut changes = Changes::new();
    changes
        .set("number", &input.number)
        .set("bic", &input.bic)
        .set("bank_name", &input.bank_name)
        .set("currency", &input.currency)
        .set("title", &input.title)
        // Whether a token was given, never the token.
        .set("tbank_token_set", &input.tbank_token.is_some())
        .set("tbank_from", &input.tbank_from);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "bank_account.create",
            object_kind: "bank_account",
            object_id: id.to_string(),
            object_label: input.number.to_string(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// Applies `change`; a change that changes nothing writes nothing.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: AccountId,
    change: &AccountChange,
) -> CoreResult<BankAccount> {
    let mut tx = db.begin().await?;
    let before = get_in(&mut tx, id).await?;
    let bic = change.bic.clone().unwrap_or_else(|| before.bic.clone());
    let bank_name = change
        .bank_name
        .clone()
        .unwrap_or_else(|| before.bank_name.clone());
    let currency = change
        .currency
        .clone()
        .unwrap_or_else(|| before.currency.clone());
    let title = change.title.clone().unwrap_or_else(|| before.title.clone());
    let tbank_from = change.tbank_from.unwrap_or(before.tbank_from);
    check_currency(&before.number, &currency)?;

    let mut changes = Changes::new();
    changes
        .diff("bic", &before.bic, &bic)
        .diff("bank_name", &before.bank_name, &bank_name)
        .diff("currency", &before.currency, &currency)
        .diff("title", &before.title, &title)
        .diff("tbank_from", &before.tbank_from, &tbank_from);
    if let Some(token) = &change.tbank_token {
        // Replacing a token with another is a change too, though neither is shown.
        changes.set(
            "tbank_token",
            &if token.is_some() {
                "replaced"
            } else {
                "removed"
            },
        );
    }
    if changes.is_empty() {
        tx.commit().await?;
        return Ok(before);
    }
    sqlx::query(
        "UPDATE bank_accounts SET bic = $1, bank_name = $2, currency = $3, title = $4, tbank_from = $5, \
         updated_at = $6 WHERE id = $7",
    )
    .bind(bic.as_str())
    .bind(&bank_name)
    .bind(&currency)
    .bind(&title)
    .bind(tbank_from.map(|d| d.to_string()))
    .bind(now_ms())
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    if let Some(token) = &change.tbank_token {
        sqlx::query("UPDATE bank_accounts SET tbank_token = $1 WHERE id = $2")
            .bind(token.as_ref().map(Secret::expose).unwrap_or(""))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "bank_account.update",
            object_kind: "bank_account",
            object_id: id.to_string(),
            object_label: before.number.to_string(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// Records the balance a statement reported as of `as_of` (its last day), unless a newer
/// one is already known: importing last month's file must not roll the balance back.
/// Returns whether it was recorded. The caller audits it as part of what it did.
pub async fn set_balance(
    tx: &mut Tx,
    id: AccountId,
    balance: Kopecks,
    as_of: NaiveDate,
) -> CoreResult<bool> {
    let at = balance_instant(as_of);
    let done = sqlx::query(
        "UPDATE bank_accounts SET balance = $1, balance_at = $2 \
         WHERE id = $3 AND (balance_at IS NULL OR balance_at <= $2)",
    )
    .bind(balance.as_i64())
    .bind(at)
    .bind(id.0)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The end of `day` (UTC): a closing balance holds after the day's last operation.
pub fn balance_instant(day: NaiveDate) -> i64 {
    day.succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis() - 1)
        .unwrap_or(i64::MAX)
}

/// The robot moves the day T-Bank statements are pulled from forward.
pub async fn set_tbank_from(tx: &mut Tx, id: AccountId, from: NaiveDate) -> CoreResult<()> {
    sqlx::query("UPDATE bank_accounts SET tbank_from = $1 WHERE id = $2")
        .bind(from.to_string())
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The account's T-Bank token, for the robot only; `None` when none is set.
pub async fn tbank_token(db: &Db, id: AccountId) -> CoreResult<Option<Secret>> {
    let token: Option<String> =
        sqlx::query_scalar("SELECT tbank_token FROM bank_accounts WHERE id = $1")
            .bind(id.0)
            .fetch_optional(db.pool())
            .await?;
    let token = token.ok_or(CoreError::NotFound("bank account"))?;
    Ok((!token.is_empty()).then(|| Secret::new(token)))
}

const SELECT: &str = "SELECT id, number, bic, bank_name, currency, title, \
     CASE WHEN tbank_token = '' THEN 0 ELSE 1 END AS has_token, tbank_from, balance, balance_at, \
     created_at, updated_at FROM bank_accounts";

fn from_row(row: &AnyRow) -> CoreResult<BankAccount> {
    let number: String = row.try_get("number")?;
    let bic: String = row.try_get("bic")?;
    let from: Option<String> = row.try_get("tbank_from")?;
    // Only this module writes these columns, from parsed values; a row that does not parse
    // back was changed by hand and is reported, not shown as something else.
    let corrupt =
        |what: &str| CoreError::Internal(format!("bank_accounts: stored {what} does not parse"));
    Ok(BankAccount {
        id: AccountId(row.try_get("id")?),
        number: AccountNumber::parse(&number).map_err(|_| corrupt("number"))?,
        bic: Bic::parse(&bic).map_err(|_| corrupt("bic"))?,
        bank_name: row.try_get("bank_name")?,
        currency: row.try_get("currency")?,
        title: row.try_get("title")?,
        has_tbank_token: row.try_get::<i64, _>("has_token")? != 0,
        tbank_from: from
            .map(|f| NaiveDate::parse_from_str(&f, "%Y-%m-%d").map_err(|_| corrupt("tbank_from")))
            .transpose()?,
        balance: row.try_get::<Option<i64>, _>("balance")?.map(Kopecks),
        balance_at: row.try_get("balance_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn get(db: &Db, id: AccountId) -> CoreResult<BankAccount> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id.0)
        .fetch_optional(db.pool())
        .await?
        .ok_or(CoreError::NotFound("bank account"))?;
    from_row(&row)
}

/// [`get`] inside a transaction.
pub async fn get_in(tx: &mut Tx, id: AccountId) -> CoreResult<BankAccount> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(CoreError::NotFound("bank account"))?;
    from_row(&row)
}

/// All accounts, by number. An agency has a handful, so there is no paging.
pub async fn list(db: &Db) -> CoreResult<Vec<BankAccount>> {
    let rows = sqlx::query(AssertSqlSafe(format!("{SELECT} ORDER BY number")))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// [`list`] inside a transaction.
pub async fn list_in(tx: &mut Tx) -> CoreResult<Vec<BankAccount>> {
    let rows = sqlx::query(AssertSqlSafe(format!("{SELECT} ORDER BY number")))
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn find_by_number(db: &Db, number: &AccountNumber) -> CoreResult<Option<BankAccount>> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE number = $1")))
        .bind(number.as_str())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(number: &str, currency: &str) -> RawAccountInput {
        RawAccountInput {
            number: number.into(),
            bic: "044525974".into(),
            currency: currency.into(),
            ..RawAccountInput::default()
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = RawAccountInput {
            number: "123".into(),
            bic: "x".into(),
            currency: "рубли".into(),
            tbank_from: "вчера".into(),
            ..RawAccountInput::default()
        };
        let Err(CoreError::Invalid(fields)) = bad.parse() else {
            panic!("accepted")
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["number", "bic", "currency", "tbank_from"]);
    }

    #[test]
    fn currency_must_agree_with_the_number() {
        let ok = raw("40702810900000000001", "").parse().unwrap();
        assert_eq!(ok.currency, "RUB");
        assert!(raw("40702840900000000001", "usd").parse().is_ok());
        assert!(raw("40802000000000000043", "RUB").parse().is_ok());
        let Err(CoreError::Invalid(f)) = raw("40702810900000000001", "USD").parse() else {
            panic!("accepted")
        };
        assert_eq!(f[0].code, "currency_mismatch");
    }

    #[test]
    fn token_is_one_line_and_empty_means_none() {
        assert!(parse_token("  ").unwrap().is_none());
        assert_eq!(parse_token(" t.abc ").unwrap().unwrap().expose(), "t.abc");
        assert!(parse_token("a b").is_err());
    }

    #[test]
    fn balance_holds_at_the_end_of_its_day() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let next = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        assert_eq!(balance_instant(day) + 1, balance_instant(next) - 86_399_999);
    }
}
