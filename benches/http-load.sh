#!/usr/bin/env bash
# HTTP load benchmark: the cached Atom feed served by tidings vs. the same bytes served
# as a static file by nginx, both on loopback, measured with wrk in one run.
#
# Needs: wrk, nginx, curl (Debian packages `wrk nginx curl`).
# Usage: benches/http-load.sh [DURATION=10s] [CONNECTIONS=64] [THREADS=2]
# Prints requests/s and latency for both, and the ratio. Traffic goes to 127.0.0.1 only,
# for a bounded time.
set -euo pipefail

duration=${1:-10s}
connections=${2:-64}
threads=${3:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
tidings_port=18088
nginx_port=18089
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [[ -f $work/nginx.pid ]]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install wrk nginx curl)" >&2; exit 1; }
done

echo "== building (release)"
(cd "$root" && cargo build --release --example publish-bench -q)

echo "== starting tidings with a 50-item feed"
"$root/target/release/examples/publish-bench" "127.0.0.1:$tidings_port" 50 >"$work/tidings.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$tidings_port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
feed_url="http://127.0.0.1:$tidings_port/feeds/news.atom"
mkdir -p "$work/www/feeds"
curl -fsS "$feed_url" -o "$work/www/feeds/news.atom"   # first request builds the cache
echo "feed: $(wc -c <"$work/www/feeds/news.atom") bytes"

echo "== starting nginx serving the same bytes"
cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
daemon off;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types { application/atom+xml atom; }
    client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
        etag on;
    }
}
CONF
mkdir -p "$work/tmp"
nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$nginx_port/feeds/news.atom" -o /dev/null 2>&1 && break
    sleep 0.1
done
cmp -s <(curl -fsS "http://127.0.0.1:$nginx_port/feeds/news.atom") "$work/www/feeds/news.atom" \
    || { echo "nginx serves different bytes" >&2; exit 1; }

run() { # name url
    wrk -t"$threads" -c"$connections" -d2s "$2" >/dev/null   # warm up
    wrk -t"$threads" -c"$connections" -d"$duration" --latency "$2" >"$work/$1.wrk"
    local rps lat p99
    rps=$(awk '/^Requests\/sec/ {print $2}' "$work/$1.wrk")
    lat=$(awk '/^    Latency/ {print $2}' "$work/$1.wrk")
    p99=$(awk '/^ +99%/ {print $2}' "$work/$1.wrk")
    printf '%-8s %12s req/s   latency avg %8s   p99 %8s\n' "$1" "$rps" "$lat" "$p99"
    echo "$rps" >"$work/$1.rps"
}

echo "== wrk -t$threads -c$connections -d$duration (server and load generator share this machine's cores)"
run tidings "$feed_url"
run nginx "http://127.0.0.1:$nginx_port/feeds/news.atom"
awk -v t="$(cat "$work/tidings.rps")" -v n="$(cat "$work/nginx.rps")" \
    'BEGIN { printf "ratio    nginx/tidings = %.2f (aim: within 2x)\n", n / t }'
