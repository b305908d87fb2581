//! Table-driven cases for the built-in syntax, custom patterns and project keys. Each case
//! is a message and what `shtab vcs refs` would print for it, minus the `ref ` lines'
//! repetition: expected references, then expected commands.

use super::*;

/// Scans `message` with `rules` and compares references and commands as printed.
fn check_with(rules: &RefRules, message: &str, refs: &[&str], commands: &[&str]) {
    let scan = rules.scan(message);
    let got_refs: Vec<String> = scan.refs.iter().map(ToString::to_string).collect();
    let got_commands: Vec<String> = scan.commands.iter().map(ToString::to_string).collect();
    assert_eq!(
        (got_refs, got_commands),
        (strings(refs), strings(commands)),
        "message: {message:?}"
    );
}

fn check(message: &str, refs: &[&str], commands: &[&str]) {
    check_with(&RefRules::defaults(), message, refs, commands);
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(ToString::to_string).collect()
}

#[test]
fn references_the_defaults_recognise() {
    let cases: &[(&str, &[&str])] = &[
        ("#123", &["#123"]),
        ("Login form #123.", &["#123"]),
        (
            "(#12) [#13] {#14} \"#15\" '#16' *#17* `#18`",
            &["#12", "#13", "#14", "#15", "#16", "#17", "#18"],
        ),
        ("PROJ-123 login", &["PROJ-123"]),
        ("feat(PROJ-7): login", &["PROJ-7"]),
        ("[AB2-5] typo", &["AB2-5"]),
        ("PROJ-12:fix login", &["PROJ-12"]),
        ("PROJ-12's form", &["PROJ-12"]),
        ("#PROJ-12 in YouTrack style", &["PROJ-12"]),
        ("task 123", &["#123"]),
        ("Task #123", &["#123"]),
        ("TASK: 5", &["#5"]),
        ("tasks 12, 13 and 14", &["#12", "#13", "#14"]),
        ("tasks 12; 13 & 14", &["#12", "#13", "#14"]),
        ("tasks #12, 13, PROJ-4", &["#12", "#13", "PROJ-4"]),
        ("tasks 12,13", &["#12", "#13"]),
        ("задача 123", &["#123"]),
        ("Задача №45", &["#45"]),
        ("задача № 45", &["#45"]),
        ("задачи 12, 13 и 14", &["#12", "#13", "#14"]),
        ("по задаче 7", &["#7"]),
        ("refs #12", &["#12"]),
        ("references #12, #13", &["#12", "#13"]),
        ("see #5", &["#5"]),
        (
            "#1 #2,#3;#4 & #5 and #6 и #7",
            &["#1", "#2", "#3", "#4", "#5", "#6", "#7"],
        ),
        (
            "#12 and again #12, PROJ-1 proj-1 PROJ-1",
            &["#12", "PROJ-1"],
        ),
        ("PROJ-2 then #1 then PROJ-2", &["PROJ-2", "#1"]),
        (
            "Subject PROJ-1\n\nBody names #2\nand task 3\n",
            &["PROJ-1", "#2", "#3"],
        ),
        ("[#12](https://x.test/issues/12)", &["#12"]),
        ("Reply to @ann on #12", &["#12"]),
    ];
    for (message, refs) in cases {
        check(message, refs, &[]);
    }
}

