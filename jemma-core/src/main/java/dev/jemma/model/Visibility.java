package dev.jemma.model;

/**
 * Which key positions a query position sees, before the sliding window of local layers: every key up to
 * {@link #lastVisibleKey}. Causal attention sees up to itself; a run of image tokens sees its whole run both
 * ways. The window is applied after this rule, as transformers 5.x does for Gemma 3: a local layer's query q
 * sees key k when q − k &lt; window and k ≤ lastVisibleKey(q).
 */
@FunctionalInterface
public interface Visibility {
    Visibility CAUSAL = q -> q;

    /** The last key position visible from query position q; at least q. */
    int lastVisibleKey(int q);
}
