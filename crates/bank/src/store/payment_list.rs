//! The payments list: filtered, sorted and paged so that it stays fast with a million rows.
//!
//! Paging is by keyset, never by offset: a page continues after the last row of the one
//! before (its sort value and id), which an index answers directly however deep the page.
//! The total is counted only up to [`COUNT_CAP`] rows; counting a million rows on every
//! page would cost more than the page itself, and "10 000+" is as useful to a person.
//!
//! The SQL is assembled from fixed fragments: a condition appears only when its filter is
//! set, so each combination is a plain statement whose plan can use the matching index
//! (a `$1 IS NULL OR …` form would leave SQLite planning for the worst case).

mod filter;

use shtab_core::FieldError;
use shtab_core::db::{AnyRow, Backend, Db, Row};
use shtab_core::error::{CoreError, CoreResult};
use sqlx::AssertSqlSafe;

pub use filter::{
    DirectionFilter, PayerMatch, PaymentFilter, RawFilter, Sort, StateFilter, encode_query,
    parse_day,
};

/// Rows counted for the total; one more means "more than this".
pub const COUNT_CAP: i64 = 10_000;

/// The largest page a caller may ask for.
pub const MAX_LIMIT: i64 = 500;

/// Up to this many payments matching a part of a name, the page reads them all by
/// counterparty and sorts them; above it, testing payments in the list's order fills the
/// page sooner (one in 500 of a million matching: ~25 000 rows for a page of 50).
const PAGE_LOOKUP_MAX: i64 = 2_000;

/// How a part of a counterparty's name or INN is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NamePart {
    /// Each payment's text is tested as the list's index is read in order: the page stops
    /// at its last row, so this is cheapest when many payments match.
    Scan,
    /// The counterparties whose text holds it are found first (a few thousand texts, kept
    /// by the `2002_bank_counterparties` triggers), then their payments through
    /// `bank_payments_search`: only the payments that match are read. The capped count
    /// read up to 170 000 payments of a million with [`NamePart::Scan`] to find 10 001.
    Lookup,
}

/// Where the next page starts: after the row with this sort value and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    key: CursorKey,
    id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum CursorKey {
    Text(String),
    Int(i64),
}

impl Cursor {
    /// Reads `after` for `sort`: `<sort value>~<id>`, as [`Cursor::to_param`] wrote it.
    pub fn parse(text: &str, sort: Sort) -> Result<Cursor, FieldError> {
        let bad = || {
            FieldError::new(
                "after",
                "invalid_cursor",
                format!("«{text}» is not a position in this list; start from the first page"),
            )
        };
        let (key, id) = text.rsplit_once('~').ok_or_else(bad)?;
        let id: i64 = id.parse().map_err(|_| bad())?;
        let key = if sort.numeric_key() {
            CursorKey::Int(key.parse().map_err(|_| bad())?)
        } else if sort.column() == "op_date" {
            parse_day("after", key).map_err(|_| bad())?;
            CursorKey::Text(key.to_owned())
        } else {
            CursorKey::Text(key.to_owned())
        };
        Ok(Cursor { key, id })
    }

    pub fn to_param(&self) -> String {
        match &self.key {
            CursorKey::Text(s) => format!("{s}~{}", self.id),
            CursorKey::Int(i) => format!("{i}~{}", self.id),
        }
    }

    fn after(row: &PaymentRow, sort: Sort) -> Cursor {
        let key = match sort.column() {
            "amount" => CursorKey::Int(row.amount),
            "payer_name" => CursorKey::Text(row.payer_name.clone()),
            _ => CursorKey::Text(row.op_date.clone()),
        };
        Cursor { key, id: row.id }
    }
}

/// A payment as the list and the CSV export show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PaymentRow {
    pub id: i64,
    pub account_id: i64,
    pub account_number: String,
    pub source: String,
    pub direction: String,
    pub amount: i64,
    pub allocated: i64,
    pub doc_number: String,
    pub doc_date: Option<String>,
    pub op_date: String,
    pub payer_name: String,
    pub payer_inn: String,
    pub payer_kpp: String,
    pub payer_account: String,
    pub payee_name: String,
    pub payee_inn: String,
    pub payee_kpp: String,
    pub payee_account: String,
    pub purpose: String,
    pub match_state: String,
}

const COLUMNS: &str = "p.id, p.account_id, COALESCE(a.number, '') AS account_number, p.source, p.direction, \
     p.amount, p.allocated, p.doc_number, p.doc_date, p.op_date, p.payer_name, p.payer_inn, \
     p.payer_kpp, p.payer_account, p.payee_name, p.payee_inn, p.payee_kpp, p.payee_account, \
     p.purpose, p.match_state";

