//! `GET /audit`: the log, newest first, filtered by who, what and when, paged by "older".

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;
use shtab_core::FieldError;
use shtab_core::audit::{self, ActorKind, AuditEntry, AuditFilter};
use shtab_core::auth::{Permission, users};
use shtab_core::people::parse_date;
use shtab_core::time::format_ms;

use super::changes::{self, ChangeLine};
use super::period::{day_end, day_start};
use super::texts::{AuditTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;

/// Every field is text, so a hand-edited URL never meets a bare 400: a bad date is shown
/// next to its field, anything else that does not parse is no filter.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    object_kind: String,
    #[serde(default)]
    object_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before_id: String,
}

/// The "who" select: one user (in person or through their tokens), or a kind of actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActorChoice {
    Anyone,
    User(i64),
    Kind(ActorKind),
}

impl ActorChoice {
    fn parse(s: &str) -> ActorChoice {
        if let Some(id) = s.strip_prefix("user:").and_then(|id| id.parse().ok()) {
            return ActorChoice::User(id);
        }
        match ActorKind::parse(s) {
            Some(kind) => ActorChoice::Kind(kind),
            None => ActorChoice::Anyone,
        }
    }

    fn value(self) -> String {
        match self {
            ActorChoice::Anyone => String::new(),
            ActorChoice::User(id) => format!("user:{id}"),
            ActorChoice::Kind(kind) => kind.as_str().to_string(),
        }
    }

    fn apply(self, filter: &mut AuditFilter) {
        match self {
            ActorChoice::Anyone => {}
            // Robots and the system have no user id, so the id alone picks the user's own
            // changes and those made with their tokens.
            ActorChoice::User(id) => filter.actor_id = Some(id),
            ActorChoice::Kind(kind) => filter.actor_kind = Some(kind),
        }
    }
}

pub struct Choice {
    value: String,
    label: String,
    selected: bool,
}

