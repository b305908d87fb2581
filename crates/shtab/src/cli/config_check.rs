use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (secrets masked); exit non-zero naming the key on an error.
    Check,
}

pub fn run(cmd: &ConfigCommand, file: Option<&Path>, data_dir: Option<&Path>) -> ExitCode {
    let ConfigCommand::Check = cmd;
    match super::load_config(file, data_dir) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            print!("{}", loaded.config.to_masked_toml());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
