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
        if !self.known.contains_key(email) {
            self.prefetch(&[email]).await?;
        }
        Ok(self.known.get(email).copied().flatten())
    }

    /// Looks up at once every e-mail of `emails` not known yet: a few statements for all of
    /// them instead of two or three each. [`AuthorResolver::resolve`] then answers from
    /// memory. Each e-mail is looked for in this order: a hand-made mapping, a person's
    /// e-mail, a forge login.
    pub async fn prefetch(&mut self, emails: &[&str]) -> CoreResult<()> {
        let mut unknown: Vec<&str> = emails
            .iter()
            .copied()
            .filter(|e| !e.is_empty() && !self.known.contains_key(*e))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        if unknown.is_empty() {
            return Ok(());
        }
        let aliases = author_store::aliases(&self.db, &unknown).await?;
        let addresses: Vec<Email> = unknown
            .iter()
            .filter(|e| !aliases.contains_key(**e))
            .filter_map(|e| Email::parse("email", e).ok())
            .collect();
        let people = self.directory.people_by_emails(&addresses).await?;
        for email in unknown {
            let person = match aliases.get(email) {
                Some(p) => Some(*p),
                None => match Email::parse("email", email)
                    .ok()
                    .and_then(|a| people.get(&a).copied())
                {
                    Some(p) => Some(p),
                    None => self.by_forge_login(email).await?,
                },
            };
            self.known.insert(email.to_string(), person);
        }
        Ok(())
    }

    /// A forge's no-reply address names the person by their login there.
    async fn by_forge_login(&self, email: &str) -> CoreResult<Option<PersonId>> {
        match noreply_login(email, &self.gitea_noreply_domains) {
            Some((forge, login)) => self.directory.person_by_forge_login(forge, &login).await,
            None => Ok(None),
        }
    }
}
