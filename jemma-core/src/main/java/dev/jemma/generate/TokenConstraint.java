package dev.jemma.generate;

/**
 * Restricts which token may come next during generation. The session calls, per step: {@link #isComplete()}
 * (true ends generation with STOP), {@link #mask}, then {@link #accept} with the sampled token. End-of-turn and
 * EOS tokens are allowed only while {@link #canStop()}. One instance per generation; not thread-safe.
 */
public interface TokenConstraint {
    /** Sets the logit of every token that may not come next to negative infinity. */
    void mask(float[] logits);

    /** Advances past a sampled text token (never called for end-of-turn/EOS). */
    void accept(int tokenId);

    /** True when the text so far is a whole sentence of the language, so generation may end here. */
    boolean canStop();

    /** True when nothing more can follow: generation must end here. */
    boolean isComplete();
}
