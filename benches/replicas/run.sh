#!/usr/bin/env bash
# Replicas benchmark: N generated feeds (benches/poll/gen.py, served by nginx on loopback)
# polled once by 1, 2 and 3 `tidings run` replicas sharing one PostgreSQL database.
#
#   PG=postgres://postgres@127.0.0.1:55432/postgres benches/replicas/run.sh [N] [REPLICAS...]
#   default: N = 10000, replicas 1 2 3
#
# For each replica count: a fresh database, `tidings migrate`, then that many replicas
# started together with a schedule that never fires during the run, so each source is
# polled exactly once, by its overdue start-up poll (spread over 30 s of jitter). Measured:
# wall time from start until every source has a last poll (read from the database), the
# replicas' CPU (user + system, from /proc), how many poll firings each replica took
# (`jobs`), and whether any source was polled twice (a firing claimed twice would show as
# more polls than sources in tidings_polls_total). Loopback only; every wait is bounded
# (TIMEOUT, default 900 s); nginx and the replicas are stopped on exit. Prints a table.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
N=${1:-10000}
shift || true
COUNTS=("${@:-1 2 3}")
read -ra COUNTS <<<"${COUNTS[*]}"
PG=${PG:-${TIDINGS_POSTGRES_URL:-postgres://postgres@127.0.0.1:55432/postgres}}
TIMEOUT=${TIMEOUT:-900}
PORT=${PORT:-18078}
NET=${NET:-127.0.78}
HOSTS=8
WORK="$ROOT/target/replicas-bench"
mkdir -p "$WORK"
log() { echo "[replicas-bench] $*" >&2; }

command -v nginx >/dev/null || { log "needs nginx (apt-get install nginx-light)"; exit 1; }
command -v psql >/dev/null || { log "needs psql (apt-get install postgresql-client)"; exit 1; }
if [ -z "${TIDINGS_BIN:-}" ]; then
  log "building the release binary"
  cargo build --release --quiet --bin tidings
fi
TIDINGS=${TIDINGS_BIN:-"$ROOT/target/release/tidings"}

# --- feeds and nginx --------------------------------------------------------------
host_list=""
listen=()
for h in $(seq 1 $HOSTS); do
  host_list+="${host_list:+,}$NET.$h:$PORT"
  listen+=("$NET.$h:$PORT")
done
FEEDS="$WORK/feeds-$N"
if [ ! -f "$FEEDS/done" ]; then
  log "generating $N feeds"
  rm -rf "$FEEDS"
  python3 benches/poll/gen.py "$N" "$FEEDS" "$host_list" >&2
  touch "$FEEDS/done"
fi
ln -sfn "$FEEDS/round1" "$WORK/www"
. benches/nginx.sh
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  nginx_stop "$WORK"
}
trap cleanup EXIT
nginx_start "$WORK" 1 "${listen[@]}"
mapfile -t PATHS < <(python3 -c "import sys; sys.path.insert(0, 'benches/poll'); import gen
for i in range($N): print(gen.feed_path(i))")
IFS=, read -ra HL <<<"$host_list"
curl -sf -o /dev/null "http://${HL[0]}/${PATHS[0]}" || { log "nginx does not answer"; exit 1; }

# --- one run per replica count ------------------------------------------------------
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TICKS=$(getconf CLK_TCK)
RESULTS="$WORK/results.tsv"
: > "$RESULTS"
for K in "${COUNTS[@]}"; do
  DB="replicas_bench_${K}_$(date +%s)"
  psql -q "$PG" -c "CREATE DATABASE $DB" >/dev/null
  URL="${PG%/*}/$DB"
  T="$WORK/run-$K"
  rm -rf "$T"; mkdir -p "$T"
  for r in $(seq 1 "$K"); do
    {
      # A schedule that does not fire during the run: only the start-up poll runs.
      printf '[daemon]\ndata_dir = "%s/data-%d"\nlisten = "127.0.0.1:%d"\nschedule = "0 0 0 1 1 *"\n\n' "$T" "$r" $((18180 + r))
      printf '[fetch]\nper_host_concurrency = 16\nper_host_interval_ms = 0\n\n[store]\nurl = "%s"\n' "$URL"
      for i in "${!PATHS[@]}"; do
        printf '\n[[source]]\nid = "f%d"\nurl = "http://%s/%s"\nkind = "feed"\n' "$i" "${HL[$((i % HOSTS))]}" "${PATHS[$i]}"
      done
    } > "$T/feeds-$r.toml"
  done
  "$TIDINGS" migrate -c "$T/feeds-1.toml" >&2
  log "$K replica(s), N=$N"
  PIDS=()
  start=$(date +%s.%N)
  for r in $(seq 1 "$K"); do
    RUST_LOG=warn "$TIDINGS" run -c "$T/feeds-$r.toml" >"$T/log-$r.txt" 2>&1 &
    PIDS+=($!)
  done
  polled=0
  deadline=$(( $(date +%s) + TIMEOUT ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    polled=$(psql -tA "$URL" -c "SELECT count(*) FROM sources WHERE state->>'last_poll' IS NOT NULL" 2>/dev/null || echo 0)
    [ "$polled" -ge "$N" ] && break
    sleep 1
  done
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  cpu=0
  for p in "${PIDS[@]}"; do cpu=$(echo "$cpu + $(cpu_of "$p") / $TICKS" | bc -l); done
  per_replica=$(psql -tA "$URL" -c "SELECT string_agg(n::text, '/' ORDER BY n DESC) FROM (SELECT count(*) n FROM jobs WHERE key LIKE 'poll:%' GROUP BY holder) t")
  firings=$(psql -tA "$URL" -c "SELECT count(*) FROM jobs WHERE key LIKE 'poll:%'")
  items=$(psql -tA "$URL" -c "SELECT count(*) FROM items")
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
  printf '%s\t%s\t%s\t%.1f\t%.1f\t%s\t%s\t%s\n' "$K" "$N" "$polled" "$wall" "$cpu" "$per_replica" "$firings" "$items" | tee -a "$RESULTS" >&2
done

echo "| replicas | N | sources polled | wall to all polled | replicas' CPU | firings per replica | firings | items |"
echo "|---|---|---|---|---|---|---|---|"
awk -F'\t' '{printf "| %s | %s | %s | %s s | %s s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8}' "$RESULTS"
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)."
