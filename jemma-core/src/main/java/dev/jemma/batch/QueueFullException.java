package dev.jemma.batch;

import dev.jemma.JemmaException;

/** Every slot is busy and the waiting queue is full: retry later (a server answers 503 with Retry-After). */
public final class QueueFullException extends JemmaException {
    public QueueFullException(int slots, int queue) {
        super("all " + slots + " slots are busy and " + queue + " requests are already waiting");
    }
}
