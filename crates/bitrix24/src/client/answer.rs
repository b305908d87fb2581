//! A successful answer: `{"result": …, "total": N, "next": N, "time": {…}}`. The result is
//! kept as raw JSON text, so a method's own types read money and ids from their digits.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::errors::{ApiError, Bitrix24Error};
use super::operating::TimeInfo;

#[derive(Debug)]
pub struct Answer {
    pub method: String,
    result: Box<RawValue>,
    /// The list's size (0 when asked with `start=-1`).
    pub total: Option<u64>,
    /// The `start` of the next page, when there is one.
    pub next: Option<u64>,
    pub time: Option<TimeInfo>,
}

impl Answer {
    /// The result's JSON text.
    pub fn raw(&self) -> &RawValue {
        &self.result
    }

    /// The result as a JSON tree (loses the digits of fractional numbers: not for money).
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(self.result.get()).unwrap_or(serde_json::Value::Null)
    }

    /// The result read as `T`, from its text.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, Bitrix24Error> {
        decode_raw(&self.method, &self.result)
    }

    /// True for `result: []`, the portal's answer for an object that is missing or hidden
    /// from the webhook's user (`tasks.task.get`).
    pub fn is_empty_list(&self) -> bool {
        self.result.get().trim() == "[]"
    }
}

pub(crate) fn decode_raw<T: DeserializeOwned>(
    method: &str,
    raw: &RawValue,
) -> Result<T, Bitrix24Error> {
    serde_json::from_str(raw.get()).map_err(|e| Bitrix24Error::Decode {
        method: method.to_owned(),
        message: e.to_string(),
    })
}

/// What a body turned out to be.
pub(crate) enum Parsed {
    Ok(Answer),
    Err(ApiError, Option<TimeInfo>),
    /// Not JSON, or JSON without `result` or `error` (an HTML page from a proxy or a blocked
    /// batch).
    Unreadable(String),
}

/// Numbers the portal may write as strings.
fn loose_u64(v: &Option<serde_json::Value>) -> Option<u64> {
    match v {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn parse_body(method: &str, body: &str) -> Parsed {
    #[derive(Deserialize)]
    struct Envelope {
        #[serde(default)]
        result: Option<Box<RawValue>>,
        #[serde(default)]
        total: Option<serde_json::Value>,
        #[serde(default)]
        next: Option<serde_json::Value>,
        #[serde(default)]
        time: Option<TimeInfo>,
        #[serde(default)]
        error: Option<serde_json::Value>,
        #[serde(default)]
        error_description: Option<serde_json::Value>,
    }
    let envelope: Envelope = match serde_json::from_str(body) {
        Ok(e) => e,
        Err(_) => return Parsed::Unreadable(snippet(body)),
    };
    if let Some(error) = envelope.error {
        let mut obj = serde_json::Map::new();
        obj.insert("error".into(), error);
        if let Some(d) = envelope.error_description {
            obj.insert("error_description".into(), d);
        }
        if let Some(e) = ApiError::from_value(&serde_json::Value::Object(obj)) {
            return Parsed::Err(e, envelope.time);
        }
    }
    match envelope.result {
        Some(result) => Parsed::Ok(Answer {
            method: method.to_owned(),
            result,
            total: loose_u64(&envelope.total),
            next: loose_u64(&envelope.next),
            time: envelope.time,
        }),
        None => Parsed::Unreadable(snippet(body)),
    }
}

/// The start of a body that could not be read, for the error message: enough to tell an HTML
/// page from a truncated answer, never a whole page.
fn snippet(body: &str) -> String {
    let t = body.trim();
    let mut end = t.len().min(120);
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    if t.is_empty() {
        "an empty answer".to_owned()
    } else {
        format!("an answer that is not the portal's JSON: «{}»", &t[..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_answer_keeps_its_paging_and_time() {
        let Parsed::Ok(a) = parse_body(
            "user.get",
            r#"{"result":[{"ID":"1"}],"total":"2","next":50,"time":{"operating":3.31,"operating_reset_at":1778747792}}"#,
        ) else {
            panic!("not ok")
        };
        assert_eq!((a.total, a.next), (Some(2), Some(50)));
        assert_eq!(a.time.unwrap().operating, Some(3.31));
        assert_eq!(a.value()[0]["ID"], "1");
    }

    #[test]
    fn errors_html_and_empty_bodies_are_told_apart() {
        assert!(matches!(
            parse_body("x", r#"{"error":0,"error_description":"Insufficient permissions"}"#),
            Parsed::Err(ApiError { ref code, .. }, _) if code == "0"
        ));
        assert!(
            matches!(parse_body("x", "<html><body>502</body></html>"), Parsed::Unreadable(s) if s.contains("<html>"))
        );
        assert!(matches!(parse_body("x", ""), Parsed::Unreadable(s) if s == "an empty answer"));
        assert!(matches!(
            parse_body("x", r#"{"time":{}}"#),
            Parsed::Unreadable(_)
        ));
        let Parsed::Ok(missing) = parse_body("tasks.task.get", r#"{"result":[]}"#) else {
            panic!()
        };
        assert!(missing.is_empty_list());
    }
}
