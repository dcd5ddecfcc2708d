package dev.jemma.model;

import dev.jemma.tensor.Rows;

/**
 * Adds a per-row correction to a linear layer's output, such as a low-rank adapter's scale · B·(A·x). Attached
 * to a segment of a {@link ForwardBatch}, so different sequences of one batch may carry different adapters or
 * none. Called on the forward pass's thread after the base product, for the segment's rows only.
 */
public interface LinearAdapter {
    /** No correction: asks for the bare base where null would mean "the default adapter". */
    LinearAdapter NONE = (layer, projection, in, out, rows) -> { };

    /**
     * out[t] += Δ(in[t]) for t < rows, where in holds the layer's input rows and out its output rows.
     * Must not keep the views: they are re-pointed after the call. The forward pass calls it from several workers
     * at once on disjoint rows, so it must be thread-safe, and a row's result must not depend on the others.
     */
    void addTo(int layer, Projection projection, Rows in, Rows out, int rows);
}
