package dev.jemma.train;

import dev.jemma.adapter.BaseLayout;
import dev.jemma.adapter.LoraAdapter;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.Projection;

import java.util.Arrays;

/**
 * Gradient accumulators, laid out as the parameters they belong to: linear weights row-major [out][in] (as
 * GGUF stores them), norm weights per element, the embedding [vocab][hidden], and LoRA's A [r][in] and B [out][r].
 * Only what trains has a buffer (full fine-tuning: every parameter unless the embedding is frozen; LoRA: A and B).
 */
final class Gradients {
    /** [layer][projection] */
    final float[][][] linear;
    /** [layer][norm] */
    final float[][][] norms;
    final float[] outputNorm;
    final float[] embedding;
    /** [layer][projection] */
    final float[][][] loraA, loraB;

    private Gradients(float[][][] linear, float[][][] norms, float[] outputNorm, float[] embedding,
                      float[][][] loraA, float[][][] loraB) {
        this.linear = linear;
        this.norms = norms;
        this.outputNorm = outputNorm;
        this.embedding = embedding;
        this.loraA = loraA;
        this.loraB = loraB;
    }

    /** Buffers for every parameter of the model; the embedding's only when it trains. */
    static Gradients full(GemmaConfig c, int vocab, boolean embedding) {
        int np = Projection.values().length, nn = Norm.values().length;
        float[][][] linear = new float[c.layers()][np][], norms = new float[c.layers()][nn][];
        for (int l = 0; l < c.layers(); l++) {
            for (Projection p : Projection.values()) linear[l][p.ordinal()] = new float[BaseLayout.inputs(c, p) * BaseLayout.outputs(c, p)];
            for (Norm n : Norm.values()) {
                norms[l][n.ordinal()] = new float[n == Norm.QUERY || n == Norm.KEY ? c.headDim() : c.hidden()];
            }
        }
        return new Gradients(linear, norms, new float[c.hidden()],
                embedding ? new float[Math.multiplyExact(vocab, c.hidden())] : null, null, null);
    }

    /** Buffers for the adapter's A and B matrices. */
    static Gradients lora(GemmaConfig c, LoraAdapter adapter) {
        int np = Projection.values().length;
        float[][][] a = new float[c.layers()][np][], b = new float[c.layers()][np][];
        for (int l = 0; l < c.layers(); l++) {
            for (Projection p : Projection.values()) {
                if (adapter.a(l, p) == null) continue;
                a[l][p.ordinal()] = new float[adapter.a(l, p).length];
                b[l][p.ordinal()] = new float[adapter.b(l, p).length];
            }
        }
        return new Gradients(null, null, null, null, a, b);
    }

    /** Every buffer, in one fixed order (the optimizer's and the checkpoint's). */
    float[][] all() {
        java.util.List<float[]> out = new java.util.ArrayList<>();
        if (embedding != null) out.add(embedding);
        if (linear != null) {
            for (int l = 0; l < linear.length; l++) {
                for (float[] n : norms[l]) out.add(n);
                for (float[] w : linear[l]) out.add(w);
            }
            out.add(outputNorm);
        }
        if (loraA != null) {
            for (int l = 0; l < loraA.length; l++) {
                for (int p = 0; p < loraA[l].length; p++) {
                    if (loraA[l][p] == null) continue;
                    out.add(loraA[l][p]);
                    out.add(loraB[l][p]);
                }
            }
        }
        return out.toArray(new float[0][]);
    }

    void zero() {
        for (float[] g : all()) Arrays.fill(g, 0f);
    }
}
