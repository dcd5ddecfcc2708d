package dev.jemma.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the server answers with an error: HTTP status, OpenAI error type, the parameter at fault and a
 * message that says what to change. Client mistakes are 4xx so SDKs do not retry them; 503 only for overload.
 */
public final class ApiException extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;
    final Map<String, Object> extra = new LinkedHashMap<>();
    int retryAfterSeconds;

    public ApiException(int status, String type, String param, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400 invalid_request_error naming the parameter. */
    static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message);
    }

    /** 400 for a parameter Jemma does not implement: refused rather than silently ignored. */
    static ApiException unsupported(String param, String why) {
        return new ApiException(400, "invalid_request_error", param, "unsupported_parameter",
                "'" + param + "' is not supported" + (why == null ? "" : ": " + why));
    }

    static ApiException notFound(String message) {
        return new ApiException(404, "not_found_error", null, "not_found", message);
    }

    static ApiException modelNotFound(String model) {
        return new ApiException(404, "invalid_request_error", "model", "model_not_found",
                "the model '" + model + "' does not exist; GET /v1/models lists the served model");
    }

    static ApiException overloaded(String message, int retryAfter) {
        ApiException e = new ApiException(503, "unavailable_error", null, "overloaded", message);
        e.retryAfterSeconds = retryAfter;
        return e;
    }

    static ApiException contextExceeded(int promptTokens, int ctx) {
        ApiException e = new ApiException(400, "exceed_context_size_error", "messages", "exceed_context_size_error",
                "request (" + promptTokens + " tokens) exceeds the available context size (" + ctx
                        + " tokens); shorten the prompt or start the server with a larger --ctx");
        e.extra.put("n_prompt_tokens", promptTokens);
        e.extra.put("n_ctx", ctx);
        return e;
    }

    ApiException with(String key, Object value) {
        extra.put(key, value);
        return this;
    }
}
