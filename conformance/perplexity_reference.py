"""llama.cpp's perplexity of a GGUF model on a text, computed the way `llama-perplexity` computes it.

llama-cpp-python runs the model (the llama.cpp library it bundles); the chunking and scoring follow
llama-perplexity's default mode:
  * the whole text is tokenized once, with BOS, without parsing special-token text;
  * n_chunks = len(tokens) // ctx; chunk c is tokens[c*ctx, (c+1)*ctx) with its first token replaced by BOS,
    evaluated from an empty KV cache;
  * only positions j in [ctx/2, ctx-1) are scored: -log softmax(logits[j])[token c*ctx+j+1], so every scored
    token sees at least ctx/2 tokens of context;
  * ppl = exp(mean of those negative log-likelihoods over all chunks).

Run: .venv/bin/python conformance/perplexity_reference.py --model GGUF --text FILE --ctx 512 [--json OUT]
Prints the perplexity on stdout; with --json also writes {"ppl", "ctx", "chunks", "scored", "chunk_ppl",
"tokens"} (the tokens are llama.cpp's, BOS first, so another engine can score exactly the same sequence).
"""
import argparse
import json
import math
import pathlib
import sys
import time

import numpy as np


def llama_perplexity(model_path, text, ctx, threads=2):
    from llama_cpp import Llama
    llm = Llama(model_path=str(model_path), n_ctx=ctx, n_batch=ctx, n_ubatch=ctx, n_threads=threads,
                n_threads_batch=threads, logits_all=True, verbose=False)
    tokens = [int(t) for t in llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)]
    n_chunks = len(tokens) // ctx
    if n_chunks == 0:
        raise SystemExit(f"the text has {len(tokens)} tokens, fewer than one chunk of {ctx}")
    first = ctx // 2
    bos = llm.token_bos()
    nll, count, chunk_ppl = 0.0, 0, []
    for c in range(n_chunks):
        chunk = tokens[c * ctx:(c + 1) * ctx]
        chunk[0] = bos
        llm.reset()
        llm.eval(chunk)
        logits = np.asarray(llm.scores[:ctx], dtype=np.float64)
        chunk_nll = 0.0
        for j in range(first, ctx - 1):
            row = logits[j]
            m = row.max()
            chunk_nll += m + math.log(np.exp(row - m).sum()) - row[tokens[c * ctx + j + 1]]
        nll += chunk_nll
        count += ctx - 1 - first
        chunk_ppl.append(math.exp(chunk_nll / (ctx - 1 - first)))
    return {"ppl": math.exp(nll / count), "ctx": ctx, "chunks": n_chunks, "scored": count,
            "chunk_ppl": chunk_ppl, "tokens": tokens}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--text", required=True)
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="also write the result and llama.cpp's tokens here")
    args = ap.parse_args()
    t0 = time.time()
    text = pathlib.Path(args.text).read_text(encoding="utf-8")
    r = llama_perplexity(args.model, text, args.ctx, args.threads)
    print(f"{r['ppl']:.6f}")
    print(f"llama.cpp perplexity {r['ppl']:.4f}: {len(r['tokens'])} tokens, {r['chunks']} chunks of {args.ctx}, "
          f"{r['scored']} scored; per chunk {[round(p, 3) for p in r['chunk_ppl']]}; {time.time() - t0:.1f} s",
          file=sys.stderr)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(r))


if __name__ == "__main__":
    main()
