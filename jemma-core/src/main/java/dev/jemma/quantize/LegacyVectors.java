package dev.jemma.quantize;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.jemma.quantize.HalfFloats.toF16;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LE;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;

/**
 * Q8_0, Q4_0, Q5_0, Q4_1 and Q5_1 without importance (quantize_row_*_ref) one 32-value block at a time in
 * vector lanes. The per-value work is independent, so lanes change nothing; only the block extremes are
 * reduced across lanes, and where the order of a reduction could show (a NaN in Q8_0's running MAX, a signed
 * zero as Q4_1/Q5_1's min or max) the block goes to {@link LegacyQuantizers}' scalar code instead. Q4_0 and Q4_1 or the whole level byte
 * under the high nibble (C ors a uint8_t), Q5_0 and Q5_1 its low nibble.
 *
 * <p>C converts floats to integers with x86's cvttss2si, which gives 0x80000000 for NaN and anything out of
 * int range; Java's conversion saturates instead. Only the low byte is ever kept, so the two agree except for
 * large positive values (Java's 0x7fffffff keeps 0xff, C's keeps 0), which {@link #toInt} maps to C's.
 *
 * <p>Used when the preferred vector holds 8 or 16 floats ({@link #ENABLED}), so a vector of levels narrows
 * to a whole vector of bytes.
 */
final class LegacyVectors {
    private static final VectorSpecies<Float> F = LaneSearch.F;
    private static final int LANES = LaneSearch.LANES;
    static final boolean ENABLED = LANES == 8 || LANES == 16;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private LegacyVectors() {}

    /** C's (int) of a float as x86 does it: 0x80000000 for NaN and out of range (only positive overflow differs). */
    private static IntVector toInt(FloatVector v) {
        IntVector i = (IntVector) v.convert(VectorOperators.F2I, 0);
        return i.blend(Integer.MIN_VALUE, v.compare(GE, 2147483648f).cast(LaneSearch.I));
    }

    /**
     * Whether a block's scale keeps every scaled value (x·id, or (x − min)·id) within a few ulps of the level
     * range: then each conversion gives a small non-negative int (or a NaN's 0, whose low byte C's 0x80000000
     * shares), and no fix-up is needed. A subnormal scale loses that bound (1/d can even overflow).
     */
    private static boolean inRange(float d) {
        return d == 0 || Math.abs(d) >= Float.MIN_NORMAL;
    }

    /** C's int8_t of (int) v: plainly converted when the block is {@link #inRange}, else with C's edge cases. */
    private static IntVector toLevel(FloatVector v, boolean plain) {
        return plain ? (IntVector) v.convert(VectorOperators.F2I, 0) : toInt8(toInt(v));
    }

    /** C's int8_t of an int: the low byte, sign-extended. */
    private static IntVector toInt8(IntVector i) {
        return i.lanewise(LSHL, 24).lanewise(ASHR, 24);
    }

