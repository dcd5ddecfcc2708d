package dev.jemma.model;

import dev.jemma.tensor.LaneSum;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise steps of the forward pass, all in f32. */
final class Ops {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final float SQRT_2_OVER_PI = 0.7978845608028654f;
    /**
     * Functions taken in double (the GELU's tanh, softmax's exp): as many lanes as the widest double vector, the
     * floats in half its width.
     */
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    static final VectorSpecies<Float> F_HALF = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

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
     * gate[i] = gelu_tanh(gate[i]) · up[i] for i in [from, to). Kept this close to the function (the argument and
     * the rest in f32, tanh in double, rounded to f32): the native kernels' greedy answers equal llama.cpp's only
     * this close, and a vectorized f32 GELU (within 1e-6) moved them. The vector loop does the same f32 steps in
     * the same order and a double tanh of the vector library (within an ulp or two of double, so its f32 rounding
     * matches Math.tanh's but for ties a few double ulps wide); Math.tanh one element at a time was a tenth of prefill.
     */
    static void geluTanhMul(float[] gate, float[] up, int from, int to) {
        int i = from;
        for (int bound = from + F_HALF.loopBound(to - from); i < bound; i += F_HALF.length()) {
            FloatVector x = FloatVector.fromArray(F_HALF, gate, i);
            FloatVector u = x.add(x.mul(0.044715f).mul(x).mul(x)).mul(SQRT_2_OVER_PI);
            DoubleVector t = ((DoubleVector) u.convertShape(VectorOperators.F2D, D, 0)).lanewise(VectorOperators.TANH);
            FloatVector tf = (FloatVector) t.convertShape(VectorOperators.D2F, F_HALF, 0);
            x.mul(0.5f).mul(tf.add(1f)).mul(FloatVector.fromArray(F_HALF, up, i)).intoArray(gate, i);
        }
        for (; i < to; i++) {
            float x = gate[i];
            float g = 0.5f * x * (1f + (float) Math.tanh(SQRT_2_OVER_PI * (x + 0.044715f * x * x * x)));
            gate[i] = g * up[i];
        }
    }
}
