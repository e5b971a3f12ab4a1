#!/usr/bin/env bash
# Runs fuzz targets with libFuzzer, one process each, all at once, for SECONDS of wall
# time, and prints a table of CPU time, executions and findings per target.
#
#   fuzz/run.sh SECONDS [TARGET...]      # all targets if none named; run fuzz/seed.sh first
#
# Logs go to fuzz/runs/<target>.log, findings to fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:?SECONDS}"; shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(feed charset html sanitize config telegram robot dates)
FLAGS=(-O -a -s none)   # release, debug assertions, no sanitizer
# FUZZ_SKIP_BUILD=1 runs the binaries already built.
[ -n "${FUZZ_SKIP_BUILD:-}" ] || cargo +nightly fuzz build "${FLAGS[@]}" >/dev/null
BIN=fuzz/target/x86_64-unknown-linux-gnu/release
mkdir -p fuzz/runs
for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  max_len=4096
  case "$t" in feed|html|charset) max_len=131072 ;; sanitize) max_len=32768 ;; robot|telegram) max_len=16384 ;; esac
  (
    TIMEFORMAT="%U %S"
    { time nice "$BIN/$t" "fuzz/corpus/$t" -artifact_prefix="fuzz/artifacts/$t/" \
        -max_total_time="$SECONDS_EACH" \
        -rss_limit_mb=1024 -timeout=5 -max_len="$max_len" -print_final_stats=1 \
        > "fuzz/runs/$t.log" 2>&1 ; } 2> "fuzz/runs/$t.cpu"
  ) &
done
wait
printf '| %-9s | %7s | %10s | %s |\n' target CPU-min execs findings
for t in "${TARGETS[@]}"; do
  cpu=$(awk '{printf "%.1f", ($1 + $2) / 60}' "fuzz/runs/$t.cpu")
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "fuzz/runs/$t.log" | grep -oE '[0-9]+$' | tail -1)
  found=$(ls "fuzz/artifacts/$t" | wc -l)
  printf '| %-9s | %7s | %10s | %s |\n' "$t" "$cpu" "${execs:-?}" "$found"
done
