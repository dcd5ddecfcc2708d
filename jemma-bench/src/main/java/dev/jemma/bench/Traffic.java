package dev.jemma.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary results of a kernel benchmark, reported by JMH as rates: {@code weightBytes} (bytes of stored weights
 * read per second, comparable with the memory bandwidth) and {@code macs} (multiply-adds per second).
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Traffic {
    public long weightBytes;
    public long macs;

    @Setup(Level.Iteration)
    public void reset() {
        weightBytes = 0;
        macs = 0;
    }
}
