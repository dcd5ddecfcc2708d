#!/usr/bin/env bash
# Installs Debian's headless-capable `chromium` for the web page test (idempotent); prints its path.
set -euo pipefail
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" != 0 ]; then echo "install-chromium: chromium is missing; run as root or: sudo apt-get install -y chromium" >&2; exit 1; fi
  echo "install-chromium: apt-get install chromium" >&2
  (apt-get install -y chromium >&2 || { apt-get update >&2 && apt-get install -y chromium >&2; }) \
    || { echo "install-chromium: could not install Debian's chromium package" >&2; exit 1; }
fi
command -v chromium
