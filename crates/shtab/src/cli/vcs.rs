//! `shtab vcs refs "MESSAGE"`: what Shtab reads in a commit message, for people tuning a
//! repository's reference patterns. Needs no database.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use shtab_vcs::domain::refs::{Command, RefRules};

#[derive(Subcommand)]
pub enum VcsCommand {
    /// Print the task references and commands found in a commit message.
    Refs {
        /// The commit message (quote it; use $'…' for several lines).
        message: String,
        /// Custom reference patterns, one regular expression per line with a group `task`
        /// (as on the repository's page); the defaults when absent.
        #[arg(long)]
        patterns: Option<PathBuf>,
        /// Project keys that count (`WEB,APP`); every key when absent.
        #[arg(long, value_delimiter = ',')]
        keys: Vec<String>,
    },
}

pub fn run(cmd: VcsCommand) -> anyhow::Result<ExitCode> {
    let VcsCommand::Refs {
        message,
        patterns,
        keys,
    } = cmd;
    let patterns = match patterns {
        Some(path) => std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
        None => String::new(),
    };
    let keys: Vec<String> = keys
        .iter()
        .map(|k| k.trim().to_uppercase())
        .filter(|k| !k.is_empty())
        .collect();
    let rules = RefRules::new(&patterns, &keys).map_err(|e| anyhow::anyhow!("patterns: {e}"))?;
    let scan = rules.scan(&message);
    if scan.refs.is_empty() {
        println!("no task references");
        return Ok(ExitCode::SUCCESS);
    }
    for reference in &scan.refs {
        println!("reference: {reference}");
    }
    for command in &scan.commands {
        match command {
            Command::Close(task) => println!("command: close {task}"),
            Command::LogTime { task, minutes } => {
                println!(
                    "command: log {}h {:02}m on {task}",
                    minutes / 60,
                    minutes % 60
                )
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
