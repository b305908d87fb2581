//! The notice parser on the real notices under `samples/eis/` and on broken input.

use proptest::prelude::*;

use super::*;
use crate::domain::{Kopecks, Law};

/// The 44-FZ samples (samples/README.md); their names are long, so tests pick by number.
const SAMPLES_44: &[&str] = &[
    "notice_epNotificationEF2020_2025-10-10_epNotificationEF2020_0873200009825003091_1_0199CCBF53FC72D987ECB61B0D07C313.xml",
    "notice_epNotificationEF2020_2025-11-07_epNotificationEF2020_0173200001425001720_1_019A5D13A1107789BA52E09E6B347A07.xml",
    "notice_epNotificationEOK2020_2025-10-13_epNotificationEOK2020_0373100001025000854_1_0199DCB274F37A6BA856669B7C3DDF32.xml",
    "notice_epNotificationEOK2020_2025-10-15_epNotificationEOK2020_0373200138225001206_2_0199E7BF70E676B9B617A8D984131232.xml",
    "notice_epNotificationEOK2020_2025-10-20_epNotificationEOK2020_0173100008525000034_1_019A009E48A27BE4A99018E5D1B3748E.xml",
    "notice_epNotificationEZK2020_2025-10-10_epNotificationEZK2020_0873200009825002924_2_0199CC995F84797481FBE217D4D928B9.xml",
    "notice_epNotificationEZK2020_2025-10-15_epNotificationEZK2020_0373200624325000142_1_0199E659D7067F47B5FB37C5CA3FBD26.xml",
];

const SAMPLES_223: &[&str] = &["purchaseNotice_test.xml", "purchaseNoticeZK_test.xml"];

/// The 44-FZ sample whose file name holds `number`.
fn sample_44(number: &str) -> Option<Vec<u8>> {
    let name = SAMPLES_44
        .iter()
        .find(|n| n.contains(number))
        .unwrap_or_else(|| panic!("no 44fz sample for {number}"));
    shtab_core::samples::read(&format!("eis/44fz/{name}"))
}

fn all_samples() -> Vec<(String, Vec<u8>)> {
    let names = SAMPLES_44
        .iter()
        .map(|n| format!("eis/44fz/{n}"))
        .chain(SAMPLES_223.iter().map(|n| format!("eis/223fz/{n}")));
    names
        .filter_map(|name| shtab_core::samples::read(&name).map(|b| (name, b)))
        .collect()
}

fn parse_44(number: &str) -> Option<TenderNotice> {
    let bytes = sample_44(number)?;
    Some(parse_notice(&bytes).unwrap_or_else(|e| panic!("{number}: {e}")))
}

fn rfc3339(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.expect("a date-time").to_rfc3339()
}

#[test]
fn ef2020_drugs_by_the_customer_itself() {
    let Some(n) = parse_44("0873200009825003091") else {
        return;
    };
    assert_eq!(n.reg_number.as_str(), "0873200009825003091");
    assert_eq!(n.law, Law::Fz44);
    assert_eq!(n.kind, "epNotificationEF2020");
    assert_eq!(n.version, Some(1));
    assert_eq!(n.max_price, Some(Kopecks(3_712_849_492)));
    assert_eq!(n.currency.as_deref(), Some("RUB"));
    assert_eq!(n.okpd2, vec!["21.20.10.235"]);
    assert_eq!(n.method_code.as_deref(), Some("EAP20"));
    assert_eq!(n.customer.short_name.as_deref(), Some("ГКУ АЗ (КС) ДЗМ"));
    assert_eq!(n.customer.inn.as_deref(), Some("7714338609"));
    assert_eq!(n.customer.kpp.as_deref(), Some("771401001"));
    assert_eq!(n.customer.region.as_deref(), Some("77"));
    assert_eq!(
        n.placer.as_ref().and_then(|p| p.role.as_deref()),
        Some("CU")
    );
    assert_eq!(rfc3339(n.published_at), "2025-10-10T06:11:53.421+00:00");
    assert_eq!(rfc3339(n.application_deadline), "2025-10-22T06:00:00+00:00");
    let platform = n.platform.as_ref().unwrap();
    assert_eq!(platform.code.as_deref(), Some("ETP_EETP"));
    assert_eq!(platform.url.as_deref(), Some("http://roseltorg.ru"));
    assert_eq!(
        n.url.as_deref(),
        Some(
            "https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber=0873200009825003091"
        )
    );
    assert!(n.modification.is_none());
    assert!(!n.cancelled);
}

