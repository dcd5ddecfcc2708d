package dev.jemma.server;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Server acceptance (c): 1,000 streaming clients that disconnect mid-stream, eight at a time. Afterwards the
 * active-slot gauge is 0, no request is in flight, every request was cancelled, and the heap after a full GC
 * is back near its baseline (no per-request leak).
 */
@Tag("long")
class ManyDisconnectsTest {
    static final int CLIENTS = 1000, PARALLEL = 8;

    static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
            best = Math.min(best, mem.getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    /** One client: streams a chat, reads a few events, hangs up; retries when the server says it is full. */
    static void client(TestServer s, int i, AtomicInteger refused) throws Exception {
        String body = TestServer.chat("Tell me a story about the number " + i + ".", 200, "\"stream\":true");
        while (true) {
            try (Socket sock = ConcurrencyTest.openStream(s, body, 3)) {
                byte[] head = new byte[12];
                // openStream read up to 3 data events; a 503 has none, so the socket is at its end
                if (sock.getInputStream().read(head) < 0) {
                    refused.incrementAndGet();
                    Thread.sleep(20);
                    continue;
                }
            }
            return;
        }
    }

    @Test
    void thousandDisconnectsLeaveNoActiveSlotsAndNoHeapGrowth() throws Exception {
        try (TestServer s = new TestServer(c -> c.withSlots(4, 64));
             ExecutorService pool = Executors.newFixedThreadPool(PARALLEL)) {
            AtomicInteger refused = new AtomicInteger();
            for (int i = 0; i < 16; i++) client(s, i, refused); // warm-up: JIT, buffers, slot states
            assertTrue(s.awaitIdle(30_000));
            long baseline = usedHeapAfterGc();
            long cancelledBefore = s.engine.metrics().requestsCancelled();
            long t0 = System.nanoTime();
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int id = i;
                all.add(pool.submit(() -> {
                    client(s, id, refused);
                    return null;
                }));
            }
            for (Future<?> f : all) f.get();
            assertTrue(s.awaitIdle(60_000), "slots were not all released");
            double secs = (System.nanoTime() - t0) / 1e9;
            long after = usedHeapAfterGc();
            var m = s.engine.metrics();
            String metrics = s.get("/metrics").body();
            System.out.printf("1000 disconnects in %.1f s: cancelled %d, refused and retried %d, heap %.1f -> %.1f MiB%n", secs,
                    m.requestsCancelled() - cancelledBefore, refused.get(), baseline / 1048576.0, after / 1048576.0);
            assertTrue(metrics.contains("\njemma:requests_processing 0\n"), metrics);
            assertEquals(0, s.engine.metrics().activeSlots());
            assertEquals(0, s.server.inFlight());
            assertTrue(m.requestsCancelled() - cancelledBefore >= CLIENTS - PARALLEL, "clients that left were cancelled");
            assertTrue(after < baseline + (16L << 20), "heap grew from " + baseline + " to " + after + " bytes");
        }
    }
}
