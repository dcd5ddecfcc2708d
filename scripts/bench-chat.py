#!/usr/bin/env python3
"""The chat benchmark (docs/CHAT.md): the 100 held-out prompts of bench/chat/eval-prompts.txt against a running
`jemma serve`, each asked of two model ids on the same server: the default model with its chat adapter and the bare
pretrained base. Default sampling (Gemma's: temperature 1, top-k 64, top-p 0.95), a fixed seed per prompt, at most
200 tokens. For each reply it records whether the model ended its turn by itself (finish_reason "stop") and whether
it repeats the user's text; the relevance verdicts are read from bench/chat/verdicts.json (judged by hand) when
present. Writes bench/chat/results.jsonl and docs/CHAT-EVAL.md (the table), prints a summary.

    scripts/bench-chat.py URL CHAT_MODEL BASE_MODEL [--prompts FILE] [--out-dir bench/chat] [--doc docs/CHAT-EVAL.md]
    scripts/bench-chat.py --rejudge      (no generation: re-reads results.jsonl and verdicts.json, rewrites the table)

Python standard library only.
"""

import argparse
import concurrent.futures
import json
import os
import re
import tempfile
import urllib.request

MAX_TOKENS = 200
PARALLEL = 8


def fold(text):
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", " ", text.lower())).strip()


def repeats_user(prompt, reply):
    """The reply repeats the user's text: it contains the whole prompt (folded), or echoes its first 6+ words."""
    p, r = fold(prompt), fold(reply)
    if not p:
        return False
    if p in r:
        return True
    words = p.split()
    head = " ".join(words[: max(6, len(words) // 2)])
    return len(words) >= 6 and head in r


def ask(url, model, prompt, seed):
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": prompt}],
                       "max_tokens": MAX_TOKENS, "seed": seed}).encode()
    req = urllib.request.Request(url.rstrip("/") + "/v1/chat/completions", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        j = json.load(r)
    c = j["choices"][0]
    return {"reply": c["message"]["content"], "finish": c["finish_reason"], "tokens": j["usage"]["completion_tokens"]}


def write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def cell(text):
    t = text.replace("|", "\\|").replace("\n", " ⏎ ").strip()
    return t if len(t) <= 300 else t[:297] + "…"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url", nargs="?")
    ap.add_argument("chat_model", nargs="?")
    ap.add_argument("base_model", nargs="?")
    ap.add_argument("--rejudge", action="store_true")
    ap.add_argument("--prompts", default="bench/chat/eval-prompts.txt")
    ap.add_argument("--out-dir", default="bench/chat")
    ap.add_argument("--doc", default="docs/CHAT-EVAL.md")
    args = ap.parse_args()
    with open(args.prompts, encoding="utf-8") as f:
        prompts = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    verdicts_path = os.path.join(args.out_dir, "verdicts.json")
    verdicts = {}
    if os.path.exists(verdicts_path):
        with open(verdicts_path, encoding="utf-8") as f:
            verdicts = json.load(f)

    rows = []
    results = os.path.join(args.out_dir, "results.jsonl")
    if args.rejudge:
        with open(results, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    else:
        if not (args.url and args.chat_model and args.base_model):
            raise SystemExit("usage: bench-chat.py URL CHAT_MODEL BASE_MODEL | --rejudge")
        with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
            for which, model in (("chat", args.chat_model), ("base", args.base_model)):
                futures = [pool.submit(ask, args.url, model, p, 1000 + i) for i, p in enumerate(prompts)]
                for i, (p, fu) in enumerate(zip(prompts, futures)):
                    r = fu.result()
                    r.update({"model": which, "index": i, "prompt": p, "ended_turn": r["finish"] == "stop",
                              "repeats_user": repeats_user(p, r["reply"])})
                    rows.append(r)
    for r in rows:
        r.pop("relevant", None)
        v = verdicts.get(r["model"], {}).get(str(r["index"]))
        if v is not None:
            r["relevant"] = bool(v)

    write_atomic(results, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    summary = {}
    for which in ("chat", "base"):
        rs = [r for r in rows if r["model"] == which]
        judged = [r for r in rs if "relevant" in r]
        summary[which] = {
            "prompts": len(rs),
            "ended_turn_pct": 100.0 * sum(r["ended_turn"] for r in rs) / len(rs),
            "repeats_user_pct": 100.0 * sum(r["repeats_user"] for r in rs) / len(rs),
            "relevant_pct": (100.0 * sum(r["relevant"] for r in judged) / len(judged)) if judged else None,
            "judged": len(judged),
            "mean_tokens": sum(r["tokens"] for r in rs) / len(rs),
        }
    print(json.dumps(summary, indent=2))

    lines = ["# Chat benchmark: the default chat adapter against the bare base", "",
             "Generated by `scripts/bench-chat.sh` (docs/CHAT.md). 100 held-out prompts (`bench/chat/eval-prompts.txt`), "
             "default sampling with seed 1000 + prompt index, at most 200 tokens. *Ended* = the model closed its turn "
             "by itself; *repeats* = the reply repeats the user's text; *relevant* = judged by hand by the developer "
             "who ran it, reading each reply: does it respond to what the prompt says or asks (on topic, a sensible "
             "reply or an attempt at the task), whatever its factual correctness? Verdicts in `bench/chat/verdicts.json`.", "",
             "| | chat adapter | bare base |", "|---|---|---|"]
    for key, label in (("ended_turn_pct", "ended the turn within 200 tokens"), ("repeats_user_pct", "repeat the user's text"),
                       ("relevant_pct", "judged relevant"), ("mean_tokens", "mean reply tokens")):
        fmt = lambda v: "–" if v is None else (f"{v:.1f}" if key == "mean_tokens" else f"{v:.0f}%")
        lines.append(f"| {label} | {fmt(summary['chat'][key])} | {fmt(summary['base'][key])} |")
    if "chat_correct" in verdicts:
        n = len(verdicts["chat_correct"])
        lines += ["", f"Relevant is not correct: of the 70 questions and instructions (prompts 30–99) the chat adapter answered "
                      f"{n} correctly ({', '.join(map(str, verdicts['chat_correct']))}); the base answered none."]
    lines += ["", "| # | prompt | model | reply | ended | repeats | relevant |", "|---|---|---|---|---|---|---|"]
    for i, p in enumerate(prompts):
        for which in ("chat", "base"):
            r = next(x for x in rows if x["model"] == which and x["index"] == i)
            rel = "–" if "relevant" not in r else ("yes" if r["relevant"] else "no")
            lines.append(f"| {i} | {cell(p)} | {which} | {cell(r['reply'])} | {'yes' if r['ended_turn'] else 'no'} | "
                         f"{'yes' if r['repeats_user'] else 'no'} | {rel} |")
    write_atomic(args.doc, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
