//! Sending many changes at once: up to 50 commands per `batch` request. Whether the portal
//! takes `crm.item.update` and `crm.item.payment.*` inside a batch is unverified (one
//! integrator reports `ERROR_BATCH_METHOD_NOT_ALLOWED`): a command refused for that is sent
//! on its own instead.

use std::collections::HashMap;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::client::batch::MAX_COMMANDS;
use crate::client::{Batch, Bitrix24Error, Client};

/// One change: its label (unique, starting with a letter), method and parameters.
pub struct Command {
    pub label: String,
    pub method: &'static str,
    pub params: Value,
}

/// Each command's outcome, by label. A command of a request that broke off has the
/// request's error: a [`Bitrix24Error::Network`] one may have been done.
pub type Outcomes = HashMap<String, Result<Box<RawValue>, Bitrix24Error>>;

fn refused_in_batch(e: &Bitrix24Error) -> bool {
    matches!(e, Bitrix24Error::Refused { code, .. } if code == "ERROR_BATCH_METHOD_NOT_ALLOWED")
}

pub async fn send(client: &Client, commands: Vec<Command>) -> Outcomes {
    let mut out = Outcomes::new();
    let mut alone = Vec::new();
    for chunk in commands.chunks(MAX_COMMANDS) {
        let mut batch = Batch::new();
        for c in chunk {
            if let Err(e) = batch.add(&c.label, c.method, &c.params) {
                out.insert(c.label.clone(), Err(e));
            }
        }
        match client.batch(&batch).await {
            Ok(answer) => {
                for c in chunk {
                    if out.contains_key(&c.label) {
                        continue;
                    }
                    match answer.result(&c.label) {
                        Ok(raw) => {
                            out.insert(c.label.clone(), Ok(raw.to_owned()));
                        }
                        Err(e) if refused_in_batch(&e) => alone.push(c),
                        Err(e) => {
                            out.insert(c.label.clone(), Err(e));
                        }
                    }
                }
            }
            Err(e) => {
                for c in chunk {
                    out.entry(c.label.clone()).or_insert_with(|| Err(e.clone()));
                }
            }
        }
    }
    for c in alone {
        let outcome = client
            .call(c.method, &c.params)
            .await
            .map(|a| a.raw().to_owned());
        out.insert(c.label.clone(), outcome);
    }
    out
}
