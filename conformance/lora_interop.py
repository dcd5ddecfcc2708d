#!/usr/bin/env python3
"""LoRA adapters: Jemma against llama.cpp (and PEFT), in both directions.

Two modes.

  make [--llama-cpp DIR]
      Writes jemma-core/src/test/resources/fixtures/lora/ from the synthetic f32_two_global model:
        1. builds the transformers Gemma3ForCausalLM with model.gguf's weights (fp32, eager attention),
        2. wraps it in a PEFT LoRA (rank 4, alpha 8, all seven projections, random A and B, fixed seed),
        3. saves it with save_pretrained and converts it with llama.cpp's own convert_lora_to_gguf.py
           (--outtype f32; DIR is a llama.cpp tree, e.g. the llama-cpp-python 0.3.36 sdist's vendor/llama.cpp:
           `pip download llama-cpp-python==0.3.36 --no-deps --no-binary :all:` and unpack) -> adapter.gguf,
        4. evaluates llama-cpp-python with Llama(model.gguf, lora_path=adapter.gguf, logits_all=True) on the case's
           tokens -> logits_llamacpp.npy, after checking llama.cpp's log: an adapter it rejects ("incorrect shape",
           "failed to ...") or ignores (logits equal to the base's) is an error, never a fixture,
        5. the PEFT model's own logits -> logits_peft_hf.npy, and info.json (how, and the measured gaps).
      Jemma's LoraInteropTest then reads adapter.gguf and must match logits_llamacpp.npy (llama.cpp reads a
      PEFT-made adapter; Jemma reads the same file).

  logits --model M --lora FILE --scale S --tokens a,b,c --out X.npy
      llama-cpp-python logits of every position for M with the adapter FILE at scale S, the log checked as above.
      The Java test calls this (through JEMMA_PYTHON) on an adapter Jemma wrote, so llama.cpp reads Jemma's file.

Run from the repository root with the pinned venv: .venv/bin/python conformance/lora_interop.py make --llama-cpp DIR
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "jemma-core" / "src" / "test" / "resources" / "fixtures" / "synthetic" / "f32_two_global"
OUT = ROOT / "jemma-core" / "src" / "test" / "resources" / "fixtures" / "lora"
RANK, ALPHA, SEED = 4, 8.0, 20251202
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
REJECTED = ("incorrect shape", "failed to load", "failed to apply", "does not exist in base model",
            "unexpected suffix", "missing one component", "mismatch", "not transposed")


# ---------------------------------------------------------------------------------------------
# llama.cpp
# ---------------------------------------------------------------------------------------------

def llamacpp_logits(model: Path, tokens: list[int], lora: Path | None, scale: float = 1.0) -> tuple[np.ndarray, str]:
    """Logits of every position, and llama.cpp's log (native stderr, captured), checked for rejections."""
    from llama_cpp import Llama
    n = len(tokens)
    kwargs = dict(model_path=str(model), logits_all=True, n_ctx=max(64, n), n_batch=max(64, n), n_ubatch=max(64, n),
                  n_threads=2, n_threads_batch=2, verbose=True, seed=0, type_k=0, type_v=0, flash_attn=False)
    if lora is not None:
        kwargs.update(lora_path=str(lora), lora_scale=float(scale))
    with tempfile.TemporaryFile(mode="w+b") as log:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)
        error = None
        try:
            llm = Llama(**kwargs)
            try:
                llm.eval(tokens)
                scores = np.array(llm.scores[:n], dtype=np.float32)
            finally:
                llm.close()
        except Exception as e:  # reported below, with the log that explains it
            error = e
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    bad = [line for line in text.splitlines() if any(r in line for r in REJECTED) and "lora" in line.lower() or "incorrect shape" in line]
    if error is not None or bad:
        raise SystemExit(f"llama.cpp did not take the adapter {lora}: {error!r}\n" + "\n".join(bad or text.splitlines()[-20:]))
    if lora is not None and "lora" not in text.lower():
        raise SystemExit(f"llama.cpp's log never mentions the adapter {lora}; was it loaded?\n{text[-2000:]}")
    return scores, text


def check_effect(base: np.ndarray, adapted: np.ndarray, what: str) -> float:
    moved = float(np.max(np.abs(base - adapted)))
    if moved < 1e-2:
        raise SystemExit(f"{what}: the adapter moved the logits by only {moved} (ignored?)")
    return moved


# ---------------------------------------------------------------------------------------------
# transformers + PEFT
# ---------------------------------------------------------------------------------------------

