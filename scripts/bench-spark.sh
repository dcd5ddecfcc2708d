#!/usr/bin/env bash
# jemma batch (Spark, local[2]) against jemma serve driven by 8 concurrent clients, on the same greedy prompts.
# Usage: scripts/bench-spark.sh [ROWS] [TOKENS] [REPS]   (defaults 200 32 2; runs alternate serve, batch, serve, ...)
# Prints rows/s and completion tokens/s of each run, the medians and their ratio, the batch JVM's peak RSS (the one
# executor of local mode) and the server's, and whether both gave the same text for every prompt.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
rows=${1:-200}; tokens=${2:-32}; reps=${3:-2}
port=${BENCH_PORT:-18124}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./jemma --help >/dev/null 2>&1 || { echo "bench-spark: build failed (run ./jemma --help)" >&2; exit 1; }

python3 - "$rows" >"$work/prompts.jsonl" <<'PY'
import json, sys
items = ["the parcel arrived two days late", "my invoice shows the wrong amount", "the app crashes when I log in",
         "great service, thank you", "I want to cancel my subscription", "the coffee machine is broken again",
         "can I change my delivery address", "the refund has not arrived", "your support team was very helpful",
         "the password reset link does not work", "order 4471 is missing an item", "the train to Lyon was cancelled"]
tasks = ["Classify the sentiment of this message as positive or negative: {} (case {})",
         "Rewrite this politely: {}. Reference {}.", "Extract the main problem in three words: {} (ticket {})",
         "Translate to French: {}. Number {}.", "Which department should handle this, billing or technical? {} (id {})"]
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": i, "prompt": tasks[i % len(tasks)].format(items[(i // len(tasks)) % len(items)], i)}))
PY

serve_run() { # $1 = output file of "id<TAB>text"; prints "seconds tokens rss_kib"
  ./jemma serve --port "$port" --ctx 1024 --parallel 8 >/dev/null 2>"$work/serve.log" &
  local pid=$!
  for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.5; done
  python3 - "$port" "$work/prompts.jsonl" "$tokens" "$1" <<'PY'
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
port, path, tokens, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = [json.loads(l) for l in open(path)]
def ask(r):
    body = json.dumps({"messages": [{"role": "user", "content": r["prompt"]}], "temperature": 0, "max_tokens": tokens}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        a = json.load(resp)
    return r["id"], a["choices"][0]["message"]["content"], a["usage"]["completion_tokens"]
t0 = time.time()
with ThreadPoolExecutor(8) as ex:
    got = list(ex.map(ask, rows))
t = time.time() - t0
with open(out, "w") as f:
    for i, text, _ in got: f.write(json.dumps([i, text]) + "\n")
print(f"{t:.2f} {sum(n for _, _, n in got)}", end=" ")
PY
  echo "$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

batch_run() { # $1 = output file of "id<TAB>text"; prints "job_seconds total_seconds tokens rss_kib"
  rm -rf "$work/out"
  /usr/bin/time -f "%M" -o "$work/rss" ./jemma batch --input "$work/prompts.jsonl" --output "$work/out" --master 'local[2]' \
    --ctx 1024 --slots 8 --temperature 0 --max-tokens "$tokens" >"$work/summary" 2>"$work/batch.log"
  python3 - "$work/out" "$1" <<'PY'
import glob, json, sys
with open(sys.argv[2], "w") as f:
    for p in sorted(glob.glob(sys.argv[1] + "/part-*")):
        for l in open(p):
            r = json.loads(l); f.write(json.dumps([r["id"], r["completion"]]) + "\n")
PY
  local job total tok
  job=$(grep -o 'generation job [0-9.]*' "$work/batch.log" | awk '{print $3}')
  total=$(grep -o ' in [0-9.]* s:' "$work/summary" | awk '{print $2}')
  tok=$(grep -o '[0-9]* completion tokens' "$work/summary" | awk '{print $1}')
  echo "$job $total $tok $(cat "$work/rss")"
}

same() { python3 -c "
import json, sys
a = dict(tuple(json.loads(l)) for l in open(sys.argv[1])); b = dict(tuple(json.loads(l)) for l in open(sys.argv[2]))
print(sum(a[k] == b.get(k) for k in a), len(a))" "$1" "$2"; }

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(grep -m1 -o 'avx512_vnni\|avx512f\|avx2' /proc/cpuinfo | sort -u | xargs)" >&2
echo "rows $rows, max tokens $tokens, greedy, default model (270M + chat adapter), 8 slots, context 1024" >&2
serve_rates=(); batch_rates=(); batch_e2e=()
for rep in $(seq "$reps"); do
  read -r s_sec s_tok s_rss < <(serve_run "$work/serve.txt")
  read -r b_job b_total b_tok b_rss < <(batch_run "$work/batch.txt")
  read -r n_same n_all < <(same "$work/serve.txt" "$work/batch.txt")
  printf 'rep %d  serve: %6.2f s %5d tok %6.1f tok/s %5.2f rows/s RSS %4d MiB | batch job: %6.2f s %5d tok %6.1f tok/s %5.2f rows/s (end to end %6.2f s) RSS %4d MiB | same text %d/%d\n' \
    "$rep" "$s_sec" "$s_tok" "$(echo "$s_tok / $s_sec" | bc -l)" "$(echo "$rows / $s_sec" | bc -l)" "$((s_rss / 1024))" \
    "$b_job" "$b_tok" "$(echo "$b_tok / $b_job" | bc -l)" "$(echo "$rows / $b_job" | bc -l)" "$b_total" "$((b_rss / 1024))" "$n_same" "$n_all"
  serve_rates+=("$(echo "$s_tok / $s_sec" | bc -l)"); batch_rates+=("$(echo "$b_tok / $b_job" | bc -l)")
  batch_e2e+=("$(echo "$b_tok / $b_total" | bc -l)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
ms=$(median "${serve_rates[@]}"); mb=$(median "${batch_rates[@]}"); me=$(median "${batch_e2e[@]}")
printf 'median tok/s: serve %.1f, batch job %.1f (ratio %.2f), batch end to end %.1f (ratio %.2f)\n' \
  "$ms" "$mb" "$(echo "$mb / $ms" | bc -l)" "$me" "$(echo "$me / $ms" | bc -l)"
