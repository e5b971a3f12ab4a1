#!/usr/bin/env bash
# Resident memory of the daemon: `tidings run` with N sources on a short schedule,
# against benches/poll/gen.py's feeds served by nginx on loopback, its RSS sampled from
# /proc over time.
#
#   benches/daemon/run.sh [N]            default N = 1000, 10 minutes
#   DURATION=3600 SCHEDULE="*/10 * * * * *" FLIP=120 benches/daemon/run.sh 1000
#   TIDINGS_BIN=/path/to/other/tidings OUT=/tmp/before.tsv benches/daemon/run.sh
#   DAEMON_ENV="MALLOC_ARENA_MAX=2" benches/daemon/run.sh     # an allocator setting
#
# What it does: generates N feeds (cached in target/poll-bench/feeds-N, shared with
# benches/poll/run.sh), serves them with nginx (ETag, 304) on 8 loopback addresses,
# writes a feeds.toml whose sources all poll on SCHEDULE (default every 5 s: the 120
# cycles of 10 minutes are 30 hours of 15-minute polls; SCHEDULE="0 */15 * * * *" gives
# the idle daemon after its start-up cycle), starts
# `tidings run` on an empty store, and every SAMPLE seconds (default 2) records its
# VmRSS and the number of polls done so far (from /metrics, which also keeps the
# exporter's histograms drained as a scraper would; SCRAPE=0 leaves /metrics alone, as
# an operator without Prometheus does). Every FLIP seconds (default 60; 0 = never)
# the feeds switch between round 1 and round 2 of gen.py (two items added, then
# removed), so cycles do real work: full GETs, parsing, storing; between flips every
# poll is a 304. After DURATION seconds (default 600) it sends SIGTERM and waits (at
# most 30 s), stops nginx, and prints a summary: RSS after the first cycle, its peak,
# the median over the last tenth of the run, and the growth between the second and
# the last tenth (the leak test: it should be ~0).
#
# WORK (default target/daemon-bench) holds nginx, the store and the log: give two runs at
# once their own WORK, PORT and LISTEN.
# Writes the samples to OUT (default target/daemon-bench/rss-N.tsv: seconds, RSS KiB,
# polls) and the summary to OUT.summary. Loopback only; every wait is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
N=${1:-1000}
DURATION=${DURATION:-600}
SAMPLE=${SAMPLE:-2}
FLIP=${FLIP:-60}
SCRAPE=${SCRAPE:-1}
SCHEDULE=${SCHEDULE:-"*/5 * * * * *"}
PORT=${PORT:-18078}
LISTEN=${LISTEN:-127.0.0.1:18079}
NET=${NET:-127.0.77}
HOSTS=8
CONCURRENCY=${CONCURRENCY:-16}
POLLS_IN_FLIGHT=${POLLS_IN_FLIGHT:-64}
WORK=${WORK:-"$ROOT/target/daemon-bench"}
FEEDS_CACHE="$ROOT/target/poll-bench"
OUT=${OUT:-"$WORK/rss-$N.tsv"}
mkdir -p "$WORK" "$FEEDS_CACHE"

log() { echo "[daemon-bench] $*" >&2; }

command -v nginx >/dev/null || {
  log "installing nginx-light"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
}
if [ -z "${TIDINGS_BIN:-}" ]; then
  log "building the release binary"
  cargo build --release --quiet --bin tidings
fi
TIDINGS=${TIDINGS_BIN:-"$ROOT/target/release/tidings"}

# --- feeds -----------------------------------------------------------------------
host_list=""
for h in $(seq 1 $HOSTS); do host_list+="${host_list:+,}$NET.$h:18077"; done
FEEDS="$FEEDS_CACHE/feeds-$N"
if [ ! -f "$FEEDS/done" ]; then
  log "generating $N feeds"
  rm -rf "$FEEDS"
  python3 benches/poll/gen.py "$N" "$FEEDS" "$host_list" | tee "$FEEDS.size" >&2
  touch "$FEEDS/done"
fi

# --- nginx -------------------------------------------------------------------------
listen=()
for h in $(seq 1 $HOSTS); do listen+=("$NET.$h:$PORT"); done
. benches/nginx.sh
DAEMON_PID=""
cleanup() {
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
  fi
  nginx_stop "$WORK"
}
trap cleanup EXIT
round() { ln -sfn "$FEEDS/round$1" "$WORK/www"; }
round 1
nginx_start "$WORK" 1 "${listen[@]}"

