#!/usr/bin/env python3
"""The official `openai` Python package against a running `jemma serve`, unchanged: chat, streaming,
stop sequences, seeds, structured output and tool calling (named, required, auto).

Usage: .venv/bin/python conformance/openai_client_test.py http://127.0.0.1:PORT [API_KEY]
Exit status 0 only when every check passes; one line per check on stdout.
"""
from __future__ import annotations

import json
import sys

import openai

failures: list[str] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
    if not ok:
        failures.append(name)


def validate(value, schema: dict) -> bool:
    """A small validator for the tool schemas below (type, properties, required, enum, min/max)."""
    t = schema.get("type")
    if "enum" in schema and value not in schema["enum"]:
        return False
    if t == "object":
        if not isinstance(value, dict):
            return False
        props = schema.get("properties", {})
        if any(k not in value for k in schema.get("required", [])):
            return False
        if schema.get("additionalProperties") is False and any(k not in props for k in value):
            return False
        return all(validate(v, props[k]) for k, v in value.items() if k in props)
    if t == "string":
        return isinstance(value, str) and len(value) <= schema.get("maxLength", len(value))
    if t == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return ok and schema.get("minimum", value) <= value <= schema.get("maximum", value)
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    return True


WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "maxLength": 40},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current local time in a time zone",
        "parameters": {
            "type": "object",
            "properties": {"zone": {"type": "string", "maxLength": 40}, "offset_hours": {"type": "integer", "minimum": -12, "maximum": 14}},
            "required": ["zone"],
        },
    },
}
SCHEMAS = {"get_weather": WEATHER["function"]["parameters"], "get_time": TIME["function"]["parameters"]}


def check_tool_calls(name: str, resp, allowed: set[str], ids: set[str]) -> None:
    choice = resp.choices[0]
    calls = choice.message.tool_calls or []
    check(f"{name}: finish_reason tool_calls", choice.finish_reason == "tool_calls", str(choice.finish_reason))
    check(f"{name}: at least one call", len(calls) >= 1)
    for c in calls:
        check(f"{name}: call names an offered tool", c.function.name in allowed, c.function.name)
        check(f"{name}: arguments is a JSON string", isinstance(c.function.arguments, str))
        try:
            args = json.loads(c.function.arguments)
            check(f"{name}: arguments validate", validate(args, SCHEMAS[c.function.name]), c.function.arguments)
        except (ValueError, KeyError) as e:
            check(f"{name}: arguments parse", False, repr(e))
        check(f"{name}: id unique", c.id not in ids, c.id)
        ids.add(c.id)


def http_json(method: str, url: str, key: str, body=None):
    import urllib.request
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.status, json.load(r)


def adapters(client, base: str, key: str, msgs) -> None:
    """Adapters as model ids through the openai package, and llama-server's documented /lora-adapters shapes."""
    ids = [m.id for m in client.models.list().data]
    check("models.list: the base and its adapters", len(ids) >= 2, str(ids))
    greedy = dict(messages=msgs, temperature=0, max_tokens=24)
    by_id = {m: client.chat.completions.create(model=m, **greedy).choices[0].message.content for m in ids}
    check("each model id answers", all(by_id.values()), json.dumps(by_id)[:200])
    root = base.rstrip("/").removesuffix("/v1")
    status, listed = http_json("GET", root + "/lora-adapters", key)
    check("GET /lora-adapters: [{id, path, scale}]", status == 200 and isinstance(listed, list) and len(listed) >= 2
          and all({"id", "path", "scale"} <= set(a) for a in listed), json.dumps(listed)[:200])
    first = listed[0]
    status, raw = http_json("GET", root + "/v1/models", key)
    base_id = next(m["id"] for m in raw["data"] if m.get("meta", {}).get("base"))
    adapter_id = next(m["id"] for m in raw["data"] if m.get("meta", {}).get("adapter_id") == first["id"])
    # llama-server's per-request field, through the openai package's extra_body, on the base model id
    via_lora = client.chat.completions.create(model=base_id, extra_body={"lora": [{"id": first["id"], "scale": 1.0}]},
                                              **greedy).choices[0].message.content
    check("per-request lora [{id, scale}] on the base equals the adapter's model id", via_lora == by_id[adapter_id],
          f"{via_lora[:60]!r} vs {by_id[adapter_id][:60]!r}")
    # the documented example: POST /lora-adapters [{"id": 0, "scale": 0.2}, {"id": 1, "scale": 0.8}]
    status, ok = http_json("POST", root + "/lora-adapters", key, [{"id": 0, "scale": 0.2}, {"id": 1, "scale": 0.8}])
    check("POST /lora-adapters (documented example)", status == 200 and ok == {"success": True}, json.dumps(ok))
    status, listed = http_json("GET", root + "/lora-adapters", key)
    check("the global scales are set", [a["scale"] for a in listed[:2]] == [0.2, 0.8], json.dumps(listed)[:200])
    status, ok = http_json("POST", root + "/lora-adapters", key, [])
    check("POST /lora-adapters []: all off", status == 200 and all(a["scale"] == 0 for a in http_json("GET", root + "/lora-adapters", key)[1]))


