//! The parser against the real files in `../shared/samples/bank/1c/` and hand-made edge files.

use std::collections::HashSet;

use encoding_rs::{IBM866, WINDOWS_1251};
use proptest::prelude::*;

use super::*;
use crate::domain::{Direction, Kopecks, direction};

fn sample_bytes(name: &str) -> Option<Vec<u8>> {
    shtab_core::samples::read(&format!("bank/1c/{name}"))
}

fn sample(name: &str) -> Option<Statement> {
    let bytes = sample_bytes(name)?;
    Some(parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn directions(s: &Statement) -> Vec<Direction> {
    let own = s.accounts_in_file();
    s.operations.iter().map(|op| direction(op, &own)).collect()
}

fn count(s: &Statement, doc_type: &str) -> usize {
    s.operations
        .iter()
        .filter(|o| o.doc_type.as_deref() == Some(doc_type))
        .count()
}

fn cp1251(text: &str) -> Vec<u8> {
    WINDOWS_1251.encode(text).0.into_owned()
}

fn cp1251_text(bytes: &[u8]) -> String {
    WINDOWS_1251
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// 1-based number of the first line of `text` that starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    1 + text
        .lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix}"))
}

#[test]
fn kilylabs_one_day() {
    let Some(s) = sample("kilylabs_one_day.cp1251.txt") else {
        return;
    };
    assert_eq!(s.encoding, TextEncoding::Windows1251);
    assert_eq!(s.header.format_version.as_deref(), Some("1.02"));
    assert_eq!(s.header.sender.as_deref(), Some("Банк Клиент Онлайн"));
    assert_eq!(s.operations.len(), 13);
    assert_eq!(count(&s, "Банковский ордер"), 6);
    assert_eq!(count(&s, "Платежное поручение"), 7);
    assert_eq!(s.sections.len(), 1);
    let sec = &s.sections[0];
    assert_eq!(sec.account.as_str(), "40702810200000000001");
    assert_eq!(
        (
            sec.opening_balance,
            sec.total_in,
            sec.total_out,
            sec.closing_balance
        ),
        (
            Some(Kopecks(4532991)),
            Some(Kopecks(4000000)),
            Some(Kopecks(4118400)),
            Some(Kopecks(4414591))
        )
    );
    let first = &s.operations[0];
    assert_eq!(first.number.as_deref(), Some("697162"));
    assert_eq!(first.amount, Kopecks(8323));
    assert_eq!(
        first.date,
        chrono::NaiveDate::from_ymd_opt(2016, 1, 11).unwrap()
    );
    assert_eq!(first.payer.name.as_deref(), Some("Some random payer"));
    assert_eq!(first.payer.bank_name.as_deref(), Some("ВТБ 24 (ПАО)"));
    assert_eq!(
        first.payer.corr_account.as_deref(),
        Some("30101810100000000716")
    );
    assert_eq!(first.vo.as_deref(), Some("17"));
    // The anonymised INN 123123123123 fails the check digits: kept as text, not an error.
    assert_eq!(first.payer.inn, None);
    assert_eq!(first.payer.inn_unparsed.as_deref(), Some("123123123123"));
    assert_eq!(first.payer.kpp, None, "empty values are absent");
    let keys: HashSet<&str> = s.operations.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys.len(), 13, "every document has its own key");
}

#[test]
fn odin_taxdev_tinkoff_all_incoming() {
    let Some(s) = sample("odin_taxdev_4645_tinkoff.cp1251.txt") else {
        return;
    };
    assert_eq!(s.header.sender.as_deref(), Some("Tinkoff"));
    assert_eq!(s.operations.len(), 9);
    assert_eq!(count(&s, "Банковский ордер"), 9);
    assert!(directions(&s).iter().all(|d| *d == Direction::Incoming));
    // T-Bank fills ДатаСписано on incoming transfers; the direction above ignored it.
    assert!(s.operations.iter().any(|o| o.debited_on.is_some()));
}

