package dev.jemma.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
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
    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle MADVISE;
    /** Linux's MADV_HUGEPAGE, and the huge page size it asks for on x86-64 */
    private static final int MADV_HUGEPAGE = 14;
    private static final long HUGE_PAGE = 2L << 20;

    static {
        MethodHandle calloc = null, free = null, aligned = null, madvise = null;
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            calloc = linker.downcallHandle(libc.findOrThrow("calloc"), FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_LONG));
            free = linker.downcallHandle(libc.findOrThrow("free"), FunctionDescriptor.ofVoid(ADDRESS));
            aligned = linker.downcallHandle(libc.findOrThrow("aligned_alloc"), FunctionDescriptor.of(ADDRESS, JAVA_LONG, JAVA_LONG));
            madvise = libc.find("madvise").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT))).orElse(null);
        } catch (RuntimeException | Error e) {
            calloc = free = aligned = madvise = null;
        }
        CALLOC = calloc;
        FREE = free;
        ALIGNED_ALLOC = aligned;
        MADVISE = madvise;
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

    /**
     * {@code bytes} of uninitialised memory for data read over and over (a model's weights), freed when {@code arena}
     * closes: aligned to 2 MiB and, on Linux, advised to be backed by transparent huge pages. Streaming weights from
     * 4 KiB pages (a mapped file) costs a page walk and a restart of the hardware prefetcher every 4 KiB; on the 1B
     * Q4_0 file the native decode kernel streamed 14.5 GB/s from the mapping and 17.0 GB/s from such a copy (2
     * threads, Zen 2). Without the C library's calls this is an arena allocation (zeroed, 4 KiB pages).
     */
    public static MemorySegment allocateForStreaming(Arena arena, long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        if (ALIGNED_ALLOC == null || bytes == 0) return arena.allocate(bytes, 64);
        long rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        MemorySegment p;
        try {
            p = (MemorySegment) ALIGNED_ALLOC.invokeExact(HUGE_PAGE, rounded);
        } catch (Throwable e) {
            throw new IllegalStateException("aligned_alloc failed", e);
        }
        if (p.equals(MemorySegment.NULL)) throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of native memory");
        if (MADVISE != null) {
            try {
                int ignored = (int) MADVISE.invokeExact(p, rounded, MADV_HUGEPAGE); // advice only: failure changes nothing
            } catch (Throwable e) {
                // huge pages are an optimization
            }
        }
        return p.reinterpret(rounded, arena, ZeroedMemory::free).asSlice(0, bytes);
    }

    private static void free(MemorySegment p) {
        try {
            FREE.invokeExact(p);
        } catch (Throwable e) {
            throw new IllegalStateException("free failed", e);
        }
    }
}
