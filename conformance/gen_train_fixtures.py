#!/usr/bin/env python3
"""Reference fixtures for Jemma's training code (backward pass, AdamW, LoRA), computed in float64.

For every case this writes jemma-train/src/test/resources/fixtures/train/<case>/:

  model.gguf     tiny random Gemma 3 model, all tensors F32, written by gen_synthetic_models.write_gguf
                 (llama.cpp conventions: norms stored as 1 + w, tied embeddings, SPM tokenizer metadata).
  expected.gguf  architecture "jemma-fixture": the batch, its loss, the gradient of every parameter,
                 10 AdamW steps (with gradient-norm clipping) and a LoRA forward/backward.
                 See jemma-train/src/test/resources/fixtures/train/README.md for every key.

Run from the repository root (deterministic: fixed seeds, one CPU thread):

    .venv/bin/python conformance/gen_train_fixtures.py [case ...]

Exactness. All references are computed by transformers' Gemma3ForCausalLM (eager attention) converted to
float64 (`model.double()`) on the F32 values of model.gguf upcast to float64. transformers 5.24 still
computes some parts in float32 in a float64 model; this script replaces them (see `force_float64`):
  * Gemma3RMSNorm.forward (it upcasts with `.float()`, i.e. *down*casts float64 to float32),
  * Gemma3RotaryEmbedding.forward and its `*_inv_freq` buffers (inv_freq, position*inv_freq, cos and
    sin are computed in float32), recomputed here in float64 (linear scaling: inv_freq / factor),
  * modeling_gemma3.eager_attention_forward (softmax with dtype=torch.float32),
  * the embedding scale buffer (a float32 tensor of sqrt(hidden)), set to float64 sqrt(hidden),
  * the loss: transformers' ForCausalLMLoss upcasts logits with `.float()`; the loss here is computed
    directly with torch.nn.functional.cross_entropy in float64.
Forward hooks assert that cos/sin, attention probabilities, norm outputs and logits are float64, and an
independent NumPy float64 forward pass (`numpy_forward`) must match the HF logits to 1e-12 relative;
a few gradient entries are checked against central finite differences.

Sliding window. Jemma (docs/GEMMA3.md) lets a local query at position p see key k iff k <= p and
p - k < W, with W = gemma3.attention.sliding_window. transformers' sliding-window overlay is
`kv_idx > q_idx - sliding_window`, i.e. the same p - k < W with the same W, so the GGUF key and the HF
config carry the same number. The NumPy forward pass implements the rule independently.

Loss. HF causal-LM semantics per row: the logits at position i predict labels[i + 1] of the same row
(labels[0] is never used), -100 = ignored. The batch loss is the sum over rows of the summed
cross-entropy over labelled positions divided by the total number of labelled positions of the batch.
Each row is run on its own (batch of one, no padding); this is the same function as a padded batch.
"""

from __future__ import annotations

import math
import sys
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_synthetic_models as gsm  # noqa: E402

import gguf  # noqa: E402
from gguf import GGMLQuantizationType as QT, GGUFValueType as VT  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT_ROOT = ROOT / "jemma-train" / "src" / "test" / "resources" / "fixtures" / "train"

IGNORE = -100
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
HF_TO_GGUF_ROLE = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
                   "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
                   "mlp.down_proj": "ffn_down"}

ADAM_STEPS = 10
ADAM_LR = 1e-2
ADAM_WD = 0.1
ADAM_BETAS = (0.9, 0.999)
# Larger than torch's default 1e-8: with 1e-8, elements whose true gradient is ~1e-8 (there are some) get an Adam
# step of g/(|g| + eps), which f32 cannot reproduce from f64 (their gradient is below f32's rounding of the sums that
# form it). At 1e-5 such an element's step is ~g/eps, smooth in g, and the test still checks torch's update rule.
ADAM_EPS = 1e-5

_F32 = {r: QT.F32 for r in (*gsm.MATRIX_ROLES, "token_embd")}

