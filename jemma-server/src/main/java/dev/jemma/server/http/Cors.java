package dev.jemma.server.http;

import java.util.List;

/**
 * Browser access, denied unless origins are configured: a page on another site must not be able to drive a
 * local model. Allowed origins get the Access-Control headers and their preflight answered.
 */
final class Cors {
    private final List<String> origins;

    Cors(List<String> origins) {
        this.origins = origins;
    }

    boolean allows(String origin) {
        return origin != null && (origins.contains("*") || origins.contains(origin));
    }

    /** Adds the response headers for an allowed cross-origin request; nothing otherwise. */
    void decorate(Exchange ex) {
        String origin = ex.header("Origin");
        if (!allows(origin)) return;
        ex.setHeader("Access-Control-Allow-Origin", origins.contains("*") ? "*" : origin);
        ex.setHeader("Vary", "Origin");
        ex.setHeader("Access-Control-Expose-Headers", "X-Request-Id, Retry-After");
    }

    /** Headers of a preflight answer (the caller sends 204, or 403 when the origin is not allowed). */
    void preflight(Exchange ex) {
        decorate(ex);
        ex.setHeader("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
        ex.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Api-Key, X-Request-Id");
        ex.setHeader("Access-Control-Max-Age", "600");
    }
}
