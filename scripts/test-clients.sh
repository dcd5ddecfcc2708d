#!/usr/bin/env bash
# The official `openai` Python package against `jemma serve` (default 270M): starts a server on a free port,
# waits until it is ready, runs conformance/openai_client_test.py, stops the server. Exit status of the checks.
# Usage: scripts/test-clients.sh [extra jemma serve args...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash conformance/setup-venv.sh
./jemma --help >/dev/null 2>&1 # build outside the wait below
port=$(.venv/bin/python -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
log=$(mktemp)
./jemma serve --port "$port" "$@" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 300); do
  if curl -sf "http://127.0.0.1:$port/ready" >/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "test-clients: the server exited:" >&2; cat "$log" >&2; exit 1; fi
  sleep 1
done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { echo "test-clients: server not ready after 300 s" >&2; cat "$log" >&2; exit 1; }
.venv/bin/python conformance/openai_client_test.py "http://127.0.0.1:$port"
