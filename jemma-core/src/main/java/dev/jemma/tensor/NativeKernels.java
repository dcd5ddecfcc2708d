package dev.jemma.tensor;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The optional native kernel library (C source in jemma-core/src/main/c, compiled by the Maven build when the
 * machine has a C compiler), called through FFM. It holds leaf kernels only: activation quantization to Q8_0 /
 * Q8_K blocks and integer row-by-token products for Q4_0, Q5_0, Q8_0, Q4_K and Q6_K weights, in an AVX2 and an
 * AVX-512 VNNI build. The VNNI build also multiplies weights repacked into sixteen-row interleaved groups
 * ({@link #packs}); its row kernels give the AVX2 build's bits, its interleaved ones their own (each the same for
 * every call shape). Threads, buffers and everything else stay in Java.
 *
 * <p>The calls are "critical" downcalls, so they take Java arrays directly (no copies) and must be short: one
 * call covers one worker's rows of one product. The library is found as a class-path resource; from a jar it is
 * copied once to ~/.cache/jemma/native/&lt;hash&gt;/ (atomically). {@code -Djemma.native.library=PATH} names
 * another file. When anything is missing, {@link #available()} is false and {@link #unavailableReason()} says why.
 */
public final class NativeKernels {
    static final int VERSION = 3;
    /** activation block kinds: Q8_0_TOTAL is Q8_0 with the block's total instead of each four's, for interleaved weights */
    static final int Q8_0 = 0, Q8_K = 1, Q8_0_TOTAL = 2;
    private static final String RESOURCE = "native/linux-x86_64/libjemma_kernels.so";

    private static final MethodHandle QUANTIZE;
    private static final MethodHandle MATMUL;
    /** the interleaved weights' kernels: in the AVX-512 VNNI build only (null otherwise) */
    private static final MethodHandle PACKED_BYTES, REPACK, MATMUL_PACKED;
    private static final String VARIANT;
    private static final String UNAVAILABLE;

    static {
        MethodHandle q = null, m = null, pb = null, rp = null, mp = null;
        String variant = null, why = null;
        try {
            Path lib = locate();
            SymbolLookup syms = SymbolLookup.libraryLookup(lib, Arena.global());
            Linker linker = Linker.nativeLinker();
            int version = (int) linker.downcallHandle(syms.findOrThrow("jk_version"), FunctionDescriptor.of(JAVA_INT)).invokeExact();
            if (version != VERSION) throw new IllegalStateException("library " + lib + " is version " + version + ", expected " + VERSION);
            int features = (int) linker.downcallHandle(syms.findOrThrow("jk_features"), FunctionDescriptor.of(JAVA_INT)).invokeExact();
            if ((features & 1) == 0) throw new IllegalStateException("this CPU lacks AVX2, FMA or F16C");
            String prefix = (features & 2) != 0 && !Boolean.getBoolean("jemma.native.noVnni") ? "jk_vnni_" : "jk_avx2_";
            variant = prefix.equals("jk_vnni_") ? "avx512-vnni" : "avx2";
            Linker.Option critical = Linker.Option.critical(true);
            q = linker.downcallHandle(syms.findOrThrow(prefix + "quantize"),
                    FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), critical);
            m = linker.downcallHandle(syms.findOrThrow(prefix + "matmul"),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT,
                            ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), critical);
            if (prefix.equals("jk_vnni_")) {
                pb = linker.downcallHandle(syms.findOrThrow(prefix + "packed_bytes"), FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT));
                rp = linker.downcallHandle(syms.findOrThrow(prefix + "repack"),
                        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                        critical);
                mp = linker.downcallHandle(syms.findOrThrow(prefix + "matmul_packed"),
                        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT,
                                ADDRESS, JAVA_LONG, JAVA_LONG), critical);
            }
        } catch (Throwable e) {
            q = m = pb = rp = mp = null;
            variant = null;
            why = e.getMessage() != null ? e.getMessage() : e.toString();
        }
        QUANTIZE = q;
        MATMUL = m;
        PACKED_BYTES = pb;
        REPACK = rp;
        MATMUL_PACKED = mp;
        VARIANT = variant;
        UNAVAILABLE = why;
    }

    private NativeKernels() {}

    /** Whether the library is loaded and this CPU runs it. */
    public static boolean available() {
        return MATMUL != null;
    }

    /** Why {@link #available()} is false (null when it is true). */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** "avx2" or "avx512-vnni" (null when unavailable). */
    public static String variant() {
        return VARIANT;
    }

    /** FAST chunks of fewer tokens than this take the integer kernels on every CPU (see {@link #integerPrefill}). */
    static final int SHORT_CHUNK = 32;
    /** null: by the rule below; else forced by -Djemma.native.prefill */
    private static final Boolean PREFILL_SETTING = prefillSetting();

    /**
     * Whether a FAST product of this many tokens (a prefill chunk) takes the integer kernels.
     * <ul>
     * <li>With AVX-512 VNNI, always: one instruction does a block's 32 multiply-adds.</li>
     * <li>On AVX2 alone, below {@link #SHORT_CHUNK} tokens. There each block costs two multiply-add instructions per
     * (row, token) plus a conversion and a scaled add. That loses to the f32 token tile's FMAs once a chunk amortizes
     * dequantization (the 270M on Zen 2, integer against tile: pp8 131/92, pp16 246/244, pp32 209/234, pp128
     * 301/370 tokens/s).</li>
     * <li>Short chunks take the integer kernels anyway: those are the prompts of one-shot commands, which run before
     * the JIT has compiled the tile (first token of a 20-token prompt after launch: 1.58 s against 2.24 s).</li>
     * </ul>
     * Decode, verification and batch-invariant steps always take them. {@code -Djemma.native.prefill=true|false}
     * overrides, to measure.
     */
    public static boolean integerPrefill(int tokens) {
        if (PREFILL_SETTING != null) return PREFILL_SETTING;
        return "avx512-vnni".equals(VARIANT) || tokens < SHORT_CHUNK;
    }

    private static Boolean prefillSetting() {
        String v = System.getProperty("jemma.native.prefill");
        if (v == null || v.isBlank() || v.equals("auto")) return null;
        return Boolean.parseBoolean(v);
    }

    /** Whether weights of this type have a native kernel. */
    public static boolean supports(GGMLType type) {
        return activationKind(type) >= 0;
    }

    /** The activation blocks a weight type multiplies with: {@link #Q8_0}, {@link #Q8_K}, or -1 for none. */
    static int activationKind(GGMLType type) {
        return switch (type) {
            case Q4_0, Q5_0, Q8_0 -> Q8_0;
            case Q4_K, Q6_K -> Q8_K;
            default -> -1;
        };
    }

    /**
     * Bytes of one token's quantized activations of {@code cols} columns: Q8_0 blocks as llama.cpp's with the f16
     * scale widened to f32 and −8 × each four quants' sum as int32 (68 bytes: the weights' unsigned codes then need
     * no sign operations), Q8_K blocks as llama.cpp's (292 bytes).
     */
    static long activationBytes(int kind, int cols) {
        return switch (kind) {
            case Q8_0 -> cols / 32 * 68L;
            case Q8_0_TOTAL -> cols / 32 * 40L;
            default -> cols / 256 * 292L;
        };
    }

    /**
     * Whether weights of this type are repacked for the native kernels: Q4_0, Q5_0, Q8_0, Q4_K and Q6_K in the
     * AVX-512 VNNI build, sixteen rows interleaved so that one 512-bit multiply-add covers four columns of sixteen
     * rows (the layouts are in jemma_kernels.c). Their products take activations of kind
     * {@link #packedActivationKind}.
     */
    static boolean packs(GGMLType type) {
        return MATMUL_PACKED != null && supports(type);
    }

    /** The activation blocks interleaved weights of this type multiply with: Q8_0 with totals, or Q8_K. */
    static int packedActivationKind(GGMLType type) {
        return activationKind(type) == Q8_0 ? Q8_0_TOTAL : Q8_K;
    }

    /** Bytes of the interleaved form of a rows × cols matrix of a type {@link #packs packed}. */
    static long packedBytes(GGMLType type, int rows, int cols) {
        long n;
        try {
            n = (long) PACKED_BYTES.invokeExact(type.id, rows, cols);
        } catch (Throwable e) {
            throw new IllegalStateException("native packed_bytes failed", e);
        }
        if (n < 0) throw new UnsupportedTensorTypeException(type);
        return n;
    }

    /**
     * Writes groups g0 ≤ g &lt; g1 (sixteen rows each) of w's interleaved form into packed (sized by {@link #packedBytes}).
     * A critical call (the weights may be a heap segment): callers keep each call to a few hundred KiB.
     */
    static void repack(WeightMatrix w, MemorySegment packed, int g0, int g1) {
        if (g0 < 0 || g1 > (w.rows + 15) / 16 || packed.byteSize() < packedBytes(w.type, w.rows, w.cols)) {
            throw new IndexOutOfBoundsException(w.name + ": repack out of bounds");
        }
        int rc;
        try {
            rc = (int) REPACK.invokeExact(w.type.id, w.data, 0L, w.rowBytes, w.rows, w.cols, packed, g0, g1);
        } catch (Throwable e) {
            throw new IllegalStateException("native repack failed", e);
        }
        if (rc != 0) throw new UnsupportedTensorTypeException(w.type);
    }

    /**
     * out[outOff + t·outStride + (r − r0)] = row r · token t of xq (kind {@link #Q8_0_TOTAL}), r0 ≤ r &lt; r1, t &lt; tokens,
     * from the interleaved weights.
     */
    static void matmulPacked(GGMLType type, MemorySegment packed, int r0, int r1, int cols, MemorySegment xq, long xqStride, int tokens,
                             MemorySegment out, long outOff, long outStride) {
        int rc;
        try {
            rc = (int) MATMUL_PACKED.invokeExact(type.id, packed, r0, r1, cols, xq, xqStride, tokens, out, outOff, outStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native matmul_packed failed", e);
        }
        if (rc != 0) throw new UnsupportedTensorTypeException(type);
    }

    /**
     * Quantizes x[xOff + t·xStride ..][0, cols) for t &lt; tokens into out (token t at byte outOff + t·outStride).
     * cols must be a multiple of the block (32 for Q8_0 and Q8_0_TOTAL, 256 for Q8_K).
     */
    static void quantize(int kind, MemorySegment x, long xOff, long xStride, int tokens, int cols, MemorySegment out, long outOff,
                         long outStride) {
        try {
            QUANTIZE.invokeExact(kind, x, xOff, xStride, tokens, cols, out, outOff, outStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native quantize failed", e);
        }
    }

    /** out[outOff + t·outStride + r] = row r (at byte wOff + r·rowBytes of w) · token t of xq, r &lt; rows, t &lt; tokens. */
    static void matmul(GGMLType type, MemorySegment w, long wOff, long rowBytes, int rows, int cols, MemorySegment xq, long xqStride,
                       int tokens, MemorySegment out, long outOff, long outStride) {
        int rc;
        try {
            rc = (int) MATMUL.invokeExact(type.id, w, wOff, rowBytes, rows, cols, xq, xqStride, tokens, out, outOff, outStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native matmul failed", e);
        }
        if (rc != 0) throw new UnsupportedTensorTypeException(type);
    }

    private static Path locate() throws IOException {
        String override = System.getProperty("jemma.native.library");
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override);
            if (!Files.isRegularFile(p)) throw new IOException("jemma.native.library: no file " + p);
            return p;
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new IOException("no native kernels for " + os + "/" + arch + " (Linux x86-64 only)");
        }
        URL url = NativeKernels.class.getResource(RESOURCE);
        if (url == null) throw new IOException("the library was not built (no C compiler when Jemma was built?)");
        if (url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI());
            } catch (java.net.URISyntaxException e) {
                throw new IOException(e);
            }
        }
        byte[] bytes;
        try (InputStream in = url.openStream()) {
            bytes = in.readAllBytes();
        }
        String hash = hash(bytes);
        Path dir = dev.jemma.CacheRoot.path().resolve("native").resolve(hash);
        Path lib = dir.resolve("libjemma_kernels.so");
        // a copy made before is used only if it is still the same bytes
        if (Files.isRegularFile(lib) && Files.size(lib) == bytes.length && hash(Files.readAllBytes(lib)).equals(hash)) return lib;
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "libjemma_kernels", ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, lib, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return lib;
    }

    private static String hash(byte[] bytes) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }
}
