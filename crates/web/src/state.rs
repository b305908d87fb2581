use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use shtab_core::config::Config;
use shtab_core::db::Db;
use shtab_core::ports::{Crm, NoServerAccess, Notifier, ServerAccess};

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
    /// How people are told (the platform's own channels).
    pub notifier: Arc<dyn Notifier>,
    /// Where people's SSH keys reach; the binary hands in the access capability's answer.
    pub server_access: Arc<dyn ServerAccess>,
    /// The CRM when deals are kept outside Shtab (`systems.deals = "bitrix24"`): the
    /// tenders' pages act on it. `None`: Shtab's own deal tables.
    pub deals_elsewhere: Option<Arc<dyn Crm>>,
}

impl AppState {
    pub fn new(db: Db, config: Arc<Config>, metrics: PrometheusHandle) -> Self {
        let metrics_counts = Arc::new(crate::ops::CountsCache::new(Duration::from_secs(
            config.ops.metrics_cache_secs,
        )));
        AppState {
            notifier: Arc::new(shtab_core::ports::builtin_notifier(&db, &config)),
            server_access: Arc::new(NoServerAccess),
            deals_elsewhere: None,
            db,
            config,
            metrics,
            metrics_counts,
            nav: Arc::new(Vec::new()),
        }
    }

    /// The same state, with `access` answering where people's SSH keys reach.
    pub fn with_server_access(mut self, access: Arc<dyn ServerAccess>) -> Self {
        self.server_access = access;
        self
    }

    /// The same state, with deals kept in `crm` rather than in Shtab's own tables.
    pub fn with_deals_elsewhere(mut self, crm: Arc<dyn Crm>) -> Self {
        self.deals_elsewhere = Some(crm);
        self
    }

    /// An absolute link to a page, for messages that leave the browser (e-mail, Telegram).
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.config.public_url(), path)
    }
}
