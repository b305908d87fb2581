//! Importing invoices from a spreadsheet (an accounting system's export). All or nothing: a
//! file with any bad row writes nothing and names every bad row by its line, so a person
//! fixes the file and imports it again.

use std::collections::HashMap;

use serde::Serialize;
use shtab_core::audit::Actor;
use shtab_core::csv_text;
use shtab_core::db::Db;
use shtab_core::error::{CoreError, CoreResult, FieldError};
use shtab_core::ids::PersonId;
use shtab_core::types::Email;

use super::domain::{InvoiceId, InvoiceInput, RawInvoiceInput};
use super::store::insert;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RowError {
    /// The line in the file, counting the header as line 1.
    pub line: u64,
    pub field: String,
    /// The field error's stable code (`invalid_amount`…), for translation.
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    /// The invoices created, in the file's order; empty when rows had errors.
    pub created: Vec<InvoiceId>,
    pub errors: Vec<RowError>,
}

/// Columns we understand, by their English and Russian header names (compared lower-cased,
/// with «ё» read as «е»).
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "number",
        &["number", "invoice", "номер", "номер счета", "счет", "№"],
    ),
    ("issued_on", &["date", "issued_on", "дата", "дата счета"]),
    (
        "payer_name",
        &[
            "payer",
            "payer_name",
            "плательщик",
            "контрагент",
            "покупатель",
        ],
    ),
    ("payer_inn", &["inn", "payer_inn", "инн", "инн плательщика"]),
    ("amount", &["amount", "sum", "сумма"]),
    (
        "due_on",
        &[
            "due",
            "due_on",
            "due date",
            "срок оплаты",
            "срок",
            "оплатить до",
        ],
    ),
    (
        "responsible_email",
        &[
            "responsible",
            "responsible_email",
            "ответственный",
            "менеджер",
        ],
    ),
];

const REQUIRED: &[(&str, &str)] = &[
    ("number", "number (номер)"),
    ("issued_on", "date (дата)"),
    ("payer_name", "payer (плательщик)"),
    ("payer_inn", "inn (ИНН)"),
    ("amount", "amount (сумма)"),
];

fn file_error(message: impl Into<String>) -> CoreError {
    CoreError::field("file", "invalid_csv", message)
}

/// One data row of the file as read, before the database is asked anything.
#[derive(Debug)]
pub struct FileRow {
    /// The line in the file, counting the header as line 1.
    pub line: u64,
    /// The invoice, or what is wrong with its fields.
    pub invoice: Result<InvoiceInput, Vec<FieldError>>,
    /// The responsible manager's address (none when the cell is empty), or why it is not one.
    pub responsible: Result<Option<Email>, FieldError>,
}

/// Reads a CSV file (UTF-8 or Windows-1251, comma or semicolon separated, with a header
/// row) into its rows, skipping blank ones. An error names what makes the whole file
/// unreadable (broken text, the header row, a row the CSV reader cannot read).
pub fn read_csv(bytes: &[u8]) -> CoreResult<Vec<FileRow>> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(csv_text::sniff_delimiter(&text))
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| file_error(format!("cannot read the header row: {e}")))?;
    let column_of = columns(headers)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| file_error(e.to_string()))?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |key: &str| {
            column_of
                .get(key)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let raw = RawInvoiceInput {
            number: cell("number"),
            issued_on: cell("issued_on"),
            payer_name: cell("payer_name"),
            payer_inn: cell("payer_inn"),
            amount: cell("amount"),
            due_on: cell("due_on"),
            responsible_id: None,
        };
        let invoice = match raw.parse() {
            Ok(input) => Ok(input),
            Err(CoreError::Invalid(errors)) => Err(errors),
            Err(e) => return Err(e),
        };
        let responsible = match cell("responsible_email") {
            e if e.is_empty() => Ok(None),
            e => Email::parse("responsible_email", &e).map(Some),
        };
        rows.push(FileRow {
            line: record.position().map_or(0, |p| p.line()),
            invoice,
            responsible,
        });
    }
    Ok(rows)
}

