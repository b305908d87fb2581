//! A commit message's task references and commands, with the default rules and with a
//! repository's own patterns (the input's first line) and project keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shtab_vcs::domain::refs::RefRules;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = RefRules::defaults().scan(&text).to_string();
    let (patterns, message) = text.split_once('\n').unwrap_or((&text, ""));
    if let Ok(rules) = RefRules::new(patterns, &["PROJ".to_owned(), "WEB".to_owned()]) {
        let _ = rules.scan(message).to_string();
    }
});
