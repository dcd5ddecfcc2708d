package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * f32 matrix products for large operands (training's output head and backward pass, the vision tower), split
 * across a fixed pool. Row-major arrays with explicit offsets and strides. Every sum is formed in one fixed order whatever the thread or JIT state (lanes summed with
 * {@link LaneSum}), so a training run is reproducible bit for bit, which resuming from a checkpoint relies on.
 *
 * <p>The product packs its operands before the register tiles read them (as BLIS does). Each KC-deep strip of B goes
 * into contiguous NR-wide panels (B's rows may be a power of two apart, which would map a strided strip onto a few
 * L1 sets). A block of A's rows goes into a panel read in tile order. How A's values reach the tile depends on the
 * vector width: with AVX2 each value is stored already broadcast to a whole vector and loaded like any vector, since
 * a broadcast in the loop cost a shuffle on the pipes the multiply-adds need (Zen 2: 44 against 75 GFLOPS a core);
 * with AVX-512 the tile broadcasts each value from memory, which is a plain load there, so the panel is 16 times
 * smaller and deeper passes over K fit (Intel Xeon, 2 threads: 96–121 against 65–70 GMAC/s, {@code GemmBench}).
 * Packing moves values and adds nothing, so it does not change a single sum.
 */
public final class Gemm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /**
     * rows of C one register tile takes: 6 × {@link #NV} accumulators, NV B vectors and one A vector fit the register
     * file
     */
    private static final int MR = 6;
    /** columns of one register tile, and the grain of the column split */
    private static final int NR = L >= 16 ? 4 * L : 2 * L;
    /** vectors across one register tile: 2 on AVX2 (12 accumulators of its 16 registers), 4 on AVX-512 (24 of 32) */
    private static final int NV = NR / L;
    /** columns of {@link #narrowKernel}'s tiles */
    private static final int NW = 2 * L;
    /**
     * the widest product {@link #narrowKernel} takes: with few columns, A broadcast into a packed panel is used for
     * too few multiply-adds to pay for its stores (a vision head's P·V, 80 columns: 36 GFLOPS packed)
     */
    private static final int NARROW_MAX = 3 * NW;
    /** whether the tiles broadcast A's values from memory (AVX-512) rather than read them pre-broadcast (AVX2) */
    private static final boolean BROADCAST_A = L >= 16;
    /** floats one value of A takes in the packed panel */
    private static final int AL = BROADCAST_A ? 1 : L;
    /**
     * depth of one pass over K: with AVX2 a tile's pre-broadcast A (MR × KC × L floats) is 24 KiB and stays in L1;
     * with AVX-512 deeper passes load and store C less often (128 to 384 measured alike, 64 about 10% slower)
     */
    private static final int KC = BROADCAST_A ? 256 : 1024 / L;
    /** a last pass over K may run to 1.5 KC rather than leave a short tail pass (depth 72, a vision head: one pass) */
    private static final int KC_MAX = KC + KC / 2;
    /** rows of A packed at once, a multiple of MR; each block runs over the whole packed strip of B */
    private static final int MC = BROADCAST_A ? 48 : 12;
    /** columns of B packed at once: KC × NC floats (256 KiB on AVX2, 512 KiB on AVX-512) stay in L2 while A's blocks go by */
    private static final int NC = 512;
    /** depth of one pass of {@link #narrowKernel} */
    private static final int NARROW_KC = 128;

    private final WorkerPool pool;
    private final float[][] aPack, bPack, cTile;
    /** per worker: weight rows dequantized for {@link #multiplyAddTransposed}, made on first use */
    private final float[][] weightRows;

    public Gemm(WorkerPool pool) {
        this.pool = pool;
        this.aPack = new float[pool.size()][MC * KC_MAX * AL];
        this.bPack = new float[pool.size()][KC_MAX * NC];
        this.cTile = new float[pool.size()][MR * NR];
        this.weightRows = new float[pool.size()][];
    }

    public int threads() {
        return pool.size();
    }

    /**
     * C[M×N] += A·B, where A(i, k) = a[aOff + i·aRow + k·aCol] (so A is row-major with aRow = lda, aCol = 1, or the
     * transpose of a row-major [K×M] with aRow = 1, aCol = lda) and B is row-major [K×N] with row stride ldb.
     * Work is split over blocks of C's columns, or of its rows when C is narrow. Every element is one chain of
     * fused multiply-adds over k in order, starting from C's value, whatever the tile, the split or the path
     * (vector or scalar), so results depend neither on the thread count nor on the JIT.
     */
    public void multiplyAdd(int m, int k, int n, float[] a, int aOff, int aRow, int aCol,
                     float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        multiplyAddStrided(m, k, n, a, aOff, aRow, aCol, b, bOff, ldb, 1, c, cOff, ldc);
    }

    /**
     * {@link #multiplyAdd} with B(k, j) = b[bOff + k·bRow + j·bCol], so B may also be the transpose of a row-major
     * [N×K] (bRow = 1, bCol = ldb).
     */
    public void multiplyAddStrided(int m, int k, int n, float[] a, int aOff, int aRow, int aCol,
                                   float[] b, int bOff, int bRow, int bCol, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0 || k == 0) return;
        int threads = pool.size();
        if (threads == 1 || (long) m * n * k < 32_768) {
            kernel(0, 0, m, 0, n, k, a, aOff, aRow, aCol, b, bOff, bRow, bCol, c, cOff, ldc);
            return;
        }
        int colBlocks = (n + NR - 1) / NR;
        if (colBlocks >= 2 * threads || m < MR * threads || (colBlocks >= threads && colBlocks % threads == 0)) {
            pool.run(colBlocks, (w, s, e) -> {
                int j0 = s * NR, j1 = Math.min(n, e * NR);
                kernel(w, 0, m, j0, j1, k, a, aOff, aRow, aCol, b, bOff, bRow, bCol, c, cOff, ldc);
            });
        } else {
            int rowBlocks = (m + MR - 1) / MR;
            pool.run(rowBlocks, (w, s, e) ->
                    kernel(w, s * MR, Math.min(m, e * MR), 0, n, k, a, aOff, aRow, aCol, b, bOff, bRow, bCol, c, cOff, ldc));
        }
    }

    /**
     * C[m × W.rows] += A[m × W.cols]·Wᵀ for a weight matrix of any stored type: each worker takes a range of W's
     * rows (C's columns) and dequantizes them NC at a time into f32, once per call, then multiplies them as a
     * transposed B. Sums as {@link #multiplyAdd}'s: one fused multiply-add chain per element, k in order.
     */
    public void multiplyAddTransposed(int m, float[] a, int aOff, int lda, WeightMatrix w, float[] c, int cOff, int ldc) {
        int n = w.rows, k = w.cols;
        if (m == 0 || n == 0 || k == 0) return;
        pool.run((n + NR - 1) / NR, (worker, s, e) -> {
            float[] rows = weightRows(worker, NC * k);
            int start = s * NR, end = Math.min(n, e * NR);
            // equal chunks of at most NC columns: a narrow last chunk would repack all of A for a few columns
            int chunks = (end - start + NC - 1) / NC;
            int chunk = ((end - start + chunks - 1) / chunks + NR - 1) / NR * NR;
            for (int j0 = start; j0 < end; j0 += chunk) {
                int j1 = Math.min(end, j0 + chunk);
                for (int r = j0; r < j1; r++) w.dequantizeRow(r, rows, (r - j0) * k);
                kernel(worker, 0, m, 0, j1 - j0, k, a, aOff, lda, 1, rows, 0, 1, k, c, cOff + j0, ldc);
            }
        });
    }

    private float[] weightRows(int worker, int size) {
        if (weightRows[worker] == null || weightRows[worker].length < size) weightRows[worker] = new float[size];
        return weightRows[worker];
    }

    /**
     * {@link #multiplyAdd} on the calling thread, which is pool worker {@code worker}, for work already split; B(k, j)
     * = b[bOff + k·bRow + j·bCol], so B may also be the transpose of a row-major [N×K] (bRow = 1, bCol = ldb).
     */
    public void multiplyAddSerial(int worker, int m, int k, int n, float[] a, int aOff, int aRow, int aCol,
                           float[] b, int bOff, int bRow, int bCol, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0 || k == 0) return;
        kernel(worker, 0, m, 0, n, k, a, aOff, aRow, aCol, b, bOff, bRow, bCol, c, cOff, ldc);
    }

    /** Runs {@code task} over items [0, n) split between the workers. */
    public void split(int n, WorkerPool.RangeTask task) {
        pool.run(n, task);
    }

    /**
     * C[i0..i1) × [j0..j1) += A·B: per block of NC columns and pass of KC over k, B's strip is packed once; per
     * block of MC rows, A's; then tiles of MR rows by NR (or L) columns, and a scalar loop for the last columns.
     */
    private void kernel(int worker, int i0, int i1, int j0, int j1, int k, float[] a, int aOff, int aRow, int aCol,
                        float[] b, int bOff, int ldb, int bCol, float[] c, int cOff, int ldc) {
        if (j1 - j0 <= NARROW_MAX && bCol == 1) {
            narrowKernel(i0, i1, j0, j1, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc);
            return;
        }
        float[] ap = aPack[worker], bp = bPack[worker], ct = cTile[worker];
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            int wide = nc / NR, narrow = (nc - wide * NR) / L, vectorCols = wide * NR + narrow * L;
            for (int p0 = 0, kk; p0 < k; p0 += kk) {
                kk = k - p0 <= KC_MAX ? k - p0 : KC;
                int bRow = bOff + p0 * ldb + jc * bCol;
                packB(kk, wide, narrow, b, bRow, ldb, bCol, bp);
                for (int ib = i0; ib < i1; ib += MC) {
                    int mc = Math.min(MC, i1 - ib);
                    packA(mc, kk, a, aOff + ib * aRow + p0 * aCol, aRow, aCol, ap);
                    int full = mc / MR * MR;
                    int ci = cOff + ib * ldc + jc;
                    for (int q = 0; q < wide; q++) {
                        int bq = q * kk * NR, cq = ci + q * NR;
                        for (int i = 0; i < full; i += MR) tileWide(ap, i * kk * AL, bp, bq, kk, c, cq + i * ldc, ldc);
                        if (full < mc) {
                            // the last rows through a whole tile on a copy (the padding rows' sums are dropped)
                            copyRows(c, cq + full * ldc, ldc, ct, NR, mc - full, NR, true);
                            tileWide(ap, full * kk * AL, bp, bq, kk, ct, 0, NR);
                            copyRows(c, cq + full * ldc, ldc, ct, NR, mc - full, NR, false);
                        }
                    }
                    for (int q = 0; q < narrow; q++) {
                        int bq = wide * kk * NR + q * kk * L, cq = ci + wide * NR + q * L;
                        for (int i = 0; i < full; i += MR) tile6x1(ap, i * kk * AL, bp, bq, kk, c, cq + i * ldc, ldc);
                        if (full < mc) {
                            copyRows(c, cq + full * ldc, ldc, ct, L, mc - full, L, true);
                            tile6x1(ap, full * kk * AL, bp, bq, kk, ct, 0, L);
                            copyRows(c, cq + full * ldc, ldc, ct, L, mc - full, L, false);
                        }
                    }
                    for (int j = vectorCols; j < nc; j++) {
                        for (int i = 0; i < mc; i++) {
                            int at = ((i / MR * MR) * kk + i % MR) * AL;
                            int cc = ci + i * ldc + j;
                            float s = c[cc];
                            for (int p = 0, bi = bRow + j * bCol; p < kk; p++, bi += ldb) s = Math.fma(ap[at + p * MR * AL], b[bi], s);
                            c[cc] = s;
                        }
                    }
                }
            }
        }
    }

    /**
     * A's rows [0, mc) × columns [0, kk) from {@code aOff} into {@code ap}, each value as AL copies: tile t's element
     * (r, p) at (t·MR·kk + p·MR + r)·AL. A last, partial tile is padded with zero rows.
     */
    private static void packA(int mc, int kk, float[] a, int aOff, int aRow, int aCol, float[] ap) {
        int padded = (mc + MR - 1) / MR * MR;
        FloatVector zero = FloatVector.zero(F);
        for (int i = 0; i < padded; i++) {
            int base = ((i / MR * MR) * kk + i % MR) * AL, src = aOff + i * aRow;
            if (BROADCAST_A) {
                if (i < mc) for (int p = 0; p < kk; p++) ap[base + p * MR] = a[src + p * aCol];
                else for (int p = 0; p < kk; p++) ap[base + p * MR] = 0f;
            } else if (i < mc) {
                for (int p = 0; p < kk; p++) FloatVector.broadcast(F, a[src + p * aCol]).intoArray(ap, base + p * MR * L);
            } else {
                for (int p = 0; p < kk; p++) zero.intoArray(ap, base + p * MR * L);
            }
        }
    }

    /** Copies {@code rows} rows of {@code width} floats from c to t ({@code in}) or back from t to c. */
    private static void copyRows(float[] c, int cOff, int ldc, float[] t, int ldt, int rows, int width, boolean in) {
        for (int r = 0; r < rows; r++) {
            if (in) System.arraycopy(c, cOff + r * ldc, t, r * ldt, width);
            else System.arraycopy(t, r * ldt, c, cOff + r * ldc, width);
        }
    }

    /**
     * B's rows [0, kk) from {@code bOff} (B(p, j) at bOff + p·ldb + j·bCol): {@code wide} panels of NR columns
     * (panel q's row p at q·kk·NR + p·NR), then {@code narrow} panels of L columns after them.
     */
    private static void packB(int kk, int wide, int narrow, float[] b, int bOff, int ldb, int bCol, float[] bp) {
        if (bCol != 1) {
            // a transposed B: each column of the strip is contiguous in b, read in order
            for (int j = 0, cols = wide * NR + narrow * L; j < cols; j++) {
                int q = j / NR, dst = q < wide ? q * kk * NR + j % NR : wide * kk * NR + (j - wide * NR) / L * kk * L + j % L;
                int stride = q < wide ? NR : L;
                for (int p = 0, src = bOff + j * bCol; p < kk; p++, src += ldb, dst += stride) bp[dst] = b[src];
            }
            return;
        }
        for (int p = 0; p < kk; p++) {
            int src = bOff + p * ldb;
            for (int q = 0; q < wide; q++, src += NR) {
                int dst = q * kk * NR + p * NR;
                for (int v = 0; v < NV; v++) FloatVector.fromArray(F, b, src + v * L).intoArray(bp, dst + v * L);
            }
            for (int q = 0; q < narrow; q++, src += L) {
                FloatVector.fromArray(F, b, src).intoArray(bp, wide * kk * NR + q * kk * L + p * L);
            }
        }
    }

    private static void tileWide(float[] ap, int a, float[] bp, int b, int kk, float[] c, int c0, int ldc) {
        if (NV == 4) tile6x4(ap, a, bp, b, kk, c, c0, ldc);
        else tile6x2(ap, a, bp, b, kk, c, c0, ldc);
    }

    /**
     * AVX-512 only: A's values broadcast from the packed panel (a load, on the load ports). Indices are computed from
     * p, not stepped, so that the JIT can prove them in bounds once for the loop (10–20% faster, GemmBench).
     */
    private static void tile6x4(float[] ap, int a, float[] bp, int b, int kk, float[] c, int c0, int ldc) {
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        FloatVector s00 = FloatVector.fromArray(F, c, c0), s01 = FloatVector.fromArray(F, c, c0 + L);
        FloatVector s02 = FloatVector.fromArray(F, c, c0 + 2 * L), s03 = FloatVector.fromArray(F, c, c0 + 3 * L);
        FloatVector s10 = FloatVector.fromArray(F, c, c1), s11 = FloatVector.fromArray(F, c, c1 + L);
        FloatVector s12 = FloatVector.fromArray(F, c, c1 + 2 * L), s13 = FloatVector.fromArray(F, c, c1 + 3 * L);
        FloatVector s20 = FloatVector.fromArray(F, c, c2), s21 = FloatVector.fromArray(F, c, c2 + L);
        FloatVector s22 = FloatVector.fromArray(F, c, c2 + 2 * L), s23 = FloatVector.fromArray(F, c, c2 + 3 * L);
        FloatVector s30 = FloatVector.fromArray(F, c, c3), s31 = FloatVector.fromArray(F, c, c3 + L);
        FloatVector s32 = FloatVector.fromArray(F, c, c3 + 2 * L), s33 = FloatVector.fromArray(F, c, c3 + 3 * L);
        FloatVector s40 = FloatVector.fromArray(F, c, c4), s41 = FloatVector.fromArray(F, c, c4 + L);
        FloatVector s42 = FloatVector.fromArray(F, c, c4 + 2 * L), s43 = FloatVector.fromArray(F, c, c4 + 3 * L);
        FloatVector s50 = FloatVector.fromArray(F, c, c5), s51 = FloatVector.fromArray(F, c, c5 + L);
        FloatVector s52 = FloatVector.fromArray(F, c, c5 + 2 * L), s53 = FloatVector.fromArray(F, c, c5 + 3 * L);
        for (int p = 0; p < kk; p++) {
            int bi = b + p * NR, ai = a + p * MR;
            FloatVector b0 = FloatVector.fromArray(F, bp, bi), b1 = FloatVector.fromArray(F, bp, bi + L);
            FloatVector b2 = FloatVector.fromArray(F, bp, bi + 2 * L), b3 = FloatVector.fromArray(F, bp, bi + 3 * L);
            FloatVector x = FloatVector.broadcast(F, ap[ai]);
            s00 = b0.fma(x, s00);
            s01 = b1.fma(x, s01);
            s02 = b2.fma(x, s02);
            s03 = b3.fma(x, s03);
            x = FloatVector.broadcast(F, ap[ai + 1]);
            s10 = b0.fma(x, s10);
            s11 = b1.fma(x, s11);
            s12 = b2.fma(x, s12);
            s13 = b3.fma(x, s13);
            x = FloatVector.broadcast(F, ap[ai + 2]);
            s20 = b0.fma(x, s20);
            s21 = b1.fma(x, s21);
            s22 = b2.fma(x, s22);
            s23 = b3.fma(x, s23);
            x = FloatVector.broadcast(F, ap[ai + 3]);
            s30 = b0.fma(x, s30);
            s31 = b1.fma(x, s31);
            s32 = b2.fma(x, s32);
            s33 = b3.fma(x, s33);
            x = FloatVector.broadcast(F, ap[ai + 4]);
            s40 = b0.fma(x, s40);
            s41 = b1.fma(x, s41);
            s42 = b2.fma(x, s42);
            s43 = b3.fma(x, s43);
            x = FloatVector.broadcast(F, ap[ai + 5]);
            s50 = b0.fma(x, s50);
            s51 = b1.fma(x, s51);
            s52 = b2.fma(x, s52);
            s53 = b3.fma(x, s53);
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
        s40.intoArray(c, c4);
        s41.intoArray(c, c4 + L);
        s42.intoArray(c, c4 + 2 * L);
        s43.intoArray(c, c4 + 3 * L);
        s50.intoArray(c, c5);
        s51.intoArray(c, c5 + L);
        s52.intoArray(c, c5 + 2 * L);
        s53.intoArray(c, c5 + 3 * L);
    }

    private static void tile6x2(float[] ap, int a, float[] bp, int b, int kk, float[] c, int c0, int ldc) {
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        FloatVector s00 = FloatVector.fromArray(F, c, c0), s01 = FloatVector.fromArray(F, c, c0 + L);
        FloatVector s10 = FloatVector.fromArray(F, c, c1), s11 = FloatVector.fromArray(F, c, c1 + L);
        FloatVector s20 = FloatVector.fromArray(F, c, c2), s21 = FloatVector.fromArray(F, c, c2 + L);
        FloatVector s30 = FloatVector.fromArray(F, c, c3), s31 = FloatVector.fromArray(F, c, c3 + L);
        FloatVector s40 = FloatVector.fromArray(F, c, c4), s41 = FloatVector.fromArray(F, c, c4 + L);
        FloatVector s50 = FloatVector.fromArray(F, c, c5), s51 = FloatVector.fromArray(F, c, c5 + L);
        for (int p = 0, bi = b, ai = a; p < kk; p++, bi += NR, ai += MR * L) {
            FloatVector b0 = FloatVector.fromArray(F, bp, bi), b1 = FloatVector.fromArray(F, bp, bi + L);
            FloatVector x = FloatVector.fromArray(F, ap, ai);
            s00 = b0.fma(x, s00);
            s01 = b1.fma(x, s01);
            x = FloatVector.fromArray(F, ap, ai + L);
            s10 = b0.fma(x, s10);
            s11 = b1.fma(x, s11);
            x = FloatVector.fromArray(F, ap, ai + 2 * L);
            s20 = b0.fma(x, s20);
            s21 = b1.fma(x, s21);
            x = FloatVector.fromArray(F, ap, ai + 3 * L);
            s30 = b0.fma(x, s30);
            s31 = b1.fma(x, s31);
            x = FloatVector.fromArray(F, ap, ai + 4 * L);
            s40 = b0.fma(x, s40);
            s41 = b1.fma(x, s41);
            x = FloatVector.fromArray(F, ap, ai + 5 * L);
            s50 = b0.fma(x, s50);
            s51 = b1.fma(x, s51);
        }
        s00.intoArray(c, c0);
        s01.intoArray(c, c0 + L);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + L);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + L);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + L);
        s40.intoArray(c, c4);
        s41.intoArray(c, c4 + L);
        s50.intoArray(c, c5);
        s51.intoArray(c, c5 + L);
    }

    private static void tile6x1(float[] ap, int a, float[] bp, int b, int kk, float[] c, int c0, int ldc) {
        int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        FloatVector s0 = FloatVector.fromArray(F, c, c0), s1 = FloatVector.fromArray(F, c, c1);
        FloatVector s2 = FloatVector.fromArray(F, c, c2), s3 = FloatVector.fromArray(F, c, c3);
        FloatVector s4 = FloatVector.fromArray(F, c, c4), s5 = FloatVector.fromArray(F, c, c5);
        if (BROADCAST_A) {
            for (int p = 0; p < kk; p++) {
                int bi = b + p * L, ai = a + p * MR;
                FloatVector b0 = FloatVector.fromArray(F, bp, bi);
                s0 = b0.fma(FloatVector.broadcast(F, ap[ai]), s0);
                s1 = b0.fma(FloatVector.broadcast(F, ap[ai + 1]), s1);
                s2 = b0.fma(FloatVector.broadcast(F, ap[ai + 2]), s2);
                s3 = b0.fma(FloatVector.broadcast(F, ap[ai + 3]), s3);
                s4 = b0.fma(FloatVector.broadcast(F, ap[ai + 4]), s4);
                s5 = b0.fma(FloatVector.broadcast(F, ap[ai + 5]), s5);
            }
        } else {
            for (int p = 0, bi = b, ai = a; p < kk; p++, bi += L, ai += MR * L) {
                FloatVector b0 = FloatVector.fromArray(F, bp, bi);
                s0 = b0.fma(FloatVector.fromArray(F, ap, ai), s0);
                s1 = b0.fma(FloatVector.fromArray(F, ap, ai + L), s1);
                s2 = b0.fma(FloatVector.fromArray(F, ap, ai + 2 * L), s2);
                s3 = b0.fma(FloatVector.fromArray(F, ap, ai + 3 * L), s3);
                s4 = b0.fma(FloatVector.fromArray(F, ap, ai + 4 * L), s4);
                s5 = b0.fma(FloatVector.fromArray(F, ap, ai + 5 * L), s5);
            }
        }
        s0.intoArray(c, c0);
        s1.intoArray(c, c1);
        s2.intoArray(c, c2);
        s3.intoArray(c, c3);
        s4.intoArray(c, c4);
        s5.intoArray(c, c5);
    }

    /**
     * C[i0..i1) × [j0..j1) += A·B for a product at most one panel wide (a LoRA rank): packing A would cost more than
     * its few columns gain, so tiles of four rows read A in place and broadcast it, in passes of 128 over k.
     */
    private static void narrowKernel(int i0, int i1, int j0, int j1, int k, float[] a, int aOff, int aRow, int aCol,
                               float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        for (int p0 = 0; p0 < k; p0 += NARROW_KC) {
            int kk = Math.min(NARROW_KC, k - p0);
            int ap0 = aOff + p0 * aCol, bp0 = bOff + p0 * ldb;
            int j = j0;
            // with 32 registers, five vectors across (a vision head's 72 columns padded to 80) take one tile: nine
            // loads for twenty multiply-adds, where two-vector tiles need six for eight
            if (L >= 16) for (; j + 5 * L <= j1; j += 5 * L) {
                int i = i0;
                for (; i + 4 <= i1; i += 4) tile4x5(i, j, kk, a, ap0, aRow, aCol, b, bp0, ldb, c, cOff, ldc);
                for (; i < i1; i++) for (int v = 0; v < 5; v++) tile1x1(i, j + v * L, kk, a, ap0, aRow, aCol, b, bp0, ldb, c, cOff, ldc);
            }
            for (; j + NW <= j1; j += NW) {
                int i = i0;
                for (; i + 4 <= i1; i += 4) tile4x2(i, j, kk, a, ap0, aRow, aCol, b, bp0, ldb, c, cOff, ldc);
                for (; i < i1; i++) for (int v = 0; v < 2; v++) tile1x1(i, j + v * L, kk, a, ap0, aRow, aCol, b, bp0, ldb, c, cOff, ldc);
            }
            for (; j + L <= j1; j += L) {
                int i = i0;
                for (; i + 4 <= i1; i += 4) tile4x1(i, j, kk, a, ap0, aRow, aCol, b, bp0, ldb, c, cOff, ldc);
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

    private static void tile4x5(int i, int j, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int c0 = cOff + i * ldc + j, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s00 = FloatVector.fromArray(F, c, c0), s01 = FloatVector.fromArray(F, c, c0 + L);
        FloatVector s02 = FloatVector.fromArray(F, c, c0 + 2 * L), s03 = FloatVector.fromArray(F, c, c0 + 3 * L);
        FloatVector s04 = FloatVector.fromArray(F, c, c0 + 4 * L);
        FloatVector s10 = FloatVector.fromArray(F, c, c1), s11 = FloatVector.fromArray(F, c, c1 + L);
        FloatVector s12 = FloatVector.fromArray(F, c, c1 + 2 * L), s13 = FloatVector.fromArray(F, c, c1 + 3 * L);
        FloatVector s14 = FloatVector.fromArray(F, c, c1 + 4 * L);
        FloatVector s20 = FloatVector.fromArray(F, c, c2), s21 = FloatVector.fromArray(F, c, c2 + L);
        FloatVector s22 = FloatVector.fromArray(F, c, c2 + 2 * L), s23 = FloatVector.fromArray(F, c, c2 + 3 * L);
        FloatVector s24 = FloatVector.fromArray(F, c, c2 + 4 * L);
        FloatVector s30 = FloatVector.fromArray(F, c, c3), s31 = FloatVector.fromArray(F, c, c3 + L);
        FloatVector s32 = FloatVector.fromArray(F, c, c3 + 2 * L), s33 = FloatVector.fromArray(F, c, c3 + 3 * L);
        FloatVector s34 = FloatVector.fromArray(F, c, c3 + 4 * L);
        int a0 = aOff + i * aRow, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
        for (int p = 0, bp = bOff + j, ap = 0; p < k; p++, bp += ldb, ap += aCol) {
            FloatVector b0 = FloatVector.fromArray(F, b, bp), b1 = FloatVector.fromArray(F, b, bp + L);
            FloatVector b2 = FloatVector.fromArray(F, b, bp + 2 * L), b3 = FloatVector.fromArray(F, b, bp + 3 * L);
            FloatVector b4 = FloatVector.fromArray(F, b, bp + 4 * L);
            FloatVector x = FloatVector.broadcast(F, a[a0 + ap]);
            s00 = b0.fma(x, s00);
            s01 = b1.fma(x, s01);
            s02 = b2.fma(x, s02);
            s03 = b3.fma(x, s03);
            s04 = b4.fma(x, s04);
            x = FloatVector.broadcast(F, a[a1 + ap]);
            s10 = b0.fma(x, s10);
            s11 = b1.fma(x, s11);
            s12 = b2.fma(x, s12);
            s13 = b3.fma(x, s13);
            s14 = b4.fma(x, s14);
            x = FloatVector.broadcast(F, a[a2 + ap]);
            s20 = b0.fma(x, s20);
            s21 = b1.fma(x, s21);
            s22 = b2.fma(x, s22);
            s23 = b3.fma(x, s23);
            s24 = b4.fma(x, s24);
            x = FloatVector.broadcast(F, a[a3 + ap]);
            s30 = b0.fma(x, s30);
            s31 = b1.fma(x, s31);
            s32 = b2.fma(x, s32);
            s33 = b3.fma(x, s33);
            s34 = b4.fma(x, s34);
        }
        s00.intoArray(c, c0);
        s01.intoArray(c, c0 + L);
        s02.intoArray(c, c0 + 2 * L);
        s03.intoArray(c, c0 + 3 * L);
        s04.intoArray(c, c0 + 4 * L);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + L);
        s12.intoArray(c, c1 + 2 * L);
        s13.intoArray(c, c1 + 3 * L);
        s14.intoArray(c, c1 + 4 * L);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + L);
        s22.intoArray(c, c2 + 2 * L);
        s23.intoArray(c, c2 + 3 * L);
        s24.intoArray(c, c2 + 4 * L);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + L);
        s32.intoArray(c, c3 + 2 * L);
        s33.intoArray(c, c3 + 3 * L);
        s34.intoArray(c, c3 + 4 * L);
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

    public static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
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
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(F, x, xOff + i).fma(a, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }
}
