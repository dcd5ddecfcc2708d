#!/usr/bin/env python3
"""llama.cpp's quantizer on synthetic f32 Gemma 3 models: the reference `jemma quantize` is compared with.

Usage (from the repository root):  .venv/bin/python conformance/quantize_reference.py OUT_DIR [MIX ...]

For each case below this writes OUT_DIR/<case>/:
  f32.gguf             a Gemma 3 model, every weight F32 (seeded; heavy-tailed values so the K-quant searches
                       meet outliers), small SPM vocabulary (gen_synthetic_models.build_vocab)
  imatrix.gguf         an importance matrix in llama-imatrix's GGUF format (general.type = imatrix,
                       imatrix.datasets / chunk_count / chunk_size, <weight>.in_sum2 [n, 1] and <weight>.counts
                       [1, 1]), seeded, for every blk.* matrix except blk.1.ffn_up.weight (so one weight is
                       quantized without one, as happens when an imatrix lacks an entry)
  <MIX>.gguf           llama_model_quantize(f32.gguf, MIX), one thread
  <MIX>-imatrix.gguf   the same with the importance matrix, normalised as llama-quantize's load_imatrix does
                       (in_sum2 / counts), passed through llama_model_quantize_params.imatrix
  imatrix-full.gguf    the same for every blk.* matrix (Q2_K_S refuses to quantize a Q2_K tensor without one:
                       its only file is Q2_K_S-imatrix.gguf, made with this one)
  <MIX>-pure.gguf      (Q4_K_M only) --pure; <MIX>-types.gguf: output type Q8_0 and token embedding type Q4_0
and prints a JSON summary. The pinned references are those of conformance/requirements.txt
(llama-cpp-python 0.3.36, gguf 0.19.0). Deterministic: fixed seeds.
"""
from __future__ import annotations

import ctypes
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_synthetic_models as syn  # noqa: E402
import gguf  # noqa: E402
from gguf import GGMLQuantizationType as QT  # noqa: E402

MIXES = {"F32": 0, "F16": 1, "BF16": 32, "Q8_0": 7, "Q4_0": 2, "Q4_1": 3, "Q5_0": 8, "Q5_1": 9,
         "Q2_K": 10, "Q2_K_S": 21, "Q3_K_S": 11, "Q3_K_M": 12, "Q3_K_L": 13, "Q4_K_S": 14, "Q4_K_M": 15,
         "Q5_K_S": 16, "Q5_K_M": 17, "Q6_K": 18}

# mix_a: 26 layers (n/8, n/16 and use_more_bits all bite), hidden 64 (so 256-block types fall back),
#        GQA 4 (Q2_K's attn_v rule), attn_output and ffn_down rows of 256.
# mix_b: 8 layers, hidden 256 (no fallback: tied output gets Q6_K), GQA 1.
CASES = [
    dict(name="mix_a", layers=26, hidden=64, heads=4, kv_heads=1, head_dim=64, ffn=256, window=8,
         vocab_rows=512, tokenizer_size=512, rope_scaling=None, qpas=None, n_tokens=8),
    dict(name="mix_b", layers=8, hidden=256, heads=2, kv_heads=2, head_dim=128, ffn=512, window=8,
         vocab_rows=512, tokenizer_size=512, rope_scaling=None, qpas=None, n_tokens=8),
]


def weights(case: dict, rng: np.random.Generator):
    H, F, L = case["hidden"], case["ffn"], case["layers"]
    nh, nkv, hd, V = case["heads"], case["kv_heads"], case["head_dim"], case["vocab_rows"]
    out = []

    def matrix(name, rows, cols, std):
        w = rng.standard_t(4, size=(rows, cols)) * std
        # a few rows on another scale and a few exact zeros: the searches' edge cases
        w[rng.integers(0, rows, 2)] *= 20
        w[rng.integers(0, rows), : min(cols, 32)] = 0
        out.append((name, w.astype(np.float32)))

    def norm(name, n):
        out.append((name, (1 + rng.normal(0, 0.1, n)).astype(np.float32)))

    matrix("token_embd.weight", V, H, 0.5)
    for i in range(L):
        b = f"blk.{i}."
        norm(b + "attn_norm.weight", H)
        matrix(b + "attn_q.weight", nh * hd, H, 0.05)
        matrix(b + "attn_k.weight", nkv * hd, H, 0.05)
        matrix(b + "attn_v.weight", nkv * hd, H, 0.05)
        norm(b + "attn_q_norm.weight", hd)
        norm(b + "attn_k_norm.weight", hd)
        matrix(b + "attn_output.weight", H, nh * hd, 0.05)
        norm(b + "post_attention_norm.weight", H)
        norm(b + "ffn_norm.weight", H)
        matrix(b + "ffn_gate.weight", F, H, 0.05)
        matrix(b + "ffn_up.weight", F, H, 0.05)
        matrix(b + "ffn_down.weight", H, F, 0.05)
        norm(b + "post_ffw_norm.weight", H)
    norm("output_norm.weight", H)
    return out


