//! A task of another system of record (`systems.tasks = "bitrix24"`), by that system's id:
//! `/tasks/{id}` and `/api/v1/tasks/{id}/commits`. The task's title, status and card come
//! through the tracker port (which may answer from its copy); the commits that name it, linked
//! or still waiting for it, from whatever linked them. A task the tracker cannot show, or a
//! tracker that cannot be asked, still shows the commits naming it, with the reason.

use askama::Template;
use askama_web::WebTemplate;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;
use shtab_core::ids::TaskId;
use shtab_core::ports::{NamingCommit, Task};

use super::history::{self, CommitView};
use super::texts::{TasksTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::Lang;
use crate::shell::Shell;
use crate::state::{AppState, OutsideTasks};

/// What the tracker said of the task.
pub enum Asked {
    Found(Task),
    /// It has no such task, or Shtab's user there cannot see it (the portal answers both alike).
    Missing,
    /// It could not be asked; why, for people.
    Failed(String),
}

/// A task of the other system, as far as Shtab can tell.
pub struct Loaded {
    pub asked: Asked,
    pub commits: Vec<NamingCommit>,
}

impl Loaded {
    /// Nothing to show: the tracker has no such task and no commit names it.
    pub fn is_unknown(&self) -> bool {
        matches!(self.asked, Asked::Missing) && self.commits.is_empty()
    }

    /// Why a commit that names the task is not linked to it (`None` when it is), for programs.
    pub fn waiting_reason(&self, commit: &NamingCommit) -> Option<String> {
        if commit.linked {
            return None;
        }
        Some(match &self.asked {
            Asked::Found(_) => "the task exists now: the commit is linked by the tracker's event \
                                or the next repository sweep"
                .to_string(),
            Asked::Missing => "the tracker has no such task (yet), or Shtab's user there cannot \
                               see it: the commit waits for it"
                .to_string(),
            Asked::Failed(why) => format!("the tracker could not be asked: {why}"),
        })
    }
}

pub async fn load(outside: &OutsideTasks, id: TaskId) -> CoreResult<Loaded> {
    let id = id.0.to_string();
    let commits = outside.commits.naming(&id).await?;
    let asked = match outside.tracker.task_for_page(&id).await {
        Ok(Some(task)) => Asked::Found(task),
        Ok(None) => Asked::Missing,
        // Our own database failing is not the tracker's answer: the request fails as any would.
        Err(e @ CoreError::Db(_)) => return Err(e),
        Err(e) => {
            tracing::warn!(task = %id, error = %e, "the tracker could not show a task");
            Asked::Failed(e.to_string())
        }
    };
    Ok(Loaded { asked, commits })
}

#[derive(Template, WebTemplate)]
#[template(path = "tasks/outside.html")]
pub struct OutsidePage {
    shell: Shell,
    t: &'static TasksTexts,
    id: i64,
    title: String,
    /// The tracker showed the task: its status and responsible are known.
    known: bool,
    status: String,
    status_class: &'static str,
    responsible: Option<(i64, String)>,
    url: Option<String>,
    open_in: String,
    notice: Option<String>,
    commits: Vec<CommitView>,
}

fn status_class(word: &str) -> &'static str {
    match word {
        "completed" | "closed" => "badge-muted",
        "in_progress" => "badge-ok",
        _ => "badge-warn",
    }
}

pub async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    outside: &OutsideTasks,
    id: TaskId,
) -> Result<OutsidePage, PageError> {
    user.require(Permission::TasksRead)?;
    let t = texts(lang.0);
    let loaded = load(outside, id).await?;
    if loaded.is_unknown() {
        return Err(PageError::NotFound);
    }
    let system = t.system(state.config.systems.tasks);
    let fill = |text: &str, error: &str| {
        text.replace("{system}", system)
            .replace("{id}", &id.0.to_string())
            .replace("{error}", error)
    };
    let heading = match &loaded.asked {
        Asked::Found(task) => format!("{}: {}", task.reference, task.title),
        _ => format!("#{}", id.0),
    };
    let mut view = OutsidePage {
        shell: Shell::new(state, user, lang, heading, "/tasks"),
        t,
        id: id.0,
        title: String::new(),
        known: false,
        status: String::new(),
        status_class: "badge-warn",
        responsible: None,
        url: None,
        open_in: fill(t.open_in, ""),
        notice: None,
        commits: Vec::new(),
    };
    match &loaded.asked {
        Asked::Found(task) => {
            view.title = task.title.clone();
            view.known = true;
            view.status = t.outside_status(&task.status).to_string();
            view.status_class = status_class(&task.status);
            view.url = task.url.clone();
            if let Some(person) = task.responsible
                && user.can(Permission::PeopleRead)
            {
                match shtab_core::people::get(&state.db, person).await {
                    Ok(p) => view.responsible = Some((person.0, p.full_name)),
                    Err(CoreError::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Asked::Missing => view.notice = Some(fill(t.outside_missing, "")),
        Asked::Failed(why) => view.notice = Some(fill(t.outside_unreachable, why)),
    }
    let waiting: Vec<(String, String)> = loaded
        .commits
        .iter()
        .filter(|c| !c.linked)
        .map(|c| (c.commit.repository.clone(), c.commit.sha.clone()))
        .collect();
    let commits = loaded.commits.into_iter().map(|c| c.commit).collect();
    view.commits = history::commits(commits, &state.config, user.can(Permission::PeopleRead));
    for c in &mut view.commits {
        c.waiting = waiting
            .iter()
            .any(|(repository, sha)| *repository == c.repository && *sha == c.sha);
    }
    Ok(view)
}
