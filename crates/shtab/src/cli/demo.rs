//! `shtab demo`: load the demo company; `shtab demo --remove`: take it away again.

use std::process::ExitCode;

use shtab_core::config::Config;

use crate::demo::Report;

#[derive(clap::Args)]
pub struct Args {
    /// Remove what the demo added (and nothing else) instead of loading it.
    #[arg(long)]
    remove: bool,
}

pub async fn run(config: Config, args: Args) -> anyhow::Result<ExitCode> {
    let db = crate::server::open_database(&config).await?;
    if args.remove {
        let removed = crate::demo::remove(&db, &config).await?;
        if removed.is_empty() {
            println!("demo company: nothing to remove");
        } else {
            println!("demo company removed:");
            for line in removed.lines() {
                println!("  {line}");
            }
        }
    } else {
        print(&crate::demo::load(&db, &config).await?);
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub fn print(report: &Report) {
    if report.is_empty() {
        println!("demo company: already loaded, nothing added");
        return;
    }
    println!("demo company added:");
    for line in report.lines() {
        println!("  {line}");
    }
    if !report.people.users.is_empty() {
        println!("users (passwords are shown only now):");
        for (email, role, password) in &report.people.users {
            println!("  {email:<36} {:<11} {password}", role.as_str());
        }
    }
}
