//! The bank at a glance: balances, money in and out per day, week or month, the biggest
//! payers, what is still unmatched, and what customers owe. Each figure is one aggregate
//! over an index range; the periods are bucketed here, in Rust, because date arithmetic
//! in SQL differs between SQLite and PostgreSQL.

use chrono::{Datelike, Days, Months, NaiveDate};
use shtab_core::db::{Db, Row};
use shtab_core::error::CoreResult;

/// How the chart groups days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    /// The last 30 days.
    #[default]
    Day,
    /// The last 12 weeks, Monday to Sunday.
    Week,
    /// The last 12 calendar months.
    Month,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Day, Period::Week, Period::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Period> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The first day of each bucket, oldest first, ending with the one holding `today`.
    pub fn buckets(self, today: NaiveDate) -> Vec<NaiveDate> {
        match self {
            Period::Day => (0..30u64)
                .rev()
                .filter_map(|n| today.checked_sub_days(Days::new(n)))
                .collect(),
            Period::Week => {
                let monday = today
                    .checked_sub_days(Days::new(u64::from(today.weekday().num_days_from_monday())))
                    .unwrap_or(today);
                (0..12u64)
                    .rev()
                    .filter_map(|n| monday.checked_sub_days(Days::new(7 * n)))
                    .collect()
            }
            Period::Month => {
                let first = today.with_day(1).unwrap_or(today);
                (0..12u32)
                    .rev()
                    .filter_map(|n| first.checked_sub_months(Months::new(n)))
                    .collect()
            }
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountBalance {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub bank_name: String,
    pub currency: String,
    /// Kopecks, as the last statement reported; `None` before the first.
    pub balance: Option<i64>,
    /// When that statement was taken (Unix ms).
    pub balance_at: Option<i64>,
}

/// Money in and out in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Bucket {
    pub start: NaiveDate,
    pub incoming: i64,
    pub outgoing: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TopPayer {
    pub name: String,
    pub inn: String,
    pub total: i64,
    pub payments: i64,
}

/// A count of things and the money in them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Figure {
    pub count: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Dashboard {
    pub today: NaiveDate,
    pub period: &'static str,
    pub accounts: Vec<AccountBalance>,
    pub buckets: Vec<Bucket>,
    /// By incoming sum over the chart's whole range.
    pub top_payers: Vec<TopPayer>,
    /// Incoming payments waiting for an invoice or needing a person; the amount is what
    /// is not allocated yet.
    pub unmatched: Figure,
    /// Open and partially paid invoices; the amount is what remains to be paid.
    pub receivables: Figure,
    /// The part of `receivables` past its due date.
    pub overdue: Figure,
}

pub const TOP_PAYERS: i64 = 10;

pub async fn load(db: &Db, period: Period, today: NaiveDate) -> CoreResult<Dashboard> {
    let starts = period.buckets(today);
    let from = starts.first().copied().unwrap_or(today);
    Ok(Dashboard {
        today,
        period: period.as_str(),
        accounts: balances(db).await?,
        buckets: series(db, &starts, today).await?,
        top_payers: top_payers(db, from, today).await?,
        unmatched: unmatched(db).await?,
        receivables: receivables(db, None).await?,
        overdue: receivables(db, Some(today)).await?,
    })
}

pub async fn balances(db: &Db) -> CoreResult<Vec<AccountBalance>> {
    let rows = sqlx::query(
        "SELECT id, number, title, bank_name, currency, balance, balance_at \
         FROM bank_accounts ORDER BY number",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AccountBalance {
                id: r.try_get("id")?,
                number: r.try_get("number")?,
                title: r.try_get("title")?,
                bank_name: r.try_get("bank_name")?,
                currency: r.try_get("currency")?,
                balance: r.try_get("balance")?,
                balance_at: r.try_get("balance_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Sums per day from the database (at most a year of rows), added up per bucket here.
async fn series(db: &Db, starts: &[NaiveDate], today: NaiveDate) -> CoreResult<Vec<Bucket>> {
    let mut buckets: Vec<Bucket> = starts
        .iter()
        .map(|&start| Bucket {
            start,
            incoming: 0,
            outgoing: 0,
        })
        .collect();
    let Some(first) = starts.first() else {
        return Ok(buckets);
    };
    let rows = sqlx::query(
        "SELECT op_date, direction, CAST(SUM(amount) AS BIGINT) AS total FROM bank_payments \
         WHERE op_date >= $1 AND op_date <= $2 AND direction IN ('incoming', 'outgoing') \
         GROUP BY op_date, direction",
    )
    .bind(first.to_string())
    .bind(today.to_string())
    .fetch_all(db.pool())
    .await?;
    for r in &rows {
        let Ok(day) = r.try_get::<String, _>("op_date")?.parse::<NaiveDate>() else {
            continue;
        };
        // The last bucket starting on or before the day holds it.
        let Some(b) = buckets.iter_mut().rev().find(|b| b.start <= day) else {
            continue;
        };
        let total: i64 = r.try_get("total")?;
        match r.try_get::<String, _>("direction")?.as_str() {
            "incoming" => b.incoming = b.incoming.saturating_add(total),
            _ => b.outgoing = b.outgoing.saturating_add(total),
        }
    }
    Ok(buckets)
}

/// Payers by incoming money between `from` and `to`. One payer is one INN (its names may
/// be spelt differently across statements); payers without an INN are told apart by name.
async fn top_payers(db: &Db, from: NaiveDate, to: NaiveDate) -> CoreResult<Vec<TopPayer>> {
    let rows = sqlx::query(
        "SELECT MAX(payer_name) AS name, MAX(payer_inn) AS inn, \
                CAST(SUM(amount) AS BIGINT) AS total, COUNT(*) AS n \
         FROM bank_payments \
         WHERE direction = 'incoming' AND op_date >= $1 AND op_date <= $2 \
         GROUP BY CASE WHEN payer_inn = '' THEN payer_name ELSE payer_inn END \
         ORDER BY total DESC, name LIMIT $3",
    )
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(TOP_PAYERS)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TopPayer {
                name: r.try_get("name")?,
                inn: r.try_get("inn")?,
                total: r.try_get("total")?,
                payments: r.try_get("n")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

async fn unmatched(db: &Db) -> CoreResult<Figure> {
    figure(
        db,
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount - allocated), 0) AS BIGINT) AS total \
         FROM bank_payments WHERE match_state IN ('waiting', 'attention')",
        None,
    )
    .await
}

/// What open and partially paid invoices still ask for; with `overdue_on`, only those due
/// before that day.
async fn receivables(db: &Db, overdue_on: Option<NaiveDate>) -> CoreResult<Figure> {
    let base = "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount - paid), 0) AS BIGINT) AS total \
                FROM invoices WHERE state IN ('open', 'partially_paid')";
    match overdue_on {
        None => figure(db, base, None).await,
        Some(day) => {
            let sql = "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount - paid), 0) AS BIGINT) AS total \
                       FROM invoices WHERE state IN ('open', 'partially_paid') \
                       AND due_on IS NOT NULL AND due_on < $1";
            figure(db, sql, Some(day.to_string())).await
        }
    }
}

async fn figure(db: &Db, sql: &'static str, param: Option<String>) -> CoreResult<Figure> {
    let mut q = sqlx::query(sql);
    if let Some(p) = param {
        q = q.bind(p);
    }
    let row = q.fetch_one(db.pool()).await?;
    Ok(Figure {
        count: row.try_get("n")?,
        amount: row.try_get("total")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn buckets_end_with_the_one_holding_today() {
        let days = Period::Day.buckets(d("2026-03-01"));
        assert_eq!(
            (days.len(), days[0], days[29]),
            (30, d("2026-01-31"), d("2026-03-01"))
        );
        // 2026-03-04 is a Wednesday.
        let weeks = Period::Week.buckets(d("2026-03-04"));
        assert_eq!(
            (weeks.len(), weeks[0], weeks[11]),
            (12, d("2025-12-15"), d("2026-03-02"))
        );
        let months = Period::Month.buckets(d("2026-03-31"));
        assert_eq!(
            (months.len(), months[0], months[11]),
            (12, d("2025-04-01"), d("2026-03-01"))
        );
    }
}
