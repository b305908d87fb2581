//! `shtab tenders parse FILE`: the notices in a file (notice XML, a ZIP of notice XML, or the
//! portal's RSS feed) as JSON lines, storing nothing and needing no database. A part of the
//! file that does not parse is an `{"kind":"error",…}` line and makes the exit status 1; a
//! file that cannot be read at all is an error naming it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use shtab_tenders::sources::{ParsedItem, parse_any};

#[derive(Subcommand)]
pub enum TendersCommand {
    /// Print the notices of a file (notice XML, ZIP of notice XML, or RSS), one JSON object
    /// a line, without storing anything.
    Parse { file: PathBuf },
}

pub fn run(cmd: TendersCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TendersCommand::Parse { file } => parse(&file),
    }
}

fn parse(file: &PathBuf) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let items = match parse_any(&bytes) {
        Ok(items) => items,
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut out = std::io::stdout().lock();
    let mut broken = 0;
    for item in &items {
        if let ParsedItem::Error { entry, message } = item {
            broken += 1;
            match entry {
                Some(entry) => eprintln!("error: {} ({entry}): {message}", file.display()),
                None => eprintln!("error: {}: {message}", file.display()),
            }
        }
        writeln!(out, "{}", serde_json::to_string(item)?)?;
    }
    out.flush()?;
    if items.is_empty() {
        eprintln!("error: {}: no notices in it", file.display());
        return Ok(ExitCode::FAILURE);
    }
    Ok(if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
