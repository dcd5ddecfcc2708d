package dev.jemma.server.http;

import java.util.concurrent.atomic.AtomicLong;

/** Server-wide counts for /metrics: requests received, and those answered with an internal error. */
public final class RequestCounters {
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong internalErrors = new AtomicLong();

    void received() {
        received.incrementAndGet();
    }

    /** A 500, or an error event in a stream that had started. */
    public void internalError() {
        internalErrors.incrementAndGet();
    }

    public long receivedCount() {
        return received.get();
    }

    public long internalErrorCount() {
        return internalErrors.get();
    }
}
