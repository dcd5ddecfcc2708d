package dev.jemma.server.api;

import dev.jemma.server.http.Exchange;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An exchange without a network: records the status, headers and body a handler sends. */
final class RecordingExchange implements Exchange {
    final Map<String, String> responseHeaders = new LinkedHashMap<>();
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    int status;

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public URI uri() {
        return URI.create("/");
    }

    @Override
    public String header(String name) {
        return null;
    }

    @Override
    public List<String> headers(String name) {
        return List.of();
    }

    @Override
    public long contentLength() {
        return 0;
    }

    @Override
    public InputStream body() {
        return new ByteArrayInputStream(new byte[0]);
    }

    @Override
    public void setHeader(String name, String value) {
        responseHeaders.put(name, value);
    }

    @Override
    public OutputStream respond(int status, long length) {
        this.status = status;
        return body;
    }

    @Override
    public boolean responded() {
        return status != 0;
    }

    @Override
    public void close() {
    }

    String text() {
        return body.toString(StandardCharsets.UTF_8);
    }
}
