#!/usr/bin/env bash
# Writes the synthetic 270M- and 1B-shaped Gemma 3 GGUFs used by the speed comparison (once; existing files are
# kept) and prints their paths. Usage: scripts/make-bench-models.sh [OUTDIR] [NAMES...]
#   default OUTDIR ~/.cache/jemma/bench-models; NAMES from 270m-q4_0 270m-q8_0 270m-q4_k_m 1b-q4_0 1b-q8_0
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash conformance/setup-venv.sh
out=${1:-$HOME/.cache/jemma/bench-models}
shift || true
exec .venv/bin/python conformance/gen_bench_models.py "$out" "$@"
