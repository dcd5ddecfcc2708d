package dev.jemma.model;

/**
 * The orthonormal Walsh–Hadamard transform H/√n over n = 2^k values, in place. H is symmetric and
 * its own inverse, and dot products survive it: (Hq)·(Hk) = q·k. Applied to keys and queries (and to
 * values, then undone on the attention output) before an 8-bit cache, it spreads the few large
 * channels of a head over all its values, so each 32-value block is quantized with a smaller scale.
 */
final class Hadamard {
    private Hadamard() {}

    static boolean applies(int n) {
        return n >= 2 && Integer.bitCount(n) == 1;
    }

    static void transform(float[] x, int off, int n) {
        for (int h = 1; h < n; h <<= 1) {
            for (int i = 0; i < n; i += h << 1) {
                for (int j = off + i, end = j + h; j < end; j++) {
                    float a = x[j], b = x[j + h];
                    x[j] = a + b;
                    x[j + h] = a - b;
                }
            }
        }
        float scale = (float) (1 / Math.sqrt(n));
        for (int i = off; i < off + n; i++) x[i] *= scale;
    }
}
