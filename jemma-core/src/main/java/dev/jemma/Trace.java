package dev.jemma;

/**
 * Start-up phase trace: with {@code -Djemma.trace=true} or {@code JEMMA_TRACE=1}, {@link #mark} prints
 * {@code jemma-trace: <ms since launch> <phase>} to stderr. Off by default, and then a mark costs one
 * branch on a constant. "Launch" is when the {@code ./jemma} launcher started (it exports
 * {@code JEMMA_LAUNCH_TIME}, bash's {@code $EPOCHREALTIME}), else the JVM's start time. (The OS process start
 * time is no use: Linux reports it against a boot time rounded to the second.)
 */
public final class Trace {
    private static final boolean ENABLED = Boolean.getBoolean("jemma.trace")
            || "1".equals(System.getenv("JEMMA_TRACE")) || "true".equalsIgnoreCase(System.getenv("JEMMA_TRACE"));
    private static final long ORIGIN_MILLIS = ENABLED ? origin() : 0;

    private Trace() {
    }

    public static boolean enabled() {
        return ENABLED;
    }

    /** Prints the phase with the milliseconds since launch, when tracing is on. */
    public static void mark(String phase) {
        if (ENABLED) System.err.println("jemma-trace: " + (System.currentTimeMillis() - ORIGIN_MILLIS) + " ms " + phase);
    }

    private static long origin() {
        String launch = System.getenv("JEMMA_LAUNCH_TIME");
        if (launch != null) {
            try {
                return (long) (Double.parseDouble(launch.replace(',', '.')) * 1000);
            } catch (NumberFormatException e) {
                // fall through to the JVM's start
            }
        }
        return java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
    }
}
