"""Time from launching `./jemma run` to the first byte of the answer on stdout (JVM start, model load, tokenizer,
prefill and the first decode step included), for a prompt of about 20 tokens. Runs it R times, prints each and
the median. Usage: python3 scripts/first-token-latency.py [R] [extra jemma args...]"""
import os
import statistics
import subprocess
import sys
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
extra = sys.argv[2:]
prompt = "The capital of France is a city with a long history. Tell me three facts about it."
subprocess.run([os.path.join(root, "jemma"), "--help"], capture_output=True)  # build outside the timing
times = []
for i in range(runs):
    t0 = time.perf_counter()
    p = subprocess.Popen([os.path.join(root, "jemma"), "run", "--raw", "--temperature", "0", "-n", "16", *extra, prompt],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first = p.stdout.read(1)
    t1 = time.perf_counter()
    p.stdout.read()
    p.wait()
    times.append(t1 - t0)
    print(f"run {i + 1}: first byte {first!r} after {t1 - t0:.3f} s", file=sys.stderr)
print(f"first token after launch: median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}) over {runs} runs")
