//! The bank for the demo company: an account, invoices to its customers, and three monthly
//! 1CClientBankExchange statements for the last 90 days, written as text here and imported
//! through the real importer, then matched by the real matcher. The payments land in every
//! state: paid in full (by number, by amount), in part, several invoices at once, and not
//! matched at all; some invoices stay unpaid and overdue.

use std::fmt::Write;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use shtab_bank::domain::{AccountNumber, Bic};
use shtab_bank::invoices::{self, RawInvoiceInput};
use shtab_bank::service::import::import_statement_file;
use shtab_bank::service::matching::Matcher;
use shtab_bank::store::accounts::{self, RawAccountInput};
use shtab_core::audit::Actor;
use shtab_core::config::{Config, SystemOfRecord};
use shtab_core::db::Db;

use super::ledger::{self, kind};

const BIC: &str = "044525974";
const BANK: &str = "АО «ТБанк»";
const OUR_NAME: &str = "ООО «Демо Агентство»";
/// The account's number without its control digit, which is worked out from the BIC.
const OUR_ACCOUNT: (&str, &str) = ("40702810", "38000012345");
/// Kopecks: 3 200 000,00 ₽.
const OPENING_BALANCE: i64 = 320_000_000;

/// Customers: (name, the first nine digits of their INN).
const CUSTOMERS: &[(&str, &str)] = &[
    ("ООО «Ромашка»", "770812345"),
    ("АО «Северный ветер»", "781023456"),
    ("ООО «Техносфера»", "502734567"),
    ("ООО «Вектор»", "660145678"),
    ("ООО «Горизонт»", "540256789"),
];

/// Invoices: (number, customer, issued days ago, roubles, days to pay).
const INVOICES: &[(&str, usize, i64, i64, i64)] = &[
    ("ДА-101", 0, 86, 120_000, 10),
    ("ДА-102", 1, 82, 250_000, 30),
    ("ДА-103", 2, 76, 60_000, 14),
    ("ДА-104", 2, 75, 40_000, 14),
    ("ДА-105", 3, 70, 180_000, 14),
    ("ДА-106", 4, 48, 50_000, 10),
    ("ДА-107", 0, 42, 95_000, 10),
    ("ДА-108", 2, 26, 75_000, 14),
    ("ДА-109", 1, 20, 140_000, 30),
    ("ДА-110", 0, 9, 120_000, 14),
    ("ДА-111", 3, 5, 64_000, 10),
];

