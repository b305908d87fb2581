//! `shtab bank parse FILE` (read a statement, print its operations as JSON lines, store
//! nothing; no database needed) and `shtab bank import FILE` (store it, as the upload page
//! does).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use shtab_bank::service::import;
use shtab_core::CoreError;
use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::types::Locale;

#[derive(Subcommand)]
pub enum BankCommand {
    /// Print the operations of a statement (1CClientBankExchange or T-Bank JSON), one JSON
    /// object a line, without storing anything.
    Parse { file: PathBuf },
    /// Import a statement: each payment is stored once; prints "N new, M already known".
    Import { file: PathBuf },
}

pub async fn run(config: Config, cmd: BankCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BankCommand::Parse { file } => parse(&file),
        BankCommand::Import { file } => import(&config, &file).await,
    }
}

fn read(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

fn parse(file: &PathBuf) -> anyhow::Result<ExitCode> {
    let bytes = read(file)?;
    let lines = match import::parse_to_json_lines(&bytes) {
        Ok(lines) => lines,
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn import(config: &Config, file: &PathBuf) -> anyhow::Result<ExitCode> {
    let bytes = read(file)?;
    let db = crate::server::open_database(config).await?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let result =
        import::import_statement_file(&db, &Actor::system("shtab bank import"), &name, &bytes)
            .await;
    db.close().await;
    match result {
        Ok(report) => {
            for a in &report.accounts {
                println!(
                    "{}: {}",
                    a.account_number,
                    import::summary(Locale::En, a.new, a.known)
                );
            }
            println!("{}", report.summary(Locale::En));
            Ok(ExitCode::SUCCESS)
        }
        Err(CoreError::Invalid(fields)) => {
            for f in fields {
                eprintln!("error: {}: {}", file.display(), f.message);
            }
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}
