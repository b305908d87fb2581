use std::process::ExitCode;

use shtab_core::config::Config;

pub async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let db = crate::server::open_database(&config).await?;
    println!(
        "database is up to date ({})",
        crate::server::describe_database(&config)
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
