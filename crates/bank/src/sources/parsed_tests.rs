use proptest::prelude::*;

use super::*;

fn read(path: &str) -> Option<Vec<u8>> {
    shtab_core::samples::read(path)
}

#[test]
fn recognises_1c_and_prints_json_lines() {
    let Some(bytes) = read("bank/1c/odin_unknown_direction_unicredit.cp1251.txt") else {
        return;
    };
    let file = parse_any(&bytes).unwrap();
    assert_eq!(file.format, Format::OneC);
    assert_eq!(file.own_accounts.len(), 1);
    assert_eq!(file.sections.len(), 1);
    let dirs: Vec<Direction> = file.operations.iter().map(|o| o.direction).collect();
    assert_eq!(dirs, [Direction::Outgoing, Direction::Incoming]);
    assert!(
        file.operations
            .iter()
            .all(|o| o.account == Some(file.own_accounts[0].clone()))
    );

    let line = serde_json::to_string(&file.operations[1]).unwrap();
    assert!(!line.contains('\n'));
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["source"], "1c");
    assert_eq!(v["direction"], "incoming");
    assert_eq!(v["amount"], 20745900);
    assert_eq!(v["date"], "2024-02-29");
    assert_eq!(v["payer"]["inn"], serde_json::Value::Null);
    assert_eq!(v["payer"]["inn_unparsed"], "4");
    assert!(v["key"].as_str().unwrap().starts_with("1c:"));
}

#[test]
fn recognises_1c_after_bom_and_whitespace() {
    let text = "\u{FEFF}\r\n 1CClientBankExchange\r\nКонецФайла\r\n";
    assert_eq!(parse_any(text.as_bytes()).unwrap().format, Format::OneC);
}

#[test]
fn recognises_tbank_webhook() {
    let Some(bytes) = read("bank/tbank/webhook-operation-credit-invoice-payment.json") else {
        return;
    };
    let file = parse_any(&bytes).unwrap();
    assert_eq!(file.format, Format::TBank);
    assert_eq!(file.operations.len(), 1);
    let op = &file.operations[0];
    assert_eq!(op.direction, Direction::Incoming);
    assert_eq!(op.status, Some(OperationStatus::Transaction));
    assert_eq!(op.operation.amount.as_i64(), 1958849);
    let v: serde_json::Value = serde_json::to_value(op).unwrap();
    assert_eq!(v["source"], "tbank");
    assert_eq!(v["status"], "transaction");
}

#[test]
fn refuses_what_it_does_not_read() {
    let cases: [(&[u8], &str); 5] = [
        (b"hello", "neither"),
        (b"{\"a\":1}", "not a T-Bank statement"),
        (b"[{\"accountNumber\":\"1\"}]", "not a T-Bank statement"),
        (b"{\"operation\":[],\"saldoIn\":1}", "deprecated"),
        (b"{\n\"operations\": [1,", "line 2: not valid JSON"),
    ];
    for (bytes, why) in cases {
        let e = parse_any(bytes).unwrap_err().to_string();
        assert!(e.contains(why), "{e} should say {why}");
    }
    let Some(deprecated) = read("bank/tbank/bank-statement-v1-deprecated-response.json") else {
        return;
    };
    assert!(
        parse_any(&deprecated)
            .unwrap_err()
            .to_string()
            .contains("deprecated")
    );
}

#[test]
fn every_sample_reads() {
    for name in [
        "1c/kilylabs_one_day.cp1251.txt",
        "1c/odin_readme_tinkoff_example.utf8.txt",
        "1c/odin_taxdev_4645_tinkoff.cp1251.txt",
        "1c/odin_two_accounts.cp1251.txt",
        "1c/odin_unknown_direction_unicredit.cp1251.txt",
        "1c/odin_version_1_03_sber.cp1251.txt",
        "1c/xini1_sample2_outgoing_rostelecom.utf8.txt",
        "1c/xini1_sample5_tax_payments.utf8.txt",
        "tbank/webhook-operation-credit-anonymized-ms-timestamp.json",
        "tbank/webhook-operation-credit-invoice-payment.json",
        "tbank/webhook-operation-credit-loan-return.json",
        "tbank/webhook-operation-debit-bank-fee.json",
        "tbank/webhook-operation-debit-no-rubleAmount.json",
    ] {
        let Some(bytes) = read(&format!("bank/{name}")) else {
            return;
        };
        let file = parse_any(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!file.operations.is_empty(), "{name}");
    }
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_any(&bytes);
        let mut json = b"{\"operations\":[{\"operationId\":".to_vec();
        json.extend_from_slice(&bytes);
        let _ = parse_any(&json);
    }
}
