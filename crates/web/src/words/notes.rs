//! Sentences Shtab's robots and jobs store in English (log lines, run errors, webhook
//! delivery notes, the comment a commit leaves on the task it closes), shown in Russian to a
//! Russian reader. Each is a pattern with `{}` holes; what fills them (names, numbers,
//! messages) is kept as written. A sentence no pattern knows is shown as stored.

use crate::i18n::Locale;

/// (English as stored, Russian), the holes in the same order.
const PATTERNS: &[(&str, &str)] = &[
    // Webhook deliveries and sweeps (code ↔ tasks).
    (
        "{} commits, {} naming tasks, {} links made",
        "коммитов: {}, с номерами задач: {}, связей создано: {}",
    ),
    (
        "{}: {} new commits, {} naming tasks, {} links made",
        "{}: новых коммитов: {}, с номерами задач: {}, связей создано: {}",
    ),
    // A commit's "fixes" closing the task it names.
    ("closed by commit:{}: {}", "закрыта коммитом {}: {}"),
    // Housekeeping.
    (
        "deleted {} expired sessions",
        "удалено истёкших сеансов: {}",
    ),
    (
        "deleted {} login throttling rows older than a day",
        "удалено записей о попытках входа старше суток: {}",
    ),
    (
        "deleted {} finished jobs older than 30 days",
        "удалено завершённых заданий старше 30 дней: {}",
    ),
    (
        "deleted {} log lines of runs older than 90 days",
        "удалено строк журналов запусков старше 90 дней: {}",
    ),
    (
        "deleted {} robot runs older than 90 days",
        "удалено запусков роботов старше 90 дней: {}",
    ),
    // Access, tenders, CRM.
    (
        "{} → {}: expired, revoked",
        "{} → {}: срок истёк, доступ отозван",
    ),
    (
        "{}: reminded person {}",
        "{}: напоминание отправлено, человек № {}",
    ),
    ("{} stage entries acted on", "обработано входов в этапы: {}"),
    ("{}: fetching", "{}: загрузка"),
    ("inbox file {}: {}", "файл во входящей папке {}: {}"),
    (
        "departments not read, the last names kept: {}",
        "отделы не прочитаны, оставлены прежние названия: {}",
    ),
    // Notification channels that are not set up, and deliveries through them.
    (
        "{} is not set (no portal is configured)",
        "не задан параметр {} (портал не подключён)",
    ),
    (
        "the {} channel is not configured ({} is not set)",
        "канал {} не настроен (не задан параметр {})",
    ),
    ("{} is not set", "не задан параметр {}"),
    ("the webhook answered {}", "веб-хук ответил {}"),
];

/// Services whose answers Shtab quotes after its own words: (as stored, Russian).
const ANSWERED: &[(&str, &str)] = &[("Telegram answered ", "Telegram ответил ")];

/// An outside service's answer quoted at the end of one of Shtab's sentences
/// (`Telegram answered 400: Bad Request: chat not found`): Shtab's part in the reader's
/// language, and the service's own words as it said them, to be shown as a quotation.
pub fn with_answer(text: &str, locale: Locale) -> (String, Option<String>) {
    for (en, ru) in ANSWERED {
        if let Some((status, said)) = text.strip_prefix(en).and_then(|r| r.split_once(": ")) {
            let head = if locale == Locale::Ru { ru } else { en };
            return (format!("{head}{status}"), Some(said.to_owned()));
        }
    }
    (in_language(text, locale), None)
}

/// A delivery note may end with the tasks it waits for.
const WAITING_EN: &str = "; no such task (yet) for ";
const WAITING_RU: &str = "; таких задач (пока) нет: ";

/// `text` in the reader's language, when it is one of Shtab's own sentences.
pub fn in_language(text: &str, locale: Locale) -> String {
    if locale == Locale::En {
        return text.to_string();
    }
    let (head, waiting) = match text.split_once(WAITING_EN) {
        Some((head, rest)) => (
            head,
            Some(format!(
                "{WAITING_RU}{} — ждём",
                rest.strip_suffix(": waiting").unwrap_or(rest)
            )),
        ),
        None => (text, None),
    };
    let mut out = PATTERNS
        .iter()
        .find_map(|(en, ru)| fill(en, ru, head))
        .unwrap_or_else(|| head.to_string());
    out.push_str(waiting.as_deref().unwrap_or(""));
    out
}

/// `text` read by `pattern` (`{}` matches anything non-empty, the next literal found as
/// late as the rest allows), written by `into`.
fn fill(pattern: &str, into: &str, text: &str) -> Option<String> {
    let literals: Vec<&str> = pattern.split("{}").collect();
    let mut rest = text.strip_prefix(literals[0])?;
    let mut holes = Vec::new();
    for (i, lit) in literals.iter().enumerate().skip(1) {
        let last = i == literals.len() - 1;
        let (hole, after) = if last && lit.is_empty() {
            (rest, "")
        } else if last {
            (rest.strip_suffix(lit)?, "")
        } else {
            let at = rest.find(lit)?;
            (&rest[..at], &rest[at + lit.len()..])
        };
        if hole.is_empty() {
            return None;
        }
        holes.push(hole);
        rest = after;
    }
    let mut out = String::new();
    let mut parts = into.split("{}");
    out.push_str(parts.next().unwrap_or(""));
    for (hole, part) in holes.iter().zip(parts) {
        out.push_str(hole);
        out.push_str(part);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shtabs_own_sentences_read_in_russian_and_others_stay() {
        let ru = |t| in_language(t, Locale::Ru);
        assert_eq!(
            ru("2 commits, 2 naming tasks, 1 links made"),
            "коммитов: 2, с номерами задач: 2, связей создано: 1"
        );
        assert_eq!(
            ru(
                "2 commits, 1 naming tasks, 0 links made; no such task (yet) for WEB-7, WEB-9: waiting"
            ),
            "коммитов: 2, с номерами задач: 1, связей создано: 0; таких задач (пока) нет: WEB-7, WEB-9 — ждём"
        );
        assert_eq!(
            ru("closed by commit:backend@bbb: Fix the menu"),
            "закрыта коммитом backend@bbb: Fix the menu"
        );
        assert_eq!(
            ru("deleted 0 expired sessions"),
            "удалено истёкших сеансов: 0"
        );
        assert_eq!(ru("something else entirely"), "something else entirely");
        assert_eq!(
            ru("notify.email.smtp_host is not set"),
            "не задан параметр notify.email.smtp_host"
        );
        assert_eq!(
            in_language("deleted 0 expired sessions", Locale::En),
            "deleted 0 expired sessions"
        );
    }
}
