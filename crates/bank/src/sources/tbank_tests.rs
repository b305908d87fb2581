//! T-Bank JSON against the samples in `../shared/samples/bank/tbank/` and the documented
//! statement shape.

use serde_json::{Value, json};

use super::*;

fn sample(name: &str) -> Option<Value> {
    let bytes = shtab_core::samples::read(&format!("bank/tbank/{name}"))?;
    Some(serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn webhook(name: &str) -> Option<TbankOperation> {
    let v = sample(name)?;
    Some(parse_operation(&v).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The statement page of the reference (`tbank-and-1c-statements.md` §1.2).
fn documented_page() -> Value {
    json!({"operations":[
     {"operationId":"22cc0000-1111-2222-3333-444455556666","operationDate":"2026-08-19T09:00:00Z",
      "operationStatus":"Transaction","accountNumber":"40702810310001995295","typeOfOperation":"Credit",
      "category":"incomePeople","documentNumber":"267","docDate":"2026-08-18T21:00:00Z",
      "operationAmount":4900,"operationCurrencyDigitalCode":"643","accountAmount":4900,
      "accountCurrencyDigitalCode":"643","rubleAmount":4900.0,"description":"Перевод",
      "payPurpose":"Оплата по счету № 42 от 19.08.2026. В т.ч. НДС (22%) 883-61",
      "payer":{"name":"ООО РОМАШКА","inn":"7707083893","kpp":"770701001","acct":"40702810900000000001",
               "bicRu":"044525225","corAcct":"30101810400000000225","bankName":"ПАО СБЕРБАНК"},
      "receiver":{"name":"ООО АГЕНТСТВО","inn":"7807402712","acct":"40702810310001995295","bicRu":"044525974"}},
     {"operationId":"11bdd4c5-f727-0091-938a-5ab4b547c926","operationDate":"2026-07-28T00:56:49Z",
      "operationStatus":"Transaction","accountNumber":"40702810310001995295","typeOfOperation":"Debit",
      "category":"fee","priority":5,"accountAmount":1990.5,"accountCurrencyDigitalCode":"643",
      "description":"Плата за обслуживание счета","payPurpose":"Плата за обслуживание счета. Договор 7127308335"}
    ],"nextCursor":"abc","balances":{"balanceEnd":125000.50}})
}

#[test]
fn documented_statement_page() {
    let page = parse_statement(&documented_page()).unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("abc"));
    assert_eq!(page.balance_end, Some(Kopecks(12500050)));
    assert_eq!(page.operations.len(), 2);

    let credit = &page.operations[0];
    assert_eq!(credit.status, Some(OperationStatus::Transaction));
    assert_eq!(
        credit.account.as_ref().unwrap().as_str(),
        "40702810310001995295"
    );
    let op = &credit.operation;
    assert_eq!(op.key, "tbank:22cc0000-1111-2222-3333-444455556666");
    assert_eq!(op.amount, Kopecks(490000));
    assert_eq!(op.stated_direction, Some(Direction::Incoming));
    assert_eq!(
        op.date,
        day(2026, 8, 19),
        "docDate 21:00Z is the next Moscow day"
    );
    assert_eq!(op.credited_on, Some(day(2026, 8, 19)));
    assert_eq!(op.debited_on, None);
    assert_eq!(op.payer.inn.as_ref().unwrap().as_str(), "7707083893");
    assert_eq!(op.payer.account.as_deref(), Some("40702810900000000001"));
    assert_eq!(op.payer.bic.as_deref(), Some("044525225"));
    assert_eq!(
        op.payer.corr_account.as_deref(),
        Some("30101810400000000225")
    );
    assert_eq!(op.payee.account.as_deref(), Some("40702810310001995295"));
    assert!(
        op.purpose
            .as_deref()
            .unwrap()
            .starts_with("Оплата по счету № 42")
    );

    // A fee: no parties at all; our account pays, the payee is unknown.
    let fee = &page.operations[1].operation;
    assert_eq!(fee.amount, Kopecks(199050));
    assert_eq!(fee.priority.as_deref(), Some("5"));
    assert_eq!(fee.payer.account.as_deref(), Some("40702810310001995295"));
    assert_eq!(fee.payee, Party::default());
    assert_eq!(fee.debited_on, Some(day(2026, 7, 28)));
}

#[test]
fn webhook_credit_invoice_payment() {
    let Some(t) = webhook("webhook-operation-credit-invoice-payment.json") else {
        return;
    };
    let op = &t.operation;
    assert_eq!(op.key, "tbank:bdfbd8be-6d5d-0064-8f7f-912644cad4bb");
    assert_eq!(op.amount, Kopecks(1958849));
    assert_eq!(
        t.status,
        Some(OperationStatus::Transaction),
        "lower-case status accepted"
    );
    assert_eq!(op.stated_direction, Some(Direction::Incoming));
    assert_eq!(op.date, day(2025, 3, 31));
    assert_eq!(op.vo.as_deref(), Some("01"));
    assert_eq!(op.doc_type.as_deref(), Some("payment-order"));
    assert_eq!(op.payer.inn.as_ref().unwrap().as_str(), "5012073362");
    assert_eq!(op.payer.account.as_deref(), Some("40702810110001754490"));
    assert_eq!(op.payer.bic.as_deref(), Some("044525974"));
    assert_eq!(op.payee.account.as_deref(), Some("40702810910000045892"));
    assert!(op.purpose.as_deref().unwrap().contains("25-фжр-13"));
}

#[test]
fn webhook_without_parties_or_purpose_uses_counterparty_and_description() {
    let Some(t) = webhook("webhook-operation-debit-no-rubleAmount.json") else {
        return;
    };
    let op = &t.operation;
    assert_eq!(op.amount, Kopecks(2016000));
    assert_eq!(op.stated_direction, Some(Direction::Outgoing));
    assert_eq!(op.payer.account.as_deref(), Some("40702810910000045892"));
    assert_eq!(op.payee.account.as_deref(), Some("40702810901600006867"));
    assert_eq!(op.payee.bic.as_deref(), Some("044525593"));
    assert_eq!(op.payee.bank_name.as_deref(), Some("АО \"АЛЬФА-БАНК\""));
    assert!(
        op.purpose
            .as_deref()
            .unwrap()
            .starts_with("Оплата по договору аренды")
    );
    assert_eq!(op.date, day(2025, 4, 1), "no docDate: the posting date");
    assert_eq!(op.vo, None);
}

#[test]
fn other_webhook_samples() {
    let Some(fee) = webhook("webhook-operation-debit-bank-fee.json") else {
        return;
    };
    assert_eq!(fee.operation.amount, Kopecks(2900));
    assert_eq!(fee.category.as_deref(), Some("fee"));
    assert_eq!(
        fee.operation.purpose.as_deref(),
        Some("Комиссия за внешний банковский перевод. Договор 7000899232")
    );

    let loan = webhook("webhook-operation-credit-loan-return.json").unwrap();
    assert_eq!(loan.operation.amount, Kopecks(20000000));
    assert_eq!(loan.operation.payer.kpp, None);

    let ms = webhook("webhook-operation-credit-anonymized-ms-timestamp.json").unwrap();
    assert_eq!(ms.operation.amount, Kopecks(6562400));
    assert_eq!(ms.operation.priority.as_deref(), Some("5"));
}

#[test]
fn errors_name_the_json_path() {
    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut v = documented_page();
        f(&mut v);
        parse_statement(&v).unwrap_err().to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        (
            mutate(&|v| v["operations"][1]["accountAmount"] = json!("12.345")),
            "operations[1].accountAmount: «12.345»",
        ),
        (
            mutate(&|v| v["operations"][1]["accountAmount"] = json!(1e21)),
            "operations[1].accountAmount",
        ),
        (
            mutate(&|v| v["operations"][0]["accountAmount"] = json!(-1)),
            "operations[0].accountAmount: cannot be negative",
        ),
        (
            mutate(&|v| v["operations"][0]["accountAmount"] = json!([1])),
            "operations[0].accountAmount: expected a string or a number",
        ),
        (
            mutate(&|v| {
                v["operations"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("accountAmount");
            }),
            "operations[1].accountAmount: missing",
        ),
        (
            mutate(&|v| v["operations"][0]["typeOfOperation"] = json!("Sideways")),
            "operations[0].typeOfOperation",
        ),
        (
            mutate(&|v| v["operations"][0]["operationId"] = json!(null)),
            "operations[0].operationId: missing",
        ),
        (
            mutate(&|v| v["operations"][0]["docDate"] = json!("19.08.2026")),
            "operations[0].docDate",
        ),
        (
            mutate(&|v| v["operations"][0]["payer"] = json!("x")),
            "operations[0].payer: expected an object",
        ),
        (
            mutate(&|v| v["operations"][0]["accountNumber"] = json!("123")),
            "operations[0].accountNumber",
        ),
        (
            mutate(&|v| v["operations"][0]["accountCurrencyDigitalCode"] = json!("840")),
            "not roubles",
        ),
        (
            mutate(&|v| v["operations"][0]["operationStatus"] = json!("Pending")),
            "operations[0].operationStatus",
        ),
        (
            mutate(&|v| v["operations"] = json!({})),
            "operations: expected an array",
        ),
    ];
    for (err, expected) in cases {
        assert!(
            err.contains(expected),
            "«{err}» should contain «{expected}»"
        );
    }
}