CASES = [
    dict(name="gqa_swa7",
         description="7 layers (layer 5 global, the rest local), GQA 4 heads / 2 KV heads, head_dim 8, "
                     "sliding window 4 shorter than every row (9..20 tokens)",
         layers=7, hidden=32, heads=4, kv_heads=2, head_dim=8, ffn=16, window=4,
         vocab_rows=300, tokenizer_size=300, rope_scaling=None, qpas=None,
         row_lengths=[9, 20, 14], prompt_mask=[3, 5, 0], mid_mask=[None, None, 8],
         lora_rank=3, lora_alpha=6.0),
    dict(name="mqa_270m_like",
         description="6 layers (layer 5 global), MQA 2 heads / 1 KV head, head_dim 24 != hidden/heads 16, "
                     "query_pre_attn_scalar 20 != head_dim, linear RoPE scaling x8 on the global layer, window 6",
         layers=6, hidden=32, heads=2, kv_heads=1, head_dim=24, ffn=16, window=6,
         vocab_rows=300, tokenizer_size=300, rope_scaling=8.0, qpas=20,
         row_lengths=[24, 11, 17], prompt_mask=[6, 2, 4], mid_mask=[None, None, None],
         lora_rank=2, lora_alpha=6.0),
    dict(name="mha_2layer",
         description="2 layers (both local, window 32 longer than every row, so attention is plain causal), "
                     "MHA 2 heads / 2 KV heads, head_dim 16",
         layers=2, hidden=32, heads=2, kv_heads=2, head_dim=16, ffn=32, window=32,
         vocab_rows=300, tokenizer_size=300, rope_scaling=None, qpas=None,
         row_lengths=[13, 10], prompt_mask=[4, 0], mid_mask=[None, 6],
         lora_rank=4, lora_alpha=16.0),
]
for _c in CASES:
    _c["types"] = _F32
    _c["n_tokens"] = max(_c["row_lengths"])


def seed_of(name: str) -> int:
    return zlib.crc32(("train-" + name).encode())


# --------------------------------------------------------------------------------------------
# Weights and batch
# --------------------------------------------------------------------------------------------

def make_weights(case, rng):
    """All-F32 weights. Returns (gguf tensors [(name, f32 array, QT.F32)], HF state dict of f32 arrays,
    HF name -> GGUF name). Norms: HF w ~ N(0, 0.3), stored as the f32 value 1 + w (w re-derived so that
    1 + w is exact in f32)."""
    H, Fd, L = case["hidden"], case["ffn"], case["layers"]
    nh, nkv, hd, V = case["heads"], case["kv_heads"], case["head_dim"], case["vocab_rows"]
    g, hf, names = [], {}, {}

    def matrix(gname, hfname, out_dim, in_dim, std):
        w = rng.normal(0.0, std, size=(out_dim, in_dim)).astype(np.float32)
        g.append((gname, w, QT.F32))
        hf[hfname] = w
        names[hfname] = gname

    def norm(gname, hfname, dim):
        stored = (np.float32(1.0) + rng.normal(0.0, 0.3, size=dim).astype(np.float32)).astype(np.float32)
        w = (stored - np.float32(1.0)).astype(np.float32)
        assert np.array_equal((np.float32(1.0) + w).astype(np.float32), stored)
        # also exact in float64, so the float64 model's 1 + w is exactly the stored value
        assert np.array_equal(1.0 + w.astype(np.float64), stored.astype(np.float64))
        g.append((gname, stored, QT.F32))
        hf[hfname] = w
        names[hfname] = gname

    matrix("token_embd.weight", "model.embed_tokens.weight", V, H, 0.25)
    for i in range(L):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        norm(b + "attn_norm.weight", p + "input_layernorm.weight", H)
        matrix(b + "attn_q.weight", p + "self_attn.q_proj.weight", nh * hd, H, H ** -0.5)
        matrix(b + "attn_k.weight", p + "self_attn.k_proj.weight", nkv * hd, H, H ** -0.5)
        matrix(b + "attn_v.weight", p + "self_attn.v_proj.weight", nkv * hd, H, H ** -0.5)
        norm(b + "attn_q_norm.weight", p + "self_attn.q_norm.weight", hd)
        norm(b + "attn_k_norm.weight", p + "self_attn.k_norm.weight", hd)
        matrix(b + "attn_output.weight", p + "self_attn.o_proj.weight", H, nh * hd, (nh * hd) ** -0.5)
        norm(b + "post_attention_norm.weight", p + "post_attention_layernorm.weight", H)
        norm(b + "ffn_norm.weight", p + "pre_feedforward_layernorm.weight", H)
        matrix(b + "ffn_gate.weight", p + "mlp.gate_proj.weight", Fd, H, H ** -0.5)
        matrix(b + "ffn_up.weight", p + "mlp.up_proj.weight", Fd, H, H ** -0.5)
        matrix(b + "ffn_down.weight", p + "mlp.down_proj.weight", H, Fd, Fd ** -0.5)
        norm(b + "post_ffw_norm.weight", p + "post_feedforward_layernorm.weight", H)
    norm("output_norm.weight", "model.norm.weight", H)
    return g, hf, names


