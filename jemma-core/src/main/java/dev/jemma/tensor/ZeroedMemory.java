package dev.jemma.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Large zero-filled native buffers whose pages the operating system supplies only when first written. An
 * {@link Arena#allocate} writes zeros over the whole buffer at once, and a KV cache sized for the whole context
 * (100 MB for the 270M at 32K positions) cost ~100 ms of a one-shot command's start-up and its full size in
 * resident memory before a single position was used. The C library's {@code calloc} (called through FFM) maps
 * large blocks from fresh zero pages and skips the fill. Where it cannot be called, this falls back to the arena.
 */
public final class ZeroedMemory {
    private static final MethodHandle CALLOC;
    private static final MethodHandle FREE;

    static {
        MethodHandle calloc = null, free = null;
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            calloc = linker.downcallHandle(libc.findOrThrow("calloc"), FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_LONG));
            free = linker.downcallHandle(libc.findOrThrow("free"), FunctionDescriptor.ofVoid(ADDRESS));
        } catch (RuntimeException | Error e) {
            calloc = free = null;
        }
        CALLOC = calloc;
        FREE = free;
    }

    private ZeroedMemory() {}

    /**
     * {@code bytes} zero bytes, freed when {@code arena} closes. Throws {@link OutOfMemoryError} when the memory
     * cannot be had, as {@link Arena#allocate} does.
     */
    public static MemorySegment allocate(Arena arena, long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        if (CALLOC == null || bytes == 0) return arena.allocate(bytes, 64);
        MemorySegment p;
        try {
            p = (MemorySegment) CALLOC.invokeExact(1L, bytes);
        } catch (Throwable e) {
            throw new IllegalStateException("calloc failed", e);
        }
        if (p.equals(MemorySegment.NULL)) throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of native memory");
        return p.reinterpret(bytes, arena, ZeroedMemory::free);
    }

    private static void free(MemorySegment p) {
        try {
            FREE.invokeExact(p);
        } catch (Throwable e) {
            throw new IllegalStateException("free failed", e);
        }
    }
}
