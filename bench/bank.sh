#!/usr/bin/env bash
# Bank figures, each printed next to its aim (issue 18), "met" or "short":
#   1. 1C parsing: MB/s of shtab_bank::sources::onec::parse on a generated windows-1251
#      statement of BENCH_1C_MB megabytes (50), against `iconv -f cp1251 -t utf-8` on the
#      same file — the ratio is the figure (aim ≤ 1.5×);
#   2. matching BENCH_MATCH payments against as many invoices (1 000 000), after 100 000 for
#      the growth rate: time and peak memory (VmHWM) (aims ≤ 3 s and ≤ 11× the growth);
#   3. the filtered payments list with BENCH_PAYMENTS payments (1 000 000) in SQLite, then
#      PostgreSQL: p50/p99 of ~200 typical requests (a page of 50 and the capped totals) and
#      each filter's plan (aim: every p99 ≤ 50 ms).
#
#   bench/bank.sh
#   BENCH_1C_MB=10 BENCH_MATCH=200000 BENCH_PAYMENTS=100000 bench/bank.sh
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=bench/aim.sh
source bench/aim.sh
MB=${BENCH_1C_MB:-50}
MATCH=${BENCH_MATCH:-1000000}
PAYMENTS=${BENCH_PAYMENTS:-1000000}
WORK=$(mktemp -d -t shtab-bank-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

say() { printf '%s\n' "$*" >&2; }

say "building (release)…"
cargo build --release -q -p shtab --example bank_bench
TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/examples
BENCH="$TARGET/bank_bench"

say "generating a ${MB} MB 1C statement…"
"$BENCH" gen-1c "$WORK/statement.utf8.txt" "$MB"
iconv -f utf-8 -t cp1251 "$WORK/statement.utf8.txt" > "$WORK/statement.txt"
rm "$WORK/statement.utf8.txt"

echo "== 1. 1CClientBankExchange parsing"
# iconv: best of three, like the parser.
best=""
for _ in 1 2 3; do
  start=$(date +%s.%N)
  iconv -f cp1251 -t utf-8 "$WORK/statement.txt" > /dev/null
  end=$(date +%s.%N)
  t=$(echo "$end - $start" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
size=$(stat -c %s "$WORK/statement.txt")
printf 'iconv -f cp1251 -t utf-8: %.1f MB in %.3f s (best of 3) = %.1f MB/s\n' \
  "$(echo "$size / 1000000" | bc -l)" "$best" "$(echo "$size / 1000000 / $best" | bc -l)"
BENCH_ICONV_SECONDS=$best "$BENCH" parse-1c "$WORK/statement.txt"

echo "== 2. matching"
"$BENCH" match 100000 "$MATCH"

echo "== 3. payments list (SQLite)"
"$BENCH" list "$PAYMENTS"

# The same on PostgreSQL when it answers (BENCH_PG_SERVER), in a database of its own.
PG=${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}
if command -v psql >/dev/null && psql "$PG/postgres" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  DB="shtab_bank_bench_$$"
  psql "$PG/postgres" -qc "CREATE DATABASE $DB"
  trap 'psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
  echo "== 3b. payments list (PostgreSQL)"
  BENCH_DATABASE_URL="$PG/$DB" "$BENCH" list "$PAYMENTS"
else
  say "PostgreSQL does not answer at $PG: its list figures are skipped"
fi