def make_batch(case, rng):
    """Rows: BOS then random ids in [4, vocab). Labels: HF causal-LM labels (label[i+1] is predicted at i);
    a prompt prefix of each row is masked with -100, optionally one more position in the middle."""
    ids, labels = [], []
    for n, pm, mid in zip(case["row_lengths"], case["prompt_mask"], case["mid_mask"]):
        row = [2] + [int(t) for t in rng.integers(4, case["vocab_rows"], size=n - 1)]
        lab = list(row)
        for i in range(pm):
            lab[i] = IGNORE
        if mid is not None:
            lab[mid] = IGNORE
        ids.append(row)
        labels.append(lab)
    return ids, labels


# --------------------------------------------------------------------------------------------
# float64 transformers model
# --------------------------------------------------------------------------------------------

def _rms_norm_f64(self, x):
    # Gemma RMSNorm, x * rsqrt(mean(x^2) + eps) * (1 + w), in the dtype of x (no float32 round trip)
    w = self.weight.to(x.dtype)
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * (1.0 + w)


def _rotary_forward_f64(self, x, position_ids, layer_type):
    inv_freq = getattr(self, f"{layer_type}_inv_freq")
    assert inv_freq.dtype == torch.float64
    angles = position_ids.to(torch.float64)[..., None] * inv_freq[None, None, :]
    angles = torch.cat((angles, angles), dim=-1)
    scaling = getattr(self, f"{layer_type}_attention_scaling")
    assert scaling == 1.0
    return angles.cos().to(x.dtype), angles.sin().to(x.dtype)


def _eager_attention_f64(module, query, key, value, attention_mask, dropout=0.0, scaling=None, softcap=None,
                         **kwargs):
    assert softcap is None and dropout == 0.0
    groups = module.num_key_value_groups
    k = key.repeat_interleave(groups, dim=1)
    v = value.repeat_interleave(groups, dim=1)
    scores = (query @ k.transpose(-1, -2)) * scaling
    if attention_mask is not None:
        scores = scores + attention_mask
    probs = torch.softmax(scores, dim=-1)  # in the scores' dtype (float64)
    out = (probs @ v).transpose(1, 2).contiguous()
    return out, probs


_PATCHED = False


def force_float64_patches():
    """Class-level replacements of the float32 parts of transformers' Gemma 3 (see module docstring)."""
    global _PATCHED
    if _PATCHED:
        return
    from transformers.models.gemma3 import modeling_gemma3 as mg
    mg.Gemma3RMSNorm.forward = _rms_norm_f64
    mg.Gemma3RotaryEmbedding.forward = _rotary_forward_f64
    mg.eager_attention_forward = _eager_attention_f64
    _PATCHED = True


def inv_freq_f64(base: float, dim: int, factor: float = 1.0) -> torch.Tensor:
    exponents = torch.arange(0, dim, 2, dtype=torch.float64) / dim
    return 1.0 / (base ** exponents) / factor


def fix_float64_buffers(model, case):
    """Float64 values of the buffers transformers created in float32 (embedding scale, RoPE inv_freq)."""
    from transformers.models.gemma3 import modeling_gemma3 as mg
    n = 0
    for mod in model.modules():
        if isinstance(mod, mg.Gemma3TextScaledWordEmbedding):
            mod.embed_scale = torch.tensor(math.sqrt(case["hidden"]), dtype=torch.float64)
            n += 1
        if isinstance(mod, mg.Gemma3RotaryEmbedding):
            hd = case["head_dim"]
            factor = case["rope_scaling"] or 1.0
            for lt, f in (("full_attention", inv_freq_f64(gsm.ROPE_GLOBAL_BASE, hd, factor)),
                          ("sliding_attention", inv_freq_f64(gsm.ROPE_LOCAL_BASE, hd))):
                if hasattr(mod, f"{lt}_inv_freq"):
                    setattr(mod, f"{lt}_inv_freq", f.clone())
                    setattr(mod, f"{lt}_original_inv_freq", f.clone())
            n += 1
    assert n == 2, n


