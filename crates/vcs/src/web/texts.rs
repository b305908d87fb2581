//! What the repositories and commit-authors pages say, in Russian (the primary language)
//! and English.

use shtab_web::i18n::{Locale, pick};

use crate::domain::repository::RepoForge;

#[derive(Debug)]
pub struct VcsTexts {
    // The list.
    pub title: &'static str,
    pub add: &'static str,
    pub sweep_now: &'static str,
    pub sweep_hint: &'static str,
    pub sweep_busy: &'static str,
    pub sweep_queued: &'static str,
    pub sweep_unavailable: &'static str,
    pub authors_link: &'static str,
    pub col_name: &'static str,
    pub col_forge: &'static str,
    pub col_web_url: &'static str,
    pub col_enabled: &'static str,
    pub col_last_sweep: &'static str,
    pub col_deliveries_day: &'static str,
    pub empty: &'static str,
    pub on: &'static str,
    pub off: &'static str,
    pub never: &'static str,
    pub sweep_ok: &'static str,
    pub sweep_failed: &'static str,
    pub deleted: &'static str,

    // The form.
    pub new_title: &'static str,
    pub edit_title: &'static str,
    pub form_has_errors: &'static str,
    pub name: &'static str,
    pub name_hint: &'static str,
    pub forge: &'static str,
    pub forge_git: &'static str,
    pub forge_gitea: &'static str,
    pub clone_url: &'static str,
    pub clone_url_hint: &'static str,
    pub web_url: &'static str,
    pub web_url_hint: &'static str,
    pub credential: &'static str,
    pub credential_username: &'static str,
    pub credential_secret: &'static str,
    pub credential_secret_hint_new: &'static str,
    pub credential_secret_hint_edit: &'static str,
    pub clear_credential: &'static str,
    pub credential_dropped: &'static str,
    pub branch_filter: &'static str,
    pub branch_filter_hint: &'static str,
    pub ref_patterns: &'static str,
    pub ref_patterns_hint: &'static str,
    pub project_keys: &'static str,
    pub project_keys_hint: &'static str,
    pub enabled: &'static str,
    pub enabled_hint: &'static str,
    pub create: &'static str,

    // A repository's page.
    pub edit: &'static str,
    pub settings: &'static str,
    pub credential_set: &'static str,
    pub credential_none: &'static str,
    pub all_branches: &'static str,
    pub default_patterns: &'static str,
    pub any_project: &'static str,
    pub webhook: &'static str,
    pub webhook_url: &'static str,
    pub webhook_content_type: &'static str,
    pub webhook_events: &'static str,
    pub webhook_secret: &'static str,
    pub webhook_secret_hidden: &'static str,
    pub webhook_how_github: &'static str,
    pub webhook_how_gitlab: &'static str,
    pub webhook_how_gitea: &'static str,
    pub webhook_none: &'static str,
    pub events_github: &'static str,
    pub events_gitlab: &'static str,
    pub events_gitea: &'static str,
    pub rotate: &'static str,
    pub rotate_hint: &'static str,
    pub rotated: &'static str,
    pub deliveries: &'static str,
    pub no_deliveries: &'static str,
    pub col_time: &'static str,
    pub col_event: &'static str,
    pub col_delivery_id: &'static str,
    pub col_status: &'static str,
    pub col_reason: &'static str,
    pub col_commits: &'static str,
    pub last_sweep: &'static str,
    pub sweep_time: &'static str,
    pub sweep_status: &'static str,
    pub sweep_error: &'static str,
    pub sweep_commits: &'static str,
    pub sweep_robot: &'static str,
    pub delete_title: &'static str,
    pub delete_hint: &'static str,
    pub delete_confirm: &'static str,
    pub delete_confirm_required: &'static str,
    pub delete: &'static str,
    pub back: &'static str,

    // Delivery statuses.
    pub delivery_queued: &'static str,
    pub delivery_processed: &'static str,
    pub delivery_ignored: &'static str,
    pub delivery_rejected: &'static str,
    pub delivery_failed: &'static str,

