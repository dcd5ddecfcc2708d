#!/usr/bin/env python3
"""Image preprocessing and vision references for Gemma 3: Pillow resizes, transformers' image processor (PIL path),
Pan & Scan, projected image features and logits of the tiny vision model with images.

Run from the repository root, after conformance/gen_hf_fixtures.py has made the tiny vision folder:

    .venv/bin/python conformance/gen_vision_fixtures.py

Pins: the venv of conformance/requirements.txt (transformers 5.24.0, torch 2.15.0, numpy 2.4.6, pillow 12.3.0).
Everything runs on one thread with fixed seeds; running it twice gives byte-identical files.

Writes jemma-core/src/test/resources/fixtures/vision/:
  images/*.png|jpg|webp  small test images: RGB, RGBA with transparent pixels, grey, grey + alpha, palette with and
                          without transparency, 1-bit, odd sizes, and photo-like JPEG/WebP (q 90).
  resize.json             per image and target size: Pillow's convert-to-RGB the transformers 5.x way (RGBA
                          composited on white), then Image.resize(BILINEAR): the sha256 of the uint8 RGB bytes (and
                          the bytes themselves, base64, for the small ones); transformers' Gemma3ImageProcessorPil
                          (the PIL backend) pixel_values as the sha256 of the float32 little-endian bytes and the first
                          values.
  pan_and_scan.json       for 24 image sizes: the crop boxes transformers' pan_and_scan makes (recovered from the
                          crops' shapes and positions), the number of crops the processor reports, and the
                          pixel_values sha256 of each view (original first) at 32 px.
  features_f16_projector.json  get_image_features of the tiny vision model with its projection matrix rounded to
                          float16 (as llama.cpp's mmproj converter stores it), for the fixed pixel tensor of
                          tiny-gemma3-vision.reference.json.
  logits.json             Gemma3ForConditionalGeneration (projection rounded to f16, eager attention, float32) on
                          processor-made inputs: one image, two images, a non-square image, and Pan & Scan: the
                          text, input_ids, token_type_ids, the image files, and the logits of every position.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
HF = ROOT / "jemma-core/src/test/resources/fixtures/hf"
OUT = ROOT / "jemma-core/src/test/resources/fixtures/vision"
SEED = 20261202
PINS = {"transformers": "5.24.0", "torch": "2.15.0", "numpy": "2.4.6", "PIL": "12.3.0"}


def check_pins() -> None:
    import numpy, PIL, torch, transformers
    got = {"transformers": transformers.__version__, "torch": torch.__version__.split("+")[0],
           "numpy": numpy.__version__, "PIL": PIL.__version__}
    for k, v in PINS.items():
        if got[k] != v:
            sys.exit(f"gen_vision_fixtures: {k} {got[k]} installed, {v} pinned (conformance/requirements.txt)")


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def f32(x) -> float:
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=1, sort_keys=False) + "\n")


def make_images(rng) -> dict[str, str]:
    """name -> description; files written under images/."""
    import numpy as np
    from PIL import Image
    d = OUT / "images"
    d.mkdir(parents=True, exist_ok=True)
    made = {}

    def save(name, img, desc, **kw):
        img.save(d / name, **kw)
        made[name] = desc

    def noise(w, h, c, amp=40):
        # smooth gradients plus noise, so resizing has structure to average
        y, x = np.mgrid[0:h, 0:w]
        base = (x * 255 // max(1, w - 1) + y * 255 // max(1, h - 1)) // 2
        chans = [(base + rng.integers(-amp, amp + 1, (h, w)) + 60 * k) % 256 for k in range(c)]
        return np.stack(chans, axis=-1).astype(np.uint8)

    save("rgb_53x37.png", Image.fromarray(noise(53, 37, 3), "RGB"), "RGB, odd size, upscaled")
    save("rgb_200x150.png", Image.fromarray(noise(200, 150, 3), "RGB"), "RGB, downscaled")
    save("rgb_31x97.png", Image.fromarray(noise(31, 97, 3), "RGB"), "RGB, tall")
    rgba = noise(64, 48, 4)
    rgba[..., 3] = np.where(rng.random((48, 64)) < 0.2, 0, rgba[..., 3])  # some fully transparent pixels
    rgba[:8, :8, 3] = 255
    save("rgba_64x48.png", Image.fromarray(rgba, "RGBA"), "RGBA, partly transparent")
    save("rgba_opaque_40x40.png", Image.fromarray(np.dstack([noise(40, 40, 3), np.full((40, 40), 255, np.uint8)]), "RGBA"),
         "RGBA, all opaque")
    save("grey_45x45.png", Image.fromarray(noise(45, 45, 1)[..., 0], "L"), "grey")
    la = noise(33, 21, 2)
    save("grey_alpha_33x21.png", Image.fromarray(la, "LA"), "grey + alpha")
    pal = Image.fromarray(noise(50, 30, 3), "RGB").quantize(colors=16, method=Image.Quantize.MEDIANCUT)
    save("palette_50x30.png", pal, "palette, 16 colours")
    palt = pal.copy()
    palt.info["transparency"] = 3
    save("palette_transparent_50x30.png", palt, "palette with a transparent index", transparency=3)
    bw = Image.fromarray((noise(40, 24, 1)[..., 0] > 128).astype(np.uint8) * 255, "L").convert("1")
    save("bilevel_40x24.png", bw, "1-bit")
    save("rgb_1x1.png", Image.fromarray(noise(1, 1, 3), "RGB"), "one pixel")
    save("rgb_300x17.png", Image.fromarray(noise(300, 17, 3), "RGB"), "very wide")
    save("rgb_896x600.png", Image.fromarray(noise(896, 600, 3, amp=1), "RGB"), "larger than the encoder, non-square")
    photo = Image.fromarray(noise(120, 90, 3), "RGB")
    save("photo_120x90.jpg", photo, "JPEG q 90", quality=90)
    save("photo_120x90.webp", photo, "WebP lossy q 90", quality=90)
    save("rgba_64x48.webp", Image.fromarray(rgba, "RGBA"), "WebP lossless with alpha", lossless=True)
    return made


def to_rgb_transformers(img):
    """transformers 5.x convert_to_rgb: an image with alpha or a transparency key composited onto white via RGBA."""
    from PIL import Image
    from transformers.image_transforms import convert_to_rgb
    return Image.fromarray(convert_to_rgb(img, return_numpy=True), "RGB")


def processor(size: int, pan_and_scan: bool = False):
    from transformers import Gemma3ImageProcessorPil
    return Gemma3ImageProcessorPil(size={"height": size, "width": size}, do_pan_and_scan=pan_and_scan,
                                pan_and_scan_min_crop_size=256, pan_and_scan_max_num_crops=4,
                                pan_and_scan_min_ratio_to_activate=1.2, do_convert_rgb=True,
                                image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5], resample=2)


def pixel_values(img, size: int, pan_and_scan: bool = False):
    import numpy as np
    out = processor(size, pan_and_scan)(images=[img], return_tensors="np")
    return np.asarray(out["pixel_values"], dtype=np.float32), out.get("num_crops")


def resize_cases(images: dict[str, str]) -> dict:
    import numpy as np
    from PIL import Image
    cases = []
    for name, desc in images.items():
        img = Image.open(OUT / "images" / name)
        img.load()
        rgb = to_rgb_transformers(img)
        for size in (32, 64, 896):
            r = rgb.resize((size, size), resample=Image.BILINEAR)
            raw = np.asarray(r, dtype=np.uint8).tobytes()
            case = {"image": name, "description": desc, "mode": img.mode, "width": img.width, "height": img.height,
                    "size": size, "rgb_sha256": sha(np.asarray(rgb, dtype=np.uint8).tobytes()),
                    "resized_sha256": sha(raw)}
            if size <= 64:
                case["resized_base64"] = base64.b64encode(raw).decode()
                pv, _ = pixel_values(Image.open(OUT / "images" / name), size)
                assert pv.shape == (1, 3, size, size), pv.shape
                case["pixel_values_sha256"] = sha(pv.astype("<f4").tobytes())
                case["pixel_values_head"] = [f32(x) for x in pv.reshape(-1)[:8]]
            cases.append(case)
    return {"note": "rgb: Pillow convert as transformers 5.x convert_to_rgb (non-RGB via RGBA composited on white); "
                    "resized: Image.resize((size, size), BILINEAR) of that; pixel_values: Gemma3ImageProcessor (slow, "
                    "PIL) at size, float32 little-endian bytes",
            "cases": cases}


def pan_and_scan_cases() -> dict:
    import numpy as np
    from PIL import Image
    sizes = [(300, 300), (359, 300), (360, 300), (361, 300), (600, 300), (767, 300), (768, 300), (1100, 300),
             (2000, 300), (3000, 400), (511, 255), (513, 256), (600, 256), (600, 255), (300, 359), (300, 360),
             (300, 900), (256, 1300), (400, 2500), (1000, 600), (800, 500), (1024, 512), (257, 700), (900, 1200)]
    proc = processor(32, True)
    cases = []
    for w, h in sizes:
        # each pixel names its own position, so a crop's top-left pixel tells where it was cut
        y, x = np.mgrid[0:h, 0:w]
        arr = np.stack([x & 255, y & 255, (x >> 8) | ((y >> 8) << 4)], axis=-1).astype(np.uint8)
        crops = proc.pan_and_scan(np.moveaxis(arr, -1, 0), pan_and_scan_min_crop_size=256, pan_and_scan_max_num_crops=4,
                                  pan_and_scan_min_ratio_to_activate=1.2)
        boxes = []
        for c in crops:
            c = np.moveaxis(c, 0, -1)  # the PIL backend's crops are channels-first
            p = c[0, 0].astype(int)
            bx, by = int(p[0] + 256 * (p[2] & 15)), int(p[1] + 256 * (p[2] >> 4))
            assert np.array_equal(arr[by:by + c.shape[0], bx:bx + c.shape[1]], c)
            boxes.append({"x": bx, "y": by, "width": int(c.shape[1]), "height": int(c.shape[0])})
        img = Image.fromarray(arr, "RGB")
        img.save(buf := io.BytesIO(), format="PNG")
        pv, num = pixel_values(Image.open(io.BytesIO(buf.getvalue())), 32, True)
        assert pv.shape[0] == 1 + len(boxes), (pv.shape, len(boxes))
        cases.append({"width": w, "height": h, "png_sha256": sha(buf.getvalue()), "boxes": boxes,
                      "num_crops": int(np.asarray(num).reshape(-1)[0]) if num is not None else None,
                      "views_pixel_values_sha256": [sha(pv[i].astype("<f4").tobytes()) for i in range(pv.shape[0])]})
        (OUT / "pas").mkdir(exist_ok=True)
        (OUT / "pas" / f"{w}x{h}.png").write_bytes(buf.getvalue())
    return {"note": "transformers Gemma3ImageProcessor.pan_and_scan (min crop 256, max 4, ratio 1.2) on RGB images whose "
                    "pixels are (x mod 256, y mod 256, x div 256 + 16 (y div 256)), saved as pas/WxH.png; views = original then crops, each at 32 px", "cases": cases}


def vision_model():
    import torch
    from transformers import Gemma3ForConditionalGeneration
    m = Gemma3ForConditionalGeneration.from_pretrained(str(HF / "tiny-gemma3-vision"), dtype=torch.float32,
                                                       attn_implementation="eager").eval()
    w = m.model.multi_modal_projector.mm_input_projection_weight
    with torch.no_grad():
        w.copy_(w.half().float())  # as llama.cpp's mmproj converter stores it
    return m


def features(model) -> dict:
    import numpy as np
    import torch
    ref = json.loads((HF / "tiny-gemma3-vision.reference.json").read_text())["image_features"]
    px = torch.tensor(np.array(ref["pixel_values"], dtype=np.float32).reshape(ref["pixel_values_shape"]))
    with torch.no_grad():
        f = model.model.get_image_features(pixel_values=px)
    f = getattr(f, "pooler_output", f)
    if isinstance(f, (list, tuple)):
        f = f[0]
    f = f.reshape(-1, f.shape[-1]).float().numpy()
    return {"note": "get_image_features with mm_input_projection_weight rounded to float16, for the pixel_values "
                    "of tiny-gemma3-vision.reference.json", "features_shape": list(f.shape),
            "features": [[f32(x) for x in row] for row in f]}


def logits_cases(model) -> dict:
    import numpy as np
    import torch
    from PIL import Image
    from transformers import AutoProcessor
    proc = AutoProcessor.from_pretrained(str(HF / "tiny-gemma3-vision"))
    proc.image_processor = processor(32, False)
    cases = []
    specs = [("one image", "Describe <start_of_image> briefly.", ["rgb_53x37.png"], False),
             ("two images", "Compare <start_of_image> and <start_of_image> now.", ["rgba_64x48.png", "grey_45x45.png"], False),
             ("non-square", "What is in <start_of_image>?", ["rgb_300x17.png"], False),
             ("pan and scan", "Read <start_of_image> please.", ["rgb_896x600.png"], True)]
    for title, text, files, pas in specs:
        imgs = [Image.open(OUT / "images" / f) for f in files]
        proc.image_processor = processor(32, pas)
        enc = proc(text=text, images=imgs, return_tensors="pt", do_pan_and_scan=pas)
        if pas:
            assert int(enc["num_crops"].reshape(-1)[0]) > 0 if "num_crops" in enc else enc["pixel_values"].shape[0] > 1
        with torch.no_grad():
            out = model(input_ids=enc["input_ids"], pixel_values=enc["pixel_values"],
                        token_type_ids=enc["token_type_ids"], use_cache=False)
        lg = out.logits[0].float().numpy()
        cases.append({"title": title, "text": text, "images": files, "pan_and_scan": pas,
                      "input_ids": enc["input_ids"][0].tolist(), "token_type_ids": enc["token_type_ids"][0].tolist(),
                      "logits_shape": list(lg.shape), "logits": [[f32(x) for x in row] for row in lg]})
    # a first chat turn: the chat template's text (images before the text, as content parts), then the processor
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "image"},
                                             {"type": "text", "text": "  What differs between them?  "}]}]
    templated = proc.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    proc.image_processor = processor(32, False)
    imgs = [Image.open(OUT / "images" / f) for f in ("rgb_200x150.png", "palette_50x30.png")]
    # the template already holds <bos>: no second one (as apply_chat_template(tokenize=True) does)
    enc = proc(text=templated, images=imgs, return_tensors="pt", do_pan_and_scan=False, add_special_tokens=False)
    with torch.no_grad():
        out = model(input_ids=enc["input_ids"], pixel_values=enc["pixel_values"], token_type_ids=enc["token_type_ids"],
                    use_cache=False)
    lg = out.logits[0].float().numpy()
    cases.append({"title": "chat turn", "text": templated, "user_text": messages[0]["content"][2]["text"],
                  "images": ["rgb_200x150.png", "palette_50x30.png"], "pan_and_scan": False,
                  "input_ids": enc["input_ids"][0].tolist(), "token_type_ids": enc["token_type_ids"][0].tolist(),
                  "logits_shape": list(lg.shape), "logits": [[f32(x) for x in row] for row in lg]})
    return {"note": "Gemma3ForConditionalGeneration (projection rounded to f16, eager, float32), inputs from the "
                    "folder's Gemma3Processor with Gemma3ImageProcessorPil at 32 px", "cases": cases}


def main() -> None:
    check_pins()
    import numpy as np
    import torch
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    images = make_images(rng)
    write_json(OUT / "resize.json", resize_cases(images))
    write_json(OUT / "pan_and_scan.json", pan_and_scan_cases())
    m = vision_model()
    write_json(OUT / "features_f16_projector.json", features(m))
    write_json(OUT / "logits.json", logits_cases(m))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
