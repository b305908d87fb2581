//! Spent time as people write it after a reference: Redmine's `@2h30m`, `@1,5h`, `@2:30`,
//! `@2ч30м`, and Jira's `#time 1w 2d 4h 30m`. Arithmetic is in thousandths of a minute so
//! `1.5h` and `0.333h` round the same way everywhere, without floating point.

use super::text::is_word_char;

/// A week of work on one task is the most a single command may log; more is a typo.
const MAX_MINUTES: i64 = 24 * 7 * 60;
/// Enough for any sane figure; longer digit runs are not a duration.
const MAX_INT_DIGITS: usize = 6;
const MAX_FRACTION_DIGITS: usize = 3;
const MILLI: i64 = 1000;

const HOUR: i64 = 60;
const DAY: i64 = 8 * HOUR;
const WEEK: i64 = 5 * DAY;

const REDMINE_UNITS: &[(&str, i64)] = &[
    ("h", HOUR),
    ("hr", HOUR),
    ("hrs", HOUR),
    ("hour", HOUR),
    ("hours", HOUR),
    ("ч", HOUR),
    ("час", HOUR),
    ("часа", HOUR),
    ("часов", HOUR),
    ("m", 1),
    ("min", 1),
    ("mins", 1),
    ("minute", 1),
    ("minutes", 1),
    ("м", 1),
    ("мин", 1),
    ("минут", 1),
    ("минуты", 1),
];

/// Jira's units; a day is 8 hours and a week 5 days, as in Jira's default time tracking.
const JIRA_UNITS: &[(&str, i64)] = &[("w", WEEK), ("d", DAY), ("h", HOUR), ("m", 1)];

/// The duration after `@`: its length in bytes and its minutes when they are a sane
/// amount (a syntactically valid `@0h` still ends a reference list cleanly).
pub(super) fn redmine(s: &str) -> Option<(Option<i64>, usize)> {
    if let Some((milli, len)) = clock(s) {
        return Some((sane(milli), len));
    }
    let (milli, len) = parts(s, REDMINE_UNITS, true)?;
    Some((sane(milli), len))
}

/// The duration after `#time `: blank-separated parts, each with its unit; whatever follows
/// is the worklog comment.
pub(super) fn jira(s: &str) -> Option<(Option<i64>, usize)> {
    let mut total: i64 = 0;
    let mut end = None;
    let mut pos = 0;
    while let Some((milli, len)) = parts(&s[pos..], JIRA_UNITS, false) {
        total = total.saturating_add(milli);
        end = Some(pos + len);
        pos += len;
        let rest = &s[pos..];
        let next = rest.trim_start_matches([' ', '\t']);
        if next.len() == rest.len() {
            break;
        }
        pos += rest.len() - next.len();
    }
    end.map(|end| (sane(total), end))
}

/// `2:30` — hours and two-digit minutes.
fn clock(s: &str) -> Option<(i64, usize)> {
    let hours = digit_run(s);
    if hours == 0 || hours > MAX_INT_DIGITS {
        return None;
    }
    let rest = s[hours..].strip_prefix(':')?;
    if digit_run(rest) != 2 || !ends_duration(&rest[2..]) {
        return None;
    }
    let h: i64 = s[..hours].parse().ok()?;
    let m: i64 = rest[..2].parse().ok()?;
    (m < 60).then_some(((h * 60 + m) * MILLI, hours + 3))
}

/// Number-unit parts written together (`2h30m`), units from larger to smaller. With
/// `bare`, a lone number means hours and a number after hours means minutes (`@2`, `@2h30`).
fn parts(s: &str, units: &[(&str, i64)], bare: bool) -> Option<(i64, usize)> {
    let mut total: i64 = 0;
    let mut pos = 0;
    let mut last_unit = i64::MAX;
    while let Some((value, num_len)) = decimal(&s[pos..]) {
        let after = pos + num_len;
        let (size, unit_len) = match unit(&s[after..], units) {
            Some((size, len)) if size < last_unit => (size, len),
            Some(_) => return None,
            None if !bare || !ends_duration(&s[after..]) => return None,
            // A bare number: hours alone, minutes after hours, nothing else.
            None if pos == 0 => (HOUR, 0),
            None if last_unit == HOUR => (1, 0),
            None => return None,
        };
        total = total.saturating_add(value.saturating_mul(size));
        last_unit = size;
        pos = after + unit_len;
        if unit_len == 0 {
            break;
        }
    }
    (pos > 0 && ends_duration(&s[pos..])).then_some((total, pos))
}

