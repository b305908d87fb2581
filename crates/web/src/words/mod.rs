//! Words for what Shtab itself wrote in English and a person reads: cron schedules,
//! robots' counters and log lines, webhook delivery notes, automatic task comments. The
//! stored text stays as written (programs and the API read it); pages show it in the
//! reader's language.

pub mod counters;
pub mod cron;
pub mod notes;

/// Russian plural: `one` for 1, 21…; `few` for 2–4, 22…; `many` otherwise.
pub fn plural_ru<'a>(n: i64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let n = n.unsigned_abs();
    match (n % 10, n % 100) {
        (1, m) if m != 11 => one,
        (2..=4, m) if !(12..=14).contains(&m) => few,
        _ => many,
    }
}
