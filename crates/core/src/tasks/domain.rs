use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::error::{CoreResult, FieldErrors};
use crate::ids::{PersonId, TaskCommentId, TaskId, TaskTimeEntryId};
use crate::types::required_text;

/// Longest title; a title is a line in lists, not a description.
pub const TITLE_MAX: usize = 300;
/// Longest description: room for a long specification, not for a pasted log file.
pub const DESCRIPTION_MAX: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    InProgress,
    Closed,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 3] = [TaskStatus::Open, TaskStatus::InProgress, TaskStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
    }

    /// A status as input names it, or a field error naming `field`.
    pub fn parse_field(field: &str, s: &str) -> Result<TaskStatus, FieldError> {
        TaskStatus::parse(s).ok_or_else(|| {
            FieldError::new(
                field,
                "invalid_status",
                format!(
                    "«{}» is not a status (open, in_progress or closed)",
                    s.trim()
                ),
            )
        })
    }
}

/// A task's key from an old tracker: a project code and a number, `WEB-12`. Kept upper
/// case, because commit references are canonicalised to upper case before they are looked
/// up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskKey(String);

impl TaskKey {
    /// Accepts any case (`web-12`) and keeps it upper case.
    pub fn parse(field: &str, input: &str) -> Result<TaskKey, FieldError> {
        let key = input.trim().to_ascii_uppercase();
        let valid = key.split_once('-').is_some_and(|(project, number)| {
            let mut chars = project.chars();
            chars.next().is_some_and(|c| c.is_ascii_uppercase())
                && project.len() >= 2
                && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && !number.is_empty()
                && number.chars().all(|c| c.is_ascii_digit())
        });
        // Bounded so a key stays a key, whatever a script sends.
        if valid && key.len() <= 40 {
            Ok(TaskKey(key))
        } else {
            Err(FieldError::new(
                field,
                "invalid_task_key",
                "a project code and a number, like WEB-12: Latin letters and digits starting with a letter, a dash, digits",
            ))
        }
    }

    pub fn from_stored(s: String) -> TaskKey {
        TaskKey(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TaskKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A task with its assignee named.
#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: TaskId,
    pub key: Option<TaskKey>,
    pub title: String,
    pub description: String,
    pub status: TaskStatus,
    pub assignee_id: Option<PersonId>,
    pub assignee_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

impl Task {
    /// What people write in commit messages and see in lists: the key, or `#id`.
    pub fn reference(&self) -> String {
        match &self.key {
            Some(k) => k.to_string(),
            None => format!("#{}", self.id),
        }
    }
}

/// A row of the task list.
#[derive(Debug, Clone, Serialize)]
pub struct TaskSummary {
    pub id: TaskId,
    pub key: Option<TaskKey>,
    pub title: String,
    pub status: TaskStatus,
    pub assignee_id: Option<PersonId>,
    pub assignee_name: Option<String>,
    pub updated_at: i64,
}

/// A commit attached to a task.
#[derive(Debug, Clone, Serialize)]
pub struct TaskCommit {
    pub repository: String,
    pub sha: String,
    pub change_key: String,
    pub message: String,
    /// The person the author's e-mail belongs to, when known.
    pub author_id: Option<PersonId>,
    pub author_person: Option<String>,
    pub author_name: String,
    pub author_email: String,
    pub authored_at: i64,
    pub committed_at: i64,
    pub url: Option<String>,
    /// The branches that reach it now.
    pub branches: Vec<String>,
    /// No branch reaches it any more (rewritten away by a force-push, or its branches
    /// deleted): still part of the task's history, no longer of the code.
    pub unreachable: bool,
    pub linked_at: i64,
}

/// Time spent on a task.
#[derive(Debug, Clone, Serialize)]
pub struct TaskTime {
    pub id: TaskTimeEntryId,
    pub person_id: PersonId,
    pub person_name: String,
    pub minutes: i64,
    pub spent_at: i64,
    pub note: String,
    pub source: String,
    pub created_at: i64,
}

/// A task's time entries, oldest first, and their sum.
#[derive(Debug, Clone, Serialize)]
pub struct TimeSheet {
    pub entries: Vec<TaskTime>,
    pub total_minutes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskComment {
    pub id: TaskCommentId,
    pub author_id: Option<PersonId>,
    pub author_name: Option<String>,
    pub body: String,
    pub created_at: i64,
}

/// A new task as a form or an API call sends it, before any checking.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawTaskInput {
    pub title: String,
    pub key: Option<String>,
    pub description: Option<String>,
    pub assignee_id: Option<i64>,
}

/// A checked new task. Whether the key is free and the assignee exists is the store's
/// to check.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInput {
    pub title: String,
    pub key: Option<TaskKey>,
    pub description: String,
    pub assignee_id: Option<PersonId>,
}

impl RawTaskInput {
    /// Checks every field and reports all problems at once, named as the input names them.
    pub fn parse(&self) -> CoreResult<TaskInput> {
        let mut errors = FieldErrors::default();
        let title = errors.take(required_text("title", &self.title, TITLE_MAX));
        let key = match self.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => errors.take(TaskKey::parse("key", k)),
        };
        let description = errors
            .take(parse_description(self.description.as_deref().unwrap_or("")))
            .unwrap_or_default();
        errors.into_result()?;
        Ok(TaskInput {
            title: title.expect("checked above"),
            key,
            description,
            assignee_id: self.assignee_id.map(PersonId),
        })
    }
}

/// A change to some of a task's fields; `None` keeps a field as it is. `assignee_id` is
/// `Some(None)` to leave the task unassigned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskChange {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<TaskStatus>,
    pub assignee_id: Option<Option<PersonId>>,
}