/// A decimal number in thousandths: `2`, `1.5`, `1,5` (Russian decimal comma).
fn decimal(s: &str) -> Option<(i64, usize)> {
    let int = digit_run(s);
    if int == 0 || int > MAX_INT_DIGITS {
        return None;
    }
    let whole: i64 = s[..int].parse().ok()?;
    let rest = &s[int..];
    let fraction = match rest.strip_prefix(['.', ',']) {
        Some(f) => digit_run(f),
        None => 0,
    };
    if fraction == 0 {
        return Some((whole * MILLI, int));
    }
    if fraction > MAX_FRACTION_DIGITS {
        return None;
    }
    let digits = &rest[1..1 + fraction];
    let scale = 10_i64.pow((MAX_FRACTION_DIGITS - fraction) as u32);
    let part: i64 = digits.parse().ok()?;
    Some((whole * MILLI + part * scale, int + 1 + fraction))
}

/// The unit word at the start of `s` and its size in minutes.
fn unit(s: &str, units: &[(&str, i64)]) -> Option<(i64, usize)> {
    let len = s
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(s.len(), |(i, _)| i);
    let word = &s[..len];
    units
        .iter()
        .find(|(name, _)| super::text::word_is(word, name))
        .map(|(_, size)| (*size, len))
}

fn digit_run(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// A duration is a whole token: `@2h,` ends, `@2hx` and `@2.5.1` do not.
fn ends_duration(rest: &str) -> bool {
    let mut chars = rest.chars();
    match chars.next() {
        None => true,
        Some(c) if is_word_char(c) => false,
        Some('.' | ',' | ':') => !chars.next().is_some_and(|c| c.is_ascii_digit()),
        Some(_) => true,
    }
}

/// Whole minutes, rounded half up, when they are a positive amount no larger than a week.
fn sane(milli: i64) -> Option<i64> {
    let minutes = milli.saturating_add(MILLI / 2) / MILLI;
    (1..=MAX_MINUTES).contains(&minutes).then_some(minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minutes when sane, and the length read.
    type Parsed = Option<(Option<i64>, usize)>;

    #[test]
    fn redmine_forms() {
        let cases: &[(&str, Parsed)] = &[
            ("2h30m", Some((Some(150), 5))),
            ("2h", Some((Some(120), 2))),
            ("30m", Some((Some(30), 3))),
            ("30min", Some((Some(30), 5))),
            ("1.5h", Some((Some(90), 4))),
            ("1,5h", Some((Some(90), 4))),
            ("2:30", Some((Some(150), 4))),
            ("2", Some((Some(120), 1))),
            ("2.5", Some((Some(150), 3))),
            ("2h30", Some((Some(150), 4))),
            ("2hours", Some((Some(120), 6))),
            ("2ч30м", Some((Some(150), 7))),
            ("2ч", Some((Some(120), 3))),
            ("30м", Some((Some(30), 4))),
            ("2h, #13", Some((Some(120), 2))),
            ("0.333h", Some((Some(20), 6))),
            ("0.01m", Some((None, 5))),
            ("0h", Some((None, 2))),
            ("169h", Some((None, 4))),
            ("168h", Some((Some(10080), 4))),
            ("2:75", None),
            ("2:3", None),
            ("2x", None),
            ("2hx", None),
            ("30m2h", None),
            ("2h2h", None),
            ("30m5", None),
            ("h", None),
            ("", None),
            ("1.2345h", None),
            ("1234567h", None),
            ("2.5.1", None),
        ];
        for (input, want) in cases {
            assert_eq!(redmine(input), *want, "{input:?}");
        }
    }

    #[test]
    fn jira_forms() {
        let cases: &[(&str, Parsed)] = &[
            ("1w 2d 4h 30m", Some((Some(2400 + 960 + 240 + 30), 12))),
            ("1.5h", Some((Some(90), 4))),
            ("1h 30m fixed the login form", Some((Some(90), 6))),
            ("2d5h", Some((Some(960 + 300), 4))),
            ("3w", Some((Some(7200), 2))),
            ("5w", Some((None, 2))),
            ("0m", Some((None, 2))),
            ("2", None),
            ("soon", None),
        ];
        for (input, want) in cases {
            assert_eq!(jira(input), *want, "{input:?}");
        }
    }
}
