//! The payments list's filter and sort, parsed once from the query string (the page's form,
//! the API's parameters and a saved filter all spell it the same way) and written back to
//! its canonical query string, which is what a saved filter stores.

use chrono::NaiveDate;
use serde::Deserialize;
use shtab_core::FieldError;
use shtab_core::db::{can_match, like_pattern};
use shtab_core::error::{CoreError, CoreResult};

use crate::domain::Kopecks;

/// Longer than any payer's name or INN; a longer text is a pasted accident.
const PAYER_MAX_CHARS: usize = 200;

/// The filter as typed: text only, so a form can show it back as it was with the errors
/// next to it. Field names are the query string's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RawFilter {
    /// A part of the payer's name or INN; 10 or 12 digits is an exact INN.
    pub payer: String,
    /// First day, `YYYY-MM-DD` or `DD.MM.YYYY`.
    pub from: String,
    /// Last day, inclusive.
    pub to: String,
    /// Roubles, `1 234,56` or `1234.56`.
    pub amount_min: String,
    pub amount_max: String,
    /// `incoming`, `outgoing`, `internal`, `unknown`.
    pub direction: String,
    /// A bank account's id.
    pub account: String,
    /// `waiting`, `matched`, `partial`, `attention`, `none`, or `unmatched` (waiting or
    /// attention).
    pub state: String,
    /// `date` (newest first, the default), `date_asc`, `amount` (largest first),
    /// `amount_asc`, `payer` (A to Z), `payer_desc`.
    pub sort: String,
}

/// How the payer is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayerMatch {
    /// 10 or 12 digits: exactly this payer INN (an indexed lookup).
    Inn(String),
    /// Anything else: a part of the counterparty's name or INN, as typed.
    Text(String),
}

impl PayerMatch {
    pub fn as_typed(&self) -> &str {
        match self {
            PayerMatch::Inn(s) | PayerMatch::Text(s) => s,
        }
    }

    /// The `LIKE` pattern for [`PayerMatch::Text`].
    pub fn like_pattern(&self) -> String {
        like_pattern(self.as_typed())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectionFilter {
    Incoming,
    Outgoing,
    Internal,
    Unknown,
}

impl DirectionFilter {
    pub const ALL: [DirectionFilter; 4] = [
        DirectionFilter::Incoming,
        DirectionFilter::Outgoing,
        DirectionFilter::Internal,
        DirectionFilter::Unknown,
    ];

    /// As `bank_payments.direction` stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            DirectionFilter::Incoming => "incoming",
            DirectionFilter::Outgoing => "outgoing",
            DirectionFilter::Internal => "internal",
            DirectionFilter::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<DirectionFilter> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    Waiting,
    Matched,
    Partial,
    Attention,
    /// Not an incoming payment: nothing to match.
    None,
    /// Waiting or needing attention: what the dashboard counts as unmatched.
    Unmatched,
}

impl StateFilter {
    pub const ALL: [StateFilter; 6] = [
        StateFilter::Unmatched,
        StateFilter::Waiting,
        StateFilter::Attention,
        StateFilter::Partial,
        StateFilter::Matched,
        StateFilter::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StateFilter::Waiting => "waiting",
            StateFilter::Matched => "matched",
            StateFilter::Partial => "partial",
            StateFilter::Attention => "attention",
            StateFilter::None => "none",
            StateFilter::Unmatched => "unmatched",
        }
    }

    pub fn parse(s: &str) -> Option<StateFilter> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// The column the list is ordered by; `id` breaks ties in the same direction, so every
/// order is total and keyset paging never skips or repeats a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    DateDesc,
    DateAsc,
    AmountDesc,
    AmountAsc,
    PayerAsc,
    PayerDesc,
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::DateDesc,
        Sort::DateAsc,
        Sort::AmountDesc,
        Sort::AmountAsc,
        Sort::PayerAsc,
        Sort::PayerDesc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::DateDesc => "date",
            Sort::DateAsc => "date_asc",
            Sort::AmountDesc => "amount",
            Sort::AmountAsc => "amount_asc",
            Sort::PayerAsc => "payer",
            Sort::PayerDesc => "payer_desc",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub(super) fn column(self) -> &'static str {
        match self {
            Sort::DateDesc | Sort::DateAsc => "op_date",
            Sort::AmountDesc | Sort::AmountAsc => "amount",
            Sort::PayerAsc | Sort::PayerDesc => "payer_name",
        }
    }

