//! `shtab-agent`: converges a server's unix accounts, SSH keys and WireGuard peers to the
//! desired state the Shtab hub serves under `/agent/v1/`, and answers OpenSSH's
//! `AuthorizedKeysCommand`. Blocking, no database, no web server: it runs as root on every
//! managed server, so it stays small.

mod apply;
mod config;
mod files;
mod hub;
mod keys;
mod memory;
mod peek;
mod plan;
mod run;
mod system;
mod validate;
mod wireguard;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::config::{Config, Overrides};

#[derive(Parser)]
#[command(
    name = "shtab-agent",
    version,
    about = "Applies the Shtab hub's accounts, SSH keys and VPN peers to this server"
)]
struct Cli {
    /// The agent's configuration (written by `register`).
    #[arg(long, global = true, env = "SHTAB_AGENT_CONFIG", default_value = config::DEFAULT_CONFIG)]
    config: PathBuf,
    /// Where the remembered state lives [default: /var/lib/shtab-agent].
    #[arg(long, global = true, env = "SHTAB_AGENT_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// The managed authorized-keys files, one per login [default: /etc/ssh/shtab/authorized_keys].
    #[arg(long, global = true, env = "SHTAB_AGENT_KEYS_DIR")]
    keys_dir: Option<PathBuf>,
    /// Where the sudo drop-ins go [default: /etc/sudoers.d].
    #[arg(long, global = true, env = "SHTAB_AGENT_SUDOERS_DIR")]
    sudoers_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Introduce this server to the hub and write the configuration.
    Register {
        /// The hub's URL, https://shtab.example.org.
        #[arg(long)]
        hub: String,
        /// A file holding the server token (or set SHTAB_AGENT_TOKEN).
        #[arg(long)]
        token_file: Option<PathBuf>,
    },
    /// Converge once to the hub's desired state and report.
    Run {
        /// Print what would change; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Converge every interval, for ever.
    Daemon {
        #[arg(long, default_value = "60s", value_parser = parse_duration)]
        interval: Duration,
    },
    /// Print USER's keys (for sshd's AuthorizedKeysCommand).
    Keys {
        user: String,
        /// How long to wait for the hub before answering from the cache.
        #[arg(long, default_value = "2s", value_parser = parse_duration)]
        timeout: Duration,
    },
}

/// `60s`, `5m`, `1h`, `500ms`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("«{text}» is not a duration like 60s"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("«{text}»: use ms, s, m or h")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("shtab-agent: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    let overrides = Overrides {
        state_dir: cli.state_dir,
        keys_dir: cli.keys_dir,
        sudoers_dir: cli.sudoers_dir,
    };
    match cli.command {
        Command::Register { hub, token_file } => {
            register(&cli.config, &hub, token_file.as_deref(), &overrides)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { dry_run } => {
            let settings = Config::load(&cli.config)?.settings(&overrides);
            let summary = run::run(&settings, dry_run)?;
            run::print_summary(&summary, dry_run);
            let clean = summary.report.errors.is_empty() && summary.report_error.is_none();
            Ok(if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Daemon { interval } => {
            let settings = Config::load(&cli.config)?.settings(&overrides);
            run::daemon(&settings, interval)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys { user, timeout } => {
            let settings = Config::load(&cli.config)?.settings(&overrides);
            let lines = keys::keys(&settings, &user, timeout);
            if !lines.is_empty() {
                println!("{}", lines.join("\n"));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn register(
    path: &Path,
    hub_url: &str,
    token_file: Option<&Path>,
    overrides: &Overrides,
) -> anyhow::Result<()> {
    config::check_hub_url(hub_url)?;
    let token = config::read_token(token_file)?;
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let hub = hub::Hub::new(hub_url, &token, Duration::from_secs(30));
    let registered = hub.register(&shtab_access_protocol::Register {
        hostname,
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
    })?;
    // Registering again (a new token, an upgrade) keeps the paths chosen before.
    let previous = Config::load(path).ok();
    let keep = |given: &Option<PathBuf>, old: fn(&Config) -> &Option<PathBuf>| {
        given
            .clone()
            .or_else(|| previous.as_ref().and_then(|p| old(p).clone()))
    };
    let config = Config {
        hub: hub_url.trim_end_matches('/').to_owned(),
        token,
        server: registered.server.clone(),
        state_dir: keep(&overrides.state_dir, |c| &c.state_dir),
        keys_dir: keep(&overrides.keys_dir, |c| &c.keys_dir),
        sudoers_dir: keep(&overrides.sudoers_dir, |c| &c.sudoers_dir),
    };
    let text = toml::to_string(&config).context("cannot write the configuration")?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        files::ensure_dir(dir, 0o700)?;
    }
    if path.is_dir() {
        bail!("{} is a directory", path.display());
    }
    // It holds the token: readable by root only.
    files::write_atomic(path, text.as_bytes(), 0o600)?;
    println!(
        "registered as «{}» with {}; configuration in {}",
        registered.server,
        config.hub,
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5d").is_err());
    }
}
