//! Where the agent finds its hub, its token and the places it writes. `register` writes
//! `agent.toml`; every later command reads it. Each path can be overridden by a flag or an
//! environment variable (tests run the agent in temporary directories).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

pub const DEFAULT_CONFIG: &str = "/etc/shtab-agent/agent.toml";
pub const DEFAULT_STATE_DIR: &str = "/var/lib/shtab-agent";
pub const DEFAULT_KEYS_DIR: &str = "/etc/ssh/shtab/authorized_keys";
pub const DEFAULT_SUDOERS_DIR: &str = "/etc/sudoers.d";

/// The contents of `agent.toml` (mode 0600: it holds the server token). No `Debug`: the
/// token must not end up in a log.
#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// The hub's base URL, `https://shtab.example.org`.
    pub hub: String,
    /// The server token the hub issued for this server.
    pub token: String,
    /// The server's name as the hub answered at registration.
    #[serde(default)]
    pub server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys_dir: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudoers_dir: Option<PathBuf>,
}

/// Paths given on the command line (or through the environment); they win over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub state_dir: Option<PathBuf>,
    pub keys_dir: Option<PathBuf>,
    pub sudoers_dir: Option<PathBuf>,
}

/// Everything a run needs, resolved (no `Debug`, for the token's sake).
#[derive(Clone)]
pub struct Settings {
    pub hub: String,
    pub token: String,
    pub state_dir: PathBuf,
    pub keys_dir: PathBuf,
    pub sudoers_dir: PathBuf,
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read {} (run `shtab-agent register` first)",
                path.display()
            )
        })?;
        let config: Config =
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
        check_hub_url(&config.hub)?;
        Ok(config)
    }

    pub fn settings(&self, overrides: &Overrides) -> Settings {
        let pick = |flag: &Option<PathBuf>, file: &Option<PathBuf>, default: &str| {
            flag.clone()
                .or_else(|| file.clone())
                .unwrap_or_else(|| PathBuf::from(default))
        };
        Settings {
            hub: self.hub.trim_end_matches('/').to_owned(),
            token: self.token.clone(),
            state_dir: pick(&overrides.state_dir, &self.state_dir, DEFAULT_STATE_DIR),
            keys_dir: pick(&overrides.keys_dir, &self.keys_dir, DEFAULT_KEYS_DIR),
            sudoers_dir: pick(
                &overrides.sudoers_dir,
                &self.sudoers_dir,
                DEFAULT_SUDOERS_DIR,
            ),
        }
    }
}

/// The token travels in every request, so it goes over TLS; plain HTTP is accepted only
/// to this machine itself (a hub on the same host, or tests).
pub fn check_hub_url(url: &str) -> anyhow::Result<()> {
    if url.starts_with("https://") {
        return Ok(());
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split('/').next().unwrap_or("");
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        if matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return Ok(());
        }
        bail!("the hub URL {url} must use https:// (plain http only to 127.0.0.1)");
    }
    bail!("the hub URL {url} must start with https://")
}

/// A token is read from a file (or the environment), never taken from argv where `ps`
/// shows it to everyone.
pub fn read_token(file: Option<&Path>) -> anyhow::Result<String> {
    let token = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?,
        None => std::env::var("SHTAB_AGENT_TOKEN")
            .context("give the server token with --token-file or SHTAB_AGENT_TOKEN")?,
    };
    let token = token.trim().to_owned();
    if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("the server token is empty or contains spaces");
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_urls_need_tls_except_loopback() {
        assert!(check_hub_url("https://shtab.example.org").is_ok());
        assert!(check_hub_url("http://127.0.0.1:8080").is_ok());
        assert!(check_hub_url("http://localhost/").is_ok());
        assert!(check_hub_url("http://shtab.example.org").is_err());
        assert!(check_hub_url("http://127.0.0.1.evil.org/").is_err());
        assert!(check_hub_url("ftp://x").is_err());
    }

    #[test]
    fn overrides_win_over_the_file() {
        let config = Config {
            hub: "https://h/".into(),
            token: "t".into(),
            server: String::new(),
            state_dir: Some("/file/state".into()),
            keys_dir: None,
            sudoers_dir: None,
        };
        let settings = config.settings(&Overrides {
            state_dir: Some("/flag/state".into()),
            ..Overrides::default()
        });
        assert_eq!(settings.hub, "https://h");
        assert_eq!(settings.state_dir, PathBuf::from("/flag/state"));
        assert_eq!(settings.keys_dir, PathBuf::from(DEFAULT_KEYS_DIR));
    }
}
