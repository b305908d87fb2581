//! `shtab robots list` and `shtab robots run NAME`.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use shtab_core::config::Config;
use shtab_core::robots::{self, RunEvent, RunStatus};
use shtab_core::time::format_ms;
use shtab_core::types::Locale;

#[derive(Subcommand)]
pub enum RobotsCommand {
    /// Every robot with its schedule, last run and next run.
    List,
    /// Run a robot now, in this process, printing its progress; exit 1 if it fails.
    Run {
        /// The robot's name (see `shtab robots list`).
        name: String,
    },
}

pub async fn run(config: Config, cmd: RobotsCommand) -> anyhow::Result<ExitCode> {
    let db = crate::server::open_database(&config).await?;
    let set = crate::server::robot_set(&db, &config);
    robots::sync_known(&db, &set, &config.server.time_zone).await?;
    let tz = config.time_zone();
    let code = match cmd {
        RobotsCommand::List => {
            println!(
                "{:<16} {:<16} {:<16} {:<8} {:<34} NEXT RUN",
                "NAME", "SCHEDULE", "ZONE", "ENABLED", "LAST RUN"
            );
            for robot in robots::list(&db).await? {
                let last = match robots::last_run(&db, &robot.name).await? {
                    Some(run) => format!(
                        "#{} {} {}",
                        run.id,
                        run.status,
                        format_ms(run.started_at.unwrap_or(run.created_at), tz)
                    ),
                    None => "—".into(),
                };
                let next = robots::scheduler::next_fire(&robot)
                    .and_then(|ms| robot.time_zone.parse().ok().map(|zone| format_ms(ms, zone)))
                    .unwrap_or_else(|| "—".into());
                println!(
                    "{:<16} {:<16} {:<16} {:<8} {:<34} {}",
                    robot.name,
                    robot.cron,
                    robot.time_zone,
                    if robot.is_enabled() { "yes" } else { "no" },
                    last,
                    next
                );
            }
            ExitCode::SUCCESS
        }
        RobotsCommand::Run { name } => {
            if set.get(&name).is_none() {
                anyhow::bail!("no robot named {name} (see `shtab robots list`)");
            }
            println!("{}: running", set.title(&name, Locale::En));
            let observer = Arc::new(|event: &RunEvent| match event {
                RunEvent::Progress { done, total } => println!("progress {done}/{total}"),
                RunEvent::Log { level, message } => println!("{} {message}", level.as_str()),
            });
            let outcome = tokio::select! {
                run = robots::run_in_foreground(&db, &set, &name, Some(observer)) => Some(run),
                // Ctrl-C or SIGTERM: the run is marked interrupted, never left running.
                () = crate::server::shutdown_signal() => None,
            };
            match outcome {
                None => {
                    robots::interrupt_foreground(&db, &name).await?;
                    eprintln!("interrupted");
                    ExitCode::FAILURE
                }
                Some(Err(shtab_core::CoreError::Conflict(m))) => {
                    eprintln!("error: {m}");
                    ExitCode::FAILURE
                }
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(run)) => {
                    let counters: Vec<String> = run
                        .counters()
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    println!("run #{}: {}", run.id, run.status);
                    println!("counters: {}", counters.join(" "));
                    if let Some(e) = &run.error {
                        println!("error: {e}");
                    }
                    if run.status() == RunStatus::Done {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
            }
        }
    };
    db.close().await;
    Ok(code)
}
