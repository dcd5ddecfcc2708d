#!/usr/bin/env bash
# The chat benchmark (docs/CHAT.md, docs/CHAT-EVAL.md): starts `jemma serve` with the default model (its chat
# adapter is the default model id, the bare base is served beside it), asks both the 100 held-out prompts of
# bench/chat/eval-prompts.txt, writes bench/chat/results.jsonl and docs/CHAT-EVAL.md, and prints the summary.
#
#   scripts/bench-chat.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
log=$(mktemp)
"$root/jemma" serve --port 0 > "$log.url" 2> "$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log" "$log.url"' EXIT
for _ in $(seq 1 600); do
  [ -s "$log.url" ] && curl -sf "$(head -1 "$log.url")/ready" > /dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.5
done
url=$(head -1 "$log.url")
python3 "$root/scripts/bench-chat.py" "$url" gemma-3-270m-chat gemma-3-270m-q4_k_m
