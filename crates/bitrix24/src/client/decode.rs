//! Reading what the portal writes, which is looser than its documentation: ids as `"410"` or
//! `410`, empty maps as `[]`, yes/no as `"Y"`, `true` or `1`, dates as RFC 3339 or
//! `YYYY-MM-DD HH:MM:SS`. Each helper accepts every spelling seen in the wild and refuses
//! the rest with a message naming the value.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// An id the portal gave, written as a string or a number. Zero and `""` are "none" for the
/// optional form ([`de_opt_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PortalId(pub u64);

impl fmt::Display for PortalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for PortalId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(LooseNumber)? {
            Some(n) => Ok(PortalId(n)),
            None => Err(de::Error::custom("an id is empty")),
        }
    }
}

/// `#[serde(deserialize_with = "de_opt_id", default)]`: `null`, `""`, `"0"` and `0` are none
/// (the portal's "no responsible", "no group").
pub fn de_opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PortalId>, D::Error> {
    Ok(d.deserialize_any(LooseNumber)?
        .filter(|n| *n != 0)
        .map(PortalId))
}

/// A non-negative whole number as a number or as its digits in a string.
struct LooseNumber;

impl<'de> Visitor<'de> for LooseNumber {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number, or a string of digits")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u64::try_from(v)
            .map(Some)
            .map_err(|_| E::custom(format!("the id {v} is negative")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse()
            .map(Some)
            .map_err(|_| E::custom(format!("«{v}» is not an id")))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A map the portal may write as `[]` when it is empty (PHP's empty array). A non-empty list
/// is refused: it means the keys were lost (a batch with numeric labels).
#[derive(Debug, Clone, PartialEq)]
pub struct FlexMap<V>(pub BTreeMap<String, V>);

impl<V> Default for FlexMap<V> {
    fn default() -> Self {
        FlexMap(BTreeMap::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for FlexMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = FlexMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map, or [] for an empty one")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = m.next_entry::<String, V>()? {
                    out.insert(k, v);
                }
                Ok(FlexMap(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                if s.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(
                        "a list where a map was expected: its keys were lost (numeric labels?)",
                    ));
                }
                Ok(FlexMap::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(FlexMap::default())
            }
        }
        d.deserialize_any(V2(PhantomData))
    }
}

/// `"Y"`/`"N"`, `true`/`false`, `1`/`0`, `"1"`/`"0"`; `null` and `""` are no.
pub fn de_flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct Flag;
    impl<'a> Visitor<'a> for Flag {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("Y/N, true/false or 1/0")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v.trim() {
                "Y" | "y" | "1" | "true" => Ok(true),
                "N" | "n" | "0" | "false" | "" => Ok(false),
                other => Err(E::custom(format!("«{other}» is not a yes or no"))),
            }
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
    }
    d.deserialize_any(Flag)
}

/// The offset assumed for a `YYYY-MM-DD HH:MM:SS` time, which carries none: the portal writes
/// its server's local time. Russian portals run on Moscow time.
pub fn moscow() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("a valid offset")
}

/// Reads RFC 3339 (`2025-10-24T19:00:00+02:00`) or `YYYY-MM-DD HH:MM:SS` (taken as `naive_at`).
pub fn parse_portal_time(
    text: &str,
    naive_at: FixedOffset,
) -> Result<DateTime<FixedOffset>, String> {
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at);
    }
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .ok()
        .and_then(|naive| naive_at.from_local_datetime(&naive).single())
        .ok_or_else(|| format!("«{text}» is not a date and time"))
}

/// `#[serde(deserialize_with = "de_opt_time", default)]`: a time in either spelling; `null`,
/// `""` and `false` (unset dates in legacy methods) are none.
pub fn de_opt_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) if !s.trim().is_empty() => parse_portal_time(&s, moscow())
            .map(Some)
            .map_err(de::Error::custom),
        serde_json::Value::String(_) | serde_json::Value::Null | serde_json::Value::Bool(false) => {
            Ok(None)
        }
        other => Err(de::Error::custom(format!("{other} is not a date and time"))),
    }
}

