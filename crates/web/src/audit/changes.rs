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

/// Replaces every instant in an entry's values with `show(ms)`, however deep it sits (a
/// change's before and after, the steps of an offboarding). Instants are Unix milliseconds
/// under a name ending in `_at`, the convention of every `*_at` column, so the log shows
/// what was recorded without each writer formatting dates for its readers.
pub fn show_instants(value: &mut Value, show: &dyn Fn(i64) -> String) {
    match value {
        Value::Object(map) => {
            for (name, v) in map.iter_mut() {
                if name.ends_with("_at") {
                    show_instant(v, show);
                } else {
                    show_instants(v, show);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| show_instants(v, show)),
        _ => {}
    }
}

/// The value of an `*_at` field: the instant itself, or its change.
fn show_instant(value: &mut Value, show: &dyn Fn(i64) -> String) {
    match value {
        Value::Number(n) => {
            if let Some(ms) = n.as_i64() {
                *value = Value::String(show(ms));
            }
        }
        Value::Object(map) if before_after_map(map) => {
            map.values_mut().for_each(|v| show_instant(v, show));
        }
        _ => show_instants(value, show),
    }
}

/// The lines of `changes` (as stored), instants shown by `show`. Text that is not a JSON
/// object (which `record` never writes) shows as one line rather than failing the page.
pub fn lines(changes: &str, nothing: &str, instant: &dyn Fn(i64) -> String) -> Vec<ChangeLine> {
    let parsed = serde_json::from_str::<Value>(changes).map(|mut v| {
        show_instants(&mut v, instant);
        v
    });
    let Ok(Value::Object(fields)) = parsed else {
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

fn before_after_map(map: &Map<String, Value>) -> bool {
    map.len() == 2 && map.contains_key("before") && map.contains_key("after")
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

    fn ms(ms: i64) -> String {
        format!("<{ms}>")
    }

    #[test]
    fn instants_show_as_dates_wherever_they_sit() {
        let json = r#"{"expires_at":1796607152000,"revoked_at":{"before":null,"after":1000},"steps":[{"ended_at":2000,"target":"vpn"}],"amount":1796607152000}"#;
        let got = lines(json, "—", &|ms| {
            shtab_core::robots::format_in_zone(ms, "Europe/Moscow").unwrap()
        });
        let line = |field: &str| got.iter().find(|l| l.field == field).unwrap().clone();
        assert_eq!(line("expires_at").after, "07.12.2026 04:32");
        assert_eq!(line("revoked_at").before.as_deref(), Some("—"));
        assert_eq!(line("revoked_at").after, "01.01.1970 03:00");
        assert_eq!(
            line("steps").after,
            "ended_at: 01.01.1970 03:00; target: vpn"
        );
        assert_eq!(
            line("amount").after,
            "1796607152000",
            "only *_at names are instants"
        );
    }

    #[test]
    fn a_change_reads_before_and_after_with_blanks_shown() {
        let json = r#"{"organisation_name":{"before":"","after":"Рога и копыта"},"roles":{"before":["developer"],"after":["admin","manager"]}}"#;
        assert_eq!(
            lines(json, "—", &ms),
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
        let got = lines(json, "—", &ms);
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
        assert!(lines("{}", "—", &ms).is_empty());
        assert!(lines("", "—", &ms).is_empty());
        assert_eq!(lines("not json", "—", &ms)[0].after, "not json");
    }
}
