//! Importing the directory from a spreadsheet. All or nothing: a file with any bad row
//! writes nothing and names every bad row, so a person fixes the file and imports again.

use std::collections::HashMap;

use serde::Serialize;

use super::domain::{Forge, ForgeLogin, PersonInput, RawPersonInput};
use super::store::{check_manager, find_by_email, insert};
use crate::audit::{self, Actor, Changes, Event};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::ids::PersonId;
use crate::types::Email;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RowError {
    /// The line in the file, counting the header as line 1.
    pub line: u64,
    pub field: String,
    /// The field error's stable code (`invalid_email`…), for translation.
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    pub created: usize,
    /// Rows whose e-mail already belongs to someone in the directory: left as they are.
    pub skipped_existing: usize,
    pub errors: Vec<RowError>,
}

/// Columns we understand, by their English and Russian header names.
const COLUMNS: &[(&str, &[&str])] = &[
    ("full_name", &["full_name", "name", "фио", "имя"]),
    (
        "emails",
        &["emails", "email", "e-mail", "почта", "email адреса"],
    ),
    ("phone", &["phone", "телефон"]),
    ("telegram", &["telegram", "телеграм"]),
    ("position", &["position", "должность"]),
    (
        "manager_email",
        &["manager_email", "manager", "руководитель"],
    ),
    ("github", &["github"]),
    ("gitlab", &["gitlab"]),
    ("gitea", &["gitea"]),
    ("started_on", &["started_on", "дата начала", "принят"]),
    ("ssh_keys", &["ssh_keys", "ssh", "ключи ssh"]),
];

/// Who may give the imported people SSH keys. Keys are access (see the people form's rule),
/// and a new person's keys reach servers as soon as they are granted any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshKeysInImport {
    Allowed,
    /// The importer may not set keys: a row that gives some is a row error.
    Refused,
}

/// A CSV file of people as read, before the directory is asked anything.
#[derive(Debug, Default)]
pub struct PeopleFile {
    /// The good rows: line, person, manager's address.
    pub rows: Vec<(u64, PersonInput, Option<Email>)>,
    /// What is wrong with the other rows.
    pub errors: Vec<RowError>,
    /// Every address of the good rows, with its line.
    pub emails: HashMap<Email, u64>,
}

