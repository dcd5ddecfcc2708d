#!/usr/bin/env bash
# Long-context figures for the default 270M (or MODEL): prefill throughput at 4K, 16K and 30K tokens
# (jemma bench, random ids, one repetition each), then a real 30K-token prompt (the conformance texts
# repeated, plus a question) answered by `jemma run`, with its peak RSS checked against
# file + KV cache + 300 MB. Exits non-zero if the bound is broken or no answer comes.
# Usage: scripts/bench-long-context.sh [MODEL] [KV_TYPE] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
model=${1:-}
kv=${2:-f32}
t=${3:-2}
if [ -z "$model" ]; then
  ./jemma info --json >/dev/null   # installs the default model if needed
  model=$(./jemma info --json | python3 -c "import json,sys; print(json.load(sys.stdin)['file'])")
fi
ctx=32768
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "model: $model  kv: $kv  threads: $t  machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
./jemma bench --model "$model" --kv-type "$kv" -t "$t" -p 4096,16384,30000 -n 0 -r 1 --json > "$work/bench.json"
python3 - "$work/bench.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1])):
    print(f"prefill {r['test']:<8} {r['tokens_per_second_median']:8.1f} tokens/s")
PY

# a real prompt of about 30K tokens: the texts repeated, then the question
python3 - "$work/prompt.txt" <<'PY'
import pathlib, sys
texts = "\n\n".join(p.read_text() for p in sorted(pathlib.Path("conformance/texts").glob("*.txt")))
body = ((texts + "\n\n") * 7)[:123000]  # about 4.1 characters per token: ~30,000 tokens
pathlib.Path(sys.argv[1]).write_text(body + "\n\nQuestion: what is the first text above about? Answer in one sentence.")
PY
/usr/bin/time -v ./jemma run --model "$model" --kv-type "$kv" -t "$t" --ctx $ctx --temperature 0 -n 32 \
  --prompt-file "$work/prompt.txt" > "$work/answer.txt" 2> "$work/stderr.txt"
rss_kb=$(grep "Maximum resident set size" "$work/stderr.txt" | awk '{print $NF}')
grep "prompt .* tokens" "$work/stderr.txt" || true
tokens=$(grep -o "prompt [0-9]* tokens" "$work/stderr.txt" | awk '{print $2}')
info=$(./jemma info --json --model "$model" --ctx $ctx --kv-type "$kv")
python3 - "$rss_kb" "$info" "$work/answer.txt" "$tokens" <<'PY'
import json, sys
rss = int(sys.argv[1]) * 1024
info = json.loads(sys.argv[2])
answer = open(sys.argv[3]).read().strip()
bound = info["file_bytes"] + info["kv_cache_bytes"] + 300 * 1024 * 1024
mib = lambda b: f"{b / 1048576:.0f} MiB"
print(f"30K prompt ({sys.argv[4]} tokens): peak RSS {mib(rss)}; bound file {mib(info['file_bytes'])} + KV {mib(info['kv_cache_bytes'])} + 300 MiB = {mib(bound)}")
print(f"answer: {answer[:200]!r}")
ok = rss <= bound and answer
print("OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
