#!/usr/bin/env bash
# Bitrix24 figures (see bench/README.md), each printed with its aim and "met" / "short":
#   1. back-fill: the first sweep of a generated repository of BENCH_COMMITS commits
#      (100 000; about 3 000 name one of the portal's tasks 1‥600) into a hub whose tasks
#      live on a fake portal on loopback, at the portal's 2 req/s with a burst of 50
#      (BENCH_RATE, BENCH_BURST): HTTP requests per linked commit (aim ≤ 0.05), the portal's
#      503 answers (aim 0) and the wall time;
#   2. invoices: matching BENCH_PAYMENTS payments (10 000) of BENCH_PAYERS payers (2 000)
#      against smart invoices on a fake portal on 127.0.0.1: HTTP requests per payment (aim
#      ≤ 0.1) and the wall time those requests take at the portal's 2 requests a second; on
#      SQLite, and on PostgreSQL when it answers (BENCH_PG_SERVER).
#
#   bench/bitrix24.sh
#   BENCH_COMMITS=20000 BENCH_PAYMENTS=1000 BENCH_PAYERS=200 bench/bitrix24.sh
set -euo pipefail

cd "$(dirname "$0")/.."
COMMITS=${BENCH_COMMITS:-100000}
PAYMENTS=${BENCH_PAYMENTS:-10000}
PAYERS=${BENCH_PAYERS:-2000}
PG=${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}
DB="shtab_bitrix24_bench_$$"
PG_CREATED=
WORK=$(mktemp -d -t shtab-bitrix24-bench.XXXXXX)

say() { printf '%s\n' "$*" >&2; }
cleanup() {
    rm -rf "$WORK"
    if [[ -n $PG_CREATED ]]; then
        psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 ||
            say "could not drop $DB"
    fi
}
trap cleanup EXIT

say "building (release)…"
cargo build --release -q -p shtab --example bitrix24_bench
TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/examples
BENCH="$TARGET/bitrix24_bench"

say "generating a repository of $COMMITS commits…"
bench/vcs-make-repo.sh "$WORK/repo" "$COMMITS" >&2
echo "== 1. back-fill: commits linked to portal tasks"
"$BENCH" backfill "$WORK/repo"

echo "== 2. invoices: matching payments against portal invoices (SQLite)"
"$BENCH" match "$PAYMENTS" "$PAYERS"

if command -v psql >/dev/null && psql "$PG/postgres" -qAtc 'SELECT 1' >/dev/null 2>&1; then
    psql -q "$PG/postgres" -c "CREATE DATABASE $DB"
    PG_CREATED=1
    echo "== 2b. invoices: matching payments against portal invoices (PostgreSQL)"
    BENCH_DATABASE_URL="$PG/$DB" "$BENCH" match "$PAYMENTS" "$PAYERS"
else
    say "PostgreSQL does not answer at $PG: its figures are skipped"
fi
