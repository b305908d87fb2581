//! Importing statements: a file (uploaded, `shtab bank import`, the inbox folder) or what
//! the T-Bank robot pulled. All or nothing: the payments, the import rows, the balance, the
//! audit entries and the matching job are written in one transaction, so a bad file or a
//! crash half-way leaves nothing behind, and importing again adds nothing twice.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::db::{Db, Tx};
use shtab_core::error::{CoreError, CoreResult};
use shtab_core::types::Locale;
use shtab_core::{FieldError, jobs};

use crate::domain::{AccountNumber, Kopecks, direction, own_account};
use crate::jobs::MatchPayments;
use crate::sources::tbank::OperationStatus;
use crate::sources::{Format, ParsedFile, ParsedOperation, parse_any};
use crate::store::accounts::{self, AccountId, BankAccount};
use crate::store::imports;
use crate::store::payments::{self, NewPayment, Source};

/// What one import did, in total and per account the statement covers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// The statement's (first) account.
    pub account: AccountId,
    pub account_number: String,
    /// Payments stored now, over all accounts.
    pub new: u64,
    /// Payments that were already stored (an earlier or overlapping statement).
    pub known: u64,
    /// The import row of the first account.
    pub import_id: i64,
    /// One entry per account, in the statement's order.
    pub accounts: Vec<AccountImport>,
    /// The new incoming payments: matching them was queued in the same transaction.
    pub new_incoming: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccountImport {
    pub account: AccountId,
    pub account_number: String,
    pub import_id: i64,
    pub new: u64,
    pub known: u64,
    /// The closing balance recorded from this statement, when it had one that is not
    /// older than the one already known.
    pub balance: Option<Kopecks>,
}

impl ImportReport {
    /// "3 new, 10 already known", in the reader's language.
    pub fn summary(&self, locale: Locale) -> String {
        summary(locale, self.new, self.known)
    }
}

/// "N new, M already known" (RU: "N новых, M уже были").
pub fn summary(locale: Locale, new: u64, known: u64) -> String {
    match locale {
        Locale::En => format!("{new} new, {known} already known"),
        Locale::Ru => {
            // Russian agrees the word with the number: 1 новый, 21 новый, 11 новых, 5 новых.
            let one = |n: u64| n % 10 == 1 && n % 100 != 11;
            let (n_word, k_word) = (
                if one(new) { "новый" } else { "новых" },
                if one(known) {
                    "уже был"
                } else {
                    "уже были"
                },
            );
            format!("{new} {n_word}, {known} {k_word}")
        }
    }
}

const MAX_FILE_NAME: usize = 255;

/// The last path component of what a browser or a script sent, so a name is never a path.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    base.chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME)
        .collect()
}

/// A statement that cannot be read, as an error on the form's `file` field naming the line
/// and key (or the JSON path).
fn unreadable(e: crate::sources::ParseError) -> CoreError {
    CoreError::Invalid(vec![FieldError::new(
        "file",
        "invalid_statement",
        e.to_string(),
    )])
}

/// Imports a statement file: 1CClientBankExchange (windows-1251, cp866 or UTF-8) or T-Bank
/// statement JSON. The file must be for accounts Shtab knows.
pub async fn import_statement_file(
    db: &Db,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
) -> CoreResult<ImportReport> {
    if bytes.trim_ascii().is_empty() {
        return Err(CoreError::field("file", "required", "the file is empty"));
    }
    let parsed = parse_any(bytes).map_err(unreadable)?;
    let file_name = clean_file_name(file_name);
    let mut tx = db.begin().await?;
    let known = accounts::list_in(&mut tx).await?;
    let covered = covered_accounts(&parsed, &known)?;
    let known_numbers: Vec<AccountNumber> = known.iter().map(|a| a.number.clone()).collect();
    let file_numbers: Vec<AccountNumber> = covered.iter().map(|a| a.number.clone()).collect();

    let mut per_account: Vec<Vec<NewPayment<'_>>> = vec![Vec::new(); covered.len()];
    for p in booked(&parsed.operations) {
        let (dir, number) = match parsed.format {
            // Judged against every account Shtab knows, so a transfer between two of ours
            // is internal even when the file is one account's statement; stored on the
            // file's side of it.
            Format::OneC => (
                direction(&p.operation, &known_numbers),
                own_account(&p.operation, &file_numbers),
            ),
            // T-Bank states the direction and the account outright.
            Format::TBank => (p.direction, p.account.clone()),
        };
        let index = number
            .and_then(|n| file_numbers.iter().position(|f| *f == n))
            // Neither side is ours (the direction says "unknown", so someone looks): it
            // is filed under the statement's first account.
            .unwrap_or(0);
        per_account[index].push(NewPayment {
            operation: &p.operation,
            direction: dir,
        });
    }

    let source = Source::from(parsed.format);
    let mut results = Vec::new();
    let mut incoming = Vec::new();
    for (account, ops) in covered.iter().zip(&per_account) {
        let balance = closing_balance(&parsed, &account.number);
        let r =
            store_for_account(&mut tx, actor, account, &file_name, ops, source, balance).await?;
        incoming.extend(r.1);
        results.push(r.0);
    }
    queue_matching(&mut tx, incoming.clone()).await?;
    tx.commit().await?;
    Ok(report(results, incoming))
}

