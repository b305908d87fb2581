//! Which access token a call sends, and refreshing it: once per portal at a time, within this
//! process (a lock) and across the hubs that share a token store (the store's lease). A
//! refresh token rotates on every refresh, so a second refresh of the same pair fails and, if
//! it got in first, leaves the other caller holding a dead pair.

use std::time::{Duration, Instant};

use shtab_core::config::Secret;

use super::auth::{AppCredentials, Credentials, RefreshClaim, Tokens};
use super::errors::Bitrix24Error;
use super::{Client, oauth};

/// How often a caller waiting for another hub's refresh looks at the store again.
const POLL: Duration = Duration::from_millis(50);

impl Client {
    /// The access token to send: none for a webhook; the stored one for an application,
    /// refreshed first when it is known to have expired.
    pub(super) async fn access_token(
        &self,
        refreshed: &mut bool,
    ) -> Result<Option<Secret>, Bitrix24Error> {
        let Credentials::App(app) = &self.inner.credentials else {
            return Ok(None);
        };
        let tokens = load_tokens(app).await?;
        if tokens.expires_at <= now() && !*refreshed {
            *refreshed = true;
            let fresh = self.refresh_tokens(app, &tokens.access_token).await?;
            return Ok(Some(fresh.access_token));
        }
        Ok(Some(tokens.access_token))
    }

    /// Refreshes the tokens after `failed` was refused or expired, unless someone else did
    /// meanwhile (the stored access token is then another, live one). Another hub's refresh
    /// in progress is waited for, up to its lease.
    pub(super) async fn refresh_tokens(
        &self,
        app: &AppCredentials,
        failed: &Secret,
    ) -> Result<Tokens, Bitrix24Error> {
        let _turn = self.inner.refresh_lock.lock().await;
        // The lease outlives the OAuth request's timeout, so a live refresh is never taken
        // over; a hub that stopped half-way holds it no longer than that.
        let lease_for = self.inner.config.timeout + Duration::from_secs(5);
        let give_up = Instant::now() + lease_for + Duration::from_secs(1);
        loop {
            let current = load_tokens(app).await?;
            if current.access_token != *failed && current.expires_at > now() {
                return Ok(current);
            }
            let claim = app
                .store
                .claim_refresh(&current, lease_for)
                .await
                .map_err(Bitrix24Error::TokenStore)?;
            let lease = match claim {
                RefreshClaim::Granted(lease) => lease,
                _ if Instant::now() >= give_up => {
                    return Err(Bitrix24Error::Unavailable {
                        method: "oauth refresh".into(),
                        status: 0,
                        detail: "another hub has been refreshing the application's tokens for \
                                 too long"
                            .into(),
                    });
                }
                // Replaced since we read it: the next read has the new pair.
                RefreshClaim::Changed => continue,
                RefreshClaim::Busy => {
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            return self.refresh_under(app, &current, &lease).await;
        }
    }

    /// The refresh itself, while holding `lease` on `current`.
    async fn refresh_under(
        &self,
        app: &AppCredentials,
        current: &Tokens,
        lease: &super::auth::Lease,
    ) -> Result<Tokens, Bitrix24Error> {
        let fresh = match oauth::refresh(&self.inner.http, app, current).await {
            Ok(fresh) => fresh,
            Err(e) => {
                // Given back before anything else, so a failed refresh does not make other
                // hubs wait out the lease.
                app.store
                    .abandon_refresh(lease)
                    .await
                    .map_err(Bitrix24Error::TokenStore)?;
                if matches!(e, Bitrix24Error::AppNotAuthorised { .. }) {
                    // A store without leases (or a lease that ran out) may have let another
                    // hub rotate the pair since we read it: ours is then spent, theirs works.
                    let again = load_tokens(app).await?;
                    if again.refresh_token != current.refresh_token {
                        return Ok(again);
                    }
                }
                return Err(e);
            }
        };
        let stored = app
            .store
            .finish_refresh(lease, current, &fresh)
            .await
            .map_err(Bitrix24Error::TokenStore)?;
        if !stored {
            // Replaced meanwhile (our lease ran out, or the administrator authorised again):
            // what is stored now is what everyone uses.
            tracing::warn!(portal = %app.portal, "the tokens changed while this hub refreshed them; using the stored ones");
            return load_tokens(app).await;
        }
        tracing::info!(portal = %app.portal, "refreshed the application's tokens");
        Ok(fresh)
    }
}

pub(super) async fn load_tokens(app: &AppCredentials) -> Result<Tokens, Bitrix24Error> {
    app.store
        .load()
        .await
        .map_err(Bitrix24Error::TokenStore)?
        .ok_or_else(|| Bitrix24Error::AppNotConnected {
            portal: app.portal.to_string(),
        })
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
