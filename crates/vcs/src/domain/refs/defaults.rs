//! The built-in reference syntax: `#123`, Jira-style `PROJ-123` (also YouTrack's
//! `#PROJ-123`), and numbers after task words (`task 12`, `tasks 12, 13 and 14`,
//! `задача 123`, `задачи 12, 13`). `refs #12`, `see #5` need no words of their own: the
//! `#12` counts wherever it stands.
//!
//! Hand-written rather than a regular expression because almost every rule is about the
//! neighbours of a match (what may come before and after), which the `regex` crate cannot
//! look at, and one pass over the bytes is also the fastest way to say "nothing here".

use super::Hit;
use super::keys::KeyFilter;
use super::opaque::Opaque;
use super::task_ref::TaskRef;
use super::text::{
    BLANKS, closes_reference, is_plural_task_word, is_task_word, leading_word, opens_reference,
    prev_char, skip_joiners, trailing_word, word_is,
};
use super::time::time_after;

/// Longest project key we take; see `TaskRef`.
const MAX_KEY_LEN: usize = 32;
const MAX_NUMBER_DIGITS: usize = 9;
/// UTF-8 lead byte of `з`/`З`, the first letter of the Russian task words.
const CYRILLIC_ZE_LEAD: u8 = 0xD0;

pub(super) fn find(text: &str, keys: &KeyFilter, opaque: &Opaque) -> Vec<Hit> {
    let bytes = text.as_bytes();
    let mut hits = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let b = bytes[pos];
        // Only these bytes can start a reference; they are all on character boundaries.
        let candidate =
            b == b'#' || b.is_ascii_uppercase() || b == b't' || b == b'T' || b == CYRILLIC_ZE_LEAD;
        if !candidate || !opens_reference(prev_char(text, pos)) {
            pos += 1;
            continue;
        }
        if let Some(span) = opaque.containing(pos) {
            pos = span.end;
            continue;
        }
        let may_be_word = matches!(b, b't' | b'T' | CYRILLIC_ZE_LEAD);
        if may_be_word && let Some(end) = task_list(text, pos, keys, opaque, &mut hits) {
            pos = end;
        } else if let Some(hit) = reference(text, pos, false, keys) {
            pos = hit.end;
            hits.push(hit);
        } else {
            pos += 1;
        }
    }
    hits
}

/// A task word and the numbers it announces; returns where they end.
fn task_list(
    text: &str,
    start: usize,
    keys: &KeyFilter,
    opaque: &Opaque,
    hits: &mut Vec<Hit>,
) -> Option<usize> {
    let word = leading_word(&text[start..]).filter(|w| is_task_word(w))?;
    let mut pos = start + word.len();
    pos += blanks(&text[pos..]);
    if text[pos..].starts_with(':') {
        pos += 1;
        pos += blanks(&text[pos..]);
    }
    let first = item(text, pos, keys, opaque)?;
    let mut end = first.end;
    hits.push(first);
    // `задача 12, 13` is one task and a stray number; only plural words announce lists.
    if !is_plural_task_word(word) {
        return Some(end);
    }
    loop {
        let after_time = time_after(text, end).map_or(end, |t| t.end);
        let next = skip_joiners(text, after_time, false);
        if next == after_time {
            return Some(end);
        }
        let Some(hit) = item(text, next, keys, opaque) else {
            return Some(end);
        };
        end = hit.end;
        hits.push(hit);
    }
}

/// One element of a task word's list: a bare number allowed.
fn item(text: &str, pos: usize, keys: &KeyFilter, opaque: &Opaque) -> Option<Hit> {
    if opaque.containing(pos).is_some() || !opens_reference(prev_char(text, pos)) {
        return None;
    }
    reference(text, pos, true, keys)
}

/// A reference starting exactly at `start` (whose left neighbour was already checked).
fn reference(text: &str, start: usize, bare: bool, keys: &KeyFilter) -> Option<Hit> {
    let rest = &text[start..];
    let (task, len) = if let Some(after) = rest.strip_prefix('#') {
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            if is_forge_request(text, start) {
                return None;
            }
            let (n, len) = number(after)?;
            (n, len + 1)
        } else {
            let (k, len) = key(after, keys)?;
            (k, len + 1)
        }
    } else if let Some(after) = rest.strip_prefix('№') {
        // `задача № 12`; a lone `№ 12` is a document number, hence only after task words.
        if !bare {
            return None;
        }
        let gap = blanks(after);
        let (n, len) = number(&after[gap..])?;
        (n, '№'.len_utf8() + gap + len)
    } else if rest.starts_with(|c: char| c.is_ascii_uppercase()) {
        key(rest, keys)?
    } else if bare {
        number(rest)?
    } else {
        return None;
    };
    let end = start + len;
    closes_reference(text, end).then_some(Hit { start, end, task })
}

/// Digits of a task number. A leading zero means something else: colours (`#000000`,
/// `#001122`), zero-padded codes.
fn number(s: &str) -> Option<(TaskRef, usize)> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || len > MAX_NUMBER_DIGITS || s.starts_with('0') {
        return None;
    }
    Some((TaskRef::parse(&s[..len])?, len))
}

/// `PROJ-123`: upper-case Latin letter, upper-case letters or digits, `-`, digits. Lower
/// case is not taken from messages (`utf-8`, `sha-1` and ordinary hyphenated words are
/// far more common than a key typed in lower case).
fn key(s: &str, keys: &KeyFilter) -> Option<(TaskRef, usize)> {
    let key_len = s
        .bytes()
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        .count();
    if !(2..=MAX_KEY_LEN).contains(&key_len) {
        return None;
    }
    let digits = s[key_len..].strip_prefix('-')?;
    let (_, num_len) = number(digits)?;
    let len = key_len + 1 + num_len;
    let task = TaskRef::parse(&s[..len])?;
    keys.allows(&task).then_some((task, len))
}

/// `Merge pull request #12 from …`, `PR #12`, `MR #12`: the forge's own numbering.
fn is_forge_request(text: &str, hash: usize) -> bool {
    let before = text[..hash].trim_end_matches(BLANKS);
    let Some(word) = trailing_word(before) else {
        return false;
    };
    if word_is(word, "pr") || word_is(word, "mr") {
        return true;
    }
    if !word_is(word, "request") {
        return false;
    }
    let before = before[..before.len() - word.len()].trim_end_matches(BLANKS);
    trailing_word(before).is_some_and(|w| word_is(w, "pull") || word_is(w, "merge"))
}

fn blanks(s: &str) -> usize {
    s.len() - s.trim_start_matches(BLANKS).len()
}
