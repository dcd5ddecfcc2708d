package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0: blocks of 32 = f16 scale d, 32 high bits qh (u32 LE, bit j belongs to element j), 16 bytes of
 * nibbles (low: 0..15, high: 16..31); value = d·((nibble | bit<<4) − 16).
 */
final class Q5_0Kernel extends BlockKernel {
    /** bit (j + lane) of qh, as 0 or 16, in each lane */
    static IntVector high(IntVector qh, int j) {
        return qh.lanewise(VectorOperators.LSHR, IOTA.add(j)).and(1).lanewise(VectorOperators.LSHL, 4);
    }

    @Override
    public void dequantize(MemorySegment data, long offset, float[] out, int outOff, int cols) {
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 22L * b;
            FloatVector d = bc(f16(data, off));
            IntVector qh = IntVector.broadcast(I, data.get(U32, off + 2));
            int o = outOff + 32 * b;
            for (int j = 0; j < 16; j += L) {
                IntVector q = u8(data, off + 6 + j);
                d.mul(fl(q.and(0xF).or(high(qh, j)).sub(16))).intoArray(out, o + j);
                d.mul(fl(q.lanewise(VectorOperators.LSHR, 4).or(high(qh, 16 + j)).sub(16))).intoArray(out, o + 16 + j);
            }
        }
    }

    /**
     * HIGH[8·b + i] = 16·(bit i of b) − 16: eight elements' fifth bits, already offset by −16, from one byte of qh
     * with one load (three vector operations per group otherwise). Used at 8 lanes.
     */
    private static final int[] HIGH = new int[256 * 8];

    static {
        for (int b = 0; b < 256; b++) for (int i = 0; i < 8; i++) HIGH[8 * b + i] = 16 * ((b >>> i) & 1) - 16;
    }

    @Override
    public float dot(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        if (L != 8) return dotWide(data, offset, x, xOff, cols);
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 22L * b;
            int xo = xOff + 32 * b;
            int qh = data.get(U32, off + 2);
            IntVector q0 = u8(data, off + 6), q1 = u8(data, off + 14);
            FloatVector s0 = fl(q0.and(0xF).add(IntVector.fromArray(I, HIGH, (qh & 0xFF) << 3))).mul(xv(x, xo));
            FloatVector s1 = fl(q1.and(0xF).add(IntVector.fromArray(I, HIGH, (qh >>> 5) & 0x7F8))).mul(xv(x, xo + 8));
            s0 = fl(q0.lanewise(VectorOperators.LSHR, 4).add(IntVector.fromArray(I, HIGH, (qh >>> 13) & 0x7F8))).fma(xv(x, xo + 16), s0);
            s1 = fl(q1.lanewise(VectorOperators.LSHR, 4).add(IntVector.fromArray(I, HIGH, (qh >>> 21) & 0x7F8))).fma(xv(x, xo + 24), s1);
            acc = s0.add(s1).fma(bc(f16(data, off)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private float dotWide(MemorySegment data, long offset, float[] x, int xOff, int cols) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, n = cols / 32; b < n; b++) {
            long off = offset + 22L * b;
            int xo = xOff + 32 * b;
            IntVector qh = IntVector.broadcast(I, data.get(U32, off + 2));
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                IntVector q = u8(data, off + 6 + j);
                s = fl(q.and(0xF).or(high(qh, j)).sub(16)).fma(xv(x, xo + j), s);
                s = fl(q.lanewise(VectorOperators.LSHR, 4).or(high(qh, 16 + j)).sub(16)).fma(xv(x, xo + 16 + j), s);
            }
            acc = s.fma(bc(f16(data, off)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