# --- the daemon ----------------------------------------------------------------------
T="$WORK/tidings-$N"
rm -rf "$T"
mkdir -p "$T"
{
  printf '[daemon]\ndata_dir = "%s/data"\nlisten = "%s"\nschedule = "%s"\n\n' "$T" "$LISTEN" "$SCHEDULE"
  printf '[fetch]\nper_host_concurrency = %d\nper_host_interval_ms = 0\npolls_in_flight = %d\n' \
    "$CONCURRENCY" "$POLLS_IN_FLIGHT"
  python3 -c "import sys; sys.path.insert(0, 'benches/poll'); import gen
for i in range($N):
    print(f'\n[[source]]\nid = \"f{i}\"\nurl = \"http://$NET.{i % $HOSTS + 1}:$PORT/{gen.feed_path(i)}\"\nkind = \"feed\"')"
} > "$T/feeds.toml"
curl -sf -o /dev/null "http://$NET.1:$PORT/$(python3 -c "import sys; sys.path.insert(0, 'benches/poll'); import gen; print(gen.feed_path(0))")" \
  || { log "nginx does not answer"; exit 1; }

log "tidings run: $N sources, schedule \"$SCHEDULE\", $DURATION s, flip every $FLIP s"
env ${DAEMON_ENV:-} RUST_LOG=warn "$TIDINGS" run -c "$T/feeds.toml" >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!

polls() { # polls done so far, from /metrics
  curl -s -m 5 "http://$LISTEN/metrics" 2>/dev/null \
    | awk '/^tidings_polls_total\{/ { n += $NF } END { printf "%d", n }'
}
: > "$OUT"
start=$(date +%s)
next_flip=$((start + FLIP))
r=1
while :; do
  now=$(date +%s)
  t=$((now - start))
  [ "$t" -ge "$DURATION" ] && break
  kill -0 "$DAEMON_PID" 2>/dev/null || { log "the daemon exited early:"; tail -5 "$WORK/daemon.log" >&2; exit 1; }
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status")
  p=-1
  # Before the daemon listens, or while it is too busy to answer, the count is -1.
  [ "$SCRAPE" = 1 ] && p=$(polls || true) && p=${p:--1}
  printf '%d\t%d\t%d\n' "$t" "$rss" "$p" >> "$OUT"
  if [ "$FLIP" -gt 0 ] && [ "$now" -ge "$next_flip" ]; then
    r=$((3 - r))
    round "$r"
    next_flip=$((now + FLIP))
  fi
  sleep "$SAMPLE"
done
kill -TERM "$DAEMON_PID"
for _ in $(seq 1 30); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 1; done
kill -0 "$DAEMON_PID" 2>/dev/null && log "the daemon did not stop within 30 s of SIGTERM"
DAEMON_PID=""

python3 - "$OUT" "$N" "$SCHEDULE" "$DURATION" "$FLIP" "${DAEMON_ENV:-}" <<'PY' | tee "$OUT.summary"
import statistics, sys
path, n, schedule, duration, flip, env = sys.argv[1:]
rows = [tuple(map(int, l.split("\t"))) for l in open(path) if l.strip()]
t = [r[0] for r in rows]; rss = [r[1] / 1024 for r in rows]; polls = [r[2] for r in rows]
n = int(n)
# The first cycle is over when every source was polled once.
first = next((i for i, p in enumerate(polls) if p >= n), None)
tenth = max(1, len(rows) // 10)
second = statistics.median(rss[tenth:2 * tenth])
last = statistics.median(rss[-tenth:])
span_h = (t[-1] - t[tenth]) / 3600 if len(t) > tenth else 0
print(f"N={n} schedule \"{schedule}\" {duration} s, flip {flip} s{(' ' + env) if env else ''}: "
      f"{rows[-1][2]} polls")
if first is not None:
    print(f"  first cycle done at {t[first]} s, RSS then {rss[first]:.1f} MiB")
print(f"  peak RSS {max(rss):.1f} MiB; median of the last tenth {last:.1f} MiB; "
      f"second tenth {second:.1f} MiB; growth {last - second:+.1f} MiB over {span_h * 60:.0f} min")
PY
