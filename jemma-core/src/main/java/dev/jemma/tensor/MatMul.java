package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * out[t·outStride + r] = W[r] · in[t·inStride ..] for t < tokens, split by rows across a worker pool.
 * With one token each row is a fused dequantize-and-dot; with several, each row is dequantized once
 * into a per-worker buffer and reused for every token. Instances are reusable and allocate nothing per call.
 */
public final class MatMul implements WorkerPool.RangeTask {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final WorkerPool pool;
    private final float[][] rowScratch;

    private WeightMatrix w;
    private float[] in;
    private int inOff;
    private int inStride;
    private float[] out;
    private int outOff;
    private int outStride;
    private int tokens;
    private boolean dequantized;

    public MatMul(WorkerPool pool, int maxCols) {
        this.pool = pool;
        this.rowScratch = new float[pool.size()][maxCols];
    }

    public void apply(WeightMatrix w, float[] in, int inStride, float[] out, int outStride, int tokens) {
        apply(w, in, 0, inStride, out, 0, outStride, tokens);
    }

    /** As above with input rows starting at in[inOff] and output rows at out[outOff]. */
    public void apply(WeightMatrix w, float[] in, int inOff, int inStride, float[] out, int outOff, int outStride, int tokens) {
        run(w, in, inOff, inStride, out, outOff, outStride, tokens, false);
    }

    /**
     * Batch-invariant product: every token goes through the same dequantize-then-dot arithmetic whatever the
     * number of tokens (one included), so a sequence's result does not depend on what it is batched with.
     */
    public void applyInvariant(WeightMatrix w, float[] in, int inOff, int inStride, float[] out, int outOff, int outStride, int tokens) {
        run(w, in, inOff, inStride, out, outOff, outStride, tokens, true);
    }

    private void run(WeightMatrix w, float[] in, int inOff, int inStride, float[] out, int outOff, int outStride, int tokens,
                     boolean dequantized) {
        this.dequantized = dequantized;
        if (w.cols > rowScratch[0].length) throw new IllegalArgumentException(w.name + " wider than scratch");
        this.w = w;
        this.in = in;
        this.inOff = inOff;
        this.outOff = outOff;
        this.inStride = inStride;
        this.out = out;
        this.outStride = outStride;
        this.tokens = tokens;
        pool.run(w.rows, this);
        this.in = null;
        this.out = null;
    }

    @Override
    public void run(int worker, int start, int end) {
        WeightMatrix w = this.w;
        if (tokens == 1 && !dequantized) {
            for (int r = start; r < end; r++) out[outOff + r] = w.dot(r, in, inOff);
            return;
        }
        float[] row = rowScratch[worker];
        int cols = w.cols;
        for (int r = start; r < end; r++) {
            w.dequantizeRow(r, row, 0);
            int t = 0;
            for (; t + 4 <= tokens; t += 4) dot4(row, cols, r, t);
            for (; t < tokens; t++) out[outOff + t * outStride + r] = dot(row, in, inOff + t * inStride, cols);
        }
    }

    /**
     * Row r against tokens t..t+3 at once: each weight vector is loaded once for four tokens, and the four
     * independent accumulators keep the FMA pipelines busy (one accumulator would wait on FMA latency).
     * Each token's sum is formed in exactly the order {@link #dot} uses, so results do not depend on grouping.
     */
    private void dot4(float[] row, int cols, int r, int t) {
        int b0 = inOff + t * inStride, b1 = b0 + inStride, b2 = b1 + inStride, b3 = b2 + inStride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = F.loopBound(cols); i < bound; i += F.length()) {
            FloatVector wv = FloatVector.fromArray(F, row, i);
            a0 = wv.fma(FloatVector.fromArray(F, in, b0 + i), a0);
            a1 = wv.fma(FloatVector.fromArray(F, in, b1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(F, in, b2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(F, in, b3 + i), a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            s0 += row[i] * in[b0 + i];
            s1 += row[i] * in[b1 + i];
            s2 += row[i] * in[b2 + i];
            s3 += row[i] * in[b3 + i];
        }
        int o = outOff + t * outStride + r;
        out[o] = s0;
        out[o + outStride] = s1;
        out[o + 2 * outStride] = s2;
        out[o + 3 * outStride] = s3;
    }

    /** f32 dot of a[0..n) and b[bOff..bOff+n). */
    public static float dot(float[] a, float[] b, int bOff, int n) {
        return dot(a, 0, b, bOff, n);
    }

    /** f32 dot of a[aOff..aOff+n) and b[bOff..bOff+n). */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }
}
