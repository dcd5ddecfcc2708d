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
        if (L == 8) {
            for (int b = 0, n = cols / 32; b < n; b++) {
                long off = offset + 22L * b;
                FloatVector d = bc(f16(data, off));
                int qh = data.get(U32, off + 2);
                int o = outOff + 32 * b;
                for (int h = 0; h < 16; h += 8) {
                    IntVector q = u8(data, off + 6 + h);
                    d.mul(fl(q.and(0xF).add(high8(qh >>> h)))).intoArray(out, o + h);
                    d.mul(fl(q.lanewise(VectorOperators.LSHR, 4).add(high8(qh >>> (16 + h))))).intoArray(out, o + 16 + h);
                }
            }
            return;
        }
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
            FloatVector s = FloatVector.zero(F);
            // h = 0: elements 0..7 and 16..23; h = 8: 8..15 and 24..31. A loop, not two copies, keeps the method
            // under C2's inlining node budget (past it, vector operations stay calls and box).
            for (int h = 0; h < 16; h += 8) {
                IntVector q = u8(data, off + 6 + h);
                FloatVector t = fl(q.and(0xF).add(high8(qh >>> h))).mul(xv(x, xo + h));
                s = s.add(fl(q.lanewise(VectorOperators.LSHR, 4).add(high8(qh >>> (16 + h)))).fma(xv(x, xo + 16 + h), t));
            }
            acc = s.fma(bc(f16(data, off)), acc);
        }
        FloatVector r0 = acc;
        r0 = r0.add(r0.rearrange(ROT_2));
        r0 = r0.add(r0.rearrange(ROT_4));
        r0 = r0.add(r0.rearrange(ROT_8));
        if (L == 16) r0 = r0.add(r0.rearrange(ROT_16));
        return r0.lane(0);
    }

    /** The fifth bits of eight elements, from the low byte of {@code bits}, offset by −16 (8 lanes). */
    private static IntVector high8(int bits) {
        return IntVector.fromArray(I, HIGH, (bits & 0xFF) << 3);
    }

    /** Two rows at a time, one from each half of the range (two sequential streams), sharing the activation loads. */
    @Override
    public void dotRows(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int cols,
                        float[] out, int outOff) {
        int half = L == 8 ? rows / 2 : 0;
        for (int i = 0; i < half; i++) dot2(data, offset + i * rowBytes, offset + (i + half) * rowBytes, x, xOff, cols, out, outOff + i, outOff + i + half);
        for (int i = 2 * half; i < rows; i++) out[outOff + i] = dot(data, offset + i * rowBytes, x, xOff, cols);
    }

    /** {@link #dot} (8 lanes) of the rows at offA and offB, each with exactly dot's arithmetic. */
    private static void dot2(MemorySegment data, long offA, long offB, float[] x, int xOff, int cols, float[] out, int oA, int oB) {
        FloatVector accA = FloatVector.zero(F), accB = accA;
        for (int b = 0, n = cols / 32; b < n; b++) {
            long a = offA + 22L * b, c = offB + 22L * b;
            int xo = xOff + 32 * b;
            int ha = data.get(U32, a + 2), hc = data.get(U32, c + 2);
            FloatVector sA = FloatVector.zero(F), sB = sA;
            for (int h = 0; h < 16; h += 8) {
                FloatVector xl = xv(x, xo + h), xh = xv(x, xo + 16 + h);
                IntVector qa = u8(data, a + 6 + h), qc = u8(data, c + 6 + h);
                FloatVector ta = fl(qa.and(0xF).add(high8(ha >>> h))).mul(xl);
                FloatVector tc = fl(qc.and(0xF).add(high8(hc >>> h))).mul(xl);
                sA = sA.add(fl(qa.lanewise(VectorOperators.LSHR, 4).add(high8(ha >>> (16 + h)))).fma(xh, ta));
                sB = sB.add(fl(qc.lanewise(VectorOperators.LSHR, 4).add(high8(hc >>> (16 + h)))).fma(xh, tc));
            }
            accA = sA.fma(bc(f16(data, a)), accA);
            accB = sB.fma(bc(f16(data, c)), accB);
        }
        FloatVector r1 = accA;
        r1 = r1.add(r1.rearrange(ROT_2));
        r1 = r1.add(r1.rearrange(ROT_4));
        r1 = r1.add(r1.rearrange(ROT_8));
        if (L == 16) r1 = r1.add(r1.rearrange(ROT_16));
        out[oA] = r1.lane(0);
        FloatVector r2 = accB;
        r2 = r2.add(r2.rearrange(ROT_2));
        r2 = r2.add(r2.rearrange(ROT_4));
        r2 = r2.add(r2.rearrange(ROT_8));
        if (L == 16) r2 = r2.add(r2.rearrange(ROT_16));
        out[oB] = r2.lane(0);
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
        FloatVector r3 = acc;
        r3 = r3.add(r3.rearrange(ROT_2));
        r3 = r3.add(r3.rearrange(ROT_4));
        r3 = r3.add(r3.rearrange(ROT_8));
        if (L == 16) r3 = r3.add(r3.rearrange(ROT_16));
        return r3.lane(0);
    }

    private static final Packed4 PACKED = Q5_0Kernel::packedTokens4;

    /**
     * At 8 lanes: groups of four tokens from packed activations (one unpacking of each weight group serves four
     * tokens), then the rest one token at a time; each sum formed exactly as {@link #dot} forms it. Else the default.
     */
    @Override
    public void dotRowsTokens(MemorySegment data, long offset, long rowBytes, int rows, float[] x, int xOff, int xStride,
                              int tokens, int cols, float[] out, int outOff, int outStride, float[] scratch) {
        if (L != 8) {
            super.dotRowsTokens(data, offset, rowBytes, rows, x, xOff, xStride, tokens, cols, out, outOff, outStride, scratch);
            return;
        }
        int t = packedGroups(PACKED, data, offset, rowBytes, rows, x, xOff, xStride, tokens, cols, out, outOff, outStride, scratch);
        for (; t < tokens; t++) dotRows(data, offset, rowBytes, rows, x, xOff + t * xStride, cols, out, outOff + t * outStride);
    }

    /** {@link #dot} (8 lanes) of one row with a packed group of four tokens, each with exactly dot's arithmetic. */
    private static void packedTokens4(MemorySegment data, long off, float[] p, int at, int cols, float[] out, int o, int os) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0, n = cols / 32; b < n; b++) {
            long bo = off + 22L * b;
            int xb = at + 128 * b;
            int qh = data.get(U32, bo + 2);
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int h = 0; h < 16; h += 8) {
                IntVector q = u8(data, bo + 6 + h);
                FloatVector lo = fl(q.and(0xF).add(high8(qh >>> h)));
                FloatVector hi = fl(q.lanewise(VectorOperators.LSHR, 4).add(high8(qh >>> (16 + h))));
                int l = xb + h, u = xb + 16 + h;
                s0 = s0.add(hi.fma(xv(p, u), lo.mul(xv(p, l))));
                s1 = s1.add(hi.fma(xv(p, u + 32), lo.mul(xv(p, l + 32))));
                s2 = s2.add(hi.fma(xv(p, u + 64), lo.mul(xv(p, l + 64))));
                s3 = s3.add(hi.fma(xv(p, u + 96), lo.mul(xv(p, l + 96))));
            }
            FloatVector d = bc(f16(data, bo));
            a0 = s0.fma(d, a0);
            a1 = s1.fma(d, a1);
            a2 = s2.fma(d, a2);
            a3 = s3.fma(d, a3);
        }
        a0 = a0.add(a0.rearrange(ROT_2));
        a0 = a0.add(a0.rearrange(ROT_4));
        a0 = a0.add(a0.rearrange(ROT_8));
        if (L == 16) a0 = a0.add(a0.rearrange(ROT_16));
        a1 = a1.add(a1.rearrange(ROT_2));
        a1 = a1.add(a1.rearrange(ROT_4));
        a1 = a1.add(a1.rearrange(ROT_8));
        if (L == 16) a1 = a1.add(a1.rearrange(ROT_16));
        a2 = a2.add(a2.rearrange(ROT_2));
        a2 = a2.add(a2.rearrange(ROT_4));
        a2 = a2.add(a2.rearrange(ROT_8));
        if (L == 16) a2 = a2.add(a2.rearrange(ROT_16));
        a3 = a3.add(a3.rearrange(ROT_2));
        a3 = a3.add(a3.rearrange(ROT_4));
        a3 = a3.add(a3.rearrange(ROT_8));
        if (L == 16) a3 = a3.add(a3.rearrange(ROT_16));
        out[o] = a0.lane(0);
        out[o + os] = a1.lane(0);
        out[o + 2 * os] = a2.lane(0);
        out[o + 3 * os] = a3.lane(0);
    }
}