def build_model(case, hf_sd):
    from transformers import Gemma3ForCausalLM
    force_float64_patches()
    cfg = gsm.hf_config(case)
    assert cfg.sliding_window == case["window"]
    torch.manual_seed(0)
    model = Gemma3ForCausalLM(cfg)
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in hf_sd.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert [m for m in missing if m != "lm_head.weight"] == [] and not unexpected, (missing, unexpected)
    model.tie_weights()
    model = model.double()
    fix_float64_buffers(model, case)
    assert model.lm_head.weight is model.model.embed_tokens.weight, "lm_head not tied"
    for k, v in model.state_dict().items():
        if k in hf_sd:
            assert v.dtype == torch.float64 and np.array_equal(v.numpy(), hf_sd[k].astype(np.float64)), k
    model.eval()
    return model


class DtypeHooks:
    """Asserts float64 for RoPE cos/sin, attention probabilities, every norm output and the logits."""

    def __init__(self, model):
        from transformers.models.gemma3 import modeling_gemma3 as mg
        self.seen = {"rope": 0, "attn": 0, "norm": 0, "logits": 0}
        self.handles = []
        for mod in model.modules():
            if isinstance(mod, mg.Gemma3RotaryEmbedding):
                self.handles.append(mod.register_forward_hook(self._rope))
            elif isinstance(mod, mg.Gemma3Attention):
                self.handles.append(mod.register_forward_hook(self._attn))
            elif isinstance(mod, mg.Gemma3RMSNorm):
                self.handles.append(mod.register_forward_hook(self._norm))
            elif isinstance(mod, mg.Gemma3ForCausalLM):
                self.handles.append(mod.register_forward_hook(self._logits))

    def _rope(self, mod, args, out):
        assert out[0].dtype == torch.float64 and out[1].dtype == torch.float64, (out[0].dtype, out[1].dtype)
        self.seen["rope"] += 1

    def _attn(self, mod, args, out):
        assert out[0].dtype == torch.float64 and out[1] is not None and out[1].dtype == torch.float64
        self.seen["attn"] += 1

    def _norm(self, mod, args, out):
        assert out.dtype == torch.float64
        self.seen["norm"] += 1

    def _logits(self, mod, args, out):
        assert out.logits.dtype == torch.float64
        self.seen["logits"] += 1

    def remove(self):
        for h in self.handles:
            h.remove()


def batch_loss(model, ids, labels, keep_logits=False):
    """Token-weighted mean cross-entropy over the batch (rows run one by one), float64."""
    total = sum(sum(1 for t in lab[1:] if t != IGNORE) for lab in labels)
    loss = torch.zeros((), dtype=torch.float64)
    logits_rows = []
    for row, lab in zip(ids, labels):
        out = model(input_ids=torch.tensor([row], dtype=torch.long), use_cache=False)
        logits = out.logits[0]
        assert logits.dtype == torch.float64
        target = torch.tensor(lab[1:], dtype=torch.long)
        loss = loss + F.cross_entropy(logits[:-1], target, ignore_index=IGNORE, reduction="sum")
        if keep_logits:
            logits_rows.append(logits.detach().numpy().copy())
    return loss / total, logits_rows


# --------------------------------------------------------------------------------------------
# Independent NumPy float64 forward pass (check of the patched transformers model)
# --------------------------------------------------------------------------------------------