/// Stores what the T-Bank robot pulled for `account`, under the same rules as a file.
/// Holds (`authorization`) are skipped: they are not money yet, and the booked operation
/// comes later under the same id.
pub async fn store_pulled(
    db: &Db,
    actor: &Actor,
    account: AccountId,
    ops: &[ParsedOperation],
    source: Format,
) -> CoreResult<ImportReport> {
    let mut tx = db.begin().await?;
    let acc = accounts::get_in(&mut tx, account).await?;
    let new: Vec<NewPayment<'_>> = booked(ops)
        .map(|p| NewPayment {
            operation: &p.operation,
            direction: p.direction,
        })
        .collect();
    let (result, incoming) =
        store_for_account(&mut tx, actor, &acc, "", &new, Source::from(source), None).await?;
    queue_matching(&mut tx, incoming.clone()).await?;
    tx.commit().await?;
    Ok(report(vec![result], incoming))
}

/// Records a balance the T-Bank API reported (its statement's `balanceEnd`) as of `day`,
/// audit-logged; an older balance than the one known is ignored. Returns whether recorded.
pub async fn record_balance(
    db: &Db,
    actor: &Actor,
    account: AccountId,
    balance: Kopecks,
    day: NaiveDate,
) -> CoreResult<bool> {
    let mut tx = db.begin().await?;
    let acc = accounts::get_in(&mut tx, account).await?;
    let recorded = accounts::set_balance(&mut tx, account, balance, day).await?;
    if recorded {
        let mut changes = Changes::new();
        changes
            .diff("balance", &acc.balance, &Some(balance))
            .set("as_of", &day);
        audit::record(
            &mut tx,
            actor,
            Event {
                action: "bank_account.balance",
                object_kind: "bank_account",
                object_id: account.to_string(),
                object_label: acc.number.to_string(),
                changes,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(recorded)
}

/// Each operation once (a two-account file lists a transfer between them under both), and
/// only booked money: T-Bank holds are left for the pull that books them.
fn booked(ops: &[ParsedOperation]) -> impl Iterator<Item = &ParsedOperation> + '_ {
    let mut seen = HashSet::new();
    ops.iter()
        .filter(|p| p.status != Some(OperationStatus::Authorization))
        .filter(move |p| seen.insert(p.operation.key.as_str()))
}

/// Shtab's accounts the statement is for, in the statement's order. Every account the file
/// names must be known: storing another company's statement under ours would be wrong
/// money. A file that names none (some banks leave the header bare) is for the known
/// accounts its payments move money on.
fn covered_accounts(parsed: &ParsedFile, known: &[BankAccount]) -> CoreResult<Vec<BankAccount>> {
    let find = |n: &AccountNumber| known.iter().find(|a| a.number == *n).cloned();
    if !parsed.own_accounts.is_empty() {
        let unknown: Vec<&str> = parsed
            .own_accounts
            .iter()
            .filter(|n| find(n).is_none())
            .map(AccountNumber::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(CoreError::field(
                "file",
                "unknown_account",
                format!(
                    "the statement is for account {}, which Shtab does not know; add it under \
                     Bank → Accounts first",
                    unknown.join(", ")
                ),
            ));
        }
        return Ok(parsed.own_accounts.iter().filter_map(find).collect());
    }
    let mut out: Vec<BankAccount> = Vec::new();
    for p in &parsed.operations {
        for side in [&p.operation.payee, &p.operation.payer] {
            let Some(n) = side.account.as_deref() else {
                continue;
            };
            if let Some(a) = known.iter().find(|a| a.number.as_str() == n)
                && !out.iter().any(|o| o.id == a.id)
            {
                out.push(a.clone());
            }
        }
    }
    if out.is_empty() {
        return Err(CoreError::field(
            "file",
            "unknown_account",
            "the statement names no account (no РасчСчет) and none of its payments is on an \
             account Shtab knows; add the account under Bank → Accounts first",
        ));
    }
    Ok(out)
}

/// The closing balance of the account's latest balance section, with its last day.
fn closing_balance(parsed: &ParsedFile, number: &AccountNumber) -> Option<(Kopecks, NaiveDate)> {
    parsed
        .sections
        .iter()
        .filter(|s| s.account == *number)
        .filter_map(|s| Some((s.closing_balance?, s.period_end.or(s.period_start)?)))
        // The latest day wins; among equal days the later section (files repeat them).
        .fold(None, |best: Option<(Kopecks, NaiveDate)>, s| match best {
            Some(b) if b.1 > s.1 => Some(b),
            _ => Some(s),
        })
}

async fn store_for_account(
    tx: &mut Tx,
    actor: &Actor,
    account: &BankAccount,
    file_name: &str,
    ops: &[NewPayment<'_>],
    source: Source,
    balance: Option<(Kopecks, NaiveDate)>,
) -> CoreResult<(AccountImport, Vec<i64>)> {
    let import_id = imports::start(tx, actor, account.id, source, file_name).await?;
    let stored = payments::store_operations(tx, account.id, Some(import_id), ops, source).await?;
    let new = stored.new_ids.len() as u64;
    imports::finish(tx, import_id, new, stored.known).await?;
    let mut recorded = None;
    if let Some((amount, day)) = balance
        && accounts::set_balance(tx, account.id, amount, day).await?
    {
        recorded = Some(amount);
    }
    let mut changes = Changes::new();
    changes
        .set("import_id", &import_id)
        .set("source", &source)
        .set("file_name", &file_name)
        .set("new", &new)
        .set("known", &stored.known);
    if let Some(b) = recorded {
        changes.diff("balance", &account.balance, &Some(b));
    }
    audit::record(
        tx,
        actor,
        Event {
            action: "bank.import",
            object_kind: "bank_account",
            object_id: account.id.to_string(),
            object_label: account.number.to_string(),
            changes,
        },
    )
    .await?;
    Ok((
        AccountImport {
            account: account.id,
            account_number: account.number.to_string(),
            import_id,
            new,
            known: stored.known,
            balance: recorded,
        },
        stored.new_incoming_ids,
    ))
}

/// Queued in the importing transaction, so no stored payment is left unlooked-at.
async fn queue_matching(tx: &mut Tx, payment_ids: Vec<i64>) -> CoreResult<()> {
    if !payment_ids.is_empty() {
        jobs::enqueue_in(tx, &MatchPayments { payment_ids }, None).await?;
    }
    Ok(())
}

fn report(accounts: Vec<AccountImport>, new_incoming: Vec<i64>) -> ImportReport {
    let first = accounts.first();
    ImportReport {
        account: first.map_or(AccountId(0), |a| a.account),
        account_number: first.map(|a| a.account_number.clone()).unwrap_or_default(),
        import_id: first.map_or(0, |a| a.import_id),
        new: accounts.iter().map(|a| a.new).sum(),
        known: accounts.iter().map(|a| a.known).sum(),
        accounts,
        new_incoming,
    }
}

/// What one file of the inbox came to.
pub type InboxResult = (String, Result<ImportReport, String>);

/// Imports every file in `dir` (oldest name first), moving each to `dir/done/` when
/// imported or to `dir/failed/` with `NAME.error.txt` beside it when refused, so a file is
/// never imported twice and a refused one waits for a person. A file that fails for
/// another reason (the database is down) stays where it is and is tried again next time;
/// a crash between the import and the move is harmless: the next run finds all known.
/// Hidden files and `*.part`/`*.tmp` (still being written) are left alone.
pub async fn import_inbox(db: &Db, actor: &Actor, dir: &Path) -> CoreResult<Vec<InboxResult>> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        CoreError::Internal(format!("inbox: cannot {what} {}: {e}", path.display()))
    };
    let mut names = Vec::new();
    let mut entries = tokio::fs::read_dir(dir)
        .await
        .map_err(|e| io("read", dir, e))?;
    while let Some(entry) = entries.next_entry().await.map_err(|e| io("read", dir, e))? {
        let is_file = entry
            .file_type()
            .await
            .map_err(|e| io("inspect", &entry.path(), e))?
            .is_file();
        let Ok(name) = entry.file_name().into_string() else {
            tracing::warn!(path = %entry.path().display(), "inbox: skipping a file whose name is not UTF-8");
            continue;
        };
        if is_file && !name.starts_with('.') && !name.ends_with(".part") && !name.ends_with(".tmp")
        {
            names.push(name);
        }
    }
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            // Unreadable now (permissions, a network share away): tried again next run.
            Err(e) => {
                out.push((name, Err(io("read", &path, e).to_string())));
                continue;
            }
        };
        match import_statement_file(db, actor, &name, &bytes).await {
            Ok(report) => {
                move_to(dir, "done", &name)
                    .await
                    .map_err(|e| io("move", &path, e))?;
                out.push((name, Ok(report)));
            }
            Err(CoreError::Invalid(fields)) => {
                let message = fields
                    .iter()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
                let moved = move_to(dir, "failed", &name)
                    .await
                    .map_err(|e| io("move", &path, e))?;
                let note = note_path(&moved);
                tokio::fs::write(&note, format!("{message}\n"))
                    .await
                    .map_err(|e| io("write", &note, e))?;
                out.push((name, Err(message)));
            }
            Err(e) => {
                tracing::warn!(file = %name, error = %e, "inbox: import failed; the file stays for the next run");
                out.push((name, Err(e.to_string())));
            }
        }
    }
    Ok(out)
}

