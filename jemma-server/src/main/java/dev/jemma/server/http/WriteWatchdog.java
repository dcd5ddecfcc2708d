package dev.jemma.server.http;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Bounds how long a write to a client may block. A client that stops reading fills the socket buffers and the
 * writing thread blocks; after the timeout the watchdog aborts the exchange (the transport closes its socket,
 * which makes a blocked write throw whatever thread it runs on) and interrupts the thread (socket I/O on a
 * virtual thread is interruptible too), so the blocked write becomes an IOException, the request is cancelled and
 * its connection closed instead of being held forever.
 */
public final class WriteWatchdog implements AutoCloseable {
    private final long timeoutNanos;
    private final ConcurrentHashMap<Thread, Write> writing = new ConcurrentHashMap<>();

    private record Write(long since, Runnable abort) {}
    private final ScheduledExecutorService timer;

    public WriteWatchdog(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true).name("jemma-write-watchdog").unstarted(r));
        long period = Math.max(50, Math.min(1000, timeout.toMillis() / 4));
        timer.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    /** Marks the current thread as writing; pair with {@link #end()} in a finally block. */
    public void begin() {
        begin(() -> {});
    }

    /** The same, with what ends the write when it blocks too long (the exchange's {@link Exchange#abort()}). */
    public void begin(Runnable abort) {
        writing.put(Thread.currentThread(), new Write(System.nanoTime(), abort));
    }

    public void end() {
        writing.remove(Thread.currentThread());
        Thread.interrupted(); // a late interrupt must not leak into the next request on this thread
    }

    private void check() {
        long now = System.nanoTime();
        writing.forEach((t, w) -> {
            if (now - w.since() > timeoutNanos && writing.remove(t, w)) {
                try {
                    w.abort().run();
                } catch (RuntimeException ignored) {
                    // the interrupt below still ends the write
                }
                t.interrupt();
            }
        });
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** Writes and flushes b under the watchdog: a write blocked past the timeout aborts the exchange. */
    void write(Exchange ex, OutputStream out, byte[] b) throws IOException {
        begin(ex::abort);
        try {
            out.write(b);
            out.flush();
        } finally {
            end();
        }
    }
}
