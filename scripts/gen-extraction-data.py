#!/usr/bin/env python3
"""Writes the contact-extraction task: bench/extraction/{train,eval}.jsonl and schema.json.

A small, license-clean benchmark for fine-tuning: every example is synthetic (Faker, MIT licence; no real people or
scraped text). Each example is one person's contact record -- name, company, title, email, phone, city; any field but
the name may be absent -- rendered into varied free text (emails, signatures, bios, meeting notes, CRM notes,
voicemail transcripts, badges, one-liners, ...; the fields in shuffled order where the form allows, sometimes with an
unrelated sentence mixed in). The answer is the record as compact JSON with the keys always in the order of
schema.json and null for an absent field.

Rows are TRL's prompt/completion format:
    {"prompt": "<instruction>\\nText: <text>\\nJSON:\\n", "completion": "{\\"name\\":...}"}
The prompt ends with a newline so the completion is exactly the JSON (and a schema-constrained decoder produces the
same bytes). Whole examples stay under about 200 Gemma tokens.

The output is fixed by SEED and the pinned faker version (conformance/requirements.txt: faker==40.63.0): 2,000
training rows and 500 evaluation rows, disjoint (no person's name and no text appears in both).

Run from the repository root:
    .venv/bin/python scripts/gen-extraction-data.py [--out bench/extraction]
"""

import argparse
import json
import os
import random
import tempfile

from faker import Faker

SEED = 20261202
TRAIN_ROWS = 2000
EVAL_ROWS = 500
KEYS = ["name", "company", "title", "email", "phone", "city"]
# Probability that a field is present (the name always is).
PRESENT = {"company": 0.85, "title": 0.8, "email": 0.8, "phone": 0.7, "city": 0.75}
LOCALES = ["en_US", "en_GB", "en_CA", "en_AU", "en_IE"]

INSTRUCTION = ("Extract the contact details as JSON with keys name, company, title, email, phone, city "
               "(null when not given).")

NOISE = [
    "Hope your week is going well.",
    "Thanks again for your time.",
    "Let me know if anything changes.",
    "The slides are attached.",
    "Coffee was terrible, as usual.",
    "We ran out of time for the last item.",
    "Parking is on the north side of the building.",
    "Happy to help.",
    "Talk soon.",
    "Apologies for the late reply.",
    "The weather delayed a few flights.",
    "Follow-up scheduled for next quarter.",
]


def make_record(fake, rng):
    first, last = fake.first_name(), fake.last_name()
    company = fake.company()
    domain = "".join(c for c in company.split()[0].lower() if c.isalnum()) or "mail"
    rec = {
        "name": f"{first} {last}",
        "company": company,
        "title": fake.job(),
        "email": rng.choice([
            f"{first.lower()}.{last.lower()}@{domain}.{rng.choice(['com', 'net', 'io', 'co.uk', 'org'])}",
            f"{first[0].lower()}{last.lower()}@{domain}.com",
            fake.email(),
        ]),
        "phone": fake.phone_number(),
        "city": fake.city(),
    }
    for k, p in PRESENT.items():
        if rng.random() >= p:
            rec[k] = None
    return rec


# Phrases for one field each; {v} is the value. Shuffled within a template where the form allows.
FIELD_PHRASES = {
    "company": ["works at {v}", "is with {v}", "from {v}", "employed by {v}", "joined {v} recently"],
    "title": ["as {v}", "role: {v}", "title {v}", "serving as {v}", "position: {v}"],
    "email": ["email {v}", "reachable at {v}", "mail: {v}", "writes from {v}", "e-mail {v}"],
    "phone": ["phone {v}", "call {v}", "tel. {v}", "mobile {v}", "number {v}"],
    "city": ["based in {v}", "lives in {v}", "located in {v}", "city: {v}", "out of {v}"],
}


def present(rec):
    return [k for k in KEYS[1:] if rec[k] is not None]


