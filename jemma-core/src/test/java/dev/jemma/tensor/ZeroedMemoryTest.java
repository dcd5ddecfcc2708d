package dev.jemma.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ZeroedMemoryTest {
    @Test
    void buffersAreZeroWritableAndFreedWithTheirArena() {
        MemorySegment big, small;
        try (Arena arena = Arena.ofShared()) {
            big = ZeroedMemory.allocate(arena, 64L << 20);
            small = ZeroedMemory.allocate(arena, 100);
            assertEquals(64L << 20, big.byteSize());
            assertEquals(100, small.byteSize());
            for (long off = 0; off < big.byteSize(); off += 4096 * 7 + 12) assertEquals(0L, big.get(ValueLayout.JAVA_BYTE, off));
            for (long off = 0; off < small.byteSize(); off++) assertEquals(0, small.get(ValueLayout.JAVA_BYTE, off));
            big.set(ValueLayout.JAVA_FLOAT_UNALIGNED, big.byteSize() - 4, 1.5f);
            assertEquals(1.5f, big.get(ValueLayout.JAVA_FLOAT_UNALIGNED, big.byteSize() - 4));
            assertEquals(0, ZeroedMemory.allocate(arena, 0).byteSize());
        }
        assertFalse(big.scope().isAlive(), "freed with the arena");
        assertThrows(IllegalStateException.class, () -> small.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void streamingBuffersAreAlignedWritableAndFreedWithTheirArena() {
        MemorySegment s;
        try (Arena arena = Arena.ofShared()) {
            s = ZeroedMemory.allocateForStreaming(arena, (5L << 20) + 3);
            assertEquals((5L << 20) + 3, s.byteSize());
            assertEquals(0, s.address() % 64, "vector-aligned at least");
            s.set(ValueLayout.JAVA_BYTE, s.byteSize() - 1, (byte) 7);
            assertEquals(7, s.get(ValueLayout.JAVA_BYTE, s.byteSize() - 1));
            assertThrows(IndexOutOfBoundsException.class, () -> s.get(ValueLayout.JAVA_BYTE, s.byteSize()));
        }
        assertFalse(s.scope().isAlive(), "freed with the arena");
    }

    @Test
    void impossibleSizesFailAsAnArenaDoes() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> ZeroedMemory.allocate(arena, -1));
            assertThrows(OutOfMemoryError.class, () -> ZeroedMemory.allocate(arena, Long.MAX_VALUE / 2));
            assertThrows(IllegalArgumentException.class, () -> ZeroedMemory.allocateForStreaming(arena, -1));
            assertThrows(OutOfMemoryError.class, () -> ZeroedMemory.allocateForStreaming(arena, Long.MAX_VALUE / 2));
        }
    }
}
