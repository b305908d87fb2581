//! "This is …": gives a commit e-mail to a person, for the page and the API alike. The
//! alias re-attributes the stored commits at once; the tracker learns of it through a
//! queued job, so a slow tracker (Bitrix24) never holds the request.

use shtab_core::audit::Actor;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::{CoreError, jobs, people};

use crate::domain::author::normalize_email;
use crate::jobs::RelinkAuthor;
use crate::store::authors;

/// What a mapping did.
#[derive(Debug, Clone)]
pub struct Mapped {
    pub email: String,
    pub person: PersonId,
    pub person_name: String,
    /// Stored commits now attributed to the person.
    pub commits: u64,
}

/// Maps `email` to person `person`. A malformed e-mail or a person who does not exist is
/// a field error (`email`, `person_id`); nothing is written then.
pub async fn map_author(db: &Db, actor: &Actor, email: &str, person: i64) -> CoreResult<Mapped> {
    // Normalised as the linker does, so the alias meets the addresses it stored.
    let email = normalize_email(email).ok_or_else(|| {
        CoreError::field(
            "email",
            "invalid_email",
            format!("«{}» is not a commit author's e-mail", email.trim()),
        )
    })?;
    let person = match people::get(db, PersonId(person)).await {
        Ok(p) => p,
        Err(CoreError::NotFound(_)) => {
            return Err(CoreError::field(
                "person_id",
                "not_found",
                format!("there is no person #{person}"),
            ));
        }
        Err(e) => return Err(e),
    };
    let commits = authors::set_alias(db, actor, &email, person.id, &person.full_name).await?;
    jobs::enqueue(
        db,
        &RelinkAuthor {
            email: email.clone(),
        },
    )
    .await?;
    Ok(Mapped {
        email,
        person: person.id,
        person_name: person.full_name,
        commits,
    })
}
