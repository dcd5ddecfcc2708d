package dev.jemma.spark;

import dev.jemma.generate.GenerationResult;

/** One row's output columns ({@link OutputColumns}). */
record RowResult(String completion, String finishReason, int promptTokens, int completionTokens, String error) {
    static final String FINISH_ERROR = "error";

    static RowResult of(GenerationResult r) {
        return new RowResult(r.text(), r.finishReason().apiName(), r.promptTokens(), r.generatedTokens(), null);
    }

    static RowResult failed(String error, int promptTokens) {
        return new RowResult(null, FINISH_ERROR, promptTokens, 0, error);
    }

    boolean isError() {
        return error != null;
    }

    Object[] values() {
        return new Object[]{completion, finishReason, promptTokens, completionTokens, error};
    }
}
