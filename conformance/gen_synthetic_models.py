#!/usr/bin/env python3
"""Generate tiny random-weight Gemma 3 GGUF models plus reference logits.

For every case this writes, under
jemma-core/src/test/resources/fixtures/synthetic/<case>/:

  model.gguf          GGUF v3, architecture "gemma3", small SPM ("llama") vocabulary,
                      norms stored with the +1 folded in (GGUF norm = 1 + HF norm).
  tokens.json         {"tokens": [...]}: BOS (2) followed by random ids.
  logits_hf.npy       float32 [n_tokens, vocab_rows]: transformers Gemma3ForCausalLM, fp32,
                      eager attention, built in memory from the *dequantized* GGUF weights.
  logits_llamacpp.npy float32 [n_tokens, vocab_rows]: llama-cpp-python on model.gguf
                      (omitted when llama.cpp cannot run the case; case.json says why).
  case.json           dimensions, weight types, measured max |HF - llama.cpp|, notes.

Run from the repository root:  .venv/bin/python conformance/gen_synthetic_models.py [case ...]
Everything is deterministic (one fixed seed per case).
"""

from __future__ import annotations

import ctypes
import glob
import json
import math
import os
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

torch = None  # imported lazily (slow import)

ROOT = Path(__file__).resolve().parent.parent
OUT_ROOT = ROOT / "jemma-core" / "src" / "test" / "resources" / "fixtures" / "synthetic"

import gguf  # noqa: E402
from gguf import GGMLQuantizationType as QT  # noqa: E402

RMS_EPS = 1e-6
ROPE_GLOBAL_BASE = 1_000_000.0
ROPE_LOCAL_BASE = 10_000.0
CONTEXT_LENGTH = 512

# --------------------------------------------------------------------------------------------
# Case definitions
# --------------------------------------------------------------------------------------------

MATRIX_ROLES = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")


def _uniform(t: QT, embd: QT | None = None) -> dict:
    types = {r: t for r in MATRIX_ROLES}
    types["token_embd"] = embd if embd is not None else t
    return types


# Small dims shared by the legacy-quant / float cases (row lengths multiple of 32).
_SMALL = dict(layers=6, hidden=64, heads=4, kv_heads=1, head_dim=32, ffn=128, window=8,
              n_tokens=24, vocab_rows=512, tokenizer_size=512, rope_scaling=None, qpas=None)
# K-quant dims: every row length (ne[0]) must be a multiple of 256.
_KQ = dict(layers=6, hidden=256, heads=8, kv_heads=2, head_dim=32, ffn=512, window=8,
           n_tokens=24, vocab_rows=512, tokenizer_size=512, rope_scaling=None, qpas=None)

CASES: list[dict] = [
    dict(name="f32_basic",
         description="7 layers (layer 5 global), F32, GQA 4/2, window 8 < 40 tokens, "
                     "embedding rows (640) > tokenizer size (600)",
         layers=7, hidden=64, heads=4, kv_heads=2, head_dim=16, ffn=128, window=8, n_tokens=40,
         vocab_rows=640, tokenizer_size=600, rope_scaling=None, qpas=None,
         types=_uniform(QT.F32)),
    dict(name="f32_two_global",
         description="13 layers (layers 5 and 11 global), F32, window 8, 48 tokens, "
                     "linear RoPE scaling x8 on global layers only",
         layers=13, hidden=64, heads=2, kv_heads=1, head_dim=32, ffn=128, window=8, n_tokens=48,
         vocab_rows=512, tokenizer_size=512, rope_scaling=8.0, qpas=None,
         types=_uniform(QT.F32)),
    dict(name="f32_27b_scale",
         description="62 layers (27B layout: llama.cpp uses attention scale 1/sqrt(hidden/heads)); "
                     "head_dim 32 != hidden/heads 16, so query_pre_attn_scalar = 16; "
                     "linear RoPE scaling x8 on global layers",
         layers=62, hidden=32, heads=2, kv_heads=1, head_dim=32, ffn=64, window=8, n_tokens=24,
         vocab_rows=512, tokenizer_size=512, rope_scaling=8.0, qpas=16,
         types=_uniform(QT.F32)),
]

