#!/usr/bin/env python3
"""The web chat page in headless Chromium (Debian's package, driven by Playwright): sends a message and sees the
answer stream in, stops a long generation mid-stream, checks tokens/s is shown, saves a screenshot.

Usage: .venv/bin/python conformance/web_chat_test.py BASE_URL [SCREENSHOT] [CHROMIUM]
Exit status 0 only when every check passes.
"""
from __future__ import annotations

import sys
from pathlib import Path
import time
import urllib.request

from playwright.sync_api import sync_playwright

failures: list[str] = []


def check(name: str, ok: bool, detail: str = "") -> None:
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
    if not ok:
        failures.append(name)


def wait_for(predicate, timeout: float, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def main(base: str, shot: str, chromium: str) -> int:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 760})
        page.goto(base, wait_until="domcontentloaded")
        check("page served at /", page.title() == "Jemma chat", page.title())
        check("model listed", wait_for(lambda: page.input_value("#model") not in ("", "…"), 30), page.input_value("#model"))
        options = page.eval_on_selector_all("#model option", "os => os.map(o => [o.value, o.textContent])")
        default_model = page.input_value("#model")
        base_model = next((v for v, label in options if label.endswith("(base)")), default_model)
        check("model picker lists the base and the default", len(options) >= 1, str(options))

        # 1. a short answer streams in: the text is seen growing before the request finishes
        page.fill("#temperature", "0")
        page.fill("#max-tokens", "48")
        page.fill("#message", "Tell me about the sea.")
        page.click("#send")
        answer = page.locator(".assistant").last
        lengths: list[int] = []
        def finished() -> bool:
            lengths.append(len(answer.inner_text()))
            return page.is_enabled("#send")
        wait_for(lambda: page.is_disabled("#send"), 5)
        check("answer finished", wait_for(finished, 180, 0.02))
        text = answer.inner_text()
        growth = sorted(set(n for n in lengths if n > 0))
        check("answer streamed (seen at several lengths)", len(growth) >= 3, f"{len(growth)} distinct lengths")
        check("answer not empty", len(text.strip()) > 0, repr(text[:80]))
        check("tokens/s shown", "tokens/s" in page.inner_text("#tps"), page.inner_text("#tps"))

        # 2. a long generation stopped mid-stream: the text stops growing and the page is ready again (on the bare
        # base, picked in the model list: the chat adapter ends its turns too soon to be stopped)
        page.select_option("#model", base_model)
        page.fill("#max-tokens", "2000")
        page.fill("#message", "Write a very long story about a dragon who learns to bake bread.")
        page.click("#send")
        answer = page.locator(".assistant").last
        check("long answer streaming", wait_for(lambda: len(answer.inner_text()) > 40, 120), str(len(answer.inner_text())))
        page.click("#stop")
        check("ready after stop", wait_for(lambda: page.is_enabled("#send"), 10))
        stopped_at = len(answer.inner_text())
        time.sleep(2)
        check("no text after stop", len(answer.inner_text()) == stopped_at, f"{stopped_at} -> {len(answer.inner_text())}")
        check("stop shown", "stopped" in page.inner_text("#tps"), page.inner_text("#tps"))
        def idle() -> bool:
            with urllib.request.urlopen(base.rstrip("/") + "/metrics") as r:
                return "\njemma:requests_processing 0\n" in r.read().decode()
        check("server cancelled the stopped generation (no active slot)", wait_for(idle, 20, 0.2))

        # 3. the conversation goes on after a stop (multi-turn)
        page.select_option("#model", default_model)
        page.fill("#max-tokens", "16")
        page.fill("#message", "Thank you.")
        page.click("#send")
        wait_for(lambda: page.is_disabled("#send"), 5)
        check("third turn answered", wait_for(lambda: page.is_enabled("#send"), 120) and page.locator(".assistant").count() == 3)
        check("no error shown", page.locator(".error").count() == 0,
              page.locator(".error").first.inner_text() if page.locator(".error").count() else "")
        # the attach button sends the image inline as an OpenAI image_url part; this server has no vision tower,
        # so the answer is its 400, shown in the page
        image = str(Path(__file__).resolve().parent.parent / "jemma-core/src/test/resources/fixtures/vision/images/rgb_53x37.png")
        page.set_input_files("#image", image)
        check("image attached", wait_for(lambda: page.inner_text("#attach") == "Image (1)", 5), page.inner_text("#attach"))
        page.fill("#message", "What is in this picture?")
        page.click("#send")
        check("image shown in the user bubble", page.locator(".user img").count() == 1)
        check("the server's answer to an image is shown",
              wait_for(lambda: page.locator(".error").count() > 0 and "vision" in page.locator(".error").last.inner_text(), 30),
              page.locator(".error").last.inner_text() if page.locator(".error").count() else "")
        page.screenshot(path=shot, full_page=True)
        print(f"screenshot: {shot}")
        browser.close()
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "target/web-chat.png",
                  sys.argv[3] if len(sys.argv) > 3 else "/usr/bin/chromium"))
