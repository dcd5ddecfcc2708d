"""llama.cpp's logits and greedy answers for the real-model cases, the reference of Jemma's native kernels.

Jemma's native kernels (--kernels native) quantize activations and multiply integers as llama.cpp's CPU backend
does, so their conformance is stated against llama.cpp rather than transformers. For the token sequences that
real_model_reference.py wrote (<name>.tokens.json) this runs llama.cpp (the library llama-cpp-python bundles,
2 threads, an f32 KV cache as Jemma's tests use, no flash attention) and writes:
  <name>.llamacpp.logits.npy   float32 [positions, vocabulary]: every position's logits, the sequence evaluated
                               in one batch from an empty cache
  greedy.llamacpp.json         for each prompt of greedy.json: 64 greedy tokens, stopping at <eos> 1 or
                               <end_of_turn> 106 (excluded), and the top-1/top-2 margin of each step

Run: .venv/bin/python conformance/llamacpp_logits_reference.py --model GGUF --dir REFERENCE_DIR
"""
import argparse
import json
import pathlib

import numpy as np

STOP = (1, 106)
F32 = 0  # ggml type id


def load(model, n_ctx):
    from llama_cpp import Llama
    return Llama(model_path=str(model), n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx, n_threads=2, n_threads_batch=2,
                 logits_all=True, type_k=F32, type_v=F32, flash_attn=False, verbose=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    out = pathlib.Path(a.dir)
    names = sorted(p.name[:-len(".tokens.json")] for p in out.glob("*.tokens.json"))
    longest = max(len(json.loads((out / f"{n}.tokens.json").read_text())["tokens"]) for n in names)
    llm = load(a.model, longest)
    for name in names:
        tokens = json.loads((out / f"{name}.tokens.json").read_text())["tokens"]
        llm.reset()
        llm.eval(tokens)
        logits = np.asarray(llm.scores[:len(tokens)], dtype=np.float32)
        tmp = out / f"{name}.llamacpp.logits.npy.tmp"
        with open(tmp, "wb") as f:
            np.save(f, logits)
        tmp.replace(out / f"{name}.llamacpp.logits.npy")
    cases = json.loads((out / "greedy.json").read_text())
    answers = []
    for c in cases:
        prompt = [int(t) for t in c["prompt_ids"]]
        llm.reset()
        llm.eval(prompt)
        generated, margins, stopped = [], [], None
        for _ in range(64):
            row = np.asarray(llm.scores[llm.n_tokens - 1], dtype=np.float64)
            top2 = np.argsort(row)[-2:]
            tok = int(top2[1])
            margins.append(float(row[top2[1]] - row[top2[0]]))
            if tok in STOP:
                stopped = tok
                break
            generated.append(tok)
            llm.eval([tok])
        answers.append({"prompt": c["prompt"], "prompt_ids": prompt, "generated_ids": generated, "stop_token": stopped,
                        "margins": margins})
    tmp = out / "greedy.llamacpp.json.tmp"
    tmp.write_text(json.dumps(answers, indent=1))
    tmp.replace(out / "greedy.llamacpp.json")


if __name__ == "__main__":
    main()
