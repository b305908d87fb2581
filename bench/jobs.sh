#!/usr/bin/env bash
# Throughput of the durable job queue with empty jobs, on SQLite and PostgreSQL: the enqueue
# rate (one transaction per job) and the rate a Worker at concurrency 4 works them off,
# with the per-job overhead of each. See bench/README.md.
#
#   bench/jobs.sh                        # both backends; PostgreSQL skipped if not up
#   BENCH_BACKENDS=sqlite bench/jobs.sh
#
# Knobs:
#   BENCH_BACKENDS     "sqlite postgres" (default)
#   BENCH_JOBS         jobs per backend (10000)
#   BENCH_PG_SERVER    PostgreSQL server, without a database name
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=bench/aim.sh
source bench/aim.sh
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
export BENCH_JOBS=${BENCH_JOBS:-10000}
PG_SERVER=${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}
PG_DB="shtab_jobs_bench_$$"
PG_CREATED=

say() { printf '%s\n' "$*" >&2; }

cleanup() {
    if [[ -n $PG_CREATED ]]; then
        psql -q "$PG_SERVER/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 ||
            say "could not drop $PG_DB"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building (release)…"
cargo build --release -q -p shtab --example jobs_bench
BIN=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/examples/jobs_bench

for backend in $BACKENDS; do
    case $backend in
    sqlite)
        "$BIN"
        ;;
    postgres)
        if ! command -v psql >/dev/null || ! psql -q "$PG_SERVER/postgres" -c 'select 1' >/dev/null 2>&1; then
            say "postgres: skipped (no psql, or nothing answers at $PG_SERVER)"
            continue
        fi
        psql -q "$PG_SERVER/postgres" -c "CREATE DATABASE $PG_DB" >/dev/null
        PG_CREATED=1
        "$BIN" "$PG_SERVER/$PG_DB"
        ;;
    *)
        say "unknown backend $backend"
        exit 2
        ;;
    esac
done
