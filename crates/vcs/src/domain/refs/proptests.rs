//! Properties over arbitrary text: the scanner never panics, its output is canonical and
//! deterministic, and links never contribute references.

use proptest::prelude::*;

use super::*;

/// Arbitrary text, biased towards the characters the scanner cares about.
fn message() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                Just("#".to_string()),
                Just("@".to_string()),
                Just(" ".to_string()),
                Just("\n".to_string()),
                Just(", ".to_string()),
                Just("task ".to_string()),
                Just("задачи ".to_string()),
                Just("Fixes ".to_string()),
                Just("PROJ-".to_string()),
                Just("#time ".to_string()),
                Just("#close".to_string()),
                Just("://".to_string()),
                Just("№".to_string()),
                "[0-9]{1,4}".prop_map(|s| s),
                "[0-9.,:]{1,4}[hmчм]?".prop_map(|s| s),
                "[A-Za-zа-я]{1,6}".prop_map(|s| s),
                any::<char>().prop_map(String::from),
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #[test]
    fn scanning_is_total_canonical_and_deterministic(text in message()) {
        let rules = RefRules::defaults();
        let scan = rules.scan(&text);
        for r in &scan.refs {
            prop_assert_eq!(TaskRef::parse(r.as_str()), Some(r.clone()));
            prop_assert_eq!(TaskRef::parse(&r.to_string()), Some(r.clone()));
        }
        for c in &scan.commands {
            prop_assert!(scan.refs.contains(c.task()));
            if let Command::LogTime { minutes, .. } = c {
                prop_assert!((1..=24 * 7 * 60).contains(minutes));
            }
        }
        prop_assert_eq!(&scan, &rules.scan(&text));
        let custom = RefRules::new("(?<task>\\d+)\n(?i)(?<task>[a-z]{2}-\\d+)", &["proj".to_string()]).unwrap();
        let _ = custom.scan(&text);
    }

    #[test]
    fn links_contribute_no_references(
        text in message(),
        digits in "[0-9]{1,6}",
        tail in "[^\\s]{0,20}",
    ) {
        let rules = RefRules::defaults();
        let link = format!("https://x.test/{digits}{tail}");
        prop_assert!(rules.scan(&link).refs.is_empty(), "{:?}", link);
        let embedded = format!("https://x.test/{digits}{}", text.split_whitespace().collect::<String>());
        prop_assert!(rules.scan(&embedded).refs.is_empty(), "{:?}", embedded);
        let after = format!("{text} {link}");
        prop_assert_eq!(rules.scan(&after).refs, rules.scan(&text).refs);
    }
}