def t_one_liner(rec, rng):
    parts = [rng.choice(FIELD_PHRASES[k]).format(v=rec[k]) for k in present(rec)]
    rng.shuffle(parts)
    return f"{rec['name']} " + ", ".join(parts) + "." if parts else f"Just met {rec['name']}."


def t_signature(rec, rng):
    lines = ["Best regards,", rec["name"]]
    if rec["title"] or rec["company"]:
        lines.append(" | ".join(x for x in [rec["title"], rec["company"]] if x))
    tail = []
    if rec["phone"]:
        tail.append(rng.choice(["T: ", "Phone: ", "Tel ", "M: "]) + rec["phone"])
    if rec["email"]:
        tail.append(rng.choice(["E: ", "Email: ", ""]) + rec["email"])
    if rec["city"]:
        tail.append(rec["city"])
    rng.shuffle(tail)
    return "\n".join(lines + tail)


def t_email(rec, rng, fake):
    first = rec["name"].split()[0]
    body = [f"Hi {fake.first_name()},", rng.choice([
        f"This is {first} reaching out about the proposal.",
        f"{first} here, following up on our call.",
        "Quick note regarding the contract renewal.",
    ])]
    if rec["company"]:
        body.append(rng.choice([f"Our team at {rec['company']} would like to meet.", f"I represent {rec['company']}."]))
    if rec["city"]:
        body.append(rng.choice([f"I'll be in {rec['city']} next week.", f"We're based in {rec['city']}."]))
    if rec["phone"]:
        body.append(f"You can reach me on {rec['phone']}.")
    body.append("Thanks,")
    body.append(rec["name"] + (f", {rec['title']}" if rec["title"] else ""))
    if rec["email"]:
        body.insert(0, f"From: {rec['email']}")
    return "\n".join(body)


def t_bio(rec, rng):
    s = [rec["name"]]
    if rec["title"] and rec["company"]:
        s[0] += rng.choice([f" is {a(rec['title'])} at {rec['company']}", f" works as {a(rec['title'])} for {rec['company']}"])
    elif rec["title"]:
        s[0] += f" is {a(rec['title'])}"
    elif rec["company"]:
        s[0] += f" works at {rec['company']}"
    s[0] += f" and lives in {rec['city']}." if rec["city"] else "."
    contact = []
    if rec["email"]:
        contact.append(f"email {rec['email']}")
    if rec["phone"]:
        contact.append(f"call {rec['phone']}")
    rng.shuffle(contact)
    if contact:
        s.append("To get in touch, " + " or ".join(contact) + ".")
    return " ".join(s)


def t_meeting(rec, rng, fake):
    lines = [f"Meeting notes, {fake.day_of_week()}", f"Attendees: {rec['name']}, {fake.name()}"]
    facts = []
    if rec["company"]:
        facts.append(f"- {rec['name'].split()[0]} represented {rec['company']}")
    if rec["title"]:
        facts.append(f"- {rec['name'].split()[0]}'s role: {rec['title']}")
    if rec["city"]:
        facts.append(f"- Office: {rec['city']}")
    if rec["email"]:
        facts.append(f"- Send the deck to {rec['email']}")
    if rec["phone"]:
        facts.append(f"- Phone: {rec['phone']}")
    rng.shuffle(facts)
    return "\n".join(lines + facts)


def t_crm(rec, rng):
    fields = {"Contact": rec["name"], "Org": rec["company"], "Role": rec["title"], "Email": rec["email"],
              "Phone": rec["phone"], "Location": rec["city"]}
    items = [(k, v) for k, v in fields.items() if v is not None and k != "Contact"]
    rng.shuffle(items)
    sep = rng.choice(["; ", "\n", " / "])
    return sep.join([f"Contact: {rec['name']}"] + [f"{k}: {v}" for k, v in items])


