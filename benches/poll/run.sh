#!/usr/bin/env bash
# End-to-end poll benchmark: tidings against newsboat and rss2email on the same
# generated feeds, served by nginx (ETag/304) on several loopback addresses.
#
#   benches/poll/run.sh [N...]          default: 1000
#   RUNS=3 PEER_RUNS=3 R2E_RUNS=3 R2E_MAX_N=1000 benches/poll/run.sh 1000 10000
#   TOOLS="tidings" TIDINGS_BIN=/path/to/other/tidings RESULTS=/tmp/before.tsv WRITE_README=0 \
#     benches/poll/run.sh                   # one tool, another build, README left alone
#
# rss2email reads one feed after another (about 50 s for a cold N=1000 here, 1.5 minutes
# for its three polls), so it runs R2E_RUNS times (default 3) and only up to R2E_MAX_N
# feeds.
# Installs what it needs (Debian: nginx-light, newsboat, python3-venv, time; PyPI in a
# venv: rss2email, feedparser), builds the release binary and the parse-only example,
# generates N feeds (cached in target/poll-bench/feeds-N), and for each N measures
# cold / 304 / round 2 polls (whole process: wall, CPU, peak RSS via /usr/bin/time -v,
# median of RUNS). Prints one table and writes it into README.md between the markers
# <!-- poll-bench:begin --> and <!-- poll-bench:end -->. Loopback only; every loop is
# bounded (PEER_TIMEOUT per peer run); nginx is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SIZES=("${@:-1000}")
RUNS=${RUNS:-3}
PEER_RUNS=${PEER_RUNS:-$RUNS}
R2E_RUNS=${R2E_RUNS:-3}
TOOLS=${TOOLS:-"curl tidings newsboat rss2email parse"}
want() { [[ " $TOOLS " == *" $1 "* ]]; }
R2E_MAX_N=${R2E_MAX_N:-1000}
PEER_TIMEOUT=${PEER_TIMEOUT:-900}
PORT=${PORT:-18077}
NET=${NET:-127.0.77}
HOSTS=8
CONCURRENCY=16
WORK="$ROOT/target/poll-bench"
VENV="$WORK/venv"
PARSE_FILES=${PARSE_FILES:-200}
mkdir -p "$WORK"

log() { echo "[poll-bench] $*" >&2; }

# --- tools -------------------------------------------------------------------
need_apt=()
command -v nginx >/dev/null || need_apt+=(nginx-light)
command -v newsboat >/dev/null || need_apt+=(newsboat)
[ -x /usr/bin/time ] || need_apt+=(time)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ! -x "$VENV/bin/r2e" ]; then
  log "installing rss2email and feedparser in $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q rss2email feedparser
fi
if [ -z "${TIDINGS_BIN:-}" ]; then
  log "building the release binary"
  cargo build --release --quiet --bin tidings --example poll-parse
fi
TIDINGS=${TIDINGS_BIN:-"$ROOT/target/release/tidings"}
PARSE=${PARSE_BIN:-"$ROOT/target/release/examples/poll-parse"}

# --- nginx on HOSTS loopback addresses ------------------------------------------
host_list=""
listen=()
for h in $(seq 1 $HOSTS); do
  host_list+="${host_list:+,}$NET.$h:$PORT"
  listen+=("$NET.$h:$PORT")
done
. benches/nginx.sh
trap 'nginx_stop "$WORK"' EXIT
nginx_start "$WORK" 2 "${listen[@]}"

