package dev.jemma.server;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP transport's own answers over raw sockets: header and request-line limits (431, 414), strict body
 * framing (400 for a bad chunk size or Content-Length with Transfer-Encoding), and the plain protocol a client
 * relies on (pipelining, Expect: 100-continue, HEAD, HTTP/1.0 closing, chunked request bodies).
 */
class TransportEdgeTest extends SharedServerTest {
    static final String CHAT = TestServer.chat("Say hi.", 1, null);

    static void assertJsonError(String response, int status) throws IOException {
        assertTrue(response.startsWith("HTTP/1.1 " + status + " "), response);
        String body = response.substring(response.indexOf("\r\n\r\n") + 4);
        var e = TestServer.json(body).path("error");
        assertEquals("invalid_request_error", e.path("type").asText(), body);
        assertFalse(e.path("message").asText().isEmpty(), body);
        assertTrue(response.toLowerCase().contains("connection: close"), response);
    }

    @Test
    void tooManyHeadersIs431() throws Exception {
        StringBuilder r = new StringBuilder("GET /health HTTP/1.1\r\nHost: localhost\r\n");
        for (int i = 0; i < 120; i++) r.append("X-H").append(i).append(": v\r\n");
        assertJsonError(s.raw(r.append("\r\n").toString(), 10_000), 431);
    }

    @Test
    void tooLargeHeadersAre431() throws Exception {
        StringBuilder r = new StringBuilder("GET /health HTTP/1.1\r\nHost: localhost\r\n");
        for (int i = 0; i < 70; i++) r.append("X-H").append(i).append(": ").append("v".repeat(1000)).append("\r\n");
        assertJsonError(s.raw(r.append("\r\n").toString(), 10_000), 431);
        // one huge header line
        assertJsonError(s.raw("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(100_000) + "\r\n\r\n", 10_000), 431);
    }

    @Test
    void longRequestLineIs414() throws Exception {
        assertJsonError(s.raw("GET /health?q=" + "a".repeat(16 * 1024) + " HTTP/1.1\r\nHost: localhost\r\n\r\n", 10_000), 414);
    }

    @Test
    void malformedFramingIs400() throws Exception {
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n";
        assertJsonError(s.raw(head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + CHAT + "\r\n0\r\n\r\n", 10_000), 400);
        assertJsonError(s.raw(head + "Transfer-Encoding: chunked\r\nContent-Length: " + CHAT.length() + "\r\n\r\n" + CHAT, 10_000), 400);
        assertJsonError(s.raw(head + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 10_000), 400);
        assertJsonError(s.raw(head + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 10_000), 400);
        // a chunk whose data is not followed by CRLF
        assertJsonError(s.raw(head + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX\r\n0\r\n\r\n", 10_000), 400);
        assertJsonError(s.raw("GET /health HTTP/1.1\r\nHost: localhost\r\nX-A: 1\r\n folded\r\n\r\n", 10_000), 400);
        assertJsonError(s.raw("GET /health HTTP/1.1\r\nHost: localhost\r\nBad Name: 1\r\n\r\n", 10_000), 400);
        assertJsonError(s.raw("GET /health HTTP/1.1\r\nHost: localhost\rX: 1\r\n\r\n", 10_000), 400);
        assertJsonError(s.raw("GET /health HTTP/2.0\r\nHost: localhost\r\n\r\n", 10_000), 505);
        // and the server still serves
        assertEquals(200, s.get("/health").statusCode());
    }

    @Test
    void chunkedRequestBodyIsRead() throws Exception {
        String a = CHAT.substring(0, 10), b = CHAT.substring(10);
        String r = s.raw("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(a.length()) + ";ext=1\r\n" + a + "\r\n"
                + Integer.toHexString(b.length()) + "\r\n" + b + "\r\n0\r\nX-Trailer: t\r\n\r\n", 60_000);
        assertTrue(r.startsWith("HTTP/1.1 200 OK"), r);
        assertTrue(r.contains("\"choices\""), r);
    }

    @Test
    void pipelinedRequestsAreAllAnswered() throws Exception {
        String one = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n";
        String r = s.raw(one + one + "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 10_000);
        assertEquals(3, r.split("HTTP/1\\.1 200 OK", -1).length - 1, r);
        assertTrue(r.toLowerCase().contains("date: "), r);
    }

    @Test
    void expectContinueGetsContinueThenTheAnswer() throws Exception {
        try (Socket sock = new Socket("127.0.0.1", s.port)) {
            sock.setSoTimeout(60_000);
            OutputStream out = sock.getOutputStream();
            InputStream in = sock.getInputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    + "Expect: 100-continue\r\nContent-Length: " + CHAT.length() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String cont = readHead(in);
            assertTrue(cont.startsWith("HTTP/1.1 100 Continue"), cont);
            out.write(CHAT.getBytes(StandardCharsets.UTF_8));
            out.flush();
            String rest = TestServer.readAll(in);
            assertTrue(rest.startsWith("HTTP/1.1 200 OK"), rest);
            assertTrue(rest.contains("\"choices\""), rest);
        }
    }

    @Test
    void headHasNoBody() throws Exception {
        String r = s.raw("HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 10_000);
        assertTrue(r.startsWith("HTTP/1.1 200"), r);
        assertTrue(r.endsWith("\r\n\r\n"), "a body followed the headers: " + r);
        // and on a kept-alive connection the next answer follows at once
        String two = s.raw("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\nGET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 10_000);
        assertEquals(2, two.split("HTTP/1\\.1 200 OK", -1).length - 1, two);
    }

    @Test
    void http10WithoutKeepAliveCloses() throws Exception {
        long t0 = System.nanoTime();
        String r = s.raw("GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n", 20_000);
        assertTrue(r.startsWith("HTTP/1.1 200"), r);
        assertTrue(r.toLowerCase().contains("connection: close"), r);
        assertTrue((System.nanoTime() - t0) / 1e9 < 5, "the connection was not closed");
        // a streamed answer to HTTP/1.0 is not chunked: it ends with the connection
        String body = "{\"model\":\"gemma3-test\",\"prompt\":\"Hi\",\"max_tokens\":3,\"stream\":true,\"temperature\":0}";
        String st = s.raw("POST /v1/completions HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body, 60_000);
        assertTrue(st.startsWith("HTTP/1.1 200"), st);
        assertFalse(st.toLowerCase().contains("transfer-encoding"), st);
        assertTrue(st.contains("data: [DONE]"), st);
    }

    @Test
    void keepAliveServesSequentialRequestsOnOneConnection() throws Exception {
        try (Socket sock = new Socket("127.0.0.1", s.port)) {
            sock.setSoTimeout(10_000);
            for (int i = 0; i < 5; i++) {
                sock.getOutputStream().write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String head = readHead(sock.getInputStream());
                assertTrue(head.startsWith("HTTP/1.1 200"), head);
                int len = Integer.parseInt(head.toLowerCase().split("content-length: ")[1].split("\r\n")[0].strip());
                sock.getInputStream().readNBytes(len);
            }
        }
    }

    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) break;
            b.write(c);
            String s = b.toString(StandardCharsets.ISO_8859_1);
            if (s.endsWith("\r\n\r\n")) break;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }
}
