#!/usr/bin/env bash
# The web chat page in headless Chromium against `jemma serve` (default 270M): send, stream, stop, screenshot.
# Usage: scripts/test-web-chat.sh [SCREENSHOT]   (default target/web-chat.png)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
chromium=$(bash scripts/install-chromium.sh)
bash conformance/setup-venv.sh
shot=${1:-target/web-chat.png}
mkdir -p "$(dirname "$shot")"
export CHROMIUM="$chromium" SHOT="$shot"
exec bash scripts/with-server.sh bash -c '.venv/bin/python conformance/web_chat_test.py "$JEMMA_URL" "$SHOT" "$CHROMIUM"'
