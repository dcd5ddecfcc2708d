package dev.jemma.server.http;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The HTTP listener under the server. Kept this small so our own {@link SocketHttpTransport} (the default: no
 * dependencies, virtual threads, hard limits, client-gone detection) could be swapped for another one (Helidon,
 * Jetty) without touching the API code.
 */
public interface HttpTransport extends AutoCloseable {
    /** Binds and starts serving; every request goes to the handler on its own (virtual) thread. */
    void start(InetSocketAddress address, Handler handler) throws IOException;

    /** The bound address (the real port when 0 was asked for). */
    InetSocketAddress address();

    /** Stops accepting connections, waits up to the given seconds for exchanges to end, then closes the rest. */
    void stop(int waitSeconds);

    @Override
    default void close() {
        stop(0);
    }

    /** Serves one request; may throw, the transport then closes the exchange. */
    @FunctionalInterface
    interface Handler {
        void handle(Exchange exchange) throws IOException;
    }
}
