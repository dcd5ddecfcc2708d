#!/usr/bin/env bash
# Aggregate decode throughput of `jemma serve` on the 270M: 1 stream alone vs 8 concurrent streams.
# Usage: scripts/bench-server.sh [MODEL.gguf] [TOKENS]   (prints tokens/s for each and the ratio)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
model_args=()
[ -n "${1:-}" ] && model_args=(--model "$1") # default: the 270M that ./jemma installs
tokens=${2:-64}
port=${BENCH_PORT:-18123}
"$root/jemma" serve "${model_args[@]}" --port "$port" --ctx 1024 --parallel 8 >/tmp/jemma-bench.url 2>/tmp/jemma-bench.log &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 1; done

# one streamed greedy request; prints its completion token count (from the usage chunk)
one() {
  curl -sN "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"messages\":[{\"role\":\"user\",\"content\":\"Write a story about $1.\"}],\"max_tokens\":$tokens,\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}" \
    | grep -o '"completion_tokens":[0-9]*' | cut -d: -f2
}
# aggregate tokens/s of N concurrent streams, wall clock from first request to last token
run() {
  local n=$1 t0 t1 total=0 f
  local dir; dir=$(mktemp -d)
  t0=$(date +%s.%N)
  for i in $(seq 1 "$n"); do one "topic $i" >"$dir/$i" & done
  wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
  t1=$(date +%s.%N)
  for f in "$dir"/*; do total=$((total + $(cat "$f"))); done
  rm -rf "$dir"
  echo "$total $(echo "$t1 - $t0" | bc -l)"
}
one warmup >/dev/null
read -r t1 s1 < <(run 1)
read -r t8 s8 < <(run 8)
r1=$(echo "$t1 / $s1" | bc -l); r8=$(echo "$t8 / $s8" | bc -l)
printf '1 stream : %4d tokens in %6.2f s = %7.1f tok/s\n' "$t1" "$s1" "$r1"
printf '8 streams: %4d tokens in %6.2f s = %7.1f tok/s aggregate\n' "$t8" "$s8" "$r8"
printf 'ratio 8/1: %.2fx\n' "$(echo "$r8 / $r1" | bc -l)"
