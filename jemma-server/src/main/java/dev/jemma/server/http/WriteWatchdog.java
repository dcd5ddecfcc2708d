package dev.jemma.server.http;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Bounds how long a write to a client may block. A client that stops reading fills the socket buffers and the
 * writing thread blocks; after the timeout the watchdog interrupts it, which closes the socket channel (an
 * interruptible channel) and turns the blocked write into an IOException, so the request is cancelled and its
 * connection closed instead of being held forever.
 */
public final class WriteWatchdog implements AutoCloseable {
    private final long timeoutNanos;
    private final ConcurrentHashMap<Thread, Long> writing = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;

    public WriteWatchdog(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true).name("jemma-write-watchdog").unstarted(r));
        long period = Math.max(50, Math.min(1000, timeout.toMillis() / 4));
        timer.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    /** Marks the current thread as writing; pair with {@link #end()} in a finally block. */
    public void begin() {
        writing.put(Thread.currentThread(), System.nanoTime());
    }

    public void end() {
        writing.remove(Thread.currentThread());
        Thread.interrupted(); // a late interrupt must not leak into the next request on this thread
    }

    private void check() {
        long now = System.nanoTime();
        writing.forEach((t, since) -> {
            if (now - since > timeoutNanos && writing.remove(t, since)) t.interrupt();
        });
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
