use std::process::ExitCode;

use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::demo::DemoReport;

pub async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let db = crate::server::open_database(&config).await?;
    let report = shtab_core::demo::load(&db, &Actor::system("shtab demo")).await?;
    print(&report);
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub fn print(report: &DemoReport) {
    println!("demo company: {} people added", report.people_created);
    if !report.users.is_empty() {
        println!("users (passwords are shown only now):");
        for (email, role, password) in &report.users {
            println!("  {email:<36} {:<11} {password}", role.as_str());
        }
    }
}
