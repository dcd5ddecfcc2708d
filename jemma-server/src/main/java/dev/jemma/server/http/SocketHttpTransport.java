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

    /** A request the transport answers itself (then closes): 400, 414, 431, 505. */
    private static final class HttpError extends IOException {
        final int status;
        final String code;

        HttpError(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    /**
     * The bytes the reader thread took off the socket and the connection thread has not used yet, bounded; the
     * reader waits for room. {@code eof}/{@code error}: the peer closed its side or the connection failed.
     */
    private static final class Inbox {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final byte[] buf = new byte[INBOX];
        private int start, count;
        private volatile boolean eof, failed, closed;

        void pump(InputStream in) {
            byte[] tmp = new byte[8192];
            try {
                while (true) {
                    int n = in.read(tmp);
                    if (n < 0) {
                        signal(() -> eof = true);
                        return;
                    }
                    lock.lock();
                    try {
                        int off = 0;
                        while (off < n) {
                            while (count == buf.length && !closed) changed.await();
                            if (closed) return;
                            int end = (start + count) % buf.length;
                            int room = Math.min(buf.length - count, buf.length - end);
                            int k = Math.min(room, n - off);
                            System.arraycopy(tmp, off, buf, end, k);
                            count += k;
                            off += k;
                            changed.signalAll();
                        }
                    } finally {
                        lock.unlock();
                    }
                }
            } catch (IOException | InterruptedException e) {
                signal(() -> failed = true);
            }
        }

        private void signal(Runnable r) {
            lock.lock();
            try {
                r.run();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        void close() {
            signal(() -> closed = true);
        }

        boolean gone() {
            return eof || failed || closed;
        }

        /** Up to len bytes; -1 at the peer's end; SocketTimeoutException past the deadline. */
        int read(byte[] b, int off, int len, long deadline) throws IOException {
            lock.lock();
            try {
                while (count == 0) {
                    if (eof) return -1;
                    if (failed || closed) throw new IOException("connection closed");
                    long left = deadline - System.nanoTime();
                    if (left <= 0) throw new SocketTimeoutException("read timed out");
                    try {
                        changed.awaitNanos(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted");
                    }
                }
                int k = Math.min(len, Math.min(count, buf.length - start));
                System.arraycopy(buf, start, b, off, k);
                start = (start + k) % buf.length;
                count -= k;
                changed.signalAll();
                return k;
            } finally {
                lock.unlock();
            }
        }
    }

    private final class Conn {
        final Socket socket;
        final Handler handler;
        final Inbox inbox = new Inbox();
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
                    Ex ex;
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
        private boolean serve(Ex ex) {
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
                if (!ex.body.done) lingerAfterAnswer(); // e.g. a 413 while the client still sends its body
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
            String head = "HTTP/1.1 " + e.status + " " + reason(e.status) + "\r\nDate: " + date() + "\r\nContent-Type: application/json\r\nContent-Length: "
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
        private String readLine(int max, long deadline, int tooLong, String code, String what) throws IOException {
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

        private Ex readRequest() throws IOException {
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
            return new Ex(this, method, uri, version.equals("HTTP/1.0"), headers);
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

    private static boolean isToken(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) return false;
        }
        return true;
    }

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    static String date() {
        return DATE.format(ZonedDateTime.now(ZoneOffset.UTC));
    }

    static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 204 -> "No Content";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 304 -> "Not Modified";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 406 -> "Not Acceptable";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 417 -> "Expectation Failed";
            case 422 -> "Unprocessable Content";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status";
        };
    }

    /** One request on a connection and its response. */
    private static final class Ex implements Exchange {
        private final Conn conn;
        private final String method;
        private final URI uri;
        private final boolean http10;
        private final Map<String, List<String>> headers;
        private final Map<String, String[]> responseHeaders = new LinkedHashMap<>();
        private final long contentLength;
        private final boolean chunked;
        private final boolean expectContinue;
        private final Body body;
        boolean responded, failed, closeAfter;
        HttpError bodyError;
        private BodyOut bodyOut;

        Ex(Conn conn, String method, URI uri, boolean http10, Map<String, List<String>> headers) throws HttpError {
            this.conn = conn;
            this.method = method;
            this.uri = uri;
            this.http10 = http10;
            this.headers = headers;
            List<String> te = headers.getOrDefault("transfer-encoding", List.of());
            List<String> cl = headers.getOrDefault("content-length", List.of());
            if (!te.isEmpty() && !cl.isEmpty()) throw new HttpError(400, "bad_request", "both Content-Length and Transfer-Encoding");
            if (!te.isEmpty()) {
                if (te.size() != 1 || !te.get(0).equalsIgnoreCase("chunked") || http10) {
                    throw new HttpError(400, "bad_request", "unsupported Transfer-Encoding (only chunked)");
                }
                chunked = true;
                contentLength = -1;
            } else {
                chunked = false;
                long len = -1;
                for (String v : cl) {
                    for (String part : v.split(",", -1)) {
                        String p = part.strip();
                        if (p.isEmpty() || p.length() > 18 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                            throw new HttpError(400, "bad_request", "malformed Content-Length");
                        }
                        long l = Long.parseLong(p);
                        if (len >= 0 && l != len) throw new HttpError(400, "bad_request", "differing Content-Length values");
                        len = l;
                    }
                }
                contentLength = len;
            }
            String expect = header("Expect");
            expectContinue = !http10 && expect != null && expect.equalsIgnoreCase("100-continue");
            body = new Body();
            String connection = String.join(",", headers.getOrDefault("connection", List.of())).toLowerCase(Locale.ROOT);
            boolean close = false, keepAlive = false;
            for (String t : connection.split(",")) {
                if (t.strip().equals("close")) close = true;
                if (t.strip().equals("keep-alive")) keepAlive = true;
            }
            closeAfter = close || (http10 && !keepAlive);
        }

        @Override
        public String method() {
            return method;
        }

        @Override
        public URI uri() {
            return uri;
        }

        @Override
        public String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        @Override
        public List<String> headers(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? List.of() : List.copyOf(v);
        }

        @Override
        public long contentLength() {
            return contentLength;
        }

        @Override
        public InputStream body() {
            return body;
        }

        @Override
        public boolean clientGone() {
            return conn.inbox.gone();
        }

        @Override
        public void abort() {
            failed = true;
            conn.close();
        }

        @Override
        public void setHeader(String name, String value) {
            if (responded) throw new IllegalStateException("response already sent");
            if (!isToken(name) || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("invalid response header " + name);
            }
            responseHeaders.put(name.toLowerCase(Locale.ROOT), new String[] {name, value});
        }

        @Override
        public OutputStream respond(int status, long length) throws IOException {
            if (responded) throw new IOException("response already sent");
            responded = true;
            String[] c = responseHeaders.get("connection");
            if ((c != null && c[1].toLowerCase(Locale.ROOT).contains("close")) || conn.stopping()) closeAfter = true;
            responseHeaders.remove("connection");
            responseHeaders.remove("content-length");
            responseHeaders.remove("transfer-encoding");
            responseHeaders.remove("date");
            boolean head = method.equals("HEAD");
            boolean noBody = head || status == 204 || status == 304 || status < 200;
            boolean stream = length < 0 && !noBody;
            if (stream && http10) closeAfter = true; // HTTP/1.0 has no chunks: the body ends with the connection
            StringBuilder sb = new StringBuilder(256);
            sb.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
            sb.append("Date: ").append(date()).append("\r\n");
            for (String[] h : responseHeaders.values()) sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
            if (status != 204 && status != 304 && status >= 200) {
                if (stream) {
                    if (!http10) sb.append("Transfer-Encoding: chunked\r\n");
                } else if (!head || length >= 0) {
                    sb.append("Content-Length: ").append(Math.max(0, length)).append("\r\n");
                }
            }
            if (closeAfter) sb.append("Connection: close\r\n");
            else if (http10) sb.append("Connection: keep-alive\r\n");
            sb.append("\r\n");
            conn.out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
            bodyOut = new BodyOut(conn.out, noBody ? 0 : length, stream && !http10, noBody);
            if (length == 0 || noBody) conn.out.flush();
            return bodyOut;
        }

        @Override
        public boolean responded() {
            return responded;
        }

        @Override
        public void close() {
            // the transport finishes the exchange when the handler returns
        }

        /** Ends the response; false when the connection must close (short body, failed write). */
        boolean finish() {
            if (failed || bodyOut == null) return false; // bodyOut null: writing the head failed
            try {
                bodyOut.finish();
                conn.out.flush();
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        /** Skips what the handler left of the request body (bounded); false when the connection must close. */
        boolean drainBody() {
            if (body.done) return true;
            if (!chunked && contentLength - body.read > DRAIN_CAP) return false;
            if (expectContinue && !body.continued) return false; // the client still waits to send it
            byte[] skip = new byte[8192];
            long total = 0;
            try {
                for (int n; (n = body.read(skip)) > 0; ) {
                    total += n;
                    if (total > DRAIN_CAP) return false;
                }
                return body.done;
            } catch (IOException e) {
                return false;
            }
        }

        /** The request body: Content-Length or chunked, read from the connection's inbox. */
        private final class Body extends InputStream {
            long read;
            boolean done = contentLength <= 0 && !chunked;
            boolean continued;
            private long chunkLeft; // chunked: bytes left in the current chunk
            private boolean inChunk;
            private long end; // the whole body must arrive within BODY_NANOS of its first read

            /** When the next byte must have come: 60 s idle at most, and the body's overall deadline. */
            private long deadline() {
                long now = System.nanoTime();
                if (end == 0) end = now + BODY_NANOS;
                return Math.min(now + IDLE_NANOS, end);
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n <= 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (done) return -1;
                if (len == 0) return 0;
                if (bodyError != null) throw bodyError;
                if (expectContinue && !continued) {
                    continued = true;
                    if (!responded) {
                        conn.out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                        conn.out.flush();
                    }
                }
                try {
                    return chunked ? readChunked(b, off, len) : readFixed(b, off, len);
                } catch (HttpError e) {
                    bodyError = e;
                    throw e;
                }
            }

            private int readFixed(byte[] b, int off, int len) throws IOException {
                int n = copy(b, off, (int) Math.min(len, contentLength - read));
                read += n;
                if (read == contentLength) done = true;
                return n;
            }

            private int readChunked(byte[] b, int off, int len) throws IOException {
                long deadline = deadline();
                if (!inChunk) {
                    String line = conn.readLine(MAX_CHUNK_LINE, deadline, 400, "bad_request", "a chunk size line");
                    if (line == null) throw new IOException("connection closed inside the body");
                    int semi = line.indexOf(';');
                    String hex = (semi < 0 ? line : line.substring(0, semi)).strip();
                    if (hex.isEmpty() || hex.length() > 15) throw new HttpError(400, "bad_request", "malformed chunk size");
                    long size = 0;
                    for (int i = 0; i < hex.length(); i++) {
                        int d = Character.digit(hex.charAt(i), 16);
                        if (d < 0) throw new HttpError(400, "bad_request", "malformed chunk size");
                        size = size * 16 + d;
                    }
                    if (size == 0) {
                        int trailerBytes = 0, trailers = 0;
                        while (true) {
                            String t = conn.readLine(Math.max(1, MAX_TRAILER_BYTES - trailerBytes), deadline, 400, "bad_request", "the trailers");
                            if (t == null) throw new IOException("connection closed inside the trailers");
                            if (t.isEmpty()) break;
                            trailerBytes += t.length() + 2;
                            if (++trailers > MAX_HEADER_LINES || trailerBytes > MAX_TRAILER_BYTES) {
                                throw new HttpError(400, "bad_request", "too many trailers");
                            }
                        }
                        done = true;
                        return -1;
                    }
                    chunkLeft = size;
                    inChunk = true;
                }
                int n = copy(b, off, (int) Math.min(len, chunkLeft));
                chunkLeft -= n;
                read += n;
                if (chunkLeft == 0) {
                    int cr = conn.readByte(deadline), lf = cr == '\r' ? conn.readByte(deadline) : cr;
                    if (lf != '\n') throw new HttpError(400, "bad_request", "missing CRLF after a chunk");
                    inChunk = false;
                }
                return n;
            }

            private int copy(byte[] b, int off, int len) throws IOException {
                if (len <= 0) return 0;
                if (!conn.hasBuffered() && !conn.fill(deadline())) {
                    throw new IOException("connection closed inside the body");
                }
                int n = Math.min(len, conn.ll - conn.lp);
                System.arraycopy(conn.local, conn.lp, b, off, n);
                conn.lp += n;
                return n;
            }
        }
    }

    /** A response body: exactly {@code length} bytes, or chunks (each write one chunk). */
    private static final class BodyOut extends OutputStream {
        private final OutputStream out;
        private final long length;
        private final boolean chunked;
        private final boolean discard;
        private long written;
        private boolean finished;

        BodyOut(OutputStream out, long length, boolean chunked, boolean discard) {
            this.out = out;
            this.length = length;
            this.chunked = chunked;
            this.discard = discard;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (finished) throw new IOException("response already finished");
            if (len == 0 || discard) return;
            if (chunked) {
                out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(b, off, len);
                out.write('\r');
                out.write('\n');
            } else {
                if (length >= 0 && written + len > length) throw new IOException("more bytes than the declared length");
                out.write(b, off, len);
            }
            written += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            flush();
        }

        void finish() throws IOException {
            if (finished) return;
            finished = true;
            if (chunked) out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            else if (!discard && length >= 0 && written != length) throw new IOException("response shorter than its Content-Length");
        }
    }
}
