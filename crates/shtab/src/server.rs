//! Wiring: configuration → database → application → listener.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use shtab_core::config::Config;
use shtab_core::db::{self, Db};
use shtab_core::jobs::{Registry, Worker, WorkerConfig};
use shtab_core::robots::{self, RobotSet};
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
pub const CAPABILITY_MIGRATIONS: &[&[shtab_core::db::migrations::Step]] = &[];

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
    let state = AppState::new(db, config, shtab_web::ops::metrics_handle());
    shtab_web::robots::with_robots(shtab_web::build_router(state, Vec::new()), robot_set())
}

/// The robots compiled into this binary; capabilities add theirs here.
pub fn robot_set() -> RobotSet {
    RobotSet::platform()
}

/// Every job kind this process runs.
pub fn job_registry(config: &Config, robots: RobotSet) -> Registry {
    robots::jobs(robots).merge(shtab_core::notify::jobs(config))
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
    let set = robot_set();
    robots::sync_known(&db, &set, &config.server.time_zone)
        .await
        .context("cannot register the robots")?;
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let worker = Worker::new(db.clone(), job_registry(&config, set.clone()), worker);
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