/// Reads a CSV file (UTF-8 or Windows-1251, comma or semicolon separated, with a header row)
/// into its people. An error names what makes the whole file unreadable (the header row, a
/// row the CSV reader cannot read).
pub fn read_csv(bytes: &[u8], ssh_keys: SshKeysInImport) -> CoreResult<PeopleFile> {
    let text = crate::csv_text::decode(bytes);
    let delimiter = crate::csv_text::sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| {
        CoreError::field(
            "file",
            "invalid_csv",
            format!("cannot read the header row: {e}"),
        )
    })?;
    let mut column_of: HashMap<&str, usize> = HashMap::new();
    let mut unknown = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_lowercase();
        match COLUMNS
            .iter()
            .find(|(_, names)| names.contains(&h.as_str()))
        {
            Some((key, _)) => {
                column_of.insert(key, i);
            }
            None if h.is_empty() => {}
            None => unknown.push(h),
        }
    }
    if !column_of.contains_key("full_name") {
        return Err(CoreError::field(
            "file",
            "invalid_csv",
            "the header row has no full_name (ФИО) column",
        ));
    }
    if !unknown.is_empty() {
        return Err(CoreError::field(
            "file",
            "invalid_csv",
            format!("unknown columns: {}", unknown.join(", ")),
        ));
    }

    let mut errors: Vec<RowError> = Vec::new();
    let mut rows = Vec::new();
    let mut seen_in_file: HashMap<Email, u64> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| CoreError::field("file", "invalid_csv", e.to_string()))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let cell = |key: &str| {
            column_of
                .get(key)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let forge_logins = Forge::ALL
            .iter()
            .map(|f| ForgeLogin {
                forge: *f,
                login: cell(f.as_str()),
            })
            .filter(|l| !l.login.is_empty())
            .collect();
        // Several keys go one per line in the cell, as in authorized_keys.
        let keys: Vec<String> = cell("ssh_keys").lines().map(str::to_string).collect();
        if ssh_keys == SshKeysInImport::Refused && keys.iter().any(|k| !k.trim().is_empty()) {
            errors.push(RowError {
                line,
                field: "ssh_keys".into(),
                code: "ssh_keys_need_access_manage",
                message: "giving SSH keys needs access_manage".into(),
            });
            continue;
        }
        let raw = RawPersonInput {
            full_name: cell("full_name"),
            emails: cell("emails")
                .split([';', ',', ' '])
                .map(str::to_string)
                .collect(),
            phone: Some(cell("phone")),
            telegram: Some(cell("telegram")),
            position: Some(cell("position")),
            forge_logins,
            started_on: Some(cell("started_on")),
            ssh_keys: keys,
            ..Default::default()
        };
        let input = match raw.parse() {
            Ok(input) => input,
            Err(CoreError::Invalid(field_errors)) => {
                errors.extend(field_errors.into_iter().map(|e| RowError {
                    line,
                    field: e.field,
                    code: e.code,
                    message: e.message,
                }));
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Some(dup) = input.emails.iter().find(|e| seen_in_file.contains_key(*e)) {
            errors.push(RowError {
                line,
                field: "emails".into(),
                code: "duplicate_email",
                message: format!("{dup} is also on line {}", seen_in_file[dup]),
            });
            continue;
        }
        for e in &input.emails {
            seen_in_file.insert(e.clone(), line);
        }
        let manager = match cell("manager_email") {
            m if m.is_empty() => None,
            m => match Email::parse("manager_email", &m) {
                Ok(e) => Some(e),
                Err(e) => {
                    errors.push(RowError {
                        line,
                        field: e.field,
                        code: e.code,
                        message: e.message,
                    });
                    continue;
                }
            },
        };
        rows.push((line, input, manager));
    }
    Ok(PeopleFile {
        rows,
        errors,
        emails: seen_in_file,
    })
}

/// Reads a CSV file (see [`read_csv`]) and adds its people. Managers may be named by e-mail,
/// also of people in the same file.
pub async fn import_csv(
    db: &Db,
    actor: &Actor,
    bytes: &[u8],
    ssh_keys: SshKeysInImport,
) -> CoreResult<ImportReport> {
    let PeopleFile {
        rows,
        errors,
        emails: seen_in_file,
    } = read_csv(bytes, ssh_keys)?;
    let mut report = ImportReport {
        errors,
        ..ImportReport::default()
    };

    // Managers must be known: in the directory, or in this file.
    let mut existing: HashMap<Email, PersonId> = HashMap::new();
    for (_, input, manager) in &rows {
        for e in input.emails.iter().chain(manager.iter()) {
            if let Some(id) = find_by_email(db, e).await? {
                existing.insert(e.clone(), id);
            }
        }
    }
    for (line, _, manager) in &rows {
        if let Some(m) = manager
            && !existing.contains_key(m)
            && !seen_in_file.contains_key(m)
        {
            report.errors.push(RowError {
                line: *line,
                field: "manager_email".into(),
                code: "not_found",
                message: format!("no person has the address {m}"),
            });
        }
    }
    if !report.errors.is_empty() {
        report.errors.sort_by_key(|e| e.line);
        return Ok(report);
    }

    let mut tx = db.begin().await?;
    let mut created: HashMap<Email, PersonId> = HashMap::new();
    let mut pending_managers = Vec::new();
    for (line, input, manager) in &rows {
        if input.emails.iter().any(|e| existing.contains_key(e)) {
            report.skipped_existing += 1;
            continue;
        }
        let id = insert(&mut tx, actor, input).await?;
        report.created += 1;
        for e in &input.emails {
            created.insert(e.clone(), id);
        }
        if let Some(m) = manager {
            pending_managers.push((*line, id, &input.full_name, m.clone()));
        }
    }
    // Managers are set once everybody exists, so a file may name them in any order; a
    // cycle within the file (A reports to B, B to A) fails the whole import like a bad row.
    for (line, id, name, manager_email) in pending_managers {
        let Some(manager) = created
            .get(&manager_email)
            .or_else(|| existing.get(&manager_email))
            .copied()
        else {
            continue;
        };
        match check_manager(&mut tx, Some(id), manager).await {
            Ok(()) => {}
            Err(CoreError::Invalid(errors)) => {
                report.errors.extend(errors.into_iter().map(|e| RowError {
                    line,
                    field: "manager_email".into(),
                    code: e.code,
                    message: e.message,
                }));
                continue;
            }
            Err(e) => return Err(e),
        }
        sqlx::query("UPDATE people SET manager_id = $1 WHERE id = $2")
            .bind(manager.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let mut changes = Changes::new();
        changes.set("manager_id", &manager.0);
        audit::record(
            &mut tx,
            actor,
            Event {
                action: "person.update",
                object_kind: "person",
                object_id: id.to_string(),
                object_label: name.clone(),
                changes,
            },
        )
        .await?;
    }
    if !report.errors.is_empty() {
        // Dropping the transaction rolls back every row of this file.
        report.created = 0;
        report.skipped_existing = 0;
        return Ok(report);
    }
    tx.commit().await?;
    Ok(report)
}
