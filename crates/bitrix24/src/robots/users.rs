//! The robot `bitrix24.users`: the portal's active employees become and stay people.
//!
//! A portal user is matched by the portal user id remembered from an earlier run, else by
//! their e-mail against any of a person's addresses (addresses are stored lower-cased, so the
//! match ignores case), else becomes a new person. Name, work e-mail, phone and position are
//! kept in line through the people store (audited as this robot); the names of their
//! departments (`department.get`) beside the match, for the person page. Each matched person
//! is given the `bitrix24` notification channel once (their choice after that stands: a
//! channel switched off or removed is not given back). A remembered user who is no
//! longer active goes on the "left the portal — offboard?" list and the access managers are
//! told once; nothing is revoked or deleted. An e-mail two people claim is a conflict for a
//! person to settle, never a guess. A second run with nothing changed on the portal changes
//! nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, json};
use shtab_core::audit::Actor;
use shtab_core::auth::{Permission, Role, users};
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::notify::{self, Channel};
use shtab_core::people::{self, PersonStatus, RawPersonInput};
use shtab_core::ports::{Message, Notifier};
use shtab_core::robots::{LogLevel, Robot, RobotError, RunContext};
use shtab_core::types::{Email, Locale};

use crate::client::decode::{PortalId, de_flag, de_text};
use crate::client::{Bitrix24Error, Client, IdPager};
use crate::store::people::{self as store, Conflict};

/// The access managers' message when a matched portal user left.
pub const USER_LEFT_TEMPLATE: &str = "bitrix24.user_left";

/// One employee as `user.get` answers (ids and flags as text or numbers).
#[derive(Debug, Clone, Deserialize)]
pub struct PortalUser {
    #[serde(rename = "ID")]
    pub id: PortalId,
    #[serde(rename = "ACTIVE", default = "yes", deserialize_with = "de_flag")]
    pub active: bool,
    #[serde(rename = "NAME", default, deserialize_with = "de_text")]
    pub name: String,
    #[serde(rename = "LAST_NAME", default, deserialize_with = "de_text")]
    pub last_name: String,
    #[serde(rename = "EMAIL", default, deserialize_with = "de_text")]
    pub email: String,
    #[serde(rename = "PERSONAL_MOBILE", default, deserialize_with = "de_text")]
    pub personal_mobile: String,
    #[serde(rename = "WORK_PHONE", default, deserialize_with = "de_text")]
    pub work_phone: String,
    #[serde(rename = "WORK_POSITION", default, deserialize_with = "de_text")]
    pub work_position: String,
    /// The departments' ids, in the portal's order.
    #[serde(rename = "UF_DEPARTMENT", default, deserialize_with = "de_ids")]
    pub departments: Vec<u64>,
}

/// A list of ids as text or numbers; anything else (`false`, `null`, absent: a user outside
/// the structure) is none.
fn de_ids<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|i| serde_json::from_value::<PortalId>(i).ok())
            .map(|i| i.0)
            .collect(),
        _ => Vec::new(),
    })
}

/// One department as `department.get` answers.
#[derive(Debug, Clone, Deserialize)]
struct PortalDepartment {
    #[serde(rename = "ID")]
    id: PortalId,
    #[serde(rename = "NAME", default, deserialize_with = "de_text")]
    name: String,
}

fn yes() -> bool {
    true
}

impl PortalUser {
    fn full_name(&self) -> String {
        let name = format!("{} {}", self.name.trim(), self.last_name.trim());
        let name = name.trim();
        if name.is_empty() {
            format!("Bitrix24 #{}", self.id)
        } else {
            name.to_owned()
        }
    }

    fn email(&self) -> Option<Email> {
        Email::parse("email", &self.email).ok()
    }

    fn phone(&self) -> Option<String> {
        [&self.personal_mobile, &self.work_phone]
            .into_iter()
            .map(|p| p.trim())
            .find(|p| !p.is_empty())
            .map(str::to_owned)
    }
}

pub struct Users {
    client: Client,
    notifier: Arc<dyn Notifier>,
}

impl Users {
    pub fn new(client: Client, notifier: Arc<dyn Notifier>) -> Users {
        Users { client, notifier }
    }
}

/// What a run did, for its counters and the tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    pub created: i64,
    pub updated: i64,
    pub matched: i64,
    pub left: i64,
    pub conflicts: i64,
    /// Why the department names could not be read this time (they were kept as they were).
    pub departments_unread: Option<String>,
}

