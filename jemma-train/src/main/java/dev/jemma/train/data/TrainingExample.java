package dev.jemma.train.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * One training sequence with transformers' causal-LM semantics: {@code tokens} and {@code labels} have the same
 * length and the logits at position i are scored against {@code labels[i + 1]}; {@link #IGNORE} (-100, PyTorch's
 * {@code ignore_index}) marks positions that are not learned. So {@code labels[0]} is never a target, and for text
 * formats {@code labels[i]} is {@code tokens[i]} where that token is to be learned.
 */
public record TrainingExample(int[] tokens, int[] labels) {
    /** The label of a position that carries no loss. */
    public static final int IGNORE = -100;

    public TrainingExample {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(labels, "labels");
        if (tokens.length != labels.length) {
            throw new IllegalArgumentException("tokens and labels differ in length: " + tokens.length + " vs " + labels.length);
        }
    }

    public int length() {
        return tokens.length;
    }

    /** The number of loss terms: positions i ≥ 1 whose label is not {@link #IGNORE} (position 0 is never predicted). */
    public int labelledCount() {
        int n = 0;
        for (int i = 1; i < labels.length; i++) if (labels[i] != IGNORE) n++;
        return n;
    }

    /** The prompt's length: the index of the first learned position (≥ 1), or the length when nothing is learned. */
    public int promptLength() {
        for (int i = 1; i < labels.length; i++) if (labels[i] != IGNORE) return i;
        return labels.length;
    }

    /** The first {@code n} positions (n ≤ length). */
    public TrainingExample truncate(int n) {
        return n >= tokens.length ? this : new TrainingExample(Arrays.copyOf(tokens, n), Arrays.copyOf(labels, n));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainingExample e && Arrays.equals(tokens, e.tokens) && Arrays.equals(labels, e.labels);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(tokens) + Arrays.hashCode(labels);
    }

    @Override
    public String toString() {
        return "TrainingExample[tokens=" + Arrays.toString(tokens) + ", labels=" + Arrays.toString(labels) + "]";
    }
}
