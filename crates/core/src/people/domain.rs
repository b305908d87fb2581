use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::error::{CoreResult, FieldErrors};
use crate::ids::{PersonId, SshKeyId, UserId};
use crate::types::{Email, SshPublicKey, optional_text, required_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersonStatus {
    Active,
    Left,
}

impl PersonStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::Left => "left",
        }
    }

    pub fn parse(s: &str) -> Option<PersonStatus> {
        match s {
            "active" => Some(PersonStatus::Active),
            "left" => Some(PersonStatus::Left),
            _ => None,
        }
    }
}

/// The forges whose logins we keep (to match `12345+login@users.noreply.github.com`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Forge {
    Github,
    Gitlab,
    Gitea,
}

impl Forge {
    pub const ALL: [Forge; 3] = [Forge::Github, Forge::Gitlab, Forge::Gitea];

    pub fn as_str(self) -> &'static str {
        match self {
            Forge::Github => "github",
            Forge::Gitlab => "gitlab",
            Forge::Gitea => "gitea",
        }
    }

    pub fn parse(s: &str) -> Option<Forge> {
        Forge::ALL
            .into_iter()
            .find(|f| f.as_str() == s.trim().to_ascii_lowercase())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ForgeLogin {
    pub forge: Forge,
    /// Stored lower-cased: forges treat logins case-insensitively.
    pub login: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredSshKey {
    pub id: SshKeyId,
    pub algorithm: String,
    pub public_key: String,
    pub comment: String,
    pub fingerprint: String,
}

/// A person as pages and the API show them.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: PersonId,
    pub full_name: String,
    /// The first is the work address; the rest are aliases (old addresses, personal ones
    /// used in commits).
    pub emails: Vec<Email>,
    pub phone: Option<String>,
    pub telegram: Option<String>,
    pub position: Option<String>,
    pub manager_id: Option<PersonId>,
    pub manager_name: Option<String>,
    pub status: PersonStatus,
    pub started_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub forge_logins: Vec<ForgeLogin>,
    pub ssh_keys: Vec<StoredSshKey>,
    pub user_id: Option<UserId>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Person {
    /// The person as input again, for an edit form or a partial update that starts from
    /// what is stored.
    pub fn to_raw(&self) -> RawPersonInput {
        RawPersonInput {
            full_name: self.full_name.clone(),
            emails: self.emails.iter().map(|e| e.as_str().to_string()).collect(),
            phone: self.phone.clone(),
            telegram: self.telegram.clone(),
            position: self.position.clone(),
            manager_id: self.manager_id.map(|m| m.0),
            forge_logins: self.forge_logins.clone(),
            ssh_keys: self.ssh_keys.iter().map(StoredSshKey::line).collect(),
            started_on: self.started_on.map(|d| d.to_string()),
        }
    }
}

impl StoredSshKey {
    /// The key as it appears in `authorized_keys`: type, key, comment.
    pub fn line(&self) -> String {
        if self.comment.is_empty() {
            self.public_key.clone()
        } else {
            format!("{} {}", self.public_key, self.comment)
        }
    }
}

/// A row of the people list.
#[derive(Debug, Clone, Serialize)]
pub struct PersonSummary {
    pub id: PersonId,
    pub full_name: String,
    pub email: Option<String>,
    pub position: Option<String>,
    pub phone: Option<String>,
    pub telegram: Option<String>,
    pub status: PersonStatus,
    pub user_id: Option<UserId>,
}

/// What a form or an API call sends, before any checking.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawPersonInput {
    pub full_name: String,
    pub emails: Vec<String>,
    pub phone: Option<String>,
    pub telegram: Option<String>,
    pub position: Option<String>,
    pub manager_id: Option<i64>,
    pub forge_logins: Vec<ForgeLogin>,
    pub ssh_keys: Vec<String>,
    pub started_on: Option<String>,
}

/// A checked person: every field valid on its own. What needs the database (unique e-mails,
/// an existing manager) is checked by the store.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonInput {
    pub full_name: String,
    pub emails: Vec<Email>,
    pub phone: Option<String>,
    pub telegram: Option<String>,
    pub position: Option<String>,
    pub manager_id: Option<PersonId>,
    pub forge_logins: Vec<ForgeLogin>,
    pub ssh_keys: Vec<SshPublicKey>,
    pub started_on: Option<NaiveDate>,
}

