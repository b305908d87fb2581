//! Ports: the narrow interfaces through which capabilities reach the systems of record —
//! tasks, CRM deals, invoices, the people directory and notifications. A capability holds an
//! `Arc<dyn Port>`; the binary picks the implementation from configuration: the built-in one
//! over our own tables, or (later) the Bitrix24 one in the `bitrix24` crate.
//!
//! Identifiers of outside objects are strings: a Bitrix24 task id and a built-in task number
//! are both just "the id the tracker gave it".

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::db::Db;
use crate::error::CoreResult;
use crate::ids::PersonId;
use crate::people::Forge;
use crate::types::Email;

/// A task as the tracker knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    /// The reference people write in commit messages (`SHT-42`, `#42`).
    pub reference: String,
    pub title: String,
    pub url: Option<String>,
    pub closed: bool,
    /// The tracker's word for where the task stands: `open`, `in_progress`, `closed` for
    /// Shtab's own; the portal's `pending`, `in_progress`, `awaiting_control`, `completed`,
    /// `deferred`. Pages translate the words they know and show the others as they are.
    #[serde(default)]
    pub status: String,
    pub responsible: Option<PersonId>,
}

/// A commit to attach to a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitLink {
    /// The repository's name in Shtab.
    pub repository: String,
    pub sha: String,
    /// Equal for a commit and its rebased or cherry-picked copies, so a tracker can show
    /// them as one change.
    pub change_key: String,
    pub message: String,
    pub author: Option<PersonId>,
    pub author_name: String,
    /// Empty when the commit carried none.
    pub author_email: String,
    /// Unix milliseconds.
    pub authored_at: i64,
    /// Unix milliseconds.
    pub committed_at: i64,
    /// The commit on the forge, when the repository has a web address.
    pub url: Option<String>,
    /// The branches that reach it now, as far as Shtab knows: each link replaces the list
    /// (a deleted or force-pushed branch drops out). Empty once no branch reaches it any
    /// more: the commit stays on the task, marked as such.
    pub branches: Vec<String>,
}

/// Time spent on a task, from a commit's `@2h30m` or by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeEntry {
    pub person: PersonId,
    pub minutes: i64,
    /// When the work was done (the commit's time), Unix milliseconds.
    pub spent_at: i64,
    pub note: String,
    /// What logged it (`commit:<repository>@<sha>`); logging the same source twice
    /// changes nothing.
    pub source: String,
}

/// Tasks. Used by `vcs` (commit ↔ task). Implemented by the built-in task tables
/// ([`crate::tasks::BuiltinTracker`]) and by Bitrix24's tasks (later).
#[async_trait]
pub trait Tracker: Send + Sync {
    /// The task a reference names, if there is one. A reference is canonical: `123` for
    /// `#123` or `task 123`, `PROJ-123` (upper case) for a project key.
    async fn find_task(&self, reference: &str) -> CoreResult<Option<Task>>;
    /// [`Tracker::find_task`] for many references; those naming no task are absent from
    /// the answer. A tracker that can look them up together overrides it — a back-fill asks
    /// about thousands of references, most naming nothing.
    async fn find_tasks(
        &self,
        references: &[String],
    ) -> CoreResult<std::collections::HashMap<String, Task>> {
        let mut found = std::collections::HashMap::new();
        for reference in references {
            if let Some(task) = self.find_task(reference).await? {
                found.insert(reference.clone(), task);
            }
        }
        Ok(found)
    }
    /// Attaches a commit to a task. Attaching the same (repository, sha) again updates what
    /// changed (the author once mapped, the branches that reach it now) and adds nothing.
    async fn link_commit(&self, task_id: &str, commit: &CommitLink) -> CoreResult<()>;
    /// [`Tracker::link_commit`] for many at once; a tracker that can write them together
    /// (one transaction, one request) overrides it — the sweep's back-fill depends on it.
    async fn link_commits(&self, links: &[(String, CommitLink)]) -> CoreResult<()> {
        for (task_id, commit) in links {
            self.link_commit(task_id, commit).await?;
        }
        Ok(())
    }
    async fn comment(&self, task_id: &str, author: Option<PersonId>, text: &str) -> CoreResult<()>;
    /// Closes the task; closing a closed task changes nothing.
    async fn close_task(&self, task_id: &str, by: Option<PersonId>, note: &str) -> CoreResult<()>;
    /// Records time spent; see [`TimeEntry::source`].
    async fn log_time(&self, task_id: &str, entry: &TimeEntry) -> CoreResult<()>;
    /// The task as a page shows it, by its id. A tracker whose tasks live elsewhere may
    /// answer from its copy of what it last read (kept fresh by that system's events, and
    /// read again after a while in any case) instead of asking on every page view; the
    /// default asks, as [`Tracker::find_task`] does.
    async fn task_for_page(&self, task_id: &str) -> CoreResult<Option<Task>> {
        self.find_task(task_id).await
    }
}

