package dev.jemma.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks every kernel against the gguf Python package's dequantizer on random blocks
 * (conformance/gen_quant_fixtures.py: 4 rows × 512 columns per type). Kept free of JUnit so that
 * {@link #main} can run the same checks in a child JVM with another vector width.
 */
final class QuantFixtures {
    static final int ROWS = 4, COLS = 512;
    static final String[] TYPES = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"};

    private QuantFixtures() {}

    static Path dir() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("jemma-core"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root");
        return p.resolve("jemma-core/src/test/resources/fixtures/quant");
    }

    static float[] floats(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    /** All mismatches of {@code type}'s kernel against the fixtures; empty when it conforms. */
    static List<String> check(GGMLType type) throws IOException {
        List<String> bad = new ArrayList<>();
        byte[] raw = Files.readAllBytes(dir().resolve(type.name() + ".bin"));
        float[] expected = floats(dir().resolve(type.name() + ".f32"));
        float[] x = floats(dir().resolve("x.f32"));
        RowKernel k = RowKernels.forType(type);
        long rowBytes = type.rowBytes(COLS);
        if (raw.length != ROWS * rowBytes || expected.length != ROWS * COLS || x.length != COLS) {
            bad.add(type + ": fixture sizes do not match");
            return bad;
        }
        float[] shifted = new float[COLS + 9];
        System.arraycopy(x, 0, shifted, 9, COLS);
        try (Arena arena = Arena.ofConfined()) {
            // rows at an odd offset inside a slice of a larger native segment: no alignment may be assumed
            MemorySegment big = arena.allocate(raw.length + 7 + 64, 64);
            MemorySegment.copy(raw, 0, big, ValueLayout.JAVA_BYTE, 7, raw.length);
            MemorySegment slice = big.asSlice(3, raw.length + 4 + 13);
            // and the same bytes in a heap segment, rows at offset 0
            MemorySegment heap = MemorySegment.ofArray(raw.clone());
            for (MemorySegment seg : new MemorySegment[] {slice, heap}) {
                long base = seg == slice ? 4 : 0;
                String where = seg == slice ? " (native slice, offset 7)" : " (heap)";
                float[] row = new float[COLS + 5];
                for (int r = 0; r < ROWS; r++) {
                    long off = base + r * rowBytes;
                    k.dequantize(seg, off, row, 5, COLS);
                    double dot = 0, mag = 0;
                    for (int i = 0; i < COLS; i++) {
                        float e = expected[r * COLS + i], g = row[5 + i];
                        boolean same = type.isQuantized() ? Math.abs(e - g) <= Math.abs(e) * 1e-6 + 1e-6
                                : Float.floatToRawIntBits(e) == Float.floatToRawIntBits(g);
                        if (!same && bad.size() < 20) bad.add(type + where + " row " + r + " element " + i + ": " + g + " != " + e);
                        dot += (double) e * x[i];
                        mag += Math.abs((double) e * x[i]);
                    }
                    float got = k.dot(seg, off, x, 0, COLS);
                    if (!(Math.abs(got - dot) <= 1e-5 * mag + 1e-6)) bad.add(type + where + " dot of row " + r + ": " + got + " != " + dot);
                    float got9 = k.dot(seg, off, shifted, 9, COLS);
                    if (!(Math.abs(got9 - got) <= 1e-6 * mag + 1e-6)) bad.add(type + where + " dot with x offset, row " + r + ": " + got9 + " != " + got);
                    // a shorter row: only the first block (or 48 elements for the unblocked types, which have tails)
                    int n = type.isQuantized() ? type.blockSize : 48;
                    double pdot = 0, pmag = 0;
                    for (int i = 0; i < n; i++) {
                        pdot += (double) expected[r * COLS + i] * x[i];
                        pmag += Math.abs((double) expected[r * COLS + i] * x[i]);
                    }
                    float pgot = k.dot(seg, off, x, 0, n);
                    if (!(Math.abs(pgot - pdot) <= 1e-5 * pmag + 1e-6)) bad.add(type + where + " dot of " + n + " columns, row " + r + ": " + pgot + " != " + pdot);
                    java.util.Arrays.fill(row, Float.NaN);
                    k.dequantize(seg, off, row, 0, n);
                    for (int i = 0; i < n; i++) {
                        if (!(Math.abs(row[i] - expected[r * COLS + i]) <= Math.abs(expected[r * COLS + i]) * 1e-6 + 1e-6) && bad.size() < 20) {
                            bad.add(type + where + " dequantize of " + n + " columns, row " + r + " element " + i);
                        }
                    }
                    if (!Float.isNaN(row[n])) bad.add(type + where + " dequantize of " + n + " columns wrote past the end");
                }
            }
        }
        checkDotRows(type, k, raw, rowBytes, x, bad);
        checkDotRowsTokens(type, k, raw, rowBytes, x, bad);
        return bad;
    }

    /**
     * dotRows over 1..13 rows (the fixture rows repeated in a scrambled order, at an odd offset) gives what dot
     * gives for each row, to the bit: the multi-row kernels form each sum exactly as dot does, and lanes are summed
     * in one order whether a method runs interpreted or compiled ({@link LaneSum}).
     */
    private static void checkDotRows(GGMLType type, RowKernel k, byte[] raw, long rowBytes, float[] x, List<String> bad) {
        for (int rows = 1; rows <= 13; rows++) {
            byte[] many = new byte[(int) (3 + rows * rowBytes)];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(raw, (int) (((r * 3 + rows) % ROWS) * rowBytes), many, (int) (3 + r * rowBytes), (int) rowBytes);
            }
            MemorySegment seg = MemorySegment.ofArray(many);
            float[] out = new float[rows + 2];
            java.util.Arrays.fill(out, Float.NaN);
            k.dotRows(seg, 3, rowBytes, rows, x, 0, COLS, out, 1);
            if (!Float.isNaN(out[0]) || !Float.isNaN(out[rows + 1])) bad.add(type + " dotRows of " + rows + " rows wrote outside its range");
            for (int r = 0; r < rows; r++) {
                float one = k.dot(seg, 3 + r * rowBytes, x, 0, COLS);
                if (Float.floatToRawIntBits(one) != Float.floatToRawIntBits(out[1 + r])) {
                    bad.add(type + " dotRows of " + rows + " rows, row " + r + ": " + out[1 + r] + " != dot " + one);
                }
            }
        }
    }

    /**
     * dotRowsTokens over 1..7 rows and 1..9 tokens (distinct activations per token, strided, at an offset) gives, for
     * every row and token, the bits dot gives: what lets a pass of draft tokens reproduce lone decode steps exactly.
     */
    private static void checkDotRowsTokens(GGMLType type, RowKernel k, byte[] raw, long rowBytes, float[] x, List<String> bad) {
        int stride = COLS + 3, off = 5;
        for (int rows = 1; rows <= 7; rows++) {
            byte[] many = new byte[(int) (3 + rows * rowBytes)];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(raw, (int) (((r * 3 + rows) % ROWS) * rowBytes), many, (int) (3 + r * rowBytes), (int) rowBytes);
            }
            MemorySegment seg = MemorySegment.ofArray(many);
            for (int tokens = 1; tokens <= 9; tokens++) {
                float[] xs = new float[off + tokens * stride];
                for (int t = 0; t < tokens; t++) {
                    for (int i = 0; i < COLS; i++) xs[off + t * stride + i] = x[(i * 7 + 11 * t) % COLS] * (1 + 0.25f * t);
                }
                int outStride = rows + 2;
                float[] out = new float[1 + tokens * outStride];
                java.util.Arrays.fill(out, Float.NaN);
                k.dotRowsTokens(seg, 3, rowBytes, rows, xs, off, stride, tokens, COLS, out, 1, outStride, new float[RowKernel.SCRATCH_COLS * COLS]);
                for (int t = 0; t < tokens; t++) {
                    for (int r = 0; r < rows; r++) {
                        float one = k.dot(seg, 3 + r * rowBytes, xs, off + t * stride, COLS);
                        float got = out[1 + t * outStride + r];
                        if (Float.floatToRawIntBits(one) != Float.floatToRawIntBits(got) && bad.size() < 40) {
                            bad.add(type + " dotRowsTokens of " + rows + " rows × " + tokens + " tokens, row " + r + " token " + t + ": " + got + " != dot " + one);
                        }
                    }
                    for (int r = rows; r < outStride; r++) {
                        if (!Float.isNaN(out[1 + t * outStride + r])) bad.add(type + " dotRowsTokens wrote outside its rows");
                    }
                }
            }
        }
    }

    /** Runs every check; prints the failures and exits 1 when there are any. */
    public static void main(String[] args) throws IOException {
        List<String> bad = new ArrayList<>();
        for (String t : TYPES) bad.addAll(check(GGMLType.valueOf(t)));
        System.out.println("vector species: " + BlockKernel.vectorShape());
        bad.forEach(System.out::println);
        System.exit(bad.isEmpty() ? 0 : 1);
    }
}
