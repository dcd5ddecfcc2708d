package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Base of the kernels of block-quantized types: a row is a run of blocks, each decoded by
 * {@link #dequantizeBlock}. The default {@link #dot} decodes a block into a per-thread buffer and
 * takes a vector dot with x; the common types override it with a fused vector kernel.
 */
abstract class BlockKernel implements RowKernel {
    /** the machine's vector width (8 floats on AVX2, 16 on AVX-512); 512-bit species are slow emulation on AVX2 */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() >= 8
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_256;
    /** bytes with one lane per float lane, so a byte load widens to exactly one float vector */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));
    static final int L = F.length();
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[256]);

    final int blockSize;
    final int blockBytes;

    BlockKernel(GGMLType type) {
        this.blockSize = type.blockSize;
        this.blockBytes = type.blockBytes;
    }

    /** Decodes the block at byte {@code off} into out[outOff .. outOff + blockSize). */
    abstract void dequantizeBlock(MemorySegment data, long off, float[] out, int outOff);

    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int b = 0, n = cols / blockSize; b < n; b++) {
            dequantizeBlock(data, offset + (long) b * blockBytes, out, outOff + b * blockSize);
        }
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        float[] buf = SCRATCH.get();
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, n = cols / blockSize; b < n; b++) {
            dequantizeBlock(data, offset + (long) b * blockBytes, buf, 0);
            int xo = xOff + b * blockSize;
            int i = 0;
            for (int bound = F.loopBound(blockSize); i < bound; i += F.length()) {
                acc = FloatVector.fromArray(F, buf, i).fma(FloatVector.fromArray(F, x, xo + i), acc);
            }
            float tail = 0;
            for (; i < blockSize; i++) tail += buf[i] * x[xo + i];
            if (tail != 0) acc = acc.add(FloatVector.zero(F).withLane(0, tail));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** L bytes at {@code off}. */
    static ByteVector bytes(MemorySegment data, long off) {
        return ByteVector.fromMemorySegment(B, data, off, java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /** Signed bytes widened to floats. */
    static FloatVector floats(ByteVector v) {
        return (FloatVector) v.castShape(F, 0);
    }

    /** L unsigned bytes at {@code off}, widened to ints (shifts on byte lanes are not native on x86). */
    static IntVector ints(MemorySegment data, long off) {
        return ((IntVector) bytes(data, off).castShape(I, 0)).and(0xFF);
    }

    static FloatVector floats(IntVector v) {
        return (FloatVector) v.castShape(F, 0);
    }

    static float f16(MemorySegment data, long off) {
        return Float.float16ToFloat(data.get(F16, off));
    }

    static int u8(MemorySegment data, long off) {
        return data.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    /** The 6-bit scale (j < 8) or min (j + 8) of sub-block j in the 12-byte K-quant scale array at {@code off}. */
    static int scaleMinK4(MemorySegment data, long off, int j, boolean min) {
        if (j < 4) return u8(data, off + j + (min ? 4 : 0)) & 63;
        int low = min ? u8(data, off + j + 4) >> 4 : u8(data, off + j + 4) & 0xF;
        int high = u8(data, off + j - (min ? 0 : 4)) >> 6;
        return low | high << 4;
    }
}