#[test]
fn what_the_defaults_do_not_take_for_tasks() {
    let cases = [
        "deadbeef",
        "#a1b2c3 colour",
        "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
        "1a2b3c4",
        "task 1a2b3c4",
        "#000000 and #001122 are colours",
        "https://host/path#123",
        "http://x/issues/123",
        "see www.x.ru/#12",
        "ssh://git@host:2222/#12",
        "owner/repo#1",
        "group/sub/proj#12",
        "Closes group/proj#12",
        "!12",
        "See merge request group/proj!12",
        "Merge pull request #123 from ann/feature",
        "PR #4",
        "mail ann#12@x.ru or ann+PROJ-1@x.ru",
        "#1.2",
        "#12:30",
        "#12/13",
        "C# code",
        "v1.2-3",
        "#123abc",
        "1#2",
        "a#2",
        "&#123;",
        "UTF-8 ISO-8859-1 SHA-256 SHA-1 CVE-2024-1234 RFC-822 TLS-1 GPL-3 MD5-1 HTTP-2",
        "IPV6-1 ECMA-262 ES-2015 WIN-1251 CP-1251 KOI8-1 SSL-3 LGPL-2 AGPL-3",
        "X-123",
        "proj-12 in lower case",
        "PROJ-012",
        "PROJ-12-login",
        "feature/PROJ-12",
        "docs/PROJ-12.md",
        "#1234567890",
        "#0",
        "subtask 12",
        "task 12:30",
        "№ 12",
        "Issue 12",
        "task\n12",
        "12 tasks",
    ];
    for message in cases {
        check(message, &[], &[]);
    }
}

#[test]
fn closing_commands() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("Fixes #12", &["#12"], &["close #12"]),
        ("fix #12", &["#12"], &["close #12"]),
        ("FIXED: #12", &["#12"], &["close #12"]),
        ("closes PROJ-3", &["PROJ-3"], &["close PROJ-3"]),
        ("Closed task 5", &["#5"], &["close #5"]),
        (
            "Resolves: tasks 5, 6",
            &["#5", "#6"],
            &["close #5", "close #6"],
        ),
        ("resolved #1", &["#1"], &["close #1"]),
        ("Implements #1", &["#1"], &["close #1"]),
        ("implemented PROJ-1", &["PROJ-1"], &["close PROJ-1"]),
        (
            "Fixes #12, #13 and PROJ-4",
            &["#12", "#13", "PROJ-4"],
            &["close #12", "close #13", "close PROJ-4"],
        ),
        (
            "fixes task 12 and task 13",
            &["#12", "#13"],
            &["close #12", "close #13"],
        ),
        ("Fixes #12 and refs #13", &["#12", "#13"], &["close #12"]),
        ("refs #12, fixes #13", &["#12", "#13"], &["close #13"]),
        ("Исправлено #12", &["#12"], &["close #12"]),
        ("исправляет задачу 7", &["#7"], &["close #7"]),
        ("Исправил(а)? нет: исправила #3", &["#3"], &["close #3"]),
        (
            "закрывает задачи 1, 2 и 3",
            &["#1", "#2", "#3"],
            &["close #1", "close #2", "close #3"],
        ),
        (
            "Закрыта #4; решено #5",
            &["#4", "#5"],
            &["close #4", "close #5"],
        ),
        ("PROJ-12 #close", &["PROJ-12"], &["close PROJ-12"]),
        (
            "PROJ-12 login form #resolve",
            &["PROJ-12"],
            &["close PROJ-12"],
        ),
        (
            "PROJ-1 PROJ-2 #resolve",
            &["PROJ-1", "PROJ-2"],
            &["close PROJ-1", "close PROJ-2"],
        ),
        ("Fixes #12\nfixes #12 again", &["#12"], &["close #12"]),
        // Not commands.
        ("Fix login in #12", &["#12"], &[]),
        ("Fixes\n#12", &["#12"], &[]),
        ("hotfix #12", &["#12"], &[]),
        ("auto-fix #12", &["#12"], &[]),
        ("This doesn't fix #12", &["#12"], &[]),
        ("не исправлено #12", &["#12"], &[]),
        ("#close\nPROJ-1", &["PROJ-1"], &[]),
        ("PROJ-1\n#close", &["PROJ-1"], &[]),
        ("PROJ-1 x#close", &["PROJ-1"], &[]),
        (
            "Revert \"Fixes #12\"\n\nThis reverts commit abc.",
            &["#12"],
            &[],
        ),
    ];
    for (message, refs, commands) in cases {
        check(message, refs, commands);
    }
}

