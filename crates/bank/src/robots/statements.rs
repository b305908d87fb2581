//! The robot «Банковские выписки»: pulls each T-Bank account's statement since the account's
//! cursor (`tbank_from`), imports the inbox folder's files, and matches the new incoming
//! payments to invoices, counting new / known / matched / needs_attention.
//!
//! Idempotent by construction: payments are stored once by their operation id, the cursor
//! moves only after a pull was stored and stays a day behind (an operation booked late on
//! yesterday still comes), so a run cut off anywhere is simply run again. One account's
//! failure (a refused token, T-Bank down) is logged with its number and does not keep the
//! others from being pulled; the run then fails naming them all.

use std::path::Path;

use chrono::{Days, NaiveDate, TimeDelta, Utc};
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::config::BankConfig;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::robots::{LogLevel, Robot, RobotError, RunContext};
use shtab_core::types::Locale;

use crate::service::import::{self, ImportReport};
use crate::service::matching::Matcher;
use crate::sources::Format;
use crate::sources::tbank_client::TbankClient;
use crate::store::accounts::{self, BankAccount};

pub struct Statements {
    matcher: Matcher,
    config: BankConfig,
}

impl Statements {
    pub fn new(matcher: Matcher, config: &BankConfig) -> Statements {
        Statements {
            matcher,
            config: config.clone(),
        }
    }
}

/// What one account's pull came to.
struct Pulled {
    from: NaiveDate,
    pages: usize,
    report: ImportReport,
}

#[async_trait::async_trait]
impl Robot for Statements {
    fn name(&self) -> &'static str {
        "bank.statements"
    }

    fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Ru => "Банковские выписки",
            Locale::En => "Bank statements",
        }
    }

    fn default_schedule(&self) -> &'static str {
        "0 */2 * * *"
    }

    async fn run(&self, ctx: &RunContext) -> Result<(), RobotError> {
        // Shown even when nothing happened, so a quiet run reads "0 new" rather than blank.
        for counter in ["new", "known", "matched", "needs_attention"] {
            ctx.count(counter, 0).await?;
        }
        let mut tally = Tally::default();
        self.pull_accounts(ctx, &mut tally).await?;
        if let Some(dir) = self.config.inbox_dir() {
            self.import_inbox(ctx, &dir, &mut tally).await?;
        }
        // The imports also queued these for the matching job; matching them here gives the
        // run its counters, and the job then finds them already decided.
        if !tally.to_match.is_empty() {
            let counts = self.matcher.match_payments(&tally.to_match).await?;
            ctx.count("matched", counts.matched as i64).await?;
            ctx.count("needs_attention", counts.needs_attention as i64)
                .await?;
        }
        if tally.failed.is_empty() {
            Ok(())
        } else {
            Err(RobotError(format!(
                "{} failed. {}",
                tally.failed.len(),
                tally.failed.join("; ")
            )))
        }
    }
}

/// What the run gathers on its way: what to match, and what failed (with why).
#[derive(Default)]
struct Tally {
    to_match: Vec<i64>,
    failed: Vec<String>,
}

impl Statements {
    /// Every account with a T-Bank token, one after another; a failing one is noted and
    /// the next one pulled.
    async fn pull_accounts(&self, ctx: &RunContext, tally: &mut Tally) -> Result<(), RobotError> {
        let db = ctx.db();
        let actor = Actor::robot(self.name());
        let today = moscow_today();
        let all = accounts::list(db).await?;
        let pulled: Vec<&BankAccount> = all.iter().filter(|a| a.has_tbank_token).collect();
        ctx.progress(0, pulled.len() as i64).await?;
        for (done, account) in pulled.iter().enumerate() {
            match self.pull(db, &actor, account, today).await {
                Ok(None) => {
                    if let Some(start) = account.tbank_from.filter(|f| *f > today) {
                        ctx.log(
                            LogLevel::Info,
                            format!(
                                "{}: statements start on {start}; nothing to pull yet",
                                account.number
                            ),
                        )
                        .await?;
                    }
                }
                Ok(Some(p)) => {
                    ctx.count("accounts", 1).await?;
                    ctx.count("new", p.report.new as i64).await?;
                    ctx.count("known", p.report.known as i64).await?;
                    tally.to_match.extend(&p.report.new_incoming);
                    ctx.log(
                        LogLevel::Info,
                        format!(
                            "{}: {} … {}, {} page(s): {}",
                            account.number,
                            p.from,
                            today,
                            p.pages,
                            p.report.summary(Locale::En)
                        ),
                    )
                    .await?;
                }
                Err(e) => {
                    ctx.count("failed", 1).await?;
                    ctx.log(LogLevel::Error, format!("{}: {e}", account.number))
                        .await?;
                    tally
                        .failed
                        .push(format!("account {}: {e}", account.number));
                }
            }
            ctx.progress(done as i64 + 1, pulled.len() as i64).await?;
        }
        Ok(())
    }

