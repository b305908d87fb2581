//! Invoice numbers named in a payment purpose (назначение платежа).
//!
//! A purpose is free text typed by the payer's accountant: «Оплата по счету № 25-фжр-13 от
//! 31.03.2025 за … Сумма 19588-49 В т.ч. НДС (20%) 3264-75». We look for the word "счёт" in
//! its forms and abbreviations («счету», «счетам», «сч.», «сч-т», «invoice») and read the
//! number or list of numbers that follows it. What we deliberately do not take:
//!
//! - «счёт-фактура», «сч/ф», «с/ф», «СФ»: a VAT document whose number differs from the
//!   invoice's (it is issued on shipment, often weeks later);
//! - bank, card and personal accounts («р/сч», «на счет 40817…», «лицевой счет 123»): the
//!   same word means "account" there. A personal account (лицевой счёт) identifies a
//!   subscriber or employee, never a bill, so a number after it is not an invoice number;
//! - anything with a run of 16 or more digits (card numbers have 16–19, accounts 20; no
//!   invoice is numbered like that), truncated or masked numbers («40702…», «4081****»),
//!   dates, percentages and amounts («1500 руб.»).
//!
//! Numbers are returned as written, trimmed of surrounding punctuation, so a manager sees
//! what the payer typed; [`normalize_number`] gives the key they are compared by.

use std::sync::LazyLock;

use regex::Regex;

/// The word that introduces an invoice number, standing as a whole word: a non-word
/// character (Unicode `\W`) or an end on each side, so «счетчик» and «подсчет» do not match.
/// Longer suffixes first keeps «счетам» from stopping at «счета».
///
/// The sides are characters the match takes in ([`keyword_in`] trims them off) rather than
/// `\b`: the regex crate's fast engines cannot decide a Unicode `\b` in Cyrillic text and
/// fall back to one that made this search half the cost of matching a payment. Both spell
/// the same boundary; the search goes on from the end of the word, so the character after
/// one keyword can be the one before the next.
static KEYWORD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|\W)(?:сч[её]т(?:ами|ам|ах|ов|ом|у|а|е)?|сч-т|сч|invoices?)(?:$|\W)").ok()
});

/// The keyword inside a [`KEYWORD`] match, as a byte range: every spelling of the word
/// begins and ends with a letter, and the sides never are letters.
fn keyword_in(purpose: &str, m: regex::Match<'_>) -> (usize, usize) {
    let text = m.as_str();
    let start = match text.chars().next() {
        Some(c) if !is_letter(c) => m.start() + c.len_utf8(),
        _ => m.start(),
    };
    let end = match text.chars().next_back() {
        Some(c) if !is_letter(c) => m.end() - c.len_utf8(),
        _ => m.end(),
    };
    debug_assert!(purpose.is_char_boundary(start) && purpose.is_char_boundary(end));
    (start, end)
}

/// Longer tokens are prose or garbage, not invoice numbers.
const MAX_NUMBER_CHARS: usize = 40;

/// A run of this many digits is a card (16–19) or an account (20), never an invoice.
const ACCOUNT_DIGITS: usize = 16;

/// Words right before «счёт» that make it a bank or personal account, not a bill.
const ACCOUNT_WORDS: &[&str] = &[
    "лицев",
    "лиц.",
    "расч",
    "корр",
    "кор.",
    "текущ",
    "банковск",
    "депозит",
    "ссудн",
    "валютн",
    "карточн",
    "транзитн",
    "специальн",
    "спец.",
    "номинальн",
    "казначейск",
];
/// «на счет …» is where a transfer goes to: always an account. «со счета …» is where it
/// comes from, but «со счетом» is "with the invoice" («в соответствии со счетом № 12»), so
/// «с»/«со» count only before the genitive «счета».
const TO_ACCOUNT: &str = "на";
const FROM_ACCOUNT: &[&str] = &["с", "со"];

