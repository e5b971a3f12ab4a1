#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: nothing in it is worth keeping.
#
#   scripts/pg-throwaway.sh start DIR [--watch PID]   # prints the server's URL on stdout
#   scripts/pg-throwaway.sh stop DIR                  # stops it and removes DIR
#
# `start` runs initdb in DIR (which must not exist or be empty) and starts the server on a
# free loopback port, with its Unix socket in DIR too, trusting local connections (no
# password) and without fsync (a crash of the machine may lose it: it is thrown away
# anyway). The URL it prints, `postgres://postgres@127.0.0.1:PORT/postgres`, is what
# `TIDINGS_POSTGRES_URL` takes; the tests create a database each on it. It is also
# written to DIR/url.
#
# With `--watch PID` a watchdog stops the server and removes DIR once process PID is gone,
# so that a test process or CI job killed before its own cleanup leaves no server behind.
#
# The binaries are taken from $TIDINGS_PG_BIN, else the newest /usr/lib/postgresql/*/bin
# (Debian's `postgresql` package), else PATH. initdb refuses to run as root: as root, the
# cluster belongs to the `postgres` user (created by Debian's package) and its commands run
# through runuser.
set -euo pipefail
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"

usage() {
  echo "usage: $0 start DIR [--watch PID] | stop DIR" >&2
  exit 2
}

bindir() {
  if [ -n "${TIDINGS_PG_BIN:-}" ]; then
    echo "$TIDINGS_PG_BIN"
    return
  fi
  local newest
  newest="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then
    echo "$newest"
    return
  fi
  local initdb
  if initdb="$(command -v initdb)"; then
    dirname "$initdb"
    return
  fi
  echo "$0: no PostgreSQL binaries (install Debian's postgresql, or set TIDINGS_PG_BIN)" >&2
  exit 1
}

# Runs a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  local dir="$1" watch="${2:-}"
  local bin
  bin="$(bindir)"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ -n "$(ls -A "$dir")" ]; then
    echo "$0: $dir is not empty" >&2
    exit 1
  fi
  if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "$0: running as root needs the 'postgres' user (Debian's postgresql package creates it)" >&2
      exit 1
    fi
    chown postgres: "$dir"
  fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  local port tries=0
  while :; do
    tries=$((tries + 1))
    port=$((20000 + RANDOM % 40000))
    if port_taken "$port"; then
      continue
    fi
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null; then
      break
    fi
    # Another process took the port between the check and the bind: try another one.
    if [ "$tries" -ge 5 ] || ! grep -q "could not bind\|could not create any TCP/IP sockets" "$dir/server.log"; then
      cat "$dir/server.log" >&2
      exit 1
    fi
  done
  local url="postgres://postgres@127.0.0.1:$port/postgres"
  echo "$url" >"$dir/url"
  if [ -n "$watch" ]; then
    # Detached from our stdout, so that `$(… start …)` returns without waiting for it.
    cd /
    nohup bash -c '
      while kill -0 "$1" 2>/dev/null; do sleep 1; done
      exec "$2" stop "$3"
    ' watchdog "$watch" "$0" "$dir" >/dev/null 2>&1 </dev/null &
  fi
  echo "$url"
}

stop() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
start)
  [ $# -eq 2 ] || { [ $# -eq 4 ] && [ "$3" = --watch ]; } || usage
  start "$2" "${4:-}"
  ;;
stop)
  [ $# -eq 2 ] || usage
  stop "$2"
  ;;
*) usage ;;
esac
