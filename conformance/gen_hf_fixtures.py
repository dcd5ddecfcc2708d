#!/usr/bin/env python3
"""Tiny random Gemma 3 Hugging Face checkpoints, their llama.cpp conversions and reference logits.

Run from the repository root (2 cores are enough; everything runs on 1 thread):

    .venv/bin/python conformance/gen_hf_fixtures.py

Pins (the venv of conformance/requirements.txt, plus):
  * transformers 5.24.0, torch 2.15.0, safetensors, numpy 2.4.6, llama-cpp-python 0.3.36 (all checked below);
  * sentencepiece 0.2.3 (trains the tiny tokenizer, and llama.cpp's converter reads tokenizer.model with it);
  * llama.cpp's own converter, convert_hf_to_gguf.py + conversion/ + gguf-py/ (0.19.0), taken from the
    llama-cpp-python 0.3.36 source package (sha256 below): fetched with
    `pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36` into conformance/.cache/hf-fixtures/
    (gitignored) and unpacked there on the first run. JEMMA_LLAMA_CPP_SRC=DIR uses an unpacked vendor/llama.cpp
    instead. The converter runs as a subprocess with its vendored gguf-py first on PYTHONPATH.

Writes jemma-core/src/test/resources/fixtures/hf/:
  tiny-gemma3-text/      Gemma3ForCausalLM, bfloat16 safetensors, transformers 5 save_pretrained layout
                         (config.json, generation_config.json, model.safetensors, tokenizer.json,
                         tokenizer_config.json, chat_template.jinja) + tokenizer.model (SentencePiece).
  tiny-gemma3-vision/    Gemma3ForConditionalGeneration (SigLIP tower + projector), float32 safetensors
                         with the Hub tensor names (vision_tower.vision_model.*, see make_vision_model),
                         the same tokenizer.model/tokenizer.json, but the tokenizer_config.json /
                         special_tokens_map.json layout of the Hub's google/gemma-3-*-it repositories
                         (added_tokens_decoder, add_bos_token/add_eos_token, inline chat_template,
                         eos_token <end_of_turn>), preprocessor_config.json and processor_config.json.
  <folder>.reference.json          prompt text/ids, transformers' float32 logits (eager attention, run in
                                   float32 on the stored values), llama.cpp's logits on the f32 GGUF, max |diff|,
                                   tokenizer cases (tokenizer.model = tokenizer.json, asserted; llama.cpp ids beside
                                   them), and for the
                                   vision folder transformers' projected image features for a fixed pixel tensor.
  <folder>.<t>.listing.json        llama.cpp converter output for --outtype t in f32, f16, bf16, q8_0: header,
                                   every metadata key (GGUF type, value; long arrays as length + sha256),
                                   every tensor (name, ggml type, ne, offset, byte size, sha256), volatile keys.
  tiny-gemma3-vision.mmproj.<t>.listing.json   the same for `--mmproj --outtype t`.
The GGUF files themselves stay in conformance/.cache/hf-fixtures/gguf/ (not committed).

Deterministic: fixed seeds, single-threaded, sentencepiece trained on the text below with one thread and no
sampling; running it twice gives byte-identical outputs (checked when these fixtures were made). ~1-2 min.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "jemma-core" / "src" / "test" / "resources" / "fixtures" / "hf"
CACHE = ROOT / "conformance" / ".cache" / "hf-fixtures"

PINS = {
    "transformers": "5.24.0",
    "torch": "2.15.0",
    "numpy": "2.4.6",
    "sentencepiece": "0.2.3",
    "llama_cpp": "0.3.36",
}
SDIST = "llama_cpp_python-0.3.36.tar.gz"
SDIST_SHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
SDIST_PREFIX = "llama_cpp_python-0.3.36/vendor/llama.cpp/"

OUTTYPES = ("f32", "f16", "bf16", "q8_0")
SEED = 20250321

# --------------------------------------------------------------------------------------------
# Tokenizer: a tiny SentencePiece BPE model with Gemma's special pieces at Gemma's low ids.
# --------------------------------------------------------------------------------------------

SP_VOCAB_SIZE = 640
# ids 0..3 are SentencePiece's meta pieces (pad/eos/bos control, unk), 4 is a control symbol, 5..9 are
# user-defined symbols (matched whole in text, never merged), 10..265 the byte-fallback pieces <0x00>..<0xFF>,
# then the BPE pieces and characters (score = -rank).
SP_CONTROL = ["<mask>"]
SP_USER_DEFINED = ["<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>", "<image_soft_token>"]

CORPUS = """\
The quick brown fox jumps over the lazy dog. A small model is still a model.
Gemma is a family of lightweight, open models built from the same research as Gemini.
This tokenizer is tiny on purpose: it has only a few hundred pieces, so most words are split.
Tokens, pieces, merges and scores describe a byte-pair encoding vocabulary.
The attention layers alternate between a sliding window and the whole context.
Every sixth layer is global; the other five only look at the last few positions.
Rotary position embeddings rotate pairs of dimensions by an angle that grows with the position.
The global layers use a larger base frequency and a linear scaling factor of eight.
Normalization layers store a weight w and multiply by one plus w.
What is the capital of France? The capital of France is Paris.
What is two plus two? Two plus two is four. What is 12 times 12? It is 144.
Please answer in one word. Please answer in one sentence. Thank you!
Write a short poem about the sea, the wind, the rain and the sun.
Once upon a time there was a little model that wanted to talk to people.
It read many books, it learned many words, and then it answered questions.
user: Hello there! How are you today?
model: I am fine, thank you. How can I help you?
def add(a, b):
    return a + b

