package dev.jemma.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reads request bodies through the size cap: 413 as soon as a body is known to be larger, without reading the rest. */
public final class RequestBody {
    private final int maxBytes;

    public RequestBody(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The body as a JSON object (400 when it is not one, 413 over the cap). */
    public ObjectNode object(Exchange ex) throws IOException {
        return Json.parseObject(bytes(ex));
    }

    /** The body as any JSON value (400 when it is not JSON, 413 over the cap). */
    public JsonNode json(Exchange ex) throws IOException {
        return Json.parse(bytes(ex));
    }

    byte[] bytes(Exchange ex) throws IOException {
        long declared = ex.contentLength();
        if (declared > maxBytes) throw tooLarge(declared);
        ByteArrayOutputStream buf = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 256), maxBytes));
        byte[] chunk = new byte[16384];
        InputStream in = ex.body();
        for (int n; (n = in.read(chunk)) > 0; ) {
            if (buf.size() + n > maxBytes) throw tooLarge(-1);
            buf.write(chunk, 0, n);
        }
        HeapTrim.afterBody(buf.size());
        return buf.toByteArray();
    }

    private ApiException tooLarge(long declared) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "the request body" + (declared > 0 ? " (" + declared + " bytes)" : "") + " exceeds the server's limit of "
                        + maxBytes + " bytes");
    }
}
