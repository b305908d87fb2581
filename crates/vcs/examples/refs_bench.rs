//! Reference-parsing throughput over a generated corpus of commit messages.
//!
//! `cargo run --release -p shtab-vcs --example refs_bench [MEGABYTES]`
//!
//! The corpus imitates an agency's history: short English and Russian subjects, bodies
//! with hashes, links, versions, sign-offs, and a few percent of messages naming tasks
//! (some with commands). It is generated from a fixed seed, so figures compare across runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use shtab_vcs::domain::refs::RefRules;

const DEFAULT_MEGABYTES: usize = 50;
/// Share of messages that name a task, in percent.
const WITH_REFS_PERCENT: u64 = 4;
const ROUNDS: usize = 3;

const VERBS: &[&str] = &[
    "Fix",
    "Add",
    "Update",
    "Refactor",
    "Remove",
    "Bump",
    "Rename",
    "Document",
    "Test",
    "Speed up",
    "Исправить",
    "Добавить",
    "Обновить",
    "Убрать",
    "Переименовать",
];
const OBJECTS: &[&str] = &[
    "login form",
    "invoice export to 1C",
    "CI pipeline",
    "serde to 1.0.210",
    "UTF-8 handling in CSV import",
    "SHA-256 signature check",
    "docker-compose for staging",
    "typo in README",
    "форму входа",
    "выгрузку счетов",
    "проверку ИНН",
    "кеш каталога на 15 минут",
    "timeouts (30s → 60s)",
    "migration 0042",
];
const BODY_LINES: &[&str] = &[
    "The old code re-read the whole file on every request, which took 250 ms on large catalogs.",
    "Раньше форма не сохраняла состояние после ошибки валидации.",
    "See https://github.com/acme/app/pull/318#issuecomment-1234567 for the discussion.",
    "Upstream issue: https://gitlab.com/group/proj/-/issues/77 (owner/repo#12 is related).",
    "This reverts part of 1481a2de7b2a7d02428ad93446ab166be7793fbb.",
    "Tested on Chrome 126, Firefox 128 and Safari 17.5; ISO-8859-1 input still works.",
    "Values above 10,000 are now rounded to two decimals (v2.3-rc1 behaviour).",
    "Signed-off-by: Ann Dev <ann.dev+42@acme.test>",
    "Co-authored-by: Иван Петров <ivan@example.ru>",
    "Cherry-picked onto release/2024.06 after review in !231.",
    "Colours: #1e1e1e for the background, #ccc for text.",
    "Config: max_connections = 64, pool_timeout = 5s.",
];
const REFERENCES: &[&str] = &[
    "Refs #{n}",
    "PROJ-{n}: ",
    "task {n}",
    "задача {n}",
    "Fixes #{n}",
    "Fixes #{n} @1h30m",
    "Исправлено #{n} @2ч",
    "tasks {n}, {m} and {k}",
    "[WEB-{n}] ",
    "WEB-{n} #time 2h 30m review",
    "see #{n}, #{m}",
    "closes PROJ-{n}, PROJ-{m}",
];

/// xorshift64*: deterministic and good enough to shuffle templates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn message(rng: &mut Rng) -> String {
    let mut m = format!("{} {}", rng.pick(VERBS), rng.pick(OBJECTS));
    if rng.below(100) < WITH_REFS_PERCENT {
        let reference = rng
            .pick(REFERENCES)
            .replace("{n}", &(1 + rng.below(5000)).to_string())
            .replace("{m}", &(1 + rng.below(5000)).to_string())
            .replace("{k}", &(1 + rng.below(5000)).to_string());
        if rng.below(2) == 0 {
            m = format!("{reference} {m}");
        } else {
            m.push_str("\n\n");
            m.push_str(&reference);
        }
    }
    if rng.below(2) == 0 {
        m.push_str("\n\n");
        for _ in 0..1 + rng.below(4) {
            m.push_str(rng.pick(BODY_LINES));
            m.push('\n');
        }
    }
    m
}

fn main() {
    let megabytes = std::env::args()
        .nth(1)
        .and_then(|a| a.parse::<usize>().ok())
        .unwrap_or(DEFAULT_MEGABYTES);
    let target = megabytes * 1_000_000;
    let mut rng = Rng(0x5EED_F00D_CAFE);
    let mut corpus = Vec::new();
    let mut bytes = 0;
    while bytes < target {
        let m = message(&mut rng);
        bytes += m.len();
        corpus.push(m);
    }

    let rules = RefRules::defaults();
    let mut best = Duration::MAX;
    let (mut refs, mut commands) = (0, 0);
    for _ in 0..ROUNDS {
        (refs, commands) = (0, 0);
        let start = Instant::now();
        for m in &corpus {
            let scan = rules.scan(black_box(m));
            refs += scan.refs.len();
            commands += scan.commands.len();
        }
        best = best.min(start.elapsed());
    }

    let secs = best.as_secs_f64().max(f64::EPSILON);
    println!(
        "refs_bench: {:.1} MB, {} messages in {:.3} s (best of {ROUNDS}): {:.1} MB/s, {:.0} messages/s, \
         {refs} references and {commands} commands found",
        bytes as f64 / 1e6,
        corpus.len(),
        secs,
        bytes as f64 / 1e6 / secs,
        corpus.len() as f64 / secs,
    );
}
