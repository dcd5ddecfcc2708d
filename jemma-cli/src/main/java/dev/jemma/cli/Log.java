package dev.jemma.cli;

/** Messages for people go to stderr, so stdout stays machine-readable. */
final class Log {
    static volatile boolean quiet;

    private Log() {}

    static void info(String message) {
        if (!quiet) System.err.println("jemma: " + message);
    }
}
