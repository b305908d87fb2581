//! Wiring: configuration → database → application → listener.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use shtab_bank::service::matching::Matcher;
use shtab_core::config::{Config, SystemOfRecord};
use shtab_core::db::{self, Db};
use shtab_core::jobs::{Registry, Worker, WorkerConfig};
use shtab_core::ports::{Directory, Invoices, Messenger, Notifier, PortalProfiles, Tracker};
use shtab_core::robots::{self, RobotSet};
use shtab_vcs::linker::Linker;
use shtab_web::AppState;
use tokio::net::TcpListener;

/// Opens the database and brings its schema up to date.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let db = db::connect(config)
        .await
        .with_context(|| format!("cannot open the database ({})", describe_database(config)))?;
    db.migrate(CAPABILITY_MIGRATIONS)
        .await
        .context("cannot migrate the database")?;
    Ok(db)
}

/// The capabilities' schema steps, applied after (and numbered apart from) the platform's.
pub const CAPABILITY_MIGRATIONS: &[&[shtab_core::db::migrations::Step]] = &[
    shtab_vcs::MIGRATIONS,
    shtab_bank::MIGRATIONS,
    shtab_tenders::MIGRATIONS,
    shtab_access::MIGRATIONS,
    shtab_bitrix24::MIGRATIONS,
];

/// Where the database is, without any password.
pub fn describe_database(config: &Config) -> String {
    let url = config.database_url();
    match url.split_once("://") {
        Some((scheme, rest)) if scheme.starts_with("postgres") => {
            let host = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
            format!("{scheme}://{host}")
        }
        _ => url,
    }
}

/// The application with every enabled capability.
pub fn application(db: Db, config: Arc<Config>) -> Router {
    let robots = robot_set(&db, &config);
    let portal = portal(&db, &config);
    let deals = portal_deals(&db, &config);
    let matcher = matcher(&db, &config);
    let cards = shtab_bitrix24::app::cards::Cards {
        commit_time: Arc::new(crate::portal_app::VcsCommitTime(db.clone())),
        tenders: Arc::new(crate::portal_app::PortalTenders {
            db: db.clone(),
            config: config.clone(),
        }),
        payments: Arc::new(crate::invoices::BankPayments(db.clone())),
    };
    let mut state = AppState::new(db.clone(), config.clone(), shtab_web::ops::metrics_handle())
        .with_server_access(Arc::new(shtab_access::ssh_reach::SshGrants::new(
            db.clone(),
        )))
        .with_portal_profiles(portal_profiles(&db, &config));
    if config.systems.deals == SystemOfRecord::Bitrix24 {
        state = state.with_deals_elsewhere(crm(&db, &config));
    }
    if config.systems.tasks != SystemOfRecord::Shtab {
        // The task pages show the other system's tasks, with the commits vcs linked to them.
        state = state.with_outside_tasks(shtab_web::OutsideTasks {
            tracker: tracker(&db, &config),
            commits: Arc::new(shtab_vcs::store::StoredTaskCommits(db)),
        });
    }
    shtab_web::robots::with_robots(
        shtab_web::build_router(
            state,
            vec![
                shtab_vcs::web::capability(),
                shtab_bank::web::capability(matcher),
                shtab_tenders::web::capability(),
                shtab_access::web::capability(),
                shtab_bitrix24::web::capability(portal, deals, cards),
            ],
        ),
        robots,
    )
}

/// The hub's Bitrix24 portal, when one is configured: one client per process, cloned to
/// everything that talks to the portal, so together they keep under its request limit (a
/// local application's tokens in the database).
pub fn portal(db: &Db, config: &Config) -> shtab_bitrix24::hub::Configured {
    shtab_bitrix24::hub::Portal::shared(config, db)
}

