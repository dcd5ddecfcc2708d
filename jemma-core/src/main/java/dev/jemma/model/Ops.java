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
    /** doubles as many as the widest vector holds, and floats in half its width: f32 values taken in double */
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

    /** elements per pass of {@link #geluTanhMul}: the size of its scratch */
    static final int GELU_CHUNK = 512;

    /**
     * gate[i] = gelu_tanh(gate[i]) · up[i] for i in [from, to); scratch: {@link #GELU_CHUNK} doubles. Kept this
     * close to the function (the argument and the rest in f32, tanh in double, rounded to f32): the native kernels'
     * greedy answers equal llama.cpp's only this close, and an f32 GELU (within 1e-6) moved them. The tanh is
     * {@link #tanh}, plain arithmetic, so these are plain loops that give the same bits interpreted, in C1 and in
     * C2, which vectorizes them (f32 and f64 in separate loops): 2.4 ns an element on one AVX-512 core against 4.0
     * for a Vector API form, which also ran a hundred times slower until C2 had compiled it (a quarter of a one-shot
     * command's first prefill).
     */
    static void geluTanhMul(float[] gate, float[] up, int from, int to, double[] scratch) {
        for (int c = from; c < to; c += GELU_CHUNK) {
            int n = Math.min(GELU_CHUNK, to - c);
            for (int i = 0; i < n; i++) {
                float x = gate[c + i];
                scratch[i] = (x + x * 0.044715f * x * x) * SQRT_2_OVER_PI;
            }
            for (int i = 0; i < n; i++) scratch[i] = tanh(scratch[i]);
            for (int i = 0; i < n; i++) {
                float x = gate[c + i];
                gate[c + i] = x * 0.5f * ((float) scratch[i] + 1f) * up[c + i];
            }
        }
    }

    /**
     * tanh in double from its own exp: e^(2u) − 1 by Taylor series at 2u/256 (|2u/256| ≤ 0.16, degree 11:
     * truncation below 1e-18) and eight squarings in the form a ↦ a(a + 2), which keep the relative precision of
     * small values; then tanh = a / (a + 2). Within ~1e-13 of the true value (relative), so rounded to f32 it is
     * Math.tanh's f32 but for ties; |u| is clamped at 20, past which tanh is 1 in double. (Training's f32
     * {@link dev.jemma.tensor.VectorMath#exp} is JIT-independent too, but its ~2 ulp of f32 would move these results.)
     */
    static double tanh(double u) {
        double r = Math.max(-20.0, Math.min(20.0, u)) * (2.0 / 256);
        double a = r * (1 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720
                + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800)))))))))));
        a = a * (a + 2); // e^(2x) − 1 from e^x − 1, eight times (unrolled: C2 vectorizes no inner loop)
        a = a * (a + 2);
        a = a * (a + 2);
        a = a * (a + 2);
        a = a * (a + 2);
        a = a * (a + 2);
        a = a * (a + 2);
        a = a * (a + 2);
        return a / (a + 2);
    }

    /**
     * e^x for x ≤ 0 (softmax's weights), from plain arithmetic: the Taylor series at x/1024 (|x/1024| ≤ 0.11, degree
     * 10: truncation below 1e-18) squared ten times. Within ~3e-13 of the true value (relative), so rounded to f32 it
     * is Math.exp's f32 but for ties. x is clamped at −110, past which e^x rounds to 0 in f32.
     */
    static double expNonPositive(double x) {
        double r = Math.max(-110.0, x) * (1.0 / 1024);
        double p = 1 + r * (1 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720
                + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800))))))))));
        p *= p; // e^(2y) from e^y, ten times (unrolled: C2 vectorizes no inner loop)
        p *= p;
        p *= p;
        p *= p;
        p *= p;
        p *= p;
        p *= p;
        p *= p;
        p *= p;
        p *= p;
        return p;
    }

    /** {@link #expNonPositive(double)} in every lane: the same operations in the same order, so the same bits. */
    static DoubleVector expNonPositive(DoubleVector x) {
        DoubleVector r = x.lanewise(VectorOperators.MAX, -110.0).mul(1.0 / 1024);
        DoubleVector p = r.mul(1.0 / 3628800).add(1.0 / 362880);
        p = r.mul(p).add(1.0 / 40320);
        p = r.mul(p).add(1.0 / 5040);
        p = r.mul(p).add(1.0 / 720);
        p = r.mul(p).add(1.0 / 120);
        p = r.mul(p).add(1.0 / 24);
        p = r.mul(p).add(1.0 / 6);
        p = r.mul(p).add(1.0 / 2);
        p = r.mul(p).add(1.0);
        p = r.mul(p).add(1.0);
        for (int k = 0; k < 10; k++) p = p.mul(p);
        return p;
    }
}
