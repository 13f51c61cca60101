#!/usr/bin/env bash
# The side-by-side benchmark, in one command:
#
#   bash bench/run.sh                 full matrix, 5 s per cell, 2 rounds (about 20 minutes)
#   QUICK=1 bash bench/run.sh         hello app, -c16 with Connection: close only, and the
#                                     same with 256 idle connections open (about 1 minute)
#   DURATION=3 ROUNDS=3 SERVERS=wsgiscope,bjoern APPS=hello,flask bash bench/run.sh
#   IDLE=0 bash bench/run.sh          without the idle cell
#
# The idle cell (bench/idle.py) needs nothing more; the memory check with 1,000 idle
# connections is its own script: python3 bench/idle_memory.py (after cargo build --release).
#
# Builds the release binary, installs what is missing (wrk, tmux and libev-dev with apt-get;
# gunicorn, waitress, werkzeug, flask and bjoern into the venv target/bench-venv), then runs
# bench/run.py, which prints the table and writes target/bench/latest.{md,tsv}.
# Everything listens on 127.0.0.1; servers run pinned to core 0, wrk to core 1.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v tmux >/dev/null || missing+=(tmux)
command -v taskset >/dev/null || missing+=(util-linux)
dpkg -s libev-dev >/dev/null 2>&1 || missing+=(libev-dev)
if ((${#missing[@]})); then
  echo "installing ${missing[*]} with apt-get" >&2
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cargo build --release -q

VENV=target/bench-venv
if ! "$VENV/bin/python" -c 'import gunicorn, waitress, werkzeug, flask, bjoern' 2>/dev/null; then
  echo "creating $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q gunicorn waitress werkzeug flask bjoern
fi

exec "$VENV/bin/python" bench/run.py
