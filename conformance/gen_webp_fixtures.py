#!/usr/bin/env python3
"""Lossy WebP references: what Pillow (libwebp) decodes, for Jemma's VP8 decoder to equal byte for byte.

Run from the repository root with the reference venv:

    .venv/bin/python conformance/gen_webp_fixtures.py

Pins: pillow 12.3.0 and numpy 2.4.6 (conformance/requirements.txt; Pillow's wheel carries its own libwebp, which
encodes most of these files and decodes all the references), and for the encoder settings Pillow does not expose
(simple loop filter, sharpness, several token partitions, one segment, no filter) libwebp's encoder as WebAssembly
from the npm package @jsquash/webp 1.5.0, installed into conformance/.cache/npm-webp and run by
conformance/webp_encode.mjs with node. Fixed seed: running it twice gives identical files.

Writes jemma-core/src/test/resources/fixtures/vision/webp/:
  *.webp      lossy WebP files: smooth and noisy content, sizes from 1x1 to 4 macroblocks by 9 with odd widths and
              heights, qualities 0 to 100 (coarse to fine quantizers, strong to no loop filtering, segment maps),
              encoder methods 0 to 6, flat images (skipped macroblocks), RGBA images with lossy colour and
              lossless alpha, and the simple and normal loop filters with every sharpness, 2, 4 and 8 token
              partitions, one to four segments and filtering off.
  webp.json   per file: its description, size, and the sha256 of the RGB bytes transformers' convert_to_rgb makes
              from Pillow's decoding (RGBA composited on white), plus the bytes themselves (base64) when small.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "jemma-core/src/test/resources/fixtures/vision/webp"
SEED = 20261203
PINS = {"PIL": "12.3.0", "numpy": "2.4.6"}
JSQUASH = "@jsquash/webp@1.5.0"
NPM = ROOT / "conformance/.cache/npm-webp"


def libwebp_encoder():
    """A function (rgba array, options, path) that encodes with libwebp's full configuration."""
    import subprocess
    import tempfile
    if not (NPM / "node_modules/@jsquash/webp/encode.js").exists():
        NPM.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(NPM), "--no-save", "--no-audit", "--no-fund",
                        "--ignore-scripts", JSQUASH], check=True, stdout=sys.stderr)

    def encode(rgba, options, path):
        h, w = rgba.shape[:2]
        with tempfile.NamedTemporaryFile(suffix=".rgba") as raw:
            raw.write(rgba.tobytes())
            raw.flush()
            subprocess.run(["node", str(ROOT / "conformance/webp_encode.mjs"), str(NPM), raw.name, str(w), str(h),
                            json.dumps(options), str(path)], check=True)
    return encode


