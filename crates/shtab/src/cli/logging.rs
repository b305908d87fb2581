use shtab_core::config::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

/// Logs go to standard error, as text for people or JSON for collectors. `RUST_LOG`, when
/// set, overrides `log.level`.
pub fn init(config: &Config) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests run commands in one process) is harmless.
    let _ = match config.log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