    /** Writes blocks straight into dst; a block with a NaN goes to the scalar code (ggml's MAX is order-dependent there). */
    static void q8_0(float[] x, int xo, int n, MemorySegment dst, long off) {
        for (int b = 0; b < n / 32; b++, off += 34, xo += 32) {
            FloatVector amaxV = FloatVector.zero(F);
            for (int j = 0; j < 32; j += LANES) amaxV = amaxV.max(FloatVector.fromArray(F, x, xo + j).abs());
            float amax = amaxV.reduceLanes(VectorOperators.MAX);
            if (amax != amax) {
                LegacyQuantizers.q8_0Block(x, xo, dst, off);
                continue;
            }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(I16, off, toF16(d));
            for (int j = 0; j < 32; j += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, xo + j).mul(id);
                // roundf: truncate, then step away from zero when the exact remainder is at least a half
                IntVector t = (IntVector) v.convert(VectorOperators.F2I, 0);
                FloatVector frac = v.sub((FloatVector) t.convert(VectorOperators.I2F, 0));
                t = t.add(1, frac.compare(GE, 0.5f).cast(LaneSearch.I)).sub(1, frac.compare(LE, -0.5f).cast(LaneSearch.I));
                t = t.blend(Integer.MIN_VALUE, v.abs().compare(GE, 2147483648f).cast(LaneSearch.I));
                ((ByteVector) t.convertShape(VectorOperators.I2B, LaneSearch.B, 0))
                        .intoMemorySegment(dst, off + 2 + j, ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    /** Q4_0 (nmax 8, levels ≤ 15) and Q5_0 (nmax 16, levels ≤ 31), blocks of 18 or 22 bytes into out. */
    static void symmetric(float[] x, int xo, int n, int nmax, byte[] out) {
        int blockBytes = nmax == 8 ? 18 : 22;
        for (int b = 0, o = 0; b < n / 32; b++, o += blockBytes, xo += 32) {
            // the first value of largest magnitude, sign kept; 0 when all are zero (NaNs never win)
            FloatVector amaxV = FloatVector.zero(F);
            for (int j = 0; j < 32; j += LANES) {
                FloatVector a = FloatVector.fromArray(F, x, xo + j).abs();
                amaxV = amaxV.blend(a, a.compare(GT, amaxV));
            }
            float amax = amaxV.reduceLanes(VectorOperators.MAX);
            float max = 0;
            for (int j = 0; amax > 0 && j < 32; j += LANES) {
                VectorMask<Float> at = FloatVector.fromArray(F, x, xo + j).abs().compare(EQ, amax);
                if (at.anyTrue()) {
                    max = x[xo + j + at.firstTrue()];
                    break;
                }
            }
            float d = max / -nmax;
            float id = d != 0 ? 1.0f / d : 0.0f;
            float offset = nmax + 0.5f;
            int top = 2 * nmax - 1;
            boolean plain = inRange(d);
            short dh = toF16(d);
            out[o] = (byte) dh;
            out[o + 1] = (byte) (dh >> 8);
            int qh = 0;
            for (int j = 0; j < 16; j += LANES) {
                IntVector q0 = toLevel(FloatVector.fromArray(F, x, xo + j).mul(id).add(offset), plain).min(top);
                IntVector q1 = toLevel(FloatVector.fromArray(F, x, xo + 16 + j).mul(id).add(offset), plain).min(top);
                LaneSearch.storeBytes(q0.and(nmax == 8 ? 0xFF : 0x0F).or(q1.lanewise(LSHL, 4)), out, o + blockBytes - 16 + j);
                if (nmax == 16) {
                    qh |= (int) q0.and(0x10).compare(EQ, 0x10).toLong() << j;
                    qh |= (int) q1.and(0x10).compare(EQ, 0x10).toLong() << (16 + j);
                }
            }
            if (nmax == 16) putInt(out, o + 2, qh);
        }
    }

    /**
     * Q4_1 (nmax 15, clamped) and Q5_1 (nmax 31, unclamped), blocks of 20 or 24 bytes into out; a block whose
     * min or max is zero goes to the scalar code, since which zero (+0 or −0) ggml keeps depends on the order.
     */
    static void affine(float[] x, int xo, int n, int nmax, byte[] out, Workspace ws) {
        int blockBytes = nmax == 15 ? 20 : 24;
        for (int b = 0, o = 0; b < n / 32; b++, o += blockBytes, xo += 32) {
            FloatVector minV = FloatVector.broadcast(F, Float.MAX_VALUE), maxV = FloatVector.broadcast(F, -Float.MAX_VALUE);
            for (int j = 0; j < 32; j += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, xo + j);
                minV = minV.blend(v, v.compare(LT, minV));
                maxV = maxV.blend(v, v.compare(GT, maxV));
            }
            float min = minV.reduceLanes(VectorOperators.MIN), max = maxV.reduceLanes(VectorOperators.MAX);
            if (min == 0 || max == 0) {
                LegacyQuantizers.affineBlock(x, xo, nmax, ws, o);
                continue;
            }
            float d = (max - min) / nmax;
            float id = d != 0 ? 1.0f / d : 0.0f;
            short dh = toF16(d), mh = toF16(min);
            out[o] = (byte) dh;
            out[o + 1] = (byte) (dh >> 8);
            out[o + 2] = (byte) mh;
            out[o + 3] = (byte) (mh >> 8);
            boolean plain = inRange(d);
            int qh = 0;
            for (int j = 0; j < 16; j += LANES) {
                IntVector q0 = toLevel(FloatVector.fromArray(F, x, xo + j).sub(min).mul(id).add(0.5f), plain);
                IntVector q1 = toLevel(FloatVector.fromArray(F, x, xo + 16 + j).sub(min).mul(id).add(0.5f), plain);
                if (nmax == 15) {
                    q0 = q0.min(15);
                    q1 = q1.min(15);
                }
                LaneSearch.storeBytes(q0.and(nmax == 15 ? 0xFF : 0x0F).or(q1.lanewise(LSHL, 4)), out, o + blockBytes - 16 + j);
                if (nmax == 31) {
                    qh |= (int) q0.and(0x10).compare(EQ, 0x10).toLong() << j;
                    qh |= (int) q1.and(0x10).compare(EQ, 0x10).toLong() << (16 + j);
                }
            }
            if (nmax == 31) putInt(out, o + 4, qh);
        }
    }

    private static void putInt(byte[] out, int o, int v) {
        out[o] = (byte) v;
        out[o + 1] = (byte) (v >> 8);
        out[o + 2] = (byte) (v >> 16);
        out[o + 3] = (byte) (v >> 24);
    }
}
