use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use shtab_core::config::Config;
use shtab_core::db::Db;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: PrometheusHandle,
    /// `/metrics`' database counts, shared by every request of this application.
    pub metrics_counts: Arc<crate::ops::CountsCache>,
    /// The navigation, platform and enabled capabilities; set when the router is built.
    pub nav: Arc<Vec<crate::shell::NavEntry>>,
}

impl AppState {
    pub fn new(db: Db, config: Arc<Config>, metrics: PrometheusHandle) -> Self {
        let metrics_counts = Arc::new(crate::ops::CountsCache::new(Duration::from_secs(
            config.ops.metrics_cache_secs,
        )));
        AppState {
            db,
            config,
            metrics,
            metrics_counts,
            nav: Arc::new(Vec::new()),
        }
    }

    /// An absolute link to a page, for messages that leave the browser (e-mail, Telegram).
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.config.public_url(), path)
    }
}
