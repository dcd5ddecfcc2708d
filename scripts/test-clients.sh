#!/usr/bin/env bash
# The official `openai` Python package, unchanged, against `jemma serve` (default 270M).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec bash "$root/scripts/with-server.sh" bash -c '.venv/bin/python conformance/openai_client_test.py "$JEMMA_URL"'
