package dev.jemma.server;

import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A non-streaming client that hangs up is noticed while its answer is still being generated (nothing is written
 * before the end, so no failed write would tell): its slot is freed within about a second and the request is
 * counted as cancelled. A hundred such clients leave no busy slot and no heap growth.
 */
class ClientGoneTest {
    static Socket send(TestServer s, String body) throws Exception {
        Socket sock = new Socket("127.0.0.1", s.port);
        OutputStream out = sock.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
        out.flush();
        return sock;
    }

    static boolean await(long millis, java.util.function.BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) {
            if (cond.getAsBoolean()) return true;
            Thread.sleep(10);
        }
        return cond.getAsBoolean();
    }

    @Test
    void hangingUpFreesTheSlotWithinASecond() throws Exception {
        try (TestServer s = new TestServer()) {
            var before = s.engine.metrics();
            Socket sock = send(s, TestServer.chat("Write a very long story.", 2000, null));
            assertTrue(await(30_000, () -> s.engine.metrics().activeSlots() == 1), "the request never started");
            Thread.sleep(1000);
            assertEquals(1, s.engine.metrics().activeSlots(), "the generation ended before the client left");
            long tokens0 = s.engine.metrics().generatedTokens();
            long t0 = System.nanoTime();
            sock.close();
            assertTrue(await(5_000, () -> s.engine.metrics().activeSlots() == 0), "the slot was not freed");
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("slot freed %.3f s after the hang-up (%d tokens generated meanwhile)%n", secs,
                    s.engine.metrics().generatedTokens() - tokens0);
            assertTrue(secs < 2.5, "the slot was freed only after " + secs + " s");
            var after = s.engine.metrics();
            assertEquals(before.requestsCancelled() + 1, after.requestsCancelled());
            assertEquals(before.requestsCompleted(), after.requestsCompleted());
            assertTrue(s.get("/metrics").body().contains("jemma:requests_cancelled_total " + after.requestsCancelled()));
            // the server goes on serving
            assertEquals(200, s.post("/v1/chat/completions", TestServer.chat("Hi", 2, null)).statusCode());
        }
    }

    @Test
    void hundredHangUpsLeaveNoBusySlotAndFlatHeap() throws Exception {
        try (TestServer s = new TestServer()) {
            String body = TestServer.chat("Write a long story about a lighthouse.", 300, null);
            for (int i = 0; i < 5; i++) hangUp(s, body); // warm-up
            assertTrue(s.awaitIdle(10_000));
            long baseline = ManyDisconnectsTest.usedHeapAfterGc();
            var before = s.engine.metrics();
            long t0 = System.nanoTime();
            for (int i = 0; i < 100; i++) hangUp(s, body);
            assertTrue(s.awaitIdle(10_000), "slots were not all released");
            double secs = (System.nanoTime() - t0) / 1e9;
            assertTrue(secs < 120, "took " + secs + " s");
            var after = s.engine.metrics();
            long cancelled = after.requestsCancelled() - before.requestsCancelled();
            long completed = after.requestsCompleted() - before.requestsCompleted();
            assertEquals(100, after.requestsSubmitted() - before.requestsSubmitted());
            assertEquals(0, after.activeSlots() + after.queuedRequests());
            assertEquals(100, cancelled + completed);
            assertTrue(cancelled >= 95, "only " + cancelled + " of 100 were cancelled");
            assertEquals(0, s.server.inFlight());
            long heap = ManyDisconnectsTest.usedHeapAfterGc();
            System.out.printf("100 hang-ups in %.1f s: cancelled %d, heap %.1f -> %.1f MiB%n", secs, cancelled,
                    baseline / 1048576.0, heap / 1048576.0);
            assertTrue(heap < baseline + (64L << 20), "heap grew from " + baseline + " to " + heap);
        }
    }

    /**
     * Sends a request, waits until the scheduler has it, hangs up. Hang-ups can come faster than the scheduler
     * frees the slots (a cancel takes effect at its next step), so a 503 (queue full) is retried.
     */
    static void hangUp(TestServer s, String body) throws Exception {
        for (int attempt = 0; attempt < 500; attempt++) {
            long submitted = s.engine.metrics().requestsSubmitted(), rejected = s.engine.metrics().requestsRejected();
            try (Socket sock = send(s, body)) {
                assertTrue(await(10_000, () -> s.engine.metrics().requestsSubmitted() > submitted
                        || s.engine.metrics().requestsRejected() > rejected), "not submitted: " + s.engine.metrics());
                if (s.engine.metrics().requestsSubmitted() > submitted) return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the server kept refusing: " + s.engine.metrics());
    }
}
