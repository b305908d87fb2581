#!/usr/bin/env bash
# Tenders: notice XML parsing speed of the Rust parser (crates/tenders/examples/parse_bench.rs)
# against a Python ElementTree script extracting the same fields from the same files
# (bench/tenders_parse.py; the two must agree on every file's fields, or the script fails),
# and the time to ingest a 500-item search feed through the real path (portal client →
# in-process fake portal on 127.0.0.1 → one transaction → a CRM deal per tender), on SQLite
# and, when it is up, PostgreSQL.
#
#   bench/tenders.sh
#
# Settings (environment):
#   BENCH_ROUNDS       parses of each file per parser (default 200)
#   BENCH_ITEMS        tenders in the feed (default 500)
#   BENCH_PG_SERVER    PostgreSQL server without a database name
#                      (default postgres://postgres@127.0.0.1:5432); skipped if not up
#   SHTAB_SAMPLES_DIR  the samples (default ../shared/samples beside the clone)
#
# The PostgreSQL database (shtab_bench_tenders_<pid>) is dropped on exit, also after a
# failure or ^C. Needs cargo, python3, and psql for the PostgreSQL run.
set -euo pipefail

ROUNDS=${BENCH_ROUNDS:-200}
ITEMS=${BENCH_ITEMS:-500}
PG_SERVER=${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}

cd "$(dirname "$0")/.."
SAMPLES=${SHTAB_SAMPLES_DIR:-../shared/samples}
[ -d "$SAMPLES/eis" ] || { echo "no samples at $SAMPLES/eis (set SHTAB_SAMPLES_DIR)" >&2; exit 1; }
mapfile -t FILES < <(ls "$SAMPLES"/eis/44fz/*.xml "$SAMPLES"/eis/223fz/*.xml)

PG_DB=""
cleanup() {
    if [ -n "$PG_DB" ]; then
        psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT INT TERM

cargo build --release -q -p shtab-tenders --example parse_bench --example ingest_bench

RS=$(target/release/examples/parse_bench "$ROUNDS" "${FILES[@]}")
PY=$(python3 bench/tenders_parse.py "$ROUNDS" "${FILES[@]}")

python3 - "$RS" "$PY" "${#FILES[@]}" <<'PYEOF'
import json, sys
rs, py, files = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
if rs["fields"] != py["fields"]:
    sys.exit("the parsers disagree:\n rust:   %s\n python: %s" % (rs["fields"], py["fields"]))
print("notice XML parsing, %s files (44-FZ and 223-FZ samples), same fields extracted" % files)
print("%-22s %12s %10s" % ("parser", "notices/s", "MB/s"))
for r in (rs, py):
    name = "rust (quick-xml)" if r["parser"] == "rust" else "python ElementTree"
    print("%-22s %12d %10.1f" % (name, r["notices_per_s"], r["mb_per_s"]))
print("ratio rust/python: %.1fx" % (rs["notices_per_s"] / py["notices_per_s"]))
PYEOF

echo
echo "ingest of a $ITEMS-item feed (fetch feed + $ITEMS notice XML, store, create deals):"
report() {
    python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print("%-9s %-6s found %4d new %4d  %7.3f s" % (r["backend"], r["pass"], r["found"], r["new"], r["seconds"]))'
}
target/release/examples/ingest_bench "$ITEMS" | report
if command -v psql >/dev/null && psql "$PG_SERVER/postgres" -qc "SELECT 1" >/dev/null 2>&1; then
    PG_DB="shtab_bench_tenders_$$"
    psql "$PG_SERVER/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
    target/release/examples/ingest_bench "$ITEMS" "$PG_SERVER/$PG_DB" | report
else
    echo "postgres  skipped: $PG_SERVER does not answer"
fi
