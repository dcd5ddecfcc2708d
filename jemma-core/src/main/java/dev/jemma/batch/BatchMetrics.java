package dev.jemma.batch;

/** A snapshot of a {@link BatchScheduler}'s gauges and running totals (times in nanoseconds). */
public record BatchMetrics(
        int activeSlots,
        int queuedRequests,
        int maxSlots,
        long requestsSubmitted,
        long requestsRejected,
        long requestsCompleted,
        long requestsCancelled,
        long requestsFailed,
        long promptTokens,
        long promptNanos,
        long generatedTokens,
        long decodeNanos,
        long decodeSteps,
        /** sum over decode steps of the sequences in the step: divided by decodeSteps, the mean batch size */
        long busySlotSum,
        /** speculative decoding: tokens drafted, and how many the model kept */
        long draftedTokens,
        long acceptedTokens) {
}
