#!/usr/bin/env bash
# Many specialists on one base (docs/BENCHMARKS.md, "Many adapters in one batch"): aggregate decode tokens/s on the
# server's batched, batch-invariant path for 1 and 8 streams with no adapter, one adapter shared by all streams, and
# 8 different adapters (one per stream), rank 8 and 16 on all seven projections; then the ratios the adapters
# issue asks for. Random adapters (speed does not depend on their values).
#
#   scripts/bench-adapters.sh [N_GEN] [REPS]      (defaults 64 and 3)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-64}
reps=${2:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { # name, bench flags...
  local name=$1; shift
  echo "== $name ==" >&2
  "$root/jemma" bench -p 0 -n "$n" -r "$reps" --json "$@" > "$out/$name.json"
}
run none -b 1,8
for r in 8 16; do
  run "one-r$r" -b 1,8 --adapters 1 --adapter-rank "$r"
  run "eight-r$r" -b 8 --adapters 8 --adapter-rank "$r"
done
python3 - "$out" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1])
def tps(name, batch):
    for r in json.loads((d / f"{name}.json").read_text()):
        if f" x{batch}" in r["test"]:
            return r["tokens_per_second_median"]
    raise SystemExit(f"no x{batch} row in {name}")
base1, base8 = tps("none", 1), tps("none", 8)
print(f"| streams | adapters | rank | aggregate t/s |")
print(f"|---|---|---|---|")
print(f"| 1 | none | – | {base1:.1f} |")
print(f"| 8 | none | – | {base8:.1f} |")
for r in (8, 16):
    one1, one8, eight8 = tps(f"one-r{r}", 1), tps(f"one-r{r}", 8), tps(f"eight-r{r}", 8)
    print(f"| 1 | 1 | {r} | {one1:.1f} |")
    print(f"| 8 | 1 shared | {r} | {one8:.1f} |")
    print(f"| 8 | 8 different | {r} | {eight8:.1f} |")
    print(f"rank {r}: 8 adapters / 1 adapter (8 streams) = {eight8 / one8:.1%} (target >= 85%); "
          f"8 adapters / 1 stream = {eight8 / one1:.2f}x (target >= 3x); "
          f"single-stream overhead of an adapter = {base1 / one1 - 1:.1%} per token (target <= 10%)", file=sys.stderr)
PY
