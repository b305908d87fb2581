//! What the people pages say, in Russian (the primary language) and English.

use shtab_core::people::PersonStatus;

use crate::i18n::{Locale, pick};

#[derive(Debug)]
pub struct PeopleTexts {
    // The list.
    pub title: &'static str,
    pub add: &'static str,
    pub import: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub status: &'static str,
    pub filter_active: &'static str,
    pub filter_left: &'static str,
    pub filter_all: &'static str,
    pub col_name: &'static str,
    pub col_email: &'static str,
    pub col_position: &'static str,
    pub col_phone: &'static str,
    pub active: &'static str,
    pub left: &'static str,
    pub user_badge: &'static str,
    pub of: &'static str,
    pub empty: &'static str,
    pub pages: &'static str,
    /// Thousands separator in "1–50 of 10 000".
    pub thousands: &'static str,
    /// `chrono` format of a date.
    pub date_format: &'static str,

    // The form.
    pub new_title: &'static str,
    pub edit_title: &'static str,
    pub form_has_errors: &'static str,
    pub full_name: &'static str,
    pub emails: &'static str,
    pub emails_hint: &'static str,
    pub phone: &'static str,
    pub telegram: &'static str,
    pub telegram_hint: &'static str,
    pub position: &'static str,
    pub manager: &'static str,
    pub no_manager: &'static str,
    pub forge_logins: &'static str,
    pub forge_logins_hint: &'static str,
    pub ssh_keys: &'static str,
    pub ssh_keys_hint: &'static str,
    pub ssh_keys_locked: &'static str,
    pub started_on: &'static str,
    pub create: &'static str,

    // A person's page.
    pub work_email: &'static str,
    pub not_set: &'static str,
    pub left_on: &'static str,
    pub account: &'static str,
    pub account_none: &'static str,
    pub account_open: &'static str,
    // The person on the Bitrix24 portal.
    pub portal: &'static str,
    pub portal_profile: &'static str,
    pub portal_departments: &'static str,
    pub portal_left: &'static str,
    pub key_algorithm: &'static str,
    pub key_comment: &'static str,
    pub key_fingerprint: &'static str,
    pub no_keys: &'static str,
    pub edit: &'static str,
    pub deactivate_title: &'static str,
    pub deactivate_hint: &'static str,
    pub deactivate: &'static str,

    // The import.
    pub import_title: &'static str,
    pub import_intro: &'static str,
    pub import_columns: &'static str,
    pub import_all_or_nothing: &'static str,
    pub file: &'static str,
    pub upload: &'static str,
    pub no_file: &'static str,
    pub created: &'static str,
    pub already_present: &'static str,
    pub import_failed: &'static str,
    pub col_line: &'static str,
    pub col_field: &'static str,
    pub col_problem: &'static str,
    pub manager_email: &'static str,
}

static RU: PeopleTexts = PeopleTexts {
    title: "Люди",
    add: "Добавить человека",
    import: "Импорт CSV",
    search_label: "Поиск",
    search_placeholder: "Имя, e-mail, телефон, Telegram, должность, логин",
    status: "Статус",
    filter_active: "В штате",
    filter_left: "Ушедшие",
    filter_all: "Все",
    col_name: "Имя",
    col_email: "E-mail",
    col_position: "Должность",
    col_phone: "Телефон",
    active: "в штате",
    left: "ушёл из компании",
    user_badge: "пользователь",
    of: "из",
    empty: "Никого не нашлось.",
    pages: "Страницы",
    thousands: "\u{a0}",
    date_format: "%d.%m.%Y",

    new_title: "Новый человек",
    edit_title: "Редактирование",
    form_has_errors: "Проверьте отмеченные поля — ничего не сохранено.",
    full_name: "ФИО",
    emails: "Адреса e-mail",
    emails_hint: "По одному в строке. Первый — рабочий адрес, остальные — дополнительные \
                  (например, личный, с которого человек делает коммиты).",
    phone: "Телефон",
    telegram: "Telegram",
    telegram_hint: "Имя пользователя: @ivan_petrov или ссылка t.me/ivan_petrov.",
    position: "Должность",
    manager: "Руководитель",
    no_manager: "— нет —",
    forge_logins: "Логины на GitHub, GitLab и Gitea",
    forge_logins_hint: "По ним коммиты находят своего автора.",
    ssh_keys: "Открытые ключи SSH",
    ssh_keys_hint: "По одному в строке, как в authorized_keys: ssh-ed25519 AAAA… комментарий.",
    ssh_keys_locked: "Ключи дают доступ к серверам: менять их может тот, кто управляет доступами, или сам человек.",
    started_on: "Дата начала работы",
    create: "Добавить",

    work_email: "рабочий",
    not_set: "—",
    left_on: "Дата ухода",
    account: "Учётная запись",
    account_none: "нет, в Штаб не входит",
    account_open: "Открыть",
    portal: "Битрикс24",
    portal_profile: "Профиль на портале",
    portal_departments: "Подразделения",
    portal_left: "не активен на портале",
    key_algorithm: "Тип",
    key_comment: "Комментарий",
    key_fingerprint: "Отпечаток SHA256",
    no_keys: "Ключей нет.",
    edit: "Изменить",
    deactivate_title: "Уход из компании",
    deactivate_hint: "Человек останется в справочнике со статусом «ушёл из компании». \
                      Вход в Штаб для него перестанет работать сразу: сеансы завершатся, \
                      API-токены будут отозваны.",
    deactivate: "Отметить уход",

    import_title: "Импорт из CSV",
    import_intro: "Файл CSV с заголовками в первой строке: в кодировке UTF-8 или Windows-1251, \
                   с разделителем «,» или «;» — как сохраняет Excel.",
    import_columns: "Столбцы: ФИО (обязательно), почта (несколько адресов — через пробел), \
                     телефон, telegram, должность, руководитель (его e-mail; руководитель может \
                     быть в этом же файле), github, gitlab, gitea, дата начала, ssh_keys (по \
                     ключу в строке; только для тех, кто управляет доступами).",
    import_all_or_nothing: "Файл загружается целиком или не загружается вовсе: если хоть одна \
                            строка с ошибкой, ничего не записывается. Люди, чей адрес уже есть \
                            в справочнике, пропускаются.",
    file: "Файл",
    upload: "Загрузить",
    no_file: "выберите файл",
    created: "Добавлено",
    already_present: "уже были в справочнике",
    import_failed: "В файле есть ошибки — ничего не загружено. Исправьте эти строки и загрузите файл снова.",
    col_line: "Строка",
    col_field: "Поле",
    col_problem: "Ошибка",
    manager_email: "E-mail руководителя",
};

