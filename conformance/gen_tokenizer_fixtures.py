#!/usr/bin/env python3
"""Generates the tokenizer conformance fixtures for Jemma.

Run with the shared venv (Hugging Face Rust `tokenizers` 0.23.3):

    .venv/bin/python conformance/gen_tokenizer_fixtures.py [TOKENIZER_JSON] [OUT]

TOKENIZER_JSON defaults to the path printed by conformance/fetch-tokenizer.sh, OUT to
jemma-core/src/test/resources/fixtures/tokenizer/generated_10k.jsonl.gz.

Output: gzip'ed JSON lines. Encode cases: {"text", "ids", "decoded"} where ids =
encode(text, add_special_tokens=False) and decoded = decode(ids, skip_special_tokens=False).
Decode-only cases (random id sequences, including broken byte-fallback runs):
{"ids", "decoded"} without "text".

The generator is deterministic (fixed seed); every string comes from the generators below.
"""
import gzip
import json
import os
import random
import subprocess
import sys

SEED = 20250317
N_TEXT = 10400
N_DECODE_ONLY = 600

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "jemma-core/src/test/resources/fixtures/tokenizer/generated_10k.jsonl.gz")

# Small hand-written word lists per script (common words, written for this generator).
WORDS = {
    "latin": "the of and to in is you that it he was for on are as with his they at be this have from or one "
             "had by word but not what all were we when your can said there use an each which she do how their if "
             "will up other about out many then them these so some her would make like him into time has look two "
             "more write go see number no way could people my than first water been call who oil its now find long "
             "down day did get come made may part Hello World Jemma Gemma tokenizer inference model Straße café "
             "naïve façade coöperate señor niño über Zürich São Paulo Kraków Łódź Ångström déjà vu".split(),
    "cyrillic": "и в не на я быть он с что а по это она этот к но они мы как из у который то за свой весь год от "
                "так о для ты же все тот мочь вы человек такой его сказать только или ещё бы себя один Москва "
                "привет мир токенизатор Київ ґанок їжак".split(),
    "cjk_zh": "的 一 是 不 了 人 我 在 有 他 这 中 大 来 上 国 个 到 说 们 为 子 和 你 地 出 道 也 时 年 "
              "中华人民共和国 北京 上海 机器学习 人工智能 分词器 今天天气很好 我们 学习 语言 模型".split(),
    "cjk_ja": "私 は 日本語 を 勉強 し て い ます こんにちは ありがとう 東京 カタカナ ひらがな 漢字 "
              "トークナイザー 今日 学校 会社 新しい".split(),
    "hangul": "안녕하세요 감사합니다 학교 회사 공부 사람 날씨 서울 한국어 음식 토크나이저 모델".split(),
    "arabic": "في من على إلى عن مع هذا هذه كان التي الذي العمل الكتاب كبير اليوم مرحبا بالعالم اللغة العربية "
              "مُحَمَّد".split(),
    "hebrew": "שלום עולם עברית ספר בית ילד".split(),
    "devanagari": "काम किताब स्कूल बड़ा लोग देश आज नया शहर समय नमस्ते दुनिया हिन्दी भाषा क्षत्रिय".split(),
    "thai": "สวัสดี ครับ ค่ะ ภาษาไทย ประเทศไทย กรุงเทพมหานคร ขอบคุณ".split(),
    "greek": "καλημέρα κόσμε ελληνικά γλώσσα Αθήνα".split(),
    "other": "ქართული Հայերեն አማርኛ தமிழ் తెలుగు বাংলা ಕನ್ನಡ ગુજરાતી ਪੰਜਾਬੀ ລາວ ខ្មែរ မြန်မာ ᠮᠣᠩᠭᠣᠯ "
             "Tiếng_Việt ꦗꦮ".split(),
}

EMOJI = ["😀", "😂", "🥲", "👍", "👍🏽", "❤️", "🔥", "🎉", "🤖", "🧠", "🦄", "🫠", "🪿", "🇺🇸", "🇯🇵", "🇩🇪",
         "🇧🇷", "🏳️‍🌈", "👨‍👩‍👧‍👦", "👩🏾‍💻", "🧑‍🚀", "🐈‍⬛", "❤️‍🔥", "🫶🏼", "☕", "✅", "⚠️", "©", "™",
         "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "1️⃣", "#️⃣"]

SPECIAL_TEXT = ["<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>", "<pad>", "<unk>", "<mask>",
                "[multimodal]", "<start_of_image>", "<end_of_image>", "<unused0>", "<unused12>",
                "<unused98>", "<unused99>", "<unused6241>", "<start_of", "<start_of_turn", "start_of_turn>",
                "<end_of_", "<unused", "<unused12", "</", "<b>", "</b>", "<h1>", "</div>", "<table>",
                "<td>", "<br>", "<img>", "<code>", "</code>", "<<start_of_turn>>", "<start_of_turn><start_of_turn>",
                "<start_of_turn>user\n", "<start_of_turn>model\n", "<end_of_turn>\n", "\u2581\u2581", "\u2581"]

CODE = [
    "def f(x):\n    return x * 2\n",
    "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}\n",
    "public static void main(String[] args) {\r\n    System.out.println(\"hi\");\r\n}\r\n",
    "if x != None and y >= 3:\n        print(f\"{x!r} -> {y:08.3f}\")\n",
    "SELECT id, name FROM users WHERE age > 30 ORDER BY name;",
    "<html>\n  <body>\n    <div class=\"a\">x</div>\n  </body>\n</html>\n",
    "const add = (a, b) => a + b; // arrow\n",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); }\n",
    "{\"key\": [1, 2.5, -3e10, true, null], \"nested\": {\"a\": \"b\"}}",
    "$ ls -la | grep '^d' && echo $((1+2))\n",
    "fn main() { let v: Vec<u8> = vec![0xFF; 16]; }",
    "x = [i**2 for i in range(10) if i % 2 == 0]  # squares",
]