#[test]
fn ef2020_placed_by_an_authorised_body() {
    let Some(n) = parse_44("0173200001425001720") else {
        return;
    };
    assert_eq!(n.max_price, Some(Kopecks(38_805_000_820)));
    let placer = n.placer.as_ref().unwrap();
    assert_eq!(placer.role.as_deref(), Some("RA"));
    assert_eq!(
        placer.party.short_name.as_deref(),
        Some("ТЕНДЕРНЫЙ КОМИТЕТ")
    );
    assert_eq!(placer.party.inn.as_deref(), Some("7704515009"));
    // The customer is the one the purchase is for, not the committee; its INN/KPP come
    // from the purchase code.
    assert_eq!(
        n.customer.name.as_deref(),
        Some("ГОСУДАРСТВЕННОЕ КАЗЕННОЕ УЧРЕЖДЕНИЕ ГОРОДА МОСКВЫ \"ИНФОРМАЦИОННЫЙ ГОРОД\"")
    );
    assert_eq!(n.customer.reg_num.as_deref(), Some("03732006409"));
    assert_eq!(n.customer.inn.as_deref(), Some("7701356086"));
    assert_eq!(n.customer.kpp.as_deref(), Some("770301001"));
    assert_eq!(n.okpd2, vec!["26.20.18.120", "82.19.11.000"]);
    assert_eq!(rfc3339(n.application_deadline), "2025-11-24T07:00:00+00:00");
}

#[test]
fn eok2020_tenders() {
    let Some(n) = parse_44("0373100001025000854") else {
        return;
    };
    assert_eq!(n.kind, "epNotificationEOK2020");
    assert_eq!(n.max_price, Some(Kopecks(16_000_000_000)));
    assert_eq!(n.okpd2, vec!["72.19.29.190"]);
    assert_eq!(
        n.platform.as_ref().unwrap().code.as_deref(),
        Some("ETP_SBAST")
    );
    assert_eq!(n.method_code.as_deref(), Some("OKP20"));
    assert_eq!(n.customer.inn.as_deref(), Some("7734111035"));

    let Some(n) = parse_44("0173100008525000034") else {
        return;
    };
    assert_eq!(n.max_price, Some(Kopecks(4_885_000_000)));
    assert_eq!(n.okpd2, vec!["84.11.29.000"]);
}

#[test]
fn version_two_carries_the_change() {
    let Some(n) = parse_44("0373200138225001206") else {
        return;
    };
    assert_eq!(n.version, Some(2));
    assert_eq!(n.max_price, Some(Kopecks(374_962_769)));
    let m = n.modification.as_ref().expect("a modification");
    assert_eq!(m.info.as_deref(), Some("Продление срока подачи заявок"));
    assert_eq!(m.doc_number.as_deref(), Some("№ИИ1"));
    assert_eq!(m.date.as_deref(), Some("2025-10-15+03:00"));

    let Some(n) = parse_44("0873200009825002924") else {
        return;
    };
    assert_eq!(n.kind, "epNotificationEZK2020");
    assert_eq!(n.version, Some(2));
    assert_eq!(n.max_price, Some(Kopecks(113_220_000)));
    assert_eq!(n.okpd2, vec!["21.20.23.192"]);
    let m = n.modification.as_ref().expect("a modification");
    assert_eq!(m.info.as_deref(), Some("Корректировка"));
    assert_eq!(m.doc_number.as_deref(), Some("№ИИ1"));
}

#[test]
fn ezk2020_with_ktru() {
    let Some(n) = parse_44("0373200624325000142") else {
        return;
    };
    assert_eq!(n.max_price, Some(Kopecks(9_355_200)));
    assert_eq!(n.okpd2, vec!["22.29.29.190"]);
    assert_eq!(n.method_code.as_deref(), Some("ZKP20"));
    assert_eq!(n.customer.region.as_deref(), Some("77"));
}

#[test]
fn fz223_purchase_notice_without_offsets() {
    let Some(bytes) = shtab_core::samples::read("eis/223fz/purchaseNotice_test.xml") else {
        return;
    };
    let n = parse_notice(&bytes).unwrap();
    assert_eq!(n.reg_number.as_str(), "31603913641");
    assert_eq!(n.law, Law::Fz223);
    assert_eq!(n.kind, "purchaseNotice");
    assert_eq!(n.version, Some(2));
    assert_eq!(n.max_price, Some(Kopecks(307_705_586)));
    assert_eq!(n.currency.as_deref(), Some("RUB"));
    assert_eq!(n.okpd2, vec!["41.20.20.310"]);
    assert_eq!(
        n.method_name.as_deref(),
        Some("Открытый запрос цен в электронной форме")
    );
    assert_eq!(n.customer.inn.as_deref(), Some("7706107510"));
    assert_eq!(n.customer.region.as_deref(), Some("77"));
    let placer = n.placer.as_ref().unwrap();
    assert_eq!(placer.party.inn.as_deref(), Some("8604035473"));
    assert_eq!(placer.party.region.as_deref(), Some("86"));
    // 18:00 Moscow time, written without an offset.
    assert_eq!(rfc3339(n.application_deadline), "2016-08-05T15:00:00+00:00");
    assert_eq!(rfc3339(n.published_at), "2016-07-22T04:35:12+00:00");
    assert_eq!(n.platform.as_ref().unwrap().code.as_deref(), Some("1076"));
    assert!(n.url.as_deref().unwrap().contains("noticeInfoId=4709492"));
    assert_eq!(
        n.modification.as_ref().unwrap().info.as_deref(),
        Some("Выгрузка из САР")
    );
    assert_eq!(n.status.as_deref(), Some("P"));
    assert!(!n.cancelled);
}

