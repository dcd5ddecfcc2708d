package dev.jemma.bench;

import dev.jemma.tensor.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
/**
 * The roofline's denominator: read bandwidth from memory, summing a 512 MiB off-heap buffer (far larger than
 * the caches) with vector loads on the engine's worker pool. Bytes read per second is the {@code weightBytes} rate.
 */
public class BandwidthBench extends BenchDefaults implements WorkerPool.RangeTask {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final long BYTES = 512L << 20;
    private static final int CHUNK = 1 << 16;

    @Param({"1", "2"})
    public int threads;

    private Arena arena;
    private MemorySegment buffer;
    private WorkerPool pool;
    private final float[] sums = new float[64];

    @Setup
    public void open() {
        arena = Arena.ofShared();
        buffer = arena.allocate(BYTES, 64);
        buffer.fill((byte) 1);
        pool = new WorkerPool(threads);
    }

    @TearDown
    public void close() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float read(Traffic t) {
        pool.run((int) (BYTES / CHUNK), this);
        t.weightBytes += BYTES;
        float s = 0;
        for (int i = 0; i < threads; i++) s += sums[i];
        return s;
    }

    @Override
    public void run(int worker, int start, int end) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int step = F.vectorByteSize();
        for (long off = (long) start * CHUNK, stop = (long) end * CHUNK; off < stop; off += 4L * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, buffer, off, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, buffer, off + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, buffer, off + 2L * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, buffer, off + 3L * step, ByteOrder.LITTLE_ENDIAN));
        }
        sums[worker] = a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