def numpy_forward(case, w, row, lora=None):
    """w: HF-named float64 arrays (norms as HF w). lora: optional {HF module name: (A, B, scale)}."""
    H, nh, nkv, hd = case["hidden"], case["heads"], case["kv_heads"], case["head_dim"]
    T = len(row)
    qpas = case["qpas"] if case["qpas"] is not None else hd
    eps = gsm.RMS_EPS

    def rms(x, g):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * (1.0 + g)

    def lin(x, name):
        W = w[name + ".weight"]
        if lora is not None and name in lora:
            A, B, s = lora[name]
            W = W + s * (B @ A)
        return x @ W.T

    def rope(x, base, factor):  # x [T, heads, hd], NeoX halves
        half = hd // 2
        theta = np.arange(T, dtype=np.float64)[:, None] / factor * base ** (-2.0 * np.arange(half) / hd)
        c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
        a, b = x[..., :half], x[..., half:]
        return np.concatenate([a * c - b * s, b * c + a * s], axis=-1)

    x = w["model.embed_tokens.weight"][row] * math.sqrt(H)
    for i in range(case["layers"]):
        p = f"model.layers.{i}."
        glob = gsm.is_global(i)
        h = rms(x, w[p + "input_layernorm.weight"])
        q = lin(h, p + "self_attn.q_proj").reshape(T, nh, hd)
        k = lin(h, p + "self_attn.k_proj").reshape(T, nkv, hd)
        v = lin(h, p + "self_attn.v_proj").reshape(T, nkv, hd)
        q = rms(q, w[p + "self_attn.q_norm.weight"])
        k = rms(k, w[p + "self_attn.k_norm.weight"])
        base = gsm.ROPE_GLOBAL_BASE if glob else gsm.ROPE_LOCAL_BASE
        factor = (case["rope_scaling"] or 1.0) if glob else 1.0
        q, k = rope(q, base, factor), rope(k, base, factor)
        att = np.zeros((T, nh, hd))
        for hh in range(nh):
            kvh = hh // (nh // nkv)
            for t in range(T):
                keys = [s for s in range(t + 1) if glob or t - s < case["window"]]
                sc = np.array([q[t, hh] @ k[s, kvh] for s in keys]) / math.sqrt(qpas)
                pr = np.exp(sc - sc.max())
                pr /= pr.sum()
                att[t, hh] = pr @ v[keys, kvh]
        o = lin(att.reshape(T, nh * hd), p + "self_attn.o_proj")
        x = x + rms(o, w[p + "post_attention_layernorm.weight"])
        h = rms(x, w[p + "pre_feedforward_layernorm.weight"])
        gt = lin(h, p + "mlp.gate_proj")
        gelu = 0.5 * gt * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (gt + 0.044715 * gt ** 3)))
        d = lin(gelu * lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
        x = x + rms(d, w[p + "post_feedforward_layernorm.weight"])
    x = rms(x, w["model.norm.weight"])
    return x @ w["model.embed_tokens.weight"].T


def rel_err(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# --------------------------------------------------------------------------------------------
# Case
# --------------------------------------------------------------------------------------------

def hf_to_gguf_param(name: str, names: dict) -> str:
    return names[name]


def gen_case(case):
    name = case["name"]
    out = OUT_ROOT / name
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed_of(name))
    g_tensors, hf_sd, names = make_weights(case, rng)
    ids, labels = make_batch(case, rng)
    n_labelled = sum(sum(1 for t in lab[1:] if t != IGNORE) for lab in labels)
    case["_batch"], case["_names"] = (ids, labels), names
    vocab = gsm.build_vocab(case["tokenizer_size"])

    def extra_kv(w):
        if case["qpas"] is not None:
            w.add_float32("gemma3.attention.query_pre_attn_scalar", float(case["qpas"]))

    gsm.write_gguf(out / "model.gguf", case, g_tensors, vocab, extra=extra_kv)

    # ---- reference forward + gradients
    torch.manual_seed(0)
    model = build_model(case, hf_sd)
    hooks = DtypeHooks(model)
    loss, logits_rows = batch_loss(model, ids, labels, keep_logits=True)
    seen = dict(hooks.seen)
    hooks.remove()
    L = case["layers"]
    assert seen == {"rope": len(ids) * 2 if L > 5 else len(ids), "attn": len(ids) * L,
                    "norm": len(ids) * (L * 6 + 1), "logits": len(ids)}, seen

    w64 = {k: v.astype(np.float64) for k, v in hf_sd.items()}
    np_loss = 0.0
    worst = 0.0
    for row, lab, lg in zip(ids, labels, logits_rows):
        ref = numpy_forward(case, w64, row)
        worst = max(worst, rel_err(lg, ref))
        z = ref[:-1] - ref[:-1].max(axis=1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=1))
        for i, t in enumerate(lab[1:]):
            if t != IGNORE:
                np_loss += lse[i] - z[i, t]
    np_loss /= n_labelled
    assert worst < 1e-12, f"HF float64 logits vs NumPy: rel {worst:.3e}"
    assert abs(np_loss - loss.item()) < 1e-12 * abs(np_loss), (np_loss, loss.item())

    model.zero_grad()
    loss.backward()
    params = dict(model.named_parameters())  # the tied lm_head is not listed separately
    assert "lm_head.weight" not in params and set(params) == set(hf_sd), set(params) ^ set(hf_sd)
    grads = {hf_to_gguf_param(k, names): p.grad.detach().numpy().copy() for k, p in params.items()}
    padded_batch_check(model, ids, labels, loss.item(), params)
    fd_worst = finite_difference_check(model, ids, labels, params, rng)

    # ---- AdamW
    clip, adam = choose_clip_and_run_adamw(case, hf_sd)

    # ---- LoRA
    lora = run_lora(case, hf_sd, ids, labels, rng)

    # ---- expected.gguf
    w = gguf.GGUFWriter(str(out / "expected.gguf"), "jemma-fixture")
    w.add_name(f"jemma-train-fixture-{name}")
    w.add_string("fixture.case", name)
    w.add_string("fixture.description", case["description"])
    w.add_uint32("fixture.batch_rows", len(ids))
    w.add_key_value("fixture.row_lengths", [len(r) for r in ids], VT.ARRAY, sub_type=VT.INT32)
    w.add_key_value("fixture.input_ids", [t for r in ids for t in r], VT.ARRAY, sub_type=VT.INT32)
    w.add_key_value("fixture.labels", [t for r in labels for t in r], VT.ARRAY, sub_type=VT.INT32)
    w.add_uint32("fixture.labelled_positions", n_labelled)
    w.add_float64("fixture.loss", loss.item())
    w.add_float64("fixture.adamw.lr", ADAM_LR)
    w.add_float64("fixture.adamw.weight_decay", ADAM_WD)
    w.add_float64("fixture.adamw.beta1", ADAM_BETAS[0])
    w.add_float64("fixture.adamw.beta2", ADAM_BETAS[1])
    w.add_float64("fixture.adamw.eps", ADAM_EPS)
    w.add_float64("fixture.adamw.clip", clip)
    w.add_uint32("fixture.adamw.steps", ADAM_STEPS)
    w.add_key_value("fixture.adamw.losses", adam["losses"], VT.ARRAY, sub_type=VT.FLOAT64)
    w.add_key_value("fixture.adamw.grad_norms", adam["norms"], VT.ARRAY, sub_type=VT.FLOAT64)
    w.add_key_value("fixture.adamw.clipped", [int(c) for c in adam["clipped"]], VT.ARRAY, sub_type=VT.INT32)
    w.add_uint32("fixture.lora.rank", case["lora_rank"])
    w.add_float32("fixture.lora.alpha", case["lora_alpha"])
    w.add_float64("fixture.lora.loss", lora["loss"])
    gguf_names = [n for n, _, _ in g_tensors]
    for gname in gguf_names:
        w.add_tensor("grad." + gname, grads[gname].astype(np.float32))
    for gname in gguf_names:
        w.add_tensor("adamw." + gname, adam["params"][gname].astype(np.float32))
    for tname, arr in lora["init"].items():
        w.add_tensor("lora." + tname, arr.astype(np.float32))
    for tname, arr in lora["grads"].items():
        w.add_tensor("lora_grad." + tname, arr.astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    verify_readback(out, case, ids, labels, loss.item(), grads, adam, lora, gguf_names, g_tensors)
    sizes = {f.name: f.stat().st_size for f in sorted(out.iterdir())}
    print(f"{name}: loss {loss.item():.12f} (labelled {n_labelled}), |HF-NumPy| rel {worst:.2e}, "
          f"finite-diff rel {fd_worst:.2e}, clip {clip} clipped {adam['clipped']}, "
          f"adamw losses {adam['losses'][0]:.6f} -> {adam['losses'][-1]:.6f}, lora loss {lora['loss']:.6f}, "
          f"lora |HF-NumPy| rel {lora['np_rel']:.2e}, sizes {sizes}", flush=True)
    return dict(name=name, sizes=sizes, clip=clip, clipped=adam["clipped"], norms=adam["norms"])


def padded_batch_check(model, ids, labels, loss, params):
    """The same batch as one right-padded tensor with an attention mask gives the same loss and gradients
    (so running rows one by one is the batch semantics)."""
    T = max(len(r) for r in ids)
    x = torch.tensor([r + [0] * (T - len(r)) for r in ids], dtype=torch.long)
    att = torch.tensor([[1] * len(r) + [0] * (T - len(r)) for r in ids], dtype=torch.long)
    lab = torch.tensor([r + [IGNORE] * (T - len(r)) for r in labels], dtype=torch.long)
    saved = {k: p.grad.clone() for k, p in params.items()}
    model.zero_grad()
    logits = model(input_ids=x, attention_mask=att, use_cache=False).logits
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), lab[:, 1:].reshape(-1),
                         ignore_index=IGNORE, reduction="sum")
    padded = ce / int((lab[:, 1:] != IGNORE).sum())
    assert abs(padded.item() - loss) <= 1e-13 * abs(loss), (padded.item(), loss)
    padded.backward()
    for k, p in params.items():
        assert torch.allclose(p.grad, saved[k], rtol=1e-11, atol=1e-14), k
        p.grad = saved[k]