/// Moves `dir/name` into `dir/sub/`, never over an earlier file of the same name (a bank
/// names every export `kl_to_1c.txt`): `name.1`, `name.2`, … Returns the new path.
async fn move_to(dir: &Path, sub: &str, name: &str) -> std::io::Result<PathBuf> {
    let target_dir = dir.join(sub);
    tokio::fs::create_dir_all(&target_dir).await?;
    let mut target = target_dir.join(name);
    let mut n = 0;
    while tokio::fs::try_exists(&target).await? {
        n += 1;
        target = target_dir.join(format!("{name}.{n}"));
    }
    tokio::fs::rename(dir.join(name), &target).await?;
    Ok(target)
}

fn note_path(moved: &Path) -> PathBuf {
    let mut s = moved.as_os_str().to_owned();
    s.push(".error.txt");
    PathBuf::from(s)
}

/// The operations of a file as `shtab bank parse` prints them: one JSON object a line.
pub fn parse_to_json_lines(bytes: &[u8]) -> Result<Vec<String>, crate::sources::ParseError> {
    let parsed = parse_any(bytes)?;
    Ok(parsed
        .operations
        .iter()
        .map(|p| serde_json::to_string(p).unwrap_or_default())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Direction, Operation};

    #[test]
    fn summary_agrees_in_russian() {
        assert_eq!(summary(Locale::En, 3, 10), "3 new, 10 already known");
        assert_eq!(summary(Locale::Ru, 1, 0), "1 новый, 0 уже были");
        assert_eq!(summary(Locale::Ru, 21, 11), "21 новый, 11 уже были");
        assert_eq!(summary(Locale::Ru, 5, 1), "5 новых, 1 уже был");
    }

    #[test]
    fn file_names_are_never_paths() {
        assert_eq!(
            clean_file_name("C:\\Users\\a\\kl_to_1c.txt"),
            "kl_to_1c.txt"
        );
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name(" a\u{7}b "), "ab");
    }

    #[test]
    fn a_transfer_to_another_known_account_is_internal_but_filed_on_the_statement_side() {
        let a = AccountNumber::parse("40702810900000000001").unwrap();
        let b = AccountNumber::parse("40702810900000000002").unwrap();
        let op = Operation {
            key: "k".into(),
            doc_type: None,
            number: None,
            date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            amount: Kopecks(1),
            payer: crate::domain::Party {
                account: Some(a.to_string()),
                ..Default::default()
            },
            payee: crate::domain::Party {
                account: Some(b.to_string()),
                ..Default::default()
            },
            purpose: None,
            debited_on: None,
            credited_on: None,
            payment_kind: None,
            vo: None,
            priority: None,
            uin: None,
            tax: None,
            stated_direction: None,
        };
        // B's statement: the money arrives on B, and Shtab also knows A.
        let known = [a.clone(), b.clone()];
        assert_eq!(direction(&op, &known), Direction::Internal);
        assert_eq!(own_account(&op, std::slice::from_ref(&b)), Some(b));
    }
}
