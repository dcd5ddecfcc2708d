#!/usr/bin/env bash
# The official `openai` Python package, unchanged, against `jemma serve` (default 270M with its chat adapter, plus a
# second adapter from --lora-dir, so llama-server's documented two-adapter examples apply).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
./jemma --help >/dev/null 2>&1 || { echo "test-clients: build failed" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp jemma-cli/src/main/resources/dev/jemma/cli/gemma3-270m-chat-lora-f16.gguf "$dir/chat-copy.gguf"
bash "$root/scripts/with-server.sh" --serve-args "--lora-dir $dir" bash -c '.venv/bin/python conformance/openai_client_test.py "$JEMMA_URL"'
