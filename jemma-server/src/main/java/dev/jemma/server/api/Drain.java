package dev.jemma.server.api;

import dev.jemma.adapter.AdapterRegistry;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.TokenEvent;
import dev.jemma.server.ServerConfig;
import dev.jemma.server.http.ApiException;
import dev.jemma.server.http.Exchange;
import dev.jemma.server.http.RequestCounters;
import dev.jemma.server.http.ResponseWriter;
import dev.jemma.server.http.StreamWriter;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a plan and hands its events to the API's renderer: the one loop every generating endpoint uses. The
 * requests are submitted first (so a full queue is a plain 503), then events are read until every choice ended.
 * A client that leaves (a failed write, or {@link Exchange#clientGone()} while a non-streaming answer is
 * generated) or falls too far behind (see {@link Generation}) gets its choices
 * cancelled; the deadline is the engine's, ending a choice with "length".
 */
final class Drain {
    /** How often a non-streaming request looks whether its client is still there while it waits for events. */
    static final long CLIENT_CHECK_MILLIS = 100;

    private final Serving serving;
    private final ServerConfig config;
    private final ResponseWriter out;
    private final RequestCounters counters;
    private final PrintStream log;

    Drain(Serving serving, ServerConfig config, ResponseWriter out, RequestCounters counters, PrintStream log) {
        this.serving = serving;
        this.config = config;
        this.out = out;
        this.counters = counters;
        this.log = log;
    }

    void run(Exchange ex, GenerationPlan plan, Renderer renderer, String requestId) throws IOException {
        int n = plan.n();
        GenerationResult[] results = new GenerationResult[n];
        List<List<TokenEvent>> tokens = new ArrayList<>();
        for (int i = 0; i < n && plan.logprobs() && !plan.stream(); i++) tokens.add(new ArrayList<>());
        StreamWriter w = plan.stream() ? out.stream(ex, renderer.sse()) : null;
        try (AdapterRegistry.Lease lease = AdapterErrors.call(() -> serving.engine().models().lease(plan.choice()));
             Generation gen = serving.start(plan.requests(serving.engine().tokenizer(), lease.adapter()), config.eventBuffer())) {
            try {
                if (w != null) renderer.open(w);
                while (gen.open() > 0) {
                    Generation.Item it = next(gen, w, ex);
                    if (it == null) continue;
                    int i = it.index();
                    if (it.token() != null) {
                        if (w != null) renderer.token(w, i, it.token());
                        else if (!tokens.isEmpty()) tokens.get(i).add(it.token());
                    } else if (it.end().error() != null) {
                        fail(w, renderer, it.end().error(), requestId);
                        return;
                    } else {
                        results[i] = it.end().result();
                        if (w != null) renderer.end(w, i, results[i]);
                    }
                }
                if (w != null) {
                    renderer.close(w, results);
                    w.end();
                } else {
                    out.json(ex, 200, renderer.body(results, tokens));
                }
            } catch (IOException e) {
                gen.cancel(); // the client is gone: free the slots now
                throw e;
            }
        }
    }

    /**
     * The next event, or null after the ping interval (a stream then gets an SSE ping for proxies). A
     * non-streaming request checks every {@link #CLIENT_CHECK_MILLIS} whether its client hung up (nothing is
     * written until the end, so no failed write would tell): then an IOException, and the caller cancels.
     */
    private Generation.Item next(Generation gen, StreamWriter w, Exchange ex) throws IOException {
        try {
            if (w == null) {
                if (ex.clientGone()) throw new IOException("the client closed the connection");
                return gen.poll(Math.min(CLIENT_CHECK_MILLIS, config.pingInterval().toMillis()));
            }
            Generation.Item it = gen.poll(config.pingInterval().toMillis());
            if (it == null) w.ping();
            return it;
        } catch (InterruptedException e) {
            gen.cancel();
            Thread.currentThread().interrupt();
            throw ApiException.overloaded("the server is shutting down", 30);
        }
    }

    /** Before any body: an HTTP error (internal ones go up as they are). In a stream: counted, logged, one error event. */
    private void fail(StreamWriter w, Renderer renderer, RuntimeException error, String requestId) throws IOException {
        GenerationFailure f = GenerationFailure.of(error, serving.state(), requestId);
        if (w == null) {
            if (f.internal()) throw error;
            throw ApiException.overloaded(f.message(), 30);
        }
        if (f.internal()) {
            counters.internalError();
            log.println("jemma: request " + requestId + " failed: " + error);
        }
        renderer.error(w, f);
    }
}
