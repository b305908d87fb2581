//! Key names. Banks disagree on case (`ПлательщикКорсчет` and `ПлательщикКорСчет`), so a
//! key is compared lower-cased. The keys the reader knows are a fixed table ([`Key`]): a
//! line's key is matched against it once, and sections store and look up values by
//! [`Key`] instead of by string. Any other key is kept lower-cased ([`Name::Other`]), so
//! duplicates are still caught.

use std::hash::{BuildHasherDefault, Hasher};

/// Declares [`Key`] from `Variant = "lower-cased key"` pairs.
macro_rules! keys {
    ($($variant:ident = $lower:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Key {
            $($variant,)*
        }

        impl Key {
            /// How many keys there are: [`Key`] as `usize` indexes an array of this length.
            pub const COUNT: usize = [$($lower),*].len();

            /// The key whose lower-cased name is `lower` (UTF-8): one hash lookup in a
            /// table built once, since every line of a file asks.
            fn from_lower(lower: &[u8]) -> Option<Key> {
                static TABLE: std::sync::LazyLock<KeyTable> = std::sync::LazyLock::new(|| {
                    [$(($lower.as_bytes(), Key::$variant),)*].into_iter().collect()
                });
                TABLE.get(lower).copied()
            }
        }
    };
}

keys! {
    // Section markers.
    AccountStart = "секциярасчсчет",
    AccountEnd = "конецрасчсчет",
    DocumentStart = "секциядокумент",
    DocumentEnd = "конецдокумента",
    FileEnd = "конецфайла",
    // The header and the account sections.
    FormatVersion = "версияформата",
    Encoding = "кодировка",
    Sender = "отправитель",
    CreatedOn = "датасоздания",
    PeriodStart = "датаначала",
    PeriodEnd = "датаконца",
    Account = "расчсчет",
    OpeningBalance = "начальныйостаток",
    TotalIn = "всегопоступило",
    TotalOut = "всегосписано",
    ClosingBalance = "конечныйостаток",
    // Documents.
    Number = "номер",
    Date = "дата",
    Amount = "сумма",
    DebitedOn = "датасписано",
    CreditedOn = "датапоступило",
    PaymentKind = "видплатежа",
    Vo = "видоплаты",
    Priority = "очередность",
    Uin = "код",
    Purpose = "назначениеплатежа",
    Purpose1 = "назначениеплатежа1",
    Purpose2 = "назначениеплатежа2",
    Purpose3 = "назначениеплатежа3",
    Purpose4 = "назначениеплатежа4",
    Purpose5 = "назначениеплатежа5",
    Purpose6 = "назначениеплатежа6",
    PayerStatus = "статуссоставителя",
    Kbk = "показателькбк",
    Oktmo = "окато",
    TaxBasis = "показательоснования",
    TaxPeriod = "показательпериода",
    TaxDocNumber = "показательномера",
    TaxDocDate = "показательдаты",
    TaxKind = "показательтипа",
    // The parties. The header's `Получатель` (the receiving program) is `Payee` too.
    Payer = "плательщик",
    Payer1 = "плательщик1",
    PayerAccount = "плательщиксчет",
    PayerSettlementAccount = "плательщикрасчсчет",
    PayerKpp = "плательщиккпп",
    PayerBank1 = "плательщикбанк1",
    PayerBic = "плательщикбик",
    PayerCorrAccount = "плательщиккорсчет",
    PayerInn = "плательщикинн",
    Payee = "получатель",
    Payee1 = "получатель1",
    PayeeAccount = "получательсчет",
    PayeeSettlementAccount = "получательрасчсчет",
    PayeeKpp = "получателькпп",
    PayeeBank1 = "получательбанк1",
    PayeeBic = "получательбик",
    PayeeCorrAccount = "получателькорсчет",
    PayeeInn = "получательинн",
    // Standard keys that are not read, listed so that they are matched without allocating.
    CreatedAt = "времясоздания",
    Document = "документ",
    PayerBank2 = "плательщикбанк2",
    PayeeBank2 = "получательбанк2",
    DueDate = "срокплатежа",
    AcceptanceTerm = "срокакцепта",
    LetterOfCreditKind = "видаккредитива",
    PaymentCondition1 = "условиеоплаты1",
    SentOn = "датаотсылкидок",
    ByPresentation = "платежпопредст",
    ExtraConditions = "дополнусловия",
    SupplierAccountNumber = "номерсчетапоставщика",
}

/// Known keys by lower-cased name.
type KeyTable = std::collections::HashMap<&'static [u8], Key, BuildHasherDefault<Fnv>>;

/// FNV-1a: the table is fixed and never grows from input, so SipHash's resistance to
/// chosen collisions buys nothing, and a short key hashes in a few instructions per byte.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A key as the reader compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    Known(Key),
    /// Any other key, lower-cased.
    Other(String),
}

/// The longest known key is well under this many bytes of UTF-8.
const MAX_KNOWN_LEN: usize = 48;

impl Name {
    /// The name of `key` as written in the file. Known keys are lower-cased into a buffer
    /// on the stack, and only other keys allocate.
    pub fn of(key: &str) -> Name {
        let mut buf = [0u8; MAX_KNOWN_LEN];
        match lowercase_known_letters(key.as_bytes(), &mut buf) {
            Some(len) => match Key::from_lower(&buf[..len]) {
                Some(known) => Name::Known(known),
                None => Name::Other(lowercase(key)),
            },
            None => Name::Other(lowercase(key)),
        }
    }
}

/// [`Name::of`] with a memory of the spellings one file uses: a file writes the same few
/// dozen keys on every document, so after the first document a key is found as written,
/// without lower-casing it again.
#[derive(Default)]
pub struct Names<'a> {
    seen: std::collections::HashMap<&'a str, Key, BuildHasherDefault<Fnv>>,
}

