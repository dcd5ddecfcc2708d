package dev.jemma.server;

import dev.jemma.generate.TokenEvent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.Jemma;
import dev.jemma.batch.GenerationCancelledException;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.generate.GenerationResult;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The HTTP server: OpenAI-compatible /v1 endpoints, an Ollama-compatible /api subset, health, readiness,
 * metrics and tokenization, over one model shared by continuous batching. Every request passes the Host check
 * (loopback binds), CORS (denied unless configured) and API keys (if any) before its handler; every client
 * mistake is a 4xx in OpenAI's error shape, an internal failure a 500 with the request id, and the server keeps
 * serving after either.
 */
public final class JemmaServer implements AutoCloseable {
    static final String FINGERPRINT = "jemma-0.1.0";

    enum State { LOADING, READY, DRAINING, STOPPED }

    final ServerConfig config;
    final WriteWatchdog watchdog;
    private final HttpTransport transport;
    private final PrintStream log;
    private final HostCheck hostCheck;
    private final Cors cors;
    private final ApiKeys keys;
    private final Router router;
    private volatile ServedModel served;
    private volatile State state = State.LOADING;
    private final Set<Generation> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger inFlight = new AtomicInteger();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong httpRequests = new AtomicLong();
    /** Test seam: lets a test replace a request (for example with one whose constraint fails). */
    volatile UnaryOperator<GenerationRequest> requestHook = r -> r;

    private JemmaServer(ServerConfig config, HttpTransport transport, PrintStream log) {
        this.config = config;
        this.transport = transport;
        this.log = log;
        this.watchdog = new WriteWatchdog(config.writeTimeout());
        this.hostCheck = new HostCheck(config.loopback());
        this.cors = new Cors(config.corsOrigins());
        this.keys = new ApiKeys(config.apiKeys());
        this.router = new Router(this);
    }

    /**
     * Binds first (so /health answers and /ready says 503 while loading), then loads the model and turns ready.
     * Logs go to {@code log}; nothing is printed to stdout.
     */
    public static JemmaServer start(ServerConfig config, Supplier<Jemma> loader, PrintStream log) throws IOException {
        return start(config, loader, log, true);
    }

    /** ownsModel false: closing the server leaves the model open (tests share one model between servers). */
    static JemmaServer start(ServerConfig config, Supplier<Jemma> loader, PrintStream log, boolean ownsModel) throws IOException {
        ServerConfig.applyJdkLimits();
        JemmaServer s = new JemmaServer(config, new JdkHttpTransport(), log);
        s.transport.start(new InetSocketAddress(config.host(), config.port()), s::handle);
        try {
            Jemma jemma = loader.get();
            s.served = new ServedModel(jemma, config, ownsModel);
        } catch (RuntimeException | Error e) {
            s.transport.stop(0);
            s.watchdog.close();
            throw e;
        }
        s.state = State.READY;
        return s;
    }

    public InetSocketAddress address() {
        return transport.address();
    }

    /** The base URL, e.g. http://127.0.0.1:8080. */
    public String url() {
        InetSocketAddress a = address();
        String host = config.host().contains(":") && !config.host().startsWith("[") ? "[" + config.host() + "]" : config.host();
        return "http://" + host + ":" + a.getPort();
    }

    State state() {
        return state;
    }

    ServedModel model() {
        ServedModel m = served;
        if (m == null || state == State.LOADING) throw ApiException.overloaded("the model is still loading; retry shortly", 5);
        return m;
    }

    ServedModel modelOrNull() {
        return served;
    }

    // ------------------------------------------------------------------------------------ request pipeline

    private void handle(Exchange ex) {
        httpRequests.incrementAndGet();
        String requestId = requestId(ex);
        ex.setHeader("X-Request-Id", requestId);
        String path = ex.uri().getRawPath();
        try {
            if (!hostCheck.accepts(ex.header("Host"))) {
                throw new ApiException(403, "permission_error", null, "host_not_allowed",
                        "the Host header is not allowed: this server is bound to loopback and answers only localhost, 127.0.0.1 or [::1]");
            }
            cors.decorate(ex);
            if (ex.method().equals("OPTIONS")) {
                if (!cors.allows(ex.header("Origin"))) {
                    throw new ApiException(403, "permission_error", null, "cors_denied", "cross-origin requests are not allowed (start the server with --cors-origin)");
                }
                cors.preflight(ex);
                ex.respond(204, 0);
                return;
            }
            boolean open = path.equals("/health") || (path.equals("/") && !ex.method().equals("POST"));
            if (keys.enabled() && !open && !keys.accepts(ex)) {
                throw new ApiException(401, "authentication_error", null, "invalid_api_key",
                        "missing or invalid API key: send Authorization: Bearer <key> or X-Api-Key: <key>");
            }
            router.route(ex, path, requestId);
        } catch (ApiException e) {
            sendError(ex, path, e);
        } catch (IOException e) {
            // the client went away; nothing more to send
        } catch (RuntimeException | Error e) {
            failures.incrementAndGet();
            log.println("jemma: request " + requestId + " failed: " + e);
            ApiException a = new ApiException(500, "api_error", null, "internal_error",
                    "internal error while serving the request (request id " + requestId + "); the server keeps running");
            a.extra.put("request_id", requestId);
            sendError(ex, path, a);
        }
    }

