#!/usr/bin/env bash
# Many specialists on one base (docs/BENCHMARKS.md, "Many adapters in one batch"): aggregate decode tokens/s on the
# server's batched, batch-invariant path for 1 and 8 streams with no adapter, one adapter shared by every stream,
# and 8 different adapters (one per stream), rank 8 and 16 on all seven projections, all measured in turn,
# repetition by repetition, in one process per rank; then the ratios the adapters issue asks for. Random adapters
# written to a file and read back, as a server holds them (speed does not depend on their values).
#
#   scripts/bench-adapters.sh [N_GEN] [REPS]      (defaults 64 and 5)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-64}
reps=${2:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for r in 8 16; do
  echo "== rank $r ==" >&2
  "$root/jemma" bench -p 0 -n "$n" -r "$reps" -b 1,8 --adapters 0,1,8 --adapter-rank "$r" --json > "$out/r$r.json"
done
python3 - "$out" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1])
print("| streams | adapters | rank 8 | rank 16 |")
print("|---|---|---|---|")
t = {}
for r in (8, 16):
    for row in json.loads((d / f"r{r}.json").read_text()):
        t[(r, row["test"].split(" ", 1)[1])] = row["tokens_per_second_median"]
def v(r, key): return t[(r, key)]
for label, key in (("1 / none", "x1"), ("1 / one", f"x1 lora1r{{r}}"), ("8 / none", "x8"),
                   ("8 / one, shared", f"x8 lora1r{{r}}"), ("8 / eight different", f"x8 lora8r{{r}}")):
    s, a = label.split(" / ")
    print(f"| {s} | {a} | {v(8, key.format(r=8)):.1f} | {v(16, key.format(r=16)):.1f} |")
for r in (8, 16):
    one1, one8, eight8, none1 = v(r, f"x1 lora1r{r}"), v(r, f"x8 lora1r{r}"), v(r, f"x8 lora8r{r}"), v(r, "x1")
    print(f"rank {r}: 8 adapters / 1 adapter (8 streams) = {eight8 / one8:.1%} (target >= 85%); "
          f"8 adapters / 1 stream = {eight8 / one1:.2f}x (target >= 3x); "
          f"single-stream overhead of an adapter = {none1 / one1 - 1:.1%} per token (target <= 10%)", file=sys.stderr)
PY
