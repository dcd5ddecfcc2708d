"""Reference outputs of the real Gemma 3 270M Q4_K_M, for RealModelConformanceTest.

transformers (fp32, eager attention) runs the GGUF's weights dequantized by the gguf package (norms
converted back from llama.cpp's baked-in 1+w). transformers' own GGUF loader needs `accelerate`; building
the model from the dequantized tensors keeps the dependency list short and makes the weights explicit.

Writes into OUT:
  <text>.tokens.json, <text>.logits.npy  per-position logits [n, vocab] of conformance/texts/<text>.txt
  greedy.json                            64-token greedy answers to 10 chat prompts
  perplexity.json                        llama.cpp (llama-cpp-python) perplexity as llama-perplexity computes it

Run: .venv/bin/python conformance/real_model_reference.py --model GGUF --out DIR
"""
import argparse
import json
import pathlib
import subprocess
import sys
import time

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen_synthetic_models as synth  # noqa: E402  (shares the HF config builder)
import gguf  # noqa: E402

TEXTS = ["english", "chinese", "code"]
MAX_TOKENS = 320
PROMPTS = [
    "What is the capital of France?",
    "List three primary colours.",
    "Translate to German: The weather is nice today.",
    "Write a Python function that returns the square of a number.",
    "Begin a short story about a lost cat.",
    "What is 12 plus 30?",
    "Give me a synonym for happy.",
    "Why is the sky blue?",
    "Name a famous composer.",
    "写一句关于春天的话。",
]
HF_NAMES = {
    "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj", "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
    "attn_output": "self_attn.o_proj", "post_attention_norm": "post_attention_layernorm",
    "ffn_norm": "pre_feedforward_layernorm", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj", "post_ffw_norm": "post_feedforward_layernorm",
}


def field(reader, key):
    return reader.fields[key].contents()


def load_hf_model(path):
    r = gguf.GGUFReader(str(path))
    sd = {}
    for t in r.tensors:
        w = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        w = w.reshape([int(d) for d in reversed(t.shape)]) if w.ndim == 1 and len(t.shape) > 1 else w
        name = t.name
        if name == "token_embd.weight":
            hf = "model.embed_tokens.weight"
        elif name == "output_norm.weight":
            hf = "model.norm.weight"
        else:
            _, layer, kind, _ = name.split(".")
            hf = f"model.layers.{layer}.{HF_NAMES[kind]}.weight"
        if name.endswith("norm.weight"):
            w = w - np.float32(1.0)  # llama.cpp bakes Gemma's (1 + w) into the file
        sd[hf] = torch.from_numpy(np.ascontiguousarray(w))
    case = dict(vocab_rows=sd["model.embed_tokens.weight"].shape[0], hidden=int(field(r, "gemma3.embedding_length")),
                ffn=int(field(r, "gemma3.feed_forward_length")), layers=int(field(r, "gemma3.block_count")),
                heads=int(field(r, "gemma3.attention.head_count")), kv_heads=int(field(r, "gemma3.attention.head_count_kv")),
                head_dim=int(field(r, "gemma3.attention.key_length")), rope_scaling=None, qpas=None,
                window=int(field(r, "gemma3.attention.sliding_window")))
    from transformers import Gemma3ForCausalLM
    cfg = synth.hf_config(case)
    cfg.max_position_embeddings = int(field(r, "gemma3.context_length"))
    model = Gemma3ForCausalLM(cfg).to(torch.float32)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert [m for m in missing if m != "lm_head.weight"] == [] and not unexpected, (missing, unexpected)
    model.tie_weights()
    model.eval()
    return model


def hf_tokenizer():
    tok_json = pathlib.Path(subprocess.check_output(["bash", str(HERE / "fetch-tokenizer.sh")], text=True).strip())
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(str(tok_json.parent))


def perplexity_llamacpp(model_path, text, ctx):
    from llama_cpp import Llama
    llm = Llama(model_path=str(model_path), n_ctx=ctx, n_batch=ctx, n_threads=2, logits_all=True, verbose=False)
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
    n_chunks = len(tokens) // ctx
    first = ctx // 2
    nll, count = 0.0, 0
    for c in range(n_chunks):
        chunk = list(tokens[c * ctx:(c + 1) * ctx])
        chunk[0] = llm.token_bos()
        llm.reset()
        llm.eval(chunk)
        logits = np.asarray(llm.scores[:ctx], dtype=np.float64)
        for j in range(first, ctx - 1):
            row = logits[j]
            m = row.max()
            lse = m + np.log(np.exp(row - m).sum())
            nll += lse - row[tokens[c * ctx + j + 1]]
            count += 1
    return float(np.exp(nll / count)), tokens, n_chunks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ppl-text", default=str(HERE.parent.parent / "shared/conformance/tokenizer/perf_text_1mb.txt"))
    ap.add_argument("--ppl-chars", type=int, default=6000)
    ap.add_argument("--ctx", type=int, default=512)
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    t0 = time.time()
    model = load_hf_model(args.model)
    tok = hf_tokenizer()
    print(f"loaded in {time.time() - t0:.1f} s", file=sys.stderr)

    for name in TEXTS:
        text = (HERE / "texts" / f"{name}.txt").read_text(encoding="utf-8")
        ids = [2] + tok.encode(text, add_special_tokens=False)
        ids = ids[:MAX_TOKENS]
        assert len(ids) >= 256, (name, len(ids))
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids]), use_cache=False).logits[0].numpy().astype(np.float32)
        np.save(out / f"{name}.logits.npy", logits)
        (out / f"{name}.tokens.json").write_text(json.dumps({"tokens": ids}))
        print(f"{name}: {len(ids)} tokens", file=sys.stderr)

    greedy = []
    for p in PROMPTS:
        prompt = tok.apply_chat_template([{"role": "user", "content": p}], tokenize=True, add_generation_prompt=True)
        if not isinstance(prompt, list):
            prompt = prompt["input_ids"]
        with torch.no_grad():
            gen = model.generate(torch.tensor([prompt]), max_new_tokens=64, do_sample=False,
                                 eos_token_id=[1, 106], pad_token_id=0)
        new = [int(t) for t in gen[0][len(prompt):]]
        stopped = bool(new) and new[-1] in (1, 106)
        greedy.append({"prompt": p, "prompt_ids": [int(t) for t in prompt],
                       "generated_ids": new[:-1] if stopped else new, "stopped": stopped})
    (out / "greedy.json").write_text(json.dumps(greedy, ensure_ascii=False, indent=1))
    print(f"greedy done at {time.time() - t0:.1f} s", file=sys.stderr)

    text = pathlib.Path(args.ppl_text).read_text(encoding="utf-8")[:args.ppl_chars]
    ppl, tokens, chunks = perplexity_llamacpp(args.model, text, args.ctx)
    (out / "perplexity.txt").write_text(text, encoding="utf-8")
    (out / "perplexity.json").write_text(json.dumps({"ppl": ppl, "ctx": args.ctx, "chunks": chunks,
                                                      "tokens": [int(t) for t in tokens]}))
    print(f"llama.cpp perplexity {ppl:.4f} over {chunks} chunks; total {time.time() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
