//! What the tabs say, in Russian (the portal's default) and English (`LANG=en`).

use shtab_web::i18n::{Locale, pick};

pub struct TabTexts {
    pub lang: &'static str,
    pub commits: &'static str,
    pub no_commits: &'static str,
    pub waiting: &'static str,
    pub unreachable: &'static str,
    pub open_in_shtab: &'static str,
    pub refused: &'static str,
    pub not_installed: &'static str,
    pub other_portal: &'static str,
    pub not_confirmed: &'static str,
    pub portal_failed: &'static str,
    pub no_person: &'static str,
    pub no_rights: &'static str,
    pub bad_request: &'static str,
    pub task_hidden: &'static str,
    pub tasks_elsewhere: &'static str,
}

const RU: TabTexts = TabTexts {
    lang: "ru",
    commits: "Коммиты",
    no_commits: "Ни один коммит не упоминает эту задачу.",
    waiting: "ждёт задачу",
    unreachable: "ни одна ветка его больше не содержит",
    open_in_shtab: "Открыть в Штабе",
    refused: "Штаб не может показать эту вкладку",
    not_installed: "Штаб не установлен на этом портале.",
    other_portal: "Вкладка открыта с другого портала, не с того, где установлен Штаб.",
    not_confirmed: "Портал не подтвердил, кто вы: откройте карточку заново.",
    portal_failed: "Портал не ответил, кто вы; попробуйте позже.",
    no_person: "У вас нет учётной записи в Штабе, связанной с вашим пользователем портала.",
    no_rights: "Ваши роли в Штабе не позволяют видеть это.",
    bad_request: "Портал прислал запрос, который Штаб не понимает.",
    task_hidden: "Эта задача вам на портале не видна.",
    tasks_elsewhere: "Задачи Штаба ведутся не на портале.",
};

const EN: TabTexts = TabTexts {
    lang: "en",
    commits: "Commits",
    no_commits: "No commit names this task.",
    waiting: "waiting for the task",
    unreachable: "no branch contains it any more",
    open_in_shtab: "Open in Shtab",
    refused: "Shtab cannot show this tab",
    not_installed: "Shtab is not installed on this portal.",
    other_portal: "The tab was opened from another portal than the one Shtab is installed on.",
    not_confirmed: "The portal did not confirm who you are: open the card again.",
    portal_failed: "The portal did not say who you are; try again later.",
    no_person: "You have no Shtab account linked to your portal user.",
    no_rights: "Your Shtab roles do not let you see this.",
    bad_request: "The portal sent a request Shtab does not understand.",
    task_hidden: "You cannot see this task on the portal.",
    tasks_elsewhere: "Shtab's tasks are not kept on the portal.",
};

pub fn texts(locale: Locale) -> &'static TabTexts {
    pick(locale, &RU, &EN)
}
