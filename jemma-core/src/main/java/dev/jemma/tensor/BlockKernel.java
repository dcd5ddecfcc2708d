package dev.jemma.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Shared vector plumbing of the kernels. Every kernel works in groups of {@link #L} elements, where L
 * is 8 (AVX2, 256-bit) or 16 (AVX-512); all block sizes are multiples of 16, so a group never straddles
 * a block or sub-block. Quantized bytes are widened to int lanes before any bit work (x86 has no byte-lane
 * shifts), converted to float and FMA'd against the activations. Scales are applied once per
 * (sub-)block, after the Σ q·x of that (sub-)block.
 *
 * <p>The vector width can be forced with {@code -Djemma.vectorBits=256|512} (used by tests to check
 * the other width; a width the CPU lacks is emulated, correct but slow).
 */
abstract class BlockKernel implements RowKernel {
    static final VectorSpecies<Float> F = pickSpecies();
    static final int L = F.length();
    /** L bytes: one byte lane per float lane */
    static final VectorSpecies<Byte> B = L == 16 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
    static final VectorSpecies<Integer> I = L == 16 ? IntVector.SPECIES_512 : IntVector.SPECIES_256;
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** 0, 1, .., L-1 */
    static final IntVector IOTA = IntVector.zero(I).addIndex(1);
    /**
     * Rotations of F's lanes by a half, a quarter, an eighth and (16 lanes) a sixteenth. Every kernel ends a sum
     * with v += rot(v, ROT_2), v += rot(v, ROT_4), ... and lane 0, written out in place: {@code reduceLanes} sums
     * in one order interpreted or under C1 and in another under C2, and the one-token dot and the several-token
     * kernels (a speculative pass) must agree to the bit whatever each has been compiled to; a helper method would
     * not always be inlined into the larger kernels, and a vector passed to a call is boxed.
     */
    static final VectorShuffle<Float> ROT_2 = VectorShuffle.iota(F, L / 2, 1, true);
    static final VectorShuffle<Float> ROT_4 = VectorShuffle.iota(F, L / 4, 1, true);
    static final VectorShuffle<Float> ROT_8 = VectorShuffle.iota(F, L / 8, 1, true);
    static final VectorShuffle<Float> ROT_16 = VectorShuffle.iota(F, Math.max(1, L / 16), 1, true);

    private static VectorSpecies<Float> pickSpecies() {
        String forced = System.getProperty("jemma.vectorBits");
        if ("512".equals(forced)) return FloatVector.SPECIES_512;
        if ("256".equals(forced)) return FloatVector.SPECIES_256;
        // 512-bit species are slow emulation on AVX2; narrower than 256 cannot hold one byte lane per float in 64 bits
        return FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    }

    /** Name of the vector species in use, for diagnostics. */
    static String vectorShape() {
        return F.toString();
    }

    /** Rows a packed pass runs per stretch: their weights stay in L2 while every group of tokens goes over them. */
    static final int PACKED_ROW_CHUNK = 64;

    /**
     * The activations of four tokens (x at x0, x0+xs, x0+2xs, x0+3xs) block by block: p[at + 128·b + 32·t + j] =
     * token t's element 32·b + j. One array and one index per block is what lets C2 drop most bounds checks and
     * keep the four tokens' loads off the stack in the 32-element-block kernels.
     */
    static void pack4(float[] x, int x0, int xs, int cols, float[] p, int at) {
        for (int b = 0, n = cols / 32; b < n; b++) {
            for (int t = 0; t < 4; t++) System.arraycopy(x, x0 + t * xs + 32 * b, p, at + 128 * b + 32 * t, 32);
        }
    }

    /** One row of a 32-element-block type against a packed group of four tokens: out[o + t·os]. */
    interface Packed4 {
        void run(MemorySegment data, long rowOffset, float[] p, int at, int cols, float[] out, int o, int os);
    }

    /**
     * The groups of four tokens of a several-token product through {@code kernel}, from activations packed into
     * {@code scratch} (as many groups at a time as it holds), rows in stretches of {@link #PACKED_ROW_CHUNK};
     * returns the tokens done (a multiple of four).
     */
    static int packedGroups(Packed4 kernel, MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff,
                            int xStride, int tokens, int cols, float[] out, int outOff, int outStride, float[] scratch) {
        int fours = tokens / 4, perGroup = 4 * cols;
        if (fours == 0) return 0;
        int fit = Math.max(1, Math.min(fours, scratch.length / perGroup));
        for (int g0 = 0; g0 < fours; g0 += fit) {
            int groups = Math.min(fit, fours - g0);
            for (int g = 0; g < groups; g++) pack4(x, xOff + 4 * (g0 + g) * xStride, xStride, cols, scratch, g * perGroup);
            for (int r0 = 0; r0 < rows; r0 += PACKED_ROW_CHUNK) {
                int r1 = Math.min(rows, r0 + PACKED_ROW_CHUNK);
                for (int g = 0; g < groups; g++) {
                    int o = outOff + 4 * (g0 + g) * outStride;
                    for (int i = r0; i < r1; i++) kernel.run(data, offset + i * rowBytes, scratch, g * perGroup, cols, out, o + i, outStride);
                }
            }
        }
        return 4 * fours;
    }

    /** L bytes at {@code off}. */
    static ByteVector bytes(MemorySegment data, long off) {
        return ByteVector.fromMemorySegment(B, data, off, ByteOrder.LITTLE_ENDIAN);
    }

    /** L unsigned bytes at {@code off}, widened to int lanes. */
    static IntVector u8(MemorySegment data, long off) {
        return (IntVector) bytes(data, off).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    /** L signed bytes at {@code off}, as floats. */
    static FloatVector s8f(MemorySegment data, long off) {
        return (FloatVector) bytes(data, off).convertShape(VectorOperators.B2F, F, 0);
    }

    static FloatVector fl(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F, 0);
    }

    static FloatVector xv(float[] x, int off) {
        return FloatVector.fromArray(F, x, off);
    }

    static FloatVector bc(float v) {
        return FloatVector.broadcast(F, v);
    }

    static float f16(MemorySegment data, long off) {
        return Float.float16ToFloat(data.get(U16, off));
    }

    static int u8s(MemorySegment data, long off) {
        return data.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    /** 6-bit scale of sub-block j (0..7) of the 12-byte K-quant packing, given its bytes 0..7 ({@code a}) and 8..11 ({@code b}). */
    static int k4Scale(long a, int b, int j) {
        if (j < 4) return (int) (a >>> (8 * j)) & 63;
        return (b >>> (8 * (j - 4))) & 0xF | ((int) (a >>> (8 * (j - 4) + 6)) & 3) << 4;
    }

    /** 6-bit min of sub-block j (0..7), same packing. */
    static int k4Min(long a, int b, int j) {
        if (j < 4) return (int) (a >>> (8 * (j + 4))) & 63;
        return (b >>> (8 * (j - 4) + 4)) & 0xF | ((int) (a >>> (8 * j + 6)) & 3) << 4;
    }
}
