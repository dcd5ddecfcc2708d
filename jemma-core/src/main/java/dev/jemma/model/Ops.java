package dev.jemma.model;

import dev.jemma.tensor.LaneSum;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise steps of the forward pass, all in f32. */
final class Ops {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final float SQRT_2_OVER_PI = 0.7978845608028654f;

    private Ops() {}

    /**
     * out = x / sqrt(mean(x²) + eps) · w, with llama.cpp's GGUF convention that w already holds
     * Gemma's (1 + weight). {@code out} may alias {@code x}.
     */
    static void rmsNorm(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            acc = v.fma(v, acc);
        }
        double ss = LaneSum.sum(acc);
        for (; i < n; i++) ss += x[xOff + i] * x[xOff + i];
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * inv * w[i];
    }

    static void addInPlace(float[] acc, int accOff, float[] v, int vOff, int n) {
        for (int i = 0; i < n; i++) acc[accOff + i] += v[vOff + i];
    }

    /**
     * gate[i] = gelu_tanh(gate[i]) · up[i] for i in [from, to). Kept in this form (tanh in double, rounded to f32):
     * the native kernels' greedy answers equal llama.cpp's only this close to the function, and a vectorized f32
     * GELU (within 1e-6) moved them.
     */
    static void geluTanhMul(float[] gate, float[] up, int from, int to) {
        for (int i = from; i < to; i++) {
            float x = gate[i];
            float g = 0.5f * x * (1f + (float) Math.tanh(SQRT_2_OVER_PI * (x + 0.044715f * x * x * x)));
            gate[i] = g * up[i];
        }
    }
}
