//! Which `KEY-123` references count: the repository's project keys when it lists them,
//! otherwise any key except well-known standard names that look like keys.

use super::TaskRef;

/// Letter prefixes of standard names written like keys: UTF-8, ISO-8859-1, SHA-256,
/// CVE-2024-1234, RFC-822, GPL-3, MD5-…, TLS-1, HTTP-2, IPV6-…, ECMA-262, ES-2015, WIN-1251,
/// CP-1251, KOI8-… Compared with the key's leading letters, so `SHAPE-1` and `CPU-2` pass.
const STANDARD_PREFIXES: [&str; 18] = [
    "UTF", "ISO", "SHA", "CVE", "RFC", "GPL", "LGPL", "AGPL", "MD", "TLS", "SSL", "HTTP", "IPV",
    "ECMA", "ES", "WIN", "CP", "KOI",
];

#[derive(Clone, Debug, Default)]
pub(super) struct KeyFilter {
    /// Upper case; empty means "any key that is not a standard name".
    listed: Vec<String>,
}

impl KeyFilter {
    pub(super) fn new(project_keys: &[String]) -> KeyFilter {
        let mut listed: Vec<String> = project_keys
            .iter()
            .map(|k| k.trim().to_ascii_uppercase())
            .filter(|k| !k.is_empty())
            .collect();
        listed.sort();
        listed.dedup();
        KeyFilter { listed }
    }

    /// Plain task numbers always pass. A listed key passes even if it looks like a
    /// standard name: the repository said it is theirs.
    pub(super) fn allows(&self, task: &TaskRef) -> bool {
        let Some(key) = task.project_key() else {
            return true;
        };
        if !self.listed.is_empty() {
            return self
                .listed
                .binary_search_by(|k| k.as_str().cmp(key))
                .is_ok();
        }
        let letters = &key[..key.find(|c: char| c.is_ascii_digit()).unwrap_or(key.len())];
        !STANDARD_PREFIXES.contains(&letters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(filter: &KeyFilter, r: &str) -> bool {
        filter.allows(&TaskRef::parse(r).unwrap())
    }

    #[test]
    fn standard_names_are_not_keys_unless_listed() {
        let any = KeyFilter::new(&[]);
        for denied in [
            "UTF-8", "SHA-256", "MD5-1", "IPV6-2", "KOI8-1", "ES-2015", "CP-1251",
        ] {
            assert!(!allows(&any, denied), "{denied}");
        }
        for allowed in ["PROJ-1", "SHAPE-1", "CPU-2", "AB2-5", "12"] {
            assert!(allows(&any, allowed), "{allowed}");
        }
        let listed = KeyFilter::new(&[" proj ".to_string(), "es".to_string(), String::new()]);
        assert!(allows(&listed, "PROJ-1"));
        assert!(allows(&listed, "ES-2"));
        assert!(!allows(&listed, "OTHER-1"));
        assert!(allows(&listed, "7"));
    }
}
