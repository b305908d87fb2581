//! Bitrix24 figures: `bench/bitrix24.sh` runs it.
//!
//! `bitrix24_bench backfill REPO`: see [`backfill`]; `bitrix24_bench match PAYMENTS PAYERS`:
//! see [`invoices`].

#[path = "../common/aim.rs"]
mod aim;
mod backfill;
mod invoices;
#[path = "../common/onec.rs"]
mod onec;

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shtab_core::tls::install_crypto_provider();
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, what: &str| -> anyhow::Result<usize> {
        args.get(i)
            .context(format!("missing {what}"))?
            .parse()
            .context(format!("{what} is not a number"))
    };
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("backfill"), Some(repo)) => backfill::run(repo).await,
        (Some("match"), _) => invoices::run(arg(2, "PAYMENTS")?, arg(3, "PAYERS")?).await,
        _ => anyhow::bail!("usage: bitrix24_bench backfill REPO | match PAYMENTS PAYERS"),
    }
}
