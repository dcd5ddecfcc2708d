package dev.jemma.cli;

/** Messages for people go to stderr, so stdout stays machine-readable. */
public final class Log {
    static volatile boolean quiet;

    private Log() {}

    public static void info(String message) {
        if (!quiet) System.err.println("jemma: " + message);
    }
}