fn row_from(r: &AnyRow) -> Result<PaymentRow, sqlx::Error> {
    Ok(PaymentRow {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        account_number: r.try_get("account_number")?,
        source: r.try_get("source")?,
        direction: r.try_get("direction")?,
        amount: r.try_get("amount")?,
        allocated: r.try_get("allocated")?,
        doc_number: r.try_get("doc_number")?,
        doc_date: r.try_get("doc_date")?,
        op_date: r.try_get("op_date")?,
        payer_name: r.try_get("payer_name")?,
        payer_inn: r.try_get("payer_inn")?,
        payer_kpp: r.try_get("payer_kpp")?,
        payer_account: r.try_get("payer_account")?,
        payee_name: r.try_get("payee_name")?,
        payee_inn: r.try_get("payee_inn")?,
        payee_kpp: r.try_get("payee_kpp")?,
        payee_account: r.try_get("payee_account")?,
        purpose: r.try_get("purpose")?,
        match_state: r.try_get("match_state")?,
    })
}

/// How many payments match, up to [`COUNT_CAP`]; the sums by direction only when the
/// count is exact (then they cost at most that many rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub count: i64,
    /// More than [`COUNT_CAP`] match; `count` is the cap.
    pub capped: bool,
    pub incoming: Option<i64>,
    pub outgoing: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct ListPage {
    pub items: Vec<PaymentRow>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

enum Value {
    Text(String),
    Int(i64),
}

/// A `WHERE` clause with its parameters, numbered in the order they are added.
#[derive(Default)]
struct Conditions {
    parts: Vec<String>,
    values: Vec<Value>,
}

impl Conditions {
    fn param(&mut self, v: Value) -> String {
        self.values.push(v);
        format!("${}", self.values.len())
    }

    fn add(&mut self, sql: impl Into<String>) {
        self.parts.push(sql.into());
    }

    /// The filter's conditions for counting and summing: a name part by lookup.
    fn of(filter: &PaymentFilter) -> Conditions {
        Conditions::with_state(
            filter,
            filter.state.map(StateCondition::Filter),
            NamePart::Lookup,
        )
    }

    /// The filter's conditions with `state` in place of its state filter.
    fn with_state(
        filter: &PaymentFilter,
        state: Option<StateCondition>,
        name_part: NamePart,
    ) -> Conditions {
        let mut c = Conditions::default();
        match &filter.payer {
            Some(PayerMatch::Inn(inn)) => {
                let p = c.param(Value::Text(inn.clone()));
                c.add(format!("p.payer_inn = {p}"));
            }
            Some(text @ PayerMatch::Text(_)) => {
                let p = c.param(Value::Text(text.like_pattern()));
                c.add(match name_part {
                    NamePart::Scan => format!("p.search_text LIKE {p} ESCAPE '\\'"),
                    NamePart::Lookup => format!(
                        "p.search_text IN (SELECT k.search_text FROM bank_counterparties k \
                         WHERE k.search_text LIKE {p} ESCAPE '\\')"
                    ),
                });
            }
            None => {}
        }
        if let Some(d) = filter.from {
            let p = c.param(Value::Text(d.to_string()));
            c.add(format!("p.op_date >= {p}"));
        }
        if let Some(d) = filter.to {
            let p = c.param(Value::Text(d.to_string()));
            c.add(format!("p.op_date <= {p}"));
        }
        if let Some(k) = filter.amount_min {
            let p = c.param(Value::Int(k.0));
            c.add(format!("p.amount >= {p}"));
        }
        if let Some(k) = filter.amount_max {
            let p = c.param(Value::Int(k.0));
            c.add(format!("p.amount <= {p}"));
        }
        if let Some(d) = filter.direction {
            let p = c.param(Value::Text(d.as_str().to_owned()));
            c.add(format!("p.direction = {p}"));
        }
        if let Some(a) = filter.account_id {
            let p = c.param(Value::Int(a));
            c.add(format!("p.account_id = {p}"));
        }
        match state {
            Some(StateCondition::Filter(StateFilter::Unmatched)) => {
                c.add("p.match_state IN ('waiting', 'attention')")
            }
            Some(StateCondition::Filter(s)) => {
                let p = c.param(Value::Text(s.as_str().to_owned()));
                c.add(format!("p.match_state = {p}"));
            }
            Some(StateCondition::One(state)) => c.add(format!("p.match_state = '{state}'")),
            None => {}
        }
        c
    }

    fn after(&mut self, sort: Sort, cursor: &Cursor) {
        let key = self.param(match &cursor.key {
            CursorKey::Text(s) => Value::Text(s.clone()),
            CursorKey::Int(i) => Value::Int(*i),
        });
        let id = self.param(Value::Int(cursor.id));
        let op = if sort.descending() { "<" } else { ">" };
        // A row value compares (key, id) as one, which both engines turn into an index
        // range on (key, id).
        self.add(format!("(p.{}, p.id) {op} ({key}, {id})", sort.column()));
    }

    fn where_clause(&self) -> String {
        if self.parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.parts.join(" AND "))
        }
    }

    fn bind<'q>(
        &self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        for v in &self.values {
            q = match v {
                Value::Text(s) => q.bind(s.clone()),
                Value::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

fn order_by(sort: Sort) -> String {
    let dir = if sort.descending() { "DESC" } else { "ASC" };
    format!(" ORDER BY p.{} {dir}, p.id {dir}", sort.column())
}

/// A state condition: the filter's own, or one state of several the filter names.
#[derive(Debug, Clone, Copy)]
enum StateCondition {
    Filter(StateFilter),
    /// A fixed state name (from [`UNMATCHED`], never from input).
    One(&'static str),
}

/// The states "unmatched" covers.
const UNMATCHED: [&str; 2] = ["waiting", "attention"];

/// The page's statement and its conditions; `limit` rows at most.
///
/// "Unmatched" is two states. `match_state IN (…)` makes both engines read every such row
/// from the state index and sort them all (tens of thousands) for one page; instead each
/// state's rows are read in the index's order up to `limit`, and only those are merged.
/// Both branches share the parameters, so their numbers are the same in each.
fn page_sql(
    filter: &PaymentFilter,
    after: Option<&Cursor>,
    limit: i64,
    name_part: NamePart,
) -> (String, Conditions) {
    let select = |state: Option<StateCondition>| {
        let mut c = Conditions::with_state(filter, state, name_part);
        if let Some(cursor) = after {
            c.after(filter.sort, cursor);
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM bank_payments p LEFT JOIN bank_accounts a ON a.id = p.account_id{}{} LIMIT {limit}",
            c.where_clause(),
            order_by(filter.sort)
        );
        (sql, c)
    };
    if filter.state != Some(StateFilter::Unmatched) {
        return select(filter.state.map(StateCondition::Filter));
    }
    let branches: Vec<(String, Conditions)> = UNMATCHED
        .iter()
        .map(|s| select(Some(StateCondition::One(s))))
        .collect();
    let union = branches
        .iter()
        .enumerate()
        .map(|(i, (sql, _))| format!("SELECT * FROM ({sql}) b{i}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let dir = if filter.sort.descending() {
        "DESC"
    } else {
        "ASC"
    };
    let sql = format!(
        "SELECT * FROM ({union}) u ORDER BY u.{} {dir}, u.id {dir} LIMIT {limit}",
        filter.sort.column()
    );
    let (_, c) = branches.into_iter().next().expect("two branches");
    (sql, c)
}

/// Up to `limit` payments (1 to [`MAX_LIMIT`]) in the filter's order, after `after`.
pub async fn page(
    db: &Db,
    filter: &PaymentFilter,
    after: Option<&Cursor>,
    limit: i64,
) -> CoreResult<ListPage> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let name_part = page_name_part(db, filter).await?;
    // One row more than shown says whether there is a next page without counting.
    let (sql, c) = page_sql(filter, after, limit + 1, name_part);
    let rows = c
        .bind(sqlx::query(AssertSqlSafe(sql)))
        .fetch_all(db.pool())
        .await?;
    let mut items = rows
        .iter()
        .map(row_from)
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|r| Cursor::after(r, filter.sort))
    } else {
        None
    };
    Ok(ListPage { items, next })
}

/// How the page looks for the filter's name part: by counterparty when few payments match
/// (one capped count by lookup says), else by testing payments in the list's order.
async fn page_name_part(db: &Db, filter: &PaymentFilter) -> CoreResult<NamePart> {
    if !matches!(filter.payer, Some(PayerMatch::Text(_))) {
        return Ok(NamePart::Scan);
    }
    Ok(
        if count(db, filter, PAGE_LOOKUP_MAX).await? > PAGE_LOOKUP_MAX {
            NamePart::Scan
        } else {
            NamePart::Lookup
        },
    )
}

/// How many payments match, up to one more than `cap`.
async fn count(db: &Db, filter: &PaymentFilter, cap: i64) -> CoreResult<i64> {
    let (sql, c) = count_sql(filter, cap);
    let row = c
        .bind(sqlx::query(AssertSqlSafe(sql)))
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get("n")?)
}

