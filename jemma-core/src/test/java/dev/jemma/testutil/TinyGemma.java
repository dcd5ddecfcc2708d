package dev.jemma.testutil;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A tiny, valid Gemma 3 GGUF (F32, 2 layers, 300-token vocabulary) as a builder, for tests to break one thing at a time. */
public final class TinyGemma {
    public static final int HIDDEN = 32, LAYERS = 2, HEADS = 2, KV_HEADS = 1, HEAD_DIM = 16, FFN = 64, VOCAB = 300, CTX = 64, WINDOW = 4;

    private TinyGemma() {}

    public static List<String> tokens() {
        List<String> t = new ArrayList<>(List.of("<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"));
        for (int b = 0; b < 256; b++) t.add(String.format("<0x%02X>", b));
        String[] pieces = {"▁", "\n", "a", "b", "c", "d", "e", "h", "l", "o", "he", "ll", "llo", "hello", "▁hello"};
        for (String p : pieces) t.add(p);
        while (t.size() < VOCAB) t.add("x" + t.size());
        return t;
    }

    public static GgufBuilder builder() {
        GgufBuilder g = new GgufBuilder();
        g.str("general.architecture", "gemma3");
        g.u32("gemma3.context_length", CTX);
        g.u32("gemma3.embedding_length", HIDDEN);
        g.u32("gemma3.block_count", LAYERS);
        g.u32("gemma3.feed_forward_length", FFN);
        g.u32("gemma3.attention.head_count", HEADS);
        g.u32("gemma3.attention.head_count_kv", KV_HEADS);
        g.u32("gemma3.attention.key_length", HEAD_DIM);
        g.u32("gemma3.attention.value_length", HEAD_DIM);
        g.f32("gemma3.attention.layer_norm_rms_epsilon", 1e-6f);
        g.u32("gemma3.attention.sliding_window", WINDOW);
        g.f32("gemma3.rope.freq_base", 1e6f);
        List<String> tokens = tokens();
        int[] types = new int[VOCAB];
        float[] scores = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            types[i] = i < 6 ? (i == 3 ? 2 : 3) : i < 262 ? 6 : 1;
            scores[i] = i < 262 ? 0 : -i;
        }
        g.str("tokenizer.ggml.model", "llama");
        g.strings("tokenizer.ggml.tokens", tokens);
        g.floats("tokenizer.ggml.scores", scores);
        g.ints("tokenizer.ggml.token_type", types);
        g.u32("tokenizer.ggml.bos_token_id", 2);
        g.u32("tokenizer.ggml.eos_token_id", 1);
        g.u32("tokenizer.ggml.unknown_token_id", 3);
        g.u32("tokenizer.ggml.padding_token_id", 0);
        Random r = new Random(7);
        g.tensorF32("token_embd.weight", new long[] {HIDDEN, VOCAB}, randn(r, HIDDEN * VOCAB, 0.5f));
        g.tensorF32("output_norm.weight", new long[] {HIDDEN}, ones(HIDDEN));
        for (int l = 0; l < LAYERS; l++) {
            String p = "blk." + l + ".";
            g.tensorF32(p + "attn_norm.weight", new long[] {HIDDEN}, ones(HIDDEN));
            g.tensorF32(p + "attn_q.weight", new long[] {HIDDEN, HEADS * HEAD_DIM}, randn(r, HIDDEN * HEADS * HEAD_DIM, 0.05f));
            g.tensorF32(p + "attn_k.weight", new long[] {HIDDEN, KV_HEADS * HEAD_DIM}, randn(r, HIDDEN * KV_HEADS * HEAD_DIM, 0.05f));
            g.tensorF32(p + "attn_v.weight", new long[] {HIDDEN, KV_HEADS * HEAD_DIM}, randn(r, HIDDEN * KV_HEADS * HEAD_DIM, 0.05f));
            g.tensorF32(p + "attn_q_norm.weight", new long[] {HEAD_DIM}, ones(HEAD_DIM));
            g.tensorF32(p + "attn_k_norm.weight", new long[] {HEAD_DIM}, ones(HEAD_DIM));
            g.tensorF32(p + "attn_output.weight", new long[] {HEADS * HEAD_DIM, HIDDEN}, randn(r, HIDDEN * HEADS * HEAD_DIM, 0.05f));
            g.tensorF32(p + "post_attention_norm.weight", new long[] {HIDDEN}, ones(HIDDEN));
            g.tensorF32(p + "ffn_norm.weight", new long[] {HIDDEN}, ones(HIDDEN));
            g.tensorF32(p + "ffn_gate.weight", new long[] {HIDDEN, FFN}, randn(r, HIDDEN * FFN, 0.05f));
            g.tensorF32(p + "ffn_up.weight", new long[] {HIDDEN, FFN}, randn(r, HIDDEN * FFN, 0.05f));
            g.tensorF32(p + "ffn_down.weight", new long[] {FFN, HIDDEN}, randn(r, HIDDEN * FFN, 0.05f));
            g.tensorF32(p + "post_ffw_norm.weight", new long[] {HIDDEN}, ones(HIDDEN));
        }
        return g;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    private static float[] randn(Random r, int n, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian() * std;
        return v;
    }
}
