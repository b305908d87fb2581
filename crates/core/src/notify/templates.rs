//! Message templates: MiniJinja text (`{{ amount }}`, `{% if %}`), one per key and language.
//! The built-in texts live here; an admin's edit is stored in `notify_templates` and wins.

use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor, Changes, Event};
use crate::db::Db;
use crate::error::{CoreError, CoreResult, FieldError, FieldErrors};
use crate::time::now_ms;
use crate::types::Locale;

/// A template built into the code, with the context it is rendered with in a preview.
pub struct TemplateDefault {
    pub key: &'static str,
    pub ru: (&'static str, &'static str),
    pub en: (&'static str, &'static str),
    /// What senders put into the context; the preview renders with it.
    pub sample: fn() -> serde_json::Value,
}

static DEFAULTS: &[TemplateDefault] = &[
    TemplateDefault {
        key: "notify.test",
        ru: (
            "Проверка уведомлений",
            "Здравствуйте, {{ person_name }}!\nЭто проверочное сообщение от Штаба: канал работает.",
        ),
        en: (
            "Notification test",
            "Hello, {{ person_name }}!\nThis is a test message from Shtab: the channel works.",
        ),
        sample: || json!({}),
    },
    TemplateDefault {
        key: "bank.payment_needs_attention",
        ru: (
            "Платёж от {{ payer }} на {{ amount }} ₽ требует внимания",
            "Платёж от {{ payer }}{% if inn %} (ИНН {{ inn }}){% endif %} на {{ amount }} ₽ от {{ date }} \
{% if outcome == \"partial\" %}оплачивает счёт № {{ invoice }} частично.\
{% elif outcome == \"several\" %}оплачивает сразу несколько счетов: № {{ invoices }}.\
{% elif outcome == \"overpayment\" %}больше остатка по счёту № {{ invoices }} ({{ remaining }} ₽) и не разнесён.\
{% elif outcome == \"underpays_several\" %}меньше суммы счетов № {{ invoices }} ({{ remaining }} ₽) и не разнесён.\
{% elif outcome == \"several_equal\" %}подходит по сумме к нескольким счетам (№ {{ invoices }}) и не разнесён.\
{% elif outcome == \"ambiguous_number\" %}называет номер {{ numbers }}, который есть у нескольких счетов, и не разнесён.\
{% elif outcome == \"numbers_not_found\" %}называет счета № {{ numbers }}, которых у плательщика нет, и не разнесён.\
{% elif outcome == \"no_payer_inn\" %}пришёл без ИНН плательщика и не разнесён.\
{% elif outcome == \"no_candidates\" %}не разнесён: у плательщика нет неоплаченных счетов.\
{% else %}не подходит ни к одному счёту плательщика и не разнесён.{% endif %}
Назначение: {{ purpose }}",
        ),
        en: (
            "A payment of {{ amount }} RUB from {{ payer }} needs attention",
            "A payment of {{ amount }} RUB from {{ payer }}{% if inn %} (INN {{ inn }}){% endif %} on {{ date }} \
{% if outcome == \"partial\" %}pays invoice {{ invoice }} in part.\
{% elif outcome == \"several\" %}pays several invoices at once: {{ invoices }}.\
{% elif outcome == \"overpayment\" %}is more than what is left of invoice {{ invoices }} ({{ remaining }} RUB) and was not allocated.\
{% elif outcome == \"underpays_several\" %}is less than invoices {{ invoices }} add up to ({{ remaining }} RUB) and was not allocated.\
{% elif outcome == \"several_equal\" %}fits several invoices by amount ({{ invoices }}) and was not allocated.\
{% elif outcome == \"ambiguous_number\" %}names number {{ numbers }}, which several invoices have, and was not allocated.\
{% elif outcome == \"numbers_not_found\" %}names invoices {{ numbers }}, which the payer does not have, and was not allocated.\
{% elif outcome == \"no_payer_inn\" %}came without the payer's INN and was not allocated.\
{% elif outcome == \"no_candidates\" %}was not allocated: the payer has no unpaid invoice.\
{% else %}fits none of the payer's invoices and was not allocated.{% endif %}
Purpose: {{ purpose }}",
        ),
        sample: || {
            json!({"payer": "ООО «Ромашка»", "inn": "7707083893", "amount": "12 500,00",
                   "date": "02.02.2026", "outcome": "partial", "invoice": "2024-117",
                   "invoices": "2024-117", "numbers": "2024-117", "remaining": null,
                   "purpose": "Оплата по счёту 2024-117"})
        },
    },
    TemplateDefault {
        key: "crm.deal_stage_entered",
        ru: (
            "Сделка «{{ deal }}»: этап «{{ stage }}»",
            "Сделка «{{ deal }}», за которую вы отвечаете, перешла на этап «{{ stage }}».{% if text %}\n{{ text }}{% endif %}",
        ),
        en: (
            "Deal “{{ deal }}”: stage “{{ stage }}”",
            "The deal “{{ deal }}” you are responsible for entered the stage “{{ stage }}”.{% if text %}\n{{ text }}{% endif %}",
        ),
        sample: || json!({"deal": "Поставка лицензий", "stage": "Согласование с вендором", "text": ""}),
    },
    TemplateDefault {
        key: "crm.deal_rules_broken",
        ru: (
            "Сделка «{{ deal }}»: этап «{{ stage }}» без обязательных полей",
            "Сделка «{{ deal }}», за которую вы отвечаете, перешла на этап «{{ stage }}», не заполнив: {{ missing }}.\n{% if reverted %}Штаб вернул её на этап «{{ from_stage }}»: заполните поля и переведите снова.{% else %}Заполните поля.{% endif %}",
        ),
        en: (
            "Deal “{{ deal }}”: stage “{{ stage }}” without its required fields",
            "The deal “{{ deal }}” you are responsible for entered the stage “{{ stage }}” without: {{ missing }}.\n{% if reverted %}Shtab moved it back to “{{ from_stage }}”: fill the fields in and move it again.{% else %}Please fill them in.{% endif %}",
        ),
        sample: || {
            json!({"deal": "Поставка лицензий", "stage": "Цена согласована",
                   "from_stage": "Согласование с вендором", "missing": "Согласованная цена",
                   "reverted": false})
        },
    },
    TemplateDefault {
        key: "tenders.deadline_soon",
        ru: (
            "Тендер № {{ reg_number }}: приём заявок до {{ deadline }}",
            "Приём заявок по тендеру «{{ title }}» (№ {{ reg_number }}, заказчик {{ customer }}) заканчивается {{ deadline }}.\nНачальная цена: {{ price }}\n{{ tender_url }}",
        ),
        en: (
            "Tender {{ reg_number }}: applications close {{ deadline }}",
            "Applications for the tender “{{ title }}” ({{ reg_number }}, customer {{ customer }}) close {{ deadline }}.\nStarting price: {{ price }}\n{{ tender_url }}",
        ),
        sample: || {
            json!({"reg_number": "0373200215526000664", "title": "Охрана объектов",
                   "customer": "ГБУ «Жилищник»", "deadline": "27.11.2026 10:00 МСК",
                   "price": "441 666,67 RUB",
                   "tender_url": "https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber=0373200215526000664"})
        },
    },
    TemplateDefault {
        key: "people.ssh_key_added",
        ru: (
            "{{ person }}: новый ключ SSH с доступом к серверам",
            "{{ changed_by }} добавил(а) человеку {{ person }} ключ SSH:\n{{ fingerprints }}\n\nКлюч сразу попадает на серверы по доступам:\n{{ grants }}\n\nЕсли вы этого не ждали, удалите ключ и проверьте доступы.",
        ),
        en: (
            "{{ person }}: a new SSH key that reaches servers",
            "{{ changed_by }} added an SSH key to {{ person }}:\n{{ fingerprints }}\n\nThe key is served at once to the servers of these grants:\n{{ grants }}\n\nIf you did not expect it, remove the key and check the grants.",
        ),
        sample: || {
            json!({"person": "Анна Смирнова", "changed_by": "Борис Петров",
                   "fingerprints": "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8",
                   "grants": "anna на web-1 (sudo)"})
        },
    },
    TemplateDefault {
        key: "bitrix24.user_left",
        ru: (
            "{{ person }} ушёл(а) с портала Битрикс24 — отключить доступы?",
            "Пользователь портала Битрикс24 № {{ portal_user }} ({{ person }}) больше не активен. \
В Штабе ничего не отозвано и не удалено: если человек ушёл, проведите увольнение.",
        ),
        en: (
            "{{ person }} left the Bitrix24 portal — offboard?",
            "Portal user #{{ portal_user }} ({{ person }}) is no longer active on Bitrix24. \
Nothing was revoked or deleted in Shtab: if they left, offboard them.",
        ),
        sample: || json!({"person": "Анна Смирнова", "portal_user": 17}),
    },
    TemplateDefault {
        key: "robot.failed",
        ru: (
            "Робот «{{ robot }}» завершился с ошибкой",
            "Запуск робота «{{ robot }}» завершился ошибкой:\n{{ error }}",
        ),
        en: (
            "Robot “{{ robot }}” failed",
            "A run of the robot “{{ robot }}” failed:\n{{ error }}",
        ),
        sample: || json!({"robot": "bank.statements", "error": "connection refused"}),
    },
];