/// [`TaskChange`] before checking: text as sent.
#[derive(Debug, Clone, Default)]
pub struct RawTaskChange {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub assignee_id: Option<Option<i64>>,
}

impl RawTaskChange {
    pub fn parse(&self) -> CoreResult<TaskChange> {
        let mut errors = FieldErrors::default();
        let title = match &self.title {
            None => None,
            Some(t) => errors.take(required_text("title", t, TITLE_MAX)),
        };
        let description = match &self.description {
            None => None,
            Some(d) => errors.take(parse_description(d)),
        };
        let status = match &self.status {
            None => None,
            Some(s) => errors.take(TaskStatus::parse_field("status", s)),
        };
        errors.into_result()?;
        Ok(TaskChange {
            title,
            description,
            status,
            assignee_id: self.assignee_id.map(|a| a.map(PersonId)),
        })
    }
}

/// Multi-line text: line breaks and tabs are welcome, other control characters are not
/// (they would only hide text from the reader).
fn parse_description(input: &str) -> Result<String, FieldError> {
    let text = input.trim().replace("\r\n", "\n");
    if text.chars().count() > DESCRIPTION_MAX {
        return Err(FieldError::new(
            "description",
            "too_long",
            format!("must be at most {DESCRIPTION_MAX} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldError::new(
            "description",
            "control_characters",
            "must not contain control characters",
        ));
    }
    Ok(text)
}

/// What the search box looks through, lower-cased in Rust so Cyrillic folds too.
pub(super) fn search_text(key: Option<&TaskKey>, title: &str) -> String {
    match key {
        Some(k) => format!("{} {}", k.as_str(), title).to_lowercase(),
        None => title.to_lowercase(),
    }
}

/// Branches as stored: sorted, unique, one per line (a branch name has no newline).
pub(super) fn join_branches<'a>(branches: impl IntoIterator<Item = &'a str>) -> String {
    let mut all: Vec<&str> = branches
        .into_iter()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .collect();
    all.sort_unstable();
    all.dedup();
    all.join("\n")
}

/// The stored form back; commas are accepted too, as older rows or hand edits may use them.
pub(super) fn split_branches(stored: &str) -> Vec<String> {
    stored
        .split(['\n', ','])
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_a_project_code_and_a_number_in_upper_case() {
        assert_eq!(
            TaskKey::parse("key", " web-12 ").unwrap().as_str(),
            "WEB-12"
        );
        assert_eq!(TaskKey::parse("key", "A1B-7").unwrap().as_str(), "A1B-7");
        for bad in [
            "W-1", "1WEB-2", "WEB-", "WEB12", "WEB-1a", "ВЕБ-1", "WEB--1", "WEB-1-2",
        ] {
            let e = TaskKey::parse("key", bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.code),
                ("key", "invalid_task_key"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_new_task_reports_every_bad_field() {
        let raw = RawTaskInput {
            title: "  ".into(),
            key: Some("nope".into()),
            description: Some("a\u{7}b".into()),
            assignee_id: None,
        };
        let Err(crate::CoreError::Invalid(errors)) = raw.parse() else {
            panic!("must fail")
        };
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            [
                ("title", "required"),
                ("key", "invalid_task_key"),
                ("description", "control_characters")
            ]
        );
        let long = RawTaskInput {
            title: "x".repeat(TITLE_MAX + 1),
            ..Default::default()
        };
        assert!(long.parse().is_err());
        let ok = RawTaskInput {
            title: " Вёрстка ".into(),
            description: Some("line 1\r\nline 2\t".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(ok.title, "Вёрстка");
        assert_eq!(ok.description, "line 1\nline 2");
        assert_eq!(ok.key, None);
    }

    #[test]
    fn a_change_names_a_bad_status() {
        let raw = RawTaskChange {
            status: Some("done".into()),
            ..Default::default()
        };
        let Err(crate::CoreError::Invalid(errors)) = raw.parse() else {
            panic!("must fail")
        };
        assert_eq!(errors[0].field, "status");
        assert_eq!(errors[0].code, "invalid_status");
    }

    #[test]
    fn branches_are_kept_once_and_sorted() {
        assert_eq!(
            join_branches(["main", "feature/x", "main", " "]),
            "feature/x\nmain"
        );
        assert_eq!(split_branches("feature/x\nmain"), ["feature/x", "main"]);
        assert_eq!(split_branches("a, b"), ["a", "b"]);
        assert!(split_branches("").is_empty());
    }
}
