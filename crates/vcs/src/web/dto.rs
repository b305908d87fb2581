//! What the repositories and commit-authors API reads and writes. These types are the
//! API's contract (and its OpenAPI schemas); the store's types stay free to change behind
//! them. The clone credential is write-only: no answer carries it.

use serde::{Deserialize, Serialize};
use shtab_core::time::rfc3339_ms;
use utoipa::{IntoParams, ToSchema};

use crate::domain::clone_url;
use crate::domain::repository::RawRepositoryInput;
use crate::store::Repository;
use crate::store::authors::UnmatchedAuthor;
use crate::store::deliveries::Delivery;
use crate::web::mapping::Mapped;

/// How the last sweep of a repository went.
#[derive(Debug, Serialize, ToSchema)]
pub struct SweepBody {
    /// RFC 3339.
    pub at: String,
    /// `ok` or `failed`.
    #[schema(example = "ok")]
    pub status: String,
    /// Why it failed; empty when it did not.
    pub error: String,
    /// Commits naming tasks that the sweep found.
    pub commits: i64,
}

/// A repository. Secrets: the clone credential never appears (only whether one is
/// stored); the webhook secret only for callers who manage repositories.
#[derive(Debug, Serialize, ToSchema)]
pub struct RepositoryBody {
    pub id: i64,
    #[schema(example = "Client website")]
    pub name: String,
    /// `github`, `gitlab`, `gitea` (also Forgejo) or `git` (no webhooks, sweep only).
    #[schema(example = "github")]
    pub forge: String,
    /// Shown without user-info: a user name or token is never part of it (one stored
    /// before this rule is left out of the answer).
    #[schema(example = "https://github.com/acme/app.git")]
    pub clone_url: String,
    #[schema(example = "https://github.com/acme/app")]
    pub web_url: String,
    pub credential_username: String,
    /// Whether a clone token or password is stored; the secret itself is never returned.
    pub has_credential: bool,
    /// Where the forge must send push webhooks; null for plain git.
    #[schema(example = "https://shtab.agency.ru/hooks/github")]
    pub webhook_url: Option<String>,
    /// The secret the forge signs webhooks with; null unless the caller manages
    /// repositories.
    pub webhook_secret: Option<String>,
    /// Branch globs, one per line; empty: every branch.
    #[schema(example = "main\nrelease/*")]
    pub branch_filter: String,
    /// Reference patterns, one regular expression per line; empty: the defaults.
    pub ref_patterns: String,
    /// Comma-separated; empty: any key.
    #[schema(example = "WEB, APP")]
    pub project_keys: String,
    pub enabled: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Null until the first sweep.
    pub last_sweep: Option<SweepBody>,
    /// Refused webhook calls (a wrong signature…) counted but no longer in the deliveries
    /// log, which keeps the newest 50 refused ones.
    pub rejected_dropped: i64,
}

impl RepositoryBody {
    /// `webhook_url` is the caller's to build (it needs the public address); `manager`
    /// says whether the caller may see secrets.
    pub fn new(r: Repository, webhook_url: Option<String>, manager: bool) -> RepositoryBody {
        RepositoryBody {
            id: r.id.0,
            forge: r.forge.as_str().to_string(),
            clone_url: clone_url::redacted(&r.clone_url),
            has_credential: r.has_credential(),
            webhook_url,
            webhook_secret: manager.then(|| r.webhook_secret.clone()),
            project_keys: r.project_keys.join(", "),
            created_at: rfc3339_ms(r.created_at),
            updated_at: rfc3339_ms(r.updated_at),
            last_sweep: r.last_sweep_at.map(|at| SweepBody {
                at: rfc3339_ms(at),
                status: r.last_sweep_status.clone(),
                error: r.last_sweep_error.clone(),
                commits: r.last_sweep_commits,
            }),
            rejected_dropped: r.rejected_dropped,
            name: r.name,
            web_url: r.web_url,
            credential_username: r.credential_username,
            branch_filter: r.branch_filter,
            ref_patterns: r.ref_patterns,
            enabled: r.enabled,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RepositoryList {
    /// Ordered by name.
    pub items: Vec<RepositoryBody>,
}

/// A new repository. Text fields are checked as the form checks them; field errors come
/// back as 422 naming the field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewRepository {
    #[schema(example = "Client website")]
    pub name: String,
    /// `github`, `gitlab`, `gitea` (also `forgejo`) or `git`.
    #[schema(example = "github")]
    pub forge: String,
    /// What the sweep fetches: https://, ssh://, git@host:path, or an absolute path. A user
    /// name or token inside it is refused (422, `credential_in_url`): give them as
    /// `credential_username` and `credential_secret`.
    #[schema(example = "https://github.com/acme/app.git")]
    pub clone_url: String,
    /// The repository's page; required for forges with webhooks.
    #[schema(example = "https://github.com/acme/app")]
    pub web_url: String,
    pub credential_username: String,
    /// A token or password for https clone URLs, sent only to the clone URL's scheme, host
    /// and port. Write-only.
    pub credential_secret: String,
    /// Branch globs, one per line or comma-separated; empty: every branch.
    pub branch_filter: String,
    /// Regular expressions, one per line, with a group named `task`; empty: the defaults
    /// (`#123`, `PROJ-123`, `task 123`, `задача 123`).
    pub ref_patterns: String,
    /// Comma-separated project keys; when given, only these `KEY-123` references count.
    pub project_keys: String,
    /// Default true.
    pub enabled: Option<bool>,
}

impl From<NewRepository> for RawRepositoryInput {
    fn from(n: NewRepository) -> Self {
        RawRepositoryInput {
            name: n.name,
            forge: n.forge,
            clone_url: n.clone_url,
            web_url: n.web_url,
            credential_username: n.credential_username,
            credential_secret: n.credential_secret,
            clear_credential: false,
            branch_filter: n.branch_filter,
            ref_patterns: n.ref_patterns,
            project_keys: n.project_keys,
            enabled: n.enabled,
        }
    }
}

/// Changes to a repository: fields left out keep their value. An empty
/// `credential_secret` keeps the stored one; `clear_credential: true` removes it. A stored
/// credential belongs to the clone URL's scheme, host and port: a `clone_url` on another
/// one drops it (the answer's `has_credential` turns false) unless a new
/// `credential_secret` comes in the same request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RepositoryPatch {
    pub name: Option<String>,
    pub forge: Option<String>,
    /// A new scheme, host or port drops the stored credential unless `credential_secret`
    /// is given too. A user name or token inside the URL is refused (422,
    /// `credential_in_url`): they go in `credential_username` and `credential_secret`.
    pub clone_url: Option<String>,
    pub web_url: Option<String>,
    pub credential_username: Option<String>,
    /// Write-only. Kept when empty or left out, unless the clone URL moves to another
    /// scheme, host or port.
    pub credential_secret: Option<String>,
    pub clear_credential: Option<bool>,
    pub branch_filter: Option<String>,
    pub ref_patterns: Option<String>,
    pub project_keys: Option<String>,
    pub enabled: Option<bool>,
}

impl RepositoryPatch {
    /// The repository's current settings with this patch laid over them.
    pub fn apply(self, r: &Repository) -> RawRepositoryInput {
        RawRepositoryInput {
            name: self.name.unwrap_or_else(|| r.name.clone()),
            forge: self.forge.unwrap_or_else(|| r.forge.as_str().into()),
            clone_url: self.clone_url.unwrap_or_else(|| r.clone_url.clone()),
            web_url: self.web_url.unwrap_or_else(|| r.web_url.clone()),
            credential_username: self
                .credential_username
                .unwrap_or_else(|| r.credential_username.clone()),
            // Empty keeps the stored secret: it is never read back to be sent again.
            credential_secret: self.credential_secret.unwrap_or_default(),
            clear_credential: self.clear_credential.unwrap_or(false),
            branch_filter: self
                .branch_filter
                .unwrap_or_else(|| r.branch_filter.clone()),
            ref_patterns: self.ref_patterns.unwrap_or_else(|| r.ref_patterns.clone()),
            project_keys: self
                .project_keys
                .unwrap_or_else(|| r.project_keys.join(", ")),
            enabled: Some(self.enabled.unwrap_or(r.enabled)),
        }
    }
}

/// A new webhook secret, to paste into the forge.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSecretBody {
    pub webhook_secret: String,
}

