#!/usr/bin/env python3
"""Builds the training data of the default chat adapter: bench/chat/train.jsonl and bench/chat/valid.jsonl.

Every row is {"messages": [...]} (user/assistant turns), so `jemma finetune` learns Gemma's turn format and the
<end_of_turn> that closes each answer. Three licence-clean sources:

  * chatterbot-corpus 1.3.3 (PyPI, BSD licence): the English YAML conversations (greetings, small talk, trivia,
    science, ...), each a list of alternating lines. The bot-profile file is left out: the assistant's identity
    comes from our own templates below.
  * chitchat-dataset 0.9.0 (PyPI, MIT licence): crowd-sourced two-person chats; consecutive messages of one person
    are joined, and the first 2 to 4 turns of a sample of conversations are kept.
  * instruction-following examples generated here from templates with a fixed seed: format as a list, answer in
    one word, numbers to words, extract to JSON, summarise in N words, arithmetic, sorting, comparisons,
    capitalisation, counting, and who the assistant is.

The held-out prompts of the chat benchmark (bench/chat/eval-prompts.txt) are written by hand; this script refuses
to write the data if any of them (case- and punctuation-folded) appears as a user turn.

Run from the repository root (scripts/train-chat-adapter.sh does, after installing the two corpora):
    .venv/bin/python scripts/build-chat-data.py --chatterbot DIR --chitchat FILE [--out bench/chat]
"""

import argparse
import glob
import json
import os
import random
import re
import tempfile

import yaml

SEED = 20261202
CHATTERBOT_MAX = 900
CHITCHAT_CONVERSATIONS = 220
INSTRUCTIONS = 650
VALID_FRACTION = 0.03


def fold(text):
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def chat(*turns):
    roles = ["user", "assistant"]
    return {"messages": [{"role": roles[i % 2], "content": t.strip()} for i, t in enumerate(turns)]}


# ---------------------------------------------------------------- chatterbot-corpus

def chatterbot_rows(root, rng):
    rows = []
    for path in sorted(glob.glob(os.path.join(root, "english", "*.yml"))):
        if os.path.basename(path) == "botprofile.yml":
            continue
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for conv in doc.get("conversations") or []:
            lines = [str(x).strip() for x in conv if x is not None and str(x).strip()]
            if len(lines) < 2:
                continue
            if len(lines) % 2:
                lines = lines[:-1]
            rows.append(chat(*lines))
    rng.shuffle(rows)
    return rows[:CHATTERBOT_MAX]


# ---------------------------------------------------------------- chitchat-dataset

def clean_chitchat(text):
    text = text.strip()
    if not text:
        return text
    text = re.sub(r"\s+", " ", text)
    return text[0].upper() + text[1:]


def chitchat_rows(path, rng):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    keys = sorted(data)
    rng.shuffle(keys)
    rows = []
    for key in keys:
        turns = []
        for group in data[key]["messages"]:
            text = " ".join(clean_chitchat(m["text"]) for m in group if m.get("text", "").strip())
            if text:
                turns.append(text)
        keep = rng.choice([2, 2, 4, 4, 6])
        turns = turns[:keep]
        if len(turns) < 2 or any(len(t) > 300 for t in turns):
            continue
        if len(turns) % 2:
            turns = turns[:-1]
        rows.append(chat(*turns))
        if len(rows) == CHITCHAT_CONVERSATIONS:
            break
    return rows


