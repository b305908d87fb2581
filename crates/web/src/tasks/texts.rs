//! What the task pages say, in Russian (the primary language) and English.

use shtab_core::FieldError;
use shtab_core::config::SystemOfRecord;
use shtab_core::tasks::TaskStatus;

use crate::i18n::{Locale, pick};

#[derive(Debug)]
pub struct TasksTexts {
    // The list.
    pub title: &'static str,
    pub add: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub status: &'static str,
    pub filter_active: &'static str,
    pub filter_all: &'static str,
    pub col_task: &'static str,
    pub col_title: &'static str,
    pub col_assignee: &'static str,
    pub col_updated: &'static str,
    pub of: &'static str,
    pub empty: &'static str,
    pub pages: &'static str,
    pub quick_add: &'static str,
    pub quick_add_placeholder: &'static str,
    pub more_fields: &'static str,

    // Statuses.
    pub open: &'static str,
    pub in_progress: &'static str,
    pub closed: &'static str,

    // The form.
    pub new_title: &'static str,
    pub form_has_errors: &'static str,
    pub task_title: &'static str,
    pub key: &'static str,
    pub key_hint: &'static str,
    pub description: &'static str,
    pub assignee: &'static str,
    pub nobody: &'static str,
    pub create: &'static str,

    // A task's page.
    pub created: &'static str,
    pub closed_at: &'static str,
    pub no_description: &'static str,
    pub change_title: &'static str,
    pub commits: &'static str,
    pub no_commits: &'static str,
    pub col_commit: &'static str,
    pub col_repository: &'static str,
    pub col_author: &'static str,
    pub col_time: &'static str,
    pub col_message: &'static str,
    pub col_branches: &'static str,
    /// The mark of a commit no branch reaches any more, and its explanation.
    pub unreachable: &'static str,
    pub unreachable_hint: &'static str,
    pub also: &'static str,
    /// "a1b2c3d in backend": between the hash and the repository.
    pub in_repository: &'static str,
    pub opens_forge: &'static str,
    pub time_spent: &'static str,
    pub no_time: &'static str,
    pub col_person: &'static str,
    pub col_spent: &'static str,
    pub col_note: &'static str,
    pub total: &'static str,
    pub hours: &'static str,
    pub minutes: &'static str,
    pub comments: &'static str,
    pub no_comments: &'static str,
    pub robot: &'static str,
    /// Thousands separator in "1–50 of 10 000".
    pub thousands: &'static str,

    // A task of another system of record (`{system}`, `{id}` and `{error}` are filled in).
    pub bitrix24: &'static str,
    pub open_in: &'static str,
    pub outside_missing: &'static str,
    pub outside_unreachable: &'static str,
    pub waiting: &'static str,
    pub waiting_hint: &'static str,
    /// The portal's statuses.
    pub pending: &'static str,
    pub awaiting_control: &'static str,
    pub completed: &'static str,
    pub deferred: &'static str,

    // Field errors the shared table does not know.
    pub err_invalid_task_key: &'static str,
    pub err_duplicate_task_key: &'static str,
    pub err_invalid_status: &'static str,
}

