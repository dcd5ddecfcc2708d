package dev.jemma.train;

import dev.jemma.model.GemmaConfig;
import dev.jemma.tensor.Gemm;
import dev.jemma.tensor.VectorMath;
import dev.jemma.tensor.WeightMatrix;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Cross-entropy through the tied output head, only at positions that have a label, a group of positions at a
 * time: a [tokens × vocabulary] logits tensor is never formed (Cut Cross-Entropy, arXiv 2411.09009). For a group,
 * the head's matrix is read in chunks of rows, dequantized, for the logits ({@link Gemm}: the same fused
 * multiply-add chain over the hidden size as the core's prefill product forms); they become softmax − one-hot in
 * place, and the matrix is read once more for the hidden states' gradient (and the embedding's, when it trains).
 */
final class OutputHead {
    /**
     * labelled positions per group: the logits buffer is group × vocabulary floats (256 MiB for Gemma 3's vocabulary),
     * and each group reads and dequantizes the head twice, so a typical micro-batch is one group
     */
    static final int GROUP = 256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /**
     * head rows dequantized at once (5 MiB of f32 a worker for Gemma 3): the hidden states are packed again for
     * every chunk, so chunks are large
     */
    private static final int CHUNK = 2048;

    private final GemmaConfig c;
    private final WeightMatrix head;
    private final Gemm gemm;
    private final int vocab, h;
    private final float[] logits, hidden, dHidden;
    private final float[][] chunk;
    private final double[] ce = new double[GROUP];

    OutputHead(GemmaConfig c, WeightMatrix head, Gemm gemm) {
        this.c = c;
        this.head = head;
        this.gemm = gemm;
        this.vocab = head.rows;
        this.h = c.hidden();
        this.logits = new float[GROUP * vocab];
        this.hidden = new float[GROUP * h];
        this.dHidden = new float[GROUP * h];
        this.chunk = new float[gemm.threads()][CHUNK * h];
    }

    static long bytes(GemmaConfig c, int vocab, int threads) {
        return 4L * (GROUP * (long) vocab + 2L * GROUP * c.hidden() + (long) threads * CHUNK * c.hidden());
    }

    /**
     * Adds, for each of {@code count} positions (rows of {@code hiddenStates}, packed h wide) with a target id,
     * lossScale · ∂CE/∂hidden to {@code dHiddenStates} and, when {@code dEmbedding} is non-null, to the head's
     * gradient. Returns the summed cross-entropy of the positions (unscaled).
     */
    double lossAndGradient(float[] hiddenStates, int[] rows, int[] targets, int count, float lossScale,
                           float[] dHiddenStates, float[] dEmbedding) {
        double total = 0;
        for (int g0 = 0; g0 < count; g0 += GROUP) {
            int n = Math.min(GROUP, count - g0);
            groupLogits(hiddenStates, rows, g0, n);
            int base = g0;
            gemm.split(n, (w, s0, e0) -> {
                for (int i = s0; i < e0; i++) ce[i] = softmaxMinusTarget(i, targets[base + i], lossScale);
            });
            for (int i = 0; i < n; i++) total += ce[i];
            Arrays.fill(dHidden, 0, n * h, 0f);
            backward(n, dEmbedding);
            for (int i = 0; i < n; i++) {
                int off = rows[g0 + i] * h;
                for (int j = 0; j < h; j++) dHiddenStates[off + j] += dHidden[i * h + j];
            }
        }
        return total;
    }

    /** The summed cross-entropy of the positions, without gradients. */
    double loss(float[] hiddenStates, int[] rows, int[] targets, int count) {
        double total = 0;
        for (int g0 = 0; g0 < count; g0 += GROUP) {
            int n = Math.min(GROUP, count - g0);
            groupLogits(hiddenStates, rows, g0, n);
            for (int i = 0; i < n; i++) total += logSumExp(i * vocab) - logits[i * vocab + targets[g0 + i]];
        }
        return total;
    }

    /** The (soft-capped) logits of positions g0 … g0 + n − 1 into rows 0 … n − 1 of the buffer. */
    private void groupLogits(float[] hiddenStates, int[] rows, int g0, int n) {
        for (int i = 0; i < n; i++) System.arraycopy(hiddenStates, rows[g0 + i] * h, hidden, i * h, h);
        Arrays.fill(logits, 0, n * vocab, 0f);
        int chunks = (vocab + CHUNK - 1) / CHUNK;
        gemm.split(chunks, (worker, s, e) -> {
            float[] rowsBuf = chunk[worker];
            for (int ch = s; ch < e; ch++) {
                int v0 = ch * CHUNK, m = Math.min(CHUNK, vocab - v0);
                for (int r = 0; r < m; r++) head.dequantizeRow(v0 + r, rowsBuf, r * h);
                // logits[:, v0 .. v0 + m) = hidden · rowsᵀ, the rows read as a transposed B
                gemm.multiplyAddSerial(worker, n, h, m, hidden, 0, h, 1, rowsBuf, 0, 1, h, logits, v0, vocab);
            }
        });
        float cap = c.finalLogitSoftcap();
        if (cap > 0) {
            for (int v = 0; v < n * vocab; v++) logits[v] = (float) (cap * Math.tanh(logits[v] / cap));
        }
    }

