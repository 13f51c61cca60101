#!/usr/bin/env bash
# The core issue's speed check: wsgiscope (--no-tui) against wsgiref.simple_server on the
# tutorial's hello app. The server is pinned to core 0, wrk to core 1; both run one after the
# other, twice each, interleaved. Prints req/s, p99 latency, and the server's RSS after the run.
#
#   bash bench/quick.sh            (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
DURATION=${DURATION:-10s}
APP=apps/hello.py
PORT=18881

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server did not start" >&2; return 1
}

run() {
  local name=$1; shift
  taskset -c 0 "$@" >/dev/null 2>&1 &
  local pid=$!
  wait_port
  local out
  out=$(taskset -c 1 wrk -t1 -c16 -d"$DURATION" --latency -H 'Connection: close' "http://127.0.0.1:$PORT/")
  local rss
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  kill -TERM $pid; wait $pid 2>/dev/null || true
  local rps p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr '\n' ' ' || true)
  printf '%-10s %10s req/s   p99 %8s   RSS %6s KiB   %s\n' "$name" "$rps" "$p99" "$rss" "${errors:-no errors}"
}

for round in 1 2; do
  echo "round $round"
  run wsgiscope ./target/release/wsgiscope --no-tui --port $PORT "$APP"
  run wsgiref python3 bench/wsgiref_server.py $PORT "$APP"
done