SPACES = [" ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r", "\u00a0", "\u3000",
          "\u2002", "\u2009", "\u200b", "\u202f", "\ufeff", "\u2028", "\x0b", "\x0c", "\x85"]

COMBINING = ["\u0301", "\u0300", "\u0308", "\u0327", "\u0303", "\u20dd", "\u0336", "\u0489", "\u093c", "\u0e31"]

RANGES = [(0x20, 0x7e), (0xa0, 0x24f), (0x370, 0x3ff), (0x400, 0x4ff), (0x590, 0x5ff), (0x600, 0x6ff),
          (0x900, 0x97f), (0xe00, 0xe7f), (0x1100, 0x11ff), (0x2000, 0x206f), (0x2190, 0x23ff),
          (0x2500, 0x27bf), (0x3040, 0x30ff), (0x4e00, 0x9fff), (0xac00, 0xd7a3), (0xf900, 0xfaff),
          (0xff00, 0xffef), (0x1d400, 0x1d7ff), (0x1f300, 0x1faff), (0x20000, 0x2a6df), (0x2a700, 0x2ebe0),
          (0x30000, 0x3134a), (0xe000, 0xf8ff), (0x10000, 0x1007f), (0x0, 0x1f)]


def rand_char(rng):
    lo, hi = rng.choice(RANGES)
    while True:
        cp = rng.randint(lo, hi)
        if not (0xd800 <= cp <= 0xdfff):
            return chr(cp)


def words(rng, script, n):
    return [rng.choice(WORDS[script]) for _ in range(n)]


def sentence(rng):
    script = rng.choice(list(WORDS))
    sep = "" if script in ("cjk_zh", "cjk_ja", "thai") and rng.random() < 0.6 else " "
    s = sep.join(words(rng, script, rng.randint(1, 14)))
    if rng.random() < 0.5:
        s += rng.choice([".", "!", "?", "。", "؟", "।", ",", ":", "…", ""])
    if rng.random() < 0.3:
        s = s[0].upper() + s[1:]
    return s


def mixed(rng):
    parts = []
    for _ in range(rng.randint(1, 8)):
        r = rng.random()
        if r < 0.45:
            parts.append(sentence(rng))
        elif r < 0.55:
            parts.append(str(rng.randint(0, 10 ** rng.randint(1, 12))))
        elif r < 0.65:
            parts.append(rng.choice(EMOJI))
        elif r < 0.75:
            parts.append(rng.choice(SPACES) * rng.randint(1, 3))
        elif r < 0.82:
            parts.append(rng.choice(SPECIAL_TEXT))
        elif r < 0.9:
            parts.append("".join(rand_char(rng) for _ in range(rng.randint(1, 6))))
        else:
            parts.append(rng.choice(CODE))
        if rng.random() < 0.6:
            parts.append(rng.choice([" ", " ", "\n", "", "  ", "\t"]))
    return "".join(parts)


def whitespace_runs(rng):
    out = []
    for _ in range(rng.randint(1, 10)):
        ws = rng.choice([" ", "\n", "\t", "\r\n", "\r", "\u00a0", "\u3000", " \n", "\n ", "\t "])
        out.append(ws * rng.choice([1, 1, 2, 3, 5, 8, 17, 31, 32, 33, 40, 64]))
        if rng.random() < 0.7:
            out.append(rng.choice(WORDS["latin"] + ["x", "1", "-", "}", "#"]))
    return "".join(out)


def chat(rng):
    turns = []
    for _ in range(rng.randint(1, 4)):
        role = rng.choice(["user", "model", "system", "tool"])
        turns.append("<start_of_turn>" + role + "\n" + mixed(rng) + "<end_of_turn>\n")
    s = "".join(turns)
    if rng.random() < 0.5:
        s = "<bos>" + s
    if rng.random() < 0.5:
        s += "<start_of_turn>model\n"
    return s


