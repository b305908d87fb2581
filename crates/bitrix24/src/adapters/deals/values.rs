//! A deal field's value between Shtab's stored form (`core::ports::FieldLayout::kind`: money
//! in integer kopecks, RFC 3339 times, lists of text) and the portal's user fields, which
//! legacy `crm.deal.*` methods write as strings: `"15000.50"` (a `double` field) or
//! `"15000.50|RUB"` (a `money` one), `"1"`/`"Y"` for yes, a list for a multiple field.
//! Money goes out as exact decimal text and comes back through its digits, never a float.

use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::client::decode::{moscow, parse_portal_time};
use crate::client::money::kopecks_from_decimal;

/// Kopecks as the exact decimal text the portal takes: `1234567` → `"12345.67"`.
pub fn decimal_text(kopecks: i64) -> String {
    let sign = if kopecks < 0 { "-" } else { "" };
    let abs = kopecks.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A stored value as the portal takes it. `null` (clear) is an empty string: the portal
/// ignores a `null` and a batch cannot carry one.
pub fn to_portal(kind: &str, value: &Value) -> Value {
    match (kind, value) {
        (_, Value::Null) => json!(""),
        ("money", Value::Number(n)) => match n.as_i64() {
            Some(k) => json!(decimal_text(k)),
            None => json!(n.to_string()),
        },
        ("bool", Value::Bool(b)) => json!(if *b { "Y" } else { "N" }),
        ("list", Value::Array(items)) if items.is_empty() => json!(""),
        ("list", Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|i| match i {
                    Value::String(s) => json!(s),
                    other => json!(other.to_string()),
                })
                .collect(),
        ),
        (_, Value::String(s)) => json!(s),
        (_, other) => json!(other.to_string()),
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A portal value in Shtab's stored form; `None` for an empty one (`""`, `null`, `false`
/// for an unset date, `[]`). The error names what could not be read.
pub fn from_portal(kind: &str, raw: &RawValue) -> Result<Option<Value>, String> {
    let text = raw.get().trim();
    if kind == "money" {
        // The digits as written: a JSON number or a string, `|RUB` after it in a money field.
        let inner = if text.starts_with('"') {
            serde_json::from_str::<String>(text).map_err(|e| e.to_string())?
        } else if text == "null" || text == "false" || text == "[]" {
            return Ok(None);
        } else {
            text.to_owned()
        };
        let amount = inner.split('|').next().unwrap_or("").trim();
        if amount.is_empty() {
            return Ok(None);
        }
        return kopecks_from_decimal(amount)
            .map(|k| Some(json!(k.0)))
            .map_err(|e| e.to_string());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let value = match value {
        // A single value written as a one-item list (some portals do for any field).
        Value::Array(items) if kind != "list" => match items.into_iter().next() {
            Some(first) => first,
            None => return Ok(None),
        },
        other => other,
    };
    Ok(match kind {
        "bool" => match value {
            Value::Bool(b) => Some(json!(b)),
            Value::Number(n) => Some(json!(n.as_i64().unwrap_or(0) != 0)),
            Value::String(s) => match s.trim() {
                "Y" | "y" | "1" | "true" => Some(json!(true)),
                "N" | "n" | "0" | "false" => Some(json!(false)),
                "" => None,
                other => return Err(format!("«{other}» is not a yes or no")),
            },
            _ => None,
        },
        "datetime" => match text_of(&value) {
            Some(t) => Some(json!(
                parse_portal_time(&t, moscow())
                    .map_err(|e| e.to_string())?
                    .to_rfc3339()
            )),
            None => None,
        },
        "list" => {
            let items: Vec<Value> = match value {
                Value::Array(items) => items.iter().filter_map(text_of).map(Value::from).collect(),
                other => text_of(&other).into_iter().map(Value::from).collect(),
            };
            (!items.is_empty()).then_some(Value::Array(items))
        }
        _ => text_of(&value).map(Value::from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(kind: &str, json: &str) -> Option<Value> {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        from_portal(kind, &raw).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn money_goes_out_as_exact_text_and_comes_back_through_its_digits() {
        assert_eq!(decimal_text(1_500_050), "15000.50");
        assert_eq!(decimal_text(5), "0.05");
        assert_eq!(decimal_text(-1230), "-12.30");
        assert_eq!(
            to_portal("money", &json!(12_345_678_901_234_567_i64)),
            json!("123456789012345.67")
        );
        assert_eq!(read("money", r#""15000.50""#), Some(json!(1_500_050)));
        assert_eq!(read("money", r#""15000.5|RUB""#), Some(json!(1_500_050)));
        assert_eq!(
            read("money", "123456789012345.67"),
            Some(json!(12_345_678_901_234_567_i64))
        );
        assert_eq!(read("money", r#""""#), None);
        assert_eq!(read("money", "null"), None);
        let raw: Box<RawValue> = serde_json::from_str(r#""0.005""#).unwrap();
        assert!(
            from_portal("money", &raw)
                .unwrap_err()
                .contains("fraction of a kopeck")
        );
    }

    #[test]
    fn the_other_kinds_in_the_spellings_legacy_methods_use() {
        assert_eq!(to_portal("bool", &json!(true)), json!("Y"));
        assert_eq!(read("bool", r#""1""#), Some(json!(true)));
        assert_eq!(read("bool", r#""N""#), Some(json!(false)));
        assert_eq!(
            to_portal("list", &json!(["62.01", "62.02"])),
            json!(["62.01", "62.02"])
        );
        assert_eq!(
            read("list", r#"["62.01","62.02"]"#),
            Some(json!(["62.01", "62.02"]))
        );
        assert_eq!(read("list", "false"), None);
        assert_eq!(read("list", "[]"), None);
        assert_eq!(
            read("datetime", r#""2026-12-01T10:00:00+03:00""#),
            Some(json!("2026-12-01T10:00:00+03:00"))
        );
        assert_eq!(read("datetime", r#""""#), None);
        assert_eq!(read("text", r#""Заказчик""#), Some(json!("Заказчик")));
        assert_eq!(read("text", r#"["one"]"#), Some(json!("one")));
        assert_eq!(read("text", "404"), Some(json!("404")));
        assert_eq!(to_portal("text", &Value::Null), json!(""));
    }
}
