#!/usr/bin/env bash
# Bitrix24 figures (see bench/README.md): the first sweep of a generated repository of
# BENCH_COMMITS commits (100 000; about 3 000 name one of the portal's tasks 1‥600) into a
# hub whose tasks live on a fake portal on loopback, at the portal's 2 req/s with a burst
# of 50 (BENCH_RATE, BENCH_BURST). Prints HTTP requests per linked commit (aim ≤ 0.05), the
# portal's 503 answers (aim 0) and the wall time.
#
#   bench/bitrix24.sh
#   BENCH_COMMITS=20000 bench/bitrix24.sh
set -euo pipefail

cd "$(dirname "$0")/.."
COMMITS=${BENCH_COMMITS:-100000}
WORK=$(mktemp -d -t shtab-bitrix24-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

say() { printf '%s\n' "$*" >&2; }

say "building (release)…"
cargo build --release -q -p shtab --example bitrix24_bench
TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/examples

say "generating a repository of $COMMITS commits…"
bench/vcs-make-repo.sh "$WORK/repo" "$COMMITS" >&2

"$TARGET/bitrix24_bench" backfill "$WORK/repo"
