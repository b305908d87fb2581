//! What the deal pages say, in Russian (the primary language) and English.

use shtab_core::FieldError;
use shtab_core::types::Locale;
use shtab_web::i18n::pick;

use crate::crm::Pipeline;

#[derive(Debug)]
pub struct DealsTexts {
    pub board_title: &'static str,
    pub pipeline: &'static str,
    pub empty_column: &'static str,
    pub drag_hint: &'static str,
    pub network_error: &'static str,
    pub settings: &'static str,
    pub deadline: &'static str,
    pub stage: &'static str,
    pub responsible: &'static str,
    pub nobody: &'static str,
    pub created: &'static str,
    pub tender: &'static str,
    pub open_on_portal: &'static str,
    pub kept_on: &'static str,
    pub open_card: &'static str,
    pub moved: &'static str,
    pub move_to: &'static str,
    pub fields: &'static str,
    pub other_fields: &'static str,
    pub standard_hint: &'static str,
    pub form_has_errors: &'static str,
    pub history: &'static str,
    pub no_history: &'static str,
    pub col_when: &'static str,
    pub col_who: &'static str,
    pub col_what: &'static str,
    pub ev_created: &'static str,
    pub ev_moved: &'static str,
    pub ev_fields: &'static str,
    pub ev_action: &'static str,
    pub ev_assigned: &'static str,
    pub assign: &'static str,
    pub emails: &'static str,
    pub no_emails: &'static str,
    pub col_to: &'static str,
    pub col_subject: &'static str,
    pub col_status: &'static str,
    pub email_pending: &'static str,
    pub email_sent: &'static str,
    pub email_failed: &'static str,
    pub email_dead: &'static str,
    pub refused: &'static str,
    pub missing: &'static str,
    pub to_enter: &'static str,
    pub to_leave: &'static str,
    // Settings.
    pub settings_title: &'static str,
    pub stages: &'static str,
    pub rules: &'static str,
    pub no_rules: &'static str,
    pub actions: &'static str,
    pub no_actions: &'static str,
    pub direction_enter: &'static str,
    pub direction_leave: &'static str,
    pub except_to: &'static str,
    pub add_rule: &'static str,
    pub remove: &'static str,
    pub field: &'static str,
    pub kind: &'static str,
    pub action_email: &'static str,
    pub action_notify: &'static str,
    pub action_set_field: &'static str,
    pub email_to_field: &'static str,
    pub email_subject: &'static str,
    pub email_body: &'static str,
    pub add_action: &'static str,
    pub value: &'static str,
    pub text: &'static str,
}

static RU: DealsTexts = DealsTexts {
    board_title: "Сделки",
    pipeline: "Воронка",
    empty_column: "Пусто",
    drag_hint: "Перетащите карточку в другую колонку, чтобы перевести сделку на этот этап.",
    network_error: "Не удалось связаться с сервером — сделка не переведена.",
    settings: "Настройка воронки",
    deadline: "Окончание подачи",
    stage: "Этап",
    responsible: "Ответственный",
    nobody: "— не назначен —",
    created: "Создана",
    tender: "Закупка",
    open_on_portal: "открыть на портале закупок",
    kept_on: "Сделка в Битрикс24",
    open_card: "открыть карточку",
    moved: "Сделка переведена на этап",
    move_to: "Перевести на этап",
    fields: "Поля сделки",
    other_fields: "Другие сведения",
    standard_hint: "заполняет робот",
    form_has_errors: "Проверьте отмеченные поля — ничего не сохранено.",
    history: "История",
    no_history: "Истории пока нет.",
    col_when: "Когда",
    col_who: "Кто",
    col_what: "Что",
    ev_created: "создана",
    ev_moved: "переведена",
    ev_fields: "изменены поля",
    ev_action: "действие этапа",
    ev_assigned: "назначен ответственный",
    assign: "Назначить",
    emails: "Отправленные письма",
    no_emails: "Писем не отправлялось.",
    col_to: "Кому",
    col_subject: "Тема",
    col_status: "Состояние",
    email_pending: "в очереди",
    email_sent: "отправлено",
    email_failed: "не отправлено",
    email_dead: "не отправлено (попытки исчерпаны)",
    refused: "Сделку нельзя перевести на этап",
    missing: "Не заполнены поля",
    to_enter: "нужно, чтобы войти на этап",
    to_leave: "нужно, чтобы уйти с этапа",
    settings_title: "Настройка воронки",
    stages: "Этапы",
    rules: "Обязательные поля",
    no_rules: "Правил нет: сделки переходят между этапами свободно.",
    actions: "Действия при входе на этап",
    no_actions: "Действий нет.",
    direction_enter: "чтобы войти на этап",
    direction_leave: "чтобы уйти с этапа",
    except_to: "кроме перехода на этапы",
    add_rule: "Добавить правило",
    remove: "Удалить",
    field: "Поле",
    kind: "Действие",
    action_email: "письмо",
    action_notify: "уведомить ответственного",
    action_set_field: "заполнить поле",
    email_to_field: "Адрес из поля",
    email_subject: "Тема письма",
    email_body: "Текст письма",
    add_action: "Добавить действие",
    value: "Значение",
    text: "Текст",
};

