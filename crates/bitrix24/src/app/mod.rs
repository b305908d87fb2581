//! Shtab inside the portal, as a local application: what it binds there on installation
//! (its tabs in the portal's cards, the events it acts on, its robots for automation rules)
//! and how a binding is made to converge ([`bind`]). The web side is [`crate::web::app`].

pub mod bind;
pub mod cards;
pub mod robots;

/// Where the portal posts `ONAPPINSTALL` (the application's installation handler) and
/// `ONAPPUNINSTALL` (bound there on installation).
pub const LIFECYCLE_PATH: &str = "/hooks/bitrix24/app";
/// The portal's outgoing events (see [`crate::web::events`]).
pub const EVENTS_PATH: &str = "/hooks/bitrix24";
/// The tabs' prefix: `/bitrix24/tabs/{tab}`.
pub const TABS_PATH: &str = "/bitrix24/tabs";
/// The robots' prefix: `/hooks/bitrix24/robots/{code}`.
pub const ROBOTS_PATH: &str = "/hooks/bitrix24/robots";

/// A tab Shtab adds to a card of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tab {
    /// The portal's placement code.
    pub placement: &'static str,
    /// The last segment of its address under [`TABS_PATH`].
    pub slug: &'static str,
    pub title_ru: &'static str,
    pub title_en: &'static str,
}

/// The tabs: the task card's «Коммиты», the deal card's «Тендер», the smart invoice card's
/// «Оплаты».
pub const TABS: &[Tab] = &[
    Tab {
        placement: "TASK_VIEW_TAB",
        slug: "task",
        title_ru: "Коммиты",
        title_en: "Commits",
    },
    Tab {
        placement: "CRM_DEAL_DETAIL_TAB",
        slug: "deal",
        title_ru: "Тендер",
        title_en: "Tender",
    },
    Tab {
        placement: "CRM_SMART_INVOICE_DETAIL_TAB",
        slug: "invoice",
        title_ru: "Оплаты",
        title_en: "Payments",
    },
];

/// A robot Shtab offers to the portal's automation rules of deals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RobotSpec {
    /// Its `CODE` on the portal and the last segment of its address under [`ROBOTS_PATH`].
    pub code: &'static str,
    pub name_ru: &'static str,
    pub name_en: &'static str,
}

/// «Запросить согласование цены у вендора»: the tenders pipeline's vendor e-mail for the deal.
pub const VENDOR_PRICE: RobotSpec = RobotSpec {
    code: "shtab_vendor_price",
    name_ru: "Запросить согласование цены у вендора",
    name_en: "Ask the vendor to approve the price",
};

/// «Обновить тендер с портала закупок»: re-reads the deal's tender notice and writes what
/// changed to the deal.
pub const TENDER_REFRESH: RobotSpec = RobotSpec {
    code: "shtab_tender_refresh",
    name_ru: "Обновить тендер с портала закупок",
    name_en: "Refresh the tender from the procurement portal",
};

/// The robots Shtab offers.
pub const ROBOTS: &[RobotSpec] = &[VENDOR_PRICE, TENDER_REFRESH];

/// The events bound on installation: the ones Shtab acts on, at the events hook, and the
/// removal, at the lifecycle hook. Paths are joined to the hub's public address.
pub fn events() -> Vec<(&'static str, &'static str)> {
    let mut events: Vec<(&'static str, &'static str)> = crate::web::events::handlers::HANDLERS
        .iter()
        .map(|(name, _)| (*name, EVENTS_PATH))
        .collect();
    events.push(("ONAPPUNINSTALL", LIFECYCLE_PATH));
    events
}

/// The scopes to grant the local application on the portal: what the hub's systems need
/// ([`crate::hub::needs`]), the tabs' (`placement`) and the robots' (`bizproc`), each once.
pub fn scopes(config: &shtab_core::config::Config) -> Vec<&'static str> {
    let mut scopes: Vec<&'static str> = Vec::new();
    for need in crate::hub::needs(config) {
        if !scopes.contains(&need.scope) {
            scopes.push(need.scope);
        }
    }
    scopes.extend(["placement", "bizproc"]);
    scopes
}
