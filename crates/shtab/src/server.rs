//! Wiring: configuration → database → application → listener.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use shtab_core::config::Config;
use shtab_core::db::{self, Db};
use shtab_web::AppState;
use tokio::net::TcpListener;

/// Opens the database and brings its schema up to date.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let db = db::connect(config)
        .await
        .with_context(|| format!("cannot open the database ({})", describe_database(config)))?;
    db.migrate().await.context("cannot migrate the database")?;
    Ok(db)
}

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
    shtab_web::build_router(state, Vec::new())
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
