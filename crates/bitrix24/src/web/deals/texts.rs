//! What the deals' part of the Bitrix24 page says, in Russian and English.

use shtab_web::i18n::{Locale, pick};

#[derive(Debug)]
pub struct DealsTexts {
    pub title: &'static str,
    pub kept_in_shtab: &'static str,
    pub no_portal: &'static str,
    pub category: &'static str,
    pub stages: &'static str,
    pub fields: &'static str,
    pub shtab: &'static str,
    pub portal: &'static str,
    pub not_set_up: &'static str,
    pub problem: &'static str,
    pub saved: &'static str,
    pub created: &'static str,
    pub check: &'static str,
    pub check_hint: &'static str,
    pub save: &'static str,
    pub create_category: &'static str,
    pub create_fields: &'static str,
    pub all_found: &'static str,
    pub missing: &'static str,
    pub portal_categories: &'static str,
    pub portal_stages: &'static str,
    pub portal_fields: &'static str,
    pub refused: &'static str,
}

static RU: DealsTexts = DealsTexts {
    title: "Сделки в Битрикс24",
    kept_in_shtab: "Сейчас сделки ведутся в Штабе (systems.deals = \"shtab\"). Воронку на портале можно подготовить заранее.",
    no_portal: "Портал не подключён: настроить сделки нельзя.",
    category: "Воронка (ID направления сделок)",
    stages: "Этапы",
    fields: "Поля",
    shtab: "В Штабе",
    portal: "На портале",
    not_set_up: "Воронка ещё не выбрана: проверьте портал и выберите воронку или создайте новую.",
    problem: "Настройки не совпадают с порталом, сделки не записываются:",
    saved: "Настройки сделок сохранены.",
    created: "Воронка и поля созданы на портале, настройки сохранены.",
    check: "Проверить по порталу",
    check_hint: "Портал читается сейчас; совпадения по названиям подставляются в форму.",
    save: "Сохранить",
    create_category: "Создать воронку «Тендеры»",
    create_fields: "Создать недостающие поля",
    all_found: "Всё, что названо в настройках, на портале есть.",
    missing: "Не хватает:",
    portal_categories: "Воронки портала",
    portal_stages: "Этапы выбранной воронки",
    portal_fields: "Поля сделок портала",
    refused: "Портал отказал:",
};

static EN: DealsTexts = DealsTexts {
    title: "Deals on Bitrix24",
    kept_in_shtab: "Deals are kept in Shtab now (systems.deals = \"shtab\"). The portal's pipeline can be prepared in advance.",
    no_portal: "No portal is connected: deals cannot be set up.",
    category: "Pipeline (deal category ID)",
    stages: "Stages",
    fields: "Fields",
    shtab: "In Shtab",
    portal: "On the portal",
    not_set_up: "No pipeline is chosen yet: check the portal and pick one, or create a new one.",
    problem: "The settings do not match the portal; no deal is written:",
    saved: "The deal settings were saved.",
    created: "The pipeline and fields were created on the portal and the settings saved.",
    check: "Check against the portal",
    check_hint: "The portal is read now; what matches by name is filled into the form.",
    save: "Save",
    create_category: "Create the pipeline “Tenders”",
    create_fields: "Create the missing fields",
    all_found: "Everything the settings name exists on the portal.",
    missing: "Missing:",
    portal_categories: "The portal's pipelines",
    portal_stages: "Stages of the chosen pipeline",
    portal_fields: "The portal's deal fields",
    refused: "The portal refused:",
};

pub fn texts(locale: Locale) -> &'static DealsTexts {
    pick(locale, &RU, &EN)
}
