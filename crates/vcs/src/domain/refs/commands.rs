//! Commands around the references found: a closing keyword before a list of references
//! (`Fixes #12, #13 and PROJ-4`, `исправлено #5`), Redmine's `@2h` right after one, and
//! Jira's `#close`, `#resolve`, `#time 1h` later on the line of one. Works on the hits of
//! any finder, so custom patterns get the same commands.

use std::collections::HashSet;
use std::ops::Range;

use super::text::{
    BLANKS, is_task_word, opens_word, prev_char, skip_joiners, trailing_word, word_in,
};
use super::time::time_after;
use super::{Command, Hit, duration};

const CLOSE_WORDS: &[&str] = &[
    "fix",
    "fixes",
    "fixed",
    "fixing",
    "close",
    "closes",
    "closed",
    "closing",
    "resolve",
    "resolves",
    "resolved",
    "resolving",
    "implement",
    "implements",
    "implemented",
    "implementing",
    "исправлено",
    "исправляет",
    "исправлена",
    "исправлен",
    "исправил",
    "исправила",
    "закрывает",
    "закрыта",
    "закрыто",
    "закрыт",
    "решено",
    "решена",
];

/// "doesn't fix #12", "не исправлено #12": the keyword is there, the intent is not.
const NEGATIONS: &[&str] = &[
    "not", "don't", "doesn't", "didn't", "won't", "never", "no", "не",
];

/// Jira transitions we treat as closing; others (`#start`, `#review`) are workflow names
/// this tracker does not have.
const JIRA_CLOSE: &[&str] = &["close", "resolve"];

/// `hits` are in text order and do not overlap.
pub(super) fn find(text: &str, hits: &[Hit]) -> Vec<Command> {
    if is_revert(text) {
        return Vec::new();
    }
    let runs = runs(text, hits);
    // (where the command was written, the command): sorted by position at the end, so
    // commands come out in the order a reader meets them.
    let mut found: Vec<(usize, Command)> = Vec::new();
    for run in &runs {
        let first = &hits[run.start];
        if closing_word_before(text, first.start) {
            found.extend(
                hits[run.clone()]
                    .iter()
                    .map(|h| (h.start, Command::Close(h.task.clone()))),
            );
        }
    }
    for hit in hits {
        if let Some(time) = time_after(text, hit.end)
            && let Some(minutes) = time.minutes
        {
            found.push((
                time.start,
                Command::LogTime {
                    task: hit.task.clone(),
                    minutes,
                },
            ));
        }
    }
    jira_commands(text, hits, &runs, &mut found);
    found.sort_by_key(|(at, _)| *at);
    let mut closed = HashSet::new();
    found
        .into_iter()
        .map(|(_, command)| command)
        // Closing twice is closing once; time logged twice is logged twice.
        .filter(|command| match command {
            Command::Close(task) => closed.insert(task.clone()),
            Command::LogTime { .. } => true,
        })
        .collect()
}

/// Undoing a commit that said "fixes #12" must not close #12 again; the revert still
/// names the task, so it stays linked.
fn is_revert(text: &str) -> bool {
    text.trim_start().starts_with("Revert \"") || text.contains("This reverts commit ")
}

/// Groups of consecutive hits joined only by list separators on one line, as index ranges.
fn runs(text: &str, hits: &[Hit]) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..hits.len() {
        let prev_end = hits[i - 1].end;
        let after_time = time_after(text, prev_end).map_or(prev_end, |t| t.end);
        let next_start = hits[i].start;
        if after_time > next_start || skip_joiners(text, after_time, true) != next_start {
            runs.push(start..i);
            start = i;
        }
    }
    if !hits.is_empty() {
        runs.push(start..hits.len());
    }
    runs
}

/// `Fixes #12`, `fixes: #12`, `Closes tasks 12, 13`, `закрывает задачу 5`: a closing word,
/// an optional `:`, an optional task word, then the reference, all on one line.
fn closing_word_before(text: &str, start: usize) -> bool {
    let mut s = skip_colon_back(&text[..start]);
    if let Some(word) = trailing_word(s).filter(|w| is_task_word(w)) {
        s = skip_colon_back(&s[..s.len() - word.len()]);
    }
    let Some(word) = trailing_word(s) else {
        return false;
    };
    let word_start = s.len() - word.len();
    word_in(word, CLOSE_WORDS) && opens_word(prev_char(s, word_start)) && !negated(&s[..word_start])
}

fn skip_colon_back(s: &str) -> &str {
    let s = s.trim_end_matches(BLANKS);
    s.strip_suffix(':').unwrap_or(s).trim_end_matches(BLANKS)
}

fn negated(before: &str) -> bool {
    let before = before.trim_end_matches(BLANKS);
    let token_start = before
        .char_indices()
        .rev()
        .take(8)
        .take_while(|(_, c)| c.is_alphabetic() || matches!(c, '\'' | '’'))
        .last()
        .map_or(before.len(), |(i, _)| i);
    let token = before[token_start..].replace('’', "'");
    !token.is_empty() && opens_word(prev_char(before, token_start)) && word_in(&token, NEGATIONS)
}

/// `PROJ-12 #close`, `PROJ-12 #time 1h 30m worklog text`: each applies to the nearest
/// reference before it on its line; `#close` to that reference's whole list, as Jira's
/// `PROJ-1 PROJ-2 #resolve` does.
fn jira_commands(
    text: &str,
    hits: &[Hit],
    runs: &[Range<usize>],
    found: &mut Vec<(usize, Command)>,
) {
    // The line start is carried along so each `#` costs only the bytes since the last one.
    let mut line_start = 0;
    let mut walked = 0;
    for (at, _) in text.match_indices('#') {
        if let Some(nl) = text[walked..at].rfind('\n') {
            line_start = walked + nl + 1;
        }
        walked = at;
        let Some(command) = jira_command(text, at) else {
            continue;
        };
        let i = hits.partition_point(|h| h.end <= at);
        if i == 0 || hits[i - 1].end <= line_start {
            continue;
        }
        let hit = &hits[i - 1];
        match command {
            JiraCommand::Close => {
                let run = runs
                    .get(runs.partition_point(|r| r.end < i))
                    .cloned()
                    .unwrap_or(i - 1..i);
                found.extend(
                    hits[run]
                        .iter()
                        .map(|h| (at, Command::Close(h.task.clone()))),
                );
            }
            JiraCommand::Time(minutes) => found.push((
                at,
                Command::LogTime {
                    task: hit.task.clone(),
                    minutes,
                },
            )),
        }
    }
}

enum JiraCommand {
    Close,
    Time(i64),
}

fn jira_command(text: &str, at: usize) -> Option<JiraCommand> {
    if !prev_char(text, at).is_none_or(char::is_whitespace) {
        return None;
    }
    let after = &text[at + 1..];
    let word = super::text::leading_word(after)?;
    if word_in(word, JIRA_CLOSE) {
        return Some(JiraCommand::Close);
    }
    if !super::text::word_is(word, "time") {
        return None;
    }
    let rest = &after[word.len()..];
    let args = rest.trim_start_matches(BLANKS);
    if args.len() == rest.len() {
        return None;
    }
    let (minutes, _) = duration::jira(args)?;
    minutes.map(JiraCommand::Time)
}