/// Reads a CSV file (see [`read_csv`]) and adds its invoices in one transaction.
/// Responsible managers are named by e-mail.
pub async fn import_csv(db: &Db, actor: &Actor, bytes: &[u8]) -> CoreResult<ImportReport> {
    let mut report = ImportReport::default();
    let mut rows: Vec<(u64, InvoiceInput)> = Vec::new();
    let mut seen_in_file: HashMap<(String, String), u64> = HashMap::new();
    let mut people: HashMap<String, Option<PersonId>> = HashMap::new();
    for row in read_csv(bytes)? {
        let line = row.line;
        let mut row_error = |field: String, code: &'static str, message: String| {
            report.errors.push(RowError {
                line,
                field,
                code,
                message,
            });
        };
        let responsible = match row.responsible {
            Err(fe) => Err((fe.code, fe.message)),
            Ok(None) => Ok(None),
            Ok(Some(email)) => {
                let found = match people.get(email.as_str()) {
                    Some(found) => *found,
                    None => {
                        let found = shtab_core::people::find_by_email(db, &email).await?;
                        people.insert(email.as_str().to_string(), found);
                        found
                    }
                };
                found
                    .map(Some)
                    .ok_or_else(|| ("not_found", format!("no person has the address {email}")))
            }
        };
        if let Err((code, message)) = &responsible {
            row_error("responsible_email".into(), code, message.clone());
        }
        let input = match row.invoice {
            Ok(input) => input,
            Err(errors) => {
                for e in errors {
                    row_error(e.field, e.code, e.message);
                }
                continue;
            }
        };
        let Ok(responsible) = responsible else {
            continue;
        };
        let key = (input.payer_inn.as_str().to_string(), input.number_key());
        if let Some(other) = seen_in_file.get(&key) {
            row_error(
                "number".into(),
                "duplicate_invoice_number",
                format!(
                    "invoice {} of this payer is also on line {other}",
                    input.number
                ),
            );
            continue;
        }
        if let Some(existing) = existing_number(db, &key.0, &key.1).await? {
            row_error(
                "number".into(),
                "duplicate_invoice_number",
                format!("this payer already has invoice {existing}"),
            );
            continue;
        }
        seen_in_file.insert(key, line);
        rows.push((
            line,
            InvoiceInput {
                responsible_id: responsible,
                ..input
            },
        ));
    }
    if !report.errors.is_empty() {
        report.errors.sort_by_key(|e| e.line);
        return Ok(report);
    }
    if rows.is_empty() {
        return Err(file_error("the file has a header row but no invoices"));
    }

    let mut tx = db.begin().await?;
    for (line, input) in &rows {
        match insert(&mut tx, actor, input).await {
            Ok(id) => report.created.push(id),
            // Someone added the same invoice since the check above: the file is refused as
            // a whole like any other bad row; dropping the transaction undoes the rest.
            Err(CoreError::Invalid(errors)) => {
                report.created.clear();
                report.errors.extend(errors.into_iter().map(|e| RowError {
                    line: *line,
                    field: e.field,
                    code: e.code,
                    message: e.message,
                }));
                return Ok(report);
            }
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// The column index of each field we know, from the header row.
fn columns(headers: &csv::StringRecord) -> CoreResult<HashMap<&'static str, usize>> {
    let mut column_of: HashMap<&'static str, usize> = HashMap::new();
    let mut unknown = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_lowercase().replace('ё', "е");
        if h.is_empty() {
            continue;
        }
        match COLUMNS
            .iter()
            .find(|(_, names)| names.contains(&h.as_str()))
        {
            Some((key, _)) if column_of.contains_key(key) => {
                return Err(file_error(format!(
                    "the header row names the column «{h}» twice"
                )));
            }
            Some((key, _)) => {
                column_of.insert(key, i);
            }
            None => unknown.push(h),
        }
    }
    if !unknown.is_empty() {
        return Err(file_error(format!(
            "unknown columns: {}",
            unknown.join(", ")
        )));
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|(key, _)| !column_of.contains_key(key))
        .map(|(_, name)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(file_error(format!(
            "the header row lacks the columns: {}",
            missing.join(", ")
        )));
    }
    Ok(column_of)
}

async fn existing_number(db: &Db, payer_inn: &str, key: &str) -> CoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT number FROM invoices WHERE payer_inn = $1 AND number_key = $2")
            .bind(payer_inn)
            .bind(key)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// The file's text; text broken before it reached us (U+FFFD: a Windows-1251 file once
/// read as UTF-8 and saved) is refused, since importing it would store garbage names.
fn decode(bytes: &[u8]) -> CoreResult<String> {
    let text = csv_text::decode(bytes);
    if let Some(line) = csv_text::first_broken_line(&text) {
        return Err(file_error(format!(
            "line {line} has replacement characters (�): the file was saved in a wrong \
             encoding and its text is lost; export it again"
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_windows_1251_and_semicolons() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251
            .encode("Номер;Дата;Плательщик;ИНН;Сумма\n1;01.02.2026;ООО;7707083893;1 000,00\n");
        let text = decode(&bytes).unwrap();
        assert!(text.starts_with("Номер;"));
        assert_eq!(csv_text::sniff_delimiter(&text), b';');
        assert_eq!(csv_text::sniff_delimiter("number,date\n"), b',');
    }

    #[test]
    fn text_already_broken_is_refused_with_its_line() {
        let e = decode("number\n\u{FFFD}\u{FFFD}\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn headers_in_either_language_map_to_fields() {
        let headers = csv::StringRecord::from(vec![
            "Номер",
            "Дата",
            "Плательщик",
            "ИНН",
            "Сумма",
            "Срок оплаты",
            "Ответственный",
        ]);
        let map = columns(&headers).unwrap();
        assert_eq!(map["number"], 0);
        assert_eq!(map["due_on"], 5);
        assert_eq!(map["responsible_email"], 6);
        let missing = columns(&csv::StringRecord::from(vec!["number", "date"])).unwrap_err();
        assert!(missing.to_string().contains("payer"), "{missing}");
        let unknown = columns(&csv::StringRecord::from(vec!["number", "colour"])).unwrap_err();
        assert!(unknown.to_string().contains("colour"), "{unknown}");
    }
}