def finite_difference_check(model, ids, labels, params, rng):
    """Central differences on a few entries of a few parameters (float64, h = 1e-5)."""
    worst = 0.0
    picks = ["model.embed_tokens.weight", "model.layers.0.input_layernorm.weight",
             "model.layers.0.self_attn.k_norm.weight", "model.layers.1.mlp.down_proj.weight", "model.norm.weight"]
    h = 1e-5
    with torch.no_grad():
        for pname in picks:
            p = params[pname]
            flat = p.view(-1)
            gflat = p.grad.view(-1)
            for idx in rng.choice(flat.numel(), size=2, replace=False):
                idx = int(idx)
                orig = flat[idx].item()
                flat[idx] = orig + h
                lp = batch_loss(model, ids, labels)[0].item()
                flat[idx] = orig - h
                lm = batch_loss(model, ids, labels)[0].item()
                flat[idx] = orig
                fd = (lp - lm) / (2 * h)
                g = gflat[idx].item()
                err = abs(fd - g) / max(abs(g), 1e-6)
                worst = max(worst, err)
    assert worst < 1e-5, worst
    return worst


def adamw_run(case, hf_sd, clip):
    model = build_model(case, hf_sd)
    names = dict(model.named_parameters())
    params = list(names.values())
    opt = torch.optim.AdamW(params, lr=ADAM_LR, betas=ADAM_BETAS, eps=ADAM_EPS, weight_decay=ADAM_WD)
    losses, norms, clipped = [], [], []
    ids, labels = case["_batch"]
    for _ in range(ADAM_STEPS):
        opt.zero_grad()
        loss, _ = batch_loss(model, ids, labels)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, clip)
        losses.append(loss.item())
        norms.append(norm.item())
        clipped.append(bool(norm.item() > clip))
        opt.step()
    return model, losses, norms, clipped