/// The count (capped) and, when exact, the sums in and out.
pub async fn totals(db: &Db, filter: &PaymentFilter) -> CoreResult<Totals> {
    let count = count(db, filter, COUNT_CAP).await?;
    if count > COUNT_CAP {
        return Ok(Totals {
            count: COUNT_CAP,
            capped: true,
            incoming: None,
            outgoing: None,
        });
    }
    let c = Conditions::of(filter);
    let sql = format!(
        "SELECT p.direction, CAST(SUM(p.amount) AS BIGINT) AS total FROM bank_payments p{} \
         GROUP BY p.direction",
        c.where_clause()
    );
    let rows = c
        .bind(sqlx::query(AssertSqlSafe(sql)))
        .fetch_all(db.pool())
        .await?;
    let (mut incoming, mut outgoing) = (0, 0);
    for r in &rows {
        let total: i64 = r.try_get("total")?;
        match r.try_get::<String, _>("direction")?.as_str() {
            "incoming" => incoming = total,
            "outgoing" => outgoing = total,
            _ => {}
        }
    }
    Ok(Totals {
        count,
        capped: false,
        incoming: Some(incoming),
        outgoing: Some(outgoing),
    })
}

/// The statement counting `filter`'s payments up to one more than `cap`.
fn count_sql(filter: &PaymentFilter, cap: i64) -> (String, Conditions) {
    let c = Conditions::of(filter);
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM bank_payments p{} LIMIT {}) t",
        c.where_clause(),
        cap + 1
    );
    (sql, c)
}