def main() -> None:
    import numpy as np
    import PIL
    from PIL import Image
    got = {"PIL": PIL.__version__, "numpy": np.__version__}
    for k, v in PINS.items():
        if got[k] != v:
            sys.exit(f"gen_webp_fixtures: {k} {got[k]} installed, {v} pinned")
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.webp"):
        old.unlink()

    def content(w, h, c, amp):
        # diagonal gradients per channel, a few sharp-edged shapes, and noise of the given amplitude
        y, x = np.mgrid[0:h, 0:w]
        chans = []
        for k in range(c):
            base = (x * (200 + 20 * k) // max(1, w - 1) + y * (255 - 30 * k) // max(1, h - 1)) // 2 + 40 * k
            base = base + np.where((x // 7 + y // 5 + k) % 3 == 0, 60, 0)
            chans.append((base + rng.integers(-amp, amp + 1, (h, w))) % 256)
        return np.stack(chans, axis=-1).astype(np.uint8)

    cases = []

    libwebp = libwebp_encoder()

    def save(name, img, desc, libwebp_options=None, **kw):
        path = OUT / name
        if libwebp_options is None:
            img.save(path, "WEBP", **kw)
        else:
            libwebp(np.asarray(img.convert("RGBA"), dtype=np.uint8), libwebp_options, path)
        with Image.open(path) as im:
            im.load()
            if im.mode == "RGBA":
                rgba = np.asarray(im, dtype=np.uint32)
                a = rgba[..., 3:4]
                # transformers 5.x convert_to_rgb: Image.alpha_composite onto white, then RGB
                white = Image.new("RGBA", im.size, (255, 255, 255, 255))
                rgb = Image.alpha_composite(white, im).convert("RGB")
            else:
                rgb = im.convert("RGB")
            data = np.asarray(rgb, dtype=np.uint8).tobytes()
        entry = {"image": name, "description": desc, "width": img.width, "height": img.height,
                 "rgb_sha256": hashlib.sha256(data).hexdigest()}
        if len(data) <= 3 * 24 * 24:
            entry["rgb_base64"] = base64.b64encode(data).decode()
        cases.append(entry)

    for (w, h) in [(1, 1), (2, 3), (7, 5), (16, 16), (17, 33), (64, 48), (120, 90), (257, 131), (63, 144)]:
        save(f"noisy_{w}x{h}_q75.webp", Image.fromarray(content(w, h, 3, 30), "RGB"), f"{w}x{h}, noisy, quality 75",
             quality=75)
    for q in [0, 5, 20, 50, 90, 100]:
        save(f"smooth_96x80_q{q}.webp", Image.fromarray(content(96, 80, 3, 4), "RGB"), f"96x80, smooth, quality {q}",
             quality=q)
    for m in [0, 2, 4, 6]:
        save(f"noisy_81x47_m{m}.webp", Image.fromarray(content(81, 47, 3, 60), "RGB"),
             f"81x47, very noisy, quality 60, method {m}", quality=60, method=m)
    flat = np.zeros((192, 256, 3), np.uint8)
    flat[...] = (200, 120, 40)
    flat[20:40, 30:60] = (10, 220, 90)
    save("flat_256x192_q80.webp", Image.fromarray(flat, "RGB"), "256x192, flat areas (skipped macroblocks), quality 80",
         quality=80)
    grey = content(70, 50, 1, 20)[..., 0]
    save("grey_70x50_q70.webp", Image.fromarray(grey, "L"), "70x50, grey source, quality 70", quality=70)
    for (w, h, q) in [(64, 48, 80), (33, 21, 30)]:
        rgba = content(w, h, 4, 30)
        rgba[..., 3] = np.where(rng.random((h, w)) < 0.2, 0, rgba[..., 3])
        rgba[: h // 4, : w // 4, 3] = 255
        save(f"rgba_{w}x{h}_q{q}.webp", Image.fromarray(rgba, "RGBA"),
             f"{w}x{h} RGBA, lossy colour and lossless alpha, quality {q}", quality=q)

    # encoder settings Pillow cannot ask for
    picture = Image.fromarray(content(83, 61, 3, 25), "RGB")
    for sharp in range(8):
        save(f"simple_83x61_s{sharp}.webp", picture, f"83x61, simple loop filter, sharpness {sharp}",
             {"quality": 40, "filter_type": 0, "filter_sharpness": sharp, "filter_strength": 60})
    for sharp in [1, 3, 5, 7]:
        save(f"normal_83x61_s{sharp}.webp", picture, f"83x61, normal loop filter, sharpness {sharp}",
             {"quality": 40, "filter_type": 1, "filter_sharpness": sharp, "filter_strength": 80})
    for parts in [1, 2, 3]:
        save(f"partitions_83x61_p{1 << parts}.webp", picture, f"83x61, {1 << parts} token partitions",
             {"quality": 60, "partitions": parts, "low_memory": 1})  # libwebp writes one partition otherwise
    for segments in [1, 2, 3]:
        save(f"segments_83x61_{segments}.webp", picture, f"83x61, {segments} segment(s)",
             {"quality": 50, "segments": segments})
    # skip flags: libwebp's token-buffer path (the default) never writes them
    save("flat_256x192_skip.webp", Image.fromarray(flat, "RGB"), "256x192, flat areas, skipped macroblocks flagged",
         {"quality": 80, "low_memory": 1})
    save("nofilter_83x61.webp", picture, "83x61, loop filter off", {"quality": 50, "filter_strength": 0})
    save("strong_sns_83x61.webp", picture, "83x61, strong spatial noise shaping, quality 15",
         {"quality": 15, "sns_strength": 100, "filter_strength": 100})

    (OUT / "webp.json").write_text(json.dumps({"pillow": PIL.__version__, "cases": cases}, indent=1) + "\n")
    print(f"gen_webp_fixtures: {len(cases)} files in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
