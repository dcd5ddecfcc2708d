"""Rows quantized by ggml itself, for the byte-exact row quantizers (dev.jemma.quantize.Quantizers).

Pins llama-cpp-python 0.3.36 (conformance/requirements.txt): its libggml-base.so's ggml_quantize_chunk is called
through ctypes on ROWS x COLS f32 rows that include the hard cases (zeros, a constant, one huge outlier, values
near 1e-30, per-block mixed scales, all-negative, values on a quantization grid, heavy tails, random normals).

Writes little-endian files to jemma-core/src/test/resources/fixtures/quantize/:
  input.f32                    the rows (ROWS*COLS floats)
  imatrix.f32                  a positive importance vector (COLS floats)
  imatrix_zeros.f32            an importance vector with zeros in it, one whole 32-block of zeros included
  <TYPE>.bin                   ggml_quantize_chunk(type, input, ..., imatrix=NULL)
  <TYPE>.imatrix.bin           ... with imatrix.f32
  <TYPE>.imatrix_zeros.bin     ... with imatrix_zeros.f32

Regenerate: .venv/bin/python conformance/gen_quantize_fixtures.py  (same seed and library give the same bytes).
"""
import ctypes
import pathlib

import numpy as np
import llama_cpp
from gguf import GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "jemma-core/src/test/resources/fixtures/quantize"
ROWS, COLS = 10, 512
SEED = 20260314
TYPES = [T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1,
         T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]


def load_ggml():
    assert llama_cpp.__version__ == "0.3.36", llama_cpp.__version__
    lib = ctypes.CDLL(str(pathlib.Path(llama_cpp.__file__).parent / "lib" / "libggml-base.so"))
    lib.ggml_quantize_init.argtypes = [ctypes.c_int]
    lib.ggml_quantize_init.restype = None
    lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                        ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    return lib


def rows(rng):
    x = np.empty((ROWS, COLS), dtype="<f4")
    x[0] = rng.standard_normal(COLS)                                     # normal
    x[1] = 0                                                             # all zeros
    x[2] = 0.7                                                           # constant
    x[3] = rng.standard_normal(COLS) * 0.02                              # one huge outlier
    x[3, 77] = 3.0e4
    x[4] = rng.standard_normal(COLS) * 1e-30                             # tiny
    scales = 10.0 ** rng.uniform(-5, 2, size=COLS // 16)                 # a scale per 16 values
    x[5] = rng.standard_normal(COLS) * np.repeat(scales, 16)
    x[5, 256:288] = 0                                                    # and a zero block in there
    x[6] = -np.abs(rng.standard_normal(COLS)) - 0.1                      # all negative
    x[7] = rng.integers(-8, 8, size=COLS) * 0.25                         # on a grid: ties in x/d
    x[8] = rng.standard_t(2, size=COLS)                                  # heavy tails
    x[9] = np.abs(rng.standard_normal(COLS)) * np.repeat(rng.uniform(0.1, 3, size=COLS // 32), 32)  # all positive
    return x


def quantize(lib, t, src, imatrix):
    block, nbytes = GGML_QUANT_SIZES[t]
    size = ROWS * COLS // block * nbytes
    dst = np.zeros(size, dtype=np.uint8)
    lib.ggml_quantize_init(int(t))
    got = lib.ggml_quantize_chunk(int(t), src.ctypes.data, dst.ctypes.data, 0, ROWS, COLS,
                                  None if imatrix is None else imatrix.ctypes.data)
    assert got == size, (t.name, got, size)
    return dst.tobytes()


def main():
    lib = load_ggml()
    rng = np.random.default_rng(SEED)
    src = np.ascontiguousarray(rows(rng))
    imatrix = (rng.uniform(0.05, 4.0, size=COLS) ** 2).astype("<f4")
    zeros = imatrix.copy()
    zeros[rng.random(COLS) < 0.3] = 0
    zeros[64:96] = 0
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "input.f32").write_bytes(src.tobytes())
    (OUT / "imatrix.f32").write_bytes(imatrix.tobytes())
    (OUT / "imatrix_zeros.f32").write_bytes(zeros.tobytes())
    for t in TYPES:
        for suffix, imx in [("", None), (".imatrix", imatrix), (".imatrix_zeros", zeros)]:
            data = quantize(lib, t, src, imx)
            (OUT / f"{t.name}{suffix}.bin").write_bytes(data)
        print(f"{t.name}: {len(data)} bytes per variant")


if __name__ == "__main__":
    main()
