package dev.jemma.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/** Sends an {@link ApiException}: OpenAI's error shape, or Ollama's {"error": "..."} under /api. */
final class ErrorResponse {
    private ErrorResponse() {}

    static void send(ResponseWriter out, Exchange ex, String path, ApiException e) {
        if (ex.responded()) return;
        try {
            if (e.retryAfterSeconds() > 0) ex.setHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
            if (e.status() == 413) ex.setHeader("Connection", "close");
            if (e.status() == 405) ex.setHeader("Allow", String.valueOf(e.extra().remove("allow")));
            out.json(ex, e.status(), path.startsWith("/api/") ? ollama(e) : openAi(e));
        } catch (IOException ignored) {
            // client gone
        }
    }

    private static ObjectNode ollama(ApiException e) {
        ObjectNode body = Json.object();
        body.put("error", e.getMessage());
        return body;
    }

    private static ObjectNode openAi(ApiException e) {
        ObjectNode body = Json.object();
        ObjectNode err = body.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        if (e.param() == null) err.putNull("param"); else err.put("param", e.param());
        if (e.code() == null) err.put("code", e.status()); else err.put("code", e.code());
        e.extra().forEach((k, v) -> err.set(k, Json.OUT.valueToTree(v)));
        return body;
    }
}
