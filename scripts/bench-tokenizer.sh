#!/usr/bin/env bash
# Tokenizer encode throughput, one thread: Jemma against Hugging Face's Rust `tokenizers`, both loading the real
# tokenizer.json (the 270M GGUF lacks <image_soft_token>, which the test text contains), same file, interleaved
# for ROUNDS rounds. Checks both produce the same number of tokens; prints MB/s and the ratio.
# Usage: scripts/bench-tokenizer.sh [FILE] [ROUNDS] [REPS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
file=${1:-$root/../shared/conformance/tokenizer/perf_text_1mb.txt}
rounds=${2:-2}; r=${3:-5}
bash conformance/setup-venv.sh
tj=$(bash conformance/fetch-tokenizer.sh)
./jemma --help >/dev/null 2>&1 # build once, outside the timings
echo "file: $file  tokenizer.json: $tj  one thread, $r repetitions per round"
printf '%-6s %14s %14s %8s\n' round "jemma MB/s" "HF MB/s" ratio
for round in $(seq "$rounds"); do
  j=$(./jemma bench --json --tokenize "$file" --tokenizer "$tj" -r "$r" 2>/dev/null)
  h=$(RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false .venv/bin/python conformance/bench_tokenizer.py --tokenizer "$tj" --file "$file" -r "$r")
  python3 - "$round" "$j" "$h" <<'PY'
import json, sys
rnd, j, h = sys.argv[1], json.loads(sys.argv[2])[0], json.loads(sys.argv[3])[0]
assert j["tokens"] == h["tokens"], f"token counts differ: jemma {j['tokens']} HF {h['tokens']}"
x, y = j["mb_per_second_median"], h["mb_per_second_median"]
print(f"{rnd:<6} {x:14.2f} {y:14.2f} {x / y:8.2f}")
PY
done
