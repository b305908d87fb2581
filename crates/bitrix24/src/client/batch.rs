//! `batch`: up to 50 commands in one request (the rate limit counts requests, so a batch costs
//! one). The portal answers 200 even when some commands fail; each command's result or error
//! is read by its label. Labels are never numeric: with keys `0..n` the portal's maps become
//! lists and the labels are lost.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::Client;
use super::answer::decode_raw;
use super::decode::FlexMap;
use super::errors::{ApiError, Bitrix24Error};
use super::operating::TimeInfo;
use super::params::Ordered;
use super::portal::check_method;

/// The portal's cap on commands in one batch.
pub const MAX_COMMANDS: usize = 50;

#[derive(Debug, Clone, Default)]
pub struct Batch {
    halt: bool,
    /// (label, method, `method?query`), in the order added.
    commands: Vec<(String, String, String)>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Stop at the first failing command (the rest are not run and have no result).
    pub fn halt_on_error(mut self) -> Batch {
        self.halt = true;
        self
    }

    pub fn len(&self) -> usize {
        self.commands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.commands.len() >= MAX_COMMANDS
    }

    /// Adds a command. The label must start with a letter (`t101`, `user_7`) and be unique.
    pub fn add<P: Serialize + ?Sized>(
        &mut self,
        label: &str,
        method: &str,
        params: &P,
    ) -> Result<(), Bitrix24Error> {
        let label_ok = label.len() <= 64
            && label.starts_with(|c: char| c.is_ascii_alphabetic())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !label_ok {
            return Err(Bitrix24Error::Config(format!(
                "«{label}» cannot label a batch command: it must start with a letter and hold \
                 only letters, digits and _"
            )));
        }
        if self.commands.iter().any(|(l, _, _)| l == label) {
            return Err(Bitrix24Error::Config(format!(
                "the batch already has a command «{label}»"
            )));
        }
        if self.is_full() {
            return Err(Bitrix24Error::Config(format!(
                "a batch holds at most {MAX_COMMANDS} commands"
            )));
        }
        check_method(method)?;
        if method.eq_ignore_ascii_case("batch") {
            return Err(Bitrix24Error::Config("a batch cannot hold a batch".into()));
        }
        let query = Ordered::from_params(params)?.to_query();
        let command = if query.is_empty() {
            method.to_owned()
        } else {
            format!("{method}?{query}")
        };
        self.commands
            .push((label.to_owned(), method.to_owned(), command));
        Ok(())
    }

    fn params(&self) -> Ordered {
        Ordered::Object(vec![
            (
                "halt".into(),
                Ordered::Number(u8::from(self.halt).to_string()),
            ),
            (
                "cmd".into(),
                Ordered::Object(
                    self.commands
                        .iter()
                        .map(|(label, _, command)| {
                            (label.clone(), Ordered::String(command.clone()))
                        })
                        .collect(),
                ),
            ),
        ])
    }
}

/// `result` of a batch: per-label maps, each possibly `[]`.
#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    result: FlexMap<Box<RawValue>>,
    #[serde(default)]
    result_error: FlexMap<serde_json::Value>,
    #[serde(default)]
    result_total: FlexMap<serde_json::Value>,
    #[serde(default)]
    result_next: FlexMap<serde_json::Value>,
    #[serde(default)]
    result_time: FlexMap<TimeInfo>,
}

/// Each command's outcome, by label.
#[derive(Debug)]
pub struct BatchAnswer {
    methods: HashMap<String, String>,
    results: FlexMap<Box<RawValue>>,
    errors: FlexMap<serde_json::Value>,
    totals: FlexMap<serde_json::Value>,
    nexts: FlexMap<serde_json::Value>,
}

impl BatchAnswer {
    /// The command's result, or its error as the portal gave it (classified as for a call of
    /// that method), or an error saying it did not run (an earlier command halted the batch).
    pub fn result(&self, label: &str) -> Result<&RawValue, Bitrix24Error> {
        let method = self.methods.get(label).map_or("?", String::as_str);
        if let Some(e) = self.errors.0.get(label) {
            let api = ApiError::from_value(e).unwrap_or(ApiError {
                code: String::new(),
                description: e.to_string(),
            });
            return Err(Bitrix24Error::from_api(method, 200, &api));
        }
        self.results
            .0
            .get(label)
            .map(AsRef::as_ref)
            .ok_or_else(|| Bitrix24Error::Decode {
                method: method.to_owned(),
                message: format!("the batch has no result for «{label}» (it did not run)"),
            })
    }

    /// The command's result read as `T`.
    pub fn decode<T: serde::de::DeserializeOwned>(&self, label: &str) -> Result<T, Bitrix24Error> {
        let method = self.methods.get(label).map_or("?", String::as_str);
        decode_raw(method, self.result(label)?)
    }

    /// `result_total` of a list command.
    pub fn total(&self, label: &str) -> Option<u64> {
        self.totals.0.get(label).and_then(loose_u64)
    }

    /// `result_next` of a list command: there is another page from this `start`.
    pub fn next(&self, label: &str) -> Option<u64> {
        self.nexts.0.get(label).and_then(loose_u64)
    }

    /// The labels whose commands failed, with why.
    pub fn failures(&self) -> Vec<(String, Bitrix24Error)> {
        self.errors
            .0
            .keys()
            .filter_map(|label| self.result(label).err().map(|e| (label.clone(), e)))
            .collect()
    }
}

fn loose_u64(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Client {
    /// Runs the batch as one request. A failing command does not fail the call: read each
    /// command with [`BatchAnswer::result`]. The whole call fails only as a call does (401,
    /// 503 after backing off, an unreadable answer).
    pub async fn batch(&self, batch: &Batch) -> Result<BatchAnswer, Bitrix24Error> {
        let answer = self.call("batch", &batch.params()).await?;
        let raw: Raw = answer.decode()?;
        let methods: HashMap<String, String> = batch
            .commands
            .iter()
            .map(|(label, method, _)| (label.clone(), method.clone()))
            .collect();
        // The resource time is counted per command's method, not for `batch`.
        for (label, time) in &raw.result_time.0 {
            if let Some(method) = methods.get(label) {
                self.inner
                    .operating
                    .lock()
                    .expect("operating lock")
                    .record(method, time);
            }
        }
        Ok(BatchAnswer {
            methods,
            results: raw.result,
            errors: raw.result_error,
            totals: raw.result_total,
            nexts: raw.result_next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_must_not_be_numbers() {
        let mut b = Batch::new();
        for bad in ["0", "12", "_a", "a-b", "", "a b"] {
            assert!(b.add(bad, "user.get", &()).is_err(), "{bad}");
        }
        b.add("u1", "user.get", &serde_json::json!({"ID": 1}))
            .unwrap();
        assert!(b.add("u1", "user.get", &()).is_err());
        assert!(b.add("b", "batch", &()).is_err());
        assert_eq!(
            serde_json::to_string(&b.params()).unwrap(),
            r#"{"halt":0,"cmd":{"u1":"user.get?ID=1"}}"#
        );
    }

    #[test]
    fn at_most_fifty() {
        let mut b = Batch::new();
        for i in 0..MAX_COMMANDS {
            b.add(&format!("c{i}"), "user.get", &()).unwrap();
        }
        assert!(b.is_full());
        let err = b.add("c50", "user.get", &()).unwrap_err();
        assert!(err.to_string().contains("50"), "{err}");
    }
}
