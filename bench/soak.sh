#!/usr/bin/env bash
# The soak: 100,000 requests from 32 concurrent connections (Connection: close) against the
# release build of wsgiscope serving apps/hello.py, headless and then with the inspector
# recording in a tmux pane. Every request must be answered with 200 and the whole body, none
# reset, and the server's RSS after must be within 10% of its RSS after the warm-up.
#
#   bash bench/soak.sh                     both runs, 100,000 requests each
#   SOAK_REQUESTS=20000 bash bench/soak.sh
#
# It is the test `soak` in tests/hardening.rs, which a plain `cargo test` runs with 10,000
# requests and the inspector in debug builds; everything stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export SOAK_REQUESTS=${SOAK_REQUESTS:-100000}
SOAK_TUI=0 cargo test --release -q --test hardening soak -- --exact --nocapture
SOAK_TUI=1 cargo test --release -q --test hardening soak -- --exact --nocapture