pub fn defaults() -> &'static [TemplateDefault] {
    DEFAULTS
}

fn default_for(key: &str) -> Option<&'static TemplateDefault> {
    DEFAULTS.iter().find(|d| d.key == key)
}

/// The built-in subject and body of `key` in `locale`.
pub fn builtin(key: &str, locale: Locale) -> Option<(&'static str, &'static str)> {
    default_for(key).map(|d| match locale {
        Locale::Ru => d.ru,
        Locale::En => d.en,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub key: String,
    pub locale: Locale,
    pub subject: String,
    pub body: String,
    /// Changed by an admin (stored), rather than the built-in text.
    pub customised: bool,
    pub updated_at: Option<i64>,
}

/// The template for `key` in `locale`: the stored one, else the built-in one.
pub async fn get_template(db: &Db, key: &str, locale: Locale) -> CoreResult<Template> {
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT subject, body, updated_at FROM notify_templates WHERE key = $1 AND locale = $2",
    )
    .bind(key)
    .bind(locale.code())
    .fetch_optional(db.pool())
    .await?;
    if let Some((subject, body, updated_at)) = row {
        return Ok(Template {
            key: key.to_string(),
            locale,
            subject,
            body,
            customised: true,
            updated_at: Some(updated_at),
        });
    }
    let (subject, body) = builtin(key, locale).ok_or(CoreError::NotFound("template"))?;
    Ok(Template {
        key: key.to_string(),
        locale,
        subject: subject.into(),
        body: body.into(),
        customised: false,
        updated_at: None,
    })
}

/// Every template in both languages: the built-in keys and any others stored.
pub async fn list_templates(db: &Db) -> CoreResult<Vec<Template>> {
    let stored: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT key FROM notify_templates")
        .fetch_all(db.pool())
        .await?;
    let mut keys: Vec<String> = DEFAULTS.iter().map(|d| d.key.to_string()).collect();
    keys.extend(stored.into_iter().map(|(k,)| k));
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        for locale in [Locale::Ru, Locale::En] {
            match get_template(db, &key, locale).await {
                Ok(t) => out.push(t),
                Err(CoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(out)
}

/// A template error as a field error: what went wrong and on which line, as MiniJinja
/// tells it.
fn template_error(field: &str, code: &'static str, what: &str, e: &minijinja::Error) -> FieldError {
    let line = e.line().map(|l| format!(" (line {l})")).unwrap_or_default();
    let detail = e
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| e.kind().to_string());
    FieldError::new(field, code, format!("the template {what}: {detail}{line}"))
}

/// Field errors for a subject or body that does not compile.
pub fn check_template(subject: &str, body: &str) -> CoreResult<()> {
    let env = minijinja::Environment::new();
    let mut errors = FieldErrors::default();
    if subject.trim().is_empty() {
        errors.push(FieldError::required("subject"));
    } else if subject.contains('\n') {
        errors.push(FieldError::new(
            "subject",
            "control_characters",
            "one line only",
        ));
    }
    for (field, src) in [("subject", subject), ("body", body)] {
        if let Err(e) = env.template_from_str(src) {
            errors.push(template_error(
                field,
                "invalid_template",
                "does not compile",
                &e,
            ));
        }
    }
    if body.trim().is_empty() {
        errors.push(FieldError::required("body"));
    }
    errors.into_result()
}

/// Renders a subject and body with `context`. Values the context lacks render empty.
pub fn render(
    subject: &str,
    body: &str,
    context: &serde_json::Value,
) -> Result<(String, String), String> {
    let env = minijinja::Environment::new();
    let ctx = minijinja::Value::from_serialize(context);
    let one = |src: &str| {
        env.template_from_str(src)
            .and_then(|t| t.render(&ctx))
            .map_err(|e| e.to_string())
    };
    Ok((one(subject)?.trim().to_string(), one(body)?))
}

/// What a template would say with its key's example context, or the field errors if it
/// does not compile or does not render (an unknown filter, say, shows only when rendering).
pub fn preview(key: &str, subject: &str, body: &str) -> CoreResult<(String, String)> {
    check_template(subject, body)?;
    let mut ctx = default_for(key)
        .map(|d| (d.sample)())
        .unwrap_or_else(|| json!({}));
    if let Some(map) = ctx.as_object_mut() {
        map.entry("person_name")
            .or_insert_with(|| json!("Иван Петров"));
        map.entry("link")
            .or_insert_with(|| json!("https://shtab.example/"));
    }
    let env = minijinja::Environment::new();
    let ctx = minijinja::Value::from_serialize(&ctx);
    let mut errors = FieldErrors::default();
    let mut rendered = Vec::new();
    for (field, src) in [("subject", subject), ("body", body)] {
        match env.render_str(src, &ctx) {
            Ok(text) => rendered.push(text),
            Err(e) => errors.push(template_error(
                field,
                "template_does_not_render",
                "does not render with the example data",
                &e,
            )),
        }
    }
    errors.into_result()?;
    let body = rendered.pop().unwrap_or_default();
    let subject = rendered.pop().unwrap_or_default();
    Ok((subject.trim().to_string(), body))
}

/// Stores an admin's version of a template (audit-logged). Only the keys Shtab sends
/// exist; the text must compile and render with the key's example context, so a saved
/// template never breaks a later send.
pub async fn save_template(
    db: &Db,
    actor: &Actor,
    key: &str,
    locale: Locale,
    subject: &str,
    body: &str,
) -> CoreResult<Template> {
    if default_for(key).is_none() {
        return Err(CoreError::NotFound("template"));
    }
    preview(key, subject, body)?;
    let before = get_template(db, key, locale).await?;
    let subject = subject.trim();
    if before.subject == subject && before.body == body && before.customised {
        return get_template(db, key, locale).await;
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO notify_templates (key, locale, subject, body, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (key, locale) DO UPDATE SET subject = $3, body = $4, updated_at = $5",
    )
    .bind(key)
    .bind(locale.code())
    .bind(subject)
    .bind(body)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let mut changes = Changes::new();
    changes.diff("subject", &before.subject.as_str(), &subject);
    changes.diff("body", &before.body.as_str(), &body);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "notify.template.update",
            object_kind: "notify_template",
            object_id: format!("{key}/{}", locale.code()),
            object_label: format!("{key} ({})", locale.code()),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get_template(db, key, locale).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_compiles_and_renders_its_sample() {
        for d in DEFAULTS {
            for (subject, body) in [d.ru, d.en] {
                let (s, b) = preview(d.key, subject, body).unwrap();
                assert!(!s.is_empty() && !b.is_empty(), "{}", d.key);
            }
        }
    }

    #[test]
    fn a_syntax_error_is_a_field_error() {
        let Err(CoreError::Invalid(fields)) = check_template("ok", "Привет, {{ name ") else {
            panic!("accepted")
        };
        assert_eq!(fields[0].field, "body");
        assert_eq!(fields[0].code, "invalid_template");
    }

    #[test]
    fn a_template_that_compiles_but_does_not_render_is_a_field_error_naming_the_line() {
        let Err(CoreError::Invalid(fields)) = preview(
            "notify.test",
            "Проверка",
            "Здравствуйте!\n{{ person_name | nosuchfilter }}",
        ) else {
            panic!("accepted")
        };
        assert_eq!(fields.len(), 1, "{fields:?}");
        assert_eq!(fields[0].field, "body");
        assert_eq!(fields[0].code, "template_does_not_render");
        assert!(
            fields[0].message.contains("line 2"),
            "{}",
            fields[0].message
        );
        assert!(
            fields[0].message.contains("filter"),
            "{}",
            fields[0].message
        );
    }

    #[test]
    fn renders_with_a_json_context() {
        let (s, b) = render(
            "Счёт {{ n }}",
            "Сумма: {{ amount }}{% if link %} {{ link }}{% endif %}",
            &json!({"n": 7, "amount": "10,00"}),
        )
        .unwrap();
        assert_eq!(s, "Счёт 7");
        assert_eq!(b, "Сумма: 10,00");
    }
}
