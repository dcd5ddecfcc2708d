package dev.jemma.server.http;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Our own small HTTP/1.1 server: a blocking accept loop on a platform thread, one virtual thread per connection
 * (keep-alive, pipelining) and a second one, the reader, that is the only thing that ever reads the socket: it
 * moves bytes into the connection's bounded inbox, so a peer that hangs up is seen at once ({@link
 * Exchange#clientGone()}) while bytes that arrive meanwhile (a pipelined request) are kept for the next request.
 * Every limit is hard: request line 8 KiB (414), 100 header lines and 64 KiB of headers (431), the whole head
 * within {@code jemma.http.headTimeoutSeconds} (30 s) of its first byte, a body within 120 s (60 s at most
 * between bytes), 60 s idle keep-alive, 1024 connections.
 * Framing is strict (no obsolete folding, bare CR, Content-Length with Transfer-Encoding, differing
 * Content-Lengths, codings other than chunked): a request that could be read two ways is a 400 and a close.
 */
public final class SocketHttpTransport implements HttpTransport {
    static final int MAX_REQUEST_LINE = 8 * 1024;
    static final int MAX_HEADER_LINES = 100;
    static final int MAX_HEADER_BYTES = 64 * 1024;
    static final int MAX_TRAILER_BYTES = 16 * 1024;
    static final int MAX_CHUNK_LINE = 1024;
    static final int MAX_CONNECTIONS = 1024;
    static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);
    static final long BODY_NANOS = TimeUnit.SECONDS.toNanos(120);
    static final long DRAIN_CAP = 1 << 20;
    static final int INBOX = 16 * 1024; // per connection, with 8 KiB each to read, parse and write: ~40 KiB

    private final long headNanos = TimeUnit.SECONDS.toNanos(Math.max(1, Integer.getInteger("jemma.http.headTimeoutSeconds", 30)));
    private final Set<Conn> conns = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket server;
    private volatile boolean stopping;
    private Thread acceptor;
    private InetSocketAddress bound;

    @Override
    public void start(InetSocketAddress address, Handler handler) throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        ss.bind(address, 256);
        server = ss;
        bound = new InetSocketAddress(ss.getInetAddress(), ss.getLocalPort());
        acceptor = Thread.ofPlatform().daemon(true).name("jemma-http-accept").start(() -> accept(ss, handler));
    }

    private void accept(ServerSocket ss, Handler handler) {
        while (!stopping) {
            Socket s;
            try {
                s = ss.accept();
            } catch (IOException e) {
                if (stopping || ss.isClosed()) return;
                try {
                    Thread.sleep(10); // out of file descriptors or the like: do not spin
                } catch (InterruptedException ie) {
                    return;
                }
                continue;
            }
            if (conns.size() >= MAX_CONNECTIONS || stopping) {
                closeQuietly(s);
                continue;
            }
            try {
                s.setTcpNoDelay(true);
                Conn c = new Conn(s, handler);
                conns.add(c);
                Thread.ofVirtual().name("jemma-http").start(c::run);
            } catch (IOException | RuntimeException e) {
                closeQuietly(s);
            }
        }
    }

    @Override
    public InetSocketAddress address() {
        return bound;
    }

    @Override
    public void stop(int waitSeconds) {
        ServerSocket ss = server;
        if (ss == null) return;
        server = null;
        stopping = true;
        closeQuietly(ss);
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(0, waitSeconds));
        for (Conn c : conns) if (!c.busy) c.close();
        while (!conns.isEmpty() && System.nanoTime() < end) {
            for (Conn c : conns) if (!c.busy) c.close();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Conn c : conns) c.close();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing to do
        }
    }

    final class Conn {
        final Socket socket;
        final Handler handler;
        final ConnectionInbox inbox = new ConnectionInbox();
        final OutputStream out;
        final byte[] local = new byte[8192];
        int lp, ll;
        volatile boolean busy;
        private volatile boolean closed;

        Conn(Socket socket, Handler handler) throws IOException {
            this.socket = socket;
            this.handler = handler;
            this.out = new BufferedOutputStream(socket.getOutputStream(), 8192);
            InputStream in = socket.getInputStream();
            Thread.ofVirtual().name("jemma-http-reader").start(() -> inbox.pump(in));
        }

        void close() {
            if (closed) return;
            closed = true;
            inbox.close();
            closeQuietly(socket);
        }

        /** One byte of the request, or -1 at the peer's end. */
        int readByte(long deadline) throws IOException {
            if (lp == ll && !fill(deadline)) return -1;
            return local[lp++] & 0xff;
        }

        boolean fill(long deadline) throws IOException {
            int n = inbox.read(local, 0, local.length, deadline);
            if (n < 0) return false;
            lp = 0;
            ll = n;
            return true;
        }

        boolean stopping() {
            return stopping;
        }

        boolean hasBuffered() {
            return lp < ll;
        }

        void run() {
            try {
                while (!closed && !stopping) {
                    SocketExchange ex;
                    try {
                        ex = readRequest();
                    } catch (HttpError e) {
                        sendError(e);
                        return;
                    } catch (IOException e) {
                        return; // idle timeout, slow head, peer gone: just close
                    }
                    if (ex == null) return;
                    busy = true;
                    try {
                        if (!serve(ex)) return;
                    } finally {
                        busy = false;
                    }
                }
            } finally {
                close();
                conns.remove(this);
            }
        }

        /** Runs the handler and finishes the exchange; true when the connection may carry another request. */
        private boolean serve(SocketExchange ex) {
            try {
                handler.handle(ex);
            } catch (IOException | RuntimeException e) {
                // the handler failed or the client left: close below unless a complete response went out
                ex.failed = true;
            }
            Thread.interrupted(); // a late write-watchdog interrupt must not reach the next request
            if (ex.bodyError != null && !ex.responded) {
                sendError(ex.bodyError);
                return false;
            }
            if (!ex.responded) return false; // nothing was answered: the exchange is abandoned
            if (!ex.finish()) return false;
            if (ex.closeAfter || stopping) {
                if (!ex.bodyDone()) lingerAfterAnswer(); // e.g. a 413 while the client still sends its body
                return false;
            }
            return ex.drainBody();
        }

        private void lingerAfterAnswer() {
            try {
                socket.shutdownOutput();
                linger();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        private void sendError(HttpError e) {
            var body = Json.object();
            var err = body.putObject("error");
            err.put("message", e.getMessage());
            err.put("type", "invalid_request_error");
            err.putNull("param");
            err.put("code", e.code);
            byte[] b = Json.bytes(body);
            String head = "HTTP/1.1 " + e.status + " " + StatusLines.reason(e.status) + "\r\nDate: " + StatusLines.date() + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + b.length + "\r\nConnection: close\r\n\r\n";
            try {
                out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                out.write(b);
                out.flush();
                socket.shutdownOutput();
                linger();
            } catch (IOException ignored) {
                // the client is gone
            }
        }

        /**
         * After an error answer, reads (and drops) what the client still sends, bounded in bytes and time, so that
         * closing with unread bytes does not reset the connection before the client has read the answer.
         */
        private void linger() throws IOException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            long total = ll - lp;
            lp = ll;
            while (total < 4 * DRAIN_CAP) {
                int n = inbox.read(local, 0, local.length, end);
                if (n < 0) return;
                total += n;
            }
        }

        /** A line of at most {@code max} bytes (CRLF or LF end, not counted); null at a clean end before any byte. */
        String readLine(int max, long deadline, int tooLong, String code, String what) throws IOException {
            byte[] line = new byte[Math.min(max, 256)];
            int n = 0;
            while (true) {
                int c = readByte(deadline);
                if (c < 0) {
                    if (n == 0) return null;
                    throw new IOException("connection closed inside " + what);
                }
                if (c == '\n') break;
                if (c == '\r') {
                    int d = readByte(deadline);
                    if (d != '\n') throw new HttpError(400, "bad_request", "bare CR in " + what);
                    break;
                }
                if (n >= max) throw new HttpError(tooLong, code, what + " is longer than " + max + " bytes");
                if (n == line.length) line = java.util.Arrays.copyOf(line, Math.min(max, line.length * 2));
                line[n++] = (byte) c;
            }
            return new String(line, 0, n, StandardCharsets.ISO_8859_1);
        }

        private SocketExchange readRequest() throws IOException {
            long idle = System.nanoTime() + IDLE_NANOS;
            int first = -1;
            for (int blank = 0; blank < 4; blank++) { // tolerate a few empty lines before the request line
                first = readByte(idle);
                if (first < 0) return null;
                if (first == '\r') {
                    if (readByte(idle) != '\n') throw new HttpError(400, "bad_request", "bare CR before the request line");
                    continue;
                }
                if (first != '\n') break;
            }
            if (first == '\r' || first == '\n') throw new HttpError(400, "bad_request", "no request line");
            long deadline = System.nanoTime() + headNanos;
            lp--; // put the first byte back
            String line = readLine(MAX_REQUEST_LINE, deadline, 414, "uri_too_long", "the request line");
            if (line == null) return null;
            int sp1 = line.indexOf(' '), sp2 = line.lastIndexOf(' ');
            if (sp1 <= 0 || sp2 == sp1) throw new HttpError(400, "bad_request", "malformed request line");
            String method = line.substring(0, sp1), target = line.substring(sp1 + 1, sp2), version = line.substring(sp2 + 1);
            if (!isToken(method)) throw new HttpError(400, "bad_request", "malformed method");
            if (!version.matches("HTTP/[0-9]\\.[0-9]")) throw new HttpError(400, "bad_request", "malformed HTTP version");
            if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
                throw new HttpError(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are supported");
            }
            URI uri = target(target, method);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            int bytes = 0, lines = 0;
            while (true) {
                int room = MAX_HEADER_BYTES - bytes;
                if (room <= 0) throw new HttpError(431, "header_fields_too_large", "the request headers exceed " + MAX_HEADER_BYTES + " bytes");
                String h = readLine(room, deadline, 431, "header_fields_too_large", "the request headers");
                if (h == null) throw new IOException("connection closed inside the headers");
                if (h.isEmpty()) break;
                bytes += h.length() + 2;
                if (++lines > MAX_HEADER_LINES) throw new HttpError(431, "header_fields_too_large", "more than " + MAX_HEADER_LINES + " request headers");
                if (h.charAt(0) == ' ' || h.charAt(0) == '\t') throw new HttpError(400, "bad_request", "obsolete header line folding");
                int colon = h.indexOf(':');
                if (colon <= 0 || !isToken(h.substring(0, colon))) throw new HttpError(400, "bad_request", "malformed header name");
                String value = h.substring(colon + 1).strip();
                for (int i = 0; i < value.length(); i++) {
                    char c = value.charAt(i);
                    if ((c < 0x20 && c != '\t') || c == 0x7f) throw new HttpError(400, "bad_request", "control character in a header value");
                }
                headers.computeIfAbsent(h.substring(0, colon).toLowerCase(Locale.ROOT), k -> new ArrayList<>(1)).add(value);
            }
            return new SocketExchange(this, method, uri, version.equals("HTTP/1.0"), headers);
        }

        private URI target(String target, String method) throws HttpError {
            boolean ok = target.startsWith("/") || (target.equals("*") && method.equals("OPTIONS"))
                    || target.regionMatches(true, 0, "http://", 0, 7) || target.regionMatches(true, 0, "https://", 0, 8);
            for (int i = 0; ok && i < target.length(); i++) {
                char c = target.charAt(i);
                if (c <= 0x20 || c >= 0x7f) ok = false;
            }
            if (!ok) throw new HttpError(400, "bad_request", "malformed request target");
            try {
                URI u = new URI(target);
                if (u.getRawPath() == null) throw new HttpError(400, "bad_request", "malformed request target");
                return u;
            } catch (URISyntaxException e) {
                throw new HttpError(400, "bad_request", "malformed request target");
            }
        }
    }

    static boolean isToken(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) return false;
        }
        return true;
    }

}