/// Invoice numbers named in `purpose`, in order of appearance, without repeats (two
/// spellings with the same [`normalize_number`] key count once; the first is kept).
pub fn invoice_numbers(purpose: &str) -> Vec<String> {
    let Some(keyword) = KEYWORD.as_ref() else {
        return Vec::new();
    };
    // Most purposes are searched once and name one or two invoices: one allocation of the
    // right size for the chars, and char positions counted from the regex's byte positions
    // only where a keyword is, keep a million payments from spending more on this than on
    // the rest of matching.
    let mut chars: Vec<char> = Vec::with_capacity(purpose.len());
    chars.extend(purpose.chars());
    let char_at = |byte: usize| purpose[..byte].chars().count();

    let mut found: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut at = 0;
    while let Some(m) = keyword.find_at(purpose, at) {
        let (word_start, word_end) = keyword_in(purpose, m);
        at = word_end;
        let start = char_at(word_start);
        let before = chars.get(..start).unwrap_or_default();
        let genitive = purpose[..word_end].ends_with(['а', 'А']);
        if is_account(before, genitive) {
            continue;
        }
        let mut cursor = Cursor {
            chars: &chars,
            pos: char_at(word_end),
        };
        for number in cursor.numbers_after_keyword() {
            let key = normalize_number(&number);
            if !keys.contains(&key) {
                keys.push(key);
                found.push(number);
            }
        }
    }
    found
}

/// The key invoice numbers are compared by: upper case; Cyrillic letters that look like
/// Latin ones mapped to Latin (payers type «А-17» and «A-17» alike, and both look the same
/// on an invoice); every dash becomes `-`; spaces dropped; leading zeros of each digit run
/// dropped, because accounting software pads numbers («00042») that people type short («42»).
pub fn normalize_number(number: &str) -> String {
    let mut out = String::with_capacity(number.len());
    // Inside a digit run: whether a non-zero digit was written, and whether zeros were
    // skipped (an all-zero run still writes one «0»).
    let mut significant = false;
    let mut skipped_zero = false;
    for c in number.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii_digit() {
            if !significant && c == '0' {
                skipped_zero = true;
            } else {
                significant = true;
                skipped_zero = false;
                out.push(c);
            }
            continue;
        }
        if skipped_zero {
            out.push('0');
        }
        significant = false;
        skipped_zero = false;
        out.push(latin_lookalike(c));
    }
    if skipped_zero {
        out.push('0');
    }
    out
}

fn latin_lookalike(c: char) -> char {
    let upper = c.to_uppercase().next().unwrap_or(c);
    match upper {
        'А' => 'A',
        'В' => 'B',
        'Е' | 'Ё' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'У' => 'Y',
        'Х' => 'X',
        '–' | '—' | '‑' | '−' => '-',
        other => other,
    }
}

/// Whether the text before a «счёт» makes it an account rather than a bill; `genitive`: the
/// word is «счета».
fn is_account(before: &[char], genitive: bool) -> bool {
    // «р/сч», «л/сч», «к/сч» are abbreviations of accounts.
    if before.last() == Some(&'/') {
        return true;
    }
    let mut end = before.len();
    while end > 0 && before[end - 1].is_whitespace() {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && (is_letter(before[start - 1]) || before[start - 1] == '.') {
        start -= 1;
    }
    let word: String = before[start..end].iter().map(|&c| lower(c)).collect();
    ACCOUNT_WORDS.iter().any(|w| word.starts_with(w))
        || word == TO_ACCOUNT
        || (FROM_ACCOUNT.contains(&word.as_str()) && genitive)
}

/// `c` in lower case. Purposes are Russian and Latin: those letters without the Unicode
/// tables, which cost more than the rest of reading a purpose.
fn lower(c: char) -> char {
    match c {
        'A'..='Z' => c.to_ascii_lowercase(),
        'А'..='Я' => char::from_u32(c as u32 + 32).unwrap_or(c),
        'Ё' => 'ё',
        _ if c.is_ascii() => c,
        _ => c.to_lowercase().next().unwrap_or(c),
    }
}

/// Whether `c` is a letter, with the same shortcut as [`lower`].
fn is_letter(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё' => true,
        _ if c.is_ascii() => false,
        _ => c.is_alphabetic(),
    }
}

fn is_word_char(c: char) -> bool {
    c == '_' || c.is_ascii_digit() || is_letter(c) || (!c.is_ascii() && c.is_numeric())
}