def hf_model(case: dict, model_path: Path):
    import torch
    import gguf
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig
    cfg = Gemma3TextConfig(
        vocab_size=case["vocab_rows"], hidden_size=case["hidden"], intermediate_size=case["ffn"],
        num_hidden_layers=case["layers"], num_attention_heads=case["heads"], num_key_value_heads=case["kv_heads"],
        head_dim=case["head_dim"], hidden_activation="gelu_pytorch_tanh", max_position_embeddings=512,
        rms_norm_eps=case["rms_norm_eps"], tie_word_embeddings=True, rope_parameters=case["hf_rope_parameters"],
        query_pre_attn_scalar=case["query_pre_attn_scalar"], sliding_window=case["window"],
        layer_types=case["hf_layer_types"], final_logit_softcapping=None, attn_logit_softcapping=None,
        pad_token_id=0, bos_token_id=2, eos_token_id=1)
    cfg._attn_implementation = "eager"
    cfg.architectures = ["Gemma3ForCausalLM"]
    reader = gguf.GGUFReader(str(model_path))
    names = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
             "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
             "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "attn_q_norm": "self_attn.q_norm",
             "attn_k_norm": "self_attn.k_norm", "post_attention_norm": "post_attention_layernorm",
             "ffn_norm": "pre_feedforward_layernorm", "post_ffw_norm": "post_feedforward_layernorm"}
    sd = {}
    for t in reader.tensors:
        assert t.tensor_type == gguf.GGMLQuantizationType.F32, (t.name, t.tensor_type)
        w = np.array(t.data, dtype=np.float32).reshape([int(d) for d in reversed(t.shape)])
        if t.name == "token_embd.weight":
            sd["model.embed_tokens.weight"] = w
        elif t.name == "output_norm.weight":
            sd["model.norm.weight"] = w - np.float32(1)
        else:
            _, layer, role, _ = t.name.split(".")
            hf = f"model.layers.{layer}.{names[role]}.weight"
            sd[hf] = w - np.float32(1) if role.endswith("norm") else w
    torch.manual_seed(0)
    model = Gemma3ForCausalLM(cfg).to(torch.float32)
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}, strict=False)
    assert [m for m in missing if m != "lm_head.weight"] == [] and not unexpected, (missing, unexpected)
    model.tie_weights()
    model.eval()
    return model


def make(llama_cpp: Path):
    import torch
    from peft import LoraConfig, get_peft_model
    convert = llama_cpp / "convert_lora_to_gguf.py"
    if not convert.exists():
        raise SystemExit(f"{convert} not found: pass --llama-cpp with a llama.cpp tree (see the module docstring)")
    case = json.loads((CASE / "case.json").read_text())
    tokens = json.loads((CASE / "tokens.json").read_text())["tokens"]
    model_path = CASE / "model.gguf"
    OUT.mkdir(parents=True, exist_ok=True)
    base = hf_model(case, model_path)
    with torch.no_grad():
        base_hf = base(input_ids=torch.tensor([tokens]), use_cache=False).logits[0].numpy()
    peft_model = get_peft_model(base, LoraConfig(r=RANK, lora_alpha=ALPHA, target_modules=TARGETS, lora_dropout=0.0,
                                                 init_lora_weights=True))
    g = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_A" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
            elif "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
        peft_logits = peft_model(input_ids=torch.tensor([tokens]), use_cache=False).logits[0].numpy()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        peft_model.save_pretrained(tmp / "peft")
        base.config.save_pretrained(tmp / "base")
        out = OUT / "adapter.gguf"
        cmd = [sys.executable, str(convert), str(tmp / "peft"), "--base", str(tmp / "base"), "--outtype", "f32", "--outfile", str(out)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"convert_lora_to_gguf.py failed:\n{r.stdout}\n{r.stderr}")
    base_lc, _ = llamacpp_logits(model_path, tokens, None)
    lc, log = llamacpp_logits(model_path, tokens, out)
    moved = check_effect(base_lc, lc, "llama.cpp with the converted adapter")
    np.save(OUT / "logits_llamacpp.npy", lc)
    np.save(OUT / "logits_peft_hf.npy", peft_logits.astype(np.float32))
    info = {
        "base": "synthetic/f32_two_global/model.gguf", "tokens": "synthetic/f32_two_global/tokens.json",
        "rank": RANK, "alpha": ALPHA, "scale": ALPHA / RANK, "targets": TARGETS, "seed": SEED,
        "peft_init": "A ~ N(0, 0.1^2), B ~ N(0, 0.05^2) (B is non-zero so the adapter acts)",
        "converter": "llama.cpp convert_lora_to_gguf.py --outtype f32 (llama-cpp-python 0.3.36 sdist, vendor/llama.cpp)",
        "max_abs_llamacpp_adapter_vs_base": moved,
        "max_abs_peft_hf_vs_llamacpp": float(np.max(np.abs(peft_logits - lc))),
        "max_abs_hf_base_vs_llamacpp_base": float(np.max(np.abs(base_hf - base_lc))),
        "llamacpp_log_lora_lines": [l for l in log.splitlines() if "lora" in l.lower()][:8],
    }
    (OUT / "info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    m = sub.add_parser("make")
    m.add_argument("--llama-cpp", type=Path, required=True)
    lg = sub.add_parser("logits")
    lg.add_argument("--model", type=Path, required=True)
    lg.add_argument("--lora", type=Path, help="the adapter; without it, the model's own logits (e.g. a fine-tuned GGUF)")
    lg.add_argument("--scale", type=float, default=1.0)
    lg.add_argument("--tokens", required=True)
    lg.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    if a.mode == "make":
        make(a.llama_cpp)
    else:
        tokens = [int(t) for t in a.tokens.split(",")]
        base, _ = llamacpp_logits(a.model, tokens, None)
        if a.lora is None:
            np.save(a.out, base)
            return
        lc, _ = llamacpp_logits(a.model, tokens, a.lora, a.scale)
        check_effect(base, lc, f"llama.cpp with {a.lora}")
        np.save(a.out, lc)


if __name__ == "__main__":
    main()