static RU: TasksTexts = TasksTexts {
    title: "Задачи",
    add: "Новая задача",
    search_label: "Поиск",
    search_placeholder: "Название, ключ или номер",
    status: "Статус",
    filter_active: "Не закрытые",
    filter_all: "Все",
    col_task: "Задача",
    col_title: "Название",
    col_assignee: "Исполнитель",
    col_updated: "Изменена",
    of: "из",
    empty: "Задач не нашлось.",
    pages: "Страницы",
    quick_add: "Быстро добавить",
    quick_add_placeholder: "Название новой задачи",
    more_fields: "Все поля…",

    open: "открыта",
    in_progress: "в работе",
    closed: "закрыта",

    new_title: "Новая задача",
    form_has_errors: "Проверьте отмеченные поля — ничего не сохранено.",
    task_title: "Название",
    key: "Ключ из прежнего трекера",
    key_hint: "Необязательно. Например, WEB-12: коммиты с этим ключом попадут в задачу.",
    description: "Описание",
    assignee: "Исполнитель",
    nobody: "— не назначен —",
    create: "Создать",

    created: "Создана",
    closed_at: "Закрыта",
    no_description: "Описания нет.",
    change_title: "Статус и исполнитель",
    commits: "Коммиты",
    no_commits: "Коммитов, упоминающих задачу, пока нет.",
    col_commit: "Коммит",
    col_repository: "Репозиторий",
    col_author: "Автор",
    col_time: "Время",
    col_message: "Сообщение",
    col_branches: "Ветки",
    unreachable: "ни в одной ветке",
    unreachable_hint: "Ни одна ветка больше не содержит этот коммит: ветку удалили или историю переписали",
    also: "также",
    in_repository: "в",
    opens_forge: "открывается на сайте репозитория",
    time_spent: "Затраченное время",
    no_time: "Время не записано.",
    col_person: "Кто",
    col_spent: "Сколько",
    col_note: "Примечание",
    total: "Итого",
    hours: "ч",
    minutes: "мин",
    comments: "Комментарии",
    no_comments: "Комментариев нет.",
    robot: "робот",
    thousands: "\u{a0}",

    bitrix24: "Битрикс24",
    open_in: "Открыть в {system}",
    outside_missing: "В {system} нет задачи {id}, или пользователю вебхука Штаба она не видна. \
                      Коммиты ниже ждут её и будут привязаны, как только она появится.",
    outside_unreachable: "Не удалось спросить {system} о задаче: {error}",
    waiting: "ждёт задачу",
    waiting_hint: "Когда коммит пришёл, задачи не было видно; он будет привязан по событию \
                   портала или при следующем обходе репозиториев",
    pending: "ждёт выполнения",
    awaiting_control: "ждёт контроля",
    completed: "завершена",
    deferred: "отложена",

    err_invalid_task_key: "ключ вида WEB-12: латинские буквы и цифры (с буквы), дефис, номер",
    err_duplicate_task_key: "этот ключ уже у другой задачи",
    err_invalid_status: "неизвестный статус (open, in_progress или closed)",
};

static EN: TasksTexts = TasksTexts {
    title: "Tasks",
    add: "New task",
    search_label: "Search",
    search_placeholder: "Title, key or number",
    status: "Status",
    filter_active: "Not closed",
    filter_all: "All",
    col_task: "Task",
    col_title: "Title",
    col_assignee: "Assignee",
    col_updated: "Updated",
    of: "of",
    empty: "No tasks found.",
    pages: "Pages",
    quick_add: "Quick add",
    quick_add_placeholder: "Title of a new task",
    more_fields: "All fields…",

    open: "open",
    in_progress: "in progress",
    closed: "closed",

    new_title: "New task",
    form_has_errors: "Check the marked fields — nothing was saved.",
    task_title: "Title",
    key: "Key from the old tracker",
    key_hint: "Optional. For example WEB-12: commits naming this key come to the task.",
    description: "Description",
    assignee: "Assignee",
    nobody: "— unassigned —",
    create: "Create",

    created: "Created",
    closed_at: "Closed",
    no_description: "No description.",
    change_title: "Status and assignee",
    commits: "Commits",
    no_commits: "No commits name this task yet.",
    col_commit: "Commit",
    col_repository: "Repository",
    col_author: "Author",
    col_time: "Time",
    col_message: "Message",
    col_branches: "Branches",
    unreachable: "on no branch",
    unreachable_hint: "No branch contains this commit any more: its branch was deleted or its history rewritten",
    also: "also",
    in_repository: "in",
    opens_forge: "opens on the forge",
    time_spent: "Time spent",
    no_time: "No time logged.",
    col_person: "Who",
    col_spent: "How long",
    col_note: "Note",
    total: "Total",
    hours: "h",
    minutes: "min",
    comments: "Comments",
    no_comments: "No comments.",
    robot: "robot",
    thousands: ",",

    bitrix24: "Bitrix24",
    open_in: "Open in {system}",
    outside_missing: "{system} has no task {id}, or Shtab's webhook user cannot see it. The \
                      commits below wait for it and are linked as soon as it appears.",
    outside_unreachable: "{system} could not be asked about the task: {error}",
    waiting: "waiting for the task",
    waiting_hint: "The task could not be seen when the commit came; it is linked by the \
                   portal's event or the next repository sweep",
    pending: "pending",
    awaiting_control: "awaiting control",
    completed: "completed",
    deferred: "deferred",

    err_invalid_task_key: "a key like WEB-12: Latin letters and digits (starting with a letter), a dash, a number",
    err_duplicate_task_key: "another task has this key",
    err_invalid_status: "unknown status (open, in_progress or closed)",
};

