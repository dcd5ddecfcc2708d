#!/usr/bin/env bash
# JMH microbenchmarks of the kernels (jemma-bench): per-type dot and dequantize on one thread, the matrix product
# on the worker pool, and the memory read bandwidth they are judged against. Real tensors of the default 270M
# (Q8_0, Q5_0, Q4_K, Q6_K) and of the synthetic 1B Q4_0 file (scripts/make-bench-models.sh).
# Usage: scripts/bench-kernels.sh [--quick]   (--quick: 1 warm-up and 2 measured iterations of 1 s)
# Prints a table (GB/s of weights read, GMAC/s, share of the measured 1-thread bandwidth); JSON in target/jmh/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/find-jdk.sh
iters=()
[ "${1:-}" = "--quick" ] && iters=(-wi 1 -w 1s -i 2 -r 1s)

./jemma info >/dev/null  # builds the project and installs the default model if needed
real="${JEMMA_CACHE:-$HOME/.cache/jemma}/models/gemma-3-270m-q4_k_m.gguf"
q40=$(scripts/make-bench-models.sh "" 1b-q4_0 | tail -1)
(mvn -q -o -B package -DskipTests -pl jemma-core,jemma-bench 2>/dev/null || mvn -q -B package -DskipTests -pl jemma-core,jemma-bench) >&2
cp="jemma-bench/target/jemma-bench-0.1.0-SNAPSHOT.jar:$(ls jemma-bench/target/lib/*.jar | tr '\n' ':')"
out=target/jmh
mkdir -p "$out"
jmh() { # name, then JMH arguments
  local name=$1; shift
  "$JAVA" --add-modules jdk.incubator.vector -cp "$cp" org.openjdk.jmh.Main "$@" "${iters[@]}" \
    -rf json -rff "$out/$name.json" >&2
}
jmh bandwidth 'BandwidthBench'
jmh kernels-270m 'KernelBench' -p model="$real" \
  -p tensor=token_embd.weight,blk.0.ffn_gate.weight,blk.0.attn_output.weight,blk.0.ffn_down.weight,blk.0.attn_v.weight
jmh kernels-1b-q4_0 'KernelBench' -p model="$q40" -p tensor=blk.0.ffn_gate.weight
jmh matmul-270m 'MatMulBench' -p model="$real" -p tensor=token_embd.weight,blk.0.ffn_gate.weight -p tokens=1,32
# a prefill chunk through the token tile against the dot-product form (the batch-invariant product)
jmh matmul-tile 'MatMulBench' -p model="$real" -p tensor=blk.0.ffn_gate.weight,blk.0.ffn_down.weight -p tokens=128 \
  -p invariant=false,true
python3 conformance/jmh_table.py "$out"/bandwidth.json "$out"/kernels-270m.json "$out"/kernels-1b-q4_0.json \
  "$out"/matmul-270m.json "$out"/matmul-tile.json
