//! A realistic demo company, for trying Shtab out: `shtab demo`. Running it again adds
//! nothing twice (people are recognised by e-mail).

use crate::audit::Actor;
use crate::auth::{Role, random_token, users};
use crate::db::Db;
use crate::error::CoreResult;
use crate::ids::PersonId;
use crate::people::{self, Forge, ForgeLogin, RawPersonInput};
use crate::types::Email;

/// (full name, e-mail, position, manager's e-mail, GitHub login, role if a user)
type DemoPerson = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<Role>,
);

/// The demo company's e-mail domain.
pub const DOMAIN: &str = "demo-agency.ru";

const PEOPLE: &[DemoPerson] = &[
    (
        "Анна Смирнова",
        "anna.smirnova",
        "Генеральный директор",
        None,
        None,
        Some(Role::Admin),
    ),
    (
        "Дмитрий Кузнецов",
        "dmitry.kuznetsov",
        "Технический директор",
        Some("anna.smirnova"),
        Some("dkuznetsov"),
        Some(Role::Manager),
    ),
    (
        "Елена Попова",
        "elena.popova",
        "Главный бухгалтер",
        Some("anna.smirnova"),
        None,
        Some(Role::Accountant),
    ),
    (
        "Сергей Васильев",
        "sergey.vasiliev",
        "Руководитель отдела продаж",
        Some("anna.smirnova"),
        None,
        Some(Role::Manager),
    ),
    (
        "Ольга Соколова",
        "olga.sokolova",
        "Менеджер по тендерам",
        Some("sergey.vasiliev"),
        None,
        Some(Role::Manager),
    ),
    (
        "Алексей Михайлов",
        "alexey.mikhailov",
        "Ведущий разработчик",
        Some("dmitry.kuznetsov"),
        Some("amikhailov"),
        Some(Role::Developer),
    ),
    (
        "Мария Новикова",
        "maria.novikova",
        "Frontend-разработчик",
        Some("dmitry.kuznetsov"),
        Some("mnovikova"),
        Some(Role::Developer),
    ),
    (
        "Иван Фёдоров",
        "ivan.fedorov",
        "Backend-разработчик",
        Some("dmitry.kuznetsov"),
        Some("ifedorov"),
        Some(Role::Developer),
    ),
    (
        "Татьяна Морозова",
        "tatiana.morozova",
        "Тестировщик",
        Some("dmitry.kuznetsov"),
        Some("tmorozova"),
        None,
    ),
    (
        "Павел Волков",
        "pavel.volkov",
        "Системный администратор",
        Some("dmitry.kuznetsov"),
        Some("pvolkov"),
        Some(Role::Developer),
    ),
    (
        "Наталья Алексеева",
        "natalia.alekseeva",
        "Менеджер проектов",
        Some("sergey.vasiliev"),
        None,
        Some(Role::Manager),
    ),
    (
        "Андрей Лебедев",
        "andrey.lebedev",
        "Дизайнер",
        Some("natalia.alekseeva"),
        None,
        None,
    ),
    (
        "Юлия Семёнова",
        "yulia.semenova",
        "Бухгалтер",
        Some("elena.popova"),
        None,
        Some(Role::Accountant),
    ),
    (
        "Максим Егоров",
        "maxim.egorov",
        "Стажёр-разработчик",
        Some("alexey.mikhailov"),
        Some("megorov"),
        None,
    ),
];

#[derive(Debug, Default)]
pub struct DemoReport {
    pub people_created: usize,
    /// The people created now (not those already there).
    pub people: Vec<PersonId>,
    /// Users created now, with the password made for them (shown once).
    pub users: Vec<(String, Role, String)>,
}

pub async fn load(db: &Db, actor: &Actor) -> CoreResult<DemoReport> {
    let mut report = DemoReport::default();
    for (name, local, position, manager, github, role) in PEOPLE {
        let email = Email::parse("email", &format!("{local}@{DOMAIN}"))?;
        if people::find_by_email(db, &email).await?.is_some() {
            continue;
        }
        let manager_id = match manager {
            Some(m) => people::find_by_email(db, &Email::parse("email", &format!("{m}@{DOMAIN}"))?)
                .await?
                .map(|p| p.0),
            None => None,
        };
        let input = RawPersonInput {
            full_name: (*name).into(),
            emails: vec![email.to_string()],
            position: Some((*position).into()),
            manager_id,
            forge_logins: github
                .iter()
                .map(|l| ForgeLogin {
                    forge: Forge::Github,
                    login: (*l).into(),
                })
                .collect(),
            ..Default::default()
        }
        .parse()?;
        let person = people::create(db, actor, &input).await?;
        report.people_created += 1;
        report.people.push(person.id);
        if let Some(role) = role {
            let password = random_token()[..16].to_string();
            users::create(db, actor, person.id, &[*role], Some(&password)).await?;
            report.users.push((email.to_string(), *role, password));
        }
    }
    Ok(report)
}

/// The demo person whose e-mail is `local`@[`DOMAIN`], if they exist.
pub async fn person(db: &Db, local: &str) -> CoreResult<Option<PersonId>> {
    let email = Email::parse("email", &format!("{local}@{DOMAIN}"))?;
    people::find_by_email(db, &email).await
}
