package dev.jemma.server.api;

import dev.jemma.batch.GenerationCancelledException;
import dev.jemma.server.ServerState;

/**
 * A generation that ended in an error, classified once for every API: a cancellation is 503 (the server shutting
 * down, or the request cancelled, e.g. its client fell too far behind); anything else is internal (500).
 *
 * @param requestId set for internal errors only, so the client can quote it
 */
record GenerationFailure(int status, String type, String message, String requestId) {

    static GenerationFailure of(RuntimeException error, ServerState state, String requestId) {
        if (error instanceof GenerationCancelledException) {
            String msg = state != ServerState.READY ? "the server is shutting down" : "the request was cancelled: " + error.getMessage();
            return new GenerationFailure(503, "unavailable_error", msg, null);
        }
        return new GenerationFailure(500, "api_error", "internal error during generation (request id " + requestId + ")", requestId);
    }

    boolean internal() {
        return status == 500;
    }
}
