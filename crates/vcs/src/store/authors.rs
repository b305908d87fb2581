//! Commit authors: e-mails mapped to people by hand ("this is …"), and those nobody
//! matched yet.

use serde::Serialize;
use shtab_core::audit::{self, Actor, Changes, Event};
use std::collections::HashMap;

use shtab_core::db::{Db, FromRow, values};
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::time::now_ms;

pub async fn alias(db: &Db, email: &str) -> CoreResult<Option<PersonId>> {
    let person: Option<i64> =
        sqlx::query_scalar("SELECT person_id FROM vcs_author_aliases WHERE email = $1")
            .bind(email)
            .fetch_optional(db.pool())
            .await?;
    Ok(person.map(PersonId))
}

/// [`alias`] for many e-mails in one statement per few hundred: those mapped, to whom.
pub async fn aliases(db: &Db, emails: &[&str]) -> CoreResult<HashMap<String, PersonId>> {
    let mut found = HashMap::new();
    for chunk in emails.chunks(values::rows_per_statement(1)) {
        let sql = format!(
            "SELECT email, person_id FROM vcs_author_aliases WHERE email IN {}",
            values::placeholders(1, chunk.len(), 1)
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
        for email in chunk {
            q = q.bind(*email);
        }
        found.extend(
            q.fetch_all(db.pool())
                .await?
                .into_iter()
                .map(|(email, person)| (email, PersonId(person))),
        );
    }
    Ok(found)
}

/// An author nobody is matched to, with how many of their commits wait.
#[derive(Debug, Clone, Serialize, FromRow, utoipa::ToSchema)]
pub struct UnmatchedAuthor {
    /// Lower-cased; empty when the commits carried none.
    pub email: String,
    pub name: String,
    pub commits: i64,
    pub last_committed_at: i64,
}

pub async fn unmatched(db: &Db) -> CoreResult<Vec<UnmatchedAuthor>> {
    Ok(sqlx::query_as::<_, UnmatchedAuthor>(
        "SELECT author_email AS email, MAX(author_name) AS name, CAST(COUNT(*) AS BIGINT) AS commits, \
         MAX(committed_at) AS last_committed_at FROM vcs_commits WHERE person_id IS NULL \
         GROUP BY author_email ORDER BY MAX(committed_at) DESC",
    )
    .fetch_all(db.pool())
    .await?)
}

/// Maps `email` to `person` and gives them every commit stored under it; returns how many.
pub async fn set_alias(
    db: &Db,
    actor: &Actor,
    email: &str,
    person: PersonId,
    person_name: &str,
) -> CoreResult<u64> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO vcs_author_aliases (email, person_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (email) DO UPDATE SET person_id = excluded.person_id, created_at = excluded.created_at",
    )
    .bind(email)
    .bind(person.0)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let changed = sqlx::query("UPDATE vcs_commits SET person_id = $1 WHERE author_email = $2")
        .bind(person.0)
        .bind(email)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let mut changes = Changes::new();
    changes
        .set("email", &email)
        .set("person_id", &person.0)
        .set("commits", &changed);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "commit_author.map",
            object_kind: "person",
            object_id: person.to_string(),
            object_label: person_name.to_string(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(changed)
}
