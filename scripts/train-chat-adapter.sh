#!/usr/bin/env bash
# Trains the default chat adapter (docs/CHAT.md) from scratch: installs the two pinned corpora, builds
# bench/chat/{train,valid}.jsonl, runs `jemma finetune` (one LoRA epoch on the pretrained 270M) and puts the f16
# adapter where the CLI ships it. The training log goes to bench/chat/train-log.jsonl.
#
#   scripts/train-chat-adapter.sh [OUT_DIR]
#
# Env: THREADS (all cores). Takes about 30 minutes on 2 quiet cores.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-"$root/target/chat-adapter"}
threads=${THREADS:-$(nproc)}
mkdir -p "$out"
venv="$root/target/chat-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pyyaml==6.0.3
  "$venv/bin/pip" install -q --no-deps chatterbot-corpus==1.3.3 chitchat-dataset==0.9.0
fi
site=$("$venv/bin/python" -c "import chatterbot_corpus, os; print(os.path.dirname(os.path.dirname(chatterbot_corpus.__file__)))")
"$venv/bin/python" "$root/scripts/build-chat-data.py" --chatterbot "$site/chatterbot_corpus/data" \
  --chitchat "$site/chitchat_dataset/dataset.json" --out "$root/bench/chat"

rm -rf "$out/train-log.jsonl" "$out/chat-lora-f16.gguf.ckpt"
"$root/jemma" finetune --data "$root/bench/chat/train.jsonl" --eval "$root/bench/chat/valid.jsonl" \
  --out "$out/chat-lora-f16.gguf" --out-type f16 --rank 8 --alpha 16 --lr 1e-3 --schedule cosine --warmup 20 \
  --batch 8 --epochs 1 --seq-len 512 --seed 42 --threads "$threads" --checkpoint-every 50 --log "$out/train-log.jsonl"
cp "$out/train-log.jsonl" "$root/bench/chat/train-log.jsonl"
dest="$root/jemma-cli/src/main/resources/dev/jemma/cli/gemma3-270m-chat-lora-f16.gguf"
mkdir -p "$(dirname "$dest")"
cp "$out/chat-lora-f16.gguf" "$dest.tmp" && mv "$dest.tmp" "$dest"
sha256sum "$dest" >&2