#[test]
fn time_commands() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("#123 @2h30m", &["#123"], &["time #123 2h30m"]),
        ("#1 @2h", &["#1"], &["time #1 2h"]),
        ("#1 @30m", &["#1"], &["time #1 30m"]),
        ("#1 @30min", &["#1"], &["time #1 30m"]),
        ("#1 @1.5h", &["#1"], &["time #1 1h30m"]),
        ("#1 @1,5h", &["#1"], &["time #1 1h30m"]),
        ("#1 @2:30", &["#1"], &["time #1 2h30m"]),
        ("#1 @2", &["#1"], &["time #1 2h"]),
        ("задача 1 @2ч30м", &["#1"], &["time #1 2h30m"]),
        ("#1 @2ч", &["#1"], &["time #1 2h"]),
        ("#1 @30м.", &["#1"], &["time #1 30m"]),
        ("PROJ-1 @0.333h", &["PROJ-1"], &["time PROJ-1 20m"]),
        (
            "#1 @1h, #2 @30m",
            &["#1", "#2"],
            &["time #1 1h", "time #2 30m"],
        ),
        (
            "Fixes #1 @1h, #2",
            &["#1", "#2"],
            &["close #1", "time #1 1h", "close #2"],
        ),
        (
            "tasks 1 @1h, 2 @2h",
            &["#1", "#2"],
            &["time #1 1h", "time #2 2h"],
        ),
        (
            "PROJ-1 #time 1w 2d 4h 30m",
            &["PROJ-1"],
            &["time PROJ-1 60h30m"],
        ),
        (
            "PROJ-1 #time 1.5h worked on the form",
            &["PROJ-1"],
            &["time PROJ-1 1h30m"],
        ),
        ("#5 login #time 45m", &["#5"], &["time #5 45m"]),
        (
            "PROJ-1 PROJ-2 #time 1h",
            &["PROJ-1", "PROJ-2"],
            &["time PROJ-2 1h"],
        ),
        (
            "JRA-123 #time 2d 5h #comment ok #resolve",
            &["JRA-123"],
            &["time JRA-123 21h", "close JRA-123"],
        ),
        ("#1 @1h\n#1 @30m", &["#1"], &["time #1 1h", "time #1 30m"]),
        // Not commands: zero, absurd, glued, alone, across lines, malformed.
        ("#1 @0h", &["#1"], &[]),
        ("#1 @0m and #2", &["#1", "#2"], &[]),
        ("#1 @169h", &["#1"], &[]),
        ("#1 #time 5w", &["#1"], &[]),
        ("#1@2h", &[], &[]),
        ("@2h", &[], &[]),
        ("#time 1h", &[], &[]),
        ("#1\n@2h", &["#1"], &[]),
        ("#1\n#time 2h", &["#1"], &[]),
        ("#1 @2x", &["#1"], &[]),
        ("#1 @2:75", &["#1"], &[]),
        ("#1 @-2h", &["#1"], &[]),
        ("#1 #time soon", &["#1"], &[]),
        ("#1 @ann thanks", &["#1"], &[]),
    ];
    for (message, refs, commands) in cases {
        check(message, refs, commands);
    }
}

#[test]
fn a_realistic_multi_line_message() {
    let message = "PROJ-7: Форма входа запоминает пользователя\n\
                   \n\
                   Исправлено #12 @1ч30м; см. задачи 13 и 14.\n\
                   Hash a94a8fe5ccb19ba61c4c0873d391e987982fbbd3, see https://git.x.ru/o/r/-/issues/99\n\
                   Signed-off-by: Анна <anna+15@x.ru>\n\
                   PROJ-7 #time 2h doc";
    check(
        message,
        &["PROJ-7", "#12", "#13", "#14"],
        &["close #12", "time #12 1h30m", "time PROJ-7 2h"],
    );
}

