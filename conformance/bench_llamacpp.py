"""llama.cpp (llama-cpp-python) speed on one GGUF, measured like llama-bench, for scripts/bench-compare.sh.

pp: P random tokens through an empty context in one batch; tg: N tokens one at a time from an empty context.
One untimed warm-up of each, then R timed repetitions. Prints a JSON array with the same fields as
`jemma bench --json`.
Run: .venv/bin/python conformance/bench_llamacpp.py --model GGUF -p 512 -n 128 -r 5 -t 2
"""
import argparse
import json
import statistics
import time

import numpy as np
from llama_cpp import Llama


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("-p", type=int, default=512)
    ap.add_argument("-n", type=int, default=128)
    ap.add_argument("-r", type=int, default=5)
    ap.add_argument("-t", type=int, default=2)
    a = ap.parse_args()
    llm = Llama(model_path=a.model, n_ctx=max(a.p, a.n) + 8, n_batch=max(a.p, 1), n_ubatch=max(a.p, 1),
                n_threads=a.t, n_threads_batch=a.t, verbose=False)
    tokens = [int(t) for t in np.random.default_rng(42).integers(0, llm.n_vocab(), size=max(a.p, a.n))]

    def pp():
        llm.reset()
        llm.eval(tokens[:a.p])

    def tg():
        llm.reset()
        for t in tokens[:a.n]:
            llm.eval([t])

    rows = []
    for name, count, fn in (("pp%d" % a.p, a.p, pp), ("tg%d" % a.n, a.n, tg)):
        if count == 0:
            continue
        fn()
        tps = []
        for _ in range(a.r):
            t0 = time.perf_counter()
            fn()
            tps.append(count / (time.perf_counter() - t0))
        rows.append({"test": name, "threads": a.t, "repetitions": a.r,
                     "tokens_per_second_median": statistics.median(tps),
                     "tokens_per_second_min": min(tps), "tokens_per_second_max": max(tps)})
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