pub fn texts(locale: Locale) -> &'static TasksTexts {
    pick(locale, &RU, &EN)
}

/// Field errors with this area's codes in the reader's language. The shared table
/// (`i18n::field_message`) translates the common codes and shows others' messages as they
/// are: English, which already names the detail (which task has the key).
pub fn localize(locale: Locale, errors: Vec<FieldError>) -> Vec<FieldError> {
    if locale == Locale::En {
        return errors;
    }
    let t = texts(locale);
    errors
        .into_iter()
        .map(|mut e| {
            let text = match e.code {
                "invalid_task_key" => Some(t.err_invalid_task_key),
                "duplicate_task_key" => Some(t.err_duplicate_task_key),
                "invalid_status" => Some(t.err_invalid_status),
                _ => None,
            };
            if let Some(text) = text {
                e.message = text.to_string();
            }
            e
        })
        .collect()
}

impl TasksTexts {
    /// A status word of another tracker ([`shtab_core::ports::Task::status`]), in words;
    /// one it does not know as it came.
    pub fn outside_status<'a>(&self, word: &'a str) -> &'a str {
        match word {
            "open" => self.open,
            "in_progress" => self.in_progress,
            "closed" => self.closed,
            "pending" => self.pending,
            "awaiting_control" => self.awaiting_control,
            "completed" => self.completed,
            "deferred" => self.deferred,
            other => other,
        }
    }

    /// The name of a system of record, for people.
    pub fn system(&self, system: SystemOfRecord) -> &'static str {
        match system {
            SystemOfRecord::Shtab => "Shtab",
            SystemOfRecord::Bitrix24 => self.bitrix24,
        }
    }

    pub fn status(&self, status: TaskStatus) -> &'static str {
        match status {
            TaskStatus::Open => self.open,
            TaskStatus::InProgress => self.in_progress,
            TaskStatus::Closed => self.closed,
        }
    }

    /// Time spent as people say it: `2 ч 30 мин`, `45 min`, `3 h`.
    pub fn duration(&self, minutes: i64) -> String {
        let minutes = minutes.max(0);
        let (h, m) = (minutes / 60, minutes % 60);
        match (h, m) {
            (0, m) => format!("{m} {}", self.minutes),
            (h, 0) => format!("{} {}", self.number(h), self.hours),
            (h, m) => format!("{} {} {m} {}", self.number(h), self.hours, self.minutes),
        }
    }

    /// A count: `12345` → `12 345` (Russian) or `12,345` (English).
    pub fn number(&self, n: i64) -> String {
        let digits = n.max(0).to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(self.thousands);
            }
            out.push(c);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(RU.duration(150), "2 ч 30 мин");
        assert_eq!(EN.duration(150), "2 h 30 min");
        assert_eq!(RU.duration(45), "45 мин");
        assert_eq!(EN.duration(180), "3 h");
        assert_eq!(EN.duration(0), "0 min");
        assert_eq!(RU.duration(60_000), "1\u{a0}000 ч");
    }

    #[test]
    fn this_areas_codes_are_translated() {
        let e = FieldError::new(
            "key",
            "duplicate_task_key",
            "WEB-1 is already the key of task #3",
        );
        let ru = localize(Locale::Ru, vec![e.clone()]);
        assert_eq!(ru[0].message, "этот ключ уже у другой задачи");
        assert_eq!(ru[0].field, "key");
        assert_eq!(localize(Locale::En, vec![e.clone()]), vec![e]);
        let other = FieldError::required("title");
        assert_eq!(localize(Locale::Ru, vec![other.clone()]), vec![other]);
    }
}
