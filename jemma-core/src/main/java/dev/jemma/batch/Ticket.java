package dev.jemma.batch;

/** A submitted request. Thread-safe. */
public interface Ticket {
    /** Stops the request within one decode step and releases its slot and KV cache; no-op once done. */
    void cancel();

    boolean isDone();
}