# --- measuring -----------------------------------------------------------------
RESULTS=${RESULTS:-"$WORK/results.tsv"}
: > "$RESULTS"
# measure TOOL PHASE N CMD...: one whole-process run, appended to results.tsv.
measure() {
  local tool=$1 phase=$2 n=$3
  shift 3
  local tv="$WORK/time.txt"
  if ! timeout "$PEER_TIMEOUT" /usr/bin/time -v -o "$tv" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"; then
    log "$tool $phase N=$n failed or timed out: $(tail -3 "$WORK/err.txt")"
  fi
  awk -v tool="$tool" -v phase="$phase" -v n="$n" -F': ' '
    /Elapsed \(wall clock\)/ { split($2, t, ":"); wall = (length(t) == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
    /User time/ { cpu += $2 } /System time/ { cpu += $2 }
    /Maximum resident set size/ { rss = $2 / 1024 }
    END { printf "%s\t%s\t%s\t%.3f\t%.3f\t%.1f\n", tool, phase, n, wall, cpu, rss }' "$tv" | tee -a "$RESULTS" >&2
}
use_round() { ln -sfn "$FEEDS/round$1" "$WORK/www"; }

for N in "${SIZES[@]}"; do
  FEEDS="$WORK/feeds-$N"
  if [ ! -f "$FEEDS/done" ]; then
    log "generating $N feeds"
    rm -rf "$FEEDS"
    python3 benches/poll/gen.py "$N" "$FEEDS" "$host_list" | tee "$FEEDS.size" >&2
    touch "$FEEDS/done"
  fi
  mapfile -t PATHS < <(python3 -c "import sys; sys.path.insert(0, 'benches/poll'); import gen
for i in range($N): print(gen.feed_path(i))")
  urls="$WORK/urls-$N.txt"
  : > "$urls"
  IFS=, read -ra HL <<<"$host_list"
  for i in "${!PATHS[@]}"; do echo "http://${HL[$((i % HOSTS))]}/${PATHS[$i]}" >> "$urls"; done
  use_round 1
  curl -sf -o /dev/null "$(head -1 "$urls")" || { log "nginx does not answer"; exit 1; }

  # The fetch-only floor: curl, CONCURRENCY at a time, the whole of round 1.
  want curl && for r in $(seq 1 "$RUNS"); do
    measure curl fetch "$N" sh -c "xargs -P $CONCURRENCY -n 64 curl -s -o /dev/null < '$urls'"
  done

  # tidings: a feeds.toml with every feed, per-host limits lifted.
  T="$WORK/tidings-$N"
  mkdir -p "$T"
  {
    printf '[daemon]\ndata_dir = "%s/data"\n\n[fetch]\nper_host_concurrency = %d\nper_host_interval_ms = 0\n' "$T" "$CONCURRENCY"
    i=0
    while read -r u; do printf '\n[[source]]\nid = "f%d"\nurl = "%s"\nkind = "feed"\n' "$i" "$u"; i=$((i + 1)); done < "$urls"
  } > "$T/feeds.toml"
  # newsboat: its own cache, CONCURRENCY reload threads.
  B="$WORK/newsboat-$N"
  mkdir -p "$B"
  cp "$urls" "$B/urls"
  printf 'reload-threads %d\nsuppress-first-reload yes\n' "$CONCURRENCY" > "$B/config"
  # rss2email: one [feed.fI] section per feed, mail never sent.
  E="$WORK/r2e-$N"
  mkdir -p "$E"
  {
    printf '[DEFAULT]\nfrom = bench@example.invalid\nto = bench@example.invalid\n'
    i=0
    while read -r u; do printf '\n[feed.f%d]\nurl = %s\n' "$i" "$u"; i=$((i + 1)); done < "$urls"
  } > "$E/r2e.cfg"

  run_tool() { # TOOL RUNS FRESH CMD...
    local tool=$1 runs=$2 fresh=$3
    shift 3
    for r in $(seq 1 "$runs"); do
      eval "$fresh"
      use_round 1
      measure "$tool" cold "$N" "$@"
      measure "$tool" 304 "$N" "$@"
      use_round 2
      measure "$tool" round2 "$N" "$@"
    done
    use_round 1
  }
  if want tidings; then
    log "tidings poll, N=$N"
    run_tool tidings "$RUNS" "rm -rf '$T/data'" "$TIDINGS" poll -c "$T/feeds.toml"
    du -sb "$T/data" | awk '{print $1}' > "$WORK/store-bytes-$N"
  fi
  want newsboat && log "newsboat -x reload, N=$N" && run_tool newsboat "$PEER_RUNS" "rm -f '$B/cache.db' '$B/cache.db.lock'" \
    env HOME="$B" LANG=C.UTF-8 newsboat -x reload -u "$B/urls" -c "$B/cache.db" -C "$B/config"
  if want rss2email && [ "$N" -le "$R2E_MAX_N" ]; then
    log "r2e run --no-send, N=$N"
    run_tool rss2email "$R2E_RUNS" "rm -f '$E/r2e.json'" \
      env HOME="$E" "$VENV/bin/r2e" -c "$E/r2e.cfg" -d "$E/r2e.json" run --no-send
  fi

  # Parse only: the same files through our parser and feedparser.
  want parse || continue
  # sed, not head: head leaves early and, with pipefail, ls's SIGPIPE would end the script.
  ls "$FEEDS/round1/f" | sed -n "1,${PARSE_FILES}p" | sed "s|^|$FEEDS/round1/f/|" > "$WORK/parse-files.txt"
  "$PARSE" "$N" < "$WORK/parse-files.txt" | tee -a "$RESULTS" >&2
  # The script comes on stdin, so the file list is passed by name.
  "$VENV/bin/python" - "$N" "$WORK/parse-files.txt" <<'PY' | tee -a "$RESULTS" >&2
import sys, time, feedparser
paths = [l.strip() for l in open(sys.argv[2]) if l.strip()]
data = [open(p, "rb").read() for p in paths]
total = sum(map(len, data))
t = time.perf_counter()
for d in data:
    feedparser.parse(d)
s = time.perf_counter() - t
print(f"feedparser\tparse\t{sys.argv[1]}\t{s:.3f}\t{total / s / 1e6:.2f}\t{len(data)}")
PY
done

# --- the table -------------------------------------------------------------------
TABLE="$WORK/table.md"
python3 benches/poll/table.py "$RESULTS" "$WORK" > "$TABLE"
cat "$TABLE"
[ "${WRITE_README:-1}" = 1 ] || exit 0
python3 - "$ROOT/README.md" "$TABLE" <<'PY'
import sys, re
readme, table = sys.argv[1], open(sys.argv[2]).read()
text = open(readme).read()
begin, end = "<!-- poll-bench:begin -->", "<!-- poll-bench:end -->"
if begin in text and end in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda m: begin + "\n" + table + end, text, flags=re.S)
    open(readme, "w").write(text)
    print("[poll-bench] README.md updated", file=sys.stderr)
else:
    print("[poll-bench] README.md has no poll-bench markers: table not written", file=sys.stderr)
PY