/// Text that may come as a string, a number or `null` (a title `"404"` written as 404).
pub fn de_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Null => Ok(String::new()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        other => Err(de::Error::custom(format!("{other} is not text"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct User {
        #[serde(rename = "ID")]
        id: PortalId,
        #[serde(rename = "HEAD", deserialize_with = "de_opt_id", default)]
        head: Option<PortalId>,
        #[serde(rename = "ACTIVE", deserialize_with = "de_flag")]
        active: bool,
        #[serde(rename = "ATTACHED", default)]
        attached: FlexMap<serde_json::Value>,
        #[serde(rename = "SEEN", deserialize_with = "de_opt_time", default)]
        seen: Option<DateTime<FixedOffset>>,
        #[serde(rename = "NAME", deserialize_with = "de_text", default)]
        name: String,
    }

    fn user(json: &str) -> User {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn ids_come_as_strings_or_numbers() {
        assert_eq!(user(r#"{"ID":"410","ACTIVE":true}"#).id, PortalId(410));
        assert_eq!(user(r#"{"ID":410,"ACTIVE":true}"#).id, PortalId(410));
        assert_eq!(user(r#"{"ID":1,"HEAD":"0","ACTIVE":1}"#).head, None);
        assert_eq!(user(r#"{"ID":1,"HEAD":"","ACTIVE":1}"#).head, None);
        assert_eq!(
            user(r#"{"ID":1,"HEAD":"7","ACTIVE":1}"#).head,
            Some(PortalId(7))
        );
        for bad in [
            r#"{"ID":"x1","ACTIVE":1}"#,
            r#"{"ID":"","ACTIVE":1}"#,
            r#"{"ID":-1,"ACTIVE":1}"#,
        ] {
            assert!(serde_json::from_str::<User>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flags_in_every_spelling() {
        for (v, want) in [
            ("true", true),
            ("\"Y\"", true),
            ("1", true),
            ("\"1\"", true),
            ("false", false),
            ("\"N\"", false),
            ("0", false),
            ("null", false),
        ] {
            assert_eq!(
                user(&format!(r#"{{"ID":1,"ACTIVE":{v}}}"#)).active,
                want,
                "{v}"
            );
        }
        assert!(serde_json::from_str::<User>(r#"{"ID":1,"ACTIVE":"maybe"}"#).is_err());
    }

    #[test]
    fn an_empty_map_may_be_a_list_but_a_full_list_is_refused() {
        assert!(
            user(r#"{"ID":1,"ACTIVE":1,"ATTACHED":[]}"#)
                .attached
                .0
                .is_empty()
        );
        assert!(
            user(r#"{"ID":1,"ACTIVE":1,"ATTACHED":{}}"#)
                .attached
                .0
                .is_empty()
        );
        let full = user(r#"{"ID":1,"ACTIVE":1,"ATTACHED":{"n5":{"ID":"5"}}}"#);
        assert_eq!(full.attached.0.len(), 1);
        let err = serde_json::from_str::<User>(r#"{"ID":1,"ACTIVE":1,"ATTACHED":[{"a":1}]}"#)
            .unwrap_err();
        assert!(err.to_string().contains("keys were lost"), "{err}");
    }

    #[test]
    fn times_in_both_spellings() {
        let rfc = user(r#"{"ID":1,"ACTIVE":1,"SEEN":"2025-10-24T19:00:00+02:00"}"#)
            .seen
            .unwrap();
        assert_eq!(rfc.to_rfc3339(), "2025-10-24T19:00:00+02:00");
        let naive = user(r#"{"ID":1,"ACTIVE":1,"SEEN":"2025-10-24 19:00:00"}"#)
            .seen
            .unwrap();
        assert_eq!(naive.to_rfc3339(), "2025-10-24T19:00:00+03:00");
        assert_eq!(user(r#"{"ID":1,"ACTIVE":1,"SEEN":""}"#).seen, None);
        assert_eq!(user(r#"{"ID":1,"ACTIVE":1,"SEEN":false}"#).seen, None);
        let err =
            serde_json::from_str::<User>(r#"{"ID":1,"ACTIVE":1,"SEEN":"24.10.2025"}"#).unwrap_err();
        assert!(err.to_string().contains("24.10.2025"), "{err}");
    }

    #[test]
    fn text_may_be_a_number() {
        assert_eq!(user(r#"{"ID":1,"ACTIVE":1,"NAME":404}"#).name, "404");
        assert_eq!(user(r#"{"ID":1,"ACTIVE":1,"NAME":null}"#).name, "");
    }
}
