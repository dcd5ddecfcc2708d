#!/usr/bin/env bash
# Training speed against PyTorch in one interleaved run (the ratio is what to trust on a shared machine):
# TrainBench (this tree) and scripts/bench-train-torch.py in turn, LoRA and full fine-tuning, R rounds, the same
# micro-batches (4 sequences × 128 tokens, the last 40% labelled) and threads. Prints each run and the ratios.
#
#   scripts/bench-train-compare.sh [ROUNDS=2] [THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2} THREADS=${2:-2}
PY=${JEMMA_PYTHON:-.venv/bin/python}
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(grep -m1 -o -w -E 'avx512f|avx512_vnni|avx2' /proc/cpuinfo | sort -u | xargs)" >&2
for r in $(seq 1 "$ROUNDS"); do
  for mode in lora full; do
    J=$(scripts/bench-train.sh -- 4 128 "$THREADS" 3 2 "$mode" 2>&1 | awk '{for (i = 1; i < NF; i++) if ($i == "RESULT") print $(i + 1)}')
    T=$("$PY" scripts/bench-train-torch.py --threads "$THREADS" --steps 3 --warmup 1 --modes "$mode" 2>/dev/null \
        | grep -o -E '[0-9.]+ tokens/s over' | head -1 | awk '{print $1}')
    echo "round $r $mode: jemma $J tokens/s, pytorch $T tokens/s, jemma/pytorch $(awk -v a="$J" -v b="$T" 'BEGIN {printf "%.2f", a / b}')"
  done
done
