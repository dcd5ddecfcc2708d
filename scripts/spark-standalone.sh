#!/usr/bin/env bash
# A two-worker Spark standalone cluster on this machine (one master JVM, two worker JVMs of 1 core each), running
# the same jemma batch job as local mode; then the cluster is stopped.
# Usage: scripts/spark-standalone.sh [ROWS] [TOKENS]   (defaults 100 16)
# Needs no Spark download: the build's Spark jars (jemma-spark/target/classpath.txt) form a SPARK_HOME. The model
# reaches the executors at the same path (one machine); on a real cluster see docs/SPARK.md.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/find-jdk.sh
rows=${1:-100}; tokens=${2:-16}
./jemma --help >/dev/null 2>&1 || { echo "spark-standalone: build failed" >&2; exit 1; }
[ -f jemma-spark/target/classpath.txt ] && ls jemma-spark/target/*-spark.jar >/dev/null \
  || { echo "spark-standalone: run mvn package first (the shaded jar executors load)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# SPARK_HOME/jars: what Spark's launcher puts on every executor's class path
mkdir -p "$work/spark/jars" "$work/spark/conf"
tr ':' '\n' <jemma-spark/target/classpath.txt | grep -E '\.jar$' | while read -r j; do ln -sf "$j" "$work/spark/jars/"; done
export SPARK_HOME="$work/spark" JAVA_HOME="$(dirname "$(dirname "$JAVA")")" SPARK_LOCAL_IP=127.0.0.1 SPARK_SCALA_VERSION=2.13
cp_all="$work/spark/jars/*"
opens="--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"
# shellcheck disable=SC2086
"$JAVA" $opens -Xmx512m -cp "$cp_all" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 7077 --webui-port 18080 \
  >"$work/master.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do grep -q "I have been elected leader" "$work/master.log" && break; sleep 0.5; done
for w in 1 2; do
  # shellcheck disable=SC2086
  "$JAVA" $opens -Xmx512m -cp "$cp_all" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory 3g \
    --webui-port $((18080 + w)) --work-dir "$work/worker$w" spark://127.0.0.1:7077 >"$work/worker$w.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 60); do [ "$(grep -c 'Registering worker' "$work/master.log")" -ge 2 ] && break; sleep 0.5; done
echo "cluster: master spark://127.0.0.1:7077, $(grep -c 'Registering worker' "$work/master.log") workers (1 core, 3 GiB each)" >&2

python3 - "$rows" >"$work/prompts.jsonl" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": i, "prompt": f"Classify the sentiment as positive or negative: message number {i} says the order was {'late' if i % 2 else 'perfect'}."}))
PY
# the executors' peak resident memory, sampled while the job runs
( while true; do ps -eo rss,args | awk '/CoarseGrainedExecutorBackend/ && !/awk/ {print $1}' >>"$work/exec-rss"; sleep 0.5; done ) &
pids+=($!)
t0=$(date +%s.%N)
JEMMA_JAVA_OPTS="-Dspark.executor.memory=2g -Dspark.executor.cores=1" ./jemma batch --master spark://127.0.0.1:7077 --partitions 2 \
  --input "$work/prompts.jsonl" --output "$work/out-cluster" --ctx 512 --temperature 0 --max-tokens "$tokens"
t1=$(date +%s.%N)
./jemma batch --master 'local[2]' --input "$work/prompts.jsonl" --output "$work/out-local" --ctx 512 --temperature 0 \
  --max-tokens "$tokens"
echo "executors that loaded the model: $(grep -l 'jemma: loaded' "$work"/worker*/app-*/*/stderr 2>/dev/null | wc -l)" >&2
python3 - "$work/out-cluster" "$work/out-local" <<'PY'
import glob, json, sys
def load(d):
    out = {}
    for p in glob.glob(d + "/part-*"):
        for l in open(p):
            r = json.loads(l); assert r["id"] not in out, "row twice"; out[r["id"]] = r["completion"]
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
print(f"cluster rows {len(a)}, local rows {len(b)}, same text {sum(a[k] == b.get(k) for k in a)}/{len(a)}")
PY
printf 'cluster job end to end: %.1f s; peak executor RSS %d MiB\n' "$(echo "$t1 - $t0" | bc -l)" \
  "$(( $(sort -n "$work/exec-rss" 2>/dev/null | tail -1 || echo 0) / 1024 ))"
