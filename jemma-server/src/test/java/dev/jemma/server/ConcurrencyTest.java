package dev.jemma.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.generate.TokenConstraint;
import dev.jemma.server.api.ApiProbe;
import dev.jemma.server.http.WriteWatchdog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** docs/RELIABILITY.md, "Concurrency, cancellation and resources": overload, disconnects, slow readers, deadlines, health under load, determinism, drain, failures. */
class ConcurrencyTest {
    static TestServer s;

    @BeforeAll
    static void start() throws Exception {
        s = new TestServer(c -> c.withSlots(2, 1));
    }

    @AfterAll
    static void stop() {
        if (s != null) s.close();
    }

    /** Opens a streaming chat on a raw socket and reads until n data events arrived; the caller closes it. */
    static Socket openStream(TestServer t, String body, int events) throws Exception {
        Socket sock = new Socket("127.0.0.1", t.port);
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        sock.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        sock.getOutputStream().write(b);
        sock.getOutputStream().flush();
        if (events > 0) {
            BufferedReader r = new BufferedReader(new InputStreamReader(sock.getInputStream(), StandardCharsets.UTF_8));
            int seen = 0;
            for (String line; seen < events && (line = r.readLine()) != null; ) if (line.startsWith("data: ")) seen++;
        }
        return sock;
    }

    static String longStream() {
        return TestServer.chat("Write a long story about a dragon.", 900, "\"stream\":true");
    }