#[async_trait::async_trait]
impl Robot for Users {
    fn name(&self) -> &'static str {
        "bitrix24.users"
    }

    fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Ru => "Сотрудники из Битрикс24",
            Locale::En => "Employees from Bitrix24",
        }
    }

    fn default_schedule(&self) -> &'static str {
        "17 * * * *"
    }

    async fn run(&self, ctx: &RunContext) -> Result<(), RobotError> {
        let tally = self
            .sync(ctx.db())
            .await
            .map_err(|e| RobotError(e.to_string()))?;
        for (name, n) in [
            ("created", tally.created),
            ("updated", tally.updated),
            ("matched", tally.matched),
            ("left", tally.left),
            ("conflicts", tally.conflicts),
        ] {
            ctx.count(name, n).await?;
        }
        if let Some(why) = &tally.departments_unread {
            ctx.log(
                LogLevel::Warn,
                format!("departments not read, the last names kept: {why}"),
            )
            .await?;
        }
        // Everyone still on the list, not only this run's newcomers: whoever runs the robot
        // by hand (`shtab robots run bitrix24.users`) reads who awaits a decision.
        for d in store::departed(ctx.db()).await? {
            ctx.log(
                LogLevel::Warn,
                format!(
                    "left the portal, offboard? {} (portal user {}): /access/people/{}/offboard",
                    d.full_name, d.portal_user_id, d.person_id.0
                ),
            )
            .await?;
        }
        if tally.conflicts > 0 {
            ctx.log(
                LogLevel::Warn,
                format!(
                    "{} portal user(s) share an e-mail with someone else: see /settings/bitrix24",
                    tally.conflicts
                ),
            )
            .await?;
        }
        Ok(())
    }
}

/// Why a run stopped: the portal refused, or the database failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Portal(#[from] Bitrix24Error),
    #[error(transparent)]
    Core(#[from] shtab_core::CoreError),
}

impl Users {
    /// One run: reads the portal's active employees and brings the people in line.
    pub async fn sync(&self, db: &Db) -> Result<Tally, SyncError> {
        let actor = Actor::robot("bitrix24.users");
        let mut filter = Map::new();
        filter.insert("ACTIVE".into(), json!(true));
        let raw = self.client.list_all_by_id(&IdPager::users(filter)).await?;
        let mut portal: Vec<PortalUser> = Vec::with_capacity(raw.len());
        for item in raw {
            let user: PortalUser =
                serde_json::from_str(item.get()).map_err(|e| Bitrix24Error::Decode {
                    method: "user.get".into(),
                    message: e.to_string(),
                })?;
            // The filter asked for active users; a portal that ignores it must not make
            // leavers into people.
            if user.active {
                portal.push(user);
            }
        }

        let links = store::links(db).await?;
        let by_user: HashMap<u64, PersonId> = links
            .iter()
            .map(|l| (l.portal_user_id, l.person_id))
            .collect();
        let linked_people: HashSet<PersonId> = links.iter().map(|l| l.person_id).collect();
        // An address two unmatched portal users give cannot tell which of them a person is.
        let mut claims: HashMap<String, usize> = HashMap::new();
        for u in portal.iter().filter(|u| !by_user.contains_key(&u.id.0)) {
            if let Some(e) = u.email() {
                *claims.entry(e.as_str().to_owned()).or_default() += 1;
            }
        }

        let mut tally = Tally::default();
        let mut conflicts = Vec::new();
        let mut taken: HashSet<PersonId> = HashSet::new();
        for user in &portal {
            let conflict = |reason: &str| Conflict {
                portal_user_id: user.id.0,
                portal_name: user.full_name(),
                email: user.email.trim().to_owned(),
                reason: reason.to_owned(),
            };
            if let Some(&person) = by_user.get(&user.id.0) {
                store::mark_back(db, user.id.0).await?;
                let in_line = keep_in_line(db, &actor, person, user).await?;
                tally.updated += i64::from(in_line.changed);
                if in_line.email_held_by_another {
                    conflicts.push(conflict("email_held_by_another_person"));
                }
                continue;
            }
            let email = user.email();
            if let Some(e) = &email {
                if claims.get(e.as_str()).copied().unwrap_or(0) > 1 {
                    conflicts.push(conflict("shared_by_portal_users"));
                    continue;
                }
                if let Some(person) = people::find_by_email(db, e).await? {
                    if linked_people.contains(&person) || taken.contains(&person) {
                        conflicts.push(conflict("person_matched_to_another_portal_user"));
                        continue;
                    }
                    store::link(db, user.id.0, person).await?;
                    taken.insert(person);
                    tally.matched += 1;
                    // Found by this very address, so no one else holds it.
                    tally.updated +=
                        i64::from(keep_in_line(db, &actor, person, user).await?.changed);
                    continue;
                }
            }
            let input = RawPersonInput {
                full_name: user.full_name(),
                emails: email.iter().map(|e| e.as_str().to_owned()).collect(),
                phone: user.phone(),
                position: non_empty(&user.work_position),
                ..Default::default()
            }
            .parse()?;
            let person = people::create(db, &actor, &input).await?;
            store::link(db, user.id.0, person.id).await?;
            tally.created += 1;
        }

        let active: HashSet<u64> = portal.iter().map(|u| u.id.0).collect();
        for l in links.iter().filter(|l| !active.contains(&l.portal_user_id)) {
            if store::mark_left(db, l.portal_user_id).await? {
                tally.left += 1;
                self.tell_access_managers(db, l.person_id, l.portal_user_id)
                    .await?;
            }
        }
        tally.conflicts = conflicts.len() as i64;
        store::replace_conflicts(db, &conflicts).await?;
        let departments = match self.departments(&portal).await {
            Ok(names) => Some(names),
            Err(e) => {
                tally.departments_unread = Some(e.to_string());
                None
            }
        };
        self.keep_beside(db, &actor, &portal, departments.as_ref())
            .await?;
        Ok(tally)
    }