def t_voicemail(rec, rng):
    s = [f"Voicemail: Hi, it's {rec['name']}"]
    if rec["company"]:
        s[0] += f" from {rec['company']}"
    s[0] += "."
    if rec["title"]:
        s.append(f"I'm the {rec['title']} there.")
    if rec["city"]:
        s.append(f"I'm calling from {rec['city']}.")
    if rec["phone"]:
        s.append(f"Call me back at {rec['phone']}.")
    if rec["email"]:
        s.append(f"Or email {rec['email']}.")
    return " ".join(s)


def t_badge(rec, rng):
    lines = [rec["name"].upper() if rng.random() < 0.3 else rec["name"]]
    for k in ["title", "company", "city"]:
        if rec[k]:
            lines.append(rec[k])
    extra = [x for x in [rec["email"], rec["phone"]] if x]
    rng.shuffle(extra)
    return "Conference badge:\n" + "\n".join(lines + extra)


def t_intro(rec, rng, fake):
    s = f"{fake.first_name()}, meet {rec['name']}"
    if rec["title"] and rec["company"]:
        s += f", {rec['title']} at {rec['company']}"
    elif rec["company"]:
        s += f" of {rec['company']}"
    s += "."
    more = []
    if rec["city"]:
        more.append(f"{rec['name'].split()[0]} is in {rec['city']} too.")
    if rec["email"]:
        more.append(f"Their email is {rec['email']}.")
    if rec["phone"]:
        more.append(f"Phone: {rec['phone']}.")
    rng.shuffle(more)
    return " ".join([s] + more)


def t_table_row(rec, rng):
    keys = ["name"] + present(rec)
    rng.shuffle(keys)
    return " | ".join(f"{k}={rec[k]}" for k in keys)


def a(title):
    return ("an " if title[0].lower() in "aeiou" else "a ") + title


TEMPLATES = [
    lambda r, g, f: t_one_liner(r, g),
    lambda r, g, f: t_signature(r, g),
    t_email,
    lambda r, g, f: t_bio(r, g),
    t_meeting,
    lambda r, g, f: t_crm(r, g),
    lambda r, g, f: t_voicemail(r, g),
    lambda r, g, f: t_badge(r, g),
    t_intro,
    lambda r, g, f: t_table_row(r, g),
]


def make_example(fake, rng):
    rec = make_record(fake, rng)
    text = rng.choice(TEMPLATES)(rec, rng, fake)
    if rng.random() < 0.3:
        noise = rng.choice(NOISE)
        text = noise + " " + text if rng.random() < 0.5 else text + "\n" + noise
    answer = {k: rec[k] for k in KEYS}
    return {"prompt": f"{INSTRUCTION}\nText: {text}\nJSON:\n",
            "completion": json.dumps(answer, ensure_ascii=False, separators=(",", ":"))}, rec["name"]


SCHEMA = {
    "type": "object",
    "properties": {k: {"type": ["string", "null"], "maxLength": 80} for k in KEYS},
    "required": KEYS,
    "additionalProperties": False,
}


def write_atomic(path, text):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it private
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench/extraction")
    args = ap.parse_args()
    rng = random.Random(SEED)
    fakes = [Faker(loc) for loc in LOCALES]
    for i, f in enumerate(fakes):
        f.seed_instance(SEED + i)
    rows, names, prompts = [], set(), set()
    while len(rows) < TRAIN_ROWS + EVAL_ROWS:
        row, name = make_example(rng.choice(fakes), rng)
        if name in names or row["prompt"] in prompts:
            continue  # keeps train and eval disjoint (and every row distinct)
        names.add(name)
        prompts.add(row["prompt"])
        rows.append(row)
    os.makedirs(args.out, exist_ok=True)
    dump = lambda rs: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rs)
    write_atomic(os.path.join(args.out, "train.jsonl"), dump(rows[:TRAIN_ROWS]))
    write_atomic(os.path.join(args.out, "eval.jsonl"), dump(rows[TRAIN_ROWS:]))
    write_atomic(os.path.join(args.out, "schema.json"), json.dumps(SCHEMA, indent=2) + "\n")


if __name__ == "__main__":
    main()