    pub(super) fn descending(self) -> bool {
        matches!(self, Sort::DateDesc | Sort::AmountDesc | Sort::PayerDesc)
    }

    pub(super) fn numeric_key(self) -> bool {
        matches!(self, Sort::AmountDesc | Sort::AmountAsc)
    }
}

/// A checked filter: every field is either absent or valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    pub payer: Option<PayerMatch>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub amount_min: Option<Kopecks>,
    pub amount_max: Option<Kopecks>,
    pub direction: Option<DirectionFilter>,
    pub account_id: Option<i64>,
    pub state: Option<StateFilter>,
    pub sort: Sort,
}

/// `YYYY-MM-DD` or `DD.MM.YYYY`, four-digit years only: a two-digit year would be a guess.
pub fn parse_day(field: &str, text: &str) -> Result<NaiveDate, FieldError> {
    let bad = |why: &str| FieldError::new(field, "invalid_date", format!("«{text}» {why}"));
    let parts: Vec<&str> = if text.contains('-') {
        text.split('-').collect()
    } else {
        let mut p: Vec<&str> = text.split('.').collect();
        p.reverse();
        p
    };
    let [y, m, d] = parts.as_slice() else {
        return Err(bad("is not a date in the form YYYY-MM-DD or DD.MM.YYYY"));
    };
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(y, 4, 4) || !digits(m, 1, 2) || !digits(d, 1, 2) {
        return Err(bad("is not a date in the form YYYY-MM-DD or DD.MM.YYYY"));
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse(), m.parse(), d.parse()) else {
        return Err(bad("is not a date in the form YYYY-MM-DD or DD.MM.YYYY"));
    };
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| bad("is not a real calendar date"))
}

fn parse_amount(field: &str, text: &str) -> Result<Kopecks, FieldError> {
    let k = Kopecks::parse(text).map_err(|e| e.into_field_error(field))?;
    if k.is_negative() {
        return Err(FieldError::new(
            field,
            "invalid_amount",
            format!("«{text}» is negative; payments are stored as positive amounts"),
        ));
    }
    Ok(k)
}