pub struct Row {
    pub time: String,
    pub actor: String,
    /// How a non-person acted ("token", "robot"), shown beside the name.
    pub actor_badge: Option<&'static str>,
    /// The actor is a process (a robot, `shtab demo`, the first start): its name is shown
    /// as the identifier it is.
    pub actor_is_process: bool,
    pub action: String,
    pub action_code: String,
    pub object: String,
    pub object_href: Option<String>,
    pub changes: Vec<ChangeLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/list.html")]
pub struct AuditPageView {
    shell: Shell,
    t: &'static AuditTexts,
    users: Vec<Choice>,
    others: Vec<Choice>,
    anyone_selected: bool,
    object_kinds: Vec<Choice>,
    object_id: String,
    from: String,
    to: String,
    errors: FormErrors,
    rows: Vec<Row>,
    newest: Option<String>,
    older: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(query): Query<AuditQuery>,
) -> Result<AuditPageView, PageError> {
    user.require(Permission::AuditRead)?;
    let t = texts(lang.0);
    let actor = ActorChoice::parse(query.actor.trim());
    let object_kind = query.object_kind.trim();
    let object_id = query.object_id.trim();
    let from = query.from.trim();
    let to = query.to.trim();
    let before_id = query.before_id.trim().parse::<i64>().ok();

    let mut filter = AuditFilter {
        object_kind: Some(object_kind.to_string()).filter(|s| !s.is_empty()),
        object_id: Some(object_id.to_string()).filter(|s| !s.is_empty()),
        before_id,
        limit: PAGE_SIZE,
        ..AuditFilter::default()
    };
    actor.apply(&mut filter);
    let mut bad_dates: Vec<FieldError> = Vec::new();
    if !from.is_empty() {
        match parse_date("from", from) {
            Ok(d) => filter.since = Some(day_start(d, &state.config)),
            Err(e) => bad_dates.push(e),
        }
    }
    if !to.is_empty() {
        match parse_date("to", to) {
            Ok(d) => filter.until = Some(day_end(d, &state.config)),
            Err(e) => bad_dates.push(e),
        }
    }

    // A filter that does not parse would show entries it does not describe; show none.
    let (rows, next_before_id) = if bad_dates.is_empty() {
        let page = audit::list(&state.db, &filter).await?;
        let rows = page
            .entries
            .into_iter()
            .map(|e| row(&state, &user, t, e))
            .collect();
        (rows, page.next_before_id)
    } else {
        (Vec::new(), None)
    };

    let base = [
        ("actor", actor.value()),
        ("object_kind", object_kind.to_string()),
        ("object_id", object_id.to_string()),
        ("from", from.to_string()),
        ("to", to.to_string()),
    ];
    let all_users = users::list(&state.db).await?;
    Ok(AuditPageView {
        shell: Shell::new(&state, &user, lang, t.title, "/audit"),
        t,
        users: all_users
            .into_iter()
            .map(|u| Choice {
                value: ActorChoice::User(u.id.0).value(),
                label: u.full_name,
                selected: actor == ActorChoice::User(u.id.0),
            })
            .collect(),
        others: [
            (ActorKind::Token, t.tokens),
            (ActorKind::Robot, t.robots),
            (ActorKind::System, t.system),
        ]
        .into_iter()
        .map(|(kind, label)| Choice {
            value: kind.as_str().to_string(),
            label: label.to_string(),
            selected: actor == ActorChoice::Kind(kind),
        })
        .collect(),
        anyone_selected: actor == ActorChoice::Anyone,
        object_kinds: object_kind_choices(&state, t, object_kind).await?,
        object_id: object_id.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        errors: FormErrors::new(lang.0, &bad_dates),
        rows,
        newest: before_id.map(|_| link(&base, None)),
        older: next_before_id.map(|id| link(&base, Some(id))),
    })
}

/// The kinds the log holds, and the one asked for even when it holds none of it yet.
async fn object_kind_choices(
    state: &AppState,
    t: &'static AuditTexts,
    current: &str,
) -> Result<Vec<Choice>, PageError> {
    let mut kinds = audit::object_kinds(&state.db).await?;
    if !current.is_empty() && !kinds.iter().any(|k| k == current) {
        kinds.push(current.to_string());
    }
    Ok(kinds
        .into_iter()
        .map(|kind| Choice {
            label: t.object_kind(&kind).to_string(),
            selected: kind == current,
            value: kind,
        })
        .collect())
}

pub(crate) fn row(
    state: &AppState,
    user: &CurrentUser,
    t: &'static AuditTexts,
    e: AuditEntry,
) -> Row {
    let object_href = match e.object_kind.as_str() {
        "person" if user.can(Permission::PeopleRead) => Some(format!("/people/{}", e.object_id)),
        "user" if user.can(Permission::UsersManage) => Some(format!("/users/{}", e.object_id)),
        _ => None,
    };
    Row {
        time: format_ms(e.at, state.config.time_zone()),
        actor_badge: match ActorKind::parse(&e.actor_kind) {
            Some(ActorKind::Token) => Some(t.via_token),
            Some(ActorKind::Robot) => Some(t.robot),
            Some(ActorKind::System) => Some(t.system_actor),
            Some(ActorKind::User) | None => None,
        },
        actor_is_process: matches!(
            ActorKind::parse(&e.actor_kind),
            Some(ActorKind::Robot | ActorKind::System)
        ),
        actor: e.actor_label,
        action: t.action(&e.action).to_string(),
        action_code: e.action,
        object: format!("{}: {}", t.object_kind(&e.object_kind), e.object_label),
        object_href,
        changes: changes::lines(&e.changes, t.nothing, &|ms| {
            format_ms(ms, state.config.time_zone())
        }),
    }
}

/// This page with the same filters, from the newest entry or from before `before_id`.
fn link(base: &[(&str, String)], before_id: Option<i64>) -> String {
    let mut pairs: Vec<(&str, String)> = base
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .cloned()
        .collect();
    if let Some(id) = before_id {
        pairs.push(("before_id", id.to_string()));
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if query.is_empty() {
        "/audit".to_string()
    } else {
        format!("/audit?{query}")
    }
}
