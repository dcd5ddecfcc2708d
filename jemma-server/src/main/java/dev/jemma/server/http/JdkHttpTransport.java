package dev.jemma.server.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The JDK's {@code com.sun.net.httpserver} with a virtual thread per request: zero dependencies and blocking
 * code that reads like the protocol. Its limits (header count and size, request read time) are JVM-wide system
 * properties read when the first server starts; {@link ServerConfig#applyJdkLimits()} sets them.
 */
public final class JdkHttpTransport implements HttpTransport {
    private HttpServer server;
    private ExecutorService executor;

    @Override
    public void start(InetSocketAddress address, Handler handler) throws IOException {
        server = HttpServer.create(address, 256);
        executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", ex -> {
            JdkExchange e = new JdkExchange(ex);
            try {
                handler.handle(e);
            } finally {
                e.close();
            }
        });
        server.start();
    }

    @Override
    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void stop(int waitSeconds) {
        if (server == null) return;
        server.stop(waitSeconds);
        executor.shutdownNow();
        server = null;
    }

    private static final class JdkExchange implements Exchange {
        private final HttpExchange ex;
        private boolean responded;

        JdkExchange(HttpExchange ex) {
            this.ex = ex;
        }

        @Override
        public String method() {
            return ex.getRequestMethod();
        }

        @Override
        public URI uri() {
            return ex.getRequestURI();
        }

        @Override
        public String header(String name) {
            return ex.getRequestHeaders().getFirst(name);
        }

        @Override
        public List<String> headers(String name) {
            List<String> v = ex.getRequestHeaders().get(name);
            return v == null ? List.of() : v;
        }

        @Override
        public long contentLength() {
            String v = header("Content-Length");
            if (v == null) return -1;
            try {
                return Long.parseLong(v.strip());
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        @Override
        public InputStream body() {
            return ex.getRequestBody();
        }

        @Override
        public void setHeader(String name, String value) {
            ex.getResponseHeaders().set(name, value);
        }

        @Override
        public OutputStream respond(int status, long length) throws IOException {
            responded = true;
            // the JDK's encoding of "length": -1 no body, 0 chunked
            ex.sendResponseHeaders(status, length == 0 ? -1 : length < 0 ? 0 : length);
            return ex.getResponseBody();
        }

        @Override
        public boolean responded() {
            return responded;
        }

        @Override
        public void close() {
            ex.close();
        }
    }
}
