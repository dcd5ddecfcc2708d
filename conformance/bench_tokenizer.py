"""Hugging Face `tokenizers` (Rust) encode throughput on one file, one thread, for scripts/bench-tokenizer.sh.

Loads tokenizer.json (conformance/fetch-tokenizer.sh puts the real one under conformance/.cache), encodes the
whole file once untimed, then R timed times. Prints a JSON array shaped like `jemma bench --tokenize --json`.
Run: RAYON_NUM_THREADS=1 .venv/bin/python conformance/bench_tokenizer.py --tokenizer T.json --file F -r 5
"""
import argparse
import json
import statistics
import time

from tokenizers import Tokenizer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("-r", type=int, default=5)
    a = ap.parse_args()
    tok = Tokenizer.from_file(a.tokenizer)
    text = open(a.file, encoding="utf-8", newline="").read()  # keep \r as it is, as Java reads it
    data = len(text.encode("utf-8"))
    ids = len(tok.encode(text, add_special_tokens=False).ids)
    rates = []
    for _ in range(a.r):
        t0 = time.perf_counter()
        tok.encode(text, add_special_tokens=False)
        rates.append(data / 1e6 / (time.perf_counter() - t0))
    print(json.dumps([{"test": "tokenize", "bytes": data, "tokens": ids, "threads": 1, "repetitions": a.r,
                       "mb_per_second_median": statistics.median(rates), "mb_per_second_min": min(rates),
                       "mb_per_second_max": max(rates)}]))


if __name__ == "__main__":
    main()