#[test]
fn odin_readme_utf8_despite_header() {
    let Some(s) = sample("odin_readme_tinkoff_example.utf8.txt") else {
        return;
    };
    assert_eq!(s.encoding, TextEncoding::Utf8);
    assert_eq!(s.header.declared_encoding.as_deref(), Some("Windows"));
    assert_eq!(s.operations.len(), 1);
    assert_eq!(directions(&s), [Direction::Incoming]);
    assert_eq!(
        s.operations[0].payee.name.as_deref(),
        Some("Сидоров Сидор Сидорович")
    );
}

#[test]
fn odin_two_accounts() {
    let Some(s) = sample("odin_two_accounts.cp1251.txt") else {
        return;
    };
    assert_eq!(s.header.declared_encoding.as_deref(), Some("windows-1251"));
    assert_eq!(s.header.sender, None, "empty Отправитель= is absent");
    assert_eq!(s.header.accounts.len(), 2);
    assert_eq!(s.accounts_in_file().len(), 2);
    assert_eq!(s.sections.len(), 44);
    assert_eq!(s.operations.len(), 6);
    assert_eq!(count(&s, "Прочее"), 2);
    let own = s.accounts_in_file();
    let per_account: usize = own.iter().map(|a| s.sections_of(a).count()).sum();
    assert_eq!(per_account, 44);
    // «Прочее» moves money between the two own accounts.
    let other = s
        .operations
        .iter()
        .find(|o| o.doc_type.as_deref() == Some("Прочее"))
        .unwrap();
    assert_eq!(direction(other, &own), Direction::Internal);
}

#[test]
fn odin_version_1_03_sber() {
    let Some(s) = sample("odin_version_1_03_sber.cp1251.txt") else {
        return;
    };
    assert_eq!(s.header.format_version.as_deref(), Some("1.03"));
    assert_eq!(s.sections.len(), 46);
    assert!(s.sections.iter().all(|sec| sec.opening_balance.is_some()));
    assert_eq!(s.sections[0].opening_balance, Some(Kopecks(4900)));
    assert_eq!(s.operations.len(), 2);
    assert_eq!(directions(&s), [Direction::Incoming, Direction::Outgoing]);
    assert_eq!(s.operations[0].amount, Kopecks(15865452));
}

#[test]
fn odin_unknown_direction_unicredit() {
    let Some(s) = sample("odin_unknown_direction_unicredit.cp1251.txt") else {
        return;
    };
    assert_eq!(s.header.sender, None);
    assert_eq!(s.operations.len(), 2);
    assert_eq!(directions(&s), [Direction::Outgoing, Direction::Incoming]);
    let out = &s.operations[0];
    assert_eq!(out.vo.as_deref(), Some("09"));
    // `ПлательщикКорСчет` with a capital С is the same key.
    assert_eq!(
        out.payer.corr_account.as_deref(),
        Some("30101000000000000007")
    );
    assert_eq!(out.tax, None, "all-empty tax fields are no tax fields");
    let foreign = &s.operations[1];
    assert_eq!(foreign.payer.inn, None);
    assert_eq!(foreign.payer.inn_unparsed.as_deref(), Some("4"));
    assert_eq!(foreign.payer.account.as_deref(), Some("006780000008"));
    assert_eq!(foreign.payer.bank_name.as_deref(), Some("NEW YORK NY USA"));
    assert_eq!(foreign.payer.bic, None);
    assert_eq!(foreign.amount, Kopecks(20745900));
}

#[test]
fn xini1_outgoing_rostelecom() {
    let Some(s) = sample("xini1_sample2_outgoing_rostelecom.utf8.txt") else {
        return;
    };
    assert_eq!(s.encoding, TextEncoding::Utf8);
    assert_eq!(s.header.format_version.as_deref(), Some("1.01"));
    assert!(s.sections.is_empty());
    assert_eq!(s.operations.len(), 1);
    assert_eq!(directions(&s), [Direction::Outgoing]);
    let op = &s.operations[0];
    assert_eq!(op.amount, Kopecks(1));
    assert_eq!(
        op.payer.inn.as_ref().map(|i| i.as_str()),
        Some("7707049388")
    );
    assert_eq!(
        op.payee.inn.as_ref().map(|i| i.as_str()),
        Some("7722698789")
    );
    assert_eq!(op.payer.kpp.as_deref(), Some("770545001"));
    assert_eq!(op.uin.as_deref(), Some("2021730100412217000244871"));
}

