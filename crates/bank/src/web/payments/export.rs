//! `GET /bank/payments.csv?<filter>`: every payment of the filter, in its order, as a CSV
//! file Excel opens as it is: UTF-8 with a byte-order mark, `;` between fields (the list
//! separator of Russian Windows), amounts as `1234,56`.
//!
//! The file is streamed page by page through the same keyset paging as the list, so a
//! million payments never sit in memory at once. A database error half-way aborts the
//! response, so the download fails visibly instead of ending in a silently short file.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::db::Db;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::{Lang, Locale};

use super::texts::localize;
use super::view::day;
use crate::store::payment_list::{self, Cursor, MAX_LIMIT, PaymentFilter, PaymentRow, RawFilter};

const BOM: &[u8] = "\u{feff}".as_bytes();

pub async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(raw): Query<RawFilter>,
) -> Result<Response, PageError> {
    user.require(Permission::BankRead)?;
    let filter = match raw.parse() {
        Ok(f) => f,
        Err(CoreError::Invalid(fields)) => {
            let text = localize(lang.0, fields)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n");
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, text).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let today = chrono::Utc::now()
        .with_timezone(&state.config.time_zone())
        .date_naive();
    let disposition = format!("attachment; filename=\"payments-{today}.csv\"");
    let body = Body::from_stream(rows_as_csv(state.db.clone(), filter, lang.0));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    // A statement of accounts is nobody's cache's business.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Where the stream is: the header still to write, or the page after `Cursor`, or done.
enum Step {
    Header,
    Page(Option<Cursor>),
    Done,
}

fn rows_as_csv(
    db: Db,
    filter: PaymentFilter,
    locale: Locale,
) -> impl futures_util::Stream<Item = Result<Bytes, CoreError>> + Send + 'static {
    stream::unfold(Step::Header, move |step| {
        let db = db.clone();
        let filter = filter.clone();
        async move {
            match step {
                Step::Done => None,
                Step::Header => {
                    let mut out = BOM.to_vec();
                    out.extend(record(&header_row(locale)));
                    Some((Ok(Bytes::from(out)), Step::Page(None)))
                }
                Step::Page(after) => {
                    match payment_list::page(&db, &filter, after.as_ref(), MAX_LIMIT).await {
                        Ok(page) => {
                            let mut out = Vec::new();
                            for p in &page.items {
                                out.extend(record(&fields(locale, p)));
                            }
                            let next = match page.next {
                                Some(c) => Step::Page(Some(c)),
                                None => Step::Done,
                            };
                            Some((Ok(Bytes::from(out)), next))
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "payments CSV export failed half-way");
                            Some((Err(e), Step::Done))
                        }
                    }
                }
            }
        }
    })
}

fn header_row(locale: Locale) -> Vec<String> {
    let names: &[&str] = match locale {
        Locale::Ru => &[
            "Дата",
            "Номер документа",
            "Дата документа",
            "Направление",
            "Сумма",
            "Плательщик",
            "ИНН плательщика",
            "КПП плательщика",
            "Счёт плательщика",
            "Получатель",
            "ИНН получателя",
            "КПП получателя",
            "Счёт получателя",
            "Назначение платежа",
            "Разнесение",
            "Разнесено",
            "Наш счёт",
            "Код в Штабе",
        ],
        Locale::En => &[
            "Date",
            "Document number",
            "Document date",
            "Direction",
            "Amount",
            "Payer",
            "Payer INN",
            "Payer KPP",
            "Payer account",
            "Payee",
            "Payee INN",
            "Payee KPP",
            "Payee account",
            "Purpose",
            "Matching",
            "Allocated",
            "Our account",
            "Shtab id",
        ],
    };
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn fields(locale: Locale, p: &PaymentRow) -> Vec<String> {
    vec![
        day(locale, &p.op_date),
        text(&p.doc_number),
        p.doc_date
            .as_deref()
            .map(|d| day(locale, d))
            .unwrap_or_default(),
        p.direction.clone(),
        amount(p.amount),
        text(&p.payer_name),
        p.payer_inn.clone(),
        p.payer_kpp.clone(),
        p.payer_account.clone(),
        text(&p.payee_name),
        p.payee_inn.clone(),
        p.payee_kpp.clone(),
        p.payee_account.clone(),
        text(&p.purpose),
        p.match_state.clone(),
        amount(p.allocated),
        p.account_number.clone(),
        p.id.to_string(),
    ]
}

/// `1234,56`: no thousands separator, a decimal comma, as Russian Excel reads a number.
fn amount(kopecks: i64) -> String {
    let sign = if kopecks < 0 { "-" } else { "" };
    let k = kopecks.unsigned_abs();
    format!("{sign}{},{:02}", k / 100, k % 100)
}

/// A text from a bank statement, defused: a cell starting with `=`, `+`, `-` or `@` is a
/// formula to Excel, and a payer's name must never run as one.
fn text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// One CSV line; fields with `;`, quotes or line breaks are quoted, quotes doubled.
fn record(fields: &[String]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail; an error here would be a bug in the csv crate.
    if w.write_record(fields).is_err() {
        return Vec::new();
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        let line = record(&[
            "простой".into(),
            "a;b".into(),
            "say \"hi\"".into(),
            "two\nlines".into(),
        ]);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "простой;\"a;b\";\"say \"\"hi\"\"\";\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn amounts_have_a_decimal_comma_and_formulas_are_defused() {
        assert_eq!(amount(123_456), "1234,56");
        assert_eq!(amount(5), "0,05");
        assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text("ООО Ромашка"), "ООО Ромашка");
    }
}
