package dev.jemma.train;

import dev.jemma.model.GemmaWeights;

/** The RMSNorm weights of a decoder layer, stored as llama.cpp does (1 + w). */
enum Norm {
    ATTENTION, QUERY, KEY, POST_ATTENTION, FFN, POST_FFN;

    float[] of(GemmaWeights.Layer w) {
        return switch (this) {
            case ATTENTION -> w.attnNorm();
            case QUERY -> w.qNorm();
            case KEY -> w.kNorm();
            case POST_ATTENTION -> w.postAttnNorm();
            case FFN -> w.ffnNorm();
            case POST_FFN -> w.postFfnNorm();
        };
    }

    /** the tensor's GGUF name in layer {@code l} */
    String tensorName(int l) {
        return "blk." + l + "." + switch (this) {
            case ATTENTION -> "attn_norm";
            case QUERY -> "attn_q_norm";
            case KEY -> "attn_k_norm";
            case POST_ATTENTION -> "post_attention_norm";
            case FFN -> "ffn_norm";
            case POST_FFN -> "post_ffw_norm";
        } + ".weight";
    }

    /** out = x / rms(x) · w, the forward pass's norm, recomputed in double for the sum. */
    static void forward(float[] x, int xOff, float[] w, float[] out, int outOff, int n, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double) x[xOff + i] * x[xOff + i];
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * inv * w[i];
    }

    /**
     * Backward of y = x / rms(x) · w for one row: dx (+)= the input gradient, dw += dy · x / rms(x).
     * {@code dw} may be null (frozen); {@code accumulate} adds to dx instead of overwriting it.
     */
    static void backward(float[] x, int xOff, float[] w, float[] dy, int dyOff, float[] dx, int dxOff, float[] dw,
                         int n, float eps, boolean accumulate) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double) x[xOff + i] * x[xOff + i];
        double r = 1.0 / Math.sqrt(ss / n + eps);
        double dot = 0;
        for (int i = 0; i < n; i++) dot += (double) dy[dyOff + i] * w[i] * x[xOff + i];
        double k = r * r * r * dot / n;
        for (int i = 0; i < n; i++) {
            float g = (float) (r * dy[dyOff + i] * w[i] - k * x[xOff + i]);
            if (accumulate) dx[dxOff + i] += g;
            else dx[dxOff + i] = g;
        }
        if (dw != null) for (int i = 0; i < n; i++) dw[i] += (float) (dy[dyOff + i] * x[xOff + i] * r);
    }
}
