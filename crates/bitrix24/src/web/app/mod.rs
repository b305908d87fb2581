//! Shtab inside the portal (see [`crate::app`]): the installation hook
//! (`/hooks/bitrix24/app`, [`lifecycle`]), the tabs the portal frames in its cards
//! (`/bitrix24/tabs/{tab}`: [`task_tab`], [`deal_tab`], [`invoice_tab`]; who is looking:
//! [`viewer`]) and the robots' calls
//! (`/hooks/bitrix24/robots/{code}`, [`robots`]). None of them has a session: the portal is
//! who calls, and each request proves itself (a token the portal confirms, the
//! installation's application token).

pub mod deal_tab;
pub mod invoice_tab;
pub mod lifecycle;
pub mod robots;
pub mod task_tab;
mod texts;
pub mod viewer;

use axum::Extension;
use shtab_web::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::cards::Cards;
use crate::hub::Configured;

pub fn routes(portal: Configured, cards: Cards) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(lifecycle::lifecycle))
        .routes(routes!(robots::call))
        .routes(routes!(task_tab::show))
        .routes(routes!(deal_tab::show))
        .routes(routes!(invoice_tab::show))
        .layer(Extension(portal))
        .layer(Extension(cards))
}
