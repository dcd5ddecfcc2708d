"""Prints JMH JSON results of jemma-bench as a table: weight GB/s, GMAC/s and the share of the memory
bandwidth measured in the same run (BandwidthBench with the same thread count)."""
import json
import sys

rows = []
for path in sys.argv[1:]:
    with open(path) as f:
        rows.extend(json.load(f))

def rate(r, name):
    m = r.get("secondaryMetrics", {}).get(name)
    return m["score"] if m else 0.0

bandwidth = {}
for r in rows:
    if r["benchmark"].endswith("BandwidthBench.read"):
        bandwidth[int(r["params"]["threads"])] = rate(r, "weightBytes")

print(f"{'benchmark':<24} {'tensor':<26} {'thr':>3} {'tok':>3} {'GB/s':>7} {'GMAC/s':>7} {'of BW':>6}")
for r in rows:
    b = r["benchmark"].split(".")[-2] + "." + r["benchmark"].split(".")[-1]
    p = r.get("params", {})
    if p.get("invariant") == "true":
        b += " (invariant)"
    threads = int(p.get("threads", 1))
    gbs = rate(r, "weightBytes") / 1e9
    gmacs = rate(r, "macs") / 1e9
    bw = bandwidth.get(threads, 0) / 1e9
    share = f"{gbs / bw:6.0%}" if bw and not b.startswith("BandwidthBench") else ""
    print(f"{b:<24} {p.get('tensor', '-'):<26} {threads:>3} {p.get('tokens', '-'):>3} {gbs:7.2f} {gmacs:7.2f} {share:>6}")
for t, v in sorted(bandwidth.items()):
    print(f"memory read bandwidth, {t} thread(s): {v / 1e9:.2f} GB/s")