# ---------------------------------------------------------------- instruction templates

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def words(n):
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + ("" if rest == 0 else " and " + words(rest))
    rest = n % 1000
    return words(n // 1000) + " thousand" + ("" if rest == 0 else (" and " if rest < 100 else " ") + words(rest))


CATEGORIES = {
    "fruits": ["apple", "banana", "cherry", "mango", "pear", "orange", "grape", "peach", "plum", "kiwi", "lemon"],
    "colours": ["red", "blue", "green", "yellow", "purple", "orange", "black", "white", "pink", "brown"],
    "animals": ["dog", "cat", "horse", "rabbit", "lion", "tiger", "elephant", "dolphin", "eagle", "owl", "fox"],
    "vegetables": ["carrot", "potato", "onion", "broccoli", "spinach", "pepper", "cabbage", "pea", "leek"],
    "countries": ["France", "Japan", "Brazil", "Canada", "Kenya", "India", "Norway", "Mexico", "Egypt", "Spain"],
    "planets": ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"],
    "musical instruments": ["piano", "guitar", "violin", "drums", "flute", "trumpet", "cello", "harp"],
    "sports": ["football", "tennis", "swimming", "cycling", "basketball", "rugby", "golf", "skiing"],
}

ONE_WORD = [
    ("What colour is grass?", "Green."), ("What is frozen water called?", "Ice."),
    ("Which animal says moo?", "Cow."), ("What do bees make?", "Honey."),
    ("What is the opposite of hot?", "Cold."), ("What is the opposite of up?", "Down."),
    ("Which season comes after winter?", "Spring."), ("How many legs does a spider have?", "Eight."),
    ("What is the capital of France?", "Paris."), ("What is the capital of Italy?", "Rome."),
    ("What is the capital of Japan?", "Tokyo."), ("What is the capital of Germany?", "Berlin."),
    ("What is the largest ocean?", "Pacific."), ("Which planet is known as the red planet?", "Mars."),
    ("What gas do plants take in?", "Carbon dioxide."), ("What do cows drink?", "Water."),
    ("What is the first day of the week in the United States?", "Sunday."),
    ("What shape has three sides?", "Triangle."), ("What do you use to write on a blackboard?", "Chalk."),
    ("Which metal is liquid at room temperature?", "Mercury."), ("What is the opposite of early?", "Late."),
    ("Which month has the fewest days?", "February."), ("What colour are ripe bananas?", "Yellow."),
    ("What is the tallest animal?", "Giraffe."), ("What is the opposite of full?", "Empty."),
    ("What falls from clouds when it rains?", "Water."), ("Which organ pumps blood?", "Heart."),
    ("What is the closest star to Earth?", "Sun."), ("How many days are in a week?", "Seven."),
    ("How many months are in a year?", "Twelve."), ("What is a baby dog called?", "Puppy."),
    ("What is a baby cat called?", "Kitten."), ("What language is spoken in Spain?", "Spanish."),
    ("What do you call a house made of ice?", "Igloo."), ("Which bird is a symbol of peace?", "Dove."),
]

ONE_WORD_FORMS = ["Answer in one word: {q}", "{q} Answer with a single word.", "One word only: {q}",
                  "{q} Reply in one word."]

PEOPLE = ["Maria", "John", "Aisha", "Kenji", "Lucas", "Sofia", "Omar", "Elena", "David", "Priya", "Tom", "Chen",
          "Fatima", "Pedro", "Anna", "Mehmet", "Grace", "Ivan", "Lena", "Samuel"]
CITIES = ["Lisbon", "Boston", "Nairobi", "Osaka", "Berlin", "Toronto", "Madrid", "Cairo", "Oslo", "Lima",
          "Dublin", "Seoul", "Sydney", "Warsaw", "Denver", "Porto"]
JOBS = ["teacher", "nurse", "engineer", "baker", "pilot", "designer", "lawyer", "chef", "farmer", "writer"]

SUMMARY_SCENES = [
    ("The {thing} meeting planned for {day1} has been moved to {day2} because several people are travelling and "
     "the room was double-booked.", "{Thing} meeting moved to {day2}."),
    ("After weeks of testing, the team finally fixed the bug in the {thing} system that had been slowing down "
     "every order placed on {day1} mornings.", "Team fixed the {thing} bug."),
    ("Our {thing} shop will close early on {day1} for a staff party, and it will open again at the usual time on "
     "{day2} morning.", "{Thing} shop closes early {day1}."),
    ("The city council voted to build a new {thing} centre near the river, and work is expected to start next "
     "{day2} if the weather allows.", "Council approves new {thing} centre."),
]
THINGS = ["budget", "garden", "library", "sales", "bicycle", "music", "coffee", "sports", "book", "training"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

IDENTITY = [
    ("Who are you?", "I'm a small chat assistant: Gemma 3 270M with a chat adapter, running locally with Jemma."),
    ("What is your name?", "I don't have a name of my own. I'm Gemma 3 270M, running locally with Jemma."),
    ("Are you a human?", "No, I'm a small language model running on your computer."),
    ("What can you do?", "I can chat, answer simple questions, make lists, count, do small sums and reformat text. "
                         "I'm a very small model, so please check important facts."),
    ("Are you connected to the internet?", "No. I run entirely on this computer, so I can't look things up."),
    ("Who made you?", "Google made the Gemma 3 model I'm based on, and Jemma runs it in Java."),
    ("Can you remember our last conversation?", "No, I only see the messages of this conversation."),
    ("Are you always right?", "No. I'm a very small model and I make mistakes, so please double-check facts."),
]


def instruction_rows(rng):
    makers = []

    def as_list():
        cat = rng.choice(sorted(CATEGORIES))
        items = rng.sample(CATEGORIES[cat], rng.randint(3, 5))
        form = rng.randrange(4)
        if form == 0:
            q = f"List {words(len(items))} {cat}."
        elif form == 1:
            q = "Format this as a bulleted list: " + ", ".join(items)
        elif form == 2:
            q = f"Give me {len(items)} {cat} as a list."
        else:
            q = "Turn this into a numbered list: " + ", ".join(items)
            return chat(q, "\n".join(f"{i + 1}. {x}" for i, x in enumerate(items)))
        return chat(q, "\n".join(f"- {x}" for x in items))

    def one_word():
        q, a = rng.choice(ONE_WORD)
        return chat(rng.choice(ONE_WORD_FORMS).format(q=q), a)

    def numbers_to_words():
        nums = [rng.choice([rng.randint(0, 20), rng.randint(21, 99), rng.randint(100, 999), rng.randint(1000, 9999)])
                for _ in range(rng.randint(1, 4))]
        q = rng.choice(["Translate these numbers into words: {}", "Write these numbers in words: {}",
                        "Spell out: {}"]).format(", ".join(map(str, nums)))
        return chat(q, ", ".join(words(n) for n in nums) + ".")

    def extract_json():
        name, city, job, age = rng.choice(PEOPLE), rng.choice(CITIES), rng.choice(JOBS), rng.randint(18, 80)
        text = rng.choice([f"{name} is a {age}-year-old {job} who lives in {city}.",
                           f"Born {age} years ago, {name} now works as a {job} in {city}.",
                           f"In {city}, {name} ({age}) has worked as a {job} for years."])
        q = rng.choice(["Extract the name, age, job and city as JSON: {}", "Return JSON with name, age, job and "
                        "city from this text: {}", "{} Give me the details as JSON (name, age, job, city)."])
        return chat(q.format(text), json.dumps({"name": name, "age": age, "job": job, "city": city}))

    def summarise():
        scene, summary = rng.choice(SUMMARY_SCENES)
        thing = rng.choice(THINGS)
        day1, day2 = rng.sample(DAYS, 2)
        fill = dict(thing=thing, Thing=thing.capitalize(), day1=day1, day2=day2)
        text, short = scene.format(**fill), summary.format(**fill)
        n = len(short.split())
        q = rng.choice(["Summarise in {n} words: {t}", "Summarize this in {n} words: {t}",
                        "In {n} words, what is this about? {t}"]).format(n=words(n), t=text)
        return chat(q, short)

    def arithmetic():
        a, b = rng.randint(1, 50), rng.randint(1, 50)
        op = rng.choice(["plus", "minus", "times"])
        if op == "minus" and b > a:
            a, b = b, a
        value = a + b if op == "plus" else a - b if op == "minus" else a * b
        q = rng.choice([f"What is {a} {op} {b}?", f"Calculate {a} {op} {b}.", f"How much is {a} {op} {b}?"])
        return chat(q, f"{a} {op} {b} is {value}.")

    def sort_words():
        cat = rng.choice(sorted(CATEGORIES))
        items = rng.sample(CATEGORIES[cat], rng.randint(3, 6))
        q = "Sort these words alphabetically: " + ", ".join(items)
        return chat(q, ", ".join(sorted(items, key=str.lower)))

    def compare():
        a, b = rng.sample(range(1, 1000), 2)
        word = rng.choice(["larger", "smaller"])
        answer = max(a, b) if word == "larger" else min(a, b)
        return chat(f"Which is {word}, {a} or {b}?", f"{answer} is {word}.")

    def capitalise():
        items = rng.sample(sum(CATEGORIES.values(), []), 3)
        sentence = f"my favourite things are {items[0]}, {items[1]} and {items[2]}"
        if rng.random() < 0.5:
            return chat(f"Write this in capital letters: {sentence}", sentence.upper())
        return chat(f"Fix the capitalisation of this sentence: {sentence}", sentence[0].upper() + sentence[1:] + ".")

    def count_items():
        cat = rng.choice(sorted(CATEGORIES))
        items = rng.sample(CATEGORIES[cat], rng.randint(2, 7))
        return chat("How many items are in this list? " + ", ".join(items), f"There are {words(len(items))} items.")

    def identity():
        q, a = rng.choice(IDENTITY)
        return chat(q, a)

    makers = [as_list, one_word, numbers_to_words, extract_json, summarise, arithmetic, sort_words, compare,
              capitalise, count_items, identity]
    rows, seen = [], set()
    while len(rows) < INSTRUCTIONS:
        row = rng.choice(makers)()
        key = json.dumps(row)
        if key in seen and rng.random() < 0.8:
            continue
        seen.add(key)
        rows.append(row)
    return rows


# ---------------------------------------------------------------- output

def write_jsonl(path, rows):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chatterbot", required=True, help="chatterbot_corpus/data directory")
    ap.add_argument("--chitchat", required=True, help="chitchat_dataset/dataset.json")
    ap.add_argument("--out", default="bench/chat")
    args = ap.parse_args()
    rng = random.Random(SEED)
    rows = chatterbot_rows(args.chatterbot, rng) + chitchat_rows(args.chitchat, rng) + instruction_rows(rng)
    rng.shuffle(rows)

    with open(os.path.join(args.out, "eval-prompts.txt"), encoding="utf-8") as f:
        held_out = {fold(line) for line in f if line.strip() and not line.startswith("#")}
    leaked = [m["content"] for r in rows for m in r["messages"] if m["role"] == "user" and fold(m["content"]) in held_out]
    if leaked:
        raise SystemExit(f"held-out prompts found in the training data: {leaked[:5]}")

    n_valid = int(len(rows) * VALID_FRACTION)
    write_jsonl(os.path.join(args.out, "valid.jsonl"), rows[:n_valid])
    write_jsonl(os.path.join(args.out, "train.jsonl"), rows[n_valid:])
    print(f"train {len(rows) - n_valid} rows, valid {n_valid} rows -> {args.out}")


if __name__ == "__main__":
    main()
