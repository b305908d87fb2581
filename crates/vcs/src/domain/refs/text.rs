//! Small questions about the text around a position, shared by the reference finders and
//! the command finder. Positions are byte offsets on character boundaries. Nothing here
//! looks past a line break, because neither a reference list nor a command spans lines.

/// Blanks that separate words on one line.
pub(super) const BLANKS: [char; 2] = [' ', '\t'];

/// Words (lower case) that announce task numbers: `task 12`, `задачи 12, 13`.
const TASK_WORDS: [&str; 7] = [
    "task",
    "tasks",
    "задача",
    "задачи",
    "задачу",
    "задаче",
    "задач",
];
/// The task words after which a list of numbers follows rather than one number.
const PLURAL_TASK_WORDS: [&str; 3] = ["tasks", "задачи", "задач"];
/// Words that join references of one list: `#1 and #2`, `#1 и #2`.
const JOIN_WORDS: [&str; 2] = ["and", "и"];
/// None of the words we look for is longer; a longer run of letters is some other word.
const MAX_WORD_CHARS: usize = 16;

pub(super) fn prev_char(text: &str, pos: usize) -> Option<char> {
    text[..pos].chars().next_back()
}

pub(super) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether a reference may start after `prev`. An allow-list rather than "not a word
/// character": `/` (paths, `owner/repo#1`), `.`, `-`, `&` (`&#123;`), `@`, `!` and the
/// like mean the number belongs to something else, and precision beats recall here.
pub(super) fn opens_reference(prev: Option<char>) -> bool {
    match prev {
        None => true,
        Some(c) => {
            c.is_whitespace()
                || matches!(
                    c,
                    '(' | '['
                        | '{'
                        | '<'
                        | '>'
                        | ','
                        | ';'
                        | ':'
                        | '"'
                        | '\''
                        | '`'
                        | '*'
                        | '|'
                        | '«'
                        | '“'
                        | '„'
                        | '‘'
                )
        }
    }
}

/// Whether a reference may end at `pos`: `#12.` ends a sentence, but `#1.2`, `#123abc`,
/// `#12:30`, `PROJ-12-login`, `#12/13` and `#12@host` are something else.
pub(super) fn closes_reference(text: &str, pos: usize) -> bool {
    let mut rest = text[pos..].chars();
    match rest.next() {
        None => true,
        Some(c) if is_word_char(c) => false,
        // `PROJ-12:fix login` is a subject line; `12:30` is a time.
        Some(':') => !rest.next().is_some_and(|c| c.is_ascii_digit()),
        Some('.' | '-' | '/' | '\\' | '+' | '@' | '#') => !rest.next().is_some_and(is_word_char),
        Some(_) => true,
    }
}

/// Whether a word may start after `prev`; `auto-fix`, `path/fix`, `#fix` are not the word.
pub(super) fn opens_word(prev: Option<char>) -> bool {
    !prev.is_some_and(|c| is_word_char(c) || matches!(c, '-' | '/' | '.' | '#' | '@' | '\'' | '’'))
}

/// The word of letters at the start of `s`, if it is a whole short word.
pub(super) fn leading_word(s: &str) -> Option<&str> {
    let end = match s
        .char_indices()
        .take(MAX_WORD_CHARS + 1)
        .find(|(_, c)| !c.is_alphabetic())
    {
        Some((end, c)) if !is_word_char(c) => end,
        Some(_) => return None,
        None if s.chars().nth(MAX_WORD_CHARS).is_none() => s.len(),
        None => return None,
    };
    (end > 0).then(|| &s[..end])
}

/// The word of letters at the end of `s`, if it is a whole short word.
pub(super) fn trailing_word(s: &str) -> Option<&str> {
    let mut start = s.len();
    for (count, (i, c)) in s.char_indices().rev().enumerate() {
        if !c.is_alphabetic() {
            break;
        }
        if count == MAX_WORD_CHARS {
            return None;
        }
        start = i;
    }
    (start < s.len()).then(|| &s[start..])
}

/// Case-insensitive comparison against a lower-case word, without allocating.
pub(super) fn word_is(word: &str, lower: &str) -> bool {
    word.chars().flat_map(char::to_lowercase).eq(lower.chars())
}

pub(super) fn word_in(word: &str, list: &[&str]) -> bool {
    list.iter().any(|w| word_is(word, w))
}

pub(super) fn is_task_word(word: &str) -> bool {
    word_in(word, &TASK_WORDS)
}

pub(super) fn is_plural_task_word(word: &str) -> bool {
    word_in(word, &PLURAL_TASK_WORDS)
}

/// Skips what joins two references of one list on one line: blanks, `,`, `;`, `&`,
/// "and", "и", and with `task_words` also "task"/"задача" with an optional `:`
/// (`fixes task 12 and task 13`). Returns where the joiners end.
pub(super) fn skip_joiners(text: &str, mut pos: usize, task_words: bool) -> usize {
    loop {
        let rest = &text[pos..];
        let trimmed = rest.trim_start_matches([' ', '\t', ',', ';', '&']);
        pos += rest.len() - trimmed.len();
        match leading_word(trimmed) {
            Some(w) if word_in(w, &JOIN_WORDS) => pos += w.len(),
            Some(w) if task_words && is_task_word(w) => {
                pos += w.len();
                if text[pos..].starts_with(':') {
                    pos += 1;
                }
            }
            _ => return pos,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_at_either_end() {
        assert_eq!(leading_word("task 12"), Some("task"));
        assert_eq!(leading_word("задачи, 12"), Some("задачи"));
        assert_eq!(leading_word("task12"), None);
        assert_eq!(leading_word(" task"), None);
        assert_eq!(leading_word("a".repeat(40).as_str()), None);
        assert_eq!(trailing_word("Fixes"), Some("Fixes"));
        assert_eq!(trailing_word("see: Исправлено"), Some("Исправлено"));
        assert_eq!(trailing_word("x "), None);
        assert_eq!(trailing_word("a".repeat(40).as_str()), None);
        assert!(word_is("ЗАДАЧА", "задача"));
        assert!(!word_is("задачаx", "задача"));
    }

    #[test]
    fn joiners_stay_on_one_line() {
        let s = "#1, #2 and #3 и #4\n#5";
        assert_eq!(skip_joiners(s, 2, false), 4);
        assert_eq!(skip_joiners(s, 7, false), 11);
        assert_eq!(skip_joiners(s, 13, false), 17);
        assert_eq!(skip_joiners(s, 20, false), 20);
        assert_eq!(skip_joiners("12 and task: 13", 2, true), 13);
        assert_eq!(skip_joiners("12 and task: 13", 2, false), 7);
    }
}
