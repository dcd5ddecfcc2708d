package dev.jemma.generate;

/** Log-softmax helpers for reporting token log-probabilities. */
final class LogProbs {
    private LogProbs() {
    }

    /** log Σ exp(x[i]) over x[0..n), computed stably. */
    static double logSumExp(float[] x, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) if (x[i] > max) max = x[i];
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(x[i] - max);
        return max + Math.log(sum);
    }

    /** The k = ids.length largest of x[0..n) into ids/values, largest first; returns how many were found. */
    static int top(float[] x, int n, int[] ids, float[] values) {
        int k = 0;
        for (int i = 0; i < n; i++) {
            float v = x[i];
            if (Float.isNaN(v)) continue;
            if (k < ids.length) {
                k++;
            } else if (v <= values[k - 1]) {
                continue;
            }
            int j = k - 1;
            while (j > 0 && values[j - 1] < v) {
                values[j] = values[j - 1];
                ids[j] = ids[j - 1];
                j--;
            }
            values[j] = v;
            ids[j] = i;
        }
        return k;
    }
}
