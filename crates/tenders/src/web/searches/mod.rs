//! Saved searches: the list and editor `/tenders/searches[/{id}]` with the portal's own
//! search URL and a "run now" preview (`/tenders/searches/{id}/preview`: fetch, parse,
//! filter, store nothing); the same under `/api/v1/tenders/searches`.

mod api;
mod form;
mod pages;

use axum::Router;
use axum::routing::get;
use shtab_web::AppState;
use shtab_web::i18n::{Locale, pick};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service::Ingest;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/tenders/searches", get(pages::list).post(pages::create))
        .route(
            "/tenders/searches/{id}",
            get(pages::show).post(pages::update),
        )
        .route("/tenders/searches/{id}/preview", get(pages::preview))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_searches, api::create_search))
        .routes(routes!(api::get_search, api::update_search))
        .routes(routes!(api::preview_search))
}

pub(crate) fn ingest(state: &AppState) -> Ingest {
    Ingest::from_config(
        state.db.clone(),
        &state.config.tenders,
        super::tenders::crm(state),
    )
}

#[derive(Debug)]
pub struct Texts {
    pub title: &'static str,
    pub empty: &'static str,
    pub new_title: &'static str,
    pub name: &'static str,
    pub keywords: &'static str,
    pub keywords_hint: &'static str,
    pub exclude: &'static str,
    pub laws: &'static str,
    pub price_min: &'static str,
    pub price_max: &'static str,
    pub price_hint: &'static str,
    pub okpd2: &'static str,
    pub okpd2_hint: &'static str,
    pub okpd2_ids: &'static str,
    pub regions: &'static str,
    pub regions_hint: &'static str,
    pub region_ids: &'static str,
    pub ids_hint: &'static str,
    pub stages: &'static str,
    pub stage_submission: &'static str,
    pub stage_commission: &'static str,
    pub stage_completed: &'static str,
    pub stage_cancelled: &'static str,
    pub responsible: &'static str,
    pub nobody: &'static str,
    pub enabled: &'static str,
    pub schedule: &'static str,
    pub schedule_hint: &'static str,
    pub use_documents: &'static str,
    pub save: &'static str,
    pub saved: &'static str,
    pub form_has_errors: &'static str,
    pub portal_url: &'static str,
    pub rss_urls: &'static str,
    pub run_now: &'static str,
    pub preview_title: &'static str,
    pub preview_hint: &'static str,
    pub preview_failed: &'static str,
    pub accepted: &'static str,
    pub rejected: &'static str,
    pub already_known: &'static str,
    pub col_number: &'static str,
    pub col_title: &'static str,
    pub col_price: &'static str,
    pub col_verdict: &'static str,
    pub last_runs: &'static str,
    pub found: &'static str,
    pub new: &'static str,
    pub updated: &'static str,
    pub on: &'static str,
    pub off: &'static str,
    pub back: &'static str,
}

static RU: Texts = Texts {
    title: "Поиски тендеров",
    empty: "Поисков пока нет.",
    new_title: "Новый поиск",
    name: "Название",
    keywords: "Ключевые слова",
    keywords_hint: "По одному на строку; любая словоформа (охрана — охраны, охраной).",
    exclude: "Слова-исключения",
    laws: "Закон",
    price_min: "Цена от, ₽",
    price_max: "Цена до, ₽",
    price_hint: "Например 150 000 или 1 250 000,50",
    okpd2: "Коды ОКПД2",
    okpd2_hint: "Через запятую: 62, 26.2, 80.10.12",
    okpd2_ids: "Идентификаторы ОКПД2 на портале (okpd2Ids)",
    regions: "Регионы заказчика",
    regions_hint: "Двузначные коды через запятую: 77, 50",
    region_ids: "Идентификаторы регионов на портале (customerPlace)",
    ids_hint: "Скопируйте из адреса поиска на портале; без них портал не фильтрует, фильтрует Штаб.",
    stages: "Этап",
    stage_submission: "Подача заявок",
    stage_commission: "Работа комиссии",
    stage_completed: "Завершена",
    stage_cancelled: "Отменена",
    responsible: "Ответственный менеджер",
    nobody: "— никто —",
    enabled: "Включён",
    schedule: "Расписание (cron)",
    schedule_hint: "Например */30 * * * * — каждые полчаса",
    use_documents: "Также читать архивы сервиса отдачи документов (getDocsIP) по регионам",
    save: "Сохранить",
    saved: "Сохранено.",
    form_has_errors: "Исправьте ошибки в форме.",
    portal_url: "Этот поиск на портале",
    rss_urls: "RSS-ленты, которые опрашивает робот",
    run_now: "Проверить сейчас",
    preview_title: "Что поиск находит сейчас",
    preview_hint: "Ничего не сохраняется.",
    preview_failed: "Не удалось проверить поиск",
    accepted: "подходит",
    rejected: "отсеян",
    already_known: "уже есть",
    col_number: "Номер",
    col_title: "Объект закупки",
    col_price: "Начальная цена",
    col_verdict: "Итог",
    last_runs: "Последние запуски",
    found: "найдено",
    new: "новых",
    updated: "изменилось",
    on: "да",
    off: "нет",
    back: "К поиску",
};

static EN: Texts = Texts {
    title: "Tender searches",
    empty: "No searches yet.",
    new_title: "New search",
    name: "Name",
    keywords: "Keywords",
    keywords_hint: "One a line; any word form matches.",
    exclude: "Exclusion words",
    laws: "Law",
    price_min: "Price from, RUB",
    price_max: "Price up to, RUB",
    price_hint: "E.g. 150 000 or 1 250 000.50",
    okpd2: "OKPD2 codes",
    okpd2_hint: "Comma-separated: 62, 26.2, 80.10.12",
    okpd2_ids: "The portal's OKPD2 ids (okpd2Ids)",
    regions: "Customer regions",
    regions_hint: "Two-digit codes, comma-separated: 77, 50",
    region_ids: "The portal's region ids (customerPlace)",
    ids_hint: "Copy them from a search URL on the portal; without them the portal does not filter, Shtab does.",
    stages: "Stage",
    stage_submission: "Accepting applications",
    stage_commission: "Commission at work",
    stage_completed: "Completed",
    stage_cancelled: "Cancelled",
    responsible: "Responsible manager",
    nobody: "— nobody —",
    enabled: "Enabled",
    schedule: "Schedule (cron)",
    schedule_hint: "E.g. */30 * * * * for every half hour",
    use_documents: "Also read the document service's (getDocsIP) archives for the regions",
    save: "Save",
    saved: "Saved.",
    form_has_errors: "Please correct the errors in the form.",
    portal_url: "This search on the portal",
    rss_urls: "RSS feeds the robot polls",
    run_now: "Run now",
    preview_title: "What the search finds now",
    preview_hint: "Nothing is stored.",
    preview_failed: "The search could not be checked",
    accepted: "accepted",
    rejected: "filtered out",
    already_known: "already stored",
    col_number: "Number",
    col_title: "Object",
    col_price: "Starting price",
    col_verdict: "Verdict",
    last_runs: "Last runs",
    found: "found",
    new: "new",
    updated: "changed",
    on: "yes",
    off: "no",
    back: "Back to the search",
};

pub fn texts(locale: Locale) -> &'static Texts {
    pick(locale, &RU, &EN)
}
