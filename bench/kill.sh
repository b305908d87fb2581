#!/usr/bin/env bash
# Faults, measured (issue 18): two `shtab serve` processes (release build) on one fresh
# PostgreSQL database take a statement of 50 000 operations, its matching to invoices,
# 2 000 signed GitHub pushes and runs of the sweep robot, while one of them is killed with
# SIGKILL 50 times at random moments and started again. Afterwards every payment must be
# stored once, every invoice's paid amount equal its allocations, every commit linked once,
# no job lost (dead, failed, left queued) or run twice with a visible effect, and no robot
# run stuck "running". Prints the counts; exits non-zero on any violation. What it does in
# detail: crates/shtab/examples/kill_bench.rs.
#
#   bench/kill.sh                                   # the full run (about 5 minutes)
#   BENCH_KILLS=5 BENCH_OPERATIONS=5000 BENCH_PUSHES=200 BENCH_SWEEP_COMMITS=1000 bench/kill.sh
#
# Settings (environment):
#   BENCH_KILLS          kills (default 50)
#   BENCH_KILL_EVERY_MS  mean time between two kills, ms (default 3000); the work is spread
#                        over KILLS × this, so the kills fall while it runs
#   BENCH_OPERATIONS     operations in the statement (default 50000), in files of 1 000
#   BENCH_PUSHES         GitHub pushes of 20 commits (default 2000)
#   BENCH_SWEEP_COMMITS  commits of the repository the sweep robot links (default 5000)
#   BENCH_SEED           repeats a run's kill moments (the run prints its seed)
#   BENCH_LOGS           a directory to keep the two hubs' logs in (default: not kept)
#   BENCH_PG_SERVER      PostgreSQL server, without a database name
#                        (default postgres://postgres@127.0.0.1:5432)
#
# Everything listens on and talks to 127.0.0.1 only. The database (shtab_kill_bench_<pid>)
# is dropped on exit, also after a failure or ^C. Needs cargo, git, psql.
set -euo pipefail

cd "$(dirname "$0")/.."
PG=${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}
DB="shtab_kill_bench_$$"
PG_CREATED=

say() { printf 'bench: %s\n' "$*" >&2; }
cleanup() {
    if [[ -n $PG_CREATED ]]; then
        psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 ||
            say "could not drop the database $DB; drop it by hand"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in cargo git psql; do
    command -v "$tool" >/dev/null || { say "$tool is not installed"; exit 1; }
done
psql -q "$PG/postgres" -c 'SELECT 1' >/dev/null || { say "PostgreSQL does not answer at $PG"; exit 1; }

say "building shtab and the bench (release)…"
cargo build --release -q -p shtab --bin shtab --example kill_bench
TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release

psql -q "$PG/postgres" -c "CREATE DATABASE $DB"
PG_CREATED=1
started=$SECONDS
"$TARGET/examples/kill_bench" "$TARGET/shtab" "$PG/$DB"
say "done in $((SECONDS - started)) s"
