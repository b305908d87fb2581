#!/usr/bin/env bash
# Code ↔ tasks figures (see bench/README.md):
#   1. back-fill: the first sweep of a generated repository of BENCH_COMMITS commits
#      (100 000), against `git log --all --format='%H %ae %s'` on it — the ratio is the figure;
#   2. webhook ingest: signed 20-commit GitHub pushes per second, and p50/p99 from sending a
#      push until its links are stored, sent as a burst and then at a steady
#      BENCH_STEADY_RATE (20) a second;
#   3. reference parsing throughput in MB/s.
# Each figure with an aim is printed next to it, "met" or "short".
#
#   bench/vcs.sh
#   BENCH_COMMITS=20000 BENCH_PUSHES=200 bench/vcs.sh
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=bench/aim.sh
source bench/aim.sh
COMMITS=${BENCH_COMMITS:-100000}
export BENCH_PUSHES=${BENCH_PUSHES:-500}
WORK=$(mktemp -d -t shtab-vcs-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

say() { printf '%s\n' "$*" >&2; }

say "building (release)…"
cargo build --release -q -p shtab --example vcs_bench
cargo build --release -q -p shtab-vcs --example refs_bench
TARGET=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/examples

say "generating a repository of $COMMITS commits…"
bench/vcs-make-repo.sh "$WORK/repo" "$COMMITS" >&2

"$TARGET/vcs_bench" backfill "$WORK/repo"
env -u BENCH_RATE "$TARGET/vcs_bench" ingest
BENCH_RATE=${BENCH_STEADY_RATE:-20} "$TARGET/vcs_bench" ingest
"$TARGET/refs_bench"