impl<'a> Names<'a> {
    /// Spellings remembered at most; only known keys are, so a file cannot grow it much.
    const LIMIT: usize = 512;

    pub fn of(&mut self, key: &'a str) -> Name {
        if let Some(&known) = self.seen.get(key) {
            return Name::Known(known);
        }
        let name = Name::of(key);
        if let Name::Known(known) = name
            && self.seen.len() < Self::LIMIT
        {
            self.seen.insert(key, known);
        }
        name
    }
}

/// Lower-cases `key` into `buf` byte by byte, as long as it is made of ASCII and basic
/// Cyrillic (U+0400–U+045F) letters, which every known key is; `None` for anything else
/// or a key too long to be known. Working on the UTF-8 bytes, not chars, because every line
/// of a file comes through here.
fn lowercase_known_letters(key: &[u8], buf: &mut [u8; MAX_KNOWN_LEN]) -> Option<usize> {
    if key.len() > MAX_KNOWN_LEN {
        return None;
    }
    let mut i = 0;
    while i < key.len() {
        let b = key[i];
        if b.is_ascii() {
            buf[i] = b.to_ascii_lowercase();
            i += 1;
            continue;
        }
        let next = *key.get(i + 1)?;
        let (lead, trail) = match (b, next) {
            // А–Я (U+0410–U+042F) → а–я: а–п stay in the D0 row, р–я move to D1.
            (0xD0, 0x90..=0x9F) => (0xD0, next + 0x20),
            (0xD0, 0xA0..=0xAF) => (0xD1, next - 0x20),
            // Ѐ–Џ (U+0400–U+040F) → ѐ–џ (U+0450–U+045F).
            (0xD0, 0x80..=0x8F) => (0xD1, next + 0x10),
            // Already lower case: а–п, р–я, ѐ–џ.
            (0xD0, 0xB0..=0xBF) | (0xD1, 0x80..=0x9F) => (b, next),
            _ => return None,
        };
        buf[i] = lead;
        buf[i + 1] = trail;
        i += 2;
    }
    Some(key.len())
}

/// `s.to_lowercase()`, without looking up tables for ASCII and basic Cyrillic letters.
pub fn lowercase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match simple_lowercase(c) {
            Some(lower) => out.push(lower),
            // `str::to_lowercase` lower-cases Σ by its context, every other character alone.
            None if c == 'Σ' => return s.to_lowercase(),
            None => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The lower case of ASCII and basic Cyrillic (U+0400–U+045F) letters, which is one
/// character found by arithmetic; `None` for other characters.
fn simple_lowercase(c: char) -> Option<char> {
    match c {
        'A'..='Z' => Some(c.to_ascii_lowercase()),
        'Ѐ'..='Џ' => char::from_u32(c as u32 + 0x50),
        'А'..='Я' => char::from_u32(c as u32 + 0x20),
        _ if c.is_ascii() || ('а'..='џ').contains(&c) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_in_any_case() {
        for key in [
            "ПлательщикКорсчет",
            "ПлательщикКорСчет",
            "ПЛАТЕЛЬЩИККОРСЧЕТ",
        ] {
            assert_eq!(Name::of(key), Name::Known(Key::PayerCorrAccount), "{key}");
        }
        assert_eq!(Name::of("НазначениеПлатежа6"), Name::Known(Key::Purpose6));
    }

    #[test]
    fn other_keys_are_lower_cased_like_to_lowercase() {
        let long = "ОченьДлинныйКлючКоторогоНетВТаблицеИзвестныхКлючей";
        for key in [
            "СрокАкцептаЁ",
            "ЀЏЁЂ",
            "Ѡѡ",
            "ΣΟΦΟΣ",
            "Straße",
            "Key\u{212A}",
            "ИНН",
            long,
        ] {
            assert_eq!(Name::of(key), Name::Other(key.to_lowercase()), "{key}");
        }
    }

    #[test]
    fn remembered_spellings_answer_as_the_first_time() {
        let mut names = Names::default();
        for key in [
            "ПлательщикКорсчет",
            "ПЛАТЕЛЬЩИККОРСЧЕТ",
            "ПлательщикКорсчет",
            "Неизвестный",
        ] {
            assert_eq!(names.of(key), Name::of(key), "{key}");
            assert_eq!(names.of(key), Name::of(key), "{key}, again");
        }
        assert_eq!(names.seen.len(), 2, "unknown keys are not remembered");
    }

    #[test]
    fn byte_lowercasing_agrees_with_to_lowercase_for_every_letter_it_takes() {
        let letters = (0x20u32..0x7F)
            .chain(0x400..0x460)
            .filter_map(char::from_u32);
        for c in letters {
            let s = c.to_string();
            let mut buf = [0u8; MAX_KNOWN_LEN];
            let len = lowercase_known_letters(s.as_bytes(), &mut buf).expect("a basic letter");
            assert_eq!(&buf[..len], s.to_lowercase().as_bytes(), "{c}");
        }
        let mut buf = [0u8; MAX_KNOWN_LEN];
        assert_eq!(lowercase_known_letters("Ѣ".as_bytes(), &mut buf), None);
        assert_eq!(lowercase_known_letters("é".as_bytes(), &mut buf), None);
    }

    #[test]
    fn lowercase_is_to_lowercase() {
        for s in [
            "",
            "Оплата по счету № 12 от 01.02.2026, НДС НЕ ОБЛАГАЕТСЯ",
            "ЀЏЁЂ Ѡѡ Straße İSTANBUL",
            "ΣΟΦΟΣ Σ ΑΣ.",
            "Key\u{212A} ÀÉ ǅ",
        ] {
            assert_eq!(lowercase(s), s.to_lowercase(), "{s}");
        }
    }
}