/// A commit whose message names a task, as the capability that links commits keeps it.
#[derive(Debug, Clone)]
pub struct NamingCommit {
    /// `linked_at` is when it was linked, or, while it waits, when Shtab first saw it.
    pub commit: crate::tasks::TaskCommit,
    /// False while it waits for its task: the tracker had no such task (yet) when asked.
    pub linked: bool,
}

/// The commits that name a tracker's task: linked to it, or waiting for it. The task pages
/// read them here for a tracker that keeps no copy of its own in Shtab (the portal's tasks);
/// implemented by the `vcs` capability, which links them.
#[async_trait]
pub trait TaskCommits: Send + Sync {
    /// Oldest first (commit time, then author time): the commits linked to `task_id`, and
    /// those waiting whose reference is that id (`#101` waits as `101`).
    async fn naming(&self, task_id: &str) -> CoreResult<Vec<NamingCommit>>;
}

/// A deal in a CRM pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deal {
    pub id: String,
    pub pipeline: String,
    pub stage: String,
    pub title: String,
    pub responsible: Option<PersonId>,
    /// Custom fields by name ("approved_price", "reg_number").
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The deal's card in the system that keeps it, when that is not Shtab (a portal's
    /// deal page).
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDeal {
    pub pipeline: String,
    pub stage: String,
    pub title: String,
    pub responsible: Option<PersonId>,
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Makes creation idempotent: a second call with the same key returns the first deal
    /// (a tender's registration number).
    pub external_key: String,
}

/// CRM deals. Used by `tenders` (a tender becomes a deal; stages have entry actions and
/// required fields). Implemented by the built-in deal tables (arriving with `tenders`) and
/// by Bitrix24's CRM (later).
#[async_trait]
pub trait Crm: Send + Sync {
    /// Creates the deal, or returns the one already created with the same `external_key`.
    async fn create_deal(&self, deal: &NewDeal, by: &crate::audit::Actor) -> CoreResult<Deal>;
    async fn get_deal(&self, id: &str) -> CoreResult<Option<Deal>>;
    /// Moves a deal to `stage`. The stage rules are checked first (fields required to leave
    /// the current stage or to enter the next); a refusal is a field error per missing
    /// field, and nothing changes. Then the new stage's entry actions run (queued).
    async fn move_deal(&self, id: &str, stage: &str, by: &crate::audit::Actor) -> CoreResult<Deal>;
    /// Makes `responsible` (or nobody) the person the deal's stages notify.
    async fn assign_deal(
        &self,
        id: &str,
        responsible: Option<PersonId>,
        by: &crate::audit::Actor,
    ) -> CoreResult<Deal>;
    async fn read_fields(&self, id: &str)
    -> CoreResult<serde_json::Map<String, serde_json::Value>>;
    async fn write_fields(
        &self,
        id: &str,
        fields: &serde_json::Map<String, serde_json::Value>,
        by: &crate::audit::Actor,
    ) -> CoreResult<()>;
    /// Where the pipeline's board lives when it is not Shtab's own (a portal's kanban).
    async fn board_url(&self, _pipeline: &str) -> CoreResult<Option<String>> {
        Ok(None)
    }
}

/// How a deal ends when it enters a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageOutcome {
    Open,
    Won,
    Lost,
}

