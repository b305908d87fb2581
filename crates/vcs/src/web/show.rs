//! `GET /repositories/{id}`: a repository's settings, what to paste into the forge (the
//! webhook address and, for those who manage repositories, its secret), the last
//! deliveries with why any was refused, and the last sweep.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::Lang;
use shtab_web::shell::Shell;

use super::texts::{VcsTexts, texts};
use super::view::{webhook_url, when};
use crate::domain::clone_url;
use crate::domain::repository::RepoForge;
use crate::store::deliveries::{self, Delivery};
use crate::store::{Repository, RepositoryId, repositories};

/// How many deliveries the page lists.
const DELIVERIES_SHOWN: i64 = 20;

/// What the redirects after an action leave in the address (`?saved=1`, `?rotated=1`,
/// `&credential_dropped=1`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    saved: Option<String>,
    rotated: Option<String>,
    credential_dropped: Option<String>,
}

pub struct DeliveryRow {
    at: String,
    event: String,
    claimed_id: String,
    status: String,
    /// The badge's colour.
    class: &'static str,
    reason: String,
    commits: i64,
    linked: i64,
}

impl DeliveryRow {
    fn new(state: &AppState, t: &VcsTexts, lang: Lang, d: Delivery) -> DeliveryRow {
        DeliveryRow {
            at: when(state, Some(d.received_at), ""),
            class: match d.status.as_str() {
                "processed" => "badge-ok",
                "rejected" | "failed" => "badge-danger",
                "queued" => "badge-warn",
                _ => "badge-muted",
            },
            status: t.delivery_status(&d.status).to_string(),
            event: d.event,
            claimed_id: d.claimed_id,
            // The job's note is stored in English; the reader gets their language.
            reason: shtab_web::words::notes::in_language(&d.reason, lang.0),
            commits: d.commits,
            linked: d.linked,
        }
    }
}

/// The webhook as the forge's settings page asks for it.
pub struct HookView {
    url: String,
    /// Where in the forge to paste it.
    how: &'static str,
    events: &'static str,
    /// GitLab has no content-type choice; the others must be told JSON.
    asks_content_type: bool,
}

impl HookView {
    fn new(state: &AppState, t: &VcsTexts, forge: RepoForge) -> Option<HookView> {
        let url = webhook_url(state, forge)?;
        let (how, events) = match forge {
            RepoForge::Github => (t.webhook_how_github, t.events_github),
            RepoForge::Gitlab => (t.webhook_how_gitlab, t.events_gitlab),
            RepoForge::Gitea | RepoForge::Git => (t.webhook_how_gitea, t.events_gitea),
        };
        Some(HookView {
            url,
            how,
            events,
            asks_content_type: forge != RepoForge::Gitlab,
        })
    }
}

/// The repository as the page shows it; secrets only where the reader may see them.
pub struct RepositoryView {
    id: i64,
    name: String,
    forge: &'static str,
    clone_url: String,
    web_url: String,
    credential_username: String,
    has_credential: bool,
    branch_filter: Vec<String>,
    ref_patterns: Vec<String>,
    project_keys: String,
    enabled: bool,
    /// What to set up on the forge; `None` for plain git, which sends no webhooks.
    hook: Option<HookView>,
    webhook_secret: Option<String>,
    sweep_at: String,
    sweep_status: Option<(&'static str, &'static str)>,
    sweep_error: String,
    sweep_commits: i64,
    /// "N more refused calls were counted but not kept", when there were any.
    rejected_dropped: Option<String>,
}

impl RepositoryView {
    fn new(state: &AppState, t: &VcsTexts, r: Repository, can_manage: bool) -> RepositoryView {
        let lines = |s: &str| {
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        };
        RepositoryView {
            id: r.id.0,
            forge: t.forge(r.forge),
            clone_url: clone_url::redacted(&r.clone_url),
            has_credential: r.has_credential(),
            branch_filter: lines(&r.branch_filter),
            ref_patterns: lines(&r.ref_patterns),
            project_keys: r.project_keys.join(", "),
            enabled: r.enabled,
            hook: HookView::new(state, t, r.forge),
            webhook_secret: can_manage.then(|| r.webhook_secret.clone()),
            sweep_at: when(state, r.last_sweep_at, t.never),
            sweep_status: match r.last_sweep_status.as_str() {
                "ok" => Some((t.sweep_ok, "badge-ok")),
                "failed" => Some((t.sweep_failed, "badge-danger")),
                _ => None,
            },
            sweep_error: r.last_sweep_error,
            sweep_commits: r.last_sweep_commits,
            rejected_dropped: (r.rejected_dropped > 0)
                .then(|| t.rejected_dropped(r.rejected_dropped)),
            name: r.name,
            web_url: r.web_url,
            credential_username: r.credential_username,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "vcs/show.html")]
pub struct ShowPage {
    shell: Shell,
    t: &'static VcsTexts,
    r: RepositoryView,
    deliveries: Vec<DeliveryRow>,
    can_manage: bool,
    can_see_robots: bool,
    saved: bool,
    rotated: bool,
    /// The last save moved the clone URL to another origin and the stored token was dropped.
    credential_dropped: bool,
    /// The delete form was sent without its confirmation.
    confirm_missing: bool,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Query(notice): Query<Notice>,
) -> Result<ShowPage, PageError> {
    let mut shown = page(&state, &user, lang, RepositoryId(id)).await?;
    shown.saved = notice.saved.is_some();
    shown.rotated = notice.rotated.is_some();
    shown.credential_dropped = notice.credential_dropped.is_some();
    Ok(shown)
}

/// The page, also shown again when the delete form comes without its confirmation.
pub async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: RepositoryId,
) -> Result<ShowPage, PageError> {
    user.require(Permission::RepositoriesRead)?;
    let t = texts(lang.0);
    let repository = repositories::get(&state.db, id).await?;
    let deliveries = deliveries::recent(&state.db, id, DELIVERIES_SHOWN)
        .await?
        .into_iter()
        .map(|d| DeliveryRow::new(state, t, lang, d))
        .collect();
    let can_manage = user.can(Permission::RepositoriesManage);
    Ok(ShowPage {
        shell: Shell::new(state, user, lang, repository.name.clone(), "/repositories"),
        t,
        r: RepositoryView::new(state, t, repository, can_manage),
        deliveries,
        can_manage,
        can_see_robots: user.can(Permission::RobotsRead),
        saved: false,
        rotated: false,
        credential_dropped: false,
        confirm_missing: false,
    })
}

impl ShowPage {
    pub fn with_confirm_missing(mut self) -> ShowPage {
        self.confirm_missing = true;
        self
    }
}