static EN: DealsTexts = DealsTexts {
    board_title: "Deals",
    pipeline: "Pipeline",
    empty_column: "Empty",
    drag_hint: "Drag a card to another column to move the deal to that stage.",
    network_error: "The server could not be reached — the deal did not move.",
    settings: "Pipeline settings",
    deadline: "Applications until",
    stage: "Stage",
    responsible: "Responsible",
    nobody: "— unassigned —",
    created: "Created",
    tender: "Tender",
    open_on_portal: "open on the procurement portal",
    kept_on: "Deal on Bitrix24",
    open_card: "open its card",
    moved: "The deal moved to the stage",
    move_to: "Move to",
    fields: "Deal fields",
    other_fields: "Other facts",
    standard_hint: "filled by the robot",
    form_has_errors: "Check the marked fields — nothing was saved.",
    history: "History",
    no_history: "No history yet.",
    col_when: "When",
    col_who: "Who",
    col_what: "What",
    ev_created: "created",
    ev_moved: "moved",
    ev_fields: "fields changed",
    ev_action: "stage action",
    ev_assigned: "responsible changed",
    assign: "Assign",
    emails: "E-mails sent",
    no_emails: "No e-mails sent.",
    col_to: "To",
    col_subject: "Subject",
    col_status: "Status",
    email_pending: "queued",
    email_sent: "sent",
    email_failed: "not sent",
    email_dead: "not sent (attempts exhausted)",
    refused: "The deal cannot move to",
    missing: "Missing fields",
    to_enter: "required to enter",
    to_leave: "required to leave",
    settings_title: "Pipeline settings",
    stages: "Stages",
    rules: "Required fields",
    no_rules: "No rules: deals move between stages freely.",
    actions: "Actions on entering a stage",
    no_actions: "No actions.",
    direction_enter: "to enter the stage",
    direction_leave: "to leave the stage",
    except_to: "except when moving to",
    add_rule: "Add rule",
    remove: "Remove",
    field: "Field",
    kind: "Action",
    action_email: "e-mail",
    action_notify: "notify the responsible person",
    action_set_field: "set a field",
    email_to_field: "Address from field",
    email_subject: "Subject",
    email_body: "Body",
    add_action: "Add action",
    value: "Value",
    text: "Text",
};

pub fn texts(locale: Locale) -> &'static DealsTexts {
    pick(locale, &RU, &EN)
}

impl DealsTexts {
    pub fn email_status(&self, status: &str) -> &'static str {
        match status {
            "sent" => self.email_sent,
            "failed" => self.email_failed,
            "dead" => self.email_dead,
            _ => self.email_pending,
        }
    }

    pub fn event(&self, kind: &str) -> &'static str {
        match kind {
            "created" => self.ev_created,
            "moved" => self.ev_moved,
            "fields" => self.ev_fields,
            "assigned" => self.ev_assigned,
            _ => self.ev_action,
        }
    }
}

