use std::process::ExitCode;

use clap::Subcommand;
use shtab_core::audit::Actor;
use shtab_core::auth::{tokens, users};
use shtab_core::config::Config;
use shtab_core::people;
use shtab_core::types::Email;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (only now).
    Create {
        /// The user's e-mail.
        #[arg(long)]
        user: String,
        /// What the token is for, to recognise it later.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

pub async fn run(config: Config, cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    let db = crate::server::open_database(&config).await?;
    let TokenCommand::Create { user, name } = cmd;
    let email =
        Email::parse("user", &user).map_err(|e| anyhow::anyhow!("--user: {}", e.message))?;
    let person = people::find_by_email(&db, &email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("nobody has the address {email}"))?;
    let user = users::get_by_person(&db, person)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{email} is not a user"))?;
    if !user.is_active() {
        anyhow::bail!("{email} is disabled or has left");
    }
    let (_, secret) = tokens::create(&db, &Actor::system("shtab token"), user.id, &name)
        .await
        .map_err(super::user::describe)?;
    println!("{secret}");
    eprintln!(
        "API token «{name}» for {} created; it is shown only now.",
        user.full_name
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
