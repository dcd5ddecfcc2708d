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

    /** vectors of columns one micro-tile takes: 4×4 accumulators fit AVX-512's 32 registers, 4×2 AVX2's 16 */
    private static final int NV = L >= 16 ? 4 : 2;
    /** columns of one micro-tile, and the grain of the column split */
    private static final int NR = NV * L;
    /** depth of one pass over K, so a tile's strip of B (KC × NR floats) stays in L1 */
    private static final int KC = 128;

    /**
     * C[M×N] += A·B, where A(i, k) = a[aOff + i·aRow + k·aCol] (so A is row-major with aRow = lda, aCol = 1, or the
     * transpose of a row-major [K×M] with aRow = 1, aCol = lda) and B is row-major [K×N] with row stride ldb.
     * Work is split over blocks of C's columns, or of its rows when C is narrow. Every element is one chain of
     * fused multiply-adds over k in order, starting from C's value, whatever the tile, the split or the path
     * (vector or scalar), so results depend neither on the thread count nor on the JIT.
     */
    void multiplyAdd(int m, int k, int n, float[] a, int aOff, int aRow, int aCol,
                     float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0 || k == 0) return;
        int threads = pool.size();
        if (threads == 1 || (long) m * n * k < 32_768) {
            kernel(0, m, 0, n, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc);
            return;
        }
        int colBlocks = (n + NR - 1) / NR;
        if (colBlocks >= 2 * threads || m < MR * threads || (colBlocks >= threads && colBlocks % threads == 0)) {
            pool.run(colBlocks, (w, s, e) -> {
                int j0 = s * NR, j1 = Math.min(n, e * NR);
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

    /** C[i0..i1) × [j0..j1) += A·B in passes of KC over k, tiles of MR rows by NV vectors of columns. */
    private static void kernel(int i0, int i1, int j0, int j1, int k, float[] a, int aOff, int aRow, int aCol,
                               float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kk = Math.min(KC, k - p0);
            int ap0 = aOff + p0 * aCol, bp0 = bOff + p0 * ldb;
            int j = j0;
            for (; j + NR <= j1; j += NR) {
                int i = i0;
                for (; i + MR <= i1; i += MR) {
                    if (NV == 4) tile4x4(i, j, kk, a, ap0, aRow, aCol, b, bp0, ldb, c, cOff, ldc);
                    else tile4x2(i, j, kk, a, ap0, aRow, aCol, b, bp0, ldb, c, cOff, ldc);
                }
                for (; i < i1; i++) for (int v = 0; v < NV; v++) tile1x1(i, j + v * L, kk, a, ap0, aRow, aCol, b, bp0, ldb, c, cOff, ldc);
            }
            for (; j + L <= j1; j += L) {
                int i = i0;
                for (; i + MR <= i1; i += MR) tile4x1(i, j, kk, a, ap0, aRow, aCol, b, bp0, ldb, c, cOff, ldc);
                for (; i < i1; i++) tile1x1(i, j, kk, a, ap0, aRow, aCol, b, bp0, ldb, c, cOff, ldc);
            }
            for (; j < j1; j++) {
                for (int i = i0; i < i1; i++) {
                    float s = c[cOff + i * ldc + j];
                    int ai = ap0 + i * aRow;
                    for (int p = 0; p < kk; p++) s = Math.fma(a[ai + p * aCol], b[bp0 + p * ldb + j], s);
                    c[cOff + i * ldc + j] = s;
                }
            }
        }
    }

    private static void tile4x4(int i, int j, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int c0 = cOff + i * ldc + j, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s00 = FloatVector.fromArray(F, c, c0), s01 = FloatVector.fromArray(F, c, c0 + L);
        FloatVector s02 = FloatVector.fromArray(F, c, c0 + 2 * L), s03 = FloatVector.fromArray(F, c, c0 + 3 * L);
        FloatVector s10 = FloatVector.fromArray(F, c, c1), s11 = FloatVector.fromArray(F, c, c1 + L);
        FloatVector s12 = FloatVector.fromArray(F, c, c1 + 2 * L), s13 = FloatVector.fromArray(F, c, c1 + 3 * L);
        FloatVector s20 = FloatVector.fromArray(F, c, c2), s21 = FloatVector.fromArray(F, c, c2 + L);
        FloatVector s22 = FloatVector.fromArray(F, c, c2 + 2 * L), s23 = FloatVector.fromArray(F, c, c2 + 3 * L);
        FloatVector s30 = FloatVector.fromArray(F, c, c3), s31 = FloatVector.fromArray(F, c, c3 + L);
        FloatVector s32 = FloatVector.fromArray(F, c, c3 + 2 * L), s33 = FloatVector.fromArray(F, c, c3 + 3 * L);
        int a0 = aOff + i * aRow, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
        for (int p = 0, bp = bOff + j, ap = 0; p < k; p++, bp += ldb, ap += aCol) {
            FloatVector b0 = FloatVector.fromArray(F, b, bp), b1 = FloatVector.fromArray(F, b, bp + L);
            FloatVector b2 = FloatVector.fromArray(F, b, bp + 2 * L), b3 = FloatVector.fromArray(F, b, bp + 3 * L);
            FloatVector x = FloatVector.broadcast(F, a[a0 + ap]);
            s00 = b0.fma(x, s00);
            s01 = b1.fma(x, s01);
            s02 = b2.fma(x, s02);
            s03 = b3.fma(x, s03);
            x = FloatVector.broadcast(F, a[a1 + ap]);
            s10 = b0.fma(x, s10);
            s11 = b1.fma(x, s11);
            s12 = b2.fma(x, s12);
            s13 = b3.fma(x, s13);
            x = FloatVector.broadcast(F, a[a2 + ap]);
            s20 = b0.fma(x, s20);
            s21 = b1.fma(x, s21);
            s22 = b2.fma(x, s22);
            s23 = b3.fma(x, s23);
            x = FloatVector.broadcast(F, a[a3 + ap]);
            s30 = b0.fma(x, s30);
            s31 = b1.fma(x, s31);
            s32 = b2.fma(x, s32);
            s33 = b3.fma(x, s33);
        }
        s00.intoArray(c, c0);
        s01.intoArray(c, c0 + L);
        s02.intoArray(c, c0 + 2 * L);
        s03.intoArray(c, c0 + 3 * L);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + L);
        s12.intoArray(c, c1 + 2 * L);
        s13.intoArray(c, c1 + 3 * L);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + L);
        s22.intoArray(c, c2 + 2 * L);
        s23.intoArray(c, c2 + 3 * L);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + L);
        s32.intoArray(c, c3 + 2 * L);
        s33.intoArray(c, c3 + 3 * L);
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

    private static void tile4x1(int i, int j, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int c0 = cOff + i * ldc + j, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s0 = FloatVector.fromArray(F, c, c0), s1 = FloatVector.fromArray(F, c, c1);
        FloatVector s2 = FloatVector.fromArray(F, c, c2), s3 = FloatVector.fromArray(F, c, c3);
        int a0 = aOff + i * aRow, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
        for (int p = 0, bp = bOff + j, ap = 0; p < k; p++, bp += ldb, ap += aCol) {
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            s0 = b0.fma(FloatVector.broadcast(F, a[a0 + ap]), s0);
            s1 = b0.fma(FloatVector.broadcast(F, a[a1 + ap]), s1);
            s2 = b0.fma(FloatVector.broadcast(F, a[a2 + ap]), s2);
            s3 = b0.fma(FloatVector.broadcast(F, a[a3 + ap]), s3);
        }
        s0.intoArray(c, c0);
        s1.intoArray(c, c1);
        s2.intoArray(c, c2);
        s3.intoArray(c, c3);
    }

    private static void tile1x1(int i, int j, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int c0 = cOff + i * ldc + j;
        FloatVector s0 = FloatVector.fromArray(F, c, c0);
        int a0 = aOff + i * aRow;
        for (int p = 0, bp = bOff + j, ap = a0; p < k; p++, bp += ldb, ap += aCol) {
            s0 = FloatVector.fromArray(F, b, bp).fma(FloatVector.broadcast(F, a[ap]), s0);
        }
        s0.intoArray(c, c0);
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