/// One webhook call for the repository, accepted or not. (Named apart from the
/// notifications' deliveries, which are another thing.)
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookDelivery)]
pub struct DeliveryBody {
    pub id: i64,
    /// The forge's delivery id as it was claimed (for rejected calls too).
    pub delivery_id: String,
    #[schema(example = "push")]
    pub event: String,
    /// `queued`, `processed`, `ignored`, `rejected` or `failed`.
    #[schema(example = "processed")]
    pub status: String,
    /// Why it was rejected or ignored, or what processing did.
    pub reason: String,
    #[schema(example = "refs/heads/main")]
    pub git_ref: String,
    pub commits: i64,
    /// Links to tasks it made.
    pub linked: i64,
    /// RFC 3339.
    pub received_at: String,
    /// RFC 3339; null while queued.
    pub processed_at: Option<String>,
}

impl From<Delivery> for DeliveryBody {
    fn from(d: Delivery) -> Self {
        DeliveryBody {
            id: d.id,
            delivery_id: d.claimed_id,
            event: d.event,
            status: d.status,
            reason: d.reason,
            git_ref: d.git_ref,
            commits: d.commits,
            linked: d.linked,
            received_at: rfc3339_ms(d.received_at),
            processed_at: d.processed_at.map(rfc3339_ms),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookDeliveryList)]
pub struct DeliveryList {
    /// Newest first.
    pub items: Vec<DeliveryBody>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// How many, newest first; 50 by default.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A commit author nobody is matched to.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedAuthorBody {
    /// Lower-cased; empty when the commits carried none (those cannot be mapped).
    #[schema(example = "ivan@home.example")]
    pub email: String,
    /// The name in the commits (one of them, when they differ).
    pub name: String,
    /// Stored commits (those naming tasks) under this address.
    pub commits: i64,
    /// RFC 3339.
    pub last_committed_at: String,
}

impl From<UnmatchedAuthor> for UnmatchedAuthorBody {
    fn from(a: UnmatchedAuthor) -> Self {
        UnmatchedAuthorBody {
            email: a.email,
            name: a.name,
            commits: a.commits,
            last_committed_at: rfc3339_ms(a.last_committed_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedAuthorList {
    /// Most recent committer first.
    pub items: Vec<UnmatchedAuthorBody>,
}

/// "This is …": the e-mail belongs to this person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorMapping {
    #[schema(example = "ivan@home.example")]
    pub email: String,
    pub person_id: i64,
}

/// What a mapping did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorMappingBody {
    /// As stored (lower-cased).
    pub email: String,
    pub person_id: i64,
    pub person_name: String,
    /// Stored commits now attributed to the person; the tracker is told in the background.
    pub commits: u64,
}

impl From<Mapped> for AuthorMappingBody {
    fn from(m: Mapped) -> Self {
        AuthorMappingBody {
            email: m.email,
            person_id: m.person.0,
            person_name: m.person_name,
            commits: m.commits,
        }
    }
}
