//! `batch` as the portal runs it: each command from its `method?query` string, results keyed
//! by label, HTTP 200 whatever the commands did. Maps are PHP arrays: an empty one is `[]`,
//! and one keyed `0..n` becomes a list, its labels lost.

use serde_json::{Map, Value, json};

use super::methods::{Outcome, Refusal, Success, dispatch};
use super::state::{Fault, Recorded, State};
use crate::client::params::Ordered;

/// A PHP array as `json_encode` writes it.
fn php_array(entries: Vec<(String, Value)>) -> Value {
    let numbered = entries
        .iter()
        .enumerate()
        .all(|(i, (k, _))| *k == i.to_string());
    if numbered {
        Value::Array(entries.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::Object(entries.into_iter().collect::<Map<_, _>>())
    }
}

pub fn run(state: &mut State, params: &Ordered) -> Outcome {
    let named = params.to_value();
    let halt = super::methods::as_u64(named.get("halt")).unwrap_or(0) == 1;
    let commands: Vec<(String, String)> = match params.get("cmd") {
        Some(Ordered::Object(entries)) => entries
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    match v {
                        Ordered::String(s) => s.clone(),
                        other => other.to_value().to_string(),
                    },
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    if commands.len() > 50 {
        return Err(super::methods::refuse(
            400,
            "ERROR_BATCH_LENGTH_EXCEEDED",
            "Max batch length exceeded",
        ));
    }
    let (mut results, mut errors, mut totals, mut nexts, mut times) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (label, command) in commands {
        let (method, query) = command.split_once('?').unwrap_or((command.as_str(), ""));
        let sub = match Ordered::from_query(query) {
            Ok(p) => p,
            Err(e) => {
                errors.push((
                    label,
                    json!({"error": "INVALID_REQUEST", "error_description": e}),
                ));
                continue;
            }
        };
        state.requests.push(Recorded {
            method: method.to_owned(),
            params: sub.clone(),
            query: None,
            in_batch: Some(label.clone()),
        });
        let outcome = if method == "batch" {
            Err(super::methods::refuse(
                405,
                "ERROR_BATCH_METHOD_NOT_ALLOWED",
                "Batch call is not allowed in batch",
            ))
        } else if state.crm.unbatchable.iter().any(|m| m == method) {
            Err(super::methods::refuse(
                400,
                "ERROR_BATCH_METHOD_NOT_ALLOWED",
                &format!("Method '{method}' is not allowed in batch"),
            ))
        } else if let Some(fault) = take_method_fault(state, method) {
            Err(fault)
        } else {
            dispatch(state, method, &sub)
        };
        match outcome {
            Ok(Success {
                result,
                total,
                next,
            }) => {
                results.push((label.clone(), result));
                if let Some(total) = total {
                    totals.push((label.clone(), json!(total)));
                }
                if let Some(next) = next {
                    nexts.push((label.clone(), json!(next)));
                }
                times.push((label, json!({"operating": 0, "operating_reset_at": (crate::client::unix_now() + 600.0).floor()})));
            }
            Err(Refusal { body, .. }) => {
                errors.push((label, body));
                if halt {
                    break;
                }
            }
        }
    }
    Ok(Success {
        result: json!({
            "result": php_array(results),
            "result_error": php_array(errors),
            "result_total": php_array(totals),
            "result_next": php_array(nexts),
            "result_time": php_array(times),
        }),
        total: None,
        next: None,
    })
}

/// A fault queued for exactly this method, answered as the command's error (a sub-call that
/// hits a limit shows up in `result_error` of a 200 batch).
fn take_method_fault(state: &mut State, method: &str) -> Option<Refusal> {
    let at = state
        .faults
        .iter()
        .position(|(m, _)| m.as_deref() == Some(method))?;
    let (_, fault) = state.faults.remove(at)?;
    let (code, description): (Value, String) = match fault {
        Fault::QueryLimit => (json!("QUERY_LIMIT_EXCEEDED"), "Too many requests".into()),
        Fault::OperationTimeLimit { .. } => (
            json!("OPERATION_TIME_LIMIT"),
            "Method is blocked due to operation time limit.".into(),
        ),
        Fault::Html(status) => (json!(""), format!("HTTP {status}")),
        Fault::Error {
            code, description, ..
        } => (code, description),
    };
    Some(super::methods::refuse(200, code, &description))
}
