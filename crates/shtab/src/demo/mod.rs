//! The demo company across every capability: `shtab demo`, `shtab serve --demo` and
//! `shtab demo --remove`.
//!
//! Everything is made by the capabilities' own code (their stores, importer, sweep and
//! CRM), dated relative to today, and recorded in the demo's ledger ([`ledger`]): running
//! it again adds nothing twice (each part is made once, when the ledger has none of it),
//! and removal takes away exactly what the ledger names. The demo reaches nothing outside
//! the machine: its repository is a local directory, its bank statements are generated text,
//! its tenders are written as the robot would store them, its servers are only records, and
//! the messages it leads to (vendor e-mails, notifications) are recorded but never sent.
//!
//! The people come from [`shtab_core::demo`]; the rest lives here, one file per capability,
//! because it needs every capability.

mod access;
mod bank;
mod code;
mod jobs;
pub mod ledger;
mod notify;
mod remove;
mod rng;
mod tenders;

use std::path::PathBuf;

use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::db::Db;
use shtab_core::demo::DemoReport;

pub use remove::Removed;

/// Every change the demo makes is made as this actor: its audit entries are the demo's, and
/// removal takes them away with the rest.
pub const ACTOR: &str = "shtab demo";

pub fn actor() -> Actor {
    Actor::system(ACTOR)
}

/// `<data_dir>/demo`: the demo's files (its git repository).
pub fn files_dir(config: &Config) -> PathBuf {
    config.data_dir.join("demo")
}

/// Today in the hub's time zone: everything the demo dates counts back from it.
pub fn today(config: &Config) -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&config.time_zone())
        .date_naive()
}

/// What one load added, per capability (all zero when the demo was already there).
#[derive(Debug, Default)]
pub struct Report {
    pub people: DemoReport,
    pub code: code::Added,
    pub bank: bank::Added,
    pub tenders: tenders::Added,
    pub access: access::Added,
    pub notify: notify::Added,
}

impl Report {
    /// Whether this load added nothing (the demo was there already).
    pub fn is_empty(&self) -> bool {
        self.people.people_created == 0
            && self.code.tasks == 0
            && self.code.commits == 0
            && self.bank.accounts == 0
            && self.tenders.searches == 0
            && self.access.resources == 0
            && self.notify.deliveries == 0
    }

    /// One line per capability, for the terminal.
    pub fn lines(&self) -> Vec<String> {
        // A capability whose records live in another system says so instead of its counts.
        let or_skipped = |label: &str, skipped: Option<&str>, counts: String| match skipped {
            Some(why) => format!("{label:<15}skipped: {why}"),
            None => format!("{label:<15}{counts}"),
        };
        vec![
            or_skipped(
                "people:",
                None,
                format!(
                    "{} people, {} users",
                    self.people.people_created,
                    self.people.users.len()
                ),
            ),
            or_skipped(
                "code ↔ tasks:",
                self.code.skipped,
                format!(
                    "{} tasks, repository {} with {} commits, {} links to tasks",
                    self.code.tasks,
                    code::REPOSITORY_NAME,
                    self.code.commits,
                    self.code.linked
                ),
            ),
            or_skipped(
                "bank:",
                self.bank.skipped,
                format!(
                    "{} account, {} statements with {} payments, {} invoices",
                    self.bank.accounts,
                    self.bank.statements,
                    self.bank.payments,
                    self.bank.invoices
                ),
            ),
            or_skipped(
                "tenders:",
                self.tenders.skipped,
                format!(
                    "{} saved searches, {} tenders, {} deals",
                    self.tenders.searches, self.tenders.tenders, self.tenders.deals
                ),
            ),
            or_skipped(
                "access:",
                None,
                format!(
                    "{} servers, {} resources, {} grants, {} offboarded",
                    self.access.servers,
                    self.access.resources,
                    self.access.grants,
                    self.access.offboarded
                ),
            ),
            or_skipped(
                "notifications:",
                None,
                format!("{} deliveries in the log", self.notify.deliveries),
            ),
        ]
    }
}

/// Loads the demo company; what is there already is left as it is.
pub async fn load(db: &Db, config: &Config) -> anyhow::Result<Report> {
    let queued_before = jobs::last_id(db).await?;
    let loaded = load_all(db, config).await;
    // Also when a part failed: what the demo queued must not go out.
    jobs::settle(db, queued_before).await?;
    loaded
}

async fn load_all(db: &Db, config: &Config) -> anyhow::Result<Report> {
    let actor = actor();
    let people = shtab_core::demo::load(db, &actor).await?;
    for id in &people.people {
        ledger::record(db, ledger::kind::PERSON, id.0).await?;
    }
    Ok(Report {
        code: code::load(db, config, &actor).await?,
        bank: bank::load(db, config, &actor).await?,
        tenders: tenders::load(db, config, &actor).await?,
        access: access::load(db, config, &actor).await?,
        notify: notify::load(db, config, &actor).await?,
        people,
    })
}

/// Removes what the demo added, and only that.
pub async fn remove(db: &Db, config: &Config) -> anyhow::Result<Removed> {
    remove::remove(db, config).await
}