#[test]
fn xini1_tax_payments() {
    let Some(s) = sample("xini1_sample5_tax_payments.utf8.txt") else {
        return;
    };
    assert_eq!(s.header.declared_encoding.as_deref(), Some("windows"));
    assert_eq!(s.operations.len(), 6);
    assert!(directions(&s).iter().all(|d| *d == Direction::Outgoing));
    let taxed: Vec<_> = s.operations.iter().filter_map(|o| o.tax.as_ref()).collect();
    assert!(!taxed.is_empty());
    assert!(taxed.iter().any(|t| t.basis.as_deref() == Some("ТП")
        && t.period.as_deref() == Some("МС.08.2021")
        && t.kbk.is_some()));
}

#[test]
fn mojibake_is_refused_at_its_first_line() {
    let Some(bytes) = sample_bytes("odin_statement-131911_mojibake_fffd.txt") else {
        return;
    };
    let err = parse(&bytes).unwrap_err();
    assert_eq!(err.line_number(), Some(2), "{err}");
    assert!(err.to_string().contains("U+FFFD"), "{err}");
}

#[test]
fn truncated_file_is_refused_naming_the_last_line() {
    let Some(bytes) = sample_bytes("kilylabs_one_day.cp1251.txt") else {
        return;
    };
    let text = cp1251_text(&bytes);
    // Cut after a whole line in the middle of the seventh document.
    let lines: Vec<&str> = text.split("\r\n").collect();
    let docs: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("СекцияДокумент"))
        .collect();
    let keep = docs[6] + 5;
    let cut = lines[..keep].join("\r\n") + "\r\n";
    let err = parse(&cp1251(&cut)).unwrap_err();
    assert_eq!(err.line_number(), Some(keep), "{err}");
    assert!(
        err.to_string().contains("without КонецФайла (truncated?)"),
        "{err}"
    );

    // Cut in the middle of a line: the broken line is named.
    let half = &bytes[..bytes.len() / 2];
    let err = parse(half).unwrap_err();
    let half_lines = cp1251_text(half).trim_end().lines().count();
    assert_eq!(err.line_number(), Some(half_lines), "{err}");
}

#[test]
fn broken_amount_names_line_and_key() {
    let Some(bytes) = sample_bytes("kilylabs_one_day.cp1251.txt") else {
        return;
    };
    let text = cp1251_text(&bytes).replacen("Сумма=199.74", "Сумма=199.7.4", 1);
    let err = parse(&cp1251(&text)).unwrap_err();
    let ParseError::Field { line, key, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (*line, key.as_str()),
        (line_of(&text, "Сумма=199.7.4"), "Сумма")
    );
    assert!(message.contains("«199.7.4»"), "{message}");
}

#[test]
fn keys_are_stable_across_parses_and_overlapping_files() {
    let Some(bytes) = sample_bytes("kilylabs_one_day.cp1251.txt") else {
        return;
    };
    let full = parse(&bytes).unwrap();
    let again = parse(&bytes).unwrap();
    assert_eq!(full.operations, again.operations);

    // Another export holding two of the same documents (different header and period,
    // LF line ends, UTF-8): the same payments get the same keys.
    let text = cp1251_text(&bytes);
    let docs: Vec<&str> = text.split("СекцияДокумент=").skip(1).collect();
    let body = |d: &str| {
        let end = d.find("КонецДокумента").unwrap();
        format!("СекцияДокумент={}КонецДокумента\n", &d[..end])
    };
    let overlap = format!(
        "1CClientBankExchange\nВерсияФормата=1.03\nКодировка=Windows\nДатаНачала=10.01.2016\n\
         ДатаКонца=12.01.2016\nРасчСчет=40702810200000000001\n{}\n{}КонецФайла\n",
        body(docs[2]).replace("\r\n", "\n"),
        body(docs[3]),
    );
    let part = parse(overlap.as_bytes()).unwrap();
    assert_eq!(part.encoding, TextEncoding::Utf8);
    let keys: Vec<&str> = part.operations.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            full.operations[2].key.as_str(),
            full.operations[3].key.as_str()
        ]
    );
}

