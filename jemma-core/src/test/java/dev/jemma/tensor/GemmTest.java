package dev.jemma.tensor;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Gemm} against the plain definition: every element of C is one chain of fused multiply-adds over k in order,
 * starting from C's value, so the packed, tiled and threaded product must equal it bit for bit, whatever the shape
 * (partial row tiles, narrow panels, scalar columns, several passes over K and blocks of B's columns), the operands'
 * layout or the thread count.
 */
class GemmTest {
    private static WorkerPool one, two;

    @BeforeAll
    static void pools() {
        one = new WorkerPool(1);
        two = new WorkerPool(2);
    }

    @AfterAll
    static void close() {
        one.close();
        two.close();
    }

    private static final int[][] SHAPES = { // m, k, n
            {1, 1, 1}, {5, 7, 3}, {6, 64, 16}, {13, 300, 33}, {50, 1000, 100}, {97, 129, 700},
            {7, 40, 1100}, {49, 520, 64}, {12, 3, 47}, {31, 385, 150}, {50, 300, 80}, {9, 130, 96}, {48, 4096, 80}};

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** C[i][j] = fma chain over p of A(i, p)·B(p, j), from C's value; A(i, p) = a[i·aRow + p·aCol], B likewise */
    private static float[] reference(int m, int k, int n, float[] a, int aRow, int aCol, float[] b, int bRow, int bCol,
                                     float[] c, int ldc) {
        float[] out = c.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = c[i * ldc + j];
                for (int p = 0; p < k; p++) s = Math.fma(a[i * aRow + p * aCol], b[p * bRow + j * bCol], s);
                out[i * ldc + j] = s;
            }
        }
        return out;
    }

    private static void assertBitwise(float[] expected, float[] actual, String what) {
        int bad = 0, first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                if (first < 0) first = i;
                bad++;
            }
        }
        assertEquals(0, bad, what + ": elements that differ (first at " + first + ")");
    }

    @Test
    void rowMajorAndTransposedOperandsOnOneAndTwoThreads() {
        long seed = 1;
        for (int[] s : SHAPES) {
            int m = s[0], k = s[1], n = s[2], ldc = n + 3;
            float[] a = random(m * k, seed++), b = random(k * n, seed++), c0 = random(m * ldc, seed++);
            float[] at = new float[k * m]; // A stored transposed: [k × m]
            for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) at[p * m + i] = a[i * k + p];
            float[] bt = new float[n * k]; // B stored transposed: [n × k]
            for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
            float[] expected = reference(m, k, n, a, k, 1, b, n, 1, c0, ldc);
            for (WorkerPool pool : new WorkerPool[]{one, two}) {
                Gemm g = new Gemm(pool);
                String shape = m + "×" + k + "×" + n + ", " + pool.size() + " threads";
                float[] c = c0.clone();
                g.multiplyAdd(m, k, n, a, 0, k, 1, b, 0, n, c, 0, ldc);
                assertBitwise(expected, c, "A·B " + shape);
                c = c0.clone();
                g.multiplyAdd(m, k, n, at, 0, 1, m, b, 0, n, c, 0, ldc);
                assertBitwise(expected, c, "Aᵀ stored, " + shape);
                c = c0.clone();
                g.multiplyAddStrided(m, k, n, a, 0, k, 1, bt, 0, 1, k, c, 0, ldc);
                assertBitwise(expected, c, "Bᵀ stored, " + shape);
                c = c0.clone();
                g.multiplyAddSerial(0, m, k, n, a, 0, k, 1, b, 0, n, 1, c, 0, ldc);
                assertBitwise(expected, c, "serial, " + shape);
            }
        }
    }

    @Test
    void offsetsAndStridesAreHonoured() {
        int m = 19, k = 270, n = 90, lda = k + 5, ldb = n + 7, ldc = n + 11, aOff = 13, bOff = 29, cOff = 17;
        float[] a = random(aOff + m * lda, 7), b = random(bOff + k * ldb, 8), c0 = random(cOff + m * ldc, 9);
        float[] expected = c0.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = c0[cOff + i * ldc + j];
                for (int p = 0; p < k; p++) s = Math.fma(a[aOff + i * lda + p], b[bOff + p * ldb + j], s);
                expected[cOff + i * ldc + j] = s;
            }
        }
        float[] c = c0.clone();
        new Gemm(two).multiplyAdd(m, k, n, a, aOff, lda, 1, b, bOff, ldb, c, cOff, ldc);
        assertBitwise(expected, c, "offsets and strides");
    }

    @Test
    void weightMatrixProductIsTheTransposedProduct() {
        for (int[] s : new int[][]{{3, 64, 5}, {40, 256, 530}, {100, 96, 1030}}) {
            int m = s[0], k = s[1], n = s[2];
            float[] a = random(m * k, 21), w = random(n * k, 22), c0 = random(m * n, 23);
            WeightMatrix wm = new WeightMatrix("w", GGMLType.F32, n, k, MemorySegment.ofArray(w));
            float[] expected = reference(m, k, n, a, k, 1, w, 1, k, c0, n);
            for (WorkerPool pool : new WorkerPool[]{one, two}) {
                float[] c = c0.clone();
                new Gemm(pool).multiplyAddTransposed(m, a, 0, k, wm, c, 0, n);
                assertBitwise(expected, c, "A·Wᵀ " + m + "×" + k + "×" + n + ", " + pool.size() + " threads");
            }
        }
    }
}