for _qt in (QT.F16, QT.BF16, QT.Q8_0, QT.Q4_0, QT.Q4_1, QT.Q5_0, QT.Q5_1):
    CASES.append(dict(_SMALL, name=_qt.name.lower(),
                      description=f"6 layers (layer 5 global), every 2-D weight incl. token_embd {_qt.name}",
                      types=_uniform(_qt)))

for _qt in (QT.Q2_K, QT.Q3_K, QT.Q4_K, QT.Q5_K, QT.Q6_K):
    CASES.append(dict(_KQ, name=_qt.name.lower(),
                      description=f"6 layers (layer 5 global), hidden 256 / ffn 512, every 2-D weight "
                                  f"incl. token_embd {_qt.name}",
                      types=_uniform(_qt)))

CASES.append(dict(
    name="q4_k_m_mix",
    description="270M-like Q4_K_M mix: token_embd Q8_0, attn_q/attn_k/ffn_gate/ffn_up Q5_0, attn_v Q8_0, "
                "attn_output Q4_K, ffn_down Q6_K; hidden 128 (not a multiple of 256), q width 256, ffn 512",
    layers=6, hidden=128, heads=8, kv_heads=2, head_dim=32, ffn=512, window=8, n_tokens=24,
    vocab_rows=512, tokenizer_size=512, rope_scaling=None, qpas=None,
    types=dict(token_embd=QT.Q8_0, attn_q=QT.Q5_0, attn_k=QT.Q5_0, ffn_gate=QT.Q5_0, ffn_up=QT.Q5_0,
               attn_v=QT.Q8_0, attn_output=QT.Q4_K, ffn_down=QT.Q6_K)))


def is_global(layer: int) -> bool:
    return (layer + 1) % 6 == 0


# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------

SPM_SPACE = "\u2581"
TT_NORMAL, TT_UNKNOWN, TT_CONTROL, TT_USER_DEFINED, TT_UNUSED, TT_BYTE = 1, 2, 3, 4, 5, 6

_WORDS = ("the of and to in is that it was for on are as with his they at be this from have or by one "
          "had not but what all were when we there can an your which their said if do will each about "
          "how up out them then she many some so these would other into has more her two like him see "
          "time could no make than first been its who now people my made over did down only way find "
          "use may water long little very after words called just where most know get through back "
          "much before go good new write our used me man too any day same right look think also around "
          "another came come work three word must because does part even place well such here take why "
          "help put different away again off went old number great tell men say small every found still "
          "between name should home big give air line set own under read last never us left end along "
          "while might next sound below saw something thought both few those always show large often "
          "together asked house don't world going want school important until form food keep children "
          "feet land side without boy once animal life enough took four head above kind began almost "
          "live page got earth need far hand high year mother light country father let night picture "
          "being study second soon story since white ever paper hard near sentence better best across "
          "during today however sure knew it's try told young sun thing whole hear example heard "
          "several change answer room sea against top turned learn point city play toward five himself "
          "usually money seen didn't car morning i'm body upon family later turn move face door cut "
          "done group true leave color red friend pretty eat front feel fact hand week eye").split()