impl RawPersonInput {
    /// Checks every field and reports all problems at once. Field names are the input's
    /// own (`emails`, `ssh_keys`…), so a form can show each error next to its field.
    pub fn parse(&self) -> CoreResult<PersonInput> {
        let mut errors = FieldErrors::default();
        let full_name = errors.take(required_text("full_name", &self.full_name, 200));

        let mut emails: Vec<Email> = Vec::new();
        for raw in self.emails.iter().filter(|e| !e.trim().is_empty()) {
            if let Some(e) = errors.take(Email::parse("emails", raw))
                && !emails.contains(&e)
            {
                emails.push(e);
            }
        }
        if emails.len() > 20 {
            errors.push(FieldError::new(
                "emails",
                "too_many",
                "at most 20 addresses",
            ));
        }

        let phone = errors
            .take(optional_text(
                "phone",
                self.phone.as_deref().unwrap_or(""),
                40,
            ))
            .flatten();
        if let Some(p) = &phone
            && (!p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
                || !p.chars().any(|c| c.is_ascii_digit()))
        {
            errors.push(FieldError::new(
                "phone",
                "invalid_phone",
                "digits, spaces, +, - and brackets only",
            ));
        }
        let telegram = errors
            .take(parse_telegram(self.telegram.as_deref().unwrap_or("")))
            .flatten();
        let position = errors
            .take(optional_text(
                "position",
                self.position.as_deref().unwrap_or(""),
                200,
            ))
            .flatten();

        let mut forge_logins: Vec<ForgeLogin> = Vec::new();
        for l in &self.forge_logins {
            let login = l.login.trim().to_lowercase();
            if login.is_empty() {
                continue;
            }
            if login.len() > 100
                || !login
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                errors.push(FieldError::new(
                    format!("{}_login", l.forge.as_str()),
                    "invalid_login",
                    format!("«{login}» is not a {} login", l.forge.as_str()),
                ));
                continue;
            }
            let fl = ForgeLogin {
                forge: l.forge,
                login,
            };
            if !forge_logins.contains(&fl) {
                forge_logins.push(fl);
            }
        }

        let mut ssh_keys: Vec<SshPublicKey> = Vec::new();
        for raw in self.ssh_keys.iter().filter(|k| !k.trim().is_empty()) {
            if let Some(k) = errors.take(SshPublicKey::parse("ssh_keys", raw))
                && !ssh_keys
                    .iter()
                    .any(|have| have.fingerprint() == k.fingerprint())
            {
                ssh_keys.push(k);
            }
        }

        let started_on = match self
            .started_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => errors.take(parse_date("started_on", s)),
        };
        errors.into_result()?;
        Ok(PersonInput {
            full_name: full_name.expect("checked above"),
            emails,
            phone,
            telegram,
            position,
            manager_id: self.manager_id.map(PersonId),
            forge_logins,
            ssh_keys,
            started_on,
        })
    }
}

/// `@ivan_petrov`, `ivan_petrov` or `https://t.me/ivan_petrov` → `ivan_petrov`.
fn parse_telegram(input: &str) -> Result<Option<String>, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let s = s
        .strip_prefix("https://t.me/")
        .or_else(|| s.strip_prefix("t.me/"))
        .unwrap_or(s);
    let s = s.strip_prefix('@').unwrap_or(s);
    let valid =
        (5..=32).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(Some(s.to_string()))
    } else {
        Err(FieldError::new(
            "telegram",
            "invalid_telegram",
            "a Telegram username: 5–32 letters, digits or _",
        ))
    }
}

/// Accepts ISO `2026-03-01` and the Russian `01.03.2026`.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .map_err(|_| {
            FieldError::new(
                field,
                "invalid_date",
                format!("«{s}» is not a date (YYYY-MM-DD or DD.MM.YYYY)"),
            )
        })
}

/// What the search box looks through, lower-cased in Rust so Cyrillic folds too.
pub(super) fn search_text(p: &PersonInput) -> String {
    let mut parts: Vec<&str> = vec![&p.full_name];
    parts.extend(p.emails.iter().map(Email::as_str));
    parts.extend(p.phone.as_deref());
    parts.extend(p.telegram.as_deref());
    parts.extend(p.position.as_deref());
    parts.extend(p.forge_logins.iter().map(|l| l.login.as_str()));
    parts.join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawPersonInput {
        RawPersonInput {
            full_name: " Иван Петров ".into(),
            emails: vec![
                "Ivan@Agency.ru".into(),
                "ivan@agency.ru".into(),
                "".into(),
                "ivan.p@gmail.com".into(),
            ],
            telegram: Some("@ivan_petrov".into()),
            forge_logins: vec![ForgeLogin {
                forge: Forge::Github,
                login: "IvanP".into(),
            }],
            started_on: Some("01.03.2024".into()),
            ..Default::default()
        }
    }

    #[test]
    fn normalises_a_valid_person() {
        let p = raw().parse().unwrap();
        assert_eq!(p.full_name, "Иван Петров");
        let emails: Vec<&str> = p.emails.iter().map(Email::as_str).collect();
        assert_eq!(
            emails,
            ["ivan@agency.ru", "ivan.p@gmail.com"],
            "duplicates folded, order kept"
        );
        assert_eq!(p.telegram.as_deref(), Some("ivan_petrov"));
        assert_eq!(p.forge_logins[0].login, "ivanp");
        assert_eq!(p.started_on, NaiveDate::from_ymd_opt(2024, 3, 1));
        assert!(search_text(&p).contains("иван петров"));
    }

    #[test]
    fn reports_every_bad_field_at_once() {
        let mut r = raw();
        r.full_name = " ".into();
        r.emails = vec!["not-an-email".into()];
        r.phone = Some("call me".into());
        r.ssh_keys = vec!["ssh-rsa AAAA".into()];
        r.started_on = Some("yesterday".into());
        let Err(crate::CoreError::Invalid(errors)) = r.parse() else {
            panic!("must fail")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["full_name", "emails", "phone", "ssh_keys", "started_on"]
        );
    }
}
