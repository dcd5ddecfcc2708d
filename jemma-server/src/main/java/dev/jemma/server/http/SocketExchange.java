package dev.jemma.server.http;

import static dev.jemma.server.http.SocketHttpTransport.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One request on a connection and its response. */
final class SocketExchange implements Exchange {
    private final SocketHttpTransport.Conn conn;
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
    private ChunkedBodyOutput bodyOut;

    SocketExchange(SocketHttpTransport.Conn conn, String method, URI uri, boolean http10, Map<String, List<String>> headers) throws HttpError {
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
        sb.append("HTTP/1.1 ").append(status).append(' ').append(StatusLines.reason(status)).append("\r\n");
        sb.append("Date: ").append(StatusLines.date()).append("\r\n");
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
        bodyOut = new ChunkedBodyOutput(conn.out, noBody ? 0 : length, stream && !http10, noBody);
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
    /** Whether the request body has been read to its end. */
    boolean bodyDone() {
        return body.done;
    }

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