#[test]
fn fz223_typed_zk_variant() {
    let Some(bytes) = shtab_core::samples::read("eis/223fz/purchaseNoticeZK_test.xml") else {
        return;
    };
    let n = parse_notice(&bytes).unwrap();
    assert_eq!(n.kind, "purchaseNoticeZK");
    assert_eq!(n.reg_number.as_str(), "31200022868");
    assert_eq!(
        n.title,
        "Извещение о проведении запроса котировок № 2-ЗК на разработку и издание сборника \
         нормативных правовых актов по развитию малого и среднего предпринимательства"
    );
    assert_eq!(n.max_price, Some(Kopecks(28_000_000)));
    assert_eq!(n.customer.inn.as_deref(), Some("0105062780"));
    assert_eq!(n.customer.region.as_deref(), Some("01"));
    assert_eq!(rfc3339(n.application_deadline), "2012-11-14T14:00:00+00:00");
    assert!(n.okpd2.is_empty(), "2012 notices use OKDP, not OKPD2");
}

#[test]
fn every_sample_parses() {
    for (name, bytes) in all_samples() {
        let n = parse_notice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(n.max_price.is_some() && !n.title.is_empty(), "{name}");
        assert!(
            n.customer.inn.is_some() && n.customer.region.is_some(),
            "{name}"
        );
    }
}

#[test]
fn prefixes_do_not_matter() {
    let xml = r#"<a:export xmlns:a="x" xmlns:q="y"><a:epNotificationEZT2020><q:versionNumber>3</q:versionNumber>
        <q:commonInfo><q:purchaseNumber>0123456789012345678</q:purchaseNumber><q:purchaseObjectInfo>Охрана</q:purchaseObjectInfo></q:commonInfo>
        </a:epNotificationEZT2020></a:export>"#;
    let n = parse_notice(xml.as_bytes()).unwrap();
    assert_eq!(
        (n.kind.as_str(), n.version, n.title.as_str()),
        ("epNotificationEZT2020", Some(3), "Охрана")
    );
}

#[test]
fn errors_say_what_and_where() {
    let e =
        parse_notice(b"<export><fcsNotificationEF><x/></fcsNotificationEF></export>").unwrap_err();
    assert_eq!(
        e,
        NoticeError::UnknownRoot {
            root: "export/fcsNotificationEF".into()
        }
    );
    assert!(e.to_string().contains("fcsNotificationEF"));

    let e = parse_notice(b"<rss><channel/></rss>").unwrap_err();
    assert_eq!(e, NoticeError::UnknownRoot { root: "rss".into() });

    let e = parse_notice(b"<export><epNotificationEF2020><versionNumber>1</versionNumber></epNotificationEF2020></export>")
        .unwrap_err();
    assert!(
        matches!(e, NoticeError::Missing { ref path } if path.contains("purchaseNumber")),
        "{e}"
    );

    let xml = "<export><epNotificationEF2020>\n<commonInfo><purchaseNumber>0123456789012345678</purchaseNumber></commonInfo>\n<notificationInfo><contractConditionsInfo><maxPriceInfo><maxPrice>много</maxPrice></maxPriceInfo></contractConditionsInfo></notificationInfo></epNotificationEF2020></export>";
    match parse_notice(xml.as_bytes()).unwrap_err() {
        NoticeError::Invalid {
            path, line, value, ..
        } => {
            assert!(path.ends_with("maxPriceInfo/maxPrice"), "{path}");
            assert_eq!((line, value.as_str()), (3, "много"));
        }
        other => panic!("{other}"),
    }

    let e = parse_notice(b"<export><epNotificationEF2020>\n<commonInfo>\n<purchaseNumber>1</purchaseNumber></commonInfo>").unwrap_err();
    assert!(matches!(e, NoticeError::Invalid { line: 3, .. }), "{e}");

    let e = parse_notice(b"<purchaseNotice>\n<body>\n</item></body></purchaseNotice>").unwrap_err();
    match e {
        NoticeError::Malformed(f) => assert_eq!(f.line, 3, "{f}"),
        other => panic!("{other}"),
    }
}

#[test]
fn truncated_samples_fail_cleanly() {
    let Some(bytes) = sample_44("0173200001425001720") else {
        return;
    };
    for cut in [10, 1000, 5000, 60_000, bytes.len() - 20] {
        assert!(parse_notice(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_notice(&bytes);
    }

    #[test]
    fn never_panics_on_mangled_xml(s in "(<[a-zA-Z:]{1,8}>|</[a-zA-Z:]{1,8}>|&[a-z#0-9]{0,5};?|[^<&]{0,8}){0,40}") {
        let _ = parse_notice(s.as_bytes());
    }
}

#[test]
fn never_panics_on_truncations_and_flips_of_real_samples() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(32));
    for (_, bytes) in all_samples() {
        let len = bytes.len();
        runner
            .run(&(0..len, 0..len, any::<u8>()), |(cut, flip, byte)| {
                let _ = parse_notice(&bytes[..cut]);
                let mut changed = bytes.clone();
                changed[flip] = byte;
                let _ = parse_notice(&changed);
                Ok(())
            })
            .unwrap();
    }
}