/// A trimmed text, or `None` when nothing was typed.
fn given(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

impl RawFilter {
    /// Reads a query string (`payer=…&from=…`); unknown parameters are ignored, so a saved
    /// filter's query can be read back by a newer version that knows more fields.
    pub fn from_query(query: &str) -> RawFilter {
        let mut raw = RawFilter::default();
        let Ok(url) = reqwest::Url::parse(&format!("http://filter.invalid/?{query}")) else {
            return raw;
        };
        for (k, v) in url.query_pairs() {
            let slot = match k.as_ref() {
                "payer" => &mut raw.payer,
                "from" => &mut raw.from,
                "to" => &mut raw.to,
                "amount_min" => &mut raw.amount_min,
                "amount_max" => &mut raw.amount_max,
                "direction" => &mut raw.direction,
                "account" => &mut raw.account,
                "state" => &mut raw.state,
                "sort" => &mut raw.sort,
                _ => continue,
            };
            *slot = v.into_owned();
        }
        raw
    }

    /// Checks every field and reports every bad one at once, each by its name.
    pub fn parse(&self) -> CoreResult<PaymentFilter> {
        let mut errors = Vec::new();
        let mut f = PaymentFilter::default();
        if let Some(p) = given(&self.payer) {
            if p.chars().count() > PAYER_MAX_CHARS {
                errors.push(FieldError::new(
                    "payer",
                    "too_long",
                    format!("at most {PAYER_MAX_CHARS} characters"),
                ));
            } else if !can_match(p) {
                errors.push(FieldError::new(
                    "payer",
                    "nul_character",
                    "holds a NUL character, which no payer's name or INN has",
                ));
            } else if matches!(p.len(), 10 | 12) && p.bytes().all(|b| b.is_ascii_digit()) {
                f.payer = Some(PayerMatch::Inn(p.to_owned()));
            } else {
                f.payer = Some(PayerMatch::Text(p.to_owned()));
            }
        }
        let mut day = |field: &str, text: &str| match given(text).map(|t| parse_day(field, t)) {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                errors.push(e);
                None
            }
            None => None,
        };
        f.from = day("from", &self.from);
        f.to = day("to", &self.to);
        let mut amount = |field: &str, text: &str| match given(text).map(|t| parse_amount(field, t))
        {
            Some(Ok(k)) => Some(k),
            Some(Err(e)) => {
                errors.push(e);
                None
            }
            None => None,
        };
        f.amount_min = amount("amount_min", &self.amount_min);
        f.amount_max = amount("amount_max", &self.amount_max);
        if let Some(d) = given(&self.direction) {
            f.direction = DirectionFilter::parse(d);
            if f.direction.is_none() {
                errors.push(FieldError::new(
                    "direction",
                    "invalid_direction",
                    format!("«{d}» is not one of incoming, outgoing, internal, unknown"),
                ));
            }
        }
        if let Some(a) = given(&self.account) {
            match a.parse::<i64>() {
                Ok(id) if id > 0 => f.account_id = Some(id),
                _ => errors.push(FieldError::new(
                    "account",
                    "not_found",
                    format!("«{a}» is not an account's id"),
                )),
            }
        }
        if let Some(s) = given(&self.state) {
            f.state = StateFilter::parse(s);
            if f.state.is_none() {
                errors.push(FieldError::new(
                    "state",
                    "invalid_state",
                    format!(
                        "«{s}» is not one of unmatched, waiting, attention, partial, matched, none"
                    ),
                ));
            }
        }
        if let Some(s) = given(&self.sort) {
            match Sort::parse(s) {
                Some(sort) => f.sort = sort,
                None => errors.push(FieldError::new(
                    "sort",
                    "invalid_sort",
                    format!(
                        "«{s}» is not one of date, date_asc, amount, amount_asc, payer, payer_desc"
                    ),
                )),
            }
        }
        if let (Some(from), Some(to)) = (f.from, f.to)
            && from > to
        {
            errors.push(FieldError::new(
                "to",
                "date_before_start",
                format!("{to} is before the first day {from}"),
            ));
        }
        if let (Some(min), Some(max)) = (f.amount_min, f.amount_max)
            && min > max
        {
            errors.push(FieldError::new(
                "amount_max",
                "amount_below_minimum",
                format!("{max} is less than the minimum {min}"),
            ));
        }
        if errors.is_empty() {
            Ok(f)
        } else {
            Err(CoreError::Invalid(errors))
        }
    }
}

impl PaymentFilter {
    /// The canonical query string: only the fields that are set, dates in ISO, amounts as
    /// `1234.56`, the sort only when it is not the default. Parsing it gives this filter
    /// back.
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(p) = &self.payer {
            pairs.push(("payer", p.as_typed().to_owned()));
        }
        if let Some(d) = self.from {
            pairs.push(("from", d.to_string()));
        }
        if let Some(d) = self.to {
            pairs.push(("to", d.to_string()));
        }
        let roubles = |k: Kopecks| format!("{}.{:02}", k.0 / 100, k.0 % 100);
        if let Some(k) = self.amount_min {
            pairs.push(("amount_min", roubles(k)));
        }
        if let Some(k) = self.amount_max {
            pairs.push(("amount_max", roubles(k)));
        }
        if let Some(d) = self.direction {
            pairs.push(("direction", d.as_str().to_owned()));
        }
        if let Some(a) = self.account_id {
            pairs.push(("account", a.to_string()));
        }
        if let Some(s) = self.state {
            pairs.push(("state", s.as_str().to_owned()));
        }
        if self.sort != Sort::default() {
            pairs.push(("sort", self.sort.as_str().to_owned()));
        }
        encode_query(&pairs)
    }

    /// The filter as the form shows it (the canonical spelling of each field).
    pub fn to_raw(&self) -> RawFilter {
        RawFilter::from_query(&self.to_query())
    }
}