    @Test
    void queueFullIs503WithRetryAfter() throws Exception {
        assertTrue(s.awaitIdle(30_000));
        List<Socket> held = new ArrayList<>();
        try {
            held.add(openStream(s, longStream(), 2));
            held.add(openStream(s, longStream(), 2));
            held.add(openStream(s, longStream(), 0)); // waits in the one queue place
            long end = System.currentTimeMillis() + 10_000;
            while (s.engine.metrics().queuedRequests() < 1 && System.currentTimeMillis() < end) Thread.sleep(20);
            HttpResponse<String> r = s.post("/v1/chat/completions", TestServer.chat("hi", 1, null));
            assertEquals(503, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Retry-After").isPresent());
            assertEquals("unavailable_error", TestServer.json(r.body()).at("/error/type").asText());
        } finally {
            for (Socket h : held) h.close();
        }
        assertTrue(s.awaitIdle(15_000), "slots not released after the clients left");
    }

    @Test
    void disconnectCancelsWithinAStep() throws Exception {
        assertTrue(s.awaitIdle(30_000));
        long cancelled = s.engine.metrics().requestsCancelled();
        int rounds = 15;
        for (int i = 0; i < rounds; i++) {
            Socket sock = openStream(s, longStream(), 3);
            sock.close();
            assertTrue(s.awaitIdle(10_000), "round " + i + ": the slot was not freed after the client left");
        }
        assertEquals(rounds, s.engine.metrics().requestsCancelled() - cancelled);
        String metrics = s.get("/metrics").body();
        assertTrue(metrics.contains("\njemma:requests_processing 0\n"), metrics);
        assertEquals(0, s.server.inFlight());
    }

    /**
     * A client that never reads: (1) once its bounded event buffer is full the request is cancelled, freeing the
     * slot; (2) a write blocked on its full socket is interrupted after the write timeout, which closes the
     * connection. (Loopback socket buffers grow to megabytes, so each half is checked directly.)
     */
    @Test
    void slowReaderIsCancelledAndClosed() throws Exception {
        assertTrue(s.awaitIdle(30_000));
        long cancelled = s.engine.metrics().requestsCancelled();
        int[] prompt = s.engine.chatTemplate().render(List.of(dev.jemma.generate.ChatMessage.user("Count to 100.")), true).toArray();
        var overflowed = ApiProbe.submitUnread(s.engine, new GenerationRequest(prompt, dev.jemma.generate.SamplingParams.greedy(500), null, -1, 0), 8);
        assertTrue(s.awaitIdle(30_000), "a request nobody reads kept its slot");
        assertTrue(overflowed.getAsBoolean());
        assertEquals(cancelled + 1, s.engine.metrics().requestsCancelled());

        try (var server = java.nio.channels.ServerSocketChannel.open().bind(new java.net.InetSocketAddress("127.0.0.1", 0));
             var client = java.nio.channels.SocketChannel.open(server.getLocalAddress());
             var peer = server.accept();
             WriteWatchdog dog = new WriteWatchdog(Duration.ofMillis(500))) {
            CompletableFuture<Throwable> writer = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(1 << 16);
                try {
                    while (true) {
                        dog.begin();
                        try {
                            chunk.clear();
                            peer.write(chunk);
                        } finally {
                            dog.end();
                        }
                    }
                } catch (Throwable e) {
                    writer.complete(e);
                }
            });
            Throwable e = writer.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(e instanceof java.io.IOException, String.valueOf(e));
            assertFalse(peer.isOpen(), "the stuck connection was not closed");
        }
    }

    @Test
    void deadlineEndsWithLengthAndTrueUsage() throws Exception {
        assertTrue(s.awaitIdle(30_000));
        long t0 = System.nanoTime();
        HttpResponse<String> r = s.post("/v1/chat/completions", TestServer.chat("Write a long story.", 900, "\"timeout\":1,\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        double secs = (System.nanoTime() - t0) / 1e9;
        assertTrue(secs < 10, "took " + secs);
        List<String> ev = TestServer.events(r.body());
        int deltas = 0;
        String finish = null;
        JsonNode usage = null;
        for (String e : ev) {
            if (e.equals("[DONE]")) continue;
            JsonNode j = TestServer.json(e);
            if (j.has("usage")) usage = j.get("usage");
            JsonNode c = j.path("choices");
            if (c.size() > 0 && !c.get(0).path("finish_reason").isNull()) finish = c.get(0).path("finish_reason").asText();
        }
        assertEquals("length", finish);
        assertTrue(usage != null && usage.path("completion_tokens").asInt() < 900);
        assertTrue(deltas <= usage.path("completion_tokens").asInt());
    }

    @Test
    void healthAndMetricsFastWhileBusy() throws Exception {
        assertTrue(s.awaitIdle(30_000));
        List<Socket> held = new ArrayList<>();
        try {
            held.add(openStream(s, longStream(), 2));
            held.add(openStream(s, longStream(), 2));
            long[] ms = new long[20];
            for (int i = 0; i < ms.length; i++) {
                long t0 = System.nanoTime();
                assertEquals(200, s.get(i % 2 == 0 ? "/health" : "/metrics").statusCode());
                ms[i] = (System.nanoTime() - t0) / 1_000_000;
            }
            Arrays.sort(ms);
            assertTrue(ms[ms.length / 2] < 100, "median " + ms[ms.length / 2] + " ms: " + Arrays.toString(ms));
            assertTrue(ms[ms.length - 1] < 1000, Arrays.toString(ms));
        } finally {
            for (Socket h : held) h.close();
        }
        assertTrue(s.awaitIdle(15_000));
    }

    @Test
    void determinism() throws Exception {
        assertTrue(s.awaitIdle(30_000));
        String sampled = TestServer.chat("Name a colour.", 8, "\"seed\":42").replace("\"temperature\":0", "\"temperature\":0.9");
        String a = TestServer.json(s.post("/v1/chat/completions", sampled).body()).at("/choices/0/message/content").asText();
        String b = TestServer.json(s.post("/v1/chat/completions", sampled).body()).at("/choices/0/message/content").asText();
        assertEquals(a, b);
        String greedy = TestServer.chat("Name a colour.", 8, null);
        String g1 = TestServer.json(s.post("/v1/chat/completions", greedy).body()).at("/choices/0/message/content").asText();
        // the same greedy request batched next to another one gives the same text (batch-invariant decode)
        CompletableFuture<HttpResponse<String>> other = CompletableFuture.supplyAsync(() -> {
            try {
                return s.post("/v1/chat/completions", TestServer.chat("Tell me about the sea.", 12, null));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        String g2 = TestServer.json(s.post("/v1/chat/completions", greedy).body()).at("/choices/0/message/content").asText();
        other.join();
        assertEquals(g1, g2);
    }

    @Test
    void gracefulDrain() throws Exception {
        try (TestServer t = new TestServer()) {
            CompletableFuture<HttpResponse<String>> inflight = CompletableFuture.supplyAsync(() -> {
                try {
                    return t.post("/v1/chat/completions", TestServer.chat("Write a poem.", 24, "\"stream\":true"));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long end = System.currentTimeMillis() + 10_000;
            while (t.server.inFlight() == 0 && System.currentTimeMillis() < end) Thread.sleep(10);
            CompletableFuture<Void> drain = CompletableFuture.runAsync(() -> t.server.drain(Duration.ofSeconds(60)));
            while (t.server.state() != ServerState.DRAINING && !drain.isDone()) Thread.sleep(5);
            if (!inflight.isDone()) {
                assertEquals(503, t.get("/ready").statusCode());
                assertEquals(503, t.post("/v1/chat/completions", TestServer.chat("hi", 1, null)).statusCode());
                assertEquals(200, t.get("/health").statusCode());
            }
            HttpResponse<String> r = inflight.get();
            assertTrue(r.body().endsWith("data: [DONE]\n\n"), "the in-flight stream did not finish normally: " + r.body());
            drain.get();
        }
        // grace over: the remaining stream gets one error event and no [DONE]
        try (TestServer t = new TestServer()) {
            CompletableFuture<HttpResponse<String>> inflight = CompletableFuture.supplyAsync(() -> {
                try {
                    return t.post("/v1/chat/completions", TestServer.chat("Write a long story.", 900, "\"stream\":true"));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long end = System.currentTimeMillis() + 10_000;
            while (t.server.inFlight() == 0 && System.currentTimeMillis() < end) Thread.sleep(10);
            Thread.sleep(300);
            t.server.drain(Duration.ofMillis(300));
            String body = inflight.get().body();
            assertFalse(body.contains("[DONE]"));
            List<String> ev = TestServer.events(body);
            assertTrue(TestServer.json(ev.get(ev.size() - 1)).at("/error/message").asText().contains("shutting down"), body);
        }
    }

    @Test
    void failingRequestDoesNotKillServer() throws Exception {
        try (TestServer t = new TestServer()) {
            t.engine.hook = r -> new GenerationRequest(r.prompt(), r.params(), new TokenConstraint() {
                @Override public void mask(float[] logits) { throw new IllegalStateException("injected kernel failure"); }
                @Override public void accept(int tokenId) { }
                @Override public boolean canStop() { return true; }
                @Override public boolean isComplete() { return false; }
            }, r.topLogprobs(), r.deadlineNanos());
            HttpResponse<String> r = t.post("/v1/chat/completions", TestServer.chat("hi", 4, null));
            assertEquals(500, r.statusCode(), r.body());
            JsonNode e = TestServer.json(r.body()).get("error");
            assertEquals("api_error", e.path("type").asText());
            assertEquals(r.headers().firstValue("X-Request-Id").orElse("?"), e.path("request_id").asText());
            String streamed = t.post("/v1/chat/completions", TestServer.chat("hi", 4, "\"stream\":true")).body();
            assertTrue(streamed.contains("\"type\":\"api_error\""), streamed);
            t.engine.hook = x -> x;
            assertEquals(200, t.post("/v1/chat/completions", TestServer.chat("hi", 2, null)).statusCode());
            assertTrue(t.get("/metrics").body().contains("jemma:http_internal_errors_total 2"));
            assertTrue(t.awaitIdle(5_000));
        }
    }
}