for i in range(10):
    print(i, add(i, 1))

class Model:
    def __init__(self, layers):
        self.layers = layers

public static void main(String[] args) { System.out.println("hello world"); }
int x = 42; double y = 3.14159; String s = "text";
{"name": "gemma", "layers": 6, "hidden": 64, "heads": [4, 2]}
1 2 3 4 5 6 7 8 9 10 100 1000 2024 2025 3.5 0.25 -7 +8 50%
Café, naïve, résumé, über, Straße, señor, garçon.
The numbers one, two, three, four, five, six, seven, eight, nine and ten.
Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday.
January, February, March, April, May, June, July, August, September, October, November, December.
Red, orange, yellow, green, blue, indigo and violet are the colours of the rainbow.
The model reads the prompt, computes the logits, and samples the next token.
Greedy decoding always takes the token with the highest probability.
Temperature, top-k and top-p change how the next token is sampled.
A chat template turns a list of messages into one prompt string.
The start of turn marker opens a message and the end of turn marker closes it.
Images are cut into patches, each patch becomes a vector, and the vectors are pooled.
The vision tower is a small transformer; the projector maps its output to the text width.
"""

TOKENIZER_CASES = [
    "<start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n<start_of_turn>model\n",
    "Hello world",
    " leading space and  two   spaces",
    "def add(a, b):\n\treturn a + b\n",
    "Numbers: 12345 and 3.14159, 2025!",
    "Café über Straße — 日本語 🙂",
    "Unseen: zqxj QZXJ ~^`|",
    "<start_of_image><image_soft_token><image_soft_token><end_of_image>",
    "\n\n\n",
    "",
]

PROMPT_TEXT = "<start_of_turn>user\nWhat is two plus two? Answer in one word.<end_of_turn>\n<start_of_turn>model\n"

# The Gemma 3 chat template, verbatim as shipped in google/gemma-3-*-it tokenizer_config.json.
CHAT_TEMPLATE = (
    "{{ bos_token }}\n{%- if messages[0]['role'] == 'system' -%}\n    {%- if messages[0]['content'] is string -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}\n    {%- else -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}\n    {%- endif -%}\n"
    "    {%- set loop_messages = messages[1:] -%}\n{%- else -%}\n    {%- set first_user_prefix = \"\" -%}\n"
    "    {%- set loop_messages = messages -%}\n{%- endif -%}\n{%- for message in loop_messages -%}\n"
    "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n"
    "        {{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}\n"
    "    {%- endif -%}\n    {%- if (message['role'] == 'assistant') -%}\n        {%- set role = \"model\" -%}\n"
    "    {%- else -%}\n        {%- set role = message['role'] -%}\n    {%- endif -%}\n"
    "    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else \"\") }}\n"
    "    {%- if message['content'] is string -%}\n        {{ message['content'] | trim }}\n"
    "    {%- elif message['content'] is iterable -%}\n        {%- for item in message['content'] -%}\n"
    "            {%- if item['type'] == 'image' -%}\n                {{ '<start_of_image>' }}\n"
    "            {%- elif item['type'] == 'text' -%}\n                {{ item['text'] | trim }}\n"
    "            {%- endif -%}\n        {%- endfor -%}\n    {%- else -%}\n"
    "        {{ raise_exception(\"Invalid content type\") }}\n    {%- endif -%}\n    {{ '<end_of_turn>\n' }}\n"
    "{%- endfor -%}\n{%- if add_generation_prompt -%}\n    {{'<start_of_turn>model\n'}}\n{%- endif -%}\n"
)

# --------------------------------------------------------------------------------------------
# Model configurations
# --------------------------------------------------------------------------------------------

TEXT_VOCAB = 672  # > tokenizer.model's 640 pieces: the converter pads the GGUF vocabulary with [PAD640]..[PAD671]
VISION_VOCAB = SP_VOCAB_SIZE  # == tokenizer size
ROPE = {
    "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1_000_000.0},
    "sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
}
LAYER_TYPES = ["sliding_attention"] * 5 + ["full_attention"]  # global every 6th layer, as llama.cpp assumes

TEXT_CFG = dict(vocab_size=TEXT_VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=6,
                num_attention_heads=4, num_key_value_heads=2, head_dim=32, query_pre_attn_scalar=24,
                sliding_window=8, layer_types=LAYER_TYPES, max_position_embeddings=1024,
                rope_parameters=ROPE, rms_norm_eps=1e-6, final_logit_softcapping=None,
                attn_logit_softcapping=None, tie_word_embeddings=True, hidden_activation="gelu_pytorch_tanh",
                pad_token_id=0, eos_token_id=1, bos_token_id=2)
VISION_TEXT_CFG = dict(TEXT_CFG, vocab_size=VISION_VOCAB, intermediate_size=64, num_key_value_heads=1,
                       head_dim=16, query_pre_attn_scalar=16, eos_token_id=[1, 6])
SIGLIP_CFG = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                  num_channels=3, image_size=32, patch_size=8, layer_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh",
                  vision_use_head=False)
MM_TOKENS_PER_IMAGE = 4  # 4x4 patches average-pooled 2x2 -> 2x2 tokens
IMAGE_IDS = dict(boi_token_index=7, eoi_token_index=8, image_token_index=9)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def log(msg: str) -> None:
    print(f"[gen_hf_fixtures] {msg}", flush=True)


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def f32(x) -> float:
    """A float32 value as the shortest decimal that reads back to the same float32."""
    v = float(np.float32(x))
    return float(f"{v:.9g}") if np.isfinite(v) else v


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_json_compact_values(path: Path, obj: dict) -> None:
    """One top-level key per line, each value as compact JSON (keeps the logits small)."""
    lines = ["  %s: %s" % (json.dumps(k), json.dumps(v, ensure_ascii=False, separators=(",", ":")))
             for k, v in obj.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


def check_pins() -> None:
    import importlib.metadata as md
    import torch
    import transformers
    import sentencepiece
    import llama_cpp
    got = {"transformers": transformers.__version__, "torch": torch.__version__.split("+")[0],
           "numpy": np.__version__, "sentencepiece": sentencepiece.__version__, "llama_cpp": llama_cpp.__version__}
    bad = {k: (got[k], v) for k, v in PINS.items() if got[k] != v}
    if bad:
        raise SystemExit(f"version mismatch (got, pinned): {bad}")
    del md


def ensure_converter() -> Path:
    """Directory holding convert_hf_to_gguf.py, conversion/ and gguf-py/ of llama-cpp-python 0.3.36."""
    env = os.environ.get("JEMMA_LLAMA_CPP_SRC")
    if env:
        d = Path(env)
        if not (d / "convert_hf_to_gguf.py").is_file():
            raise SystemExit(f"JEMMA_LLAMA_CPP_SRC={env} has no convert_hf_to_gguf.py")
        return d
    dest = CACHE / "llama.cpp"
    if (dest / "convert_hf_to_gguf.py").is_file() and (dest / ".complete").is_file():
        return dest
    tarball = CACHE / "sdist" / SDIST
    if not tarball.is_file():
        log("downloading the llama-cpp-python 0.3.36 source package")
        tarball.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "llama-cpp-python==0.3.36", "-d", str(tarball.parent)], check=True)
    digest = sha256_bytes(tarball.read_bytes())
    if digest != SDIST_SHA256:
        raise SystemExit(f"{tarball}: sha256 {digest} != pinned {SDIST_SHA256}")
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    wanted = ("convert_hf_to_gguf.py", "conversion/", "gguf-py/")
    with tarfile.open(tarball) as tf:
        for m in tf.getmembers():
            if not m.name.startswith(SDIST_PREFIX) or not (m.isfile() or m.isdir()):
                continue
            rel = m.name[len(SDIST_PREFIX):]
            if not rel.startswith(wanted):
                continue
            target = dest / rel
            if m.isdir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tf.extractfile(m).read())
    (dest / ".complete").write_text(SDIST_SHA256 + "\n")
    return dest


# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------

def train_sentencepiece() -> bytes:
    import sentencepiece as spm
    lines = [line for line in CORPUS.splitlines() if line.strip()]
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=buf, model_type="bpe", vocab_size=SP_VOCAB_SIZE,
        pad_id=0, eos_id=1, bos_id=2, unk_id=3,
        pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>", unk_piece="<unk>",
        control_symbols=SP_CONTROL, user_defined_symbols=SP_USER_DEFINED,
        byte_fallback=True, split_digits=True, add_dummy_prefix=False, remove_extra_whitespaces=False,
        normalization_rule_name="identity", allow_whitespace_only_pieces=True, character_coverage=1.0,
        num_threads=1, input_sentence_size=0, shuffle_input_sentence=False, seed_sentencepiece_size=100000,
        max_sentence_length=4096, minloglevel=2)
    return buf.getvalue()


def build_hf_tokenizer(sp_model: bytes):
    """tokenizer.json via transformers' GemmaTokenizer, built the way transformers converts a tokenizer.model
    (vocab = pieces by id, merges = generate_merges(vocab)), without needing protobuf."""
    import sentencepiece as spm
    from tokenizers import AddedToken
    from transformers import GemmaTokenizer
    from transformers.tokenization_utils_base import generate_merges

    sp = spm.SentencePieceProcessor(model_proto=sp_model)
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    merges = generate_merges(vocab)
    specials = ["<pad>", "<eos>", "<bos>", "<unk>"] + SP_CONTROL + SP_USER_DEFINED
    extra = [AddedToken(t, normalized=False, special=True) for t in specials if t not in ("<pad>", "<eos>", "<bos>", "<unk>", "<mask>")]
    tok = GemmaTokenizer(vocab=vocab, merges=merges, add_bos_token=True, add_eos_token=False,
                         additional_special_tokens=extra)
    tok.chat_template = CHAT_TEMPLATE
    return sp, tok


def hub_style_tokenizer_config(folder: Path, tok) -> None:
    """Rewrite tokenizer_config.json / special_tokens_map.json as google/gemma-3-*-it ship them
    (transformers 4.x layout): added_tokens_decoder, add_bos_token/add_eos_token, inline chat_template,
    eos_token <end_of_turn>, image tokens; no chat_template.jinja."""
    added = {}
    for tid, at in sorted(tok.added_tokens_decoder.items()):
        added[str(tid)] = {"content": at.content, "lstrip": False, "normalized": False, "rstrip": False,
                           "single_word": False, "special": at.content != "<mask>"}
    cfg = {
        "add_bos_token": True,
        "add_eos_token": False,
        "added_tokens_decoder": added,
        "boi_token": "<start_of_image>",
        "bos_token": "<bos>",
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eoi_token": "<end_of_image>",
        "eos_token": "<end_of_turn>",
        "extra_special_tokens": {"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>",
                                 "image_token": "<image_soft_token>"},
        "image_token": "<image_soft_token>",
        "model_max_length": 1024,
        "pad_token": "<pad>",
        "padding_side": "left",
        "processor_class": "Gemma3Processor",
        "sp_model_kwargs": None,
        "spaces_between_special_tokens": False,
        "tokenizer_class": "GemmaTokenizer",
        "unk_token": "<unk>",
        "use_default_system_prompt": False,
    }
    write_json(folder / "tokenizer_config.json", cfg)
    tok_entry = lambda s: {"content": s, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False}  # noqa: E731
    write_json(folder / "special_tokens_map.json", {
        "boi_token": "<start_of_image>", "bos_token": tok_entry("<bos>"), "eoi_token": "<end_of_image>",
        "eos_token": tok_entry("<end_of_turn>"), "image_token": "<image_soft_token>",
        "pad_token": tok_entry("<pad>"), "unk_token": tok_entry("<unk>")})
    (folder / "chat_template.jinja").unlink(missing_ok=True)


def save_tokenizer(folder: Path, sp_model: bytes, hub_style: bool):
    from transformers import AutoTokenizer
    _, tok = build_hf_tokenizer(sp_model)
    tok.save_pretrained(str(folder))
    (folder / "tokenizer.model").write_bytes(sp_model)
    if hub_style:
        hub_style_tokenizer_config(folder, tok)
    return AutoTokenizer.from_pretrained(str(folder))


def check_tokenizer(sp, tok, folder_name: str) -> list[dict]:
    cases = []
    for text in TOKENIZER_CASES + [PROMPT_TEXT]:
        sp_ids = [2] + sp.encode(text)
        hf_ids = tok.encode(text)
        if sp_ids != hf_ids:
            raise SystemExit(f"{folder_name}: tokenizer.model and tokenizer.json disagree on {text!r}:\n"
                             f"  sp {sp_ids}\n  hf {hf_ids}")
        cases.append({"text": text, "ids": hf_ids, "pieces": tok.convert_ids_to_tokens(hf_ids)})
    return cases


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

def randomize(model, seed: int) -> None:
    """Seeded normal weights; Gemma RMSNorm weights uniform in [-0.5, 0.5) (the +1 offset matters);
    SigLIP LayerNorm weights 1 + U[-0.3, 0.3)."""
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            shape = tuple(p.shape)
            if name.endswith("bias"):
                v = torch.randn(shape, generator=g) * 0.02
            elif p.dim() == 1 and ("layer_norm" in name or "post_layernorm" in name):
                v = 1.0 + (torch.rand(shape, generator=g) - 0.5) * 0.6
            elif p.dim() == 1 and "norm" in name:
                v = torch.rand(shape, generator=g) - 0.5
            elif "embed_tokens" in name:
                v = torch.randn(shape, generator=g) * 0.1
            elif "position_embedding" in name:
                v = torch.randn(shape, generator=g) * 0.1
            else:
                v = torch.randn(shape, generator=g) * 0.05
            p.copy_(v.to(p.dtype))


def make_text_model(folder: Path) -> None:
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig
    torch.manual_seed(SEED)
    cfg = Gemma3TextConfig(**TEXT_CFG)
    cfg._attn_implementation = "eager"
    model = Gemma3ForCausalLM(cfg).eval()
    randomize(model, SEED + 1)
    model = model.to(torch.bfloat16)
    model.config.dtype = torch.bfloat16
    model.save_pretrained(str(folder))


def make_vision_model(folder: Path) -> None:
    import torch
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3TextConfig, SiglipVisionConfig
    torch.manual_seed(SEED)
    cfg = Gemma3Config(text_config=Gemma3TextConfig(**VISION_TEXT_CFG),
                       vision_config=SiglipVisionConfig(**SIGLIP_CFG),
                       mm_tokens_per_image=MM_TOKENS_PER_IMAGE, tie_word_embeddings=True, **IMAGE_IDS)
    model = Gemma3ForConditionalGeneration(cfg).eval()
    randomize(model, SEED + 2)
    model = model.to(torch.float32)
    model.config.dtype = torch.float32
    model.save_pretrained(str(folder))
    # transformers 5.24 writes the text weights under the Hub's legacy names (language_model.model.*) but the
    # SigLIP tower as vision_tower.embeddings.* / vision_tower.encoder.*, which llama.cpp's converter cannot map
    # ("Can not map tensor 'vision_tower.embeddings.patch_embedding.bias'" with --mmproj). Store the tower under
    # the names of the google/gemma-3-*-it checkpoints (vision_tower.vision_model.*), which transformers loads
    # back to the same parameters (checked below).
    from safetensors.torch import load_file, save_file
    st = folder / "model.safetensors"
    sd = load_file(str(st))
    renamed = {("vision_tower.vision_model." + k[len("vision_tower."):]
                if k.startswith("vision_tower.") and not k.startswith("vision_tower.vision_model.") else k): v
               for k, v in sd.items()}
    save_file(renamed, str(st), metadata={"format": "pt"})
    back = Gemma3ForConditionalGeneration.from_pretrained(str(folder), dtype=torch.float32)
    mine, theirs = model.state_dict(), back.state_dict()
    assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine), \
        "renamed vision checkpoint does not load back to the same weights"
    # Processor files as on the Hub (google/gemma-3-4b-it), scaled down; no PIL/torchvision needed.
    write_json(folder / "preprocessor_config.json", {
        "do_convert_rgb": None, "do_normalize": True, "do_pan_and_scan": None, "do_rescale": True,
        "do_resize": True, "image_mean": [0.5, 0.5, 0.5], "image_processor_type": "Gemma3ImageProcessor",
        "image_seq_length": MM_TOKENS_PER_IMAGE, "image_std": [0.5, 0.5, 0.5],
        "pan_and_scan_max_num_crops": None, "pan_and_scan_min_crop_size": None,
        "pan_and_scan_min_ratio_to_activate": None, "processor_class": "Gemma3Processor", "resample": 2,
        "rescale_factor": 0.00392156862745098,
        "size": {"height": SIGLIP_CFG["image_size"], "width": SIGLIP_CFG["image_size"]}})
    write_json(folder / "processor_config.json", {"image_seq_length": MM_TOKENS_PER_IMAGE,
                                                  "processor_class": "Gemma3Processor"})


def hf_logits(folder: Path, ids: list[int], vision: bool, qpas: int | None = None):
    """transformers' float32 logits; qpas overrides query_pre_attn_scalar (to mimic llama.cpp's rule)."""
    import torch
    from transformers import AutoConfig, Gemma3ForCausalLM, Gemma3ForConditionalGeneration
    cls = Gemma3ForConditionalGeneration if vision else Gemma3ForCausalLM
    config = AutoConfig.from_pretrained(str(folder))
    if qpas is not None:
        (config.text_config if vision else config).query_pre_attn_scalar = qpas
    model = cls.from_pretrained(str(folder), config=config, dtype=torch.float32,
                                attn_implementation="eager").eval()
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), use_cache=False)
        logits = out.logits[0].float().numpy()
        extra = {}
        if vision and qpas is None:
            g = torch.Generator().manual_seed(SEED + 3)
            size = SIGLIP_CFG["image_size"]
            pixels = torch.rand((1, 3, size, size), generator=g) * 2 - 1
            feats = model.model.get_image_features(pixel_values=pixels)
            feats = getattr(feats, "pooler_output", feats)
            if isinstance(feats, (list, tuple)):
                feats = feats[0]
            feats = feats.reshape(-1, feats.shape[-1]).float().numpy()
            extra = {"image_features": {
                "description": "transformers Gemma3Model.get_image_features (SigLIP tower, 2x2 average pool, "
                               "soft_emb_norm, input projection), float32, for pixel_values = U[-1,1) drawn by "
                               f"torch.Generator().manual_seed({SEED + 3}) as torch.rand((1,3,{size},{size}))*2-1 "
                               "(already normalised; the values are listed)",
                "pixel_values": [f32(x) for x in pixels.numpy().reshape(-1)],
                "pixel_values_shape": [1, 3, size, size],
                "features_shape": list(feats.shape),
                "features": [[f32(x) for x in row] for row in feats]}}
    return logits, extra


def llamacpp_run(gguf_path: Path, ids: list[int], cases: list[dict]):
    from llama_cpp import Llama
    n = len(ids)
    kwargs = dict(model_path=str(gguf_path), logits_all=True, n_ctx=64, n_batch=64, n_ubatch=64, n_threads=1,
                  n_threads_batch=1, verbose=False, seed=0, type_k=0, type_v=0, flash_attn=False)
    llm = Llama(**kwargs)
    try:
        tok_results = []
        for c in cases:
            got = llm.tokenize(c["text"].encode("utf-8"), add_bos=True, special=True)
            tok_results.append({"text": c["text"], "ids": list(got), "equal_to_hf": list(got) == c["ids"]})
        llm.reset()
        llm.eval(ids)
        scores = np.array(llm.scores[:n], dtype=np.float32)
        n_vocab = llm.n_vocab()
    finally:
        llm.close()
    assert scores.shape == (n, n_vocab), scores.shape
    return scores, tok_results


# --------------------------------------------------------------------------------------------
# Conversion and listings
# --------------------------------------------------------------------------------------------

def convert(conv_dir: Path, folder: Path, outtype: str, out: Path, mmproj: bool = False) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(conv_dir / "gguf-py") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("NO_LOCAL_GGUF", None)
    cmd = [sys.executable, str(conv_dir / "convert_hf_to_gguf.py"), str(folder), "--outtype", outtype,
           "--outfile", str(out)]
    if mmproj:
        cmd.append("--mmproj")
    out.unlink(missing_ok=True)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0 or not out.is_file():
        raise SystemExit(f"converter failed ({' '.join(cmd)}):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}")
    (out.parent / (out.name + ".log")).write_text(r.stderr)


LONG_ARRAY = 64  # arrays longer than this are listed as length + sha256 (+ the first 16 values)


def _scalar(vtype, part):
    from gguf import GGUFValueType as VT
    v = part.tolist()[0]
    if vtype == VT.FLOAT32:
        return f32(v), {"bits": "0x%08x" % struct.unpack("<I", struct.pack("<f", v))[0]}
    if vtype == VT.FLOAT64:
        return v, {"bits": "0x%016x" % struct.unpack("<Q", struct.pack("<d", v))[0]}
    if vtype == VT.BOOL:
        return bool(v), {}
    return int(v), {}


def listing(path: Path, folder_name: str) -> dict:
    from gguf import GGUFReader, GGUFValueType as VT
    raw = path.read_bytes()
    r = GGUFReader(str(path))
    kv = []
    for name, field in r.fields.items():
        if name.startswith("GGUF."):
            continue
        t = field.types[0]
        entry = {"key": name, "type": t.name}
        if t == VT.STRING:
            entry["value"] = bytes(field.parts[-1]).decode("utf-8")
        elif t == VT.ARRAY:
            et = field.types[1] if len(field.types) > 1 else None
            entry["element_type"] = et.name if et is not None else None
            payload = b"".join(bytes(p.tobytes()) for p in field.parts[5:])
            if et == VT.STRING:
                values = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
            else:
                values = [(_scalar(et, field.parts[i])[0]) for i in field.data]
            entry["length"] = len(values)
            if len(values) > LONG_ARRAY:
                entry["sha256"] = sha256_bytes(payload)
                entry["head"] = values[:16]
            else:
                entry["value"] = values
        else:
            entry["value"], more = _scalar(t, field.parts[-1])
            entry.update(more)
        kv.append(entry)
    alignment = int(r.fields["general.alignment"].parts[-1][0]) if "general.alignment" in r.fields else 32
    tensors = []
    data_start = r.data_offset
    for t in r.tensors:
        off = int(t.data_offset)
        nb = int(t.n_bytes)
        tensors.append({"name": t.name, "type": t.tensor_type.name, "ne": [int(x) for x in t.shape],
                        "offset": off - data_start, "n_bytes": nb, "sha256": sha256_bytes(raw[off:off + nb])})
    return {
        "file": path.name,
        "gguf_version": int(r.fields["GGUF.version"].parts[-1][0]),
        "kv_count": len(kv),
        "tensor_count": len(tensors),
        "alignment": alignment,
        "data_offset": data_start,
        "file_size": len(raw),
        "file_sha256": sha256_bytes(raw),
        "metadata": kv,
        "tensors": tensors,
    }


def volatile_keys(a: dict, b: dict) -> dict[str, dict]:
    """Keys whose value differs when the same folder is converted under another directory name."""
    va = {e["key"]: e for e in a["metadata"]}
    vb = {e["key"]: e for e in b["metadata"]}
    out = {}
    for k in sorted(set(va) | set(vb)):
        if va.get(k) != vb.get(k):
            out[k] = {"here": va.get(k, {}).get("value"), "renamed_copy": vb.get(k, {}).get("value")}
    return out


LISTING_NOTES = {
    "array_sha256": "arrays longer than %d elements: sha256 of the element payload exactly as stored in the "
                    "GGUF file after the array's element type and count (numbers: little-endian values of the "
                    "element type; strings: uint64 little-endian byte length + UTF-8 bytes, one after the other); "
                    "'head' shows the first 16 elements" % LONG_ARRAY,
    "float_values": "FLOAT32 values are written as the shortest decimal that reads back to the same float32; "
                    "'bits' is the exact IEEE-754 pattern",
    "tensors": "file order; ne in GGUF/ggml order (ne[0] = row length); offset relative to the tensor data "
               "section (data_offset = absolute start, a multiple of alignment); sha256 of the raw stored bytes",
    "volatile": "keys whose value depends on the input folder's name (gguf.Metadata derives general.name/"
                "basename/finetune/size_label heuristics from the directory name): found by converting a copy of "
                "the folder under another name. file_sha256 is valid only for the folder name used here.",
}


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def main() -> None:
    check_pins()
    import torch
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    conv_dir = ensure_converter()
    log(f"converter: {conv_dir}")
    sys.path.insert(0, str(conv_dir / "gguf-py"))  # read the GGUFs with the converter's own gguf-py

    OUT.mkdir(parents=True, exist_ok=True)
    gguf_dir = CACHE / "gguf"
    gguf_dir.mkdir(parents=True, exist_ok=True)

    sp_model = train_sentencepiece()
    assert sp_model == train_sentencepiece(), "sentencepiece training is not deterministic"

    specs = [
        ("tiny-gemma3-text", False, "bfloat16"),
        ("tiny-gemma3-vision", True, "float32"),
    ]
    for name, vision, stored_dtype in specs:
        folder = OUT / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        log(f"{name}: model")
        (make_vision_model if vision else make_text_model)(folder)
        log(f"{name}: tokenizer")
        tok = save_tokenizer(folder, sp_model, hub_style=vision)
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_proto=sp_model)
        cases = check_tokenizer(sp, tok, name)
        ids = tok.encode(PROMPT_TEXT)
        assert ids[0] == 2 and 16 <= len(ids) <= 32, (len(ids), ids)

        log(f"{name}: transformers logits")
        logits, extra = hf_logits(folder, ids, vision)

        log(f"{name}: llama.cpp conversions")
        listings = {}
        for t in OUTTYPES:
            out = gguf_dir / f"{name}.{t}.gguf"
            convert(conv_dir, folder, t, out)
            listings[t] = listing(out, name)
        # the same folder under another name, to find the name-dependent keys
        with tempfile.TemporaryDirectory() as td:
            other = Path(td) / "renamed-copy"
            shutil.copytree(folder, other)
            out = gguf_dir / f"{name}.renamed.f32.gguf"
            convert(conv_dir, other, "f32", out)
            vol = volatile_keys(listings["f32"], listing(out, name))
            mm_vol = None
            if vision:
                out = gguf_dir / f"mmproj-{name}.renamed.f32.gguf"
                convert(conv_dir, other, "f32", out, mmproj=True)
                mm_renamed = listing(out, name)
        mm_listings = {}
        if vision:
            for t in OUTTYPES:
                out = gguf_dir / f"mmproj-{name}.{t}.gguf"
                convert(conv_dir, folder, t, out, mmproj=True)
                mm_listings[t] = listing(out, name)
            mm_vol = volatile_keys(mm_listings["f32"], mm_renamed)

        for t, lst in listings.items():
            lst["volatile"] = vol
            lst["notes"] = LISTING_NOTES
            lst["converter"] = f"convert_hf_to_gguf.py from {SDIST} (sha256 {SDIST_SHA256}), --outtype {t}"
            write_json(OUT / f"{name}.{t}.listing.json", lst)
        for t, lst in mm_listings.items():
            lst["volatile"] = mm_vol
            lst["notes"] = LISTING_NOTES
            lst["converter"] = (f"convert_hf_to_gguf.py from {SDIST} (sha256 {SDIST_SHA256}), "
                                f"--mmproj --outtype {t}")
            write_json(OUT / f"{name}.mmproj.{t}.listing.json", lst)

        log(f"{name}: llama.cpp logits")
        lc_logits, lc_tok = llamacpp_run(gguf_dir / f"{name}.f32.gguf", ids, cases)
        assert lc_logits.shape == logits.shape, (lc_logits.shape, logits.shape)
        diff = float(np.max(np.abs(lc_logits - logits)))
        log(f"{name}: max |llama.cpp - transformers| = {diff:.3g}")
        argmax_equal = bool(np.all(lc_logits.argmax(-1) == logits.argmax(-1)))
        tcfg = VISION_TEXT_CFG if vision else TEXT_CFG
        qpas_note = None
        comparable = diff
        if tcfg["query_pre_attn_scalar"] != tcfg["head_dim"]:
            # llama.cpp scales queries by 1/sqrt(head_dim) (1/sqrt(n_embd/n_head) only for its 27B size class);
            # the GGUF has no query_pre_attn_scalar key. Rerun transformers under that rule to check the rest.
            alt, _ = hf_logits(folder, ids, vision, qpas=int(tcfg["head_dim"]))
            comparable = float(np.max(np.abs(lc_logits - alt)))
            qpas_note = {
                "explanation": "llama.cpp ignores query_pre_attn_scalar (the converter writes no key for it; "
                               "llama.cpp scales queries by 1/sqrt(head_dim) except for its 27B size class), so "
                               "its logits follow query_pre_attn_scalar = head_dim = %d, not %s. 'logits' "
                               "(transformers) use the configured value." % (tcfg["head_dim"],
                                                                              tcfg["query_pre_attn_scalar"]),
                "max_abs_diff_llamacpp_vs_transformers_with_qpas_eq_head_dim": f32(comparable),
                "argmax_equal_with_qpas_eq_head_dim": bool(np.all(lc_logits.argmax(-1) == alt.argmax(-1))),
            }
            log(f"{name}: max |llama.cpp - transformers(query_pre_attn_scalar=head_dim)| = {comparable:.3g}")
        if comparable > 1e-2:
            raise SystemExit(f"{name}: llama.cpp and transformers disagree by {comparable}")

        ref = {
            "model": name,
            "architecture": "Gemma3ForConditionalGeneration" if vision else "Gemma3ForCausalLM",
            "weights_stored_dtype": stored_dtype,
            "forward": "transformers %s, float32 forward from the stored %s values "
                       "(from_pretrained(dtype=float32, attn_implementation='eager')), use_cache=False%s"
                       % (PINS["transformers"], stored_dtype,
                          ", text-only input_ids through Gemma3ForConditionalGeneration" if vision else ""),
            "prompt_text": PROMPT_TEXT,
            "prompt_ids": ids,
            "prompt_pieces": tok.convert_ids_to_tokens(ids),
            "vocab_rows": int(logits.shape[1]),
            "logits_shape": list(logits.shape),
            "logits": [[f32(x) for x in row] for row in logits],
            "llamacpp": "llama-cpp-python %s on the converter's --outtype f32 GGUF: eval(prompt_ids) with "
                        "logits_all=True, n_ctx=64, n_threads=1, F32 KV cache (type_k=type_v=0), flash attention "
                        "off; logits = scores[:n]" % PINS["llama_cpp"],
            "llamacpp_logits": [[f32(x) for x in row] for row in lc_logits],
            "max_abs_diff_llamacpp_vs_transformers": f32(diff),
            "argmax_equal": argmax_equal,
            "query_pre_attn_scalar_note": qpas_note,
            "tokenizer_cases": cases,
            "tokenizer_note": "ids = tokenizer.json (transformers, add_bos) = [2] + tokenizer.model "
                              "(sentencepiece) for every case (asserted); llamacpp_tokenize is llama.cpp's "
                              "tokenize(text, add_bos=True, special=True) on the f32 GGUF",
            "llamacpp_tokenize": lc_tok,
        }
        ref.update(extra)
        write_json_compact_values(OUT / f"{name}.reference.json", ref)
        # the GGUFs of the renamed copies are only needed for the volatile-key check
        for p in gguf_dir.glob(f"*{name}.renamed.*"):
            p.unlink()

    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    log(f"wrote {OUT.relative_to(ROOT)} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