#[test]
fn custom_patterns_replace_the_defaults() {
    let rules = RefRules::new(
        "\n(?i)ticket\\s+(?<task>\\d+)\n\n(?i)\\b(?<task>[a-z]+-\\d+)\n",
        &[],
    )
    .unwrap();
    check_with(&rules, "ticket 12, #13, Proj-4", &["#12", "PROJ-4"], &[]);
    check_with(
        &rules,
        "Fixes ticket 12 @1h",
        &["#12"],
        &["close #12", "time #12 1h"],
    );
    check_with(&rules, "https://x.test/ticket 12", &["#12"], &[]);
    check_with(&rules, "see https://x.test/a-1", &[], &[]);
    // Two patterns seeing the same text give one reference.
    let overlapping = RefRules::new("#(?<task>\\d+)\n(?<task>\\d+)", &[]).unwrap();
    check_with(&overlapping, "#12 and 13", &["#12", "#13"], &[]);
}

#[test]
fn a_custom_pattern_may_match_whole_links() {
    let rules = RefRules::new("https://tracker\\.test/issues/(?<task>\\d+)", &[]).unwrap();
    check_with(
        &rules,
        "see https://tracker.test/issues/0042",
        &["#42"],
        &[],
    );
    check_with(
        &rules,
        "see https://x.test/?u=https://tracker.test/issues/42",
        &[],
        &[],
    );
}

#[test]
fn pattern_errors_name_the_line() {
    let err = RefRules::new("#(?<task>\\d+)\n(?<task>\\d+", &[]).unwrap_err();
    assert_eq!(err.line, 2);
    assert!(err.to_string().starts_with("line 2: "), "{err}");
    assert!(!err.message.contains('\n'), "{err:?}");
    let err = RefRules::new("\n\n#\\d+\n", &[]).unwrap_err();
    assert_eq!(err.to_string(), "line 3: no group named `task`");
    let err = RefRules::new("(?<other>\\d+)", &[]).unwrap_err();
    assert_eq!(err.line, 1);
    let err = RefRules::new("(?<task>\\d+){1000}{1000}", &[]).unwrap_err();
    assert_eq!(err.line, 1);
    assert!(
        RefRules::new(" \n\r\n", &[]).is_ok(),
        "blank lines are no patterns"
    );
    let e: &dyn std::error::Error = &err;
    assert!(!e.to_string().is_empty());
}

#[test]
fn project_keys_filter_keys_only() {
    let rules = RefRules::new("", &["proj".to_string(), "UTF".to_string()]).unwrap();
    check_with(
        &rules,
        "PROJ-1 OTHER-2 #3 task 4 UTF-8",
        &["PROJ-1", "#3", "#4", "UTF-8"],
        &[],
    );
    check_with(&rules, "Fixes OTHER-2, PROJ-1", &["PROJ-1"], &[]);
    let custom = RefRules::new("(?<task>[A-Z]+-\\d+)", &["PROJ".to_string()]).unwrap();
    check_with(&custom, "PROJ-1 OTHER-2", &["PROJ-1"], &[]);
}

#[test]
fn rules_are_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RefRules>();
    let rules = RefRules::defaults();
    let copy = rules.clone();
    let scan = std::thread::spawn(move || copy.scan("#1")).join().unwrap();
    assert_eq!(scan, rules.scan("#1"));
}

#[test]
fn huge_inputs_stay_linear() {
    // Worst cases for look-arounds: one giant token, many commands on one line.
    let token = "#1,".repeat(200_000);
    let start = std::time::Instant::now();
    assert_eq!(RefRules::defaults().scan(&token).refs.len(), 1);
    let line = format!("#1 {}", "#time 1h ".repeat(100_000));
    assert_eq!(RefRules::defaults().scan(&line).commands.len(), 100_000);
    let mail = format!("{}@x.ru #5", "a@".repeat(200_000));
    assert_eq!(RefRules::defaults().scan(&mail).refs.len(), 1);
    let link = format!("{}://x #5", "a".repeat(400_000));
    assert_eq!(RefRules::defaults().scan(&link).refs.len(), 1);
    assert!(start.elapsed().as_secs() < 10, "took {:?}", start.elapsed());
}
