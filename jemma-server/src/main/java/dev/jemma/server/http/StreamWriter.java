package dev.jemma.server.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a streamed response event by event (SSE {@code data:} frames or NDJSON lines), flushing each so a
 * token reaches the client as soon as it exists. Every write runs under the {@link WriteWatchdog}; an
 * IOException means the client is gone and the caller cancels the generation.
 */
public final class StreamWriter {
    private final Exchange ex;
    private final WriteWatchdog watchdog;
    private final boolean sse;
    private OutputStream out;

    StreamWriter(Exchange ex, WriteWatchdog watchdog, boolean sse) {
        this.ex = ex;
        this.watchdog = watchdog;
        this.sse = sse;
    }

    public boolean started() {
        return out != null;
    }

    public void start() throws IOException {
        if (out != null) return;
        ex.setHeader("Content-Type", sse ? "text/event-stream" : "application/x-ndjson");
        ex.setHeader("Cache-Control", "no-cache");
        ex.setHeader("X-Accel-Buffering", "no");
        out = ex.respond(200, -1);
    }

    /** One event: {@code data: json\n\n} for SSE, {@code json\n} for NDJSON. */
    public void event(String json) throws IOException {
        write(sse ? "data: " + json + "\n\n" : json + "\n");
    }

    /** SSE comment: clients ignore it, proxies see traffic during a long prefill or queue wait. */
    public void ping() throws IOException {
        if (sse) write(": ping\n\n");
    }

    public void done() throws IOException {
        if (sse) write("data: [DONE]\n\n");
    }

    /**
     * Ends the body now (the chunked terminator), before the generation counts as finished: a draining server
     * closes connections once nothing is in flight, and must not cut a stream short of its last bytes.
     */
    public void end() throws IOException {
        if (out == null) return;
        if (out instanceof ChunkedBodyOutput c) {
            c.finish();
            c.flush();
        } else {
            out.flush();
        }
    }

    private void write(String s) throws IOException {
        start();
        watchdog.write(ex, out, s.getBytes(StandardCharsets.UTF_8));
    }
}
