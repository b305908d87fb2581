use std::process::ExitCode;
use std::time::Duration;

use shtab_core::config::Config;

#[derive(clap::Args)]
pub struct Args {
    /// Base URL of the hub; by default the configured listen address.
    #[arg(long)]
    url: Option<String>,
}

pub async fn run(config: &Config, args: Args) -> ExitCode {
    let base = args.url.unwrap_or_else(|| {
        let listen = config.server.listen;
        // A hub listening on every address is reached on loopback.
        let host = if listen.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            listen.ip().to_string()
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        format!("http://{host}:{}", listen.port())
    });
    let url = format!("{}/healthz", base.trim_end_matches('/'));
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("unhealthy: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => {
            println!("healthy: {url}");
            ExitCode::SUCCESS
        }
        Ok(r) => {
            eprintln!("unhealthy: {url} answered {}", r.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("unhealthy: {url}: {e}");
            ExitCode::FAILURE
        }
    }
}