/// How the database would run the first page of `filter` (and the page after `after`):
/// one line per step. For the benchmark and the tests that guard the indexes.
pub async fn query_plan(
    db: &Db,
    filter: &PaymentFilter,
    after: Option<&Cursor>,
) -> CoreResult<Vec<String>> {
    let name_part = page_name_part(db, filter).await?;
    let (sql, c) = page_sql(filter, after, 51, name_part);
    explain(db, &sql, &c).await
}

/// How the database would count `filter`'s payments for the totals, as [`query_plan`].
pub async fn count_plan(db: &Db, filter: &PaymentFilter) -> CoreResult<Vec<String>> {
    let (sql, c) = count_sql(filter, COUNT_CAP);
    explain(db, &sql, &c).await
}

async fn explain(db: &Db, sql: &str, c: &Conditions) -> CoreResult<Vec<String>> {
    let explain = match db.backend() {
        Backend::Sqlite => format!("EXPLAIN QUERY PLAN {sql}"),
        Backend::Postgres => format!("EXPLAIN {sql}"),
    };
    let rows = c
        .bind(sqlx::query(AssertSqlSafe(explain)))
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            let column = match db.backend() {
                Backend::Sqlite => "detail",
                Backend::Postgres => "QUERY PLAN",
            };
            r.try_get::<String, _>(column).map_err(CoreError::from)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_per_sort_and_reject_garbage() {
        let c = Cursor::parse("2026-02-01~42", Sort::DateDesc).unwrap();
        assert_eq!(c.to_param(), "2026-02-01~42");
        let c = Cursor::parse("ООО «Рога~и~копыта»~7", Sort::PayerAsc).unwrap();
        assert_eq!(c.id, 7);
        assert_eq!(c.key, CursorKey::Text("ООО «Рога~и~копыта»".into()));
        assert_eq!(
            Cursor::parse("150000~3", Sort::AmountAsc).unwrap().key,
            CursorKey::Int(150000)
        );
        for (bad, sort) in [
            ("", Sort::DateDesc),
            ("2026-02-01", Sort::DateDesc),
            ("yesterday~1", Sort::DateDesc),
            ("2026-02-01~x", Sort::DateDesc),
            ("12.5~1", Sort::AmountDesc),
        ] {
            assert_eq!(
                Cursor::parse(bad, sort).unwrap_err().field,
                "after",
                "{bad}"
            );
        }
    }

    #[test]
    fn conditions_appear_only_for_what_is_set_and_number_their_parameters() {
        let (sql, c) = page_sql(&PaymentFilter::default(), None, 51, NamePart::Scan);
        assert!(!sql.contains("WHERE"), "{sql}");
        assert!(
            sql.ends_with("ORDER BY p.op_date DESC, p.id DESC LIMIT 51"),
            "{sql}"
        );
        assert!(c.values.is_empty());

        let filter = RawFilter {
            payer: "7707083893".into(),
            to: "2026-01-31".into(),
            state: "unmatched".into(),
            sort: "amount_asc".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let cursor = Cursor::parse("500~9", Sort::AmountAsc).unwrap();
        let (sql, c) = page_sql(&filter, Some(&cursor), 11, NamePart::Scan);
        for state in ["waiting", "attention"] {
            assert!(
                sql.contains(&format!(
                    "WHERE p.payer_inn = $1 AND p.op_date <= $2 AND p.match_state = '{state}' \
                     AND (p.amount, p.id) > ($3, $4) ORDER BY p.amount ASC, p.id ASC LIMIT 11"
                )),
                "{sql}"
            );
        }
        assert!(
            sql.ends_with(") u ORDER BY u.amount ASC, u.id ASC LIMIT 11"),
            "the two states' pages merged: {sql}"
        );
        assert_eq!(c.values.len(), 4, "one set of parameters for both");
    }
}