def main(base: str, key: str) -> int:
    client = openai.OpenAI(base_url=base.rstrip("/") + "/v1", api_key=key, max_retries=0, timeout=300)
    models = client.models.list()
    model = models.data[0].id
    check("models.list", len(models.data) >= 1, model)

    msgs = [{"role": "user", "content": "Write one sentence about the sea."}]
    a = client.chat.completions.create(model=model, messages=msgs, temperature=0.8, seed=7, max_tokens=24)
    b = client.chat.completions.create(model=model, messages=msgs, temperature=0.8, seed=7, max_tokens=24)
    check("chat: non-empty answer", bool(a.choices[0].message.content), repr(a.choices[0].message.content))
    check("seed: same seed, same text", a.choices[0].message.content == b.choices[0].message.content)
    check("usage", a.usage is not None and a.usage.total_tokens == a.usage.prompt_tokens + a.usage.completion_tokens)

    greedy = dict(model=model, messages=msgs, temperature=0, max_tokens=24)
    whole = client.chat.completions.create(**greedy).choices[0].message.content
    parts, usage, finish = [], None, None
    for chunk in client.chat.completions.create(**greedy, stream=True, stream_options={"include_usage": True}):
        if chunk.usage is not None:
            usage = chunk.usage
        for c in chunk.choices:
            if c.delta.content:
                parts.append(c.delta.content)
            if c.finish_reason:
                finish = c.finish_reason
    check("stream: deltas concatenate to the non-streamed text", "".join(parts) == whole, repr("".join(parts)))
    check("stream: usage chunk", usage is not None and usage.completion_tokens > 0)
    check("stream: finish_reason", finish in ("stop", "length"), str(finish))

    words = whole.split()
    stop = words[len(words) // 2]  # a stop string from the middle of the greedy answer
    s = client.chat.completions.create(**greedy, stop=[stop])
    text = s.choices[0].message.content
    check("stop: output is exactly the text before the stop string", text == whole[:whole.index(stop)], f"{stop!r}: {text!r}")
    check("stop: finish_reason stop", s.choices[0].finish_reason == "stop")

    schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20},
                                               "age": {"type": "integer", "minimum": 0, "maximum": 120}},
              "required": ["name", "age"], "additionalProperties": False}
    j = client.chat.completions.create(model=model, temperature=1.0, seed=3, max_tokens=60,
                                       messages=[{"role": "user", "content": "Invent a person. Answer in JSON."}],
                                       response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}})
    try:
        check("response_format json_schema: valid", validate(json.loads(j.choices[0].message.content), schema),
              j.choices[0].message.content)
    except ValueError:
        check("response_format json_schema: parses", False, j.choices[0].message.content)

    ids: set[str] = set()
    ask = [{"role": "user", "content": "What is the weather like in Paris right now, in celsius?"}]
    named = client.chat.completions.create(model=model, messages=ask, tools=[WEATHER, TIME], temperature=0, max_tokens=200,
                                           tool_choice={"type": "function", "function": {"name": "get_weather"}})
    check_tool_calls("tools named", named, {"get_weather"}, ids)
    required = client.chat.completions.create(model=model, messages=ask, tools=[WEATHER, TIME], temperature=0.7, seed=1,
                                              max_tokens=200, tool_choice="required",
                                              parallel_tool_calls=False)
    check_tool_calls("tools required", required, {"get_weather", "get_time"}, ids)
    auto = client.chat.completions.create(model=model, messages=ask, tools=[WEATHER, TIME], temperature=0, max_tokens=80,
                                          tool_choice="auto")
    ac = auto.choices[0]
    if ac.message.tool_calls:
        check_tool_calls("tools auto (called)", auto, {"get_weather", "get_time"}, ids)
    else:
        check("tools auto (answered): text", bool(ac.message.content) and ac.finish_reason in ("stop", "length"))
    none = client.chat.completions.create(model=model, messages=ask, tools=[WEATHER], tool_choice="none", temperature=0,
                                          max_tokens=20)
    check("tools none: no calls", not none.choices[0].message.tool_calls and none.choices[0].finish_reason != "tool_calls")
    if named.choices[0].message.tool_calls:
        call = named.choices[0].message.tool_calls[0]
        follow = client.chat.completions.create(model=model, temperature=0, max_tokens=40, tools=[WEATHER], messages=ask + [
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temperature": 18, "sky": "cloudy"})}])
        check("tool result fed back: answer", bool(follow.choices[0].message.content) or bool(follow.choices[0].message.tool_calls))

    try:
        client.chat.completions.create(model=model, messages=msgs, max_tokens=8, temperature=5.0)
        check("bad temperature: 400", False, "accepted")
    except openai.BadRequestError as e:
        check("bad temperature: 400 naming the parameter", "temperature" in str(e), str(e)[:120])
    try:
        client.chat.completions.create(model="no-such-model", messages=msgs, max_tokens=8)
        check("unknown model: 404", False, "accepted")
    except openai.NotFoundError:
        check("unknown model: 404", True)

    adapters(client, base, key, msgs)

    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "none"))
