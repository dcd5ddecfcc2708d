package dev.jemma.server;

import dev.jemma.Jemma;
import dev.jemma.server.api.ApiRoutes;
import dev.jemma.server.api.Serving;
import dev.jemma.server.engine.Engine;
import dev.jemma.server.engine.SchedulerEngine;
import dev.jemma.server.http.ExchangeHandler;
import dev.jemma.server.http.HttpTransport;
import dev.jemma.server.http.RequestCounters;
import dev.jemma.server.http.ResponseWriter;
import dev.jemma.server.http.Router;
import dev.jemma.server.http.SocketHttpTransport;
import dev.jemma.server.http.WriteWatchdog;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The HTTP server: OpenAI-compatible /v1 endpoints, an Ollama-compatible /api subset, health, readiness,
 * metrics and tokenization, over one model shared by continuous batching. This class only wires the parts
 * (transport and security in {@code http}, the APIs in {@code api}, the model behind {@link Engine}) and runs
 * the server's life: bind, load, serve, drain, stop.
 */
public final class JemmaServer implements AutoCloseable {
    private final ServerConfig config;
    private final HttpTransport transport = new SocketHttpTransport();
    private final WriteWatchdog watchdog;
    private final Serving serving = new Serving();
    private final PrintStream log;

    private JemmaServer(ServerConfig config, PrintStream log) {
        this.config = config;
        this.log = log;
        this.watchdog = new WriteWatchdog(config.writeTimeout());
    }

    /**
     * Binds first (so /health answers and /ready says 503 while loading), then loads the model and turns ready.
     * Logs go to {@code log}; nothing is printed to stdout.
     */
    public static JemmaServer start(ServerConfig config, Supplier<Jemma> loader, PrintStream log) throws IOException {
        return startWithEngine(config, () -> new SchedulerEngine(loader.get(), config.slots(), config.queue(), config.alias(), true), log);
    }

    /** The same over any engine (tests wrap the model's to inject failures). */
    public static JemmaServer startWithEngine(ServerConfig config, Supplier<? extends Engine> loader, PrintStream log)
            throws IOException {
        JemmaServer s = new JemmaServer(config, log);
        ResponseWriter out = new ResponseWriter(s.watchdog);
        RequestCounters counters = new RequestCounters();
        Router router = new Router();
        new ApiRoutes(s.serving, config, out, counters, log).register(router);
        s.transport.start(new InetSocketAddress(config.host(), config.port()),
                new ExchangeHandler(config.loopback(), config.corsOrigins(), config.apiKeys(), router, out, counters, log));
        try {
            s.serving.ready(loader.get());
        } catch (RuntimeException | Error e) {
            s.transport.stop(0);
            s.watchdog.close();
            throw e;
        }
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

    public ServerState state() {
        return serving.state();
    }

    /** The engine, or null while loading. */
    public Engine engine() {
        return serving.engineOrNull();
    }

    /** Requests that are generating now (streams included). */
    public int inFlight() {
        return serving.inFlight();
    }

    /**
     * Graceful shutdown: /ready turns 503 and new generations are refused; in-flight ones may finish within the
     * grace period, then the rest are cancelled (streams get an error event); then the listener and model close.
     */
    public void drain(Duration grace) {
        if (serving.state() == ServerState.STOPPED) return;
        serving.drain();
        long end = System.nanoTime() + grace.toNanos();
        while (serving.inFlight() > 0 && System.nanoTime() < end) sleep(20);
        if (serving.inFlight() > 0) {
            log.println("jemma: grace period over, cancelling " + serving.inFlight() + " request(s)");
            serving.cancelAll();
            long hard = System.nanoTime() + 2_000_000_000L;
            while (serving.inFlight() > 0 && System.nanoTime() < hard) sleep(20);
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
        if (serving.state() == ServerState.STOPPED) return;
        Engine engine = serving.stop();
        transport.stop(0);
        watchdog.close();
        if (engine != null) engine.close();
    }
}