    /// The inbox folder's files: a refused file is moved aside by the import and named here.
    async fn import_inbox(
        &self,
        ctx: &RunContext,
        dir: &Path,
        tally: &mut Tally,
    ) -> Result<(), RobotError> {
        let db = ctx.db();
        let actor = Actor::robot(self.name());
        let files = match import::import_inbox(db, &actor, dir).await {
            Ok(files) => files,
            Err(e) => {
                ctx.count("failed", 1).await?;
                ctx.log(LogLevel::Error, format!("inbox {}: {e}", dir.display()))
                    .await?;
                tally
                    .failed
                    .push(format!("inbox folder {}: {e}", dir.display()));
                return Ok(());
            }
        };
        for (name, result) in files {
            match result {
                Ok(report) => {
                    ctx.count("files", 1).await?;
                    ctx.count("new", report.new as i64).await?;
                    ctx.count("known", report.known as i64).await?;
                    tally.to_match.extend(&report.new_incoming);
                    ctx.log(
                        LogLevel::Info,
                        format!("inbox {name}: {}", report.summary(Locale::En)),
                    )
                    .await?;
                }
                Err(message) => {
                    ctx.count("failed", 1).await?;
                    ctx.log(LogLevel::Error, format!("inbox {name}: {message}"))
                        .await?;
                    tally.failed.push(format!("inbox file {name}: {message}"));
                }
            }
        }
        Ok(())
    }

    /// Pulls and stores one account's statement, then moves its cursor and records the
    /// balance. `None` when the account has nothing to pull (its start is in the future, or
    /// its token was removed meanwhile).
    async fn pull(
        &self,
        db: &Db,
        actor: &Actor,
        account: &BankAccount,
        today: NaiveDate,
    ) -> Result<Option<Pulled>, String> {
        let Some(token) = accounts::tbank_token(db, account.id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let from = account.tbank_from.unwrap_or_else(|| {
            today
                .checked_sub_days(Days::new(u64::from(self.config.statement_days)))
                .unwrap_or(today)
        });
        if from > today {
            return Ok(None);
        }
        let client =
            TbankClient::new(&self.config.tbank_api_url, token).map_err(|e| e.to_string())?;
        let statement = client
            .statement(&account.number, from, today)
            .await
            .map_err(|e| e.to_string())?;
        let report =
            import::store_pulled(db, actor, account.id, &statement.operations, Format::TBank)
                .await
                .map_err(|e| e.to_string())?;
        // A day of overlap: T-Bank may still book operations dated yesterday.
        let next = today.pred_opt().unwrap_or(today).max(from);
        advance_cursor(db, actor, account, next)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(balance) = statement.balance_end {
            import::record_balance(db, actor, account.id, balance, today)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(Some(Pulled {
            from,
            pages: statement.pages,
            report,
        }))
    }
}

/// Moves the account's T-Bank cursor to `next`, audit-logged; unchanged, nothing is written
/// (a robot every two hours would otherwise fill the log with the same day).
async fn advance_cursor(
    db: &Db,
    actor: &Actor,
    account: &BankAccount,
    next: NaiveDate,
) -> CoreResult<()> {
    if account.tbank_from == Some(next) {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    accounts::set_tbank_from(&mut tx, account.id, next).await?;
    let mut changes = Changes::new();
    changes.diff("tbank_from", &account.tbank_from, &Some(next));
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "bank_account.tbank_from",
            object_kind: "bank_account",
            object_id: account.id.to_string(),
            object_label: account.number.to_string(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Today in Moscow, where T-Bank's calendar days are (UTC+3 all year since 2014).
fn moscow_today() -> NaiveDate {
    (Utc::now().naive_utc() + TimeDelta::hours(3)).date()
}