/// The system of record for tasks (`systems.tasks`): Shtab's own task tables, or the portal's
/// tasks over the hub's one client, with who is who from the users robot, what was already
/// posted (so two hubs, retries and rebased copies post once) and what was last read of tasks
/// (for the task pages) in the database.
pub fn tracker(db: &Db, config: &Config) -> Arc<dyn Tracker> {
    use shtab_bitrix24::adapters::{PortalTracker, UnusableTracker};
    use shtab_bitrix24::hub::Configured;
    use shtab_bitrix24::store::{StoredCopies, StoredLedger, people::StoredPeople};
    match config.systems.tasks {
        SystemOfRecord::Shtab => Arc::new(shtab_core::tasks::BuiltinTracker::new(db.clone())),
        SystemOfRecord::Bitrix24 => match portal(db, config) {
            Configured::Yes(p) => Arc::new(
                PortalTracker::new(
                    p.client().clone(),
                    Arc::new(StoredPeople(db.clone())),
                    Arc::new(StoredLedger(db.clone())),
                )
                .with_copies(Arc::new(StoredCopies(db.clone()))),
            ),
            Configured::No => Arc::new(UnusableTracker("no portal is configured".into())),
            Configured::Unusable(why) => Arc::new(UnusableTracker(why)),
        },
    }
}

/// The Bitrix24 app as a notification channel: `im.notify.system.add` over the hub's one
/// client, not sending to portal users the users robot found inactive. Without a portal the
/// `bitrix24` deliveries fail as not configured; with unusable settings, naming why.
pub fn messenger(db: &Db, config: &Config) -> Option<Arc<dyn Messenger>> {
    use shtab_bitrix24::adapters::{PortalMessenger, UnusableMessenger};
    use shtab_bitrix24::hub::Configured;
    use shtab_bitrix24::store::people::StoredPeople;
    match portal(db, config) {
        Configured::Yes(p) => Some(Arc::new(PortalMessenger::new(
            p.client().clone(),
            Arc::new(StoredPeople(db.clone())),
        ))),
        Configured::No => None,
        Configured::Unusable(why) => Some(Arc::new(UnusableMessenger(why))),
    }
}

/// Who people are on the portal (profile link, departments), for the person page and API.
pub fn portal_profiles(db: &Db, config: &Config) -> Arc<dyn PortalProfiles> {
    use shtab_bitrix24::store::people::StoredProfiles;
    match portal(db, config).portal() {
        Some(p) => Arc::new(StoredProfiles {
            db: db.clone(),
            origin: p.client().portal().clone(),
        }),
        None => Arc::new(shtab_core::ports::NoPortalProfiles),
    }
}

/// The people directory the capabilities look people up in.
pub fn directory(db: &Db) -> Arc<dyn Directory> {
    Arc::new(shtab_core::ports::builtin_directory(db))
}

/// The system of record for invoices (`systems.invoices`): Shtab's own invoice tables, or
/// the portal's smart invoices over the hub's one client, with who is who from the users
/// robot, what was already written in the database, and the bank's payments for the comments.
pub fn invoices(db: &Db, config: &Config) -> Arc<dyn Invoices> {
    use shtab_bitrix24::adapters::UnusableInvoices;
    use shtab_bitrix24::hub::Configured;
    match config.systems.invoices {
        SystemOfRecord::Shtab => Arc::new(shtab_bank::invoices::BuiltinInvoices::new(db.clone())),
        SystemOfRecord::Bitrix24 => match portal(db, config) {
            Configured::Yes(p) => Arc::new(portal_invoices(db, config, &p)),
            Configured::No => Arc::new(UnusableInvoices("no portal is configured".into())),
            Configured::Unusable(why) => Arc::new(UnusableInvoices(why)),
        },
    }
}

/// The portal's smart invoices as the invoices port.
pub fn portal_invoices(
    db: &Db,
    config: &Config,
    portal: &shtab_bitrix24::hub::Portal,
) -> shtab_bitrix24::adapters::PortalInvoices {
    use shtab_bitrix24::store::{StoredLedger, people::StoredPeople};
    shtab_bitrix24::adapters::PortalInvoices::new(
        portal.client().clone(),
        db.clone(),
        Arc::new(StoredPeople(db.clone())),
        Arc::new(StoredLedger(db.clone())),
        Arc::new(crate::invoices::BankPayments(db.clone())),
    )
    .with_hub(&config.server.public_url, config.default_locale())
}

