"""llama.cpp (llama-cpp-python) prompt and generation speed on one GGUF, for scripts/bench-compare.sh.

Prints one JSON line: {"pp_tokens", "pp_tps", "tg_tokens", "tg_tps"}: prompt processing of the given
token ids in one batch, then greedy generation of --gen tokens one at a time.
Run: .venv/bin/python conformance/bench_llamacpp.py --model GGUF --prompt TEXT --gen N --threads 2
"""
import argparse
import json
import time

import numpy as np
from llama_cpp import Llama


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompt", required=True)
    ap.add_argument("--gen", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    llm = Llama(model_path=a.model, n_ctx=2048, n_batch=512, n_threads=a.threads, n_threads_batch=a.threads, verbose=False)
    tokens = llm.tokenize(a.prompt.encode("utf-8"), add_bos=True, special=False)
    t0 = time.perf_counter()
    llm.eval(tokens)
    t1 = time.perf_counter()
    for _ in range(a.gen):
        nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        llm.eval([nxt])
    t2 = time.perf_counter()
    print(json.dumps({"pp_tokens": len(tokens), "pp_tps": len(tokens) / (t1 - t0),
                      "tg_tokens": a.gen, "tg_tps": a.gen / (t2 - t1)}))


if __name__ == "__main__":
    main()
