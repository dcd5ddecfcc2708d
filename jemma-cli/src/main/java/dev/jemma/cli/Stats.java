package dev.jemma.cli;

import dev.jemma.generate.GenerationResult;

/** The timing line printed to stderr after a generation. */
final class Stats {
    private Stats() {}

    static void print(GenerationResult r) {
        Log.info(String.format("prompt %d tokens (%d computed) %.1f tok/s | generated %d tokens %.1f tok/s | finish: %s",
                r.promptTokens(), r.prefilledTokens(), r.prefillTokensPerSecond(), r.generatedTokens(),
                r.decodeTokensPerSecond(), r.finishReason().apiName()));
        if (r.draftedTokens() > 0) {
            Log.info(String.format("drafts: %d of %d tokens accepted (%.1f%%)", r.acceptedTokens(), r.draftedTokens(),
                    100 * r.acceptanceRate()));
        }
        if (r.truncatedTokens() > 0) Log.info("the prompt was cut by " + r.truncatedTokens() + " tokens from the left to fit the context");
    }
}
