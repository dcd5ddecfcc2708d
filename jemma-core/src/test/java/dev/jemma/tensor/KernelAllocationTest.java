package dev.jemma.tensor;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hot paths allocate nothing: once compiled, every kernel's dot and dequantize, on rows memory-mapped from a
 * file as the weights are, run without allocating. (A vector passed to or returned from a helper that C2 does not
 * inline is boxed on every call; that once made Q6_K's dot allocate 4 KB per row and run at a third of its speed.)
 * It runs in a fresh JVM, so the JIT's profile is that of a process serving a model, not of the tests before it.
 * The interpreter boxes too, so each round runs the kernels many times; a type passes on the first round that
 * allocates (almost) nothing.
 */
class KernelAllocationTest {
    private static final int CALLS = 20_000, ROUNDS = 30;
    /** Slack for anything the JVM itself charges to the thread during a round (a round of boxing is megabytes). */
    private static final long SLACK_BYTES = 4096;

    @Test
    void everyKernelAllocatesNothingOnceCompiled() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Djemma.requireNative=" + Boolean.getBoolean("jemma.requireNative"), "-cp", System.getProperty("java.class.path"), KernelAllocationTest.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child JVM timed out");
        assertEquals(0, p.exitValue(), out);
    }

    /** The check itself, in the child JVM: prints each type that still allocates and exits 1 if any does. */
    public static void main(String[] args) throws IOException {
        List<String> bad = new ArrayList<>();
        for (String name : QuantFixtures.TYPES) {
            long bytes = allocatedOnceCompiled(GGMLType.valueOf(name));
            if (bytes > SLACK_BYTES) bad.add(name + ": still allocates " + bytes + " bytes per " + CALLS + " calls after " + ROUNDS + " rounds");
        }
        List<Kernels> kernels = NativeKernels.available() ? List.of(Kernels.JAVA, Kernels.NATIVE) : List.of(Kernels.JAVA);
        for (Kernels k : kernels) {
            for (Arithmetic a : Arithmetic.values()) {
                // 20 tokens: the FAST path's token tile; BATCH_INVARIANT's panel of 2 rows × 4 tokens and its tails
                long product = productAllocation(k, a, 20);
                if (product > SLACK_BYTES) bad.add(k + " " + a + " product: still allocates " + product + " bytes per round after " + ROUNDS + " rounds");
            }
            // one token: the Java kernels' batch-invariant path; every arithmetic of the native kernels. (The Java
            // fused one-token path, Q8_0's four-row dot, boxes after a deoptimization late in this run: ~2 KB per call.)
            for (Arithmetic a : k == Kernels.NATIVE ? Arithmetic.values() : new Arithmetic[] {Arithmetic.BATCH_INVARIANT}) {
                long one = productAllocation(k, a, 1);
                if (one > SLACK_BYTES) bad.add(k + " " + a + " product of one token: still allocates " + one + " bytes per round");
            }
        }
        if (Boolean.getBoolean("jemma.requireNative") && !NativeKernels.available()) bad.add("native kernels required: " + NativeKernels.unavailableReason());
        bad.forEach(System.out::println);
        System.exit(bad.isEmpty() ? 0 : 1);
    }

    /** A pooled product of {@code tokens} tokens with the given arithmetic, one thread. */
    private static long productAllocation(Kernels kernels, Arithmetic arithmetic, int tokens) throws IOException {
        byte[] raw = java.nio.file.Files.readAllBytes(QuantFixtures.dir().resolve("Q8_0.bin"));
        int cols = QuantFixtures.COLS;
        WeightMatrix w = new WeightMatrix("m", GGMLType.Q8_0, QuantFixtures.ROWS, cols, MemorySegment.ofArray(raw));
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) x[i] = (i % 13 - 6) * 0.1f;
        Rows in = Rows.packed(x, cols), out = Rows.packed(new float[tokens * w.rows], w.rows);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        try (WorkerPool pool = new WorkerPool(1)) {
            MatMul mm = new MatMul(pool, cols);
            mm.kernels(kernels);
            long last = -1;
            for (int round = 0; round < ROUNDS; round++) {
                long before = threads.getThreadAllocatedBytes(tid);
                for (int i = 0; i < CALLS / 20; i++) mm.apply(w, in, out, tokens, arithmetic);
                last = threads.getThreadAllocatedBytes(tid) - before;
                if (last <= SLACK_BYTES) return last;
            }
            return last;
        }
    }

    private static long allocatedOnceCompiled(GGMLType type) throws IOException {
        Path file = QuantFixtures.dir().resolve(type.name() + ".bin");
        int cols = QuantFixtures.COLS;
        long rowBytes = type.rowBytes(cols);
        RowKernel k = RowKernels.forType(type);
        float[] x = new float[cols], out = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (i % 13 - 6) * 0.1f;
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long last = -1;
            float sink = 0;
            for (int round = 0; round < ROUNDS; round++) {
                long before = threads.getThreadAllocatedBytes(tid);
                for (int i = 0; i < CALLS; i++) {
                    long off = (i % QuantFixtures.ROWS) * rowBytes;
                    sink += k.dot(seg, off, x, 0, cols);
                    k.dequantize(seg, off, out, 0, cols);
                    if (i % 8 == 0) k.dotRows(seg, 0, rowBytes, QuantFixtures.ROWS, x, 0, cols, out, 0);
                }
                last = threads.getThreadAllocatedBytes(tid) - before;
                if (last <= SLACK_BYTES) return last;
            }
            if (sink == 42.4242f) System.out.print(""); // keeps the calls alive
            return last;
        }
    }
}