def write_imatrix(path: Path, tensors, rng: np.random.Generator, skip=("blk.1.ffn_up.weight",)):
    w = gguf.GGUFWriter(str(path), arch=None)
    w.add_type("imatrix")
    w.add_array("imatrix.datasets", ["synthetic.txt"])
    w.add_uint32("imatrix.chunk_count", 3)
    w.add_uint32("imatrix.chunk_size", 512)
    loaded = {}
    for name, arr in tensors:
        if not name.startswith("blk.") or arr.ndim != 2 or name in skip:
            continue
        n = arr.shape[1]
        count = float(rng.integers(100, 2000))
        sums = (rng.gamma(0.5, 2.0, n) * count).astype(np.float32)
        sums[rng.integers(0, n, 2)] = 0  # columns never activated
        w.add_tensor(name + ".in_sum2", sums.reshape(1, n))
        w.add_tensor(name + ".counts", np.array([[count]], dtype=np.float32))
        loaded[name] = (sums / np.float32(count)).astype(np.float32)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return loaded


def quantize(lib, src: Path, dst: Path, ftype: int, imatrix=None, pure=False, output_type=None, embd_type=None):
    import llama_cpp
    p = llama_cpp.llama_model_quantize_default_params()
    p.nthread = 1
    p.ftype = ftype
    p.pure = pure
    if output_type is not None:
        p.output_tensor_type = output_type
    if embd_type is not None:
        p.token_embedding_type = embd_type
    keep = []
    if imatrix is not None:
        arr = (llama_cpp.llama_model_imatrix_data * (len(imatrix) + 1))()
        for i, (name, v) in enumerate(sorted(imatrix.items())):
            buf = np.ascontiguousarray(v, dtype=np.float32)
            keep.append(buf)
            arr[i].name = name.encode()
            arr[i].data = buf.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
            arr[i].size = buf.size
        arr[len(imatrix)].name = None
        keep.append(arr)
        p.imatrix = arr
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(p))
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize failed for {dst.name}")


def main(argv):
    import llama_cpp
    global _QUIET
    _QUIET = llama_cpp.llama_log_callback(lambda *a: None)  # kept alive: llama.cpp calls it later
    llama_cpp.llama_log_set(_QUIET, ctypes.c_void_p(0))
    llama_cpp.llama_backend_init()
    out = Path(argv[0])
    mixes = argv[1:] or list(MIXES)
    summary = {}
    for case in CASES:
        rng = np.random.default_rng(syn.case_seed("quantize-" + case["name"]))
        d = out / case["name"]
        d.mkdir(parents=True, exist_ok=True)
        tensors = weights(case, rng)
        vocab = syn.build_vocab(case["tokenizer_size"])
        syn.write_gguf(d / "f32.gguf", dict(case, types={r: QT.F32 for r in syn.MATRIX_ROLES}),
                       [(n, a, QT.F32) for n, a in tensors], vocab)
        imatrix = write_imatrix(d / "imatrix.gguf", tensors, rng)
        imatrix_full = write_imatrix(d / "imatrix-full.gguf", tensors, rng, skip=())
        files = []
        for mix in mixes:
            if mix == "Q2_K_S":
                continue
            quantize(None, d / "f32.gguf", d / f"{mix}.gguf", MIXES[mix])
            files.append(f"{mix}.gguf")
            if mix not in ("F32", "F16", "BF16", "Q2_K_S"):
                quantize(None, d / "f32.gguf", d / f"{mix}-imatrix.gguf", MIXES[mix], imatrix=imatrix)
                files.append(f"{mix}-imatrix.gguf")
        if "Q2_K_S" in mixes:  # Q2_K_S needs an imatrix: only that file
            quantize(None, d / "f32.gguf", d / "Q2_K_S-imatrix.gguf", MIXES["Q2_K_S"], imatrix=imatrix_full)
            files.append("Q2_K_S-imatrix.gguf")
        if "Q4_K_M" in mixes:
            quantize(None, d / "f32.gguf", d / "Q4_K_M-pure.gguf", MIXES["Q4_K_M"], pure=True)
            quantize(None, d / "f32.gguf", d / "Q4_K_M-types.gguf", MIXES["Q4_K_M"],
                     output_type=int(QT.Q8_0), embd_type=int(QT.Q4_0))
            files += ["Q4_K_M-pure.gguf", "Q4_K_M-types.gguf"]
        summary[case["name"]] = files
    print(json.dumps(summary))


if __name__ == "__main__":
    main(sys.argv[1:])
