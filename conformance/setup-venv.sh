#!/usr/bin/env bash
# Creates (once) the Python venv with the pinned reference tools: .venv/ at the repo root.
#
# llama-cpp-python is built from source with native CPU flags, less AMX: on virtual machines whose CPUID reports AMX
# but whose kernel or hypervisor does not hand out the tile state, ggml's AMX matrix product dies on its first
# `ldtilecfg` (SIGSEGV in ggml_backend_amx_mul_mat on a 512-token batch). The references need llama.cpp's numbers,
# not its fastest path, and the AVX-512 (VNNI) kernels give the same results.
#
# pip's own wheel cache is keyed by the source archive only, so it would hand back a wheel built with other flags or
# for another CPU (a native build can hold instructions this CPU lacks). The wheel is therefore built by this script
# into a folder keyed by the pin, the build flags and this CPU's feature flags, and installed from there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/conformance/requirements.txt"
stamp="$venv/.requirements.sha256"
no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
cmake_args=${CMAKE_ARGS:-"-DGGML_NATIVE=ON -DCMAKE_C_FLAGS='$no_amx' -DCMAKE_CXX_FLAGS='$no_amx'"}
llama_pin=$(grep '^llama-cpp-python==' "$req")
cpu_flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m)
build_key=$(printf '%s\n%s\n%s\n' "$llama_pin" "$cmake_args" "$cpu_flags" | sha256sum | cut -c1-16)
want=$( (cat "$req"; echo "$build_key") | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "setup-venv: python3 not found" >&2; exit 1; }
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip >&2

others=$(mktemp)
trap 'rm -f "$others"; [ -z "${building:-}" ] || rm -rf "$building"' EXIT
grep -v '^llama-cpp-python==' "$req" > "$others"
"$venv/bin/pip" install --progress-bar off -r "$others" >&2

wheels="${XDG_CACHE_HOME:-$HOME/.cache}/jemma/llama-cpp-wheels/$build_key"
if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "setup-venv: building $llama_pin for this CPU (several minutes, once)" >&2
  mkdir -p "$(dirname "$wheels")"
  building=$(mktemp -d "$wheels.building.XXXXXX")
  CMAKE_ARGS="$cmake_args" "$venv/bin/pip" wheel --progress-bar off --no-deps --no-cache-dir \
    --no-binary llama-cpp-python -w "$building" "$llama_pin" >&2
  rm -rf "$wheels"
  mv "$building" "$wheels"  # the folder appears whole or not at all
fi
"$venv/bin/pip" uninstall --quiet -y llama-cpp-python >&2 2>/dev/null || true
"$venv/bin/pip" install --progress-bar off "$wheels"/llama_cpp_python-*.whl >&2
echo "$want" > "$stamp"
