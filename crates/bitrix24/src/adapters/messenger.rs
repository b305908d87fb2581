//! The notifications' `bitrix24` channel: a notice in the portal's messenger (the Bitrix24 app,
//! on the phone too) through `im.notify.system.add`, from the portal itself rather than from
//! the webhook's user.
//!
//! What the portal says decides the delivery's fate: a limit or an outage is retried by the job
//! queue; a missing `im` scope, a refusal, or a recipient the portal does not take (`result:
//! false`, its answer for no such user) fails it, saying why. A portal user the users robot
//! found inactive is not sent to at all.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use shtab_core::CoreError;
use shtab_core::error::CoreResult;
use shtab_core::ports::{Messenger, Notice};

use super::people::PortalPeople;
use super::{port_error, text};
use crate::client::Client;

pub struct PortalMessenger {
    client: Client,
    people: Arc<dyn PortalPeople>,
}

impl PortalMessenger {
    pub fn new(client: Client, people: Arc<dyn PortalPeople>) -> PortalMessenger {
        PortalMessenger { client, people }
    }
}

/// The method's parameters: the recipient is `USER_ID` (older portals also took `TO`).
#[derive(Serialize)]
struct SystemNotice<'a> {
    #[serde(rename = "USER_ID")]
    user_id: u64,
    #[serde(rename = "MESSAGE")]
    message: &'a str,
}

#[async_trait]
impl Messenger for PortalMessenger {
    async fn notify(&self, recipient: &str, notice: &Notice<'_>) -> CoreResult<()> {
        let user_id: u64 = recipient
            .trim()
            .parse()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| {
                CoreError::Internal(format!("«{recipient}» is not a Bitrix24 user id"))
            })?;
        if self.people.has_left(user_id).await? {
            return Err(CoreError::Internal(format!(
                "Bitrix24 user {user_id} is no longer active on the portal (see the \"left the \
                 portal\" list on the Bitrix24 settings page)"
            )));
        }
        let message = text::notice(notice);
        let answer = self
            .client
            .call(
                "im.notify.system.add",
                &SystemNotice {
                    user_id,
                    message: &message,
                },
            )
            .await
            .map_err(port_error)?;
        if answer.value() == serde_json::Value::Bool(false) {
            return Err(CoreError::Internal(format!(
                "the portal did not take the notice for Bitrix24 user {user_id}: there is no \
                 such active user (check the person's Bitrix24 user id)"
            )));
        }
        Ok(())
    }
}
