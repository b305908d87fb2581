use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use shtab_core::config::Config;
use shtab_core::db::Db;
use shtab_core::ports::{
    Crm, NoPortalProfiles, NoServerAccess, Notifier, PortalProfiles, ServerAccess, TaskCommits,
    Tracker,
};

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
    /// The home page's and the search's providers, platform and capabilities; set when the
    /// router is built.
    pub hooks: Arc<crate::hooks::Hooks>,
    /// How people are told (the platform's own channels).
    pub notifier: Arc<dyn Notifier>,
    /// Where people's SSH keys reach; the binary hands in the access capability's answer.
    pub server_access: Arc<dyn ServerAccess>,
    /// Who people are on the Bitrix24 portal; the binary hands it in when a portal is
    /// configured.
    pub portal_profiles: Arc<dyn PortalProfiles>,
    /// Where tasks live when not in Shtab's own tables (`systems.tasks = "bitrix24"`); `None`
    /// for Shtab's own tracker.
    pub outside_tasks: Option<OutsideTasks>,
    /// The CRM when deals are kept outside Shtab (`systems.deals = "bitrix24"`): the
    /// tenders' pages act on it. `None`: Shtab's own deal tables.
    pub deals_elsewhere: Option<Arc<dyn Crm>>,
}

/// Tasks of another system of record, as the task pages reach them: the task through the
/// tracker port, the commits naming it from whatever linked them.
#[derive(Clone)]
pub struct OutsideTasks {
    pub tracker: Arc<dyn Tracker>,
    pub commits: Arc<dyn TaskCommits>,
}

impl AppState {
    pub fn new(db: Db, config: Arc<Config>, metrics: PrometheusHandle) -> Self {
        let metrics_counts = Arc::new(crate::ops::CountsCache::new(Duration::from_secs(
            config.ops.metrics_cache_secs,
        )));
        AppState {
            notifier: Arc::new(shtab_core::ports::builtin_notifier(&db, &config)),
            server_access: Arc::new(NoServerAccess),
            portal_profiles: Arc::new(NoPortalProfiles),
            outside_tasks: None,
            deals_elsewhere: None,
            db,
            config,
            metrics,
            metrics_counts,
            nav: Arc::new(Vec::new()),
            hooks: Arc::new(crate::hooks::Hooks::default()),
        }
    }

    /// The same state, with `access` answering where people's SSH keys reach.
    pub fn with_server_access(mut self, access: Arc<dyn ServerAccess>) -> Self {
        self.server_access = access;
        self
    }

    /// The same state, with `profiles` telling who people are on the portal.
    pub fn with_portal_profiles(mut self, profiles: Arc<dyn PortalProfiles>) -> Self {
        self.portal_profiles = profiles;
        self
    }

    /// The same state, with tasks held by another system of record.
    pub fn with_outside_tasks(mut self, tasks: OutsideTasks) -> Self {
        self.outside_tasks = Some(tasks);
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