#[test]
fn same_day_same_amount_same_payer_differ_by_number_or_purpose() {
    let doc = |number: &str, purpose: &str| {
        format!(
            "СекцияДокумент=Платежное поручение\nНомер={number}\nДата=01.02.2026\nСумма=1000\n\
             ПлательщикСчет=40702810900000000001\nПлательщикИНН=7707083893\n\
             ПолучательСчет=40702810900000000002\nНазначениеПлатежа={purpose}\nКонецДокумента\n"
        )
    };
    let file = format!(
        "1CClientBankExchange\n{}{}{}{}КонецФайла\n",
        doc("1", "Оплата по счету 5"),
        doc("2", "Оплата по счету 5"),
        doc("1", "Оплата по счету 6"),
        // Only spacing and case differ from the first: the same document, which in one file
        // is a second payment, numbered among its equals.
        doc("1", "оплата  по СЧЕТУ 5 "),
    );
    let s = parse(file.as_bytes()).unwrap();
    let k: Vec<&str> = s.operations.iter().map(|o| o.key.as_str()).collect();
    assert!(k[0].starts_with("1c:") && k[0].len() == 3 + 32, "{}", k[0]);
    assert_ne!(k[0], k[1]);
    assert_ne!(k[0], k[2]);
    assert_eq!(k[3], format!("{}#2", k[0]));
    assert_eq!(
        stable_key(&s.operations[3]),
        k[0],
        "the recipe itself ignores spacing and case"
    );
}

#[test]
fn equal_documents_in_one_file_are_separate_payments_but_a_transfer_listed_twice_is_one() {
    let doc = |payee: &str| {
        format!(
            "СекцияДокумент=Банковский ордер\nНомер=77\nДата=01.02.2026\nСумма=150.00\n\
             ПлательщикСчет=40702810900000000001\nПолучательСчет={payee}\n\
             НазначениеПлатежа=Комиссия за ведение счета\nКонецДокумента\n"
        )
    };
    let fee = doc("70601810900000000001");
    // Between the two accounts the file covers: listed under each of them.
    let transfer = doc("40702810900000000002");
    let file = format!(
        "1CClientBankExchange\nРасчСчет=40702810900000000001\nРасчСчет=40702810900000000002\n\
         {fee}{fee}{fee}{transfer}{transfer}{transfer}{transfer}КонецФайла\n"
    );
    let s = parse(file.as_bytes()).unwrap();
    let k: Vec<&str> = s.operations.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(&k[1], &format!("{}#2", k[0]));
    assert_eq!(&k[2], &format!("{}#3", k[0]));
    assert_eq!(k[3], k[4], "one transfer, listed under both accounts");
    assert_eq!(&k[5], &format!("{}#2", k[3]));
    assert_eq!(k[5], k[6]);
    assert_eq!(
        parse(file.as_bytes()).unwrap().operations,
        s.operations,
        "stable"
    );
}

/// A small valid file in the shape banks send, for edge cases.
fn minimal(doc_lines: &str) -> String {
    format!(
        "1CClientBankExchange\nВерсияФормата=1.03\nКодировка=Windows\nРасчСчет=40702810900000000001\n\
         СекцияДокумент=Платежное поручение\nНомер=7\nДата=01.02.2026\n{doc_lines}\
         ПолучательСчет=40702810900000000001\nКонецДокумента\nКонецФайла\n"
    )
}

#[test]
fn edge_files_parse() {
    // CR-only line ends, amounts with comma and spaces, purpose split over lines.
    let text =
        minimal("Сумма=1 234,50\nНазначениеПлатежа1=Оплата по счету\nНазначениеПлатежа2=№ 5\n")
            .replace('\n', "\r");
    let s = parse(text.as_bytes()).unwrap();
    let op = &s.operations[0];
    assert_eq!(op.amount, Kopecks(123450));
    assert_eq!(op.purpose.as_deref(), Some("Оплата по счету № 5"));

    // cp866 declared as DOS.
    let dos = minimal("Сумма=10\nПлательщик1=Ёлка\n").replace("Windows", "DOS");
    let dos = IBM866.encode(&dos).0.into_owned();
    let s = parse(&dos).unwrap();
    assert_eq!(s.encoding, TextEncoding::Cp866);
    assert_eq!(s.operations[0].payer.name.as_deref(), Some("Ёлка"));

    // Anything after КонецФайла is not part of the statement.
    let s = parse((minimal("Сумма=10\n") + "\u{1a}garbage").as_bytes()).unwrap();
    assert_eq!(s.operations.len(), 1);
}

