package dev.jemma.train.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class BatchOrderTest {
    @Test
    void withoutShuffleBatchesAreTheNextRowsInFileOrderWrappingAtTheEnd() {
        BatchOrder o = new BatchOrder(5, 2, false, 42);
        assertEquals(3, o.stepsPerEpoch());
        assertArrayEquals(new int[] {0, 1}, o.batch(0));
        assertArrayEquals(new int[] {2, 3}, o.batch(1));
        assertArrayEquals(new int[] {4, 0}, o.batch(2), "the last batch wraps to the start");
        assertArrayEquals(new int[] {1, 2}, o.batch(3), "the stream goes on where it wrapped");
        assertArrayEquals(new int[] {3, 4}, o.batch(4));
        assertEquals(0, o.epochOf(2));
        assertEquals(1, o.epochOf(3));
    }

    @Test
    void aBatchLargerThanTheFileWrapsWithinIt() {
        BatchOrder o = new BatchOrder(3, 7, false, 0);
        assertEquals(1, o.stepsPerEpoch());
        assertArrayEquals(new int[] {0, 1, 2, 0, 1, 2, 0}, o.batch(0));
        assertArrayEquals(new int[] {1, 2, 0, 1, 2, 0, 1}, o.batch(1));
        assertArrayEquals(o.batch(0), o.batch(3));
    }

    @Test
    void shuffledEpochsArePermutationsThatDifferAndDependOnlyOnSeedAndIndex() {
        int rows = 103, b = 8;
        BatchOrder o = new BatchOrder(rows, b, true, 1234);
        long steps = o.stepsPerEpoch();
        assertEquals(13, steps);
        int[][] epochs = new int[3][];
        for (int e = 0; e < 3; e++) {
            int[] seen = new int[(int) steps * b];
            for (int s = 0; s < steps; s++) System.arraycopy(o.batch(e * steps + s), 0, seen, s * b, b);
            Set<Integer> distinct = new HashSet<>();
            for (int i = 0; i < rows; i++) distinct.add(seen[i]);
            assertEquals(rows, distinct.size(), "the first rows of an epoch are a permutation");
            for (int i = rows; i < seen.length; i++) assertEquals(seen[i - rows], seen[i], "the last batch wraps to the epoch's start");
            epochs[e] = Arrays.copyOf(seen, rows);
        }
        assertFalse(Arrays.equals(epochs[0], epochs[1]));
        assertFalse(Arrays.equals(epochs[1], epochs[2]));
        // resuming: a fresh order asked for batch k alone agrees, in any order of asking
        BatchOrder resumed = new BatchOrder(rows, b, true, 1234);
        for (long k : new long[] {30, 2, 27, 13, 0}) assertArrayEquals(o.batch(k), resumed.batch(k), "batch " + k);
        assertFalse(Arrays.equals(o.batch(0), new BatchOrder(rows, b, true, 1235).batch(0)), "the seed matters");
    }

    @Test
    void theShuffleIsPinned() {
        // SplitMix64 is written out in BatchOrder, so this order is the same on every JDK; changing it breaks resumes
        BatchOrder o = new BatchOrder(10, 10, true, 7);
        assertArrayEquals(new int[] {8, 7, 0, 1, 6, 9, 2, 4, 3, 5}, o.batch(0));
        assertArrayEquals(new int[] {2, 4, 9, 3, 1, 5, 6, 7, 8, 0}, o.batch(1));
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new BatchOrder(0, 1, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new BatchOrder(1, 0, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new BatchOrder(1, 1, false, 0).batch(-1));
    }
}