/// A stage of a pipeline as Shtab defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageLayout {
    pub id: String,
    pub name_ru: String,
    pub name_en: String,
    pub outcome: StageOutcome,
}

/// A field of a pipeline's deals as Shtab defines it. `kind`: text, money (integer
/// kopecks), email, url, datetime (RFC 3339), bool, list (of text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldLayout {
    pub name: String,
    pub kind: String,
    pub label_ru: String,
    pub label_en: String,
}

/// A pipeline's stages (in order) and fields, for a CRM elsewhere to be set up alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineLayout {
    pub id: String,
    pub name_ru: String,
    pub name_en: String,
    pub stages: Vec<StageLayout>,
    pub fields: Vec<FieldLayout>,
}

impl PipelineLayout {
    pub fn stage(&self, id: &str) -> Option<&StageLayout> {
        self.stages.iter().find(|s| s.id == id)
    }

    pub fn field(&self, name: &str) -> Option<&FieldLayout> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// What entering a stage did that the deal's own system must still be told of.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entered {
    /// Field values the stage's actions set, as stored (money in kopecks).
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// What each action did, for logs and the audit trail.
    pub done: Vec<serde_json::Value>,
}

/// A pipeline's stage rules and entry actions, as the tenders capability defines them.
/// Shtab's own CRM applies them inside its moves; a CRM kept elsewhere (Bitrix24, which never
/// checks its own stage rules over REST) asks before every move Shtab makes and after every
/// move it sees there. Implemented by the tenders capability; handed to the Bitrix24
/// adapter by the binary.
#[async_trait]
pub trait StageRules: Send + Sync {
    async fn layout(&self, pipeline: &str) -> CoreResult<PipelineLayout>;
    /// Reads field values as people type them or robots bring them into their stored form
    /// (money in kopecks…); all errors at once. `strict` refuses names the pipeline lacks.
    async fn read_fields(
        &self,
        pipeline: &str,
        input: &serde_json::Map<String, serde_json::Value>,
        strict: bool,
    ) -> CoreResult<serde_json::Map<String, serde_json::Value>>;
    /// The fields a deal holding `fields` lacks to move from `from` (empty: unknown) to
    /// `to`: one field error per missing field, naming it and the stage. Empty: it may go.
    async fn missing_for_move(
        &self,
        pipeline: &str,
        from: &str,
        to: &str,
        fields: &serde_json::Map<String, serde_json::Value>,
    ) -> CoreResult<Vec<crate::FieldError>>;
    /// Runs the entry actions of the stage `deal` is in now, inside `tx`: e-mails and
    /// notifications are queued there, so they go exactly when `tx` commits. Field values
    /// the actions set are returned for the caller to write.
    async fn entered(
        &self,
        tx: &mut crate::db::Tx,
        deal: &Deal,
        by: &crate::audit::Actor,
    ) -> CoreResult<Entered>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceState {
    Open,
    PartiallyPaid,
    Paid,
    Cancelled,
}

/// An invoice we issued. Money is kopecks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub id: String,
    pub number: String,
    pub payer_inn: String,
    pub payer_name: String,
    pub amount_kopecks: i64,
    pub paid_kopecks: i64,
    pub state: InvoiceState,
    /// The manager who answers for it (told when a payment needs a look).
    pub responsible: Option<PersonId>,
}

/// What one payment pays on one invoice, as the matcher tells the invoices port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub invoice_id: String,
    pub payment_id: String,
    pub amount_kopecks: i64,
}

