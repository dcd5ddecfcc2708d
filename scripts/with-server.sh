#!/usr/bin/env bash
# Runs a command against a fresh `jemma serve` (default 270M) on a free loopback port: starts the server, waits
# until /ready answers, runs the command with JEMMA_URL set, stops the server. Exit status: the command's.
# Usage: scripts/with-server.sh [--serve-args "ARGS"] COMMAND [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
serve_args=""
if [ "${1:-}" = "--serve-args" ]; then serve_args=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: scripts/with-server.sh [--serve-args ARGS] COMMAND..." >&2; exit 2; }
bash conformance/setup-venv.sh
./jemma --help >/dev/null 2>&1 || { echo "with-server: build failed (run ./jemma --help)" >&2; exit 1; }
port=$(.venv/bin/python -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
log=$(mktemp)
# shellcheck disable=SC2086
./jemma serve --port "$port" $serve_args >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 300); do
  if curl -sf "http://127.0.0.1:$port/ready" >/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "with-server: the server exited:" >&2; cat "$log" >&2; exit 1; fi
  sleep 1
done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { echo "with-server: not ready after 300 s" >&2; cat "$log" >&2; exit 1; }
export JEMMA_URL="http://127.0.0.1:$port"
"$@"
