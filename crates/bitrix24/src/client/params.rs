//! Parameters in the order they were written. Legacy `task.*` methods read their parameters
//! by position (`TASKID` first, then `FIELDS`), so the order a struct declares must survive
//! until the portal: `serde_json::Value` would sort the keys. A batch command carries its
//! parameters as a PHP query string (`FIELDS[POST_MESSAGE]=…`), built here in the same order.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::errors::Bitrix24Error;

/// A JSON value whose objects keep their keys' order.
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    Null,
    Bool(bool),
    /// A number's JSON text.
    Number(String),
    String(String),
    List(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    /// `params` as the portal will see them. Must be an object (or nothing, for `()`).
    pub fn from_params<P: Serialize + ?Sized>(params: &P) -> Result<Ordered, Bitrix24Error> {
        let text = serde_json::to_string(params).map_err(|e| bad(e.to_string()))?;
        let tree: Ordered = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        match tree {
            Ordered::Null => Ok(Ordered::Object(Vec::new())),
            Ordered::Object(_) => Ok(tree),
            _ => Err(bad("the parameters must be an object".into())),
        }
    }

    /// The value at `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Ordered> {
        match self {
            Ordered::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The values of an object in order: what a positional method reads.
    pub fn positional(&self) -> Vec<&Ordered> {
        match self {
            Ordered::Object(entries) => entries.iter().map(|(_, v)| v).collect(),
            Ordered::List(items) => items.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// As a `serde_json::Value` (key order lost), for reading by name.
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            Ordered::Null => serde_json::Value::Null,
            Ordered::Bool(b) => serde_json::Value::Bool(*b),
            Ordered::Number(n) => serde_json::from_str(n).unwrap_or(serde_json::Value::Null),
            Ordered::String(s) => serde_json::Value::String(s.clone()),
            Ordered::List(items) => items.iter().map(Ordered::to_value).collect(),
            Ordered::Object(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// PHP's `http_build_query`: `a[b][0]=x&c=1`. `null` and empty lists are left out (PHP
    /// does the same, which is why a batch cannot clear a field), `true`/`false` are 1/0.
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Ordered::Object(entries) = self {
            for (k, v) in entries {
                flatten(k.clone(), v, &mut pairs);
            }
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }

    /// Reads a PHP query string back into a tree (`a[b]=1` → `{"a":{"b":"1"}}`), every leaf a
    /// string as PHP sees it. Lists come back as objects keyed `"0"`, `"1"`…
    pub fn from_query(query: &str) -> Result<Ordered, String> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|e| e.to_string())?;
        let mut root = Ordered::Object(Vec::new());
        for (key, value) in pairs {
            let path = php_key_path(&key)?;
            insert(&mut root, &path, Ordered::String(value));
        }
        Ok(root)
    }
}

fn bad(message: String) -> Bitrix24Error {
    Bitrix24Error::Config(format!("parameters cannot be sent: {message}"))
}

fn flatten(prefix: String, value: &Ordered, out: &mut Vec<(String, String)>) {
    match value {
        Ordered::Null => {}
        Ordered::Bool(b) => out.push((prefix, if *b { "1" } else { "0" }.into())),
        Ordered::Number(n) => out.push((prefix, n.clone())),
        Ordered::String(s) => out.push((prefix, s.clone())),
        Ordered::List(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(format!("{prefix}[{i}]"), item, out);
            }
        }
        Ordered::Object(entries) => {
            for (k, v) in entries {
                flatten(format!("{prefix}[{k}]"), v, out);
            }
        }
    }
}

/// `FIELDS[POST_MESSAGE]` → `["FIELDS", "POST_MESSAGE"]`; `a[]` appends.
fn php_key_path(key: &str) -> Result<Vec<String>, String> {
    let (head, mut rest) = match key.find('[') {
        Some(at) => (&key[..at], &key[at..]),
        None => (key, ""),
    };
    let mut path = vec![head.to_owned()];
    while !rest.is_empty() {
        let close = rest
            .find(']')
            .ok_or_else(|| format!("«{key}» has an unclosed ["))?;
        path.push(rest[1..close].to_owned());
        rest = &rest[close + 1..];
        if !rest.is_empty() && !rest.starts_with('[') {
            return Err(format!("«{key}» is not a PHP key"));
        }
    }
    Ok(path)
}

fn insert(node: &mut Ordered, path: &[String], value: Ordered) {
    let Ordered::Object(entries) = node else {
        return;
    };
    let key = if path[0].is_empty() {
        entries.len().to_string()
    } else {
        path[0].clone()
    };
    if path.len() == 1 {
        match entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => entries.push((key, value)),
        }
        return;
    }
    if !entries.iter().any(|(k, _)| *k == key) {
        entries.push((key.clone(), Ordered::Object(Vec::new())));
    }
    let slot = entries
        .iter_mut()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .expect("just inserted");
    if !matches!(slot, Ordered::Object(_)) {
        *slot = Ordered::Object(Vec::new());
    }
    insert(slot, &path[1..], value);
}

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Ordered::Null => s.serialize_unit(),
            Ordered::Bool(b) => s.serialize_bool(*b),
            Ordered::Number(n) => {
                let raw = serde_json::value::RawValue::from_string(n.clone())
                    .map_err(serde::ser::Error::custom)?;
                raw.serialize(s)
            }
            Ordered::String(v) => s.serialize_str(v),
            Ordered::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Ordered::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Ordered, E> {
        Ok(Ordered::Bool(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ordered, E> {
        Ok(Ordered::Number(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ordered, E> {
        Ok(Ordered::Number(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ordered, E> {
        // Parameters we send are built from integers and strings (money goes as text); a
        // float here came from the caller as a float.
        Ok(Ordered::Number(
            serde_json::Number::from_f64(v).map_or_else(|| "null".into(), |n| n.to_string()),
        ))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Ordered, E> {
        Ok(Ordered::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Ordered, E> {
        Ok(Ordered::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Ordered, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = s.next_element()? {
            items.push(item);
        }
        Ok(Ordered::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ordered, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = m.next_entry::<String, Ordered>()? {
            entries.push((k, v));
        }
        Ok(Ordered::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[allow(non_snake_case)]
    struct CommentAdd {
        TASKID: u64,
        FIELDS: Fields,
    }

    #[derive(Serialize)]
    #[allow(non_snake_case)]
    struct Fields {
        POST_MESSAGE: String,
        AUTHOR_ID: u64,
    }

    fn comment() -> CommentAdd {
        CommentAdd {
            TASKID: 101,
            FIELDS: Fields {
                POST_MESSAGE: "a & b [URL=https://x/?q=1]c[/URL]".into(),
                AUTHOR_ID: 7,
            },
        }
    }

    #[test]
    fn the_declared_order_survives_to_the_body_and_the_query() {
        let p = Ordered::from_params(&comment()).unwrap();
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"TASKID":101,"FIELDS":{"POST_MESSAGE":"a & b [URL=https://x/?q=1]c[/URL]","AUTHOR_ID":7}}"#
        );
        let q = p.to_query();
        assert_eq!(
            q,
            "TASKID=101&FIELDS%5BPOST_MESSAGE%5D=a+%26+b+%5BURL%3Dhttps%3A%2F%2Fx%2F%3Fq%3D1%5Dc%5B%2FURL%5D&FIELDS%5BAUTHOR_ID%5D=7"
        );
        let back = Ordered::from_query(&q).unwrap();
        let pos = back.positional();
        assert_eq!(pos[0], &Ordered::String("101".into()));
        assert_eq!(
            pos[1].get("POST_MESSAGE"),
            Some(&Ordered::String("a & b [URL=https://x/?q=1]c[/URL]".into()))
        );
    }

    #[test]
    fn lists_nulls_and_flags_in_a_query() {
        let p = Ordered::from_params(
            &serde_json::json!({"filter": {"ID": [1, 2]}, "x": null, "y": true}),
        )
        .unwrap();
        let q = p.to_query();
        assert_eq!(q, "filter%5BID%5D%5B0%5D=1&filter%5BID%5D%5B1%5D=2&y=1");
        let back = Ordered::from_query(&q).unwrap().to_value();
        assert_eq!(
            back,
            serde_json::json!({"filter": {"ID": {"0": "1", "1": "2"}}, "y": "1"})
        );
        assert!(Ordered::from_params(&5).is_err());
        assert_eq!(Ordered::from_params(&()).unwrap(), Ordered::Object(vec![]));
    }
}
