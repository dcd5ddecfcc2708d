package dev.jemma.train;

import dev.jemma.tensor.LaneSum;
import dev.jemma.tensor.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The f32 matrix products of the backward pass, split across a fixed pool. Row-major arrays with explicit offsets
 * and strides. Every sum is formed in one fixed order whatever the thread or JIT state (lanes summed with
 * {@link LaneSum}), so a training run is reproducible bit for bit, which resuming from a checkpoint relies on.
 */
final class Gemm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** rows of C one micro-tile takes: four broadcasts feed each B vector load */
    private static final int MR = 4;

    private final WorkerPool pool;

    Gemm(WorkerPool pool) {
        this.pool = pool;
    }

    int threads() {
        return pool.size();
    }

    /**
     * C[M×N] += A·B, where A(i, k) = a[aOff + i·aRow + k·aCol] (so A is row-major with aRow = lda, aCol = 1, or the
     * transpose of a row-major [K×M] with aRow = 1, aCol = lda) and B is row-major [K×N] with row stride ldb.
     * Work is split over blocks of C's columns, or of its rows when C is narrow.
     */
    void multiplyAdd(int m, int k, int n, float[] a, int aOff, int aRow, int aCol,
                     float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0 || k == 0) return;
        int colBlocks = (n + 2 * L - 1) / (2 * L);
        if (colBlocks >= 2 * pool.size() || m < MR * pool.size()) {
            pool.run(colBlocks, (w, s, e) -> {
                int j0 = s * 2 * L, j1 = Math.min(n, e * 2 * L);
                kernel(0, m, j0, j1, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc);
            });
        } else {
            int rowBlocks = (m + MR - 1) / MR;
            pool.run(rowBlocks, (w, s, e) ->
                    kernel(s * MR, Math.min(m, e * MR), 0, n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc));
        }
    }

    /** {@link #multiplyAdd} on the calling thread, for work already split between workers. */
    static void multiplyAddSerial(int m, int k, int n, float[] a, int aOff, int aRow, int aCol,
                                  float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        kernel(0, m, 0, n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc);
    }

    /** Runs job i on worker i (as many jobs as threads). */
    void each(Runnable[] jobs) {
        pool.run(jobs.length, (w, s, e) -> {
            for (int i = s; i < e; i++) jobs[i].run();
        });
    }

    /** Runs {@code task} over items [0, n) split between the workers. */
    void split(int n, WorkerPool.RangeTask task) {
        pool.run(n, task);
    }

    /** C[i0..i1) × [j0..j1) += A·B, four rows and two vectors of columns at a time. */
    private static void kernel(int i0, int i1, int j0, int j1, int k, float[] a, int aOff, int aRow, int aCol,
                               float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int j = j0;
        for (; j + 2 * L <= j1; j += 2 * L) {
            int i = i0;
            for (; i + MR <= i1; i += MR) tile4x2(i, j, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc);
            for (; i < i1; i++) tile1x2(i, j, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc);
        }
        for (; j + L <= j1; j += L) {
            for (int i = i0; i < i1; i++) {
                FloatVector acc = FloatVector.fromArray(F, c, cOff + i * ldc + j);
                int ai = aOff + i * aRow;
                for (int p = 0; p < k; p++) {
                    acc = FloatVector.fromArray(F, b, bOff + p * ldb + j).fma(FloatVector.broadcast(F, a[ai + p * aCol]), acc);
                }
                acc.intoArray(c, cOff + i * ldc + j);
            }
        }
        for (; j < j1; j++) {
            for (int i = i0; i < i1; i++) {
                float s = c[cOff + i * ldc + j];
                int ai = aOff + i * aRow;
                for (int p = 0; p < k; p++) s += a[ai + p * aCol] * b[bOff + p * ldb + j];
                c[cOff + i * ldc + j] = s;
            }
        }
    }

    private static void tile4x2(int i, int j, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int c0 = cOff + i * ldc + j, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s00 = FloatVector.fromArray(F, c, c0), s01 = FloatVector.fromArray(F, c, c0 + L);
        FloatVector s10 = FloatVector.fromArray(F, c, c1), s11 = FloatVector.fromArray(F, c, c1 + L);
        FloatVector s20 = FloatVector.fromArray(F, c, c2), s21 = FloatVector.fromArray(F, c, c2 + L);
        FloatVector s30 = FloatVector.fromArray(F, c, c3), s31 = FloatVector.fromArray(F, c, c3 + L);
        int a0 = aOff + i * aRow, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
        for (int p = 0, bp = bOff + j, ap = 0; p < k; p++, bp += ldb, ap += aCol) {
            FloatVector b0 = FloatVector.fromArray(F, b, bp), b1 = FloatVector.fromArray(F, b, bp + L);
            FloatVector x = FloatVector.broadcast(F, a[a0 + ap]);
            s00 = b0.fma(x, s00);
            s01 = b1.fma(x, s01);
            x = FloatVector.broadcast(F, a[a1 + ap]);
            s10 = b0.fma(x, s10);
            s11 = b1.fma(x, s11);
            x = FloatVector.broadcast(F, a[a2 + ap]);
            s20 = b0.fma(x, s20);
            s21 = b1.fma(x, s21);
            x = FloatVector.broadcast(F, a[a3 + ap]);
            s30 = b0.fma(x, s30);
            s31 = b1.fma(x, s31);
        }
        s00.intoArray(c, c0);
        s01.intoArray(c, c0 + L);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + L);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + L);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + L);
    }

    private static void tile1x2(int i, int j, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int c0 = cOff + i * ldc + j;
        FloatVector s0 = FloatVector.fromArray(F, c, c0), s1 = FloatVector.fromArray(F, c, c0 + L);
        int a0 = aOff + i * aRow;
        for (int p = 0, bp = bOff + j; p < k; p++, bp += ldb) {
            FloatVector x = FloatVector.broadcast(F, a[a0 + p * aCol]);
            s0 = FloatVector.fromArray(F, b, bp).fma(x, s0);
            s1 = FloatVector.fromArray(F, b, bp + L).fma(x, s1);
        }
        s0.intoArray(c, c0);
        s1.intoArray(c, c0 + L);
    }

    /**
     * C[M×N] += A·Bᵀ for row-major A [M×K] and B [N×K]: each element a dot product of two rows. Used where the
     * shared dimension is the long one (low-rank products, x·Aᵀ).
     */
    void multiplyAddTransposed(int m, int k, int n, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                               float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        pool.run(m, (w, s, e) -> {
            for (int i = s; i < e; i++) {
                for (int j = 0; j < n; j++) c[cOff + i * ldc + j] += dot(a, aOff + i * lda, b, bOff + j * ldb, k);
            }
        });
    }

    static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            acc = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), acc);
        }
        float s = LaneSum.sum(acc);
        for (; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }

    /** y[0..n) += alpha · x[0..n) */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(F, x, xOff + i).fma(a, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }
}