/// An incoming payment: (days ago, customer or none for a payer without INN, roubles, purpose).
type Incoming = (i64, Option<usize>, i64, &'static str);

const INCOMING: &[Incoming] = &[
    // In full, by the number.
    (
        80,
        Some(0),
        120_000,
        "Оплата по счету № ДА-101. В т.ч. НДС 20%",
    ),
    // In part: a third of the invoice.
    (
        66,
        Some(1),
        100_000,
        "Оплата по счету № ДА-102, частичная. В т.ч. НДС 20%",
    ),
    // Two invoices at once.
    (
        61,
        Some(2),
        100_000,
        "Оплата по счетам № ДА-103, ДА-104. В т.ч. НДС 20%",
    ),
    // More than the invoice named: a manager has to look.
    (
        40,
        Some(4),
        70_000,
        "Оплата по счету № ДА-106. В т.ч. НДС 20%",
    ),
    // In full, by the amount: the purpose names no number.
    (
        35,
        Some(0),
        95_000,
        "Оплата за услуги по договору 14/2026. В т.ч. НДС 20%",
    ),
    // A person without an INN: nothing to match on.
    (27, None, 15_000, "Оплата за консультацию, Иванов И.И."),
    (
        12,
        Some(2),
        75_000,
        "Оплата по счету № ДА-108. В т.ч. НДС 20%",
    ),
    // Names no number and is not what anyone owes.
    (
        6,
        Some(3),
        33_000,
        "Аванс по договору 7/2026. НДС не облагается",
    ),
];

/// Customers on a monthly retainer: (customer, roubles, what for). Each of the three months
/// they get an invoice and pay it by its number a week later; the last one of the second
/// customer is still unpaid.
const RETAINERS: &[(usize, i64, &str)] = &[
    (1, 45_000, "Абонентское обслуживание сайта"),
    (3, 28_000, "Техническая поддержка"),
];

/// An invoice to make: number, customer, issued days ago, roubles, days to pay.
struct PlannedInvoice {
    number: String,
    customer: usize,
    ago: i64,
    roubles: i64,
    days_to_pay: i64,
}

/// An incoming payment to put in a statement: days ago, customer (none: a person without
/// an INN), roubles, purpose.
struct PlannedPayment {
    ago: i64,
    customer: Option<usize>,
    roubles: i64,
    purpose: String,
}

/// The invoices and incoming payments of the quarter: the one-off ones above and the
/// retainers'.
fn plan() -> (Vec<PlannedInvoice>, Vec<PlannedPayment>) {
    let mut invoices: Vec<PlannedInvoice> = INVOICES
        .iter()
        .map(
            |(number, customer, ago, roubles, days_to_pay)| PlannedInvoice {
                number: (*number).into(),
                customer: *customer,
                ago: *ago,
                roubles: *roubles,
                days_to_pay: *days_to_pay,
            },
        )
        .collect();
    let mut payments: Vec<PlannedPayment> = INCOMING
        .iter()
        .map(|(ago, customer, roubles, purpose)| PlannedPayment {
            ago: *ago,
            customer: *customer,
            roubles: *roubles,
            purpose: (*purpose).into(),
        })
        .collect();
    for (r, (customer, roubles, what)) in RETAINERS.iter().enumerate() {
        for month in 0..3 {
            let number = format!("ДА-2{}{}", r + 1, month + 1);
            let ago = 88 - month * 30;
            invoices.push(PlannedInvoice {
                number: number.clone(),
                customer: *customer,
                ago,
                roubles: *roubles,
                days_to_pay: 10,
            });
            if r == 1 && month == 2 {
                continue;
            }
            payments.push(PlannedPayment {
                ago: ago - 7,
                customer: Some(*customer),
                roubles: *roubles,
                purpose: format!("Оплата по счету № {number}. {what} за месяц. В т.ч. НДС 20%"),
            });
        }
    }
    (invoices, payments)
}

/// Outgoing payments repeated every month: (day of the 30-day period, payee, roubles, purpose).
const MONTHLY: &[(i64, &str, i64, &str)] = &[
    (
        3,
        "ООО «Бизнес-центр Лефорт»",
        120_000,
        "Аренда офиса за месяц. В т.ч. НДС 20%",
    ),
    (
        5,
        "ООО «Селектел»",
        12_400,
        "Оплата хостинга. В т.ч. НДС 20%",
    ),
    (
        10,
        "Сотрудники (реестр)",
        320_000,
        "Заработная плата за первую половину месяца",
    ),
    (
        25,
        "Сотрудники (реестр)",
        350_000,
        "Заработная плата за вторую половину месяца",
    ),
    (
        28,
        "УФК по г. Москве (ФНС России)",
        90_000,
        "Единый налоговый платёж",
    ),
];

#[derive(Debug, Default)]
pub struct Added {
    /// Why nothing was made: the invoices live in another system.
    pub skipped: Option<&'static str>,
    pub accounts: usize,
    pub statements: usize,
    pub payments: u64,
    pub invoices: usize,
}

pub async fn load(db: &Db, config: &Config, actor: &Actor) -> anyhow::Result<Added> {
    let mut added = Added::default();
    if config.systems.invoices != SystemOfRecord::Shtab {
        added.skipped = Some("invoices live in another system (systems.invoices)");
        return Ok(added);
    }
    if ledger::has(db, kind::BANK_ACCOUNT).await? {
        return Ok(added);
    }
    let today = super::today(config);
    let customers: Vec<(&str, String, String)> = CUSTOMERS
        .iter()
        .enumerate()
        .map(|(i, (name, nine))| (*name, inn(nine), format!("4070281050000000{:04}", i + 1)))
        .collect();
    let ours = our_account()?;
    let account = accounts::create(
        db,
        actor,
        &RawAccountInput {
            number: ours.clone(),
            bic: BIC.into(),
            bank_name: BANK.into(),
            title: "Основной счёт".into(),
            ..Default::default()
        }
        .parse()?,
    )
    .await?;
    ledger::record(db, kind::BANK_ACCOUNT, account.id.0).await?;
    added.accounts = 1;

    let (planned, incoming) = plan();
    let responsible = shtab_core::demo::person(db, "sergey.vasiliev").await?;
    for PlannedInvoice {
        number,
        customer,
        ago,
        roubles,
        days_to_pay,
    } in &planned
    {
        let (name, inn, _) = &customers[*customer];
        let issued = today - Duration::days(*ago);
        let invoice = invoices::create(
            db,
            actor,
            &RawInvoiceInput {
                number: number.clone(),
                issued_on: issued.to_string(),
                payer_name: (*name).into(),
                payer_inn: inn.clone(),
                amount: roubles.to_string(),
                due_on: (issued + Duration::days(*days_to_pay)).to_string(),
                responsible_id: responsible.map(|p| p.0),
            }
            .parse()?,
        )
        .await?;
        ledger::record(db, kind::INVOICE, invoice.id.0).await?;
        added.invoices += 1;
    }

    let matcher = Matcher::builtin(db, &Arc::new(config.clone()));
    let mut balance = OPENING_BALANCE;
    // Three statements of 30 days each, the oldest first, as an accountant uploads them.
    for period in 0..3 {
        let first = today - Duration::days(89 - period * 30);
        let last = first + Duration::days(29);
        let (text, closing) = statement(&ours, &customers, &incoming, first, last, today, balance);
        balance = closing;
        let file = format!("kl_to_1c_{}.txt", last.format("%Y%m%d"));
        let report = import_statement_file(db, actor, &file, text.as_bytes()).await?;
        matcher.match_payments(&report.new_incoming).await?;
        added.statements += 1;
        added.payments += report.new;
    }
    Ok(added)
}

/// The demo account's number, its control digit agreeing with the BIC.
fn our_account() -> anyhow::Result<String> {
    let bic = Bic::parse(BIC)?;
    for digit in 0..10 {
        let number = format!("{}{digit}{}", OUR_ACCOUNT.0, OUR_ACCOUNT.1);
        if AccountNumber::parse(&number)?.agrees_with(&bic) {
            return Ok(number);
        }
    }
    anyhow::bail!("no control digit makes the demo account agree with its BIC")
}

/// A ten-digit organisation INN: nine digits and the control digit the tax service's
/// algorithm gives.
fn inn(nine: &str) -> String {
    const WEIGHTS: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    let sum: u32 = nine
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    format!("{nine}{}", sum % 11 % 10)
}

fn money(kopecks: i64) -> String {
    format!("{}.{:02}", kopecks / 100, kopecks % 100)
}

fn day(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// One statement of the account from `first` to `last` (UTF-8, CRLF), and its closing
/// balance. Days after `today` hold nothing.
fn statement(
    ours: &str,
    customers: &[(&str, String, String)],
    incoming: &[PlannedPayment],
    first: NaiveDate,
    last: NaiveDate,
    today: NaiveDate,
    opening: i64,
) -> (String, i64) {
    let mut docs = String::new();
    let mut balance = opening;
    let mut number = 1000 + (first - today).num_days().unsigned_abs() as i64;
    let mut doc = |date: NaiveDate,
                   amount: i64,
                   payer: (&str, &str, &str),
                   payee: (&str, &str, &str),
                   purpose: &str,
                   incoming: bool| {
        number += 1;
        let moved = if incoming {
            "ДатаПоступило"
        } else {
            "ДатаСписано"
        };
        let _ = write!(
            docs,
            "СекцияДокумент=Платежное поручение\r\nНомер={number}\r\nДата={d}\r\nСумма={a}\r\n\
             ПлательщикСчет={}\r\nПлательщик={}\r\nПлательщикИНН={}\r\n\
             ПолучательСчет={}\r\nПолучатель={}\r\nПолучательИНН={}\r\n{moved}={d}\r\n\
             НазначениеПлатежа={purpose}\r\nКонецДокумента\r\n",
            payer.0,
            payer.1,
            payer.2,
            payee.0,
            payee.1,
            payee.2,
            d = day(date),
            a = money(amount),
        );
    };
    let our_inn = inn("771234567");
    let us = (ours, OUR_NAME, our_inn.as_str());
    let mut date = first;
    while date <= last && date <= today {
        let ago = (today - date).num_days();
        for PlannedPayment {
            ago: when,
            customer,
            roubles,
            purpose,
        } in incoming
        {
            if *when != ago {
                continue;
            }
            let kopecks = roubles * 100;
            let payer = match customer {
                Some(c) => (
                    customers[*c].2.as_str(),
                    customers[*c].0,
                    customers[*c].1.as_str(),
                ),
                None => ("40817810099910004312", "Иванов Иван Иванович", ""),
            };
            doc(date, kopecks, payer, us, purpose, true);
            balance += kopecks;
        }
        let in_period = (date - first).num_days() + 1;
        for (when, payee, roubles, purpose) in MONTHLY {
            if *when == in_period {
                let kopecks = roubles * 100;
                doc(
                    date,
                    kopecks,
                    us,
                    ("40702810400000009876", payee, ""),
                    purpose,
                    false,
                );
                balance -= kopecks;
            }
        }
        date += Duration::days(1);
    }
    let text = format!(
        "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nОтправитель=Бухгалтерия\r\n\
         ДатаНачала={f}\r\nДатаКонца={l}\r\nРасчСчет={ours}\r\nСекцияРасчСчет\r\nДатаНачала={f}\r\n\
         ДатаКонца={l}\r\nРасчСчет={ours}\r\nНачальныйОстаток={o}\r\nКонечныйОстаток={c}\r\n\
         КонецРасчСчет\r\n{docs}КонецФайла\r\n",
        f = day(first),
        l = day(last.min(today)),
        o = money(opening),
        c = money(balance),
    );
    (text, balance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_customers_inns_pass_the_checksum() {
        for (_, nine) in CUSTOMERS {
            let inn = inn(nine);
            assert!(shtab_bank::domain::Inn::parse(&inn).is_ok(), "{inn}");
        }
    }

    #[test]
    fn the_account_agrees_with_its_bic() {
        let number = our_account().unwrap();
        assert!(
            AccountNumber::parse(&number)
                .unwrap()
                .agrees_with(&Bic::parse(BIC).unwrap())
        );
    }
}