    /** log Σ exp of the logits row at {@code off}, in index order. */
    private double logSumExp(int off) {
        float max = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) max = Math.max(max, logits[off + v]);
        double sum = 0;
        for (int v = 0; v < vocab; v++) sum += Math.exp(logits[off + v] - max);
        return max + Math.log(sum);
    }

    /** Turns row i of the logits into lossScale · (softmax − one-hot), through the soft-cap if any; returns its CE. */
    private double softmaxMinusTarget(int i, int target, float lossScale) {
        int off = i * vocab;
        float cap = c.finalLogitSoftcap();
        if (cap <= 0) return softmaxMinusTargetUncapped(off, target, lossScale);
        double lse = logSumExp(off);
        double ce = lse - logits[off + target];
        for (int v = 0; v < vocab; v++) {
            double z = logits[off + v];
            double g = Math.exp(z - lse) - (v == target ? 1 : 0);
            logits[off + v] = (float) (g * (1 - (z / cap) * (z / cap)) * lossScale);
        }
        return ce;
    }

    /**
     * Without a soft-cap: one vector pass of exponentials ({@link VectorMath#exp}, kept in the row), their sum in
     * index order, then one vector pass scaling them by lossScale / Σ. The maximum is exact in any order (no lane
     * reduction needed).
     */
    private double softmaxMinusTargetUncapped(int off, int target, float lossScale) {
        int end = off + vocab;
        FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int v = off;
        for (int bound = off + F.loopBound(vocab); v < bound; v += F.length()) mv = mv.max(FloatVector.fromArray(F, logits, v));
        float max = Float.NEGATIVE_INFINITY;
        for (float x : mv.toArray()) max = Math.max(max, x);
        for (; v < end; v++) max = Math.max(max, logits[v]);
        float zt = logits[off + target];
        FloatVector maxv = FloatVector.broadcast(F, max);
        v = off;
        for (int bound = off + F.loopBound(vocab); v < bound; v += F.length()) {
            VectorMath.exp(FloatVector.fromArray(F, logits, v).sub(maxv)).intoArray(logits, v);
        }
        for (; v < end; v++) logits[v] = VectorMath.exp(logits[v] - max);
        double sum = 0;
        for (v = off; v < end; v++) sum += logits[v];
        double ce = max + Math.log(sum) - zt;
        float scale = (float) (lossScale / sum);
        FloatVector sv = FloatVector.broadcast(F, scale);
        v = off;
        for (int bound = off + F.loopBound(vocab); v < bound; v += F.length()) FloatVector.fromArray(F, logits, v).mul(sv).intoArray(logits, v);
        for (; v < end; v++) logits[v] *= scale;
        logits[off + target] -= lossScale;
        return ce;
    }

    /**
     * dHidden[n×h] += G[n×V]·E[V×h] and dE[V×h] += Gᵀ·hidden, each worker taking a contiguous range of head rows
     * with its own partial of dHidden (summed after, in worker order).
     */
    private void backward(int n, float[] dEmbedding) {
        int workers = gemm.threads();
        float[][] partial = partials(workers, n);
        int chunks = (vocab + CHUNK - 1) / CHUNK;
        int per = (chunks + workers - 1) / workers;
        // job j (a range of head rows, its own partial of dHidden) may run on any worker: the worker only lends
        // its packing buffers, so the sums are the same whichever runs it
        gemm.split(workers, (worker, s, e) -> {
            for (int job = s; job < e; job++) {
                float[] rowsBuf = chunk[job];
                float[] dh = partial[job];
                for (int ch = job * per; ch < Math.min(chunks, (job + 1) * per); ch++) {
                    int v0 = ch * CHUNK, m = Math.min(CHUNK, vocab - v0);
                    for (int r = 0; r < m; r++) head.dequantizeRow(v0 + r, rowsBuf, r * h);
                    gemm.multiplyAddSerial(worker, n, m, h, logits, v0, vocab, 1, rowsBuf, 0, h, 1, dh, 0, h);
                    if (dEmbedding != null) gemm.multiplyAddSerial(worker, m, n, h, logits, v0, 1, vocab, hidden, 0, h, 1, dEmbedding, v0 * h, h);
                }
            }
        });
        for (float[] p : partial) for (int i = 0; i < n * h; i++) dHidden[i] += p[i];
    }

    private float[][] partials;

    private float[][] partials(int workers, int n) {
        if (partials == null) partials = new float[workers][GROUP * h];
        for (float[] p : partials) Arrays.fill(p, 0, n * h, 0f);
        return partials;
    }
}
