package dev.jemma.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.List;

/** One HTTP request and its response, as the API code sees it (independent of the transport). */
public interface Exchange {
    String method();

    URI uri();

    /** The first value of a request header (case-insensitive name), or null. */
    String header(String name);

    List<String> headers(String name);

    /** The declared Content-Length, or -1 when absent (chunked). */
    long contentLength();

    InputStream body();

    /** Adds a response header; only before {@link #respond}. */
    void setHeader(String name, String value);

    /**
     * Sends the status line and headers. length ≥ 0: a body of exactly that many bytes (0: none);
     * -1: a streamed (chunked) body of unknown length. Returns the body stream.
     */
    OutputStream respond(int status, long length) throws IOException;

    boolean responded();

    /**
     * True once the peer has closed its side of the connection or the connection failed: nobody will read the
     * answer, so a request still generating can be cancelled. Transports that cannot tell say false.
     */
    default boolean clientGone() {
        return false;
    }

    /** Drops the connection at once (from any thread): a write blocked on it fails. Used by the write watchdog. */
    default void abort() {}

    /** Ends the exchange (flushes a streamed body's last chunk). */
    void close();
}