/// Invoices. Used by `bank` (payments are matched to open invoices). Implemented by the
/// built-in invoice tables (`shtab_bank::invoices`) and by Bitrix24's smart invoices
/// (`shtab_bitrix24::adapters::PortalInvoices`).
#[async_trait]
pub trait Invoices: Send + Sync {
    async fn open_by_payer_inn(&self, inn: &str) -> CoreResult<Vec<Invoice>>;
    /// [`Invoices::open_by_payer_inn`] for many payers at once, by INN (a payer with no open
    /// invoice may be absent). A system that can look them up together overrides it: the
    /// matcher asks about every payer of a statement before matching it.
    async fn open_by_payer_inns(
        &self,
        inns: &[String],
    ) -> CoreResult<std::collections::HashMap<String, Vec<Invoice>>> {
        let mut found = std::collections::HashMap::new();
        for inn in inns {
            if !found.contains_key(inn) {
                found.insert(inn.clone(), self.open_by_payer_inn(inn).await?);
            }
        }
        Ok(found)
    }
    async fn get(&self, id: &str) -> CoreResult<Option<Invoice>>;
    /// Records `amount_kopecks` paid by the payment `payment_id`; the invoice becomes paid
    /// or partially paid. Recording the same payment again replaces its amount, never adds.
    async fn record_payment(
        &self,
        invoice_id: &str,
        payment_id: &str,
        amount_kopecks: i64,
    ) -> CoreResult<Invoice>;
    /// [`Invoices::record_payment`] for many at once; a system that can write them together
    /// overrides it (the matcher records a whole statement's allocations in one call).
    async fn record_payments(&self, records: &[PaymentRecord]) -> CoreResult<()> {
        for r in records {
            self.record_payment(&r.invoice_id, &r.payment_id, r.amount_kopecks)
                .await?;
        }
        Ok(())
    }
    /// Takes the payment `payment_id` back off the invoice (a manual un-allocation).
    async fn reverse_payment(&self, invoice_id: &str, payment_id: &str) -> CoreResult<Invoice>;
    /// Where a person sees the invoice: a page of Shtab's (a path) or of the system that keeps
    /// it (a URL); `None` when it has no page.
    fn link(&self, _invoice_id: &str) -> Option<String> {
        None
    }
}

/// People, as the other capabilities look them up. Used by every capability (commit authors,
/// whom to tell). Implemented by [`BuiltinDirectory`] over `core::people`, and by Bitrix24's
/// users (later).
#[async_trait]
pub trait Directory: Send + Sync {
    async fn person_by_email(&self, email: &Email) -> CoreResult<Option<PersonId>>;
    /// [`Directory::person_by_email`] for many e-mails: the people found. A push carries a
    /// score of authors; a directory that can answer them in one question should.
    async fn people_by_emails(
        &self,
        emails: &[Email],
    ) -> CoreResult<std::collections::HashMap<Email, PersonId>> {
        let mut found = std::collections::HashMap::new();
        for email in emails {
            if let Some(person) = self.person_by_email(email).await? {
                found.insert(email.clone(), person);
            }
        }
        Ok(found)
    }
    async fn person_by_forge_login(
        &self,
        forge: Forge,
        login: &str,
    ) -> CoreResult<Option<PersonId>>;
    /// Who answers for `person`'s work: their manager, if they have one.
    async fn responsible_manager(&self, person: PersonId) -> CoreResult<Option<PersonId>>;
}

/// A message to one person, rendered from a template in their language.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// The template's key (`bank.payment_needs_attention`).
    pub template: String,
    /// What the template refers to (`{{ payer }}`); `person_name` and `link` are added.
    pub context: serde_json::Value,
    /// A page about it: a path (`/bank/payments/7`, made absolute with `server.public_url`)
    /// or a full URL.
    pub link: Option<String>,
}

/// Telling people. Used by every capability and robot. Implemented by
/// [`crate::notify::BuiltinNotifier`] (e-mail, Telegram, webhooks and the Bitrix24 app, each
/// through the job queue).
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Queues the message on each channel the person enabled and returns the delivery ids;
    /// never waits for a channel, so one that is down cannot hold up the caller.
    async fn send(&self, person: PersonId, message: &Message) -> CoreResult<Vec<i64>>;
}

/// A rendered message as a messenger outside Shtab shows it (see [`Messenger`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice<'a> {
    pub subject: &'a str,
    pub body: &'a str,
    /// An absolute link to the page the message is about.
    pub link: Option<&'a str>,
}

