#!/usr/bin/env python3
"""llama.cpp's image encoding time (mtmd, as in llama-mtmd-cli): load the text model and the mmproj, make the bitmap
from an image file, tokenize a prompt holding the media marker, then time mtmd_encode_chunk on the image chunk.

    .venv/bin/python conformance/bench_vision_llamacpp.py TEXT.gguf MMPROJ.gguf IMAGE THREADS REPS

Prints one line per repetition: `encode_ms N`. Pins: llama-cpp-python 0.3.36 (its libmtmd).
"""
import ctypes
import sys
import time

import llama_cpp
from llama_cpp import mtmd_cpp as m


def main() -> None:
    text, mmproj, image, threads, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    llama_cpp.llama_backend_init()
    mp = llama_cpp.llama_model_default_params()
    model = llama_cpp.llama_model_load_from_file(text.encode(), mp)
    cp = m.mtmd_context_params_default()
    cp.use_gpu = False
    cp.n_threads = threads
    cp.print_timings = False
    cp.warmup = False
    ctx = m.mtmd_init_from_file(mmproj.encode(), model, cp)
    if not ctx:
        sys.exit("mtmd_init_from_file failed")
    for _ in range(reps):
        bmp = m.mtmd_helper_bitmap_init_from_file(ctx, image.encode(), False)
        chunks = m.mtmd_input_chunks_init()
        t = m.mtmd_input_text()
        prompt = m.mtmd_default_marker() + b" Describe."
        t.text = prompt
        t.text_len = len(prompt)
        t.add_special = True
        t.parse_special = True
        arr = (m.mtmd_bitmap_p_ctypes * 1)(bmp)
        if m.mtmd_tokenize(ctx, chunks, ctypes.byref(t), arr, 1) != 0:
            sys.exit("mtmd_tokenize failed")
        for i in range(m.mtmd_input_chunks_size(chunks)):
            ch = m.mtmd_input_chunks_get(chunks, i)
            if m.mtmd_input_chunk_get_type(ch) == m.MTMD_INPUT_CHUNK_TYPE_IMAGE:
                t0 = time.perf_counter()
                if m.mtmd_encode_chunk(ctx, ch) != 0:
                    sys.exit("mtmd_encode_chunk failed")
                print(f"encode_ms {(time.perf_counter() - t0) * 1000:.1f}", flush=True)
        m.mtmd_input_chunks_free(chunks)
        m.mtmd_bitmap_free(bmp)
    m.mtmd_free(ctx)


if __name__ == "__main__":
    main()