def choose_clip_and_run_adamw(case, hf_sd):
    # A first run without clipping shows the gradient-norm range; the clip threshold is set between the
    # smallest and largest norm (rounded to 2 significant digits), then the real run must clip on some
    # steps and not on others.
    _, _, norms0, _ = adamw_run(case, hf_sd, float("inf"))
    target = math.sqrt(min(norms0) * max(norms0))
    clip = float(f"{target:.2g}")
    model, losses, norms, clipped = adamw_run(case, hf_sd, clip)
    assert any(clipped) and not all(clipped), (clip, norms)
    assert all(abs(n - clip) > 1e-3 * clip for n in norms), "a gradient norm too close to the threshold"
    names = case["_names"]
    out = {}
    for k, p in model.named_parameters():
        v = p.detach().numpy().copy()
        if k.endswith("norm.weight"):
            v = 1.0 + v  # GGUF convention: stored 1 + w
        out[names[k]] = v
    return clip, dict(losses=losses, norms=norms, clipped=clipped, params=out)


def run_lora(case, hf_sd, ids, labels, rng):
    from peft import LoraConfig, get_peft_model
    model = build_model(case, hf_sd)
    r, alpha = case["lora_rank"], case["lora_alpha"]
    cfg = LoraConfig(r=r, lora_alpha=alpha, target_modules=list(LORA_TARGETS), lora_dropout=0.0, bias="none",
                     use_rslora=False)
    pm = get_peft_model(model, cfg)
    fix_float64_buffers(pm, case)
    init, lora_np, mods = {}, {}, {}
    for mname, mod in pm.named_modules():
        if not hasattr(mod, "lora_A") or "default" not in getattr(mod, "lora_A", {}):
            continue
        # mname like base_model.model.model.layers.3.self_attn.q_proj
        tail = mname.split("model.layers.", 1)[1]
        layer, sub = tail.split(".", 1)
        tname = f"blk.{layer}.{HF_TO_GGUF_ROLE[sub]}.weight"
        A_mod, B_mod = mod.lora_A["default"], mod.lora_B["default"]
        n_in, n_out = A_mod.in_features, B_mod.out_features
        A = rng.normal(0.0, n_in ** -0.5, size=(r, n_in)).astype(np.float32)
        B = rng.normal(0.0, 0.2, size=(n_out, r)).astype(np.float32)  # random, not PEFT's zeros
        with torch.no_grad():
            A_mod.weight.data = torch.from_numpy(A.astype(np.float64))
            B_mod.weight.data = torch.from_numpy(B.astype(np.float64))
        assert mod.scaling["default"] == alpha / r
        init[tname + ".lora_a"] = A
        init[tname + ".lora_b"] = B
        mods[tname] = mod
        lora_np[f"model.layers.{layer}.{sub}"] = (A.astype(np.float64), B.astype(np.float64), alpha / r)
    assert len(mods) == 7 * case["layers"], len(mods)
    trainable = [n for n, p in pm.named_parameters() if p.requires_grad]
    assert len(trainable) == 14 * case["layers"] and all("lora_" in n for n in trainable), trainable
    hooks = DtypeHooks(pm)
    loss, logits_rows = batch_loss(pm, ids, labels, keep_logits=True)
    hooks.remove()
    w64 = {k: v.astype(np.float64) for k, v in hf_sd.items()}
    worst = max(rel_err(lg, numpy_forward(case, w64, row, lora_np)) for row, lg in zip(ids, logits_rows))
    assert worst < 1e-12, worst
    loss.backward()
    grads = {}
    for tname, mod in mods.items():
        grads[tname + ".lora_a"] = mod.lora_A["default"].weight.grad.numpy().copy()
        grads[tname + ".lora_b"] = mod.lora_B["default"].weight.grad.numpy().copy()
        assert np.any(grads[tname + ".lora_a"] != 0) and np.any(grads[tname + ".lora_b"] != 0)
    for n, p in pm.named_parameters():
        if not p.requires_grad:
            assert p.grad is None, n
    return dict(loss=loss.item(), init=init, grads=grads, np_rel=worst)