#[test]
fn edge_files_refused_with_line_and_reason() {
    let cases: Vec<(String, usize, &str)> = vec![
        (minimal("Сумма=-10\n"), 8, "negative"),
        (minimal("Сумма=10.001\n"), 8, "more than two decimals"),
        (minimal("Сумма=10\nДатаСписано=01.02.26\n"), 9, "dd.mm.yyyy"),
        (minimal("Сумма=10\nСумма=11\n"), 9, "different value"),
        (
            minimal("Сумма=10\nСекцияРасчСчет\n"),
            9,
            "КонецДокумента is missing",
        ),
        (minimal("Сумма=10\nмусор\n"), 9, "expected Key=Value"),
        (minimal(""), 5, "no Сумма"),
        (
            minimal("Сумма=10\n").replace("Дата=01.02.2026\n", ""),
            5,
            "no Дата",
        ),
        (
            minimal("Сумма=10\n").replace("РасчСчет=40702810900000000001\n", "РасчСчет=123\n"),
            4,
            "20 digits",
        ),
        (
            "1CClientBankExchange\nКонецДокумента\n".into(),
            2,
            "never opened",
        ),
        (
            "1CClientBankExchange\nСекцияРасчСчет\nКонецРасчСчет\nКонецФайла\n".into(),
            2,
            "no РасчСчет",
        ),
        (
            "\n\nВерсияФормата=1.03\n".into(),
            3,
            "not a 1CClientBankExchange file",
        ),
        ("   \n".into(), 1, "empty"),
    ];
    for (text, line, why) in cases {
        let err = parse(text.as_bytes()).expect_err(&text);
        assert_eq!(err.line_number(), Some(line), "{err}\n{text}");
        assert!(err.to_string().contains(why), "{err} should say {why}");
    }
}

/// A small valid file to mutate.
fn valid_lines() -> Vec<String> {
    minimal("Сумма=1 234,50\nНазначениеПлатежа=Оплата по счету 5\nДатаСписано=01.02.2026\n")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Replace(usize, String),
    Cut(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (any::<usize>(), "\\PC{0,20}").prop_map(|(a, s)| Mutation::Replace(a, s)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Cut(a, b)),
    ]
}

fn apply(lines: &mut Vec<String>, m: &Mutation) {
    let n = lines.len();
    if n == 0 {
        return;
    }
    match m {
        Mutation::Delete(i) => {
            lines.remove(i % n);
        }
        Mutation::Duplicate(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Mutation::Swap(a, b) => lines.swap(a % n, b % n),
        Mutation::Replace(i, s) => lines[i % n] = s.clone(),
        Mutation::Cut(i, at) => {
            let l = &mut lines[i % n];
            let keep = l
                .char_indices()
                .map(|(p, _)| p)
                .nth(at % (l.chars().count() + 1));
            l.truncate(keep.unwrap_or(l.len()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse(&bytes);
        let mut with_signature = b"1CClientBankExchange\r\n".to_vec();
        with_signature.extend_from_slice(&bytes);
        let _ = parse(&with_signature);
    }

    #[test]
    fn never_panics_on_mutated_files(
        ms in proptest::collection::vec(mutation(), 1..6),
        dos in any::<bool>(),
    ) {
        let mut lines = valid_lines();
        for m in &ms {
            apply(&mut lines, m);
        }
        let text = lines.join("\r\n");
        let bytes = if dos { IBM866.encode(&text).0.into_owned() } else { cp1251(&text) };
        if let Err(e) = parse(&bytes) {
            // Every refusal points somewhere in the file.
            if let Some(line) = e.line_number() {
                prop_assert!(line >= 1 && line <= lines.len().max(1), "{e}");
            }
        }
    }
}
