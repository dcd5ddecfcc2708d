#!/usr/bin/env python3
"""A full-size Gemma 3 vision tower with random weights, for speed only: SigLIP-So400m (896 px, 14 px patches,
width 1152, MLP 4304, 27 blocks, 16 heads) and the Gemma 3 projector (4×4 pooling to 256 tokens), written as
llama.cpp's mmproj GGUF (F16 matrices, F32 norms, biases, patch and position embeddings, as convert_hf_to_gguf.py
--mmproj writes them). The projection goes to width PROJ (default 640, the 270M's hidden size, so the real 270M
can stand in for the text model: the tower's cost does not depend on it).

    .venv/bin/python conformance/gen_vision_bench_model.py OUT.gguf [PROJ]

Deterministic (numpy default_rng(7)); ~840 MB; about a minute. Pins: gguf 0.19.0, numpy 2.4.6.
"""
import sys

import numpy as np
from gguf import GGUFWriter, GGMLQuantizationType

D, FFN, BLOCKS, HEADS, IMAGE, PATCH, POOL = 1152, 4304, 27, 16, 896, 14, 4


def main() -> None:
    out = sys.argv[1]
    proj = int(sys.argv[2]) if len(sys.argv) > 2 else 640
    rng = np.random.default_rng(7)
    w = GGUFWriter(out, "clip")
    w.add_type("mmproj")
    w.add_name("SigLIP So400m random (speed only)")
    w.add_bool("clip.has_vision_encoder", True)
    w.add_uint32("clip.vision.projection_dim", proj)
    w.add_uint32("clip.vision.image_size", IMAGE)
    w.add_uint32("clip.vision.patch_size", PATCH)
    w.add_uint32("clip.vision.embedding_length", D)
    w.add_uint32("clip.vision.feed_forward_length", FFN)
    w.add_uint32("clip.vision.block_count", BLOCKS)
    w.add_uint32("clip.vision.attention.head_count", HEADS)
    w.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    w.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])
    w.add_string("clip.projector_type", "gemma3")
    w.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-6)
    w.add_bool("clip.use_gelu", True)

    def f16(name, *shape, std=0.02):
        w.add_tensor(name, (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float16))

    def f32(name, *shape, std=0.02, mean=0.0):
        w.add_tensor(name, (mean + rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32))

    f16("mm.input_projection.weight", D, proj)
    f32("mm.soft_emb_norm.weight", D, mean=1.0)
    f32("v.patch_embd.bias", D)
    f32("v.patch_embd.weight", D, 3, PATCH, PATCH)
    f32("v.position_embd.weight", (IMAGE // PATCH) ** 2, D)
    for i in range(BLOCKS):
        b = f"v.blk.{i}."
        f32(b + "ln1.bias", D)
        f32(b + "ln1.weight", D, mean=1.0)
        f32(b + "ln2.bias", D)
        f32(b + "ln2.weight", D, mean=1.0)
        f32(b + "ffn_up.bias", FFN)
        f16(b + "ffn_up.weight", FFN, D)
        f32(b + "ffn_down.bias", D)
        f16(b + "ffn_down.weight", D, FFN)
        for t in ("attn_k", "attn_out", "attn_q", "attn_v"):
            f32(b + t + ".bias", D)
            f16(b + t + ".weight", D, D)
    f32("v.post_ln.bias", D)
    f32("v.post_ln.weight", D, mean=1.0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(out)


if __name__ == "__main__":
    main()
