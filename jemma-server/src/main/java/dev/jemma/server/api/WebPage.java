package dev.jemma.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** The web chat page from the classpath, or a placeholder while it is not built in. */
final class WebPage {
    private static volatile byte[] cached;

    private WebPage() {}

    static byte[] html() throws IOException {
        byte[] b = cached;
        if (b != null) return b;
        try (InputStream in = WebPage.class.getResourceAsStream("/dev/jemma/server/web/index.html")) {
            b = in != null ? in.readAllBytes() : ("<!doctype html><html><head><meta charset=\"utf-8\"><title>Jemma</title></head>"
                    + "<body><h1>Jemma</h1><p>The web chat is not part of this build. The API is at <code>/v1/chat/completions</code>.</p></body></html>")
                    .getBytes(StandardCharsets.UTF_8);
        }
        cached = b;
        return b;
    }
}
