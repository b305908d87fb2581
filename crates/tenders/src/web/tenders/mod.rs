//! The tenders inbox `/tenders`, one tender `/tenders/{id}` with its history and the
//! searches that found it, and the answers "take" / "not interesting"; the same under
//! `/api/v1/tenders`. Handlers parse, check permissions, call `service::inbox`, render.

mod api;
mod pages;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use shtab_core::ports::Crm;
use shtab_core::time::format_ms;
use shtab_web::AppState;
use shtab_web::i18n::{Locale, pick};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::store::tenders::Tender;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/tenders", get(pages::inbox))
        .route("/tenders/{id}", get(pages::show))
        .route("/tenders/{id}/take", post(pages::take))
        .route("/tenders/{id}/dismiss", post(pages::dismiss))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::inbox))
        .routes(routes!(api::get_tender))
        .routes(routes!(api::take))
        .routes(routes!(api::dismiss))
}

/// The CRM the tenders go into: the one deals are kept in elsewhere, else Shtab's own.
pub(crate) fn crm(state: &AppState) -> Arc<dyn Crm> {
    match &state.deals_elsewhere {
        Some(crm) => crm.clone(),
        None => Arc::new(crate::crm::BuiltinCrm::new(
            state.db.clone(),
            state.config.clone(),
        )),
    }
}

#[derive(Debug)]
pub struct Texts {
    pub inbox_title: &'static str,
    pub inbox_empty: &'static str,
    pub searches_link: &'static str,
    pub col_number: &'static str,
    pub col_title: &'static str,
    pub col_customer: &'static str,
    pub col_price: &'static str,
    pub col_deadline: &'static str,
    pub take: &'static str,
    pub not_interesting: &'static str,
    pub on_portal: &'static str,
    pub law: &'static str,
    pub customer_inn: &'static str,
    pub region: &'static str,
    pub okpd2: &'static str,
    pub platform: &'static str,
    pub published: &'static str,
    pub stage: &'static str,
    pub cancelled: &'static str,
    pub deal: &'static str,
    pub no_deal: &'static str,
    pub found_by: &'static str,
    pub history: &'static str,
    pub version: &'static str,
    pub source: &'static str,
    pub recorded: &'static str,
    pub taken: &'static str,
    pub dismissed: &'static str,
}

static RU: Texts = Texts {
    inbox_title: "Новые тендеры",
    inbox_empty: "Новых тендеров нет: поиски ничего нового не нашли или всё уже разобрано.",
    searches_link: "Поиски",
    col_number: "Номер",
    col_title: "Объект закупки",
    col_customer: "Заказчик",
    col_price: "Начальная цена",
    col_deadline: "Приём заявок до",
    take: "Взять",
    not_interesting: "Не интересно",
    on_portal: "на портале",
    law: "Закон",
    customer_inn: "ИНН заказчика",
    region: "Регион",
    okpd2: "ОКПД2",
    platform: "Площадка",
    published: "Размещено",
    stage: "Этап",
    cancelled: "Закупка отменена",
    deal: "Сделка",
    no_deal: "сделка ещё не создана",
    found_by: "Найден поисками",
    history: "История",
    version: "Версия",
    source: "Источник",
    recorded: "Записано",
    taken: "Тендер взят в работу.",
    dismissed: "Тендер отмечен как неинтересный.",
};

static EN: Texts = Texts {
    inbox_title: "New tenders",
    inbox_empty: "No new tenders: the searches found nothing new, or everything has been sorted.",
    searches_link: "Searches",
    col_number: "Number",
    col_title: "Object",
    col_customer: "Customer",
    col_price: "Starting price",
    col_deadline: "Applications until",
    take: "Take",
    not_interesting: "Not interesting",
    on_portal: "on the portal",
    law: "Law",
    customer_inn: "Customer INN",
    region: "Region",
    okpd2: "OKPD2",
    platform: "Platform",
    published: "Published",
    stage: "Stage",
    cancelled: "Purchase cancelled",
    deal: "Deal",
    no_deal: "no deal yet",
    found_by: "Found by searches",
    history: "History",
    version: "Version",
    source: "Source",
    recorded: "Recorded",
    taken: "The tender was taken.",
    dismissed: "The tender was marked not interesting.",
};

pub fn texts(locale: Locale) -> &'static Texts {
    pick(locale, &RU, &EN)
}

/// A tender as the pages show it: text ready to print.
#[derive(Debug, Clone)]
pub struct TenderView {
    pub id: i64,
    pub reg_number: String,
    pub title: String,
    pub url: String,
    pub law: String,
    pub customer: String,
    pub customer_inn: String,
    pub region: String,
    pub price: String,
    pub deadline: String,
    pub published: String,
    pub okpd2: String,
    pub platform: String,
    pub stage: String,
    pub cancelled: bool,
    pub deal_id: String,
}

impl TenderView {
    pub fn new(t: &Tender, state: &AppState) -> TenderView {
        let f = &t.facts;
        let tz = state.config.time_zone();
        TenderView {
            id: t.id,
            reg_number: f.reg_number.to_string(),
            title: f.title.clone(),
            url: f.url.clone(),
            law: f.law.to_string(),
            customer: f.customer.clone().unwrap_or_default(),
            customer_inn: f.customer_inn.clone().unwrap_or_default(),
            region: f.region.clone().unwrap_or_default(),
            price: f
                .max_price
                .map(|p| {
                    let code = f.currency.as_deref().unwrap_or_default();
                    format!("{p} {}", shtab_core::types::currency_sign(code))
                })
                .unwrap_or_default(),
            deadline: f
                .deadline
                .map(|d| format_ms(d.timestamp_millis(), tz))
                .unwrap_or_default(),
            published: f
                .published_at
                .map(|d| format_ms(d.timestamp_millis(), tz))
                .unwrap_or_default(),
            okpd2: f.okpd2.join(", "),
            platform: f.platform.clone().unwrap_or_default(),
            stage: f
                .stage
                .as_ref()
                .map(|s| match s {
                    crate::domain::Stage::Other(name) => name.clone(),
                    other => serde_json::to_value(other)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                })
                .unwrap_or_default(),
            cancelled: f.cancelled,
            deal_id: t.deal_id.clone().unwrap_or_default(),
        }
    }
}