/// The system of record for CRM deals (`systems.deals`): Shtab's own pipeline and deal
/// tables, or the portal's deals (the pipeline's rules and actions stay Shtab's).
pub fn crm(db: &Db, config: &Config) -> Arc<dyn shtab_core::ports::Crm> {
    use shtab_bitrix24::adapters::UnusableCrm;
    use shtab_bitrix24::hub::Configured;
    match config.systems.deals {
        SystemOfRecord::Shtab => Arc::new(shtab_tenders::crm::BuiltinCrm::new(
            db.clone(),
            Arc::new(config.clone()),
        )),
        SystemOfRecord::Bitrix24 => match (portal(db, config), portal_deals(db, config)) {
            (_, Some(deals)) => deals,
            (Configured::Unusable(why), _) => Arc::new(UnusableCrm(why)),
            _ => Arc::new(UnusableCrm("no portal is configured".into())),
        },
    }
}

/// The tenders' deals on the portal, when one is configured (the settings page sets them up
/// before deals move there): the hub's one client, who is who from the users robot, the
/// pipeline's rules and entry actions from the tenders capability.
pub fn portal_deals(
    db: &Db,
    config: &Config,
) -> Option<Arc<shtab_bitrix24::adapters::PortalDeals>> {
    use shtab_bitrix24::store::people::StoredPeople;
    let portal = portal(db, config).portal()?.clone();
    let config_arc = Arc::new(config.clone());
    Some(Arc::new(shtab_bitrix24::adapters::PortalDeals::new(
        portal.client().clone(),
        db.clone(),
        Arc::new(StoredPeople(db.clone())),
        Arc::new(shtab_tenders::crm::PipelineRules::new(
            db.clone(),
            config_arc,
        )),
        notifier(db, config),
        config.crm.rules_enforcement,
        shtab_tenders::crm::DEFAULT_PIPELINE,
    )))
}

/// The deals on the portal when they live there (`systems.deals = "bitrix24"`).
fn deals_on_portal(db: &Db, config: &Config) -> Option<Arc<shtab_bitrix24::adapters::PortalDeals>> {
    (config.systems.deals == SystemOfRecord::Bitrix24)
        .then(|| portal_deals(db, config))
        .flatten()
}

/// How people are told: e-mail, Telegram, webhooks and the Bitrix24 app through the job queue
/// (the jobs are in [`job_registry`]).
pub fn notifier(db: &Db, config: &Config) -> Arc<dyn Notifier> {
    Arc::new(shtab_core::ports::builtin_notifier(
        db,
        &Arc::new(config.clone()),
    ))
}

/// Running saved tender searches against the configured portal, into the CRM.
pub fn tender_ingest(db: &Db, config: &Config) -> shtab_tenders::service::Ingest {
    shtab_tenders::service::Ingest::from_config(db.clone(), &config.tenders, crm(db, config))
}

/// Payment ↔ invoice matching, shared by the statement robot and the import jobs.
pub fn matcher(db: &Db, config: &Config) -> Matcher {
    Matcher::new(
        db.clone(),
        invoices(db, config),
        notifier(db, config),
        directory(db),
    )
    .with_note_locale(config.default_locale())
}

/// Commit ↔ task linking, shared by the webhook jobs and the sweep.
pub fn linker(db: &Db, config: &Config) -> Linker {
    Linker::new(
        db.clone(),
        tracker(db, config),
        directory(db),
        config.vcs.gitea_noreply_domains(),
    )
}

/// The robots compiled into this binary; capabilities add theirs here. The portal's robots
/// only when a portal is configured.
pub fn robot_set(db: &Db, config: &Config) -> RobotSet {
    let mut set = platform_robots(db, config);
    let Some(p) = portal(db, config).portal().cloned() else {
        return set;
    };
    set = set.with(shtab_bitrix24::robots::users::Users::new(
        p.client().clone(),
        notifier(db, config),
    ));
    if let Some(deals) = deals_on_portal(db, config) {
        set = set.with(shtab_bitrix24::robots::deals::Deals::new(deals));
    }
    if config.systems.invoices == SystemOfRecord::Bitrix24 {
        set = set.with(shtab_bitrix24::robots::invoices::Invoices::new(
            p.client().clone(),
            db.clone(),
            Arc::new(portal_invoices(db, config, &p)),
            Arc::new(crate::invoices::MatcherWaiting(matcher(db, config))),
        ));
    }
    set
}

