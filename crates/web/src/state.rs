use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use shtab_core::config::Config;
use shtab_core::db::Db;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: PrometheusHandle,
    /// The navigation, platform and enabled capabilities; set when the router is built.
    pub nav: Arc<Vec<crate::shell::NavEntry>>,
}

impl AppState {
    pub fn new(db: Db, config: Arc<Config>, metrics: PrometheusHandle) -> Self {
        AppState {
            db,
            config,
            metrics,
            nav: Arc::new(Vec::new()),
        }
    }

    /// An absolute link to a page, for messages that leave the browser (e-mail, Telegram).
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.config.public_url(), path)
    }
}
