#!/usr/bin/env bash
# Tokenizer encode throughput, one thread: Jemma against Hugging Face's Rust `tokenizers`, both loading the real
# tokenizer.json (the 270M GGUF lacks <image_soft_token>, which the test text contains), same file, interleaved
# for ROUNDS rounds. Checks both produce the same number of tokens; prints MB/s and the ratio.
# Without FILE the text is target/perf_text.txt, built here, the same bytes every time: one pass is
# conformance/texts/*.txt (English prose, Chinese prose, code) in name order, then the 60 texts of
# jemma-core/src/test/resources/fixtures/tokenizer/public_cases.jsonl (many scripts, emoji, whitespace runs,
# special-token text), one per line; whole passes are repeated until the text reaches 1 MiB.
# Usage: scripts/bench-tokenizer.sh [FILE] [ROUNDS] [REPS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
make_text() {
  mkdir -p target
  python3 - target/perf_text.txt <<'PY'
import glob, json, sys
texts = "conformance/texts/*.txt"
cases = "jemma-core/src/test/resources/fixtures/tokenizer/public_cases.jsonl"
one = "".join(open(f, encoding="utf-8", newline="").read() for f in sorted(glob.glob(texts)))
with open(cases, encoding="utf-8") as f:
    one += "".join(json.loads(line)["text"] + "\n" for line in f if line.strip())
data = one.encode("utf-8")
with open(sys.argv[1], "wb") as out:
    out.write(data * -(-(1 << 20) // len(data)))
PY
  echo target/perf_text.txt
}
file=${1:-$(make_text)}
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
