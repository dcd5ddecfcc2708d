package dev.jemma.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The hot paths allocate nothing: once compiled, every kernel's dot and dequantize run without allocating (a
 * vector passed to or returned from a helper that C2 does not inline is boxed on every call, which once made
 * Q6_K's dot allocate 4 KB per row and run at a third of its speed). The interpreter boxes too, so each round
 * runs the kernels many times and the test passes on the first round that allocates (almost) nothing.
 */
class KernelAllocationTest {
    private static final int CALLS = 20_000, ROUNDS = 30;
    /** Slack for anything the JVM itself charges to the thread during a round (a round of boxing is megabytes). */
    private static final long SLACK_BYTES = 4096;

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void dotAndDequantizeAllocateNothingOnceCompiled(GGMLType type) throws Exception {
        byte[] raw = Files.readAllBytes(QuantFixtures.dir().resolve(type.name() + ".bin"));
        int cols = QuantFixtures.COLS;
        long rowBytes = type.rowBytes(cols);
        RowKernel k = RowKernels.forType(type);
        float[] x = new float[cols], out = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (i % 13 - 6) * 0.1f;
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(raw.length, 64);
            MemorySegment.copy(raw, 0, seg, ValueLayout.JAVA_BYTE, 0, raw.length);
            long last = -1;
            float sink = 0;
            for (int round = 0; round < ROUNDS; round++) {
                long before = threads.getThreadAllocatedBytes(tid);
                for (int i = 0; i < CALLS; i++) {
                    long off = (i % QuantFixtures.ROWS) * rowBytes;
                    sink += k.dot(seg, off, x, 0, cols);
                    k.dequantize(seg, off, out, 0, cols);
                }
                last = threads.getThreadAllocatedBytes(tid) - before;
                if (last <= SLACK_BYTES) return;
            }
            fail(type + ": the kernels still allocate " + last + " bytes per " + CALLS + " calls after " + ROUNDS
                    + " rounds (sum " + sink + ")");
        }
    }
}
