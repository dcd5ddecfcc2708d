#!/usr/bin/env bash
# Creates (once) the Python venv with the pinned reference tools: .venv/ at the repo root.
# llama-cpp-python is built from source with native CPU flags.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/conformance/requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "setup-venv: python3 not found" >&2; exit 1; }
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip >&2
CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=ON}" "$venv/bin/pip" install --progress-bar off -r "$req" >&2
echo "$want" > "$stamp"