    private static String requestId(Exchange ex) {
        String given = ex.header("X-Request-Id");
        if (given != null && given.matches("[A-Za-z0-9._-]{1,64}")) return given;
        byte[] b = new byte[8];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** OpenAI's shape under /v1 and elsewhere, Ollama's {"error": "..."} under /api. */
    void sendError(Exchange ex, String path, ApiException e) {
        if (ex.responded()) return;
        try {
            if (e.retryAfterSeconds > 0) ex.setHeader("Retry-After", String.valueOf(e.retryAfterSeconds));
            if (e.status == 413) ex.setHeader("Connection", "close");
            if (e.status == 405) ex.setHeader("Allow", String.valueOf(e.extra.remove("allow")));
            ObjectNode body = Json.object();
            if (path.startsWith("/api/")) {
                body.put("error", e.getMessage());
            } else {
                ObjectNode err = body.putObject("error");
                err.put("message", e.getMessage());
                err.put("type", e.type);
                if (e.param == null) err.putNull("param"); else err.put("param", e.param);
                if (e.code == null) err.put("code", e.status); else err.put("code", e.code);
                e.extra.forEach((k, v) -> err.set(k, Json.OUT.valueToTree(v)));
            }
            sendJson(ex, e.status, body);
        } catch (IOException ignored) {
            // client gone
        }
    }

    void sendJson(Exchange ex, int status, ObjectNode body) throws IOException {
        send(ex, status, "application/json", Json.bytes(body));
    }

    void send(Exchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.setHeader("Content-Type", contentType);
        boolean head = ex.method().equals("HEAD");
        OutputStream out = ex.respond(status, head ? 0 : body.length);
        if (!head && body.length > 0) {
            watchdog.begin();
            try {
                out.write(body);
                out.flush();
            } finally {
                watchdog.end();
            }
        }
    }

    /** The body, read through the cap: 413 as soon as it is known to be larger, without reading the rest. */
    byte[] readBody(Exchange ex) throws IOException {
        int max = config.maxBodyBytes();
        long declared = ex.contentLength();
        if (declared > max) throw tooLarge(declared);
        ByteArrayOutputStream buf = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 256), max));
        byte[] chunk = new byte[16384];
        InputStream in = ex.body();
        for (int n; (n = in.read(chunk)) > 0; ) {
            if (buf.size() + n > max) throw tooLarge(-1);
            buf.write(chunk, 0, n);
        }
        return buf.toByteArray();
    }

    private ApiException tooLarge(long declared) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "the request body" + (declared > 0 ? " (" + declared + " bytes)" : "") + " exceeds the server's limit of "
                        + config.maxBodyBytes() + " bytes");
    }

    // ------------------------------------------------------------------------------------ generation

    GenerationRequest hook(GenerationRequest r) {
        return requestHook.apply(r);
    }

    /** The deadline of a request: the server's --timeout, or a shorter "timeout" (seconds) the request asks for. */
    long deadline(Params p) {
        double max = config.requestTimeout().toMillis() / 1000.0;
        double t = p.number("timeout", max, 0.001, max);
        return System.nanoTime() + (long) (t * 1e9);
    }

    /** Submits the choices (503 while loading or draining, or when the queue is full) and tracks them for drain. */
    Generation start(List<GenerationRequest> requests) {
        if (state != State.READY) {
            throw ApiException.overloaded(state == State.LOADING ? "the model is still loading" : "the server is shutting down", state == State.LOADING ? 5 : 30);
        }
        Generation[] self = new Generation[1];
        Generation g = self[0] = new Generation(config.eventBuffer(), () -> {
            running.remove(self[0]);
            inFlight.decrementAndGet();
        });
        inFlight.incrementAndGet();
        running.add(g);
        try {
            g.submit(served.scheduler, requests);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
        return g;
    }

    /** The next event, sending SSE pings while waiting. */
    Generation.Item next(Generation gen, StreamWriter w) throws IOException {
        try {
            Generation.Item it = gen.poll(config.pingInterval().toMillis());
            if (it == null) w.ping();
            return it;
        } catch (InterruptedException e) {
            gen.cancel();
            throw new IOException("interrupted");
        }
    }

    /** Waits for every choice of a non-streamed request; tokens collected only when asked (log-probabilities). */
    void collect(Generation gen, GenerationResult[] results, List<List<dev.jemma.generate.TokenEvent>> tokens) {
        try {
            while (gen.open() > 0) {
                Generation.Item it = gen.poll(1000);
                if (it == null) continue;
                if (it.token() != null) {
                    if (tokens != null) tokens.get(it.index()).add(it.token());
                } else if (it.end().error() != null) {
                    throw failure(it.end().error());
                } else {
                    results[it.index()] = it.end().result();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.overloaded("the server is shutting down", 30);
        }
    }

    /** A generation error: cancelled by a shutdown is a 503; anything else is internal (500). */
    RuntimeException failure(RuntimeException e) {
        if (e instanceof GenerationCancelledException && state != State.READY) {
            return ApiException.overloaded("the server is shutting down", 30);
        }
        return e;
    }

    StreamWriter writer(Exchange ex, boolean sse) {
        return new StreamWriter(ex, watchdog, sse);
    }

    /**
     * An error once the 200 headers are out: one {@code data: {"error":{...}}} event, then the stream is closed
     * without [DONE] (the same form llama.cpp and vLLM use).
     */
    void streamError(StreamWriter w, RuntimeException error, String requestId) throws IOException {
        ObjectNode body = Json.object();
        ObjectNode err = body.putObject("error");
        if (error instanceof GenerationCancelledException) {
            err.put("message", state != State.READY ? "the server is shutting down" : "the request was cancelled: " + error.getMessage());
            err.put("type", "unavailable_error");
            err.put("code", 503);
        } else {
            failures.incrementAndGet();
            log.println("jemma: request " + requestId + " failed: " + error);
            err.put("message", "internal error during generation (request id " + requestId + ")");
            err.put("type", "api_error");
            err.put("code", 500);
            err.put("request_id", requestId);
        }
        w.event(body.toString());
    }

    /** llama.cpp's non-standard timings object (speed numbers users rely on). */
    static ObjectNode timings(GenerationResult[] results) {
        long promptN = 0, promptNs = 0, predN = 0, predNs = 0, cached = 0;
        for (GenerationResult r : results) {
            if (r == null) continue;
            promptN += r.prefilledTokens();
            promptNs += r.prefillNanos();
            predN += r.generatedTokens();
            predNs += r.decodeNanos();
            cached += r.promptTokens() - r.prefilledTokens();
        }
        ObjectNode t = Json.object();
        t.put("cache_n", cached);
        t.put("prompt_n", promptN);
        t.put("prompt_ms", promptNs / 1e6);
        t.put("prompt_per_second", promptNs == 0 ? 0 : promptN / (promptNs / 1e9));
        t.put("predicted_n", predN);
        t.put("predicted_ms", predNs / 1e6);
        t.put("predicted_per_second", predNs == 0 ? 0 : predN / (predNs / 1e9));
        return t;
    }

    // ------------------------------------------------------------------------------------ lifecycle

    /** Requests that are generating now (streams included). */
    int inFlight() {
        return inFlight.get();
    }

    /**
     * Graceful shutdown: /ready turns 503 and new generations are refused; in-flight ones may finish within the
     * grace period, then the rest are cancelled (streams get an error event); then the listener and model close.
     */
    public void drain(Duration grace) {
        if (state == State.STOPPED) return;
        state = State.DRAINING;
        long end = System.nanoTime() + grace.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < end) sleep(20);
        if (inFlight.get() > 0) {
            log.println("jemma: grace period over, cancelling " + inFlight.get() + " request(s)");
            for (Generation g : running) g.cancel();
            long hard = System.nanoTime() + 2_000_000_000L;
            while (inFlight.get() > 0 && System.nanoTime() < hard) sleep(20);
        }
        close();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (state == State.STOPPED) return;
        state = State.STOPPED;
        transport.stop(0);
        watchdog.close();
        ServedModel m = served;
        if (m != null) m.close();
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

}
