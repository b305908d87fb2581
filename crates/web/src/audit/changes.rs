//! An entry's `changes` JSON, as a person reads it: one line per field, "before → after"
//! for a change, the value alone for an object that was created or removed.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeLine {
    pub field: String,
    /// `None` when the entry records a value rather than a change.
    pub before: Option<String>,
    pub after: String,
}

/// The lines of `changes` (as stored). Text that is not a JSON object (which `record` never
/// writes) shows as one line rather than failing the page.
pub fn lines(changes: &str, nothing: &str) -> Vec<ChangeLine> {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(changes) else {
        return if changes.trim().is_empty() {
            Vec::new()
        } else {
            vec![ChangeLine {
                field: String::new(),
                before: None,
                after: changes.to_string(),
            }]
        };
    };
    fields
        .into_iter()
        .map(|(field, value)| match before_after(&value) {
            Some((before, after)) => ChangeLine {
                field,
                before: Some(show(before, nothing)),
                after: show(after, nothing),
            },
            None => ChangeLine {
                field,
                before: None,
                after: show(&value, nothing),
            },
        })
        .collect()
}

/// `{"before": …, "after": …}` and nothing else is how `Changes::diff` writes a change.
fn before_after(value: &Value) -> Option<(&Value, &Value)> {
    let Value::Object(map) = value else {
        return None;
    };
    match (map.len(), map.get("before"), map.get("after")) {
        (2, Some(before), Some(after)) => Some((before, after)),
        _ => None,
    }
}

fn show(value: &Value, nothing: &str) -> String {
    match value {
        Value::Null => nothing.to_string(),
        Value::String(s) if s.is_empty() => nothing.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => nothing.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|v| show(v, nothing))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(map) => show_object(map, nothing),
        other => other.to_string(),
    }
}

fn show_object(map: &Map<String, Value>, nothing: &str) -> String {
    map.iter()
        .map(|(k, v)| format!("{k}: {}", show(v, nothing)))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_before_and_after_with_blanks_shown() {
        let json = r#"{"organisation_name":{"before":"","after":"Рога и копыта"},"roles":{"before":["developer"],"after":["admin","manager"]}}"#;
        assert_eq!(
            lines(json, "—"),
            vec![
                ChangeLine {
                    field: "organisation_name".into(),
                    before: Some("—".into()),
                    after: "Рога и копыта".into()
                },
                ChangeLine {
                    field: "roles".into(),
                    before: Some("developer".into()),
                    after: "admin, manager".into()
                },
            ]
        );
    }

    #[test]
    fn a_recorded_value_is_one_value() {
        let json = r#"{"emails":["a@b.ru"],"disabled":false,"manager":{"id":3,"name":"Анна"}}"#;
        let got = lines(json, "—");
        let value = |field: &str| {
            let line = got.iter().find(|l| l.field == field).unwrap();
            assert_eq!(line.before, None, "{field}");
            line.after.clone()
        };
        assert_eq!(value("emails"), "a@b.ru");
        assert_eq!(value("disabled"), "false");
        assert_eq!(value("manager"), "id: 3; name: Анна");
    }

    #[test]
    fn empty_or_foreign_text_does_not_break_the_page() {
        assert!(lines("{}", "—").is_empty());
        assert!(lines("", "—").is_empty());
        assert_eq!(lines("not json", "—")[0].after, "not json");
    }
}