/// A gate's refusal as one sentence naming the missing fields, in the reader's language:
/// «Сделку нельзя перевести на этап «Согласование с вендором». Не заполнены поля:
/// «Рекомендованная цена» (нужно, чтобы войти на этап «Согласование с вендором»).»
/// `None` when the errors are not a gate's.
pub fn refusal(
    locale: Locale,
    pipeline: &Pipeline,
    from: &str,
    to: &str,
    errors: &[FieldError],
) -> Option<String> {
    let t = texts(locale);
    let stage_name = |id: &str| {
        pipeline
            .stage(id)
            .map(|s| s.name(locale).to_string())
            .unwrap_or_else(|| id.to_string())
    };
    let (open, close) = match locale {
        Locale::Ru => ("«", "»"),
        Locale::En => ("“", "”"),
    };
    let items: Vec<String> = errors
        .iter()
        .filter_map(|e| {
            let label = pipeline
                .field(&e.field)
                .map(|f| f.label(locale).to_string())
                .unwrap_or_else(|| e.field.clone());
            let why = match e.code {
                "required_to_enter" => format!("{} {open}{}{close}", t.to_enter, stage_name(to)),
                "required_to_leave" => format!("{} {open}{}{close}", t.to_leave, stage_name(from)),
                _ => return None,
            };
            Some(format!("{open}{label}{close} ({why})"))
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    Some(format!(
        "{} {open}{}{close}. {}: {}.",
        t.refused,
        stage_name(to),
        t.missing,
        items.join(", ")
    ))
}

/// Field errors of this area in the reader's language; the shared table does the rest.
pub fn localize(locale: Locale, errors: Vec<FieldError>) -> Vec<FieldError> {
    if locale == Locale::En {
        return errors;
    }
    errors
        .into_iter()
        .map(|mut e| {
            let text = match e.code {
                "invalid_money" => Some("сумма вида 1 234 567,89"),
                "invalid_url" => Some("адрес, начинающийся с http:// или https://"),
                "invalid_datetime" => Some("время вида 2026-12-01T10:00:00+03:00"),
                "invalid_bool" => Some("да или нет"),
                "invalid_list" => Some("список через запятую"),
                "unknown_field" => Some("в воронке нет такого поля"),
                "unknown_stage" => Some("в воронке нет такого этапа"),
                _ => None,
            };
            if let Some(text) = text {
                e.message = text.to_string();
            }
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::domain::{FieldDef, FieldKind, StageDef};

    fn pipeline() -> Pipeline {
        Pipeline {
            id: "tenders".into(),
            name_ru: "Тендеры".into(),
            name_en: "Tenders".into(),
            stages: vec![
                StageDef {
                    id: "approval".into(),
                    name_ru: "Согласование".into(),
                    name_en: "Approval".into(),
                },
                StageDef {
                    id: "filed".into(),
                    name_ru: "Заявка подана".into(),
                    name_en: "Filed".into(),
                },
            ],
            fields: vec![FieldDef {
                name: "approved_price".into(),
                kind: FieldKind::Money,
                label_ru: "Согласованная цена".into(),
                label_en: "Approved price".into(),
                standard: false,
            }],
            rules: vec![],
            actions: vec![],
        }
    }

    #[test]
    fn a_refusal_names_the_fields_and_why_in_the_readers_language() {
        let e = FieldError::new(
            "approved_price",
            "required_to_leave",
            "Approved price is required",
        );
        let p = pipeline();
        assert_eq!(
            refusal(
                Locale::Ru,
                &p,
                "approval",
                "filed",
                std::slice::from_ref(&e)
            )
            .unwrap(),
            "Сделку нельзя перевести на этап «Заявка подана». Не заполнены поля: «Согласованная цена» (нужно, чтобы уйти с этапа «Согласование»)."
        );
        assert_eq!(
            refusal(Locale::En, &p, "approval", "filed", &[e]).unwrap(),
            "The deal cannot move to “Filed”. Missing fields: “Approved price” (required to leave “Approval”)."
        );
        assert_eq!(
            refusal(
                Locale::Ru,
                &p,
                "approval",
                "filed",
                &[FieldError::required("x")]
            ),
            None
        );
    }
}
