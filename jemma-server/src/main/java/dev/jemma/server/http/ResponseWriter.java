package dev.jemma.server.http;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Sends responses, every body write under the {@link WriteWatchdog} so a client that stops reading cannot hold
 * a thread: whole bodies (JSON, text, HTML; HEAD gets the headers only) and streams (SSE or NDJSON).
 */
public final class ResponseWriter {
    private final WriteWatchdog watchdog;

    public ResponseWriter(WriteWatchdog watchdog) {
        this.watchdog = watchdog;
    }

    public void json(Exchange ex, int status, JsonNode body) throws IOException {
        send(ex, status, "application/json", Json.bytes(body));
    }

    public void send(Exchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.setHeader("Content-Type", contentType);
        boolean head = ex.method().equals("HEAD");
        OutputStream out = ex.respond(status, head ? 0 : body.length);
        if (!head && body.length > 0) watchdog.write(ex, out, body);
    }

    /** A streamed 200 response: SSE ({@code sse}) or NDJSON; nothing is sent until its first write. */
    public StreamWriter stream(Exchange ex, boolean sse) {
        return new StreamWriter(ex, watchdog, sse);
    }
}