    // Commit authors.
    pub authors_title: &'static str,
    pub authors_intro: &'static str,
    pub authors_empty: &'static str,
    pub col_email: &'static str,
    pub col_author_name: &'static str,
    pub col_last_commit: &'static str,
    pub this_is: &'static str,
    pub choose_person: &'static str,
    pub map: &'static str,
    pub no_email: &'static str,
    /// Which language this is, for the sentences built with numbers in them.
    english: bool,
}

static RU: VcsTexts = VcsTexts {
    title: "Репозитории",
    add: "Добавить репозиторий",
    sweep_now: "Обойти сейчас",
    sweep_hint: "Робот обходит все включённые репозитории и привязывает коммиты, о которых не сообщили веб-хуки.",
    sweep_busy: "Обход уже запущен или стоит в очереди — дождитесь его окончания.",
    sweep_queued: "Обход поставлен в очередь.",
    sweep_unavailable: "Робот обхода в этой установке не зарегистрирован.",
    authors_link: "Авторы коммитов без привязки",
    col_name: "Название",
    col_forge: "Хостинг",
    col_web_url: "Адрес в вебе",
    col_enabled: "Включён",
    col_last_sweep: "Последний обход",
    col_deliveries_day: "Веб-хуков за сутки",
    empty: "Репозиториев пока нет.",
    on: "включён",
    off: "выключен",
    never: "ещё не было",
    sweep_ok: "успешно",
    sweep_failed: "ошибка",
    deleted: "Репозиторий удалён.",

    new_title: "Новый репозиторий",
    edit_title: "Настройки репозитория",
    form_has_errors: "Проверьте отмеченные поля — ничего не сохранено.",
    name: "Название",
    name_hint: "Как репозиторий будет называться в Штабе, например «Сайт клиента».",
    forge: "Хостинг",
    forge_git: "Просто git (без веб-хуков)",
    forge_gitea: "Gitea / Forgejo",
    clone_url: "Адрес для клонирования",
    clone_url_hint: "Откуда робот забирает репозиторий: https://…, ssh://…, git@host:владелец/репозиторий.git или абсолютный путь на сервере. Можно оставить пустым, если хватает веб-хуков. Имя и токен в адрес не пишите — для них есть поля ниже.",
    web_url: "Адрес в вебе",
    web_url_hint: "Страница репозитория, например https://github.com/acme/app. По нему строятся ссылки на коммиты и узнаются веб-хуки.",
    credential: "Доступ для клонирования",
    credential_username: "Имя пользователя",
    credential_secret: "Токен или пароль",
    credential_secret_hint_new: "Для закрытых репозиториев по https. Хранится в Штабе и больше нигде не показывается.",
    credential_secret_hint_edit: "Оставьте пустым, чтобы сохранить прежний. Сохранённый токен не показывается. Если у адреса для клонирования сменится схема, сервер или порт, сохранённый токен удаляется — токен для нового адреса введите здесь же.",
    clear_credential: "Удалить сохранённый токен",
    credential_dropped: "Адрес для клонирования теперь ведёт на другой сервер, поэтому сохранённый токен удалён: он не отправляется туда, куда его не давали. Если новому адресу нужен токен, введите его в настройках.",
    branch_filter: "Ветки",
    branch_filter_hint: "По одной в строке или через запятую, можно со звёздочкой: main, release/*. Пусто — все ветки.",
    ref_patterns: "Шаблоны ссылок на задачи",
    ref_patterns_hint: "Регулярные выражения, по одному в строке, с группой (?P<task>…). Пусто — по умолчанию: #123, PROJ-123, «task 123» и «задача 123».",
    project_keys: "Ключи проектов",
    project_keys_hint: "Например, WEB, APP: тогда из ссылок вида KEY-123 учитываются только эти ключи. Пусто — любые.",
    enabled: "Включён",
    enabled_hint: "Выключенный репозиторий робот не обходит, а его веб-хуки записываются в журнал, но коммиты не привязываются.",
    create: "Добавить",

    edit: "Изменить",
    settings: "Настройки",
    credential_set: "сохранён",
    credential_none: "нет",
    all_branches: "все ветки",
    default_patterns: "по умолчанию (#123, PROJ-123, task 123, задача 123)",
    any_project: "любые",
    webhook: "Веб-хук",
    webhook_url: "Адрес веб-хука",
    webhook_content_type: "Тип содержимого",
    webhook_events: "События",
    webhook_secret: "Секрет",
    webhook_secret_hidden: "Секрет виден тем, кто управляет репозиториями.",
    webhook_how_github: "В GitHub: Settings → Webhooks → Add webhook. Вставьте адрес в Payload URL, выберите тип содержимого и секрет как ниже, событие — «Just the push event».",
    webhook_how_gitlab: "В GitLab: Settings → Webhooks → Add new webhook. Вставьте адрес в URL, секрет — в Secret token, отметьте Push events.",
    webhook_how_gitea: "В Gitea или Forgejo: Settings → Webhooks → Add webhook → Gitea (Forgejo). Вставьте адрес в Target URL, метод POST, тип содержимого и секрет как ниже, события — Push.",
    webhook_none: "Обычный git-сервер не присылает веб-хуков: этот репозиторий только обходится роботом.",
    events_github: "push («Just the push event»)",
    events_gitlab: "Push events",
    events_gitea: "Push",
    rotate: "Заменить секрет",
    rotate_hint: "Старый секрет перестанет действовать сразу — вставьте новый в настройки веб-хука.",
    rotated: "Секрет заменён. Вставьте новый в настройки веб-хука.",
    deliveries: "Последние веб-хуки",
    no_deliveries: "Веб-хуков ещё не было.",
    col_time: "Время",
    col_event: "Событие",
    col_delivery_id: "Идентификатор",
    col_status: "Итог",
    col_reason: "Пояснение",
    col_commits: "Коммитов / привязано",
    last_sweep: "Последний обход",
    sweep_time: "Когда",
    sweep_status: "Итог",
    sweep_error: "Ошибка",
    sweep_commits: "Коммитов",
    sweep_robot: "Расписание и история обходов",
    delete_title: "Удаление",
    delete_hint: "Удалятся настройки, журнал веб-хуков и сведения о коммитах этого репозитория. Уже сделанные привязки к задачам останутся.",
    delete_confirm: "Да, удалить этот репозиторий",
    delete_confirm_required: "Отметьте подтверждение, чтобы удалить репозиторий.",
    delete: "Удалить",
    back: "← Все репозитории",

    delivery_queued: "в очереди",
    delivery_processed: "обработан",
    delivery_ignored: "пропущен",
    delivery_rejected: "отклонён",
    delivery_failed: "ошибка",

    authors_title: "Авторы коммитов",
    authors_intro: "Адреса из коммитов, которые не удалось сопоставить ни с кем из людей. Укажите, чей это адрес: он станет дополнительным адресом человека, и все его коммиты, прежние и будущие, будут приписаны этому человеку.",
    authors_empty: "Все авторы коммитов сопоставлены с людьми.",
    col_email: "E-mail",
    col_author_name: "Имя в коммитах",
    col_last_commit: "Последний коммит",
    this_is: "Это…",
    choose_person: "— выберите человека —",
    map: "Сопоставить",
    no_email: "(без адреса)",
    english: false,
};