static EN: PeopleTexts = PeopleTexts {
    title: "People",
    add: "Add person",
    import: "Import CSV",
    search_label: "Search",
    search_placeholder: "Name, e-mail, phone, Telegram, position, login",
    status: "Status",
    filter_active: "Active",
    filter_left: "Left",
    filter_all: "All",
    col_name: "Name",
    col_email: "E-mail",
    col_position: "Position",
    col_phone: "Phone",
    active: "active",
    left: "left",
    user_badge: "user",
    of: "of",
    empty: "Nobody found.",
    pages: "Pages",
    thousands: ",",
    date_format: "%-d %b %Y",

    new_title: "New person",
    edit_title: "Edit",
    form_has_errors: "Check the marked fields — nothing was saved.",
    full_name: "Full name",
    emails: "E-mail addresses",
    emails_hint: "One per line. The first is the work address; the others are aliases \
                  (a personal address they commit with, say).",
    phone: "Phone",
    telegram: "Telegram",
    telegram_hint: "Username: @ivan_petrov or a t.me/ivan_petrov link.",
    position: "Position",
    manager: "Manager",
    no_manager: "— none —",
    forge_logins: "GitHub, GitLab and Gitea logins",
    forge_logins_hint: "Commits find their author by these.",
    ssh_keys: "SSH public keys",
    ssh_keys_hint: "One per line, as in authorized_keys: ssh-ed25519 AAAA… comment.",
    ssh_keys_locked: "Keys give access to servers: only those who manage access, or the person themselves, may change them.",
    started_on: "Started on",
    create: "Add",

    work_email: "work",
    not_set: "—",
    left_on: "Left on",
    account: "User account",
    account_none: "none, does not log in to Shtab",
    account_open: "Open",
    portal: "Bitrix24",
    portal_profile: "Profile on the portal",
    portal_departments: "Departments",
    portal_left: "inactive on the portal",
    key_algorithm: "Type",
    key_comment: "Comment",
    key_fingerprint: "SHA256 fingerprint",
    no_keys: "No keys.",
    edit: "Edit",
    deactivate_title: "Leaving the company",
    deactivate_hint: "The person stays in the directory, marked as left. Their login to Shtab \
                      stops working at once: sessions end and API tokens are revoked.",
    deactivate: "Mark as left",

    import_title: "Import from CSV",
    import_intro: "A CSV file with headers in the first row, in UTF-8 or Windows-1251, \
                   separated by “,” or “;” — as Excel saves it.",
    import_columns: "Columns: full_name (required), emails (several separated by spaces), phone, \
                     telegram, position, manager (their e-mail; the manager may be in the same \
                     file), github, gitlab, gitea, started_on, ssh_keys (one per line; only for \
                     those who manage access).",
    import_all_or_nothing: "A file is imported whole or not at all: if any row has an error, \
                            nothing is written. People whose address is already in the \
                            directory are skipped.",
    file: "File",
    upload: "Upload",
    no_file: "choose a file",
    created: "Created",
    already_present: "already present",
    import_failed: "The file has errors — nothing was imported. Fix these rows and upload the file again.",
    col_line: "Line",
    col_field: "Field",
    col_problem: "Problem",
    manager_email: "Manager's e-mail",
};

pub fn texts(locale: Locale) -> &'static PeopleTexts {
    pick(locale, &RU, &EN)
}

impl PeopleTexts {
    pub fn status(&self, status: PersonStatus) -> &'static str {
        match status {
            PersonStatus::Active => self.active,
            PersonStatus::Left => self.left,
        }
    }

    /// What a field the core names (`emails`, `github_login`…) is called on the pages.
    pub fn field_label<'a>(&self, field: &'a str) -> &'a str {
        match field {
            "full_name" => self.full_name,
            "emails" => self.emails,
            "phone" => self.phone,
            "telegram" => self.telegram,
            "position" => self.position,
            "manager_id" => self.manager,
            "manager_email" => self.manager_email,
            "github_login" | "github" => "GitHub",
            "gitlab_login" | "gitlab" => "GitLab",
            "gitea_login" | "gitea" => "Gitea",
            "ssh_keys" => self.ssh_keys,
            "started_on" => self.started_on,
            "file" => self.file,
            other => other,
        }
    }

    /// A date as people write it here: 24.11.2026, or 24 Nov 2026.
    pub fn date(&self, date: chrono::NaiveDate) -> String {
        date.format(self.date_format).to_string()
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
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(RU.number(10_000), "10\u{a0}000");
        assert_eq!(EN.number(1_234_567), "1,234,567");
        assert_eq!(EN.number(999), "999");
        assert_eq!(EN.number(0), "0");
    }

    #[test]
    fn dates_follow_the_language() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 4).unwrap();
        assert_eq!(RU.date(d), "04.11.2026");
        assert_eq!(EN.date(d), "4 Nov 2026");
    }
}
