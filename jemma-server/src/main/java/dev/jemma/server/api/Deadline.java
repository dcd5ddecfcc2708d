package dev.jemma.server.api;

import java.time.Duration;

/** When a request's generation must end: the server's request timeout, or a shorter "timeout" (seconds) it asks for. */
final class Deadline {
    private Deadline() {}

    /** A {@link System#nanoTime()} deadline; the same field and rule in every API. */
    static long of(Params p, Duration serverTimeout) {
        double max = serverTimeout.toMillis() / 1000.0;
        double t = p.number("timeout", max, 0.001, max);
        return System.nanoTime() + (long) (t * 1e9);
    }
}