static EN: VcsTexts = VcsTexts {
    title: "Repositories",
    add: "Add repository",
    sweep_now: "Sweep now",
    sweep_hint: "The robot walks every enabled repository and links the commits webhooks did not report.",
    sweep_busy: "A sweep is already queued or running — wait for it to finish.",
    sweep_queued: "A sweep is queued.",
    sweep_unavailable: "This installation has no sweep robot registered.",
    authors_link: "Unmatched commit authors",
    col_name: "Name",
    col_forge: "Forge",
    col_web_url: "Web address",
    col_enabled: "Enabled",
    col_last_sweep: "Last sweep",
    col_deliveries_day: "Webhooks, last 24 h",
    empty: "No repositories yet.",
    on: "enabled",
    off: "disabled",
    never: "never",
    sweep_ok: "ok",
    sweep_failed: "failed",
    deleted: "The repository was deleted.",

    new_title: "New repository",
    edit_title: "Repository settings",
    form_has_errors: "Check the marked fields — nothing was saved.",
    name: "Name",
    name_hint: "What Shtab calls the repository, say “Client website”.",
    forge: "Forge",
    forge_git: "Plain git (no webhooks)",
    forge_gitea: "Gitea / Forgejo",
    clone_url: "Clone URL",
    clone_url_hint: "Where the robot fetches from: https://…, ssh://…, git@host:owner/repo.git or an absolute path on the server. May stay empty when webhooks are enough. Do not put a user name or token in it: they have their own fields below.",
    web_url: "Web address",
    web_url_hint: "The repository's page, like https://github.com/acme/app. Commit links are built from it and webhooks are recognised by it.",
    credential: "Clone access",
    credential_username: "Username",
    credential_secret: "Token or password",
    credential_secret_hint_new: "For private repositories over https. Kept in Shtab and never shown again.",
    credential_secret_hint_edit: "Leave empty to keep the stored one. A stored token is never shown. If the clone URL's scheme, host or port changes, the stored token is removed — enter the token for the new address here.",
    clear_credential: "Remove the stored token",
    credential_dropped: "The clone URL now leads to another server, so the stored token was removed: it is never sent where it was not given. If the new address needs a token, enter it in the settings.",
    branch_filter: "Branches",
    branch_filter_hint: "One per line or comma-separated, with * as a wildcard: main, release/*. Empty means every branch.",
    ref_patterns: "Task reference patterns",
    ref_patterns_hint: "Regular expressions, one per line, with a (?P<task>…) group. Empty means the defaults: #123, PROJ-123, “task 123” and “задача 123”.",
    project_keys: "Project keys",
    project_keys_hint: "Say WEB, APP: then only these keys count in KEY-123 references. Empty means any.",
    enabled: "Enabled",
    enabled_hint: "A disabled repository is not swept; its webhooks are logged, but nothing is linked.",
    create: "Add",

    edit: "Edit",
    settings: "Settings",
    credential_set: "stored",
    credential_none: "none",
    all_branches: "every branch",
    default_patterns: "the defaults (#123, PROJ-123, task 123, задача 123)",
    any_project: "any",
    webhook: "Webhook",
    webhook_url: "Webhook URL",
    webhook_content_type: "Content type",
    webhook_events: "Events",
    webhook_secret: "Secret",
    webhook_secret_hidden: "The secret is shown to those who manage repositories.",
    webhook_how_github: "In GitHub: Settings → Webhooks → Add webhook. Paste the URL as the Payload URL, set the content type and secret as below, and choose “Just the push event”.",
    webhook_how_gitlab: "In GitLab: Settings → Webhooks → Add new webhook. Paste the URL, put the secret in Secret token and tick Push events.",
    webhook_how_gitea: "In Gitea or Forgejo: Settings → Webhooks → Add webhook → Gitea (Forgejo). Paste the URL as the Target URL, method POST, content type and secret as below, trigger on Push events.",
    webhook_none: "A plain git server sends no webhooks: this repository is only swept by the robot.",
    events_github: "push (“Just the push event”)",
    events_gitlab: "Push events",
    events_gitea: "Push",
    rotate: "Replace secret",
    rotate_hint: "The old secret stops working at once — paste the new one into the webhook's settings.",
    rotated: "The secret was replaced. Paste the new one into the webhook's settings.",
    deliveries: "Recent webhooks",
    no_deliveries: "No webhooks yet.",
    col_time: "Time",
    col_event: "Event",
    col_delivery_id: "Delivery id",
    col_status: "Outcome",
    col_reason: "Details",
    col_commits: "Commits / linked",
    last_sweep: "Last sweep",
    sweep_time: "When",
    sweep_status: "Outcome",
    sweep_error: "Error",
    sweep_commits: "Commits",
    sweep_robot: "Sweep schedule and history",
    delete_title: "Deleting",
    delete_hint: "The settings, the webhook log and what is known of this repository's commits are removed. Links already made on tasks stay.",
    delete_confirm: "Yes, delete this repository",
    delete_confirm_required: "Tick the confirmation to delete the repository.",
    delete: "Delete",
    back: "← All repositories",

    delivery_queued: "queued",
    delivery_processed: "processed",
    delivery_ignored: "ignored",
    delivery_rejected: "rejected",
    delivery_failed: "failed",

    authors_title: "Commit authors",
    authors_intro: "Addresses from commits that matched nobody in the directory. Say whose address it is: it becomes that person's alias, and all its commits, earlier and later, are attributed to them.",
    authors_empty: "Every commit author is matched to a person.",
    col_email: "E-mail",
    col_author_name: "Name in commits",
    col_last_commit: "Last commit",
    this_is: "This is…",
    choose_person: "— choose a person —",
    map: "Match",
    no_email: "(no address)",
    english: true,
};

