package dev.jemma.model;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory a new allocation can use without swapping: Linux's MemAvailable (free memory plus
 * reclaimable page cache), else the JVM's view of free physical memory. Checked before a KV cache
 * is allocated, so a context that does not fit fails with numbers instead of thrashing.
 */
public final class AvailableMemory {
    private AvailableMemory() {}

    public static long bytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: fall back below
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getFreeMemorySize();
        }
        return Long.MAX_VALUE;
    }

    public static String mib(long bytes) {
        return String.format("%,.0f MiB", bytes / 1048576.0);
    }
}
