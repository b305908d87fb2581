//! The procurement portal's RSS feed of a saved search (or the HTML page it sends instead).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = shtab_tenders::sources::rss::parse_feed(data);
});
