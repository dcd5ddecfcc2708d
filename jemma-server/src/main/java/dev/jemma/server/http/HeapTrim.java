package dev.jemma.server.http;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Gives memory back after a spike. A request with a large body (a million-character prompt) leaves tens of
 * megabytes of garbage in the old generation, and the collector keeps the grown heap until a full collection; so a
 * few seconds after the last large request (when its garbage is unreachable), one full collection runs, and the
 * launcher's heap flags (MaxHeapFreeRatio, no shrinking in steps) let it return the free heap to the system.
 * Debounced: a burst of large requests causes one collection.
 */
final class HeapTrim {
    /** bodies at least this large trigger a trim */
    static final long LARGE_BODY = 256 << 10;
    private static final long DELAY_MS = 2000;
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jemma-heap-trim");
        t.setDaemon(true);
        return t;
    });
    private static ScheduledFuture<?> pending;

    private HeapTrim() {
    }

    static synchronized void afterBody(long bytes) {
        if (bytes < LARGE_BODY) return;
        if (pending != null) pending.cancel(false);
        pending = TIMER.schedule(HeapTrim::collect, DELAY_MS, TimeUnit.MILLISECONDS);
    }

    @SuppressWarnings("java:S1215") // an explicit collection is the point: nothing else shrinks a Parallel-GC heap
    private static void collect() {
        System.gc();
    }
}