def build_vocab(size: int):
    """Gemma-like small SPM vocabulary: specials, 256 byte tokens, then normal pieces."""
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>"]
    types = [TT_CONTROL, TT_CONTROL, TT_CONTROL, TT_UNKNOWN]
    scores = [0.0, 0.0, 0.0, 0.0]
    for b in range(256):
        tokens.append(f"<0x{b:02X}>")
        types.append(TT_BYTE)
        scores.append(0.0)
    pieces: list[str] = [SPM_SPACE, "\n", "\n\n", SPM_SPACE * 2, SPM_SPACE * 4]
    pieces += [chr(c) for c in range(ord("a"), ord("z") + 1)]
    pieces += [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    pieces += [str(d) for d in range(10)]
    pieces += list(".,;:!?'\"()[]{}-_+=*/\\<>@#$%&|~`^")
    pieces += [SPM_SPACE + chr(c) for c in range(ord("a"), ord("z") + 1)]
    pieces += ["é", "ü", "ß", "日", "本", "語", "€", "—"]
    seen = set(pieces)
    for w in _WORDS:
        for p in (SPM_SPACE + w, w):
            if p not in seen:
                seen.add(p)
                pieces.append(p)
    n_normal = size - len(tokens)
    if len(pieces) < n_normal:
        raise ValueError(f"word list too short for tokenizer size {size}")
    for rank, p in enumerate(pieces[:n_normal]):
        tokens.append(p)
        types.append(TT_NORMAL)
        scores.append(-float(rank))
    assert len(tokens) == size and len(set(tokens)) == size
    return tokens, scores, types


def resize_vocab(vocab, size: int):
    tokens, scores, types = (list(x) for x in vocab)
    if size <= len(tokens):
        return tokens[:size], scores[:size], types[:size]
    for i in range(len(tokens), size):
        tokens.append(f"[PAD{i}]")
        scores.append(-1000.0)
        types.append(TT_UNUSED)
    return tokens, scores, types


# --------------------------------------------------------------------------------------------
# Quantization helpers
# --------------------------------------------------------------------------------------------

_ggml_lib = None


def _ggml():
    """ggml_quantize_chunk from the ggml library bundled with llama-cpp-python (for K-quants,
    which gguf-py can dequantize but not quantize)."""
    global _ggml_lib
    if _ggml_lib is None:
        import llama_cpp  # noqa: F401
        pkg = Path(llama_cpp.__file__).parent
        cands = sorted(glob.glob(str(pkg / "lib" / "libggml-base.*"))) + \
            sorted(glob.glob(str(pkg / "lib" / "libggml.*"))) + \
            sorted(glob.glob(str(pkg / "**" / "libggml*"), recursive=True))
        for c in cands:
            try:
                lib = ctypes.CDLL(c)
                fn = lib.ggml_quantize_chunk
            except (OSError, AttributeError):
                continue
            fn.restype = ctypes.c_size_t
            fn.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                           ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
            _ggml_lib = lib
            break
        else:
            raise RuntimeError("ggml_quantize_chunk not found in llama_cpp package")
    return _ggml_lib


class _TypeTraits(ctypes.Structure):
    # struct ggml_type_traits (ggml.h of the bundled ggml)
    _fields_ = [("type_name", ctypes.c_char_p), ("blck_size", ctypes.c_int64),
                ("blck_size_interleave", ctypes.c_int64), ("type_size", ctypes.c_size_t),
                ("is_quantized", ctypes.c_bool), ("to_float", ctypes.c_void_p),
                ("from_float_ref", ctypes.c_void_p)]


_TO_FLOAT = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)


def ggml_dequantize(q: np.ndarray, t: QT, shape) -> np.ndarray:
    """Dequantize with ggml's own to_float (cross-check of gguf-py's numpy dequantizer)."""
    lib = _ggml()
    lib.ggml_get_type_traits.restype = ctypes.POINTER(_TypeTraits)
    lib.ggml_get_type_traits.argtypes = [ctypes.c_int]
    tr = lib.ggml_get_type_traits(int(t)).contents
    assert tr.type_name.decode().upper() == t.name.upper(), (tr.type_name, t.name)
    q = np.ascontiguousarray(q)
    out = np.empty(int(np.prod(shape)), dtype=np.float32)
    _TO_FLOAT(tr.to_float)(q.ctypes.data, out.ctypes.data, out.size)
    return out.reshape(shape)


