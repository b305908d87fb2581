//! Notice XML parsing speed: every file given (notice XML) is parsed `ROUNDS` times with
//! the capability's parser; prints one JSON line with notices/s and MB/s, and a checksum of
//! the extracted fields so the Python side (bench/tenders_parse.py) can be compared.
//!
//!   cargo run --release -p shtab-tenders --example parse_bench -- ROUNDS FILE...

use std::time::Instant;

use shtab_tenders::sources::parse_notice;

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args
        .next()
        .and_then(|r| r.parse().ok())
        .expect("usage: parse_bench ROUNDS FILE...");
    let files: Vec<(String, Vec<u8>)> = args
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{f}: {e}"));
            (f, bytes)
        })
        .collect();
    assert!(!files.is_empty(), "no files given");
    let bytes_per_round: usize = files.iter().map(|(_, b)| b.len()).sum();
    // The fields both sides extract, for the comparison.
    let mut summary = Vec::new();
    for (name, bytes) in &files {
        let n = parse_notice(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        summary.push(format!(
            "{}|{}|{}|{}|{}",
            n.reg_number,
            n.customer.inn.clone().unwrap_or_default(),
            n.max_price.map(|p| p.0).unwrap_or_default(),
            n.okpd2.len(),
            n.application_deadline
                .map(|d| d.timestamp())
                .unwrap_or_default()
        ));
    }
    let start = Instant::now();
    let mut parsed = 0usize;
    for _ in 0..rounds {
        for (_, bytes) in &files {
            let n = parse_notice(bytes).expect("parsed above");
            parsed += usize::from(!n.reg_number.as_str().is_empty());
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let mb = (bytes_per_round * rounds) as f64 / 1e6;
    println!(
        "{{\"parser\":\"rust\",\"notices\":{parsed},\"seconds\":{secs:.4},\"notices_per_s\":{:.0},\"mb_per_s\":{:.1},\"fields\":{:?}}}",
        parsed as f64 / secs,
        mb / secs,
        summary.join(";")
    );
}
