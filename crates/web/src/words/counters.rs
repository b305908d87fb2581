//! Robots' counters by their stored names, as a person reads them.

use crate::i18n::Locale;

/// The counter's name in the reader's language; an unknown name is shown as stored.
pub fn label(name: &str, locale: Locale) -> String {
    let (ru, en) = match name {
        "new" => ("новых", "new"),
        "known" => ("уже известных", "already known"),
        "matched" => ("сопоставлено", "matched"),
        "needs_attention" => ("требуют разбора", "need a look"),
        "accounts" => ("счетов", "accounts"),
        "files" => ("файлов", "files"),
        "failed" => ("ошибок", "failed"),
        "found" => ("найдено", "found"),
        "updated" => ("обновлено", "updated"),
        "searches" => ("поисков", "searches"),
        "reminded" => ("напоминаний", "reminders"),
        "revoked" => ("отозвано", "revoked"),
        "repositories" => ("репозиториев", "repositories"),
        "commits" => ("коммитов", "commits"),
        "with_references" => ("с номерами задач", "naming tasks"),
        "linked" => ("связей создано", "links made"),
        "waiting_linked" => ("ожидавших связано", "waiting ones linked"),
        "branches_changed" => ("веток изменилось", "branches changed"),
        "finished" => ("завершено", "finished"),
        "new_invoices" => ("новых счетов", "new invoices"),
        "created" => ("создано", "created"),
        "left" => ("уволено", "left"),
        "conflicts" => ("конфликтов", "conflicts"),
        "rows" => ("строк", "rows"),
        "entries" => ("записей", "entries"),
        "broken" => ("сломанных", "broken"),
        "reverted" => ("возвращено", "reverted"),
        "sessions" => ("сеансов удалено", "sessions deleted"),
        "throttle" => (
            "записей о попытках входа удалено",
            "login throttling rows deleted",
        ),
        "jobs" => ("заданий удалено", "jobs deleted"),
        "run_logs" => ("строк журналов удалено", "run log lines deleted"),
        "runs" => ("запусков удалено", "runs deleted"),
        _ => return name.to_string(),
    };
    match locale {
        Locale::Ru => ru.to_string(),
        Locale::En => en.to_string(),
    }
}
