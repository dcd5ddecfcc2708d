package dev.jemma.server.api;

import dev.jemma.adapter.AdapterFormatException;
import dev.jemma.adapter.AdapterRegistryException;
import dev.jemma.server.http.ApiException;

import java.util.function.Supplier;

/**
 * Adapter failures as HTTP answers: unknown 404, a file that does not fit the base 400 (naming the tensor or key),
 * a taken name or an adapter in use 409, past the memory budget 503 (with the numbers).
 */
final class AdapterErrors {
    private AdapterErrors() {}

    static <T> T call(Supplier<T> action) {
        try {
            return action.get();
        } catch (AdapterRegistryException e) {
            throw of(e);
        } catch (AdapterFormatException e) {
            throw new ApiException(400, "invalid_request_error", "path", "invalid_adapter", e.getMessage());
        }
    }

    static ApiException of(AdapterRegistryException e) {
        return switch (e.kind()) {
            case NOT_FOUND -> new ApiException(404, "not_found_error", "model", "adapter_not_found", e.getMessage());
            case EXISTS -> new ApiException(409, "invalid_request_error", "name", "adapter_exists", e.getMessage());
            case IN_USE -> new ApiException(409, "invalid_request_error", null, "adapter_in_use", e.getMessage());
            case BAD_NAME -> ApiException.invalid("name", e.getMessage());
            case MEMORY -> new ApiException(503, "unavailable_error", null, "adapter_memory", e.getMessage());
        };
    }
}
