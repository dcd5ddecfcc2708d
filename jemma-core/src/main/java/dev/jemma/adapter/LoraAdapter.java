package dev.jemma.adapter;

import dev.jemma.model.GemmaConfig;
import dev.jemma.model.LinearAdapter;
import dev.jemma.model.Projection;
import dev.jemma.tensor.Rows;

import java.util.Set;

/** Placeholder until the adapter room lands: scale · B·(A·x) on the targeted projections. */
public final class LoraAdapter implements LinearAdapter {
    private final int rank;
    private final float alpha, userScale;
    private final float[][][] a, b;
    private final int[] in, out;
    private float[] z = new float[0];

    private LoraAdapter(int rank, float alpha, float userScale, float[][][] a, float[][][] b, int[] in, int[] out) {
        this.rank = rank;
        this.alpha = alpha;
        this.userScale = userScale;
        this.a = a;
        this.b = b;
        this.in = in;
        this.out = out;
    }

    public static LoraAdapter create(GemmaConfig c, int rank, float alpha, Set<Projection> targets) {
        int p = Projection.values().length;
        float[][][] a = new float[c.layers()][p][], b = new float[c.layers()][p][];
        int[] in = new int[p], out = new int[p];
        for (Projection pr : Projection.values()) {
            int i = pr.ordinal();
            in[i] = switch (pr) { case O -> c.qDim(); case DOWN -> c.ffn(); default -> c.hidden(); };
            out[i] = switch (pr) { case Q -> c.qDim(); case K, V -> c.kvDim(); case GATE, UP -> c.ffn(); default -> c.hidden(); };
        }
        for (int l = 0; l < c.layers(); l++) {
            for (Projection pr : targets) {
                a[l][pr.ordinal()] = new float[rank * in[pr.ordinal()]];
                b[l][pr.ordinal()] = new float[out[pr.ordinal()] * rank];
            }
        }
        return new LoraAdapter(rank, alpha, 1f, a, b, in, out);
    }

    public float[] a(int layer, Projection p) { return a[layer][p.ordinal()]; }
    public float[] b(int layer, Projection p) { return b[layer][p.ordinal()]; }
    public int rank() { return rank; }
    public float alpha() { return alpha; }
    public float scale() { return alpha == 0 ? userScale : userScale * alpha / rank; }

    @Override
    public void addTo(int layer, Projection p, Rows inRows, Rows outRows, int rows) {
        float[] A = a[layer][p.ordinal()], B = b[layer][p.ordinal()];
        if (A == null) return;
        int n = in[p.ordinal()], m = out[p.ordinal()];
        if (z.length < rank) z = new float[rank];
        float s = scale();
        for (int t = 0; t < rows; t++) {
            float[] x = inRows.data(), y = outRows.data();
            int xo = inRows.start(t), yo = outRows.start(t);
            for (int r = 0; r < rank; r++) {
                float acc = 0;
                for (int i = 0; i < n; i++) acc += A[r * n + i] * x[xo + i];
                z[r] = acc * s;
            }
            for (int o = 0; o < m; o++) {
                float acc = 0;
                for (int r = 0; r < rank; r++) acc += B[o * rank + r] * z[r];
                y[yo + o] += acc;
            }
        }
    }
}
