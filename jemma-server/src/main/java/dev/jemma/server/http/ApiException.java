package dev.jemma.server.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the server answers with an error: HTTP status, OpenAI error type, the parameter at fault and a
 * message that says what to change in the request. Client mistakes are 4xx so SDKs do not retry them; 503 only
 * for overload. Messages speak to an HTTP client: never of command-line flags it cannot set.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Map<String, Object> extra = new LinkedHashMap<>();
    private int retryAfterSeconds;

    public ApiException(int status, String type, String param, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    /** The request field at fault, or null. */
    public String param() {
        return param;
    }

    /** OpenAI's error code, or null (the status is sent instead). */
    public String code() {
        return code;
    }

    /** Further fields of the OpenAI error object (n_ctx, pointer ...). */
    public Map<String, Object> extra() {
        return extra;
    }

    /** Seconds for a Retry-After header; 0: none. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** 400 invalid_request_error naming the parameter. */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message);
    }

    /** 400 for a parameter Jemma does not implement: refused rather than silently ignored. */
    public static ApiException unsupported(String param, String why) {
        return new ApiException(400, "invalid_request_error", param, "unsupported_parameter",
                "'" + param + "' is not supported" + (why == null ? "" : ": " + why));
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "not_found_error", null, "not_found", message);
    }

    public static ApiException modelNotFound(String model) {
        return new ApiException(404, "invalid_request_error", "model", "model_not_found",
                "the model '" + model + "' does not exist; GET /v1/models lists the served model");
    }

    public static ApiException overloaded(String message, int retryAfter) {
        ApiException e = new ApiException(503, "unavailable_error", null, "overloaded", message);
        e.retryAfterSeconds = retryAfter;
        return e;
    }

    /** A prompt that leaves no room to generate in the server's context (llama.cpp's error shape). */
    public static ApiException contextExceeded(String param, int promptTokens, int ctx) {
        return contextExceeded(param, promptTokens, ctx, "the server's context");
    }

    /** The same for a context the request chose ({@code whose} names it, e.g. "options.num_ctx"). */
    public static ApiException contextExceeded(String param, int promptTokens, int ctx, String whose) {
        ApiException e = new ApiException(400, "exceed_context_size_error", param, "exceed_context_size_error",
                "the prompt has " + promptTokens + " tokens, " + whose + " is " + ctx
                        + " tokens; shorten the prompt so it leaves room for at least one generated token");
        e.extra.put("n_prompt_tokens", promptTokens);
        e.extra.put("n_ctx", ctx);
        return e;
    }

    public ApiException with(String key, Object value) {
        extra.put(key, value);
        return this;
    }
}
