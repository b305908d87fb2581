//! Who wrote a commit: an e-mail mapped by hand, then any of a person's e-mails, then a
//! forge's no-reply address by the person's forge login. Answers are cached for a run.

use std::collections::HashMap;
use std::sync::Arc;

use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::Directory;
use shtab_core::types::Email;

use crate::domain::author::noreply_login;
use crate::store::authors as author_store;

pub struct AuthorResolver {
    db: Db,
    directory: Arc<dyn Directory>,
    gitea_noreply_domains: Arc<Vec<String>>,
    known: HashMap<String, Option<PersonId>>,
}

impl AuthorResolver {
    pub(super) fn new(
        db: Db,
        directory: Arc<dyn Directory>,
        gitea_noreply_domains: Arc<Vec<String>>,
    ) -> Self {
        AuthorResolver {
            db,
            directory,
            gitea_noreply_domains,
            known: HashMap::new(),
        }
    }

    /// The person behind a normalised (lower-cased) e-mail; `None` for an empty one.
    pub async fn resolve(&mut self, email: &str) -> CoreResult<Option<PersonId>> {
        if email.is_empty() {
            return Ok(None);
        }
        if let Some(known) = self.known.get(email) {
            return Ok(*known);
        }
        let person = self.lookup(email).await?;
        self.known.insert(email.to_string(), person);
        Ok(person)
    }

    async fn lookup(&self, email: &str) -> CoreResult<Option<PersonId>> {
        if let Some(p) = author_store::alias(&self.db, email).await? {
            return Ok(Some(p));
        }
        if let Ok(address) = Email::parse("email", email)
            && let Some(p) = self.directory.person_by_email(&address).await?
        {
            return Ok(Some(p));
        }
        if let Some((forge, login)) = noreply_login(email, &self.gitea_noreply_domains) {
            return self.directory.person_by_forge_login(forge, &login).await;
        }
        Ok(None)
    }
}
