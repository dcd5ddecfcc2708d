#!/usr/bin/env bash
# Creates (once) the Python venv with the pinned reference tools: .venv/ at the repo root.
# llama-cpp-python is built from source with native CPU flags, less AMX: on virtual machines whose CPUID reports AMX
# but whose kernel or hypervisor does not hand out the tile state, ggml's AMX matrix product dies on its first
# `ldtilecfg` (SIGSEGV in ggml_backend_amx_mul_mat on a 512-token batch). The references need llama.cpp's numbers,
# not its fastest path, and the AVX-512 (VNNI) kernels give the same results.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/conformance/requirements.txt"
stamp="$venv/.requirements.sha256"
no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
cmake_args=${CMAKE_ARGS:-"-DGGML_NATIVE=ON -DCMAKE_C_FLAGS='$no_amx' -DCMAKE_CXX_FLAGS='$no_amx'"}
want=$( (cat "$req"; echo "$cmake_args") | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "setup-venv: python3 not found" >&2; exit 1; }
had_llama=false
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import llama_cpp" 2>/dev/null && had_llama=true
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip >&2
CMAKE_ARGS="$cmake_args" "$venv/bin/pip" install --progress-bar off -r "$req" >&2
if [ "$had_llama" = true ]; then
  # an existing venv may hold a llama-cpp-python built with other flags; pip's wheel cache would hand it back
  CMAKE_ARGS="$cmake_args" "$venv/bin/pip" install --progress-bar off --force-reinstall --no-deps --no-cache-dir \
    "$(grep '^llama-cpp-python==' "$req")" >&2
fi
echo "$want" > "$stamp"