    /// The names of the departments `users` are in: `department.get` by id, 50 at a time
    /// (its page). A department the portal does not return (deleted) has no name.
    async fn departments(&self, users: &[PortalUser]) -> Result<HashMap<u64, String>, SyncError> {
        let mut ids: Vec<u64> = users
            .iter()
            .flat_map(|u| u.departments.iter().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut names = HashMap::new();
        for chunk in ids.chunks(crate::client::paging::PAGE_SIZE) {
            let answer = self
                .client
                .call(
                    "department.get",
                    &json!({"ID": chunk, "sort": "ID", "order": "ASC"}),
                )
                .await?;
            let found: Vec<PortalDepartment> = answer.decode()?;
            for d in found {
                names.insert(d.id.0, d.name.trim().to_owned());
            }
        }
        Ok(names)
    }

    /// For every active, matched portal user: their department names (when read), and the
    /// `bitrix24` channel once.
    async fn keep_beside(
        &self,
        db: &Db,
        actor: &Actor,
        portal: &[PortalUser],
        departments: Option<&HashMap<u64, String>>,
    ) -> Result<(), SyncError> {
        let by_user: HashMap<u64, PersonId> = store::links(db)
            .await?
            .into_iter()
            .map(|l| (l.portal_user_id, l.person_id))
            .collect();
        let kept = store::kept(db).await?;
        for user in portal {
            let Some(&person) = by_user.get(&user.id.0) else {
                continue;
            };
            let before = kept.get(&user.id.0).cloned().unwrap_or_default();
            if let Some(names) = departments {
                let now: Vec<String> = user
                    .departments
                    .iter()
                    .filter_map(|id| names.get(id))
                    .filter(|n| !n.is_empty())
                    .cloned()
                    .collect();
                if now != before.departments {
                    store::set_departments(db, user.id.0, &now).await?;
                }
            }
            if !before.channel_offered {
                notify::add_channel_if_absent(
                    db,
                    actor,
                    person,
                    Channel::Bitrix24,
                    &user.id.0.to_string(),
                )
                .await?;
                store::mark_channel_offered(db, user.id.0).await?;
            }
        }
        Ok(())
    }

    async fn tell_access_managers(
        &self,
        db: &Db,
        person: PersonId,
        portal_user: u64,
    ) -> CoreResult<()> {
        let p = people::get(db, person).await?;
        if p.status != PersonStatus::Active {
            return Ok(());
        }
        let message = Message {
            template: USER_LEFT_TEMPLATE.into(),
            context: json!({"person": p.full_name, "portal_user": portal_user}),
            link: Some(format!("/access/people/{}/offboard", person.0)),
        };
        for manager in users::list(db)
            .await?
            .into_iter()
            .filter(|u| u.is_active() && Role::grants(&u.roles, Permission::AccessManage))
        {
            self.notifier.send(manager.person_id, &message).await?;
        }
        Ok(())
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// What bringing a person in line came to.
#[derive(Debug, Default)]
struct InLine {
    changed: bool,
    /// The portal's address belongs to another person: left with them, shown as a conflict.
    email_held_by_another: bool,
}

/// Brings `person` in line with the portal user. Addresses the person has beside the
/// portal's are kept; a phone or position the portal leaves empty is not erased.
async fn keep_in_line(
    db: &Db,
    actor: &Actor,
    person: PersonId,
    user: &PortalUser,
) -> CoreResult<InLine> {
    let before = people::get(db, person).await?;
    let mut raw = before.to_raw();
    let mut outcome = InLine::default();
    raw.full_name = user.full_name();
    if let Some(e) = user.email()
        && !before.emails.contains(&e)
    {
        match people::find_by_email(db, &e).await? {
            Some(other) if other != person => outcome.email_held_by_another = true,
            _ => raw.emails.insert(0, e.as_str().to_owned()),
        }
    }
    if let Some(phone) = user.phone() {
        raw.phone = Some(phone);
    }
    if let Some(position) = non_empty(&user.work_position) {
        raw.position = Some(position);
    }
    let input = raw.parse()?;
    let same = input.full_name == before.full_name
        && input.emails == before.emails
        && input.phone == before.phone
        && input.position == before.position;
    if !same {
        people::update(db, actor, person, &input).await?;
        outcome.changed = true;
    }
    Ok(outcome)
}