def numbers(rng):
    fmt = rng.choice(["{}", "{:,}", "{:.3f}", "{:e}", "${:,.2f}", "{}%", "0x{:X}", "{:08d}", "-{}", "+{}"])
    n = rng.randint(0, 10 ** rng.randint(1, 15))
    v = n / 7 if "f" in fmt or "e" in fmt else n
    s = fmt.format(v)
    if rng.random() < 0.5:
        s = rng.choice(["", "Total: ", "ID ", "v", "第", "№"]) + s + rng.choice(["", " km", "元", "px", "."])
    return s


def combining(rng):
    out = []
    for _ in range(rng.randint(1, 10)):
        out.append(rng.choice("aeiouynAEOcsz" + "अकमนกا"))
        for _ in range(rng.randint(0, 3)):
            out.append(rng.choice(COMBINING))
    return "".join(out)


def long_word(rng):
    kind = rng.random()
    if kind < 0.3:
        unit = rng.choice(["a", "ab", "the", "xyz", "0", "10", "ha", "啊", "ж", "🎉", "▁", "-", "=", ".", "*"])
        return unit * rng.randint(50, 1500)
    if kind < 0.6:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(100, 3000)))
    if kind < 0.8:
        return "".join(words(rng, rng.choice(list(WORDS)), rng.randint(100, 600)))
    return "".join(rand_char(rng) for _ in range(rng.randint(100, 800)))


def invalid_utf8(rng):
    n = rng.randint(1, 40)
    b = bytearray()
    for _ in range(n):
        r = rng.random()
        if r < 0.4:
            b.append(rng.randint(0, 255))
        elif r < 0.6:
            b += rng.choice(["é", "中", "😀", "a", " ", "ж"]).encode("utf-8")[: rng.randint(1, 4)]
        elif r < 0.8:
            b.append(rng.randint(0x80, 0xBF))
        else:
            b.append(rng.choice([0xC0, 0xC1, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFE, 0xFF]))
    return bytes(b).decode("utf-8", "replace")


def random_scripts(rng):
    return "".join(rand_char(rng) for _ in range(rng.randint(1, 30)))


def edge(rng):
    return rng.choice(["", " ", "  ", "\n", "a", "A", "0", "<", ">", "<>", "▁", "\u2581a", "a\u2581",
                       "\ufffd", "\x00", "\x7f", "\u200d", "\ufe0f", "\U0010ffff", "\U000e0001",
                       "  leading", "trailing  ", " \n ", "\r\n\r\n", "\t\n\t"])


GENERATORS = [
    (mixed, 30), (sentence, 12), (whitespace_runs, 10), (chat, 8), (numbers, 6), (combining, 5),
    (long_word, 1), (invalid_utf8, 8), (random_scripts, 10), (edge, 2),
    (lambda rng: rng.choice(CODE) + rng.choice(CODE), 4),
    (lambda rng: "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 8))), 4),
]


def main():
    tok_path = sys.argv[1] if len(sys.argv) > 1 else subprocess.check_output(
        [os.path.join(ROOT, "conformance/fetch-tokenizer.sh")], text=True).strip()
    out = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_OUT
    from tokenizers import Tokenizer
    import tokenizers
    tok = Tokenizer.from_file(tok_path)
    rng = random.Random(SEED)
    gens = [g for g, w in GENERATORS for _ in range(w)]
    seen = set()
    texts = []
    while len(texts) < N_TEXT:
        s = rng.choice(gens)(rng)
        if s not in seen:
            seen.add(s)
            texts.append(s)
    records = []
    for s in texts:
        ids = tok.encode(s, add_special_tokens=False).ids
        records.append({"text": s, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)})
    # Decode-only cases: random ids with runs of byte tokens (ids 238..493), valid or not.
    for _ in range(N_DECODE_ONLY):
        ids = []
        for _ in range(rng.randint(1, 12)):
            r = rng.random()
            if r < 0.35:
                ids += [238 + b for b in rng.choice(["😀", "é", "中", "\U00020000", "a"]).encode("utf-8")]
            elif r < 0.6:
                ids += [238 + rng.randint(0, 255) for _ in range(rng.randint(1, 5))]
            elif r < 0.7:
                ids.append(rng.choice([0, 1, 2, 3, 105, 106, 107, 138, 255999]))
            else:
                ids.append(rng.randint(494, 262143))
        records.append({"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)})
    os.makedirs(os.path.dirname(out), exist_ok=True)
    # no file name and no time stamp in the gzip header: the output is byte-for-byte reproducible
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
        meta = {"generator": "conformance/gen_tokenizer_fixtures.py", "seed": SEED,
                "tokenizers": tokenizers.__version__, "cases": len(records)}
        f.write((json.dumps({"meta": meta}, ensure_ascii=False) + "\n").encode("utf-8"))
        for r in records:
            f.write((json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
    print(f"wrote {len(records)} cases to {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
