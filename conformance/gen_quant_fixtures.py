"""Random quantized rows and their dequantized values, from the gguf package's independent dequantizer.

For each ggml type: ROWS rows of COLS elements of random bytes, with every f16 scale field replaced by a
finite random value (so no NaN/Inf), dequantized by gguf.quants.dequantize. Writes little-endian files to
jemma-core/src/test/resources/fixtures/quant/: <type>.bin (row bytes), <type>.f32 (expected values) and
x.f32 (a random activation vector of COLS floats).

For the row writers (KV cache storage), also: quantize_src.f32 (f32 rows: normal values, an all-zero block,
large and tiny magnitudes, exact .5 steps) and their encodings by gguf.quants.quantize as
quantize_<type>.bin for F16 and Q8_0.

Run: .venv/bin/python conformance/gen_quant_fixtures.py
"""
import pathlib

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants
from gguf.constants import GGML_QUANT_SIZES

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "jemma-core/src/test/resources/fixtures/quant"
ROWS, COLS = 4, 512
SEED = 20261124

# byte offsets of the f16 scale fields inside one block
F16_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}


def random_rows(t, rng):
    block, nbytes = GGML_QUANT_SIZES[t]
    n_blocks = ROWS * COLS // block
    if t == T.F32:
        return rng.standard_normal(ROWS * COLS).astype("<f4").tobytes()
    if t == T.F16:
        return rng.standard_normal(ROWS * COLS).astype("<f2").tobytes()
    if t == T.BF16:
        bits = rng.standard_normal(ROWS * COLS).astype("<f4").view("<u4") >> 16
        return bits.astype("<u2").tobytes()
    raw = rng.integers(0, 256, size=(n_blocks, nbytes), dtype=np.uint8)
    for off in F16_FIELDS[t]:
        mag = rng.uniform(1e-3, 1e-1, size=n_blocks) * rng.choice([-1, 1], size=n_blocks)
        raw[:, off:off + 2] = mag.astype("<f2").view(np.uint8).reshape(n_blocks, 2)
    return raw.tobytes()


def main():
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    x = rng.standard_normal(COLS).astype("<f4")
    (OUT / "x.f32").write_bytes(x.tobytes())
    for t in [T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1,
              T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]:
        data = random_rows(t, rng)
        block, nbytes = GGML_QUANT_SIZES[t]
        arr = np.frombuffer(data, dtype=np.uint8).reshape(ROWS, COLS // block * nbytes)
        values = quants.dequantize(arr, t).astype("<f4").reshape(ROWS, COLS)
        assert np.isfinite(values).all(), t.name
        (OUT / f"{t.name}.bin").write_bytes(data)
        (OUT / f"{t.name}.f32").write_bytes(values.tobytes())
        print(f"{t.name}: {len(data)} bytes, |values| max {np.abs(values).max():.3g}")
    write_quantize_fixtures(np.random.default_rng(SEED + 1))


def write_quantize_fixtures(rng):
    src = rng.standard_normal((ROWS, COLS)).astype("<f4")
    src[0, :32] = 0                                           # a block of zeros: scale 0
    src[1, :32] *= 1e4                                        # large magnitudes
    src[1, 32:64] *= 1e-6                                     # tiny ones
    src[2, :32] = np.arange(-16, 16, dtype="<f4") * 0.5       # max 8 → d = 8/127: exact .5 steps in x/d
    src[2, 32:64] = np.linspace(-127, 127, 32, dtype="<f4")   # x/d lands on integers and halves
    (OUT / "quantize_src.f32").write_bytes(src.tobytes())
    for t in [T.F16, T.Q8_0]:
        q = quants.quantize(src, t)
        (OUT / f"quantize_{t.name}.bin").write_bytes(q.tobytes())
        print(f"quantize {t.name}: {q.nbytes} bytes")


if __name__ == "__main__":
    main()
