"""Safetensors files written by the real `safetensors` library, for SafetensorsRoundTripTest.

Writes jemma-core/src/test/resources/fixtures/safetensors/ (or the folder given as the argument):

  single/model.safetensors      safetensors.torch.save_file: F32 [2,3] (random), F16 [8] and BF16 [2,4]
                                (special values: ±0, subnormals, max, inf, NaN), an F32 scalar, an F32 [0,4]
                                with no elements, I64 [3], U8 [4], F64 [2]; __metadata__ {"format": "pt", ...}
  sharded/                      huggingface_hub.save_torch_state_dict with a 300-byte max_shard_size: a
                                model.safetensors.index.json and model-0000i-of-0000n.safetensors shards
  */expected.json               per tensor: dtype, shape, and the values — for float types the bits of each
                                value as float32 (exact, NaN and -0 included), for integer types the integers;
                                plus the file's metadata

Deterministic (fixed seed); ~10 KB. Pinned by conformance/requirements.txt (safetensors, huggingface_hub, torch).
Run: .venv/bin/python conformance/gen_safetensors_fixtures.py [OUT_DIR]
"""
import json
import pathlib
import sys

import torch
from huggingface_hub import save_torch_state_dict
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "jemma-core/src/test/resources/fixtures/safetensors"
SEED = 20260301

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
          torch.int64: "I64", torch.uint8: "U8", torch.int32: "I32"}


def specials(dtype):
    info = torch.finfo(dtype)
    vals = [0.0, -0.0, 1.0, -2.5, info.max, info.tiny, info.tiny / 4, float("inf"), float("nan")]
    return torch.tensor(vals[:8], dtype=torch.float32).to(dtype), vals[8]


def expected(tensors, metadata):
    out = {"metadata": metadata, "tensors": {}}
    for name, t in tensors.items():
        if t.is_floating_point():
            values = t.to(torch.float32).flatten().view(torch.int32).tolist()
        else:
            values = t.flatten().tolist()
        out["tensors"][name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "values": values}
    return out


def main():
    g = torch.Generator().manual_seed(SEED)
    f16, _ = specials(torch.float16)
    bf16, _ = specials(torch.bfloat16)
    bf16 = bf16.clone()
    bf16[7] = float("nan")
    single = {
        "model.embed_tokens.weight": torch.randn(2, 3, generator=g),
        "layers.0.f16": f16,
        "layers.0.bf16": bf16.reshape(2, 4),
        "scalar": torch.tensor(3.25),
        "empty": torch.zeros(0, 4),
        "ids": torch.tensor([-(2**62), 0, 2**40 + 7], dtype=torch.int64),
        "bytes": torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
        "doubles": torch.tensor([1.0 / 3, -1e300], dtype=torch.float64),
    }
    meta = {"format": "pt", "source": "jemma conformance"}
    d = OUT / "single"
    d.mkdir(parents=True, exist_ok=True)
    save_file(single, str(d / "model.safetensors"), metadata=meta)
    (d / "expected.json").write_text(json.dumps(expected(single, meta), indent=1) + "\n")

    sharded = {f"model.layers.{i}.mlp.weight": torch.randn(4, 4 + i, generator=g).to(
        [torch.float32, torch.bfloat16, torch.float16][i % 3]) for i in range(5)}
    sharded["model.norm.weight"] = torch.randn(6, generator=g)
    d = OUT / "sharded"
    d.mkdir(parents=True, exist_ok=True)
    for old in d.glob("*"):
        old.unlink()
    save_torch_state_dict(sharded, d, max_shard_size=300)
    (d / "expected.json").write_text(json.dumps(expected(sharded, {"format": "pt"}), indent=1) + "\n")
    print("wrote", OUT, sorted(p.name for p in d.iterdir()))


if __name__ == "__main__":
    main()