/// A messenger people read outside Shtab: the Bitrix24 app, for the notifications' `bitrix24`
/// channel. Implemented by the `bitrix24` crate (`im.notify.system.add`); the binary hands it
/// to [`crate::notify::jobs_with_messenger`] when a portal is configured.
#[async_trait]
pub trait Messenger: Send + Sync {
    /// Shows `notice` to `recipient` (the channel's target: a portal user id). A failure that
    /// passes is [`crate::CoreError::Transient`], and the delivery is tried again; any other
    /// error ends the delivery as failed, its message saying why.
    async fn notify(&self, recipient: &str, notice: &Notice<'_>) -> CoreResult<()>;
}

/// A person as the portal knows them: shown on the person page and in the people API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortalProfile {
    /// Their portal user id.
    pub user_id: u64,
    /// Their profile on the portal.
    pub url: String,
    /// The names of their departments on the portal, as the users robot last read them.
    pub departments: Vec<String>,
    /// The portal user is inactive or gone (the "left the portal — offboard?" list).
    pub left: bool,
}

/// Who people are on the portal, for the pages. Implemented by the `bitrix24` crate over what
/// its users robot stored; [`NoPortalProfiles`] stands in without a portal.
#[async_trait]
pub trait PortalProfiles: Send + Sync {
    /// The profiles of those of `people` the portal knows (one lookup for a whole page).
    async fn profiles(
        &self,
        people: &[PersonId],
    ) -> CoreResult<std::collections::HashMap<PersonId, PortalProfile>>;
}

/// No portal: nobody has a profile there.
pub struct NoPortalProfiles;

#[async_trait]
impl PortalProfiles for NoPortalProfiles {
    async fn profiles(
        &self,
        _: &[PersonId],
    ) -> CoreResult<std::collections::HashMap<PersonId, PortalProfile>> {
        Ok(std::collections::HashMap::new())
    }
}

/// Where a person's SSH keys reach: the access capability's SSH grants. The people
/// directory asks when keys are added, so the access managers hear at once of a key that is
/// served to servers. Core knows no capability: the binary hands in the access capability's
/// implementation, and [`NoServerAccess`] stands in without it.
#[async_trait]
pub trait ServerAccess: Send + Sync {
    /// The SSH grants in force for `person`, described for people (`alice on web (sudo)`);
    /// empty when their keys reach no server.
    async fn ssh_grants(&self, person: PersonId) -> CoreResult<Vec<String>>;
}

/// No access capability: keys reach no server.
pub struct NoServerAccess;

#[async_trait]
impl ServerAccess for NoServerAccess {
    async fn ssh_grants(&self, _: PersonId) -> CoreResult<Vec<String>> {
        Ok(Vec::new())
    }
}

/// The [`Directory`] over our own people tables.
#[derive(Clone)]
pub struct BuiltinDirectory {
    db: Db,
}

impl BuiltinDirectory {
    pub fn new(db: Db) -> Self {
        BuiltinDirectory { db }
    }
}

#[async_trait]
impl Directory for BuiltinDirectory {
    async fn person_by_email(&self, email: &Email) -> CoreResult<Option<PersonId>> {
        crate::people::find_by_email(&self.db, email).await
    }

    async fn people_by_emails(
        &self,
        emails: &[Email],
    ) -> CoreResult<std::collections::HashMap<Email, PersonId>> {
        crate::people::find_by_emails(&self.db, emails).await
    }

    async fn person_by_forge_login(
        &self,
        forge: Forge,
        login: &str,
    ) -> CoreResult<Option<PersonId>> {
        crate::people::find_by_forge_login(&self.db, forge, login).await
    }

    async fn responsible_manager(&self, person: PersonId) -> CoreResult<Option<PersonId>> {
        let manager: Option<Option<i64>> =
            sqlx::query_scalar("SELECT manager_id FROM people WHERE id = $1")
                .bind(person.0)
                .fetch_optional(self.db.pool())
                .await?;
        match manager {
            None => Err(crate::CoreError::NotFound("person")),
            Some(m) => Ok(m.map(PersonId)),
        }
    }
}

/// The built-in implementations of the ports that exist so far.
pub fn builtin_directory(db: &Db) -> BuiltinDirectory {
    BuiltinDirectory::new(db.clone())
}

pub fn builtin_notifier(
    db: &Db,
    config: &std::sync::Arc<Config>,
) -> crate::notify::BuiltinNotifier {
    crate::notify::BuiltinNotifier::new(db.clone(), config.clone())
}
