//! `GET /`: what needs the user's attention (counts from the platform and every capability,
//! each linking to the list that shows exactly those), the first steps for an admin until
//! they are done, and the latest entries of the audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use shtab_core::audit::{self, AuditFilter};
use shtab_core::auth::{Permission, users};
use shtab_core::people;

use crate::audit::page::{Row as ActivityRow, row as activity_row};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::hooks::{attention, first_steps};
use crate::i18n::{Lang, pick};
use crate::shell::Shell;
use crate::state::AppState;

/// Entries of the audit log shown under "recent activity".
const RECENT: i64 = 10;

#[derive(Debug)]
pub struct HomeTexts {
    pub title: &'static str,
    pub welcome: &'static str,
    pub people: &'static str,
    pub users: &'static str,
    pub attention: &'static str,
    pub all_clear: &'static str,
    pub first_steps: &'static str,
    pub first_steps_hint: &'static str,
    pub done: &'static str,
    pub to_do: &'static str,
    pub recent: &'static str,
    pub whole_log: &'static str,
}

static RU: HomeTexts = HomeTexts {
    title: "Главная",
    welcome: "Здравствуйте",
    people: "Людей в справочнике",
    users: "Пользователей",
    attention: "Требует внимания",
    all_clear: "Ничто не ждёт вашего внимания.",
    first_steps: "Первые шаги",
    first_steps_hint: "Отмечается само, когда настройка работает.",
    done: "готово",
    to_do: "не сделано",
    recent: "Последние события",
    whole_log: "Весь журнал",
};
static EN: HomeTexts = HomeTexts {
    title: "Home",
    welcome: "Hello",
    people: "People in the directory",
    users: "Users",
    attention: "Needs attention",
    all_clear: "Nothing is waiting for you.",
    first_steps: "First steps",
    first_steps_hint: "Each is ticked by itself once the setting works.",
    done: "done",
    to_do: "to do",
    recent: "Recent activity",
    whole_log: "The whole log",
};

pub struct AttentionView {
    pub key: &'static str,
    pub count: i64,
    pub label: &'static str,
    pub href: String,
}

pub struct StepView {
    pub key: &'static str,
    pub done: bool,
    pub label: &'static str,
    pub href: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    shell: Shell,
    t: &'static HomeTexts,
    organisation: String,
    people: Option<i64>,
    users: Option<i64>,
    attention: Vec<AttentionView>,
    steps: Vec<StepView>,
    /// `None` when the user may not read the audit log.
    recent: Option<Vec<ActivityRow>>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<HomePage, PageError> {
    let t = pick(lang.0, &RU, &EN);
    let people = if user.can(Permission::PeopleRead) {
        Some(people::count(&state.db).await?)
    } else {
        None
    };
    let users = if user.can(Permission::UsersManage) {
        Some(users::count(&state.db).await?)
    } else {
        None
    };
    let organisation =
        shtab_core::settings::get(&state.db, shtab_core::settings::ORGANISATION_NAME)
            .await?
            .unwrap_or_default();
    let attention = attention::gather(&state, &user)
        .await?
        .into_iter()
        .filter(|i| i.count > 0)
        .map(|i| AttentionView {
            key: i.key,
            count: i.count,
            label: i.label(lang.0),
            href: i.href,
        })
        .collect();
    let steps = first_steps::pending(&state, &user)
        .await?
        .into_iter()
        .map(|s| StepView {
            key: s.key,
            done: s.done,
            label: s.label(lang.0),
            href: s.href,
        })
        .collect();
    let recent = if user.can(Permission::AuditRead) {
        let audit_texts = crate::audit::texts::texts(lang.0);
        let page = audit::list(
            &state.db,
            &AuditFilter {
                limit: RECENT,
                ..Default::default()
            },
        )
        .await?;
        Some(
            page.entries
                .into_iter()
                .map(|e| activity_row(&state, &user, audit_texts, e))
                .collect(),
        )
    } else {
        None
    };
    Ok(HomePage {
        shell: Shell::new(&state, &user, lang, t.title, "/"),
        t,
        organisation,
        people,
        users,
        attention,
        steps,
        recent,
    })
}
