//! `GET /people/{id}`: everything about a person, and the form to mark them as left.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use shtab_core::auth::Permission;
use shtab_core::ids::PersonId;
use shtab_core::people::{self, Person, PersonStatus, StoredSshKey};
use shtab_core::ports::PortalProfile;

use super::texts::{PeopleTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::{PagePath, Saved};
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

/// A person as the page shows them: dates in the reader's format, absent values as "—".
pub struct PersonView {
    id: i64,
    name: String,
    work_email: Option<String>,
    aliases: Vec<String>,
    phone: Option<String>,
    telegram: Option<String>,
    position: String,
    manager: Option<(i64, String)>,
    status: &'static str,
    active: bool,
    started_on: String,
    left_on: Option<String>,
    /// (forge, login).
    logins: Vec<(&'static str, String)>,
    keys: Vec<StoredSshKey>,
    user_id: Option<i64>,
}

impl PersonView {
    fn new(t: &PeopleTexts, p: Person) -> PersonView {
        let mut emails = p.emails.iter().map(|e| e.as_str().to_string());
        let work_email = emails.next();
        PersonView {
            id: p.id.0,
            name: p.full_name,
            work_email,
            aliases: emails.collect(),
            phone: p.phone,
            telegram: p.telegram,
            position: p.position.unwrap_or_else(|| t.not_set.into()),
            manager: p.manager_id.zip(p.manager_name).map(|(id, n)| (id.0, n)),
            status: t.status(p.status),
            active: p.status == PersonStatus::Active,
            started_on: p
                .started_on
                .map(|d| t.date(d))
                .unwrap_or_else(|| t.not_set.into()),
            left_on: p.left_on.map(|d| t.date(d)),
            logins: p
                .forge_logins
                .into_iter()
                .map(|l| (t.field_label(l.forge.as_str()), l.login))
                .collect(),
            keys: p.ssh_keys,
            user_id: p.user_id.map(|u| u.0),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "people/show.html")]
pub struct ShowPage {
    shell: Shell,
    t: &'static PeopleTexts,
    p: PersonView,
    /// Who they are on the Bitrix24 portal, when it knows them.
    portal: Option<PortalProfile>,
    saved: bool,
    can_write: bool,
    can_manage_users: bool,
    /// The deactivation form's date, as typed or today.
    left_on: String,
    errors: FormErrors,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<PersonId>,
    Saved(saved): Saved,
) -> Result<ShowPage, PageError> {
    let today = super::deactivate::today(&state).to_string();
    page(&state, &user, lang, id, saved, today, FormErrors::default()).await
}

/// The page, also shown again (with `errors`) when the deactivation form is rejected.
pub async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: PersonId,
    saved: bool,
    left_on: String,
    errors: FormErrors,
) -> Result<ShowPage, PageError> {
    user.require(Permission::PeopleRead)?;
    let t = texts(lang.0);
    let person = people::get(&state.db, id).await?;
    let portal = state.portal_profiles.profiles(&[id]).await?.remove(&id);
    Ok(ShowPage {
        shell: Shell::new(state, user, lang, person.full_name.clone(), "/people"),
        t,
        p: PersonView::new(t, person),
        portal,
        saved,
        can_write: user.can(Permission::PeopleWrite),
        can_manage_users: user.can(Permission::UsersManage),
        left_on,
        errors,
    })
}
