package dev.jemma.generate;

/** The outcome of one generation: its text, token counts and timings. */
public record GenerationResult(
        String text,
        int[] tokens,
        FinishReason finishReason,
        int promptTokens,
        /** prompt tokens actually computed; the rest came from the cache */
        int prefilledTokens,
        long prefillNanos,
        long decodeNanos,
        /** prompt tokens dropped from the left to fit the context (truncation enabled) */
        int truncatedTokens,
        /** speculative decoding: tokens drafted, and how many of them the model kept */
        int draftedTokens,
        int acceptedTokens) {

    public GenerationResult(String text, int[] tokens, FinishReason finishReason, int promptTokens, int prefilledTokens,
                            long prefillNanos, long decodeNanos) {
        this(text, tokens, finishReason, promptTokens, prefilledTokens, prefillNanos, decodeNanos, 0);
    }

    public GenerationResult(String text, int[] tokens, FinishReason finishReason, int promptTokens, int prefilledTokens,
                            long prefillNanos, long decodeNanos, int truncatedTokens) {
        this(text, tokens, finishReason, promptTokens, prefilledTokens, prefillNanos, decodeNanos, truncatedTokens, 0, 0);
    }

    /** Share of drafted tokens the model kept (NaN when nothing was drafted). */
    public double acceptanceRate() {
        return draftedTokens == 0 ? Double.NaN : (double) acceptedTokens / draftedTokens;
    }

    public int generatedTokens() {
        return tokens.length;
    }

    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? 0 : tokens.length / (decodeNanos / 1e9);
    }

    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : prefilledTokens / (prefillNanos / 1e9);
    }
}
