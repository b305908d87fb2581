//! Archives built here from the real notices, a broken entry, and bombs.

use std::io::Write;

use zip::write::SimpleFileOptions;

use super::*;
use crate::sources::{ParsedItem, parse_any};

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        out.start_file(*name, options).unwrap();
        out.write_all(content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn samples() -> Option<(Vec<u8>, Vec<u8>)> {
    let a = shtab_core::samples::read("eis/223fz/purchaseNotice_test.xml")?;
    let b = shtab_core::samples::read("eis/223fz/purchaseNoticeZK_test.xml")?;
    Some((a, b))
}

#[test]
fn two_notices_and_a_broken_entry() {
    let Some((a, b)) = samples() else { return };
    let archive = zip_of(&[
        ("a.xml", &a),
        ("readme.txt", b"not a notice"),
        ("dir/b.XML", &b),
        ("broken.xml", b"<purchaseNotice><body>"),
    ]);
    let entries = notices_in_zip(&archive).unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["a.xml", "dir/b.XML", "broken.xml"]);
    assert_eq!(
        entries[0].notice.as_ref().unwrap().reg_number.as_str(),
        "31603913641"
    );
    assert_eq!(
        entries[1].notice.as_ref().unwrap().reg_number.as_str(),
        "31200022868"
    );
    assert!(matches!(entries[2].notice, Err(NoticeError::Malformed(_))));

    let items = parse_any(&archive).unwrap();
    assert_eq!(items.len(), 3);
    assert!(matches!(&items[2], ParsedItem::Error { entry: Some(e), .. } if e == "broken.xml"));
    let line = serde_json::to_string(&items[0]).unwrap();
    assert!(
        line.contains("\"kind\":\"notice\"") && line.contains("31603913641"),
        "{line}"
    );
}

#[test]
fn bombs_stop_at_the_limits() {
    // 40 MiB of zeros deflate to ~40 KB; the default per-entry limit stops reading at 32 MiB.
    let zeros = vec![0u8; 40 * 1024 * 1024];
    let archive = zip_of(&[("bomb.xml", &zeros)]);
    assert!(archive.len() < 1024 * 1024);
    let entries = notices_in_zip(&archive).unwrap();
    assert!(matches!(
        entries[0].notice,
        Err(NoticeError::TooLarge { .. })
    ));

    let mib = 1024 * 1024;
    let limits = ArchiveLimits {
        max_entries: 100,
        max_total_bytes: 10 * mib,
        max_entry_bytes: 4 * mib,
    };
    let four = &zeros[..4 * mib as usize];
    let archive = zip_of(&[
        ("a.xml", four),
        ("b.xml", four),
        ("c.xml", four),
        ("d.xml", four),
    ]);
    match notices_in_zip_with(&archive, limits) {
        Err(ArchiveError::TooLarge { entry, .. }) => assert_eq!(entry, "c.xml"),
        other => panic!("{other:?}"),
    }
    let small = ArchiveLimits {
        max_entries: 10,
        max_total_bytes: 1 << 30,
        max_entry_bytes: 1024,
    };
    let archive = zip_of(&[("a.xml", &zeros[..4096])]);
    let entries = notices_in_zip_with(&archive, small).unwrap();
    assert!(matches!(
        entries[0].notice,
        Err(NoticeError::TooLarge { .. })
    ));

    let many: Vec<(String, Vec<u8>)> = (0..11).map(|i| (format!("{i}.xml"), Vec::new())).collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    assert!(matches!(
        notices_in_zip_with(&zip_of(&refs), small),
        Err(ArchiveError::TooManyEntries {
            count: 11,
            limit: 10
        })
    ));
}

#[test]
fn not_a_zip() {
    assert!(matches!(
        notices_in_zip(b"PK\x03\x04garbage"),
        Err(ArchiveError::Zip(_))
    ));
    assert!(matches!(notices_in_zip(b""), Err(ArchiveError::Zip(_))));
}

#[test]
fn parse_any_tells_kinds_apart() {
    if let Some(feed) = shtab_core::samples::read("eis/rss/real-eis-rss.xml") {
        let items = parse_any(&feed).unwrap();
        assert_eq!(items.len(), 5);
        assert!(items.iter().all(|i| matches!(i, ParsedItem::FeedItem(_))));
    }
    if let Some(html) = shtab_core::samples::read("eis/rss/html-real-page.html.xml") {
        let e = parse_any(&html).unwrap_err();
        assert!(e.to_string().contains("not an RSS feed"), "{e}");
    }
    if let Some((a, _)) = samples() {
        assert!(matches!(
            &parse_any(&a).unwrap()[..],
            [ParsedItem::Notice { entry: None, .. }]
        ));
    }
    assert!(matches!(
        parse_any(&[0x1f, 0x8b, 8, 0]),
        Err(crate::sources::ParseAnyError::Gzip)
    ));
}

proptest::proptest! {
    #[test]
    fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let mut with_magic = b"PK\x03\x04".to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = notices_in_zip(&with_magic);
        let _ = parse_any(&bytes);
    }
}
