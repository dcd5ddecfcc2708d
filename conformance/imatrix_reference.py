#!/usr/bin/env python3
"""Importance-matrix reference: what llama-imatrix accumulates, computed with transformers' forward hooks.

Usage: .venv/bin/python conformance/imatrix_reference.py HF_FOLDER TOKENS_JSON CTX > out.json

TOKENS_JSON holds {"tokens": [...]}. The tokens are cut into chunks of CTX, each chunk's first token replaced by
BOS (2), each chunk run alone in float32 (eager attention); for every q/k/v/o/gate/up/down projection of every
layer the squares of its input's columns are summed over all tokens, with the token count. Output:
{"blk.L.attn_q.weight": {"sums": [...], "count": N}, ...} in llama.cpp's names.
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM

NAMES = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
         "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
         "mlp.down_proj": "ffn_down"}


def main(folder, tokens_json, ctx):
    torch.set_num_threads(1)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    tokens = json.load(open(tokens_json))["tokens"]
    sums, counts = {}, {}

    def hook(name):
        def f(_module, args):
            x = args[0].detach().to(torch.float64).reshape(-1, args[0].shape[-1])
            sums[name] = sums.get(name, 0) + (x * x).sum(0)
            counts[name] = counts.get(name, 0) + x.shape[0]
        return f

    for mod_name, mod in model.named_modules():
        for suffix, short in NAMES.items():
            if mod_name.endswith(suffix) and ".layers." in mod_name:
                layer = int(mod_name.split(".layers.")[1].split(".")[0])
                mod.register_forward_pre_hook(hook(f"blk.{layer}.{short}.weight"))
    with torch.no_grad():
        for c in range(len(tokens) // ctx):
            chunk = list(tokens[c * ctx:(c + 1) * ctx])
            chunk[0] = 2
            model(torch.tensor([chunk]), use_cache=False)
    print(json.dumps({k: {"sums": v.tolist(), "count": counts[k]} for k, v in sums.items()}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