def quantize(w: np.ndarray, t: QT) -> np.ndarray:
    """w: float32 [rows, n_per_row] -> array to hand to GGUFWriter (raw bytes for quant types)."""
    w = np.ascontiguousarray(w, dtype=np.float32)
    if t in (QT.Q2_K, QT.Q3_K, QT.Q4_K, QT.Q5_K, QT.Q6_K):
        rows, n = w.shape
        bs, ts = gguf.GGML_QUANT_SIZES[t]
        assert n % bs == 0, f"{t.name} needs row length % {bs} == 0, got {n}"
        out = np.zeros((rows, n // bs * ts), dtype=np.uint8)
        written = _ggml().ggml_quantize_chunk(int(t), w.ctypes.data, out.ctypes.data, 0, rows, n, None)
        assert written == out.nbytes, (written, out.nbytes)
        return out
    return gguf.quants.quantize(w, t)


def dequantize(q: np.ndarray, t: QT, shape) -> np.ndarray:
    return np.asarray(gguf.quants.dequantize(q, t), dtype=np.float32).reshape(shape)


# --------------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------------

def make_weights(case: dict, rng: np.random.Generator):
    """Returns (gguf_tensors: list[(name, array, QT)], hf_state_dict: dict[str, np.ndarray])."""
    H, F, L = case["hidden"], case["ffn"], case["layers"]
    nh, nkv, hd = case["heads"], case["kv_heads"], case["head_dim"]
    V = case["vocab_rows"]
    types = case["types"]
    g_tensors: list = []
    hf: dict = {}
    dq_check: dict = {}  # type -> max |gguf-py dequant - ggml dequant|
    deq: dict = {}  # GGUF name -> dequantized float32 matrix

    def matrix(gname, hfname, out_dim, in_dim, role, std):
        w = rng.normal(0.0, std, size=(out_dim, in_dim)).astype(np.float32)
        t = types[role]
        q = quantize(w, t)
        wd = w if t == QT.F32 else dequantize(q, t, w.shape)
        if t != QT.F32:
            ref = ggml_dequantize(q, t, w.shape)
            dq_check[t.name] = max(dq_check.get(t.name, 0.0), float(np.max(np.abs(ref - wd))))
        g_tensors.append((gname, q, t))
        hf[hfname] = wd
        deq[gname] = wd

    def norm(gname, hfname, dim):
        w_hf = rng.normal(0.0, 0.1, size=dim).astype(np.float32)
        g = (np.float32(1.0) + w_hf).astype(np.float32)
        w_hf = (g - np.float32(1.0)).astype(np.float32)        # exact: 1 + w_hf == g in fp32
        assert np.array_equal((np.float32(1.0) + w_hf).astype(np.float32), g)
        g_tensors.append((gname, g, QT.F32))
        hf[hfname] = w_hf

    matrix("token_embd.weight", "model.embed_tokens.weight", V, H, "token_embd", 0.5)
    for i in range(L):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        norm(b + "attn_norm.weight", p + "input_layernorm.weight", H)
        matrix(b + "attn_q.weight", p + "self_attn.q_proj.weight", nh * hd, H, "attn_q", 0.05)
        matrix(b + "attn_k.weight", p + "self_attn.k_proj.weight", nkv * hd, H, "attn_k", 0.05)
        matrix(b + "attn_v.weight", p + "self_attn.v_proj.weight", nkv * hd, H, "attn_v", 0.05)
        norm(b + "attn_q_norm.weight", p + "self_attn.q_norm.weight", hd)
        norm(b + "attn_k_norm.weight", p + "self_attn.k_norm.weight", hd)
        matrix(b + "attn_output.weight", p + "self_attn.o_proj.weight", H, nh * hd, "attn_output", 0.05)
        norm(b + "post_attention_norm.weight", p + "post_attention_layernorm.weight", H)
        norm(b + "ffn_norm.weight", p + "pre_feedforward_layernorm.weight", H)
        matrix(b + "ffn_gate.weight", p + "mlp.gate_proj.weight", F, H, "ffn_gate", 0.05)
        matrix(b + "ffn_up.weight", p + "mlp.up_proj.weight", F, H, "ffn_up", 0.05)
        matrix(b + "ffn_down.weight", p + "mlp.down_proj.weight", H, F, "ffn_down", 0.05)
        norm(b + "post_ffw_norm.weight", p + "post_feedforward_layernorm.weight", H)
    norm("output_norm.weight", "model.norm.weight", H)
    return g_tensors, hf, dq_check, deq


# --------------------------------------------------------------------------------------------
# GGUF writer
# --------------------------------------------------------------------------------------------

_FILE_TYPE = {QT.F32: 0, QT.F16: 1, QT.Q4_0: 2, QT.Q4_1: 3, QT.Q8_0: 7, QT.Q5_0: 8, QT.Q5_1: 9,
              QT.Q2_K: 10, QT.Q3_K: 12, QT.Q4_K: 15, QT.Q5_K: 17, QT.Q6_K: 18, QT.BF16: 32}


def write_gguf(path: Path, case: dict, g_tensors, vocab, extra=None):
    """extra: optional callable(writer) adding more metadata (used by gen_train_fixtures.py)."""
    tokens, scores, ttypes = vocab
    w = gguf.GGUFWriter(str(path), "gemma3")
    w.add_name(f"jemma-synthetic-{case['name']}")
    if case["name"] == "q4_k_m_mix":
        w.add_file_type(15)
    else:
        w.add_file_type(_FILE_TYPE[case["types"]["attn_q"]])
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_context_length(CONTEXT_LENGTH)
    w.add_embedding_length(case["hidden"])
    w.add_block_count(case["layers"])
    w.add_feed_forward_length(case["ffn"])
    w.add_head_count(case["heads"])
    w.add_head_count_kv(case["kv_heads"])
    w.add_key_length(case["head_dim"])
    w.add_value_length(case["head_dim"])
    w.add_layer_norm_rms_eps(RMS_EPS)
    w.add_sliding_window(case["window"])
    w.add_rope_freq_base(ROPE_GLOBAL_BASE)
    if case["rope_scaling"] is not None:
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(float(case["rope_scaling"]))
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(ttypes)
    w.add_bos_token_id(2)
    w.add_eos_token_id(1)
    w.add_unk_token_id(3)
    w.add_pad_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(False)
    if extra is not None:
        extra(w)
    for name, arr, t in g_tensors:
        if t in (QT.F32, QT.F16):
            w.add_tensor(name, arr)
        else:
            w.add_tensor(name, arr, raw_dtype=t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------

def hf_config(case: dict):
    from transformers import Gemma3TextConfig
    full = {"rope_type": "default", "rope_theta": ROPE_GLOBAL_BASE}
    if case["rope_scaling"] is not None:
        full = {"rope_type": "linear", "factor": float(case["rope_scaling"]), "rope_theta": ROPE_GLOBAL_BASE}
    cfg = Gemma3TextConfig(
        vocab_size=case["vocab_rows"],
        hidden_size=case["hidden"],
        intermediate_size=case["ffn"],
        num_hidden_layers=case["layers"],
        num_attention_heads=case["heads"],
        num_key_value_heads=case["kv_heads"],
        head_dim=case["head_dim"],
        hidden_activation="gelu_pytorch_tanh",
        max_position_embeddings=CONTEXT_LENGTH,
        rms_norm_eps=RMS_EPS,
        tie_word_embeddings=True,
        rope_parameters={"full_attention": full,
                         "sliding_attention": {"rope_type": "default", "rope_theta": ROPE_LOCAL_BASE}},
        query_pre_attn_scalar=query_pre_attn_scalar(case),
        sliding_window=case["window"],
        layer_types=["full_attention" if is_global(i) else "sliding_attention"
                     for i in range(case["layers"])],
        final_logit_softcapping=None,
        attn_logit_softcapping=None,
        pad_token_id=0, bos_token_id=2, eos_token_id=1,
    )
    cfg._attn_implementation = "eager"
    return cfg


def query_pre_attn_scalar(case: dict):
    return case["qpas"] if case["qpas"] is not None else case["head_dim"]


def run_hf(case: dict, hf_sd: dict, tokens: list[int]) -> tuple[np.ndarray, dict]:
    global torch
    import torch as _torch
    torch = _torch
    torch.set_num_threads(1)
    from transformers import Gemma3ForCausalLM
    cfg = hf_config(case)
    torch.manual_seed(0)
    with torch.device("cpu"):
        model = Gemma3ForCausalLM(cfg).to(torch.float32)
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in hf_sd.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if m != "lm_head.weight"]
    assert not missing and not unexpected, (missing, unexpected)
    model.tie_weights()
    assert torch.equal(model.lm_head.weight, model.model.embed_tokens.weight), "lm_head not tied"
    model.eval()
    emb = model.model.embed_tokens
    scale = float(emb.embed_scale.to(emb.weight.dtype))
    assert scale == float(np.float32(math.sqrt(case["hidden"]))), scale
    with torch.no_grad():
        out = model(input_ids=torch.tensor([tokens], dtype=torch.long), use_cache=False)
    logits = out.logits[0].to(torch.float32).numpy()
    info = dict(rope_parameters=cfg.rope_parameters, layer_types=cfg.layer_types,
                query_pre_attn_scalar=cfg.query_pre_attn_scalar, embed_scale=scale,
                attn_implementation=model.config._attn_implementation)
    return logits, info


def run_llamacpp(path: Path, n_rows: int, tokens: list[int]) -> np.ndarray:
    from llama_cpp import Llama
    n = len(tokens)
    kwargs = dict(model_path=str(path), logits_all=True, n_ctx=max(64, n), n_batch=max(64, n),
                  n_ubatch=max(64, n), n_threads=2, n_threads_batch=2, verbose=False, seed=0,
                  type_k=0, type_v=0)  # F32 KV cache: keeps the reference free of f16 cache rounding
    try:
        llm = Llama(**kwargs, flash_attn=False)
    except TypeError:
        llm = Llama(**kwargs)
    try:
        llm.eval(tokens)
        scores = np.array(llm.scores[:n], dtype=np.float32)
    finally:
        llm.close() if hasattr(llm, "close") else None
    assert scores.shape == (n, n_rows), (scores.shape, n_rows)
    return scores


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def type_name(t: QT) -> str:
    return t.name


def case_seed(name: str) -> int:
    return zlib.crc32(name.encode())


def gen_case(case: dict):
    name = case["name"]
    out = OUT_ROOT / name
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(case_seed(name))
    vocab = build_vocab(case["tokenizer_size"])
    g_tensors, hf_sd, dq_check, deq = make_weights(case, rng)
    n_valid = min(case["tokenizer_size"], case["vocab_rows"])
    tokens = [2] + [int(t) for t in rng.integers(4, n_valid, size=case["n_tokens"] - 1)]

    gguf_path = out / "model.gguf"
    write_gguf(gguf_path, case, g_tensors, vocab)
    (out / "tokens.json").write_text(json.dumps({"tokens": tokens}) + "\n")

    logits_hf, info = run_hf(case, hf_sd, tokens)
    assert np.all(np.isfinite(logits_hf)), "non-finite HF logits"
    np.save(out / "logits_hf.npy", logits_hf.astype(np.float32))

    notes = []
    max_abs = None
    lc_file = out / "logits_llamacpp.npy"
    lc_path = gguf_path
    tmpdir = None
    if case["tokenizer_size"] != case["vocab_rows"]:
        # llama.cpp requires token_embd rows == tokenizer size ("check_tensor_dims: tensor
        # 'token_embd.weight' has wrong shape"). The forward pass does not depend on the
        # tokenizer, so run llama.cpp on a twin file whose token list is padded/truncated to
        # the embedding row count; weights and all other metadata are identical.
        tmpdir = tempfile.TemporaryDirectory(prefix="jemma-synth-")
        lc_path = Path(tmpdir.name) / "model_twin.gguf"
        write_gguf(lc_path, case, g_tensors, resize_vocab(vocab, case["vocab_rows"]))
        notes.append("llama.cpp refuses model.gguf itself (token_embd rows %d != tokenizer size %d: "
                     "'check_tensor_dims: tensor token_embd.weight has wrong shape'); logits_llamacpp.npy "
                     "comes from a twin GGUF with identical weights whose token list was %s to %d entries."
                     % (case["vocab_rows"], case["tokenizer_size"],
                        "padded with [PADn] (type UNUSED)" if case["vocab_rows"] > case["tokenizer_size"]
                        else "truncated", case["vocab_rows"]))
    try:
        logits_lc = run_llamacpp(lc_path, case["vocab_rows"], tokens)
        assert np.all(np.isfinite(logits_lc)), "non-finite llama.cpp logits"
        np.save(lc_file, logits_lc)
        max_abs = float(np.max(np.abs(logits_lc - logits_hf)))
    except Exception as e:  # llama.cpp refused the model
        if lc_file.exists():
            lc_file.unlink()
        notes.append(f"llama.cpp reference not produced: {type(e).__name__}: {e}")
        print(f"  [{name}] llama.cpp failed: {e}", file=sys.stderr)

    # Diagnostic: llama.cpp on an all-F32 twin holding the dequantized weights. Its distance to HF
    # shows how much of the gap above comes from llama.cpp quantizing activations in its
    # quantized/F16/BF16 matmuls rather than from the weights themselves.
    max_abs_f32_twin = None
    if any(t != QT.F32 for t in case["types"].values()) and max_abs is not None:
        if tmpdir is None:
            tmpdir = tempfile.TemporaryDirectory(prefix="jemma-synth-")
        twin = Path(tmpdir.name) / "model_f32_twin.gguf"
        f32_tensors = [(n, deq[n] if t != QT.F32 else a, QT.F32) for n, a, t in g_tensors]
        write_gguf(twin, case, f32_tensors, resize_vocab(vocab, case["vocab_rows"]))
        logits_twin = run_llamacpp(twin, case["vocab_rows"], tokens)
        max_abs_f32_twin = float(np.max(np.abs(logits_twin - logits_hf)))
    if tmpdir is not None:
        tmpdir.cleanup()

    notes.append("HF reference: transformers Gemma3ForCausalLM (Gemma3TextConfig), float32, eager attention, "
                 "weights = dequantized GGUF tensors (gguf.quants.dequantize), HF norm = GGUF norm - 1.")
    notes.append("Embedding scale: sqrt(hidden) in float32 (exact, no bf16 rounding) = "
                 f"{info['embed_scale']!r}.")
    notes.append("llama.cpp reference: llama-cpp-python, F32 KV cache (type_k=type_v=F32), flash attention off, "
                 "n_threads=2, all tokens in one batch; quantized matmuls quantize activations (Q8_0/Q8_K), "
                 "F16/BF16 matmuls round activations, hence the larger HF/llama.cpp gap for those cases "
                 "(see max_abs_hf_vs_llamacpp_f32_dequantized_twin for llama.cpp on the same weights in F32). "
                 "Even in F32 llama.cpp differs from HF by ~1e-3..2e-2: its CPU GELU rounds input and output "
                 "to f16 (lookup table); an independent float64 NumPy forward pass matches HF to ~1e-5.")
    if case["layers"] == 62:
        notes.append("62 layers: llama.cpp treats the model as 27B and scales attention by "
                     "1/sqrt(hidden/heads) = 1/sqrt(%d); HF uses query_pre_attn_scalar = %d."
                     % (case["hidden"] // case["heads"], query_pre_attn_scalar(case)))

    spread = dict(std=float(logits_hf.std()), min=float(logits_hf.min()), max=float(logits_hf.max()))
    meta = dict(
        name=name,
        description=case["description"],
        n_tokens=len(tokens),
        vocab_rows=case["vocab_rows"],
        tokenizer_size=case["tokenizer_size"],
        hidden=case["hidden"],
        layers=case["layers"],
        heads=case["heads"],
        kv_heads=case["kv_heads"],
        head_dim=case["head_dim"],
        ffn=case["ffn"],
        window=case["window"],
        global_layers=[i for i in range(case["layers"]) if is_global(i)],
        rope_scaling=case["rope_scaling"],
        rope_freq_base_global=ROPE_GLOBAL_BASE,
        rope_freq_base_local=ROPE_LOCAL_BASE,
        query_pre_attn_scalar=query_pre_attn_scalar(case),
        attention_scale=query_pre_attn_scalar(case) ** -0.5,
        embedding_scale=info["embed_scale"],
        embedding_scale_kind="exact sqrt(hidden) in float32",
        rms_norm_eps=RMS_EPS,
        weight_types={k: type_name(v) for k, v in case["types"].items()},
        norm_weight_type="F32",
        hf_rope_parameters=info["rope_parameters"],
        hf_layer_types=info["layer_types"],
        hf_attn_implementation=info["attn_implementation"],
        logits_hf_stats=spread,
        max_abs_hf_vs_llamacpp=max_abs,
        llamacpp_reference=max_abs is not None,
        max_abs_hf_vs_llamacpp_f32_dequantized_twin=max_abs_f32_twin,
        max_abs_dequant_ggufpy_vs_ggml=dq_check,
        seed=case_seed(name),
        notes=" ".join(notes),
    )
    (out / "case.json").write_text(json.dumps(meta, indent=2) + "\n")
    size = gguf_path.stat().st_size
    print(f"{name:16s} gguf={size/1024:8.1f} KiB  logits std={spread['std']:.3f}  "
          f"max|hf-lc|={max_abs}  f32-twin={max_abs_f32_twin}", flush=True)


def main(argv):
    wanted = set(argv[1:])
    unknown = wanted - {c["name"] for c in CASES}
    if unknown:
        sys.exit(f"unknown case(s): {sorted(unknown)}")
    for case in CASES:
        if wanted and case["name"] not in wanted:
            continue
        gen_case(case)


if __name__ == "__main__":
    main(sys.argv)
