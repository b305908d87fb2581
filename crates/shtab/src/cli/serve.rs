use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use shtab_core::audit::Actor;
use shtab_core::auth::{generate_password, users};
use shtab_core::config::Config;
use shtab_core::db::Db;
use shtab_core::jobs::WorkerConfig;
use shtab_core::types::Email;
use tokio::net::TcpListener;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on. Overrides `server.listen`.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Load the demo company before serving (see `shtab demo`).
    #[arg(long)]
    demo: bool,
    /// E-mail of the first admin, created when there are no users yet.
    #[arg(long, default_value = "admin@localhost")]
    admin_email: String,
}

pub async fn run(mut config: Config, args: Args) -> anyhow::Result<ExitCode> {
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    let db = crate::server::open_database(&config).await?;
    ensure_first_admin(&db, &args.admin_email).await?;
    if args.demo {
        super::demo::print(&crate::demo::load(&db, &config).await?);
    }
    let listener = TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, database = %crate::server::describe_database(&config), "Shtab is serving");
    eprintln!("Shtab is serving on http://{address}");
    // The portal's one client is built here, before the pages and robots clone it; settings
    // it cannot use are said at once (and on /settings/bitrix24), not at the first call.
    match crate::server::portal(&db, &config) {
        shtab_bitrix24::hub::Configured::Yes(p) => {
            tracing::info!(portal = %p.client().portal(), mode = ?p.mode(), "Bitrix24 portal configured")
        }
        shtab_bitrix24::hub::Configured::Unusable(why) => {
            tracing::warn!(problem = %why, "Bitrix24 settings cannot be used")
        }
        shtab_bitrix24::hub::Configured::No => {}
    }
    let config = Arc::new(config);
    let app = crate::server::application(db.clone(), config.clone());
    // One signal stops the listener, the job worker and the scheduler.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        crate::server::shutdown_signal().await;
        let _ = stop.send(true);
    });
    let background = tokio::spawn({
        let (db, config, stopped) = (db.clone(), config.clone(), stopped.clone());
        async move {
            let result =
                crate::server::background(db, config, WorkerConfig::default(), stopped).await;
            if let Err(e) = &result {
                tracing::error!(error = %format!("{e:#}"), "the robots stopped");
            }
            result
        }
    });
    let mut http_stopped = stopped;
    let served = crate::server::serve(listener, app, async move {
        let _ = http_stopped.wait_for(|stop| *stop).await;
    })
    .await;
    let background = background.await.context("the robots' task panicked")?;
    served?;
    background?;
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// A fresh installation gets an admin at once, with a password printed this one time, so the
/// first start needs no other command.
async fn ensure_first_admin(db: &Db, email: &str) -> anyhow::Result<()> {
    let email = Email::parse("admin-email", email)
        .map_err(|e| anyhow::anyhow!("--admin-email: {}", e.message))?;
    let password = generate_password();
    let created = users::create_first_admin(
        db,
        &Actor::system("first start"),
        &email,
        // The interface speaks Russian by default; the admin may rename themselves.
        "Администратор",
        &password,
    )
    .await?;
    if created.is_none() {
        // Another hub sharing this database made the first admin.
        return Ok(());
    }
    eprintln!("First admin created. Log in as {email} with the password {password}");
    eprintln!(
        "(shown only now; change it under Settings, or run `shtab user passwd --email {email}`)"
    );
    Ok(())
}
