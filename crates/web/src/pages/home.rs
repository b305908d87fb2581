use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use shtab_core::auth::{Permission, users};
use shtab_core::people;

use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::{Lang, pick};
use crate::shell::Shell;
use crate::state::AppState;

#[derive(Debug)]
pub struct HomeTexts {
    pub title: &'static str,
    pub welcome: &'static str,
    pub people: &'static str,
    pub users: &'static str,
}

static RU: HomeTexts = HomeTexts {
    title: "Главная",
    welcome: "Здравствуйте",
    people: "Людей в справочнике",
    users: "Пользователей",
};
static EN: HomeTexts = HomeTexts {
    title: "Home",
    welcome: "Hello",
    people: "People in the directory",
    users: "Users",
};

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    shell: Shell,
    t: &'static HomeTexts,
    organisation: String,
    people: Option<i64>,
    users: Option<i64>,
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
    Ok(HomePage {
        shell: Shell::new(&state, &user, lang, t.title, "/"),
        t,
        organisation,
        people,
        users,
    })
}
