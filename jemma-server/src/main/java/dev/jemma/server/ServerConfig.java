package dev.jemma.server;

import dev.jemma.JemmaException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything {@code jemma serve} can set, with safe defaults: loopback only, no CORS, bounded bodies,
 * queues and waits.
 *
 * @param host            address to bind (127.0.0.1: reachable from this machine only)
 * @param port            port (0: any free one)
 * @param slots           requests decoded together (continuous batching)
 * @param queue           requests waiting for a slot before 503
 * @param apiKeys         accepted keys; empty: no authentication
 * @param corsOrigins     origins allowed to call from a browser ("*" for any); empty: none
 * @param alias           the model's name in the API
 * @param maxBodyBytes    request body cap (413 above it)
 * @param maxPromptChars  text of one prompt (all messages) before it is even tokenized
 * @param maxN            the largest {@code n} (choices per request)
 * @param requestTimeout  longest a generation may run (queue wait included); it then ends with finish_reason length
 * @param writeTimeout    longest one write to a client may block before the client counts as gone
 * @param pingInterval    SSE comment ping while no token arrives (keeps proxies from cutting the stream)
 * @param eventBuffer     tokens buffered per request for a client that reads slowly; beyond it the request is cancelled
 * @param drainGrace      on shutdown, how long in-flight requests may still run
 * @param maxTokensLimit  the most tokens one request may generate, whatever it asks (it then ends with "length")
 * @param adapterDir      the directory {@code POST /v1/adapters} may load adapters from, or null (run-time loading off)
 */
public record ServerConfig(String host, int port, int slots, int queue, List<String> apiKeys, List<String> corsOrigins,
                           String alias, int maxBodyBytes, int maxPromptChars, int maxN, Duration requestTimeout,
                           Duration writeTimeout, Duration pingInterval, int eventBuffer, Duration drainGrace,
                           int maxTokensLimit, Path adapterDir) {

    /** Tokens a request may generate by default: long answers, but never a slot held for an unbounded time. */
    public static final int DEFAULT_MAX_TOKENS_LIMIT = 4096;

    public static final int MAX_N = 8;

    public ServerConfig {
        if (port < 0 || port > 65535) throw new JemmaException("--port must be in [0, 65535], got " + port);
        if (slots < 1 || slots > 256) throw new JemmaException("--parallel must be in [1, 256], got " + slots);
        if (queue < 0) throw new JemmaException("--queue must be ≥ 0, got " + queue);
        if (maxN < 1 || maxN > MAX_N) throw new JemmaException("max n must be in [1, " + MAX_N + "]");
        if (eventBuffer < 1) throw new JemmaException("event buffer must be ≥ 1");
        if (maxTokensLimit < 1) throw new JemmaException("--max-tokens-limit must be ≥ 1, got " + maxTokensLimit);
        apiKeys = List.copyOf(apiKeys);
        corsOrigins = List.copyOf(corsOrigins);
        for (String k : apiKeys) if (k.isBlank()) throw new JemmaException("an API key must not be empty");
    }

    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 8080, 8, 64, List.of(), List.of(), null, 8 << 20, 1 << 20, MAX_N,
                Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(15), 4096, Duration.ofSeconds(30),
                DEFAULT_MAX_TOKENS_LIMIT, null);
    }

    public ServerConfig withHost(String h) { return new ServerConfig(h, port, slots, queue, apiKeys, corsOrigins, alias, maxBodyBytes, maxPromptChars, maxN, requestTimeout, writeTimeout, pingInterval, eventBuffer, drainGrace, maxTokensLimit, adapterDir); }
    public ServerConfig withPort(int p) { return new ServerConfig(host, p, slots, queue, apiKeys, corsOrigins, alias, maxBodyBytes, maxPromptChars, maxN, requestTimeout, writeTimeout, pingInterval, eventBuffer, drainGrace, maxTokensLimit, adapterDir); }
    public ServerConfig withSlots(int s, int q) { return new ServerConfig(host, port, s, q, apiKeys, corsOrigins, alias, maxBodyBytes, maxPromptChars, maxN, requestTimeout, writeTimeout, pingInterval, eventBuffer, drainGrace, maxTokensLimit, adapterDir); }
    public ServerConfig withApiKeys(List<String> k) { return new ServerConfig(host, port, slots, queue, k, corsOrigins, alias, maxBodyBytes, maxPromptChars, maxN, requestTimeout, writeTimeout, pingInterval, eventBuffer, drainGrace, maxTokensLimit, adapterDir); }
    public ServerConfig withCorsOrigins(List<String> o) { return new ServerConfig(host, port, slots, queue, apiKeys, o, alias, maxBodyBytes, maxPromptChars, maxN, requestTimeout, writeTimeout, pingInterval, eventBuffer, drainGrace, maxTokensLimit, adapterDir); }
    public ServerConfig withAlias(String a) { return new ServerConfig(host, port, slots, queue, apiKeys, corsOrigins, a, maxBodyBytes, maxPromptChars, maxN, requestTimeout, writeTimeout, pingInterval, eventBuffer, drainGrace, maxTokensLimit, adapterDir); }
    public ServerConfig withMaxBodyBytes(int b) { return new ServerConfig(host, port, slots, queue, apiKeys, corsOrigins, alias, b, maxPromptChars, maxN, requestTimeout, writeTimeout, pingInterval, eventBuffer, drainGrace, maxTokensLimit, adapterDir); }
    public ServerConfig withRequestTimeout(Duration d) { return new ServerConfig(host, port, slots, queue, apiKeys, corsOrigins, alias, maxBodyBytes, maxPromptChars, maxN, d, writeTimeout, pingInterval, eventBuffer, drainGrace, maxTokensLimit, adapterDir); }
    public ServerConfig withWriteTimeout(Duration d, int buffer) { return new ServerConfig(host, port, slots, queue, apiKeys, corsOrigins, alias, maxBodyBytes, maxPromptChars, maxN, requestTimeout, d, pingInterval, buffer, drainGrace, maxTokensLimit, adapterDir); }
    public ServerConfig withPingInterval(Duration d) { return new ServerConfig(host, port, slots, queue, apiKeys, corsOrigins, alias, maxBodyBytes, maxPromptChars, maxN, requestTimeout, writeTimeout, d, eventBuffer, drainGrace, maxTokensLimit, adapterDir); }
    public ServerConfig withMaxTokensLimit(int n) { return new ServerConfig(host, port, slots, queue, apiKeys, corsOrigins, alias, maxBodyBytes, maxPromptChars, maxN, requestTimeout, writeTimeout, pingInterval, eventBuffer, drainGrace, n, adapterDir); }
    /** The one directory {@code POST /v1/adapters} may load adapter files from (null: loading at run time is off). */
    public ServerConfig withAdapterDir(Path d) { return new ServerConfig(host, port, slots, queue, apiKeys, corsOrigins, alias, maxBodyBytes, maxPromptChars, maxN, requestTimeout, writeTimeout, pingInterval, eventBuffer, drainGrace, maxTokensLimit, d); }
    public ServerConfig withDrainGrace(Duration d) { return new ServerConfig(host, port, slots, queue, apiKeys, corsOrigins, alias, maxBodyBytes, maxPromptChars, maxN, requestTimeout, writeTimeout, pingInterval, eventBuffer, d, maxTokensLimit, adapterDir); }

    /** True when bound to a loopback address: then only loopback Host headers are accepted (DNS rebinding). */
    public boolean loopback() {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1") || host.equals("[::1]")
                || host.startsWith("127.");
    }
}