def verify_readback(out, case, ids, labels, loss, grads, adam, lora, gguf_names, g_tensors):
    rd = gguf.GGUFReader(str(out / "expected.gguf"))

    def field(key):
        f = rd.fields[key]
        return f.contents()

    assert field("general.architecture") == "jemma-fixture"
    assert field("fixture.batch_rows") == len(ids)
    assert field("fixture.row_lengths") == [len(r) for r in ids]
    assert field("fixture.input_ids") == [t for r in ids for t in r]
    assert field("fixture.labels") == [t for r in labels for t in r]
    assert field("fixture.loss") == loss
    assert rd.fields["fixture.loss"].types == [VT.FLOAT64]
    assert rd.fields["fixture.adamw.losses"].types == [VT.ARRAY, VT.FLOAT64]
    assert field("fixture.adamw.losses") == adam["losses"]
    assert field("fixture.adamw.steps") == ADAM_STEPS
    assert field("fixture.lora.rank") == case["lora_rank"]
    tensors = {t.name: t for t in rd.tensors}
    model_shapes = {n: a.shape for n, a, _ in g_tensors}
    mrd = gguf.GGUFReader(str(out / "model.gguf"))
    mt = {t.name: t for t in mrd.tensors}
    assert "output.weight" not in mt and set(mt) == set(gguf_names)
    for gname in gguf_names:
        for prefix, ref in (("grad.", grads[gname]), ("adamw.", adam["params"][gname])):
            t = tensors[prefix + gname]
            assert t.tensor_type == QT.F32
            assert list(t.shape) == list(mt[gname].shape) == list(reversed(model_shapes[gname])), gname
            assert np.array_equal(np.asarray(t.data).reshape(model_shapes[gname]), ref.astype(np.float32))
    r = case["lora_rank"]
    for tname, arr in lora["init"].items():
        base = tname.rsplit(".", 1)[0]
        n_out, n_in = model_shapes[base]
        want = [n_in, r] if tname.endswith("lora_a") else [r, n_out]
        for prefix, ref in (("lora.", arr), ("lora_grad.", lora["grads"][tname])):
            t = tensors[prefix + tname]
            assert list(t.shape) == want, (tname, list(t.shape), want)
            assert np.array_equal(np.asarray(t.data).reshape(ref.shape), ref.astype(np.float32))
    # the norms in model.gguf are 1 + w, in expected.gguf's adamw.* too
    emb = mt["token_embd.weight"]
    assert list(emb.shape) == [case["hidden"], case["vocab_rows"]]


def main(argv):
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
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