fn platform_robots(db: &Db, config: &Config) -> RobotSet {
    RobotSet::platform()
        .with(shtab_vcs::robots::Sweep::new(
            linker(db, config),
            config.data_dir.join("vcs").join("mirrors"),
            Duration::from_secs(config.vcs.fetch_timeout_secs),
        ))
        .with(shtab_bank::robots::statements::Statements::new(
            matcher(db, config),
            &config.bank,
        ))
        .with(shtab_access::robots::Expiry::new(db.clone()))
        .with(shtab_tenders::robots::searches::Searches::new(
            tender_ingest(db, config),
            &config.server.time_zone,
        ))
        .with(shtab_tenders::robots::reminders::Reminders::new(
            crm(db, config),
            notifier(db, config),
            config.tenders.reminder_days,
        ))
}

/// Every job kind this process runs.
pub fn job_registry(db: &Db, config: &Config, robots: RobotSet) -> Registry {
    let deals = match deals_on_portal(db, config) {
        Some(deals) => shtab_bitrix24::robots::deals::registry(deals),
        None => Registry::new(),
    };
    robots::jobs(robots)
        .merge(deals)
        .merge(shtab_core::notify::jobs_with_messenger(
            config,
            messenger(db, config),
        ))
        .merge(shtab_vcs::jobs::registry(linker(db, config)))
        .merge(shtab_bank::service::matching::registry(matcher(db, config)))
        .merge(shtab_bitrix24::robots::invoices::jobs(Arc::new(
            crate::invoices::MatcherWaiting(matcher(db, config)),
        )))
        .merge(shtab_access::jobs::registry(
            shtab_access::jobs::real_connectors(),
        ))
        .merge(shtab_tenders::crm::jobs::registry(
            Arc::new(config.clone()),
            notifier(db, config),
        ))
        .merge(shtab_bitrix24::jobs::registry(Arc::new(
            shtab_bitrix24::store::StoredCopies(db.clone()),
        )))
        .merge(portal_robots(db, config))
}

/// The jobs of Shtab's robots in the portal's automation rules, when Shtab can be installed
/// there (a local application is configured).
fn portal_robots(db: &Db, config: &Config) -> Registry {
    let Some(portal) = portal(db, config).portal().cloned() else {
        return Registry::new();
    };
    if portal.client().app().is_none() {
        return Registry::new();
    }
    shtab_bitrix24::app::robots::registry(
        db.clone(),
        portal.client().clone(),
        Arc::new(crate::portal_app::PortalRobots {
            db: db.clone(),
            config: Arc::new(config.clone()),
            crm: crm(db, config),
        }),
    )
}

/// The robots' side of `shtab serve`: the job worker and the scheduler, until `shutdown`.
/// Jobs still running after the worker's grace period are handed back to the queue and
/// their runs marked interrupted, so no run is left "running" behind.
pub async fn background(
    db: Db,
    config: Arc<Config>,
    worker: WorkerConfig,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let set = robot_set(&db, &config);
    robots::sync_known(&db, &set, &config.server.time_zone)
        .await
        .context("cannot register the robots")?;
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let worker = Worker::new(db.clone(), job_registry(&db, &config, set.clone()), worker);
    let scheduler = robots::scheduler::run(db.clone(), set, stopped(shutdown.clone()));
    tokio::join!(worker.run(stopped(shutdown)), scheduler);
    robots::interrupt_orphaned_runs(&db)
        .await
        .context("cannot mark interrupted runs")?;
    Ok(())
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("the server stopped with an error")
}

/// Completes on SIGTERM (service managers, containers) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
