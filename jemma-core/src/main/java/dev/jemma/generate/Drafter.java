package dev.jemma.generate;

/**
 * Proposes the tokens likely to follow a generation's context, for speculative decoding: the target model then
 * checks them all in one pass and keeps the longest prefix it would have chosen itself. A drafter's proposals are
 * a single guess (a point mass), never a distribution. One per generation stream; not thread-safe.
 */
public interface Drafter extends AutoCloseable {
    /** A new generation whose context so far is {@code prompt}. */
    void start(int[] prompt);

    /** {@code token} joined the context (generated, or a draft the target accepted). */
    void accept(int token);

    /** Writes up to {@code max} tokens likely to follow the context to out[off..]; returns how many (0: no guess). */
    int draft(int[] out, int off, int max);

    /** Releases what the drafter holds (a draft model's KV cache). */
    @Override
    default void close() {
    }
}
