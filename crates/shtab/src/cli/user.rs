use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use shtab_core::CoreError;
use shtab_core::audit::Actor;
use shtab_core::auth::{Role, generate_password, users};
use shtab_core::config::Config;
use shtab_core::people;
use shtab_core::types::Email;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Let a person log in (the person is added to the directory if the address is new).
    Add {
        #[arg(long)]
        email: String,
        /// Full name, for a person not yet in the directory.
        #[arg(long)]
        name: Option<String>,
        /// Same as `--role admin`.
        #[arg(long)]
        admin: bool,
        /// admin, manager, accountant or developer; repeat for several.
        #[arg(long = "role")]
        roles: Vec<String>,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Set a user's password (their sessions end and their API tokens are revoked).
    Passwd {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// List users with their roles.
    List,
}

/// Where the password comes from: a file, a generated one (printed once), or a prompt.
/// Without a terminal and without a flag, one is generated.
#[derive(clap::Args)]
pub struct PasswordSource {
    /// Read the password from this file (first line).
    #[arg(long, conflicts_with = "generate_password")]
    password_file: Option<PathBuf>,
    /// Generate a password and print it once.
    #[arg(long)]
    generate_password: bool,
}

impl PasswordSource {
    /// The password, and whether it was generated (so it must be shown).
    fn obtain(&self) -> anyhow::Result<(String, bool)> {
        if let Some(path) = &self.password_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let line = text.lines().next().unwrap_or("").to_string();
            return Ok((line, false));
        }
        if self.generate_password || !std::io::stdin().is_terminal() {
            return Ok((generate_password(), true));
        }
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat: ")?;
        if first != second {
            bail!("the passwords differ");
        }
        Ok((first, false))
    }
}

pub async fn run(config: Config, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let db = crate::server::open_database(&config).await?;
    let actor = Actor::system("shtab user");
    match cmd {
        UserCommand::Add {
            email,
            name,
            admin,
            roles,
            password,
        } => {
            let email = Email::parse("email", &email)
                .map_err(|e| anyhow::anyhow!("--email: {}", e.message))?;
            let mut parsed: Vec<Role> = roles
                .iter()
                .map(|r| {
                    Role::parse(r).ok_or_else(|| {
                        anyhow::anyhow!(
                            "--role: unknown role {r:?} (admin, manager, accountant, developer)"
                        )
                    })
                })
                .collect::<anyhow::Result<_>>()?;
            if admin && !parsed.contains(&Role::Admin) {
                parsed.push(Role::Admin);
            }
            if parsed.is_empty() {
                bail!("give a role: --admin or --role ROLE");
            }
            let (password, generated) = password.obtain()?;
            let user = users::create_with_person(
                &db,
                &actor,
                &email,
                name.as_deref(),
                &parsed,
                Some(&password),
            )
            .await
            .map_err(describe)?;
            println!(
                "user {} <{email}> created with roles: {}",
                user.full_name,
                role_list(&user.roles)
            );
            if generated {
                println!("password (shown only now): {password}");
            }
        }
        UserCommand::Passwd { email, password } => {
            let email = Email::parse("email", &email)
                .map_err(|e| anyhow::anyhow!("--email: {}", e.message))?;
            let person = people::find_by_email(&db, &email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("nobody has the address {email}"))?;
            let user = users::get_by_person(&db, person)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{email} is not a user"))?;
            let (password, generated) = password.obtain()?;
            let ends = users::PasswordEnds {
                keep_session: None,
                revoke_tokens: true,
            };
            users::set_password(&db, &actor, user.id, &password, ends)
                .await
                .map_err(describe)?;
            println!(
                "password of {} changed; their sessions ended and API tokens were revoked",
                user.full_name
            );
            if generated {
                println!("password (shown only now): {password}");
            }
        }
        UserCommand::List => {
            for u in users::list(&db).await? {
                let state = if !u.is_active() { "disabled" } else { "active" };
                println!(
                    "{:<6} {:<36} {:<30} {:<9} {}",
                    u.id,
                    u.email.unwrap_or_default(),
                    u.full_name,
                    state,
                    role_list(&u.roles)
                );
            }
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn role_list(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Field errors read better on a terminal as `field: message` lines.
pub(super) fn describe(e: CoreError) -> anyhow::Error {
    match e {
        CoreError::Invalid(fields) => {
            anyhow::anyhow!(
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        }
        e => e.into(),
    }
}
