//! What the people API reads and writes. These types are the API's contract (and its
//! OpenAPI schemas); the core's types stay free to change behind them.

use serde::{Deserialize, Deserializer, Serialize};
use shtab_core::people::{
    Forge, ForgeLogin, ImportReport, ListPage, Person, PersonStatus, PersonSummary, RawPersonInput,
    RowError, StoredSshKey,
};
use shtab_core::ports::PortalProfile;
use shtab_core::time::rfc3339_ms;
use utoipa::{IntoParams, ToSchema};

use crate::error::ErrorDetail;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Left,
}

impl From<PersonStatus> for Status {
    fn from(s: PersonStatus) -> Self {
        match s {
            PersonStatus::Active => Status::Active,
            PersonStatus::Left => Status::Left,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ForgeName {
    Github,
    Gitlab,
    Gitea,
}

impl From<ForgeName> for Forge {
    fn from(f: ForgeName) -> Self {
        match f {
            ForgeName::Github => Forge::Github,
            ForgeName::Gitlab => Forge::Gitlab,
            ForgeName::Gitea => Forge::Gitea,
        }
    }
}

impl From<Forge> for ForgeName {
    fn from(f: Forge) -> Self {
        match f {
            Forge::Github => ForgeName::Github,
            Forge::Gitlab => ForgeName::Gitlab,
            Forge::Gitea => ForgeName::Gitea,
        }
    }
}

/// A login on a forge, matched case-insensitively (stored lower-cased).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgeLoginBody {
    pub forge: ForgeName,
    #[schema(example = "ivan-petrov")]
    pub login: String,
}

impl From<ForgeLoginBody> for ForgeLogin {
    fn from(l: ForgeLoginBody) -> Self {
        ForgeLogin {
            forge: l.forge.into(),
            login: l.login,
        }
    }
}

impl From<ForgeLogin> for ForgeLoginBody {
    fn from(l: ForgeLogin) -> Self {
        ForgeLoginBody {
            forge: l.forge.into(),
            login: l.login,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SshKeyBody {
    pub id: i64,
    #[schema(example = "ssh-ed25519")]
    pub algorithm: String,
    /// Type and key, without the comment.
    pub public_key: String,
    pub comment: String,
    #[schema(example = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s")]
    pub fingerprint: String,
}

impl From<StoredSshKey> for SshKeyBody {
    fn from(k: StoredSshKey) -> Self {
        SshKeyBody {
            id: k.id.0,
            algorithm: k.algorithm,
            public_key: k.public_key,
            comment: k.comment,
            fingerprint: k.fingerprint,
        }
    }
}

/// A person on the Bitrix24 portal.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalBody {
    /// Their portal user id.
    #[schema(example = 7)]
    pub user_id: i64,
    /// Their profile page on the portal.
    #[schema(example = "https://agency.bitrix24.ru/company/personal/user/7/")]
    pub profile_url: String,
    /// Their departments' names, as the users robot last read them.
    pub departments: Vec<String>,
    /// Inactive or gone on the portal (listed to be offboarded).
    pub left: bool,
}

impl From<PortalProfile> for PortalBody {
    fn from(p: PortalProfile) -> Self {
        PortalBody {
            user_id: p.user_id as i64,
            profile_url: p.url,
            departments: p.departments,
            left: p.left,
        }
    }
}

/// Another person, named.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonRef {
    pub id: i64,
    pub full_name: String,
}

/// A person with everything the directory knows about them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonBody {
    pub id: i64,
    #[schema(example = "Иван Петров")]
    pub full_name: String,
    /// The first is the work address; the rest are aliases.
    #[schema(example = json!(["ivan.petrov@agency.ru", "ivan@gmail.com"]))]
    pub emails: Vec<String>,
    pub phone: Option<String>,
    /// Username, without the `@`.
    pub telegram: Option<String>,
    pub position: Option<String>,
    pub manager_id: Option<i64>,
    pub manager: Option<PersonRef>,
    pub status: Status,
    /// `YYYY-MM-DD`.
    #[schema(example = "2024-03-01")]
    pub started_on: Option<String>,
    /// `YYYY-MM-DD`; set when the status is `left`.
    pub left_on: Option<String>,
    pub forge_logins: Vec<ForgeLoginBody>,
    pub ssh_keys: Vec<SshKeyBody>,
    /// The user account, when the person may log in.
    pub user_id: Option<i64>,
    /// Who they are on the Bitrix24 portal, when the users robot matched them (absent
    /// without a portal).
    pub portal: Option<PortalBody>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<Person> for PersonBody {
    fn from(p: Person) -> Self {
        PersonBody {
            id: p.id.0,
            full_name: p.full_name,
            emails: p.emails.iter().map(|e| e.as_str().to_string()).collect(),
            phone: p.phone,
            telegram: p.telegram,
            position: p.position,
            manager_id: p.manager_id.map(|m| m.0),
            manager: p
                .manager_id
                .zip(p.manager_name)
                .map(|(id, full_name)| PersonRef {
                    id: id.0,
                    full_name,
                }),
            status: p.status.into(),
            started_on: p.started_on.map(|d| d.to_string()),
            left_on: p.left_on.map(|d| d.to_string()),
            forge_logins: p.forge_logins.into_iter().map(Into::into).collect(),
            ssh_keys: p.ssh_keys.into_iter().map(Into::into).collect(),
            user_id: p.user_id.map(|u| u.0),
            portal: None,
            created_at: rfc3339_ms(p.created_at),
            updated_at: rfc3339_ms(p.updated_at),
        }
    }
}

/// A row of the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonSummaryBody {
    pub id: i64,
    pub full_name: String,
    /// The work address.
    pub email: Option<String>,
    pub position: Option<String>,
    pub phone: Option<String>,
    pub telegram: Option<String>,
    pub status: Status,
    pub user_id: Option<i64>,
}

impl From<PersonSummary> for PersonSummaryBody {
    fn from(p: PersonSummary) -> Self {
        PersonSummaryBody {
            id: p.id.0,
            full_name: p.full_name,
            email: p.email,
            position: p.position,
            phone: p.phone,
            telegram: p.telegram,
            status: p.status.into(),
            user_id: p.user_id.map(|u| u.0),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonList {
    pub items: Vec<PersonSummaryBody>,
    /// How many match, across all pages.
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

impl From<ListPage> for PersonList {
    fn from(p: ListPage) -> Self {
        PersonList {
            items: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            offset: p.offset,
            limit: p.limit,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    Active,
    Left,
    #[default]
    All,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Searches names, e-mails, phone, Telegram, position and forge logins; case-insensitive.
    pub q: Option<String>,
    /// Default `all`.
    #[param(inline)]
    pub status: Option<StatusFilter>,
    /// How many to skip; 0 by default.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// How many; 50 by default.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A new person. Only `full_name` is required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewPerson {
    #[schema(required = true, example = "Иван Петров")]
    pub full_name: String,
    /// The first is the work address. Unique across people, case-insensitive.
    #[schema(example = json!(["ivan.petrov@agency.ru"]))]
    pub emails: Vec<String>,
    #[schema(example = "+7 912 345-67-89")]
    pub phone: Option<String>,
    /// `ivan_petrov`, `@ivan_petrov` or `https://t.me/ivan_petrov`.
    pub telegram: Option<String>,
    pub position: Option<String>,
    pub manager_id: Option<i64>,
    pub forge_logins: Vec<ForgeLoginBody>,
    /// OpenSSH public keys, one per item, as in `authorized_keys`.
    pub ssh_keys: Vec<String>,
    /// `YYYY-MM-DD` or `DD.MM.YYYY`.
    #[schema(example = "2024-03-01")]
    pub started_on: Option<String>,
}

impl From<NewPerson> for RawPersonInput {
    fn from(p: NewPerson) -> Self {
        RawPersonInput {
            full_name: p.full_name,
            emails: p.emails,
            phone: p.phone,
            telegram: p.telegram,
            position: p.position,
            manager_id: p.manager_id,
            forge_logins: p.forge_logins.into_iter().map(Into::into).collect(),
            ssh_keys: p.ssh_keys,
            started_on: p.started_on,
        }
    }
}

/// A partial update: fields left out keep their value; `null` clears `phone`, `telegram`,
/// `position`, `manager_id` or `started_on`; a list given replaces the whole list.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PersonPatch {
    pub full_name: Option<String>,
    pub emails: Option<Vec<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub telegram: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub position: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub manager_id: Option<Option<i64>>,
    pub forge_logins: Option<Vec<ForgeLoginBody>>,
    pub ssh_keys: Option<Vec<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub started_on: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`: clear it) from one left out (`None`, by
/// `default`: keep it).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl PersonPatch {
    /// `current` with this patch laid over it.
    pub fn apply(self, mut current: RawPersonInput) -> RawPersonInput {
        if let Some(v) = self.full_name {
            current.full_name = v;
        }
        if let Some(v) = self.emails {
            current.emails = v;
        }
        if let Some(v) = self.phone {
            current.phone = v;
        }
        if let Some(v) = self.telegram {
            current.telegram = v;
        }
        if let Some(v) = self.position {
            current.position = v;
        }
        if let Some(v) = self.manager_id {
            current.manager_id = v;
        }
        if let Some(v) = self.forge_logins {
            current.forge_logins = v.into_iter().map(Into::into).collect();
        }
        if let Some(v) = self.ssh_keys {
            current.ssh_keys = v;
        }
        if let Some(v) = self.started_on {
            current.started_on = v;
        }
        current
    }
}

/// When the person left. Optional: without it, today in the hub's time zone.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Deactivation {
    /// `YYYY-MM-DD` or `DD.MM.YYYY`.
    #[schema(example = "2026-11-24")]
    pub left_on: Option<String>,
}

/// A bad row of an imported file.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowErrorBody {
    /// The line in the file; the header is line 1.
    pub line: u64,
    /// The column, by its canonical name (`emails`, `manager_email`…).
    pub field: String,
    pub code: String,
    pub message: String,
}

impl From<RowError> for RowErrorBody {
    fn from(e: RowError) -> Self {
        RowErrorBody {
            line: e.line,
            field: e.field,
            code: e.code.to_string(),
            message: e.message,
        }
    }
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    pub created: usize,
    /// Rows whose e-mail already belongs to someone in the directory: left as they are.
    pub already_present: usize,
}

impl From<ImportReport> for ImportResult {
    fn from(r: ImportReport) -> Self {
        ImportResult {
            created: r.created,
            already_present: r.skipped_existing,
        }
    }
}

/// A refused import: the usual error, plus every bad row when the rows were the problem.
/// Nothing was written.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportErrorBody {
    pub error: ErrorDetail,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<RowErrorBody>,
}

impl ImportErrorBody {
    pub fn rows(rows: Vec<RowError>) -> Self {
        ImportErrorBody {
            error: ErrorDetail {
                code: "invalid".into(),
                message: format!(
                    "{} row(s) of the file have errors; nothing was imported",
                    rows.iter()
                        .map(|r| r.line)
                        .collect::<std::collections::BTreeSet<_>>()
                        .len()
                ),
                fields: Vec::new(),
            },
            rows: rows.into_iter().map(Into::into).collect(),
        }
    }
}
