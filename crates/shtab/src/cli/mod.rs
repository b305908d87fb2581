//! `shtab` commands, one file each.

mod bank;
mod config_check;
mod demo;
mod healthcheck;
mod logging;
mod migrate;
mod robots;
mod serve;
mod tenders;
mod token;
mod user;
mod vcs;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shtab_core::config::Config;

#[derive(Parser)]
#[command(
    name = "shtab",
    version,
    about = "Shtab: the self-hosted back office for small agencies"
)]
pub struct Cli {
    /// Configuration file (TOML). Without it: built-in defaults and SHTAB_* variables.
    #[arg(long, global = true, env = "SHTAB_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (SQLite database, mirrors, uploads). Overrides `data_dir`.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub: web pages, API and robots.
    Serve(serve::Args),
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Manage users (people who may log in).
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Configuration.
    #[command(subcommand)]
    Config(config_check::ConfigCommand),
    /// Load a demo company across every capability (people, tasks and commits, bank,
    /// tenders, access, notifications); running it again adds nothing twice. `--remove`
    /// takes away exactly what it added.
    Demo(demo::Args),
    /// The robots: list them, or run one now in the foreground.
    #[command(subcommand)]
    Robots(robots::RobotsCommand),
    /// Bank statements: `shtab bank parse FILE` prints the operations of a statement as JSON
    /// lines; `shtab bank import FILE` stores them.
    #[command(subcommand)]
    Bank(bank::BankCommand),
    /// Code ↔ tasks: `shtab vcs refs "MESSAGE"` shows what a commit message refers to.
    #[command(subcommand)]
    Vcs(vcs::VcsCommand),
    /// Tenders: `shtab tenders parse FILE` prints the notices of a notice XML, a ZIP of
    /// them or an RSS feed as JSON lines.
    #[command(subcommand)]
    Tenders(tenders::TendersCommand),
    /// Exit 0 when the running hub answers /healthz with 200, 1 otherwise (for containers).
    Healthcheck(healthcheck::Args),
}

pub fn main() -> ExitCode {
    shtab_core::tls::install_crypto_provider();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // `config check` reports a broken configuration itself instead of failing here.
    if let Command::Config(cmd) = &cli.command {
        return Ok(config_check::run(
            cmd,
            cli.config.as_deref(),
            cli.data_dir.as_deref(),
        ));
    }
    if let Command::Vcs(cmd) = cli.command {
        return vcs::run(cmd);
    }
    if let Command::Tenders(cmd) = cli.command {
        return tenders::run(cmd);
    }
    let config = load_config(cli.config.as_deref(), cli.data_dir.as_deref())?;
    logging::init(&config.config);
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let config = config.config;
    match cli.command {
        Command::Serve(args) => serve::run(config, args).await,
        Command::Migrate => migrate::run(config).await,
        Command::User(cmd) => user::run(config, cmd).await,
        Command::Token(cmd) => token::run(config, cmd).await,
        Command::Demo(args) => demo::run(config, args).await,
        Command::Robots(cmd) => robots::run(config, cmd).await,
        Command::Bank(cmd) => bank::run(config, cmd).await,
        Command::Healthcheck(args) => Ok(healthcheck::run(&config, args).await),
        Command::Config(_) | Command::Vcs(_) | Command::Tenders(_) => {
            unreachable!("handled above")
        }
    }
}

pub(crate) fn load_config(
    file: Option<&std::path::Path>,
    data_dir: Option<&std::path::Path>,
) -> anyhow::Result<shtab_core::config::Loaded> {
    let mut loaded =
        Config::load(file, std::env::vars()).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    if let Some(d) = data_dir {
        loaded.config.data_dir = d.to_path_buf();
    }
    Ok(loaded)
}
