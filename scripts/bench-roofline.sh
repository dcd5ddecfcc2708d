#!/usr/bin/env bash
# Decode of the synthetic 1B Q4_0 against the memory roofline measured in the same run: each round measures the
# read bandwidth twice, from Java (JMH BandwidthBench: a 512 MiB buffer summed with vector loads on the engine's
# worker pool) and from C (scripts/read-bandwidth.c, built here with cc: 1 GiB in huge pages, with software prefetch,
# which Java cannot issue and which reads faster), takes the higher as the roofline, then runs `jemma bench` tg128
# with the weights mapped and with --no-mmap. Each decode step streams every tensor once (the
# tied 262,144-row output projection included), so bytes/s = tokens/s × the tensors' bytes (read from the file with
# the gguf package). Prints each round and the medians.
# Usage: scripts/bench-roofline.sh [ROUNDS] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/find-jdk.sh
bash conformance/setup-venv.sh
rounds=${1:-3}; t=${2:-2}
model=$(scripts/make-bench-models.sh "" 1b-q4_0 | tail -1)
./jemma --help >/dev/null 2>&1 # build once, outside the timings
(mvn -q -o -B package -DskipTests -pl jemma-core,jemma-bench 2>/dev/null || mvn -q -B package -DskipTests -pl jemma-core,jemma-bench) >&2
touch jemma-cli/target/.build-stamp
cp="jemma-bench/target/jemma-bench-0.1.0-SNAPSHOT.jar:$(ls jemma-bench/target/lib/*.jar | tr '\n' ':')"
bytes=$(.venv/bin/python -c "import gguf, sys; print(sum(int(t.n_bytes) for t in gguf.GGUFReader(sys.argv[1]).tensors))" "$model")
echo "model: $model ($bytes bytes of tensors)  threads: $t"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs) | flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|f16c|avx512f|avx512_vnni|avx512vnni|avx_vnni)$' | sort -u | xargs)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
probe=""
if command -v "${CC:-cc}" >/dev/null 2>&1 && "${CC:-cc}" -O2 -march=native -pthread scripts/read-bandwidth.c -o "$out/read-bandwidth"; then
  probe="$out/read-bandwidth"
else
  echo "no C compiler: the roofline is the Java read bandwidth alone (a lower bound of the machine's)" >&2
fi
for round in $(seq "$rounds"); do
  "$JAVA" --add-modules jdk.incubator.vector -cp "$cp" org.openjdk.jmh.Main BandwidthBench -p threads="$t" \
    -wi 1 -w 1s -i 3 -r 1s -f 1 -rf json -rff "$out/bw.json" >/dev/null 2>&1
  cbw=0
  [ -n "$probe" ] && cbw=$("$probe" "$t" 1024 5 2>/dev/null)
  mapped=$(./jemma bench --json --model "$model" -p 0 -n 128 -r 3 -t "$t" 2>/dev/null)
  copied=$(./jemma bench --json --no-mmap --model "$model" -p 0 -n 128 -r 3 -t "$t" 2>/dev/null)
  .venv/bin/python - "$round" "$bytes" "$out/bw.json" "$mapped" "$copied" "$cbw" <<'PY' | tee -a "$out/rows"
import json, sys
rnd, size = sys.argv[1], int(sys.argv[2])
jbw = next(r["secondaryMetrics"]["weightBytes"]["score"] for r in json.load(open(sys.argv[3])) if r["benchmark"].endswith("read"))
cbw = float(sys.argv[6])
bw = max(jbw, cbw)
m, c = (json.loads(a)[0]["tokens_per_second_median"] for a in sys.argv[4:6])
print(f"round {rnd}: bandwidth {bw / 1e9:.2f} GB/s (Java {jbw / 1e9:.2f}, C {cbw / 1e9:.2f}) | mapped {m:.2f} tok/s = {m * size / 1e9:.2f} GB/s ({m * size / bw:.0%}) "
      f"| --no-mmap {c:.2f} tok/s = {c * size / 1e9:.2f} GB/s ({c * size / bw:.0%})")
PY
done
