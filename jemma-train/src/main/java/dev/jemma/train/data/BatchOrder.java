package dev.jemma.train.data;

/**
 * Which rows make up global batch k, computed from k alone so a run resumed at batch k sees exactly the batches it
 * would have seen. Without shuffle the file is an endless stream: batch k is rows kB … kB + B − 1 modulo the row
 * count (so with 5 rows and B = 2: [0,1] [2,3] [4,0] [1,2] …). With shuffle, an epoch is {@link #stepsPerEpoch()} =
 * ceil(rows / batch) batches taken B at a time from a permutation drawn from a generator seeded by (seed, epoch);
 * the epoch's last batch, when rows is not a multiple of B, wraps to the start of that same permutation, so every
 * epoch sees every row and the next one begins afresh.
 *
 * <p>The generator is SplitMix64 written out here, so orders never change with the JDK. Not thread-safe (it keeps
 * the current epoch's permutation).
 */
public final class BatchOrder {
    private final int rows;
    private final int batch;
    private final boolean shuffle;
    private final long seed;
    private final long stepsPerEpoch;
    private long cachedEpoch = -1;
    private int[] cachedOrder;

    public BatchOrder(int rows, int batch, boolean shuffle, long seed) {
        if (rows < 1) throw new IllegalArgumentException("rows must be ≥ 1, got " + rows);
        if (batch < 1) throw new IllegalArgumentException("batch must be ≥ 1, got " + batch);
        this.rows = rows;
        this.batch = batch;
        this.shuffle = shuffle;
        this.seed = seed;
        this.stepsPerEpoch = (rows + (long) batch - 1) / batch;
    }

    public int rows() {
        return rows;
    }

    public int batchSize() {
        return batch;
    }

    /** ceil(rows / batch). */
    public long stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** The epoch (from 0) that global batch k belongs to. */
    public long epochOf(long k) {
        checkIndex(k);
        return shuffle ? k / stepsPerEpoch : k * batch / rows;
    }

    /** The row indices of global batch k (k ≥ 0), B of them. */
    public int[] batch(long k) {
        checkIndex(k);
        int[] out = new int[batch];
        if (!shuffle) {
            // the file as an endless stream: batch k is rows kB … kB + B − 1, wrapping at the end
            long first = Math.floorMod(k * batch, (long) rows);
            for (int i = 0; i < batch; i++) out[i] = (int) ((first + i) % rows);
            return out;
        }
        long epoch = k / stepsPerEpoch;
        long first = (k % stepsPerEpoch) * batch;
        int[] order = order(epoch);
        for (int i = 0; i < batch; i++) out[i] = order[(int) ((first + i) % rows)];
        return out;
    }

    private static void checkIndex(long k) {
        if (k < 0) throw new IllegalArgumentException("batch index must be ≥ 0, got " + k);
    }

    /** Epoch e's permutation of the rows: Fisher–Yates driven by SplitMix64 seeded from (seed, e). */
    private int[] order(long epoch) {
        if (epoch == cachedEpoch) return cachedOrder;
        int[] p = new int[rows];
        for (int i = 0; i < rows; i++) p[i] = i;
        long state = mix(seed ^ mix(epoch + 0x632BE59BD9B4E019L));
        for (int i = rows - 1; i > 0; i--) {
            state += GOLDEN;
            int j = bounded(mix(state), i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        cachedEpoch = epoch;
        cachedOrder = p;
        return p;
    }

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** SplitMix64's output function. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A value in [0, bound) from 64 random bits (multiply-high: the bias, below 2^-32, is immaterial for ordering). */
    private static int bounded(long bits, int bound) {
        return (int) Math.multiplyHigh(bits >>> 1, (long) bound << 1);
    }
}
