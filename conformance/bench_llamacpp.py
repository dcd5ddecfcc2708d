"""llama.cpp (llama-cpp-python) speed on one GGUF, measured like llama-bench, for scripts/bench-compare.sh.

pp: P random tokens through an empty context, in batches of 2,048 and micro-batches of 512 as llama-bench's defaults
(one batch of P up to 512); tg: N tokens one at a time from an empty context. --flash-attn turns on llama.cpp's
flash attention (off by default here, as in llama-cpp-python).
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
    ap.add_argument("--flash-attn", action="store_true")
    a = ap.parse_args()
    batch = max(min(a.p, 2048), 1)
    llm = Llama(model_path=a.model, n_ctx=max(a.p, a.n) + 8, n_batch=batch, n_ubatch=min(batch, 512),
                n_threads=a.t, n_threads_batch=a.t, flash_attn=a.flash_attn, verbose=False)
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
