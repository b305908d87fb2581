//! `shtab tenders parse FILE` on the real files under `../shared/samples/eis/` and on files of
//! our own: notice XML, a ZIP of notices, the RSS feed, and what is not any of them.

use std::process::{Command, Output};

use crate::tenders_portal::{FakeTender, HTML_ERROR, notice_xml, rss};

const BIN: &str = env!("CARGO_BIN_EXE_shtab");

fn parse(file: &std::path::Path) -> Output {
    Command::new(BIN)
        .args(["tenders", "parse"])
        .arg(file)
        .env_clear()
        .output()
        .expect("run shtab")
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

#[test]
fn the_real_samples_parse_to_one_json_line_per_notice() {
    let Some(feed) = shtab_core::samples::path("eis/rss/real-eis-rss.xml") else {
        return;
    };
    let dir = feed.parent().unwrap().parent().unwrap().to_path_buf();
    let mut seen = 0;
    for sub in ["44fz", "223fz"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let out = parse(&path);
            assert!(
                out.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let got = lines(&out);
            assert_eq!(got.len(), 1, "{}", path.display());
            assert_eq!(got[0]["kind"], "notice");
            let reg = got[0]["notice"]["reg_number"].as_str().unwrap();
            let name = path.file_name().unwrap().to_string_lossy();
            if sub == "44fz" {
                // The file name carries the purchase number.
                assert!(name.contains(reg), "{name} vs {reg}");
                assert_eq!(got[0]["notice"]["law"], "44-FZ");
            } else {
                assert_eq!(reg.len(), 11);
                assert_eq!(got[0]["notice"]["law"], "223-FZ");
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 9);

    let out = parse(&dir.join("rss/real-eis-rss.xml"));
    assert!(out.status.success());
    let items = lines(&out);
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|i| i["kind"] == "feed_item"));
    assert_eq!(items[1]["reg_number"], "0373200215526000664");
    assert_eq!(items[1]["max_price"], 44_166_667);

    let page = dir.join("rss/html-error-page.xml");
    let out = parse(&page);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&*page.to_string_lossy()) && err.contains("not an RSS feed"),
        "{err}"
    );
}

#[test]
fn own_fixtures_a_zip_a_feed_and_broken_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let a = FakeTender::new(11, "Охрана");
    let b = FakeTender::new(12, "Уборка");

    let zip_path = dir.path().join("notices.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in [
        ("a.xml", notice_xml(&a)),
        ("b.xml", notice_xml(&b)),
        ("c.xml", "<oops".to_string()),
    ] {
        zip.start_file(name, options).unwrap();
        std::io::Write::write_all(&mut zip, body.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    let out = parse(&zip_path);
    let got = lines(&out);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0]["notice"]["reg_number"], a.reg.as_str());
    assert_eq!(got[0]["entry"], "a.xml");
    assert_eq!(got[1]["notice"]["customer"]["inn"], "7701234567");
    assert_eq!(got[2]["kind"], "error");
    assert!(
        !out.status.success(),
        "a broken entry is reported in the exit status"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("c.xml"));

    let feed = dir.path().join("feed.xml");
    std::fs::write(&feed, rss(&[a.clone(), b.clone()])).unwrap();
    let out = parse(&feed);
    assert!(out.status.success());
    assert_eq!(lines(&out).len(), 2);

    let html = dir.path().join("page.xml");
    std::fs::write(&html, HTML_ERROR).unwrap();
    assert!(!parse(&html).status.success());

    let cut = dir.path().join("cut.xml");
    let xml = notice_xml(&a);
    std::fs::write(&cut, &xml[..xml.len() / 3]).unwrap();
    let out = parse(&cut);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cut.xml") && err.contains("line"), "{err}");

    let missing = dir.path().join("missing.xml");
    let out = parse(&missing);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.xml"));
}
