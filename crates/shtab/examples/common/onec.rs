//! Generated 1CClientBankExchange statements for the benches: a deterministic random
//! generator, valid INNs and the text of a statement's header and payment orders, as the
//! banks write them.

// Included by several benches, each of which uses the part it needs.
#![allow(dead_code)]

/// Our account: the one every generated statement is for.
pub const OUR_ACCOUNT: &str = "40702810900000012345";

/// A small deterministic generator (xorshift), so every run measures the same data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A valid INN of an organisation: nine digits from `seed` and the check digit.
pub fn inn(seed: u64) -> String {
    let digits: Vec<u32> = format!("{:09}", 100_000_000 + seed % 900_000_000)
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect();
    let weights = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    let check = sum % 11 % 10;
    digits.iter().map(|d| d.to_string()).collect::<String>() + &check.to_string()
}

/// The file's header and its account section for January 2026, on [`OUR_ACCOUNT`]
/// (declaring `Кодировка=Windows`; UTF-8 text is read as UTF-8 all the same).
pub fn header() -> String {
    format!(
        "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nОтправитель=Бенчмарк\r\n\
         Получатель=1С:Предприятие\r\nДатаСоздания=01.02.2026\r\nВремяСоздания=10:00:00\r\n\
         ДатаНачала=01.01.2026\r\nДатаКонца=31.01.2026\r\nРасчСчет={OUR_ACCOUNT}\r\n\
         СекцияРасчСчет\r\nДатаНачала=01.01.2026\r\nДатаКонца=31.01.2026\r\nРасчСчет={OUR_ACCOUNT}\r\n\
         НачальныйОстаток=0.00\r\nВсегоПоступило=0.00\r\nВсегоСписано=0.00\r\nКонечныйОстаток=0.00\r\nКонецРасчСчет\r\n"
    )
}

/// The end of the file.
pub const FOOTER: &str = "КонецФайла\r\n";

/// One incoming payment order: number `n`, on January `day`, `kopecks` from the client
/// `client` (INN `payer_inn`) to [`OUR_ACCOUNT`], with `purpose`.
pub fn incoming(
    n: u64,
    day: u64,
    kopecks: u64,
    payer_inn: &str,
    client: u64,
    purpose: &str,
) -> String {
    format!(
        "СекцияДокумент=Платежное поручение\r\nНомер={n}\r\nДата={day:02}.01.2026\r\n\
         Сумма={}.{:02}\r\nПлательщикСчет=40702810{client:012}\r\nДатаПоступило={day:02}.01.2026\r\n\
         Плательщик=ИНН {payer_inn} ООО \"Клиент номер {client}\"\r\nПлательщикИНН={payer_inn}\r\n\
         Плательщик1=ООО \"Клиент номер {client}\"\r\nПлательщикРасчСчет=40702810{client:012}\r\n\
         ПлательщикБанк1=ПАО СБЕРБАНК\r\nПлательщикБанк2=г. Москва\r\nПлательщикБИК=044525225\r\n\
         ПлательщикКорсчет=30101810400000000225\r\nПолучательСчет={OUR_ACCOUNT}\r\n\
         Получатель=ООО \"Агентство\"\r\nПолучательИНН=7701234567\r\nПолучатель1=ООО \"Агентство\"\r\n\
         ПолучательРасчСчет={OUR_ACCOUNT}\r\nПолучательБанк1=АО \"ТБанк\"\r\nПолучательБанк2=г. Москва\r\n\
         ПолучательБИК=044525974\r\nПолучательКорсчет=30101810145250000974\r\nВидОплаты=01\r\n\
         Очередность=5\r\nНазначениеПлатежа={purpose}\r\nПлательщикКПП=770101001\r\nПолучательКПП=770101001\r\n\
         КонецДокумента\r\n",
        kopecks / 100,
        kopecks % 100,
    )
}