/// A position in the purpose, right after a keyword.
struct Cursor<'a> {
    chars: &'a [char],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek(0).is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Consumes `word` (lower case) if it stands here as a whole word.
    fn eat_word(&mut self, word: &str) -> bool {
        let mut n = 0;
        for w in word.chars() {
            if self.peek(n).map(lower) != Some(w) {
                return false;
            }
            n += 1;
        }
        if self.peek(n).is_some_and(is_letter) {
            return false;
        }
        self.pos += n;
        true
    }

    /// The letters starting at `from`, in lower case.
    fn letters_at(&self, from: usize) -> String {
        self.chars
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&c| is_letter(c))
            .map(|&c| lower(c))
            .collect()
    }

    /// The numbers after a keyword, or none when the keyword names a VAT invoice.
    fn numbers_after_keyword(&mut self) -> Vec<String> {
        if self.is_vat_invoice() {
            return Vec::new();
        }
        // «счет-оферта» and «счет-договор» are invoices too: skip the second half.
        if self.peek(0) == Some('-') {
            let word = self.letters_at(self.pos + 1);
            if word.starts_with("оферт") || word.starts_with("договор") {
                self.pos += 1 + word.chars().count();
            }
        }
        // «сч.» and «счет.» — the dot belongs to the keyword.
        if self.peek(0) == Some('.') {
            self.pos += 1;
        }
        let mut numbers = Vec::new();
        loop {
            self.skip_prefixes();
            let Some(token) = self.token() else { break };
            if let Some(number) = self.judge(token) {
                numbers.push(number);
            }
            self.eat_from_date();
            if !self.eat_separator() {
                break;
            }
        }
        numbers
    }

    /// «счет-фактура», «счёт фактура», «сч/ф», «сч.-ф.», «сч-ф».
    fn is_vat_invoice(&self) -> bool {
        let mut at = self.pos;
        while self
            .chars
            .get(at)
            .is_some_and(|&c| c.is_whitespace() || matches!(c, '-' | '/' | '.'))
        {
            at += 1;
        }
        if self.chars.get(at).map(|&c| lower(c)) != Some('ф') {
            return false;
        }
        let word = self.letters_at(at);
        word == "ф" || word.starts_with("фактур")
    }

    /// Skips what may stand between the keyword and the number: «на оплату», «от 01.02.2026»,
    /// «№», «№№», «N», «No.», «#», «номер», «:», «-».
    fn skip_prefixes(&mut self) {
        loop {
            let before = self.pos;
            self.skip_ws();
            match self.peek(0) {
                // «счет: 12», «№-5», «счет - 12»
                Some('№' | '#' | ':' | '-') => self.pos += 1,
                _ => {
                    let save = self.pos;
                    let progressed = self.eat_number_word()
                        || (self.eat_word("на") && {
                            self.skip_ws();
                            self.eat_word("оплату")
                        })
                        || self.eat_from_date();
                    if !progressed {
                        self.pos = save;
                    }
                }
            }
            if self.pos == before {
                return;
            }
        }
    }

    /// «N 12», «N12», «No. 12», «no 12», «номер 12».
    fn eat_number_word(&mut self) -> bool {
        if self.eat_word("номер") {
            return true;
        }
        let n = self.peek(0).map(lower);
        if n != Some('n') {
            return false;
        }
        let mut len = 1;
        if self.peek(1).map(lower) == Some('o') {
            len = 2;
        }
        if self.peek(len) == Some('.') {
            len += 1;
        }
        match self.peek(len) {
            Some(c) if c.is_whitespace() || c.is_ascii_digit() => {
                self.pos += len;
                true
            }
            _ => false,
        }
    }

    /// « от 01.02.2026 г.» after a number (or before it: «счет от 01.02.2026 № 5»).
    fn eat_from_date(&mut self) -> bool {
        let save = self.pos;
        self.skip_ws();
        if self.eat_word("от") {
            self.skip_ws();
            if self.eat_date() {
                return true;
            }
        }
        self.pos = save;
        false
    }

    fn eat_date(&mut self) -> bool {
        let save = self.pos;
        let ok = self.eat_digits(1, 2) && self.eat_one_of(&['.', '/']) && self.eat_digits(1, 2);
        if !ok {
            self.pos = save;
            return false;
        }
        // The year is often left out («№ 12 от 01.02, 13 от 02.02»).
        let day_month = self.pos;
        if !(self.eat_one_of(&['.', '/']) && self.eat_digits(2, 4)) {
            self.pos = day_month;
        }
        // «г.», «г», «года»
        let after = self.pos;
        self.skip_ws();
        if self.eat_word("года") || self.eat_word("г") {
            if self.peek(0) == Some('.') {
                self.pos += 1;
            }
        } else {
            self.pos = after;
        }
        true
    }

    fn eat_digits(&mut self, min: usize, max: usize) -> bool {
        let n = self
            .chars
            .get(self.pos..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n < min || n > max {
            return false;
        }
        self.pos += n;
        true
    }

    fn eat_one_of(&mut self, set: &[char]) -> bool {
        match self.peek(0) {
            Some(c) if set.contains(&c) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// `,`, `;`, `+`, `&`, «и», «and» between numbers of a list.
    fn eat_separator(&mut self) -> bool {
        let save = self.pos;
        self.skip_ws();
        if self.eat_one_of(&[',', ';', '+', '&']) || self.eat_word("и") || self.eat_word("and") {
            return true;
        }
        self.pos = save;
        false
    }

    /// A candidate number: starts with a letter or digit; `-`, `/`, `\` inside only between
    /// letters or digits; `.` only before a digit («12.1», not the «.» of «123.Сумма»).
    fn token(&mut self) -> Option<String> {
        let start = self.pos;
        if !self.peek(0).is_some_and(is_word_char) {
            return None;
        }
        let mut text = String::new();
        while let Some(c) = self.peek(0) {
            let next = self.peek(1);
            if is_word_char(c) {
                // «№12от 01.02.2026»: a missing space before «от» must not glue it on.
                let glued_from = lower(c) == 'о'
                    && next.map(lower) == Some('т')
                    && !self.peek(2).is_some_and(is_letter)
                    && text.ends_with(|d: char| d.is_ascii_digit());
                if glued_from {
                    break;
                }
            } else {
                let joins = match c {
                    '-' | '/' | '\\' | '–' | '—' => next.is_some_and(is_word_char),
                    '.' => next.is_some_and(|d| d.is_ascii_digit()),
                    _ => false,
                };
                if !joins {
                    break;
                }
            }
            text.push(c);
            self.pos += 1;
        }
        (self.pos > start).then_some(text)
    }

    /// Whether another group of digits follows after a space, as in «2200 1234». A date
    /// («№ 123 15.03.2025») is not such a group.
    fn digit_group_follows(&self) -> bool {
        let mut at = self.pos;
        let mut spaces = 0;
        while self.chars.get(at).is_some_and(|c| c.is_whitespace()) {
            at += 1;
            spaces += 1;
        }
        let mut digits = 0;
        while self.chars.get(at).is_some_and(char::is_ascii_digit) {
            at += 1;
            digits += 1;
        }
        spaces > 0 && digits > 0 && !matches!(self.chars.get(at), Some('.' | '/'))
    }

    /// The token as an invoice number, or `None` when it cannot be one.
    fn judge(&self, text: String) -> Option<String> {
        if !text.chars().any(|c| c.is_ascii_digit())
            || text.chars().count() > MAX_NUMBER_CHARS
            || longest_digit_run(&text) >= ACCOUNT_DIGITS
            || is_date(&text)
        {
            return None;
        }
        // What follows tells a truncated account, a percentage or an amount apart.
        let rest: String = self
            .chars
            .get(self.pos..)
            .unwrap_or_default()
            .iter()
            .take(8)
            .map(|&c| lower(c))
            .collect();
        let truncated = rest.starts_with(['…', '*']) || rest.starts_with("..");
        let trimmed = rest.trim_start();
        let amount_or_rate = trimmed.starts_with('%')
            || trimmed.starts_with('₽')
            || trimmed.starts_with("руб")
            || trimmed.starts_with("р.")
            || trimmed.starts_with("rub");
        // «2200 1234 5678 9010», «40702 810 …»: a number written in groups is a card or an
        // account; invoice numbers are not spaced out.
        let grouped = text.chars().all(|c| c.is_ascii_digit()) && self.digit_group_follows();
        if truncated || amount_or_rate || grouped {
            return None;
        }
        Some(text)
    }
}

fn longest_digit_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// «31.03.2025», «1.2.26», «01/02/2026» with a plausible day and month.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split(['.', '/']).collect();
    let [day, month, year] = parts.as_slice() else {
        return false;
    };
    let number = |s: &str, min_len: usize, max_len: usize| {
        (min_len..=max_len).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit())
    };
    if !(number(day, 1, 2) && number(month, 1, 2) && (year.len() == 2 || year.len() == 4)) {
        return false;
    }
    if !number(year, 2, 4) {
        return false;
    }
    let (Ok(d), Ok(m)) = (day.parse::<u8>(), month.parse::<u8>()) else {
        return false;
    };
    (1..=31).contains(&d) && (1..=12).contains(&m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keyword_pattern_compiles() {
        assert!(KEYWORD.is_some());
    }

    #[test]
    fn finds_invoice_numbers() {
        let cases: &[(&str, &[&str])] = &[
            ("Оплата по счету № 123 от 01.02.2026", &["123"]),
            ("оплата по сч. 45", &["45"]),
            ("сч.№45", &["45"]),
            ("Сч №45.", &["45"]),
            ("по счету №25-фжр-13 от 31.03.2025", &["25-фжр-13"]),
            ("по счетам 12, 13 и 15", &["12", "13", "15"]),
            ("по счетам №№ 12,13", &["12", "13"]),
            ("Оплата счета 77/2026", &["77/2026"]),
            ("invoice 12", &["12"]),
            ("Invoices no. 12 and #13", &["12", "13"]),
            ("счет на оплату № 5", &["5"]),
            ("сч-т 8", &["8"]),
            ("СЧЁТУ НА ОПЛАТУ № А-17/2026", &["А-17/2026"]),
            (
                "Оплата по счету INV-2026-00042 от 19.08.2026. НДС не облагается",
                &["INV-2026-00042"],
            ),
            ("по счету от 12.03.2025 № 45", &["45"]),
            ("по счету №12от 01.02.2026", &["12"]),
            ("по счету №123от01.02.2026г.Сумма 100-00", &["123"]),
            (
                "по счетам № 12 от 01.02.2026 г., № 13 от 02.02.2026",
                &["12", "13"],
            ),
            ("по счету-оферте № 31", &["31"]),
            ("в соответствии со счетом № 9", &["9"]),
            ("р/с 40702810900000012345 по счету 17", &["17"]),
            ("по счету № 12, в т.ч. НДС 20% 3264-75", &["12"]),
            ("по счету 12 и 0012", &["12"]),
            ("по счету 12.1 от 01.02.2026", &["12.1"]),
            ("(счет 7)", &["7"]),
            ("Оплата по счету №123 15.03.2025", &["123"]),
            ("счет: 12", &["12"]),
            ("Оплата по счету №-5-", &["5"]),
            ("сч 15 сч 16", &["15", "16"]),
            ("счет 15;счет 16", &["15", "16"]),
            ("Счет15", &[]),
        ];
        for (purpose, expected) in cases {
            assert_eq!(&invoice_numbers(purpose), expected, "{purpose}");
        }
    }

    #[test]
    fn leaves_what_is_not_an_invoice_number() {
        let cases = [
            "счет-фактура № 12",
            "по счету-фактуре №12 от 01.02.2026",
            "счета-фактуры 77",
            "сч/ф 11",
            "сч.-ф. 11",
            "с/ф 12",
            "СФ 12",
            "счетчика 55",
            "р/с 40702810900000012345",
            "перевод на счет 40817810099910004312",
            "на счет 40817810...",
            "зачисление на счет 1234",
            "перевод со счета 555",
            "счет 40702…",
            "счет 4081****1234",
            "сч. 40702810900000012345",
            "счет 2200 1234 5678 9010",
            "договор № 7",
            "по договору №2 от 04.09.2024 г.Сумма 200000-00Без налога (НДС)",
            "01.02.2026",
            "по счету от 01.02.2026",
            "ИНН 7707083893 КПП 770701001",
            "Сумма 19588-49",
            "в т.ч. НДС 20% 3264-75",
            "лицевой счет 123",
            "по лицевому счету № 123",
            "л/сч 123",
            "р/счет 4070",
            "расчетный счет 123",
            "за счет средств",
            "счет 20%",
            "Оплата счета 1500 руб.",
            "",
            "счет",
            "сч. №",
        ];
        for purpose in cases {
            assert_eq!(invoice_numbers(purpose), Vec::<String>::new(), "{purpose}");
        }
    }

    #[test]
    fn normalizes_for_comparison() {
        assert_eq!(normalize_number(" а-17/2026 "), "A-17/2026");
        assert_eq!(normalize_number("A-17/2026"), "A-17/2026");
        assert_eq!(normalize_number("INV-2026-00042"), "INV-2026-42");
        assert_eq!(normalize_number("0012"), "12");
        assert_eq!(normalize_number("000"), "0");
        assert_eq!(normalize_number("12-0"), "12-0");
        assert_eq!(normalize_number("10 05"), "1005");
        assert_eq!(normalize_number("25–фжр—13"), "25-ФЖP-13");
        assert_eq!(normalize_number("счёт"), normalize_number("СЧЕТ"));
    }

    /// Real purposes from T-Bank fixtures (`payPurpose`, the deprecated `paymentPurpose`,
    /// and `description`, which webhooks fill with the purpose too).
    #[test]
    fn real_tbank_purposes() {
        let cases: &[(&str, &[&str])] = &[
            (
                "bank/tbank/webhook-operation-credit-invoice-payment.json",
                &["25-фжр-13"],
            ),
            ("bank/tbank/webhook-operation-credit-loan-return.json", &[]),
            ("bank/tbank/webhook-operation-debit-bank-fee.json", &[]),
            (
                "bank/tbank/webhook-operation-debit-no-rubleAmount.json",
                &[],
            ),
            (
                "bank/tbank/webhook-operation-credit-anonymized-ms-timestamp.json",
                &["25-ъчэ-51"],
            ),
            ("bank/tbank/bank-statement-v1-deprecated-response.json", &[]),
            (
                "bank/tbank/bank-statement-v1-deprecated-tax-operation.json",
                &[],
            ),
        ];
        for (file, expected) in cases {
            let Some(bytes) = shtab_core::samples::read(file) else {
                return;
            };
            let json: serde_json::Value = serde_json::from_slice(&bytes).expect("sample is JSON");
            let purposes = collect_purposes(&json);
            assert!(!purposes.is_empty(), "{file} has a purpose");
            for purpose in purposes {
                assert_eq!(&invoice_numbers(&purpose), expected, "{file}: {purpose}");
            }
        }
    }

    fn collect_purposes(json: &serde_json::Value) -> Vec<String> {
        match json {
            serde_json::Value::Object(map) => map
                .iter()
                .flat_map(|(key, value)| match (key.as_str(), value) {
                    (
                        "payPurpose" | "paymentPurpose" | "description",
                        serde_json::Value::String(s),
                    ) => vec![s.clone()],
                    _ => collect_purposes(value),
                })
                .collect(),
            serde_json::Value::Array(items) => items.iter().flat_map(collect_purposes).collect(),
            _ => Vec::new(),
        }
    }

    /// Pieces purposes are made of, so random ones hit the interesting paths.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "счет",
                "счету",
                "счетам",
                "сч.",
                "сч",
                "сч-т",
                "invoice",
                "счет-фактура",
                "лицевой",
                "на",
                "№",
                "№№",
                "N",
                "от",
                "и",
                ",",
                ";",
                ".",
                "-",
                "/",
                "…",
                "*",
                "%",
                "руб",
                " ",
                " ",
                "г.",
                "Сумма",
                "НДС",
                "р/с",
                "ф",
                "о",
                "т",
            ])
            .prop_map(str::to_owned),
            "[0-9]{1,25}",
            "[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{2,4}",
            "[а-яА-ЯёЁa-zA-Z0-9 .,;№/\\-]{0,6}",
            any::<char>().prop_map(String::from),
        ]
    }

    proptest! {
        #[test]
        fn never_panics_on_anything(purpose in any::<String>()) {
            let _ = invoice_numbers(&purpose);
        }

        #[test]
        fn never_returns_an_account_number(
            parts in prop::collection::vec(fragment(), 0..24)
        ) {
            let purpose = parts.concat();
            let numbers = invoice_numbers(&purpose);
            let mut keys: Vec<String> = Vec::new();
            for number in &numbers {
                prop_assert!(longest_digit_run(number) < 20, "{number} from {purpose}");
                prop_assert!(number.chars().any(|c| c.is_ascii_digit()));
                prop_assert_eq!(number.trim(), number.as_str());
                let key = normalize_number(number);
                prop_assert!(!keys.contains(&key), "{number} repeated in {purpose}");
                keys.push(key);
            }
        }
    }
}
