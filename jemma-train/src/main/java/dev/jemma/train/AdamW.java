package dev.jemma.train;

import java.util.List;

/**
 * torch.optim.AdamW: decoupled weight decay p −= lr·wd·(p − centre) first, then the Adam step with bias
 * corrections 1 − β^t, eps added to the corrected root. Moments are f32, one pair per parameter; parameters are
 * read and written a block at a time so native-memory weights take the same path as arrays.
 */
final class AdamW {
    private static final int BLOCK = 4096;

    final double beta1, beta2, eps, weightDecay;
    final List<Parameter> params;
    final float[][] m, v;
    /** optimizer steps taken */
    long step;
    private final float[] block = new float[BLOCK];

    AdamW(List<Parameter> params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        m = new float[params.size()][];
        v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[params.get(i).size];
            v[i] = new float[params.get(i).size];
        }
    }

    /** Bytes of optimizer state for parameters of {@code count} values. */
    static long bytes(long count) {
        return 8L * count;
    }

    void update(double lr) {
        step++;
        double c1 = 1 - Math.pow(beta1, step), c2 = Math.sqrt(1 - Math.pow(beta2, step));
        double stepSize = lr / c1, decay = lr * weightDecay;
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            float[] g = p.grad, mi = m[i], vi = v[i];
            for (int off = 0; off < p.size; off += BLOCK) {
                int n = Math.min(BLOCK, p.size - off);
                p.read(off, block, n);
                for (int j = 0; j < n; j++) {
                    int k = off + j;
                    double x = block[j];
                    x -= decay * (x - p.decayCentre);
                    double gk = g[k];
                    double mk = beta1 * mi[k] + (1 - beta1) * gk;
                    double vk = beta2 * vi[k] + (1 - beta2) * gk * gk;
                    mi[k] = (float) mk;
                    vi[k] = (float) vk;
                    x -= stepSize * mk / (Math.sqrt(vk) / c2 + eps);
                    block[j] = (float) x;
                }
                p.write(off, block, n);
            }
        }
    }

    /** The gradients' global L2 norm, and the factor torch's clip_grad_norm_ scales them by (1 when under). */
    static double clip(List<Parameter> params, double maxNorm) {
        double ss = 0;
        for (Parameter p : params) for (float x : p.grad) ss += (double) x * x;
        double norm = Math.sqrt(ss);
        if (maxNorm > 0) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) {
                for (Parameter p : params) {
                    float[] g = p.grad;
                    for (int k = 0; k < g.length; k++) g[k] = (float) (g[k] * coef);
                }
            }
        }
        return norm;
    }
}
