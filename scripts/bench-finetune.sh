#!/usr/bin/env bash
# The extraction specialist benchmark (docs/BENCHMARKS.md, "Fine-tuning"): the pretrained 270M zero- and few-shot,
# then after one LoRA epoch (and, with FULL=1, one full fine-tuning epoch), scored on held-out rows with the schema
# constraint on and off. Data: bench/extraction (scripts/gen-extraction-data.py, Faker with a fixed seed).
#
#   scripts/bench-finetune.sh [OUT_DIR] [EVAL_ROWS]
#
# Env: EPOCHS (1), LR (5e-4), THREADS (all cores), FULL (0), FULL_LR (5e-5). Results: OUT_DIR/*.json, a table on
# stdout; training logs (LOG.jsonl, one object per step) and peak RSS (from /usr/bin/time when present) in OUT_DIR.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-"$root/target/bench-finetune"}
rows=${2:-100}
threads=${THREADS:-$(nproc)}
mkdir -p "$out"
data="$root/bench/extraction"
head -n "$rows" "$data/eval.jsonl" > "$out/eval.jsonl"
timed() { # peak RSS of a command into $out/$1.rss
  local name=$1; shift
  if [ -x /usr/bin/time ]; then /usr/bin/time -f "%M" -o "$out/$name.rss" "$@"; else "$@"; fi
}
evaluate() { # name, extra eval flags...
  local name=$1; shift
  echo "== eval $name ==" >&2
  "$root/jemma" eval --data "$out/eval.jsonl" --threads "$threads" --max-tokens 96 "$@" > "$out/$name.json"
}

evaluate base-0shot
evaluate base-0shot-schema --json-schema "$data/schema.json"
evaluate base-3shot --shots 3 --shots-from "$data/train.jsonl"
evaluate base-3shot-schema --shots 3 --shots-from "$data/train.jsonl" --json-schema "$data/schema.json"

echo "== LoRA, ${EPOCHS:-1} epoch(s) ==" >&2
timed lora "$root/jemma" finetune --data "$data/train.jsonl" --eval "$out/eval.jsonl" --out "$out/lora.gguf" \
  --epochs "${EPOCHS:-1}" --batch 4 --lr "${LR:-5e-4}" --warmup 10 --seq-len 256 --threads "$threads" \
  --checkpoint-every 50 --log "$out/lora-log.jsonl"
evaluate lora --lora "$out/lora.gguf"
evaluate lora-schema --lora "$out/lora.gguf" --json-schema "$data/schema.json"

if [ "${FULL:-0}" = 1 ]; then
  echo "== full fine-tuning, ${EPOCHS:-1} epoch(s) ==" >&2
  timed full "$root/jemma" finetune --method full --data "$data/train.jsonl" --eval "$out/eval.jsonl" --out "$out/full.gguf" \
    --epochs "${EPOCHS:-1}" --batch 4 --lr "${FULL_LR:-5e-5}" --warmup 10 --seq-len 256 --threads "$threads" \
    --checkpoint-every 50 --log "$out/full-log.jsonl"
  evaluate full --model "$out/full.gguf"
  evaluate full-schema --model "$out/full.gguf" --json-schema "$data/schema.json"
fi

python3 - "$out" <<'EOF'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
print("| model | schema | valid JSON | per-field | whole record | exact |")
print("|---|---|---|---|---|---|")
for name in ["base-0shot", "base-0shot-schema", "base-3shot", "base-3shot-schema", "lora", "lora-schema", "full", "full-schema"]:
    f = out / f"{name}.json"
    if not f.exists():
        continue
    r = json.loads(f.read_text())
    pct = lambda v: "–" if v is None else f"{100 * v:.1f}%"
    print(f"| {name.replace('-schema', '')} | {'on' if name.endswith('schema') else 'off'} | {pct(r['valid_json'])} | "
          f"{pct(r.get('field_accuracy'))} | {pct(r.get('record_accuracy'))} | {pct(r['exact_match'])} |")
for log in ["lora-log.jsonl", "full-log.jsonl"]:
    p = out / log
    if p.exists():
        steps = [json.loads(l) for l in p.read_text().splitlines() if '"loss"' in l]
        tok = sum(s["tokens"] for s in steps)
        secs = steps[-1]["elapsed_seconds"] if steps else 0
        rss = out / (log.split("-")[0] + ".rss")
        print(f"{log}: {len(steps)} steps, {tok} tokens in {secs:.0f} s = {tok / max(secs, 1e-9):.1f} tokens/s"
              + (f", peak RSS {int(rss.read_text().strip()) / 1024:.0f} MiB" if rss.exists() else ""))
EOF