/// `a=1&b=x%20y`, encoded as HTML forms do.
pub fn encode_query(pairs: &[(&str, String)]) -> String {
    let Ok(mut url) = reqwest::Url::parse("http://filter.invalid/") else {
        return String::new();
    };
    if !pairs.is_empty() {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    url.query().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(raw: RawFilter) -> Vec<String> {
        match raw.parse() {
            Err(CoreError::Invalid(f)) => f.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn reads_local_spellings_and_writes_them_back_canonically() {
        let raw = RawFilter::from_query(
            "payer=%D0%A0%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0&from=01.02.2026&to=2026-02-28\
             &amount_min=1+000%2C50&amount_max=2000&direction=incoming&state=unmatched&sort=amount&junk=1",
        );
        let f = raw.parse().unwrap();
        assert_eq!(f.payer, Some(PayerMatch::Text("Ромашка".into())));
        assert_eq!(f.from, NaiveDate::from_ymd_opt(2026, 2, 1));
        assert_eq!(f.to, NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(f.amount_min, Some(Kopecks(100_050)));
        assert_eq!(f.amount_max, Some(Kopecks(200_000)));
        assert_eq!(f.state, Some(StateFilter::Unmatched));
        assert_eq!(f.sort, Sort::AmountDesc);
        let q = f.to_query();
        assert!(
            q.contains("from=2026-02-01") && q.contains("amount_min=1000.50"),
            "{q}"
        );
        assert_eq!(RawFilter::from_query(&q).parse().unwrap(), f);
    }

    #[test]
    fn ten_or_twelve_digits_are_an_exact_inn() {
        let inn = |p: &str| {
            RawFilter {
                payer: p.into(),
                ..Default::default()
            }
            .parse()
            .unwrap()
            .payer
        };
        assert_eq!(
            inn(" 7707083893 "),
            Some(PayerMatch::Inn("7707083893".into()))
        );
        assert_eq!(
            inn("500100732259"),
            Some(PayerMatch::Inn("500100732259".into()))
        );
        assert_eq!(inn("77070"), Some(PayerMatch::Text("77070".into())));
        assert_eq!(inn("   "), None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let raw = RawFilter {
            from: "31.02.2026".into(),
            to: "26-02-01".into(),
            amount_min: "1,234".into(),
            amount_max: "-5".into(),
            direction: "sideways".into(),
            account: "abc".into(),
            state: "paid".into(),
            sort: "random".into(),
            payer: "x".repeat(201),
        };
        assert_eq!(
            fields(raw),
            [
                "payer",
                "from",
                "to",
                "amount_min",
                "amount_max",
                "direction",
                "account",
                "state",
                "sort"
            ]
        );
    }

    #[test]
    fn ranges_must_not_be_upside_down() {
        let raw = RawFilter {
            from: "2026-03-01".into(),
            to: "2026-02-01".into(),
            amount_min: "10".into(),
            amount_max: "9,99".into(),
            ..Default::default()
        };
        assert_eq!(fields(raw), ["to", "amount_max"]);
    }

    #[test]
    fn an_empty_filter_is_the_empty_query() {
        assert_eq!(PaymentFilter::default().to_query(), "");
        assert_eq!(
            RawFilter::from_query("").parse().unwrap(),
            PaymentFilter::default()
        );
    }
}
