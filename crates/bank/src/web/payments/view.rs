//! How a payment reads in the list: dates and amounts in the reader's language, labels
//! and badge colours, a short purpose.

use chrono::NaiveDate;
use shtab_web::i18n::Locale;

use super::texts::PaymentsTexts;
use crate::domain::Kopecks;
use crate::store::payment_list::{DirectionFilter, PaymentRow, StateFilter};

/// Characters of the purpose the table shows; the payment's page has all of it.
const PURPOSE_EXCERPT: usize = 90;

/// `05.02.2026` in Russian, `2026-02-05` in English; a stored text that is not a date is
/// shown as it is.
pub fn day(locale: Locale, iso: &str) -> String {
    match (locale, iso.parse::<NaiveDate>()) {
        (Locale::Ru, Ok(d)) => d.format("%d.%m.%Y").to_string(),
        _ => iso.to_owned(),
    }
}

/// `1 234,56` in Russian, `1,234.56` in English.
pub fn money(locale: Locale, kopecks: i64) -> String {
    let ru = Kopecks(kopecks).to_string();
    match locale {
        Locale::Ru => ru,
        Locale::En => ru.replace(',', ".").replace(' ', ","),
    }
}

pub fn excerpt(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= PURPOSE_EXCERPT {
        one_line
    } else {
        let cut: String = one_line.chars().take(PURPOSE_EXCERPT - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

pub struct Row {
    pub id: i64,
    pub date: String,
    pub payer: String,
    pub inn: String,
    pub amount: String,
    pub direction: &'static str,
    pub direction_class: &'static str,
    pub state: &'static str,
    pub state_class: &'static str,
    pub purpose: String,
    pub purpose_full: String,
}

impl Row {
    pub fn new(t: &PaymentsTexts, locale: Locale, p: PaymentRow) -> Row {
        let direction = DirectionFilter::parse(&p.direction);
        let state = StateFilter::parse(&p.match_state);
        Row {
            id: p.id,
            date: day(locale, &p.op_date),
            amount: money(locale, p.amount),
            direction: direction.map_or("", |d| t.direction(d)),
            direction_class: match direction {
                Some(DirectionFilter::Incoming) => "bank-in",
                Some(DirectionFilter::Outgoing) => "bank-out",
                _ => "",
            },
            state: state.map_or("", |s| t.state(s)),
            state_class: match state {
                Some(StateFilter::Matched) => "badge-ok",
                Some(StateFilter::Partial | StateFilter::Waiting) => "badge-warn",
                Some(StateFilter::Attention) => "badge-danger",
                _ => "badge-muted",
            },
            purpose: excerpt(&p.purpose),
            purpose_full: p.purpose,
            payer: p.payer_name,
            inn: p.payer_inn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_dates_read_as_each_language_writes_them() {
        assert_eq!(money(Locale::Ru, 123_456_789), "1 234 567,89");
        assert_eq!(money(Locale::En, 123_456_789), "1,234,567.89");
        assert_eq!(day(Locale::Ru, "2026-02-05"), "05.02.2026");
        assert_eq!(day(Locale::En, "2026-02-05"), "2026-02-05");
    }

    #[test]
    fn a_long_purpose_is_cut_on_one_line() {
        let long = format!("Оплата по счету № 1\nот 01.02.2026 {}", "а".repeat(200));
        let e = excerpt(&long);
        assert!(
            e.starts_with("Оплата по счету № 1 от") && e.ends_with('…'),
            "{e}"
        );
        assert_eq!(e.chars().count(), PURPOSE_EXCERPT);
    }
}
