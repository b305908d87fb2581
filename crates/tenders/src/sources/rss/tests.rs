//! The feed parser on the real feed sample, the portal's HTML stubs and edge cases.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

#[test]
fn real_feed() {
    let Some(bytes) = shtab_core::samples::read("eis/rss/real-eis-rss.xml") else {
        return;
    };
    let feed = parse_feed(&bytes).unwrap();
    assert!(feed.rejected.is_empty(), "{:?}", feed.rejected);
    assert_eq!(
        feed.channel_link.as_deref(),
        Some(
            "https://zakupki.gov.ru/epz/order/extendedsearch/results.html?searchString=%D0%BE%D1%85%D1%80%D0%B0%D0%BD%D0%B0&morphology=on&pageNumber=1&fz44=on"
        )
    );
    let numbers: Vec<&str> = feed.items.iter().map(|i| i.reg_number.as_str()).collect();
    assert_eq!(
        numbers,
        [
            "0355200005326000010",
            "0373200215526000664",
            "0318300027226000099",
            "0711200014926000177",
            "0341200003926000222"
        ]
    );
    let first = &feed.items[0];
    assert_eq!(first.law, Law::Fz44);
    assert_eq!(
        first.object, None,
        "ч.12 ст.93 purchases have the object `null`"
    );
    assert_eq!(
        first.method.as_deref(),
        Some("Закупка, осуществляемая в соответствии с частью 12 статьи 93 Закона № 44-ФЗ")
    );
    assert_eq!(
        first.customer.as_deref(),
        Some(
            "ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ \"ОБЛАСТНАЯ ПСИХИАТРИЧЕСКАЯ БОЛЬНИЦА ИМ. К.Р. ЕВГРАФОВА\""
        )
    );
    assert_eq!(first.max_price, Some(Kopecks(50_600_000)));
    assert_eq!(first.currency.as_deref(), Some("RUB"));
    assert_eq!(first.published, NaiveDate::from_ymd_opt(2026, 7, 29));
    assert_eq!(first.updated, NaiveDate::from_ymd_opt(2026, 7, 29));
    assert_eq!(first.stage, Some(Stage::Submission));
    assert_eq!(
        first.ikz.as_deref(),
        Some("262583700797058370100100020100000244")
    );
    assert_eq!(
        first.pub_date.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-07-29T06:59:36+00:00")
    );

    let auction = &feed.items[1];
    assert_eq!(auction.method.as_deref(), Some("Электронный аукцион"));
    assert_eq!(auction.max_price, Some(Kopecks(44_166_667)));
    assert!(
        auction
            .object
            .as_deref()
            .unwrap()
            .starts_with("Электронный аукцион на поставку аппарата фототерапии")
    );
    assert!(
        auction
            .customer
            .as_deref()
            .unwrap()
            .ends_with("ДЕПАРТАМЕНТА ЗДРАВООХРАНЕНИЯ ГОРОДА МОСКВЫ\"")
    );
    assert_eq!(
        auction.link,
        "https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber=0373200215526000664"
    );
    assert_eq!(feed.items[3].max_price, Some(Kopecks(7_717_800)));
}

#[test]
fn html_pages_are_not_feeds() {
    for (name, said) in [
        ("eis/rss/html-error-page.xml", "Сервис временно недоступен"),
        ("eis/rss/html-real-page.html.xml", "Технические работы"),
    ] {
        let Some(bytes) = shtab_core::samples::read(name) else {
            return;
        };
        match parse_feed(&bytes) {
            Err(FeedError::NotRss { what }) => assert!(what.contains(said), "{name}: {what}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    for body in [
        "",
        "  \n",
        "<?xml version=\"1.0\"?><error>busy</error>",
        "<rss version=\"2.0\"></rss>",
        "Service Unavailable",
    ] {
        assert!(
            matches!(parse_feed(body.as_bytes()), Err(FeedError::NotRss { .. })),
            "{body:?}"
        );
    }
}

#[test]
fn empty_feed_is_no_items() {
    let feed = parse_feed(
        b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>",
    )
    .unwrap();
    assert!(feed.items.is_empty() && feed.rejected.is_empty());
}

#[test]
fn broken_feed_names_the_line() {
    let xml = "<rss><channel>\n<item><title>x</title>\n<link>y</item></channel></rss>";
    match parse_feed(xml.as_bytes()) {
        Err(FeedError::Malformed(f)) => assert_eq!(f.line, 3, "{f}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn odd_items_are_set_aside_not_fatal() {
    let xml = r#"<rss><channel>
        <item><title>Без номера</title><link>https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html</link></item>
        <item><title>Запрос котировок №32616289305</title><link>/epz/order/notice/notice223/common-info.html?noticeInfoId=123</link>
          <description>&lt;strong&gt;Начальная цена договора: &lt;/strong&gt;1 000,50&lt;br/&gt;&lt;strong&gt;Размещение выполняется по: &lt;/strong&gt;223-ФЗ</description></item>
        <item><title>Аукцион №0123456789012345678</title><link>https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber=0123456789012345678</link>
          <description>&lt;strong&gt;Начальная цена контракта: &lt;/strong&gt;дорого</description></item>
    </channel></rss>"#;
    let feed = parse_feed(xml.as_bytes()).unwrap();
    assert_eq!(feed.items.len(), 1);
    let item = &feed.items[0];
    assert_eq!(
        (item.reg_number.as_str(), item.law),
        ("32616289305", Law::Fz223)
    );
    assert_eq!(item.max_price, Some(Kopecks(100_050)));
    assert_eq!(
        item.link,
        "https://zakupki.gov.ru/epz/order/notice/notice223/common-info.html?noticeInfoId=123"
    );
    let positions: Vec<usize> = feed.rejected.iter().map(|r| r.position).collect();
    assert_eq!(positions, [1, 3]);
    assert!(
        feed.rejected[1].reason.contains("price"),
        "{:?}",
        feed.rejected[1]
    );
}

#[test]
fn links_tell_the_law() {
    assert_eq!(
        law_of("https://zakupki.gov.ru/epz/order/notice/ezt20/view/common-info.html?regNumber=1"),
        Some(Law::Fz44)
    );
    assert_eq!(
        law_of("https://zakupki.gov.ru/epz/order/notice/ea44/view/common-info.html"),
        Some(Law::Fz44)
    );
    assert_eq!(
        law_of("https://zakupki.gov.ru/epz/order/notice/notice223/common-info.html"),
        Some(Law::Fz223)
    );
    assert_eq!(
        law_of("https://zakupki.gov.ru/223/purchase/public/purchase/info/common-info.html"),
        Some(Law::Fz223)
    );
    assert_eq!(
        law_of("https://zakupki.gov.ru/epz/order/notice/ea615/view/common-info.html"),
        None
    );
}

proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_feed(&bytes);
    }
}

#[test]
fn never_panics_on_truncations_of_the_real_feed() {
    let Some(bytes) = shtab_core::samples::read("eis/rss/real-eis-rss.xml") else {
        return;
    };
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(128));
    runner
        .run(
            &(0..bytes.len(), 0..bytes.len(), any::<u8>()),
            |(cut, flip, byte)| {
                let _ = parse_feed(&bytes[..cut]);
                let mut changed = bytes.clone();
                changed[flip] = byte;
                let _ = parse_feed(&changed);
                Ok(())
            },
        )
        .unwrap();
}
