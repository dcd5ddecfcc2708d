package dev.jemma.generate;

/**
 * One generated token. {@code text} is the new text it releases, which may be empty (a UTF-8 character
 * still incomplete, or text held back because it may start a stop string) or carry text of earlier tokens.
 * Log-probabilities are of the model's distribution (after the final softcap, before sampling filters);
 * {@code logprob} is NaN and the arrays empty when the request did not ask for them.
 */
public record TokenEvent(int tokenId, String text, float logprob, int[] topIds, float[] topLogprobs) {
}