pub fn texts(locale: Locale) -> &'static VcsTexts {
    pick(locale, &RU, &EN)
}

impl VcsTexts {
    pub fn forge(&self, forge: RepoForge) -> &'static str {
        match forge {
            RepoForge::Github => "GitHub",
            RepoForge::Gitlab => "GitLab",
            RepoForge::Gitea => self.forge_gitea,
            RepoForge::Git => self.forge_git,
        }
    }

    /// How a delivery's stored status reads; an unknown one is shown as stored.
    pub fn delivery_status<'a>(&self, status: &'a str) -> &'a str {
        match status {
            "queued" => self.delivery_queued,
            "processed" => self.delivery_processed,
            "ignored" => self.delivery_ignored,
            "rejected" => self.delivery_rejected,
            "failed" => self.delivery_failed,
            other => other,
        }
    }

    /// Refused webhook calls that were counted but dropped from the log.
    pub fn rejected_dropped(&self, count: i64) -> String {
        let kept = crate::store::deliveries::REJECTED_KEPT;
        if self.english {
            format!(
                "{count} more refused calls (a wrong signature and the like) were counted but not kept: the log keeps the last {kept}."
            )
        } else {
            format!(
                "Ещё отклонённых вызовов (неверная подпись и т. п.), которые посчитаны, но не хранятся: {count}. В журнале остаются последние {kept}."
            )
        }
    }

    /// "The address is now this person's" after "this is …".
    /// Russian counts avoid the noun ("перенесено: 3"), which would need three plural forms.
    pub fn mapped(&self, email: &str, name: &str, count: u64) -> String {
        if self.english {
            let noun = if count == 1 { "commit" } else { "commits" };
            format!("{count} {noun} now attributed to {name} ({email}).")
        } else {
            format!("Адрес {email} закреплён за человеком «{name}», коммитов перенесено: {count}.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mapping_message_counts_in_each_language() {
        assert_eq!(
            EN.mapped("ivan@home.test", "Ivan", 3),
            "3 commits now attributed to Ivan (ivan@home.test)."
        );
        assert_eq!(
            EN.mapped("a@b.test", "Ivan", 1),
            "1 commit now attributed to Ivan (a@b.test)."
        );
        assert_eq!(
            RU.mapped("ivan@home.test", "Иван", 3),
            "Адрес ivan@home.test закреплён за человеком «Иван», коммитов перенесено: 3."
        );
    }
}
