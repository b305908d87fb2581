//! What the audit log page says, in Russian (the primary language) and English.

use crate::i18n::{Locale, pick};

#[derive(Debug)]
pub struct AuditTexts {
    pub title: &'static str,
    pub actor: &'static str,
    pub anyone: &'static str,
    pub users: &'static str,
    pub other_actors: &'static str,
    pub tokens: &'static str,
    pub robots: &'static str,
    pub system: &'static str,
    pub object: &'static str,
    pub any_object: &'static str,
    pub object_id: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub reset: &'static str,
    pub col_time: &'static str,
    pub col_actor: &'static str,
    pub col_action: &'static str,
    pub col_object: &'static str,
    pub col_changes: &'static str,
    pub empty: &'static str,
    pub fix_filter: &'static str,
    pub newest: &'static str,
    pub older: &'static str,
    pub pages: &'static str,
    pub via_token: &'static str,
    pub robot: &'static str,
    pub system_actor: &'static str,
    pub kind_person: &'static str,
    pub actions: &'static [(&'static str, &'static str)],
    pub kind_user: &'static str,
    pub kind_token: &'static str,
    pub kind_settings: &'static str,
    /// The capabilities' object kinds, by the code they record.
    pub kinds: &'static [(&'static str, &'static str)],
    /// Shown in place of an empty or missing value in "before → after".
    pub nothing: &'static str,
}

static RU: AuditTexts = AuditTexts {
    title: "Журнал изменений",
    actor: "Кто",
    anyone: "Все",
    users: "Пользователи",
    other_actors: "Не люди",
    tokens: "Через API-токены",
    robots: "Роботы",
    system: "Система (командная строка)",
    object: "Объект",
    any_object: "Любой",
    object_id: "Номер объекта",
    from: "С",
    to: "По",
    reset: "Сбросить",
    col_time: "Время",
    col_actor: "Кто",
    col_action: "Действие",
    col_object: "Объект",
    col_changes: "Что изменилось",
    empty: "Записей нет.",
    fix_filter: "Исправьте фильтр.",
    newest: "← Самые новые",
    older: "Раньше →",
    pages: "Страницы журнала",
    via_token: "токен",
    robot: "робот",
    system_actor: "система",
    kind_person: "Человек",
    actions: ACTIONS_RU,
    kind_user: "Пользователь",
    kind_token: "API-токен",
    kind_settings: "Настройки",
    kinds: &[
        ("task", "Задача"),
        ("repository", "Репозиторий"),
        ("deal", "Сделка"),
        ("pipeline", "Воронка"),
        ("tender_search", "Поиск тендеров"),
        ("invoice", "Счёт"),
        ("bank_account", "Банковский счёт"),
        ("bank_payment", "Платёж"),
        ("bank_saved_filter", "Сохранённый фильтр"),
        ("access_grant", "Доступ"),
        ("access_resource", "Ресурс"),
        ("access_server", "Сервер"),
        ("access_device", "Устройство VPN"),
        ("robot", "Робот"),
        ("notify_template", "Шаблон сообщения"),
        ("notify_delivery", "Сообщение"),
        ("bitrix24", "Битрикс24"),
        ("bitrix24_portal", "Портал Битрикс24"),
    ],
    nothing: "—",
};

static EN: AuditTexts = AuditTexts {
    title: "Audit log",
    actor: "Who",
    anyone: "Anyone",
    users: "Users",
    other_actors: "Not people",
    tokens: "Through API tokens",
    robots: "Robots",
    system: "System (command line)",
    object: "Object",
    any_object: "Any",
    object_id: "Object id",
    from: "From",
    to: "To",
    reset: "Reset",
    col_time: "Time",
    col_actor: "Who",
    col_action: "Action",
    col_object: "Object",
    col_changes: "What changed",
    empty: "No entries.",
    fix_filter: "Correct the filter.",
    newest: "← Newest",
    older: "Older →",
    pages: "Audit log pages",
    via_token: "token",
    robot: "robot",
    system_actor: "system",
    kind_person: "Person",
    actions: ACTIONS_EN,
    kind_user: "User",
    kind_token: "API token",
    kind_settings: "Settings",
    kinds: &[
        ("task", "Task"),
        ("repository", "Repository"),
        ("deal", "Deal"),
        ("pipeline", "Pipeline"),
        ("tender_search", "Tender search"),
        ("invoice", "Invoice"),
        ("bank_account", "Bank account"),
        ("bank_payment", "Payment"),
        ("bank_saved_filter", "Saved filter"),
        ("access_grant", "Access grant"),
        ("access_resource", "Resource"),
        ("access_server", "Server"),
        ("access_device", "VPN device"),
        ("robot", "Robot"),
        ("notify_template", "Message template"),
        ("notify_delivery", "Message"),
        ("bitrix24", "Bitrix24"),
        ("bitrix24_portal", "Bitrix24 portal"),
    ],
    nothing: "—",
};

pub fn texts(locale: Locale) -> &'static AuditTexts {
    pick(locale, &RU, &EN)
}

/// What actions are called; actions of capabilities not named here show their code.
static ACTIONS_RU: &[(&str, &str)] = &[
    ("person.create", "Добавлен человек"),
    ("person.update", "Изменены данные человека"),
    ("person.deactivate", "Отмечен уход"),
    ("user.create", "Выдан доступ"),
    ("user.roles", "Изменены роли"),
    ("user.disable", "Пользователь отключён"),
    ("user.enable", "Пользователь включён"),
    ("user.locale", "Изменён язык"),
    ("user.password", "Изменён пароль"),
    ("token.create", "Создан API-токен"),
    ("token.revoke", "Отозван API-токен"),
    ("session.end", "Завершён сеанс входа"),
    ("settings.update", "Изменены настройки"),
    ("robot.schedule", "Изменено расписание робота"),
    ("robot.run", "Робот запущен вручную"),
    ("notify.channels.update", "Изменены каналы уведомлений"),
    ("notify.template.update", "Изменён шаблон сообщения"),
    ("notify.delivery.retry", "Сообщение отправлено снова"),
];

static ACTIONS_EN: &[(&str, &str)] = &[
    ("person.create", "Person added"),
    ("person.update", "Person changed"),
    ("person.deactivate", "Marked as left"),
    ("user.create", "User created"),
    ("user.roles", "Roles changed"),
    ("user.disable", "User disabled"),
    ("user.enable", "User enabled"),
    ("user.locale", "Language changed"),
    ("user.password", "Password changed"),
    ("token.create", "API token created"),
    ("token.revoke", "API token revoked"),
    ("session.end", "Sign-in session ended"),
    ("settings.update", "Settings changed"),
    ("robot.schedule", "Robot schedule changed"),
    ("robot.run", "Robot run started by hand"),
    ("notify.channels.update", "Notification channels changed"),
    ("notify.template.update", "Message template changed"),
    ("notify.delivery.retry", "Message sent again"),
];

impl AuditTexts {
    pub fn action<'a>(&'static self, action: &'a str) -> &'a str {
        self.actions
            .iter()
            .find(|(code, _)| *code == action)
            .map(|(_, name)| *name)
            .unwrap_or(action)
    }

    /// The name of an object kind; a kind not named here shows as it is.
    pub fn object_kind<'a>(&'static self, kind: &'a str) -> &'a str {
        match kind {
            "person" => self.kind_person,
            "user" => self.kind_user,
            "token" => self.kind_token,
            "settings" => self.kind_settings,
            other => self
                .kinds
                .iter()
                .find(|(code, _)| *code == other)
                .map_or(other, |(_, name)| *name),
        }
    }
}
