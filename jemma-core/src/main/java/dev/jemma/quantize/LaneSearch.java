package dev.jemma.quantize;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LE;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.NE;

/**
 * ggml's per-group scale searches (make_qkx2_quants, make_qkx3_quants, make_qx_quants, make_q3_quants) run on
 * several groups at once, one group per vector lane.
 * Each lane performs exactly the float operations, in exactly the order, that ggml's scalar loop performs for
 * its group (its running sums add the same terms in the same order), and every branch of the C code becomes a
 * per-lane mask, so each lane's result is ggml's to the bit. The win is that the long chains of dependent
 * additions of independent groups now run side by side instead of one after the other.
 *
 * <p>Groups are read transposed: value i of lane g at {@code t[i * LANES + g]} ({@link #gather}).
 * Lanes past the groups in use hold zeros and their results are dropped. Vector constants are made where they
 * are used rather than kept in static final fields: C2 then keeps them in registers, where the fields made the
 * loops several times slower.
 */
final class LaneSearch {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int LANES = F.length();
    /** Bytes as many as float lanes, when such a vector exists (8 or 16 lanes). */
    static final VectorSpecies<Byte> B =
            LANES == 8 || LANES == 16 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8)) : null;

    /** 1.5·2^23: adding it leaves round-to-nearest-even of the value in the low mantissa bits (nearest_int). */
    private static final float MAGIC = 12582912f;

    private LaneSearch() {}

    /** Transposes {@code count} groups of n values, group g at src[so + g*n ..], into t; unused lanes get 0. */
    static void gather(float[] src, int so, int n, int count, float[] t) {
        for (int g = 0; g < LANES; g++) {
            if (g < count) {
                for (int i = 0; i < n; i++) t[i * LANES + g] = src[so + g * n + i];
            } else {
                for (int i = 0; i < n; i++) t[i * LANES + g] = 0f;
            }
        }
    }

    /**
     * The weights Q4_K and Q5_K search with when there is no importance: √(Σx²/n) + |x| per group
     * (av_x + fabsf(x) in quantize_row_q4_K_ref).
     */
    static void rmsPlusAbs(int n, float[] xt, float[] wt) {
        FloatVector sumX2 = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            sumX2 = sumX2.add(xi.mul(xi));
        }
        FloatVector avX = sumX2.div((float) n).sqrt();
        for (int i = 0; i < n; i++) {
            avX.add(FloatVector.fromArray(F, xt, i * LANES).abs()).intoArray(wt, i * LANES);
        }
    }

    /** The weights Q2_K searches with when there is no importance: |x|. */
    static void abs(int n, float[] xt, float[] wt) {
        for (int i = 0; i < n; i++) FloatVector.fromArray(F, xt, i * LANES).abs().intoArray(wt, i * LANES);
    }

    /**
     * The importance weights of the K types: qw·√(σ² + x²), qw transposed like x; the per-group totals go to
     * {@code sums[so + g]} unless null (each summed in order, as ggml's sum_w loop does).
     */
    static void importanceWeights(int n, float sigma2, float[] xt, float[] qwt, float[] wt, int count, float[] sums, int so) {
        FloatVector s2 = FloatVector.broadcast(F, sigma2);
        FloatVector sum = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            FloatVector w = FloatVector.fromArray(F, qwt, i * LANES).mul(s2.add(xi.mul(xi)).sqrt());
            w.intoArray(wt, i * LANES);
            sum = sum.add(w);
        }
        for (int g = 0; sums != null && g < count; g++) sums[so + g] = sum.lane(g);
    }

    // Slots of the per-lane state the phases below hand on in Workspace.st (one vector each). The phases are
    // separate methods so that each is small enough for C2 to inline every vector operation in it: a vector
    // that crosses a call that is not inlined is boxed, which costs more than the whole search.
    private static final int MIN = 0, MAX = 1, SUM_W = 2, SUM_X = 3, FLAT_MIN = 4, SCALE = 5, BEST = 6,
            BEST_ISCALE = 7, LEVEL_MIN = 8;

    private static FloatVector get(float[] st, int slot) {
        return FloatVector.fromArray(F, st, slot * LANES);
    }

    private static void put(float[] st, int slot, FloatVector v) {
        v.intoArray(st, slot * LANES);
    }

    /**
     * make_qkx2_quants ({@code strict}: make_qkx3_quants) on {@code count} groups of n values and weights, both
     * transposed. Group g's scale goes to scales[so + g], its −min to mins[so + g], its levels to L[lo + g*n ..].
     * {@code lt} is scratch for n·LANES floats, {@code st} for 16·LANES.
     */
    static void affine(int n, int nmax, float[] xt, float[] wt, float[] lt, float[] st, int count, byte[] L, int lo,
                       float[] scales, float[] mins, int so, float rmin, float rdelta, int nstep, boolean useMad,
                       boolean strict) {
        affineStart(n, nmax, xt, wt, st, useMad);
        for (int is = 0; nstep >= 1 && is <= nstep; is++) affineCandidate(n, nmax, xt, wt, lt, st, rmin + rdelta * is + nmax, useMad);
        affineFinish(n, nmax, xt, lt, st, count, L, lo, scales, mins, so, strict);
    }

    /** Range, weight totals and the error of the plain min/max grid. */
    private static void affineStart(int n, int nmax, float[] xt, float[] wt, float[] st, boolean useMad) {
        FloatVector min = FloatVector.fromArray(F, xt, 0), max = min;
        FloatVector sumW = FloatVector.fromArray(F, wt, 0);
        FloatVector sumX = sumW.mul(min);
        for (int i = 1; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            FloatVector wi = FloatVector.fromArray(F, wt, i * LANES);
            min = min.blend(xi, xi.compare(LT, min));
            max = max.blend(xi, xi.compare(GT, max));
            sumW = sumW.add(wi);
            sumX = sumX.add(wi.mul(xi));
        }
        min = min.blend(FloatVector.zero(F), min.compare(GT, 0f));
        FloatVector iscale = FloatVector.broadcast(F, (float) nmax).div(max.sub(min));
        FloatVector scale = FloatVector.broadcast(F, 1f).div(iscale);
        FloatVector best = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            FloatVector l = xi.sub(min).mul(iscale).add(MAGIC).reinterpretAsInts().and(0x007fffff).sub(0x00400000)
                    .max(0).min(nmax).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
            FloatVector diff = scale.mul(l).add(min).sub(xi);
            diff = useMad ? diff.abs() : diff.mul(diff);
            best = best.add(FloatVector.fromArray(F, wt, i * LANES).mul(diff));
        }
        put(st, MIN, min);
        put(st, MAX, max);
        put(st, SUM_W, sumW);
        put(st, SUM_X, sumX);
        put(st, FLAT_MIN, min);
        put(st, SCALE, scale);
        put(st, BEST, best);
        // the levels kept are those of BEST_ISCALE applied to x − LEVEL_MIN (the min in force when they were made)
        put(st, BEST_ISCALE, iscale);
        put(st, LEVEL_MIN, min);
    }

    /** One grid of the search: least-squares scale and min on its levels, kept where the error drops. */
    private static void affineCandidate(int n, int nmax, float[] xt, float[] wt, float[] lt, float[] st,
                                        float numerator, boolean useMad) {
        FloatVector min = get(st, MIN);
        FloatVector cand = FloatVector.broadcast(F, numerator).div(get(st, MAX).sub(min));
        FloatVector sumL = FloatVector.zero(F), sumL2 = FloatVector.zero(F), sumXL = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            FloatVector l = xi.sub(min).mul(cand).add(MAGIC).reinterpretAsInts().and(0x007fffff).sub(0x00400000)
                    .max(0).min(nmax).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
            l.intoArray(lt, i * LANES);
            FloatVector wl = FloatVector.fromArray(F, wt, i * LANES).mul(l);
            sumL = sumL.add(wl);
            sumL2 = sumL2.add(wl.mul(l));
            sumXL = sumXL.add(wl.mul(xi));
        }
        FloatVector sumW = get(st, SUM_W), sumX = get(st, SUM_X);
        FloatVector d = sumW.mul(sumL2).sub(sumL.mul(sumL));
        VectorMask<Float> solvable = d.compare(GT, 0f);
        if (!solvable.anyTrue()) return;
        FloatVector thisScale = sumW.mul(sumXL).sub(sumX.mul(sumL)).div(d);
        FloatVector thisMin = sumL2.mul(sumX).sub(sumL.mul(sumXL)).div(d);
        VectorMask<Float> positive = thisMin.compare(GT, 0f);
        thisMin = thisMin.blend(FloatVector.zero(F), positive);
        thisScale = thisScale.blend(sumXL.div(sumL2), positive);
        FloatVector error = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            FloatVector diff = thisScale.mul(FloatVector.fromArray(F, lt, i * LANES)).add(thisMin).sub(xi);
            diff = useMad ? diff.abs() : diff.mul(diff);
            error = error.add(FloatVector.fromArray(F, wt, i * LANES).mul(diff));
        }
        FloatVector best = get(st, BEST);
        VectorMask<Float> better = solvable.and(error.compare(LT, best));
        if (!better.anyTrue()) return;
        put(st, BEST, best.blend(error, better));
        put(st, SCALE, get(st, SCALE).blend(thisScale, better));
        put(st, BEST_ISCALE, get(st, BEST_ISCALE).blend(cand, better));
        put(st, LEVEL_MIN, get(st, LEVEL_MIN).blend(min, better));
        put(st, MIN, min.blend(thisMin, better));
    }

    /** Results out; groups ggml gave up on (max == min, or ≤ for qkx3) get levels 0, scale 0 and their min. */
    private static void affineFinish(int n, int nmax, float[] xt, float[] lt, float[] st, int count, byte[] L, int lo,
                                     float[] scales, float[] mins, int so, boolean strict) {
        FloatVector max = get(st, MAX), flatMin = get(st, FLAT_MIN);
        VectorMask<Float> flat = strict ? max.compare(LE, flatMin) : max.compare(EQ, flatMin);
        FloatVector scale = get(st, SCALE).blend(FloatVector.zero(F), flat);
        FloatVector min = get(st, MIN).blend(flatMin, flat);
        for (int g = 0; g < count; g++) {
            scales[so + g] = scale.lane(g);
            mins[so + g] = -min.lane(g);
        }
        FloatVector iscale = get(st, BEST_ISCALE), levelMin = get(st, LEVEL_MIN);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            xi.sub(levelMin).mul(iscale).add(MAGIC).reinterpretAsInts().and(0x007fffff).sub(0x00400000)
                    .max(0).min(nmax).convert(VectorOperators.I2F, 0).reinterpretAsFloats()
                    .blend(FloatVector.zero(F), flat).intoArray(lt, i * LANES);
        }
        scatterLevels(n, lt, count, L, lo);
    }

    /**
     * make_qx_quants with rmse_type 1 on {@code count} groups of n values, transposed; weights wt transposed,
     * or null for x². Group g's scale goes to scales[so + g], its levels + nmax to L[lo + g*n ..].
     */
    static void symmetric(int n, int nmax, float[] xt, float[] wt, float[] lt, float[] st, int count, byte[] L, int lo,
                          float[] scales, int so) {
        symmetricStart(n, nmax, xt, wt, st);
        for (int is = -9; is <= 9; is++) {
            if (is != 0) symmetricCandidate(n, nmax, xt, wt, st, -(nmax + 0.1f * is));
        }
        symmetricFinish(n, nmax, xt, lt, st, count, L, lo, scales, so);
    }

    private static void symmetricStart(int n, int nmax, float[] xt, float[] wt, float[] st) {
        FloatVector amax = FloatVector.zero(F), max = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            FloatVector ax = xi.abs();
            VectorMask<Float> bigger = ax.compare(GT, amax);
            amax = amax.blend(ax, bigger);
            max = max.blend(xi, bigger);
        }
        FloatVector iscale = FloatVector.broadcast(F, (float) -nmax).div(max);
        FloatVector sumlx = FloatVector.zero(F), suml2 = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            FloatVector l = xi.mul(iscale).add(MAGIC).reinterpretAsInts().and(0x007fffff).sub(0x00400000)
                    .max(-nmax).min(nmax - 1).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
            FloatVector w = wt != null ? FloatVector.fromArray(F, wt, i * LANES) : xi.mul(xi);
            sumlx = sumlx.add(w.mul(xi).mul(l));
            suml2 = suml2.add(w.mul(l).mul(l));
        }
        FloatVector scale = sumlx.div(suml2).blend(FloatVector.zero(F), suml2.compare(EQ, 0f));
        put(st, MAX, max);
        put(st, FLAT_MIN, amax);
        put(st, SCALE, scale);
        put(st, BEST, scale.mul(sumlx));
        put(st, BEST_ISCALE, iscale);
    }

    private static void symmetricCandidate(int n, int nmax, float[] xt, float[] wt, float[] st, float numerator) {
        FloatVector cand = FloatVector.broadcast(F, numerator).div(get(st, MAX));
        FloatVector sumlx = FloatVector.zero(F), suml2 = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            FloatVector l = xi.mul(cand).add(MAGIC).reinterpretAsInts().and(0x007fffff).sub(0x00400000)
                    .max(-nmax).min(nmax - 1).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
            FloatVector w = wt != null ? FloatVector.fromArray(F, wt, i * LANES) : xi.mul(xi);
            sumlx = sumlx.add(w.mul(xi).mul(l));
            suml2 = suml2.add(w.mul(l).mul(l));
        }
        FloatVector best = get(st, BEST);
        VectorMask<Float> better = suml2.compare(GT, 0f).and(sumlx.mul(sumlx).compare(GT, best.mul(suml2)));
        if (!better.anyTrue()) return;
        FloatVector s = sumlx.div(suml2);
        put(st, SCALE, get(st, SCALE).blend(s, better));
        put(st, BEST, best.blend(s.mul(sumlx), better));
        put(st, BEST_ISCALE, get(st, BEST_ISCALE).blend(cand, better));
    }

    /** Results out; all-zero groups (max |x| below GROUP_MAX_EPS) get scale 0 and levels 0. */
    private static void symmetricFinish(int n, int nmax, float[] xt, float[] lt, float[] st, int count, byte[] L, int lo,
                                        float[] scales, int so) {
        VectorMask<Float> zero = get(st, FLAT_MIN).compare(LT, QuantSearch.GROUP_MAX_EPS);
        FloatVector scale = get(st, SCALE).blend(FloatVector.zero(F), zero);
        for (int g = 0; g < count; g++) scales[so + g] = scale.lane(g);
        FloatVector iscale = get(st, BEST_ISCALE);
        FloatVector offset = FloatVector.broadcast(F, (float) nmax);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            xi.mul(iscale).add(MAGIC).reinterpretAsInts().and(0x007fffff).sub(0x00400000)
                    .max(-nmax).min(nmax - 1).convert(VectorOperators.I2F, 0).reinterpretAsFloats()
                    .add(offset).blend(FloatVector.zero(F), zero).intoArray(lt, i * LANES);
        }
        scatterLevels(n, lt, count, L, lo);
    }

    /**
     * make_q3_quants with do_rmse on {@code count} groups of n values, transposed, weighted by x²: the
     * max-magnitude start, then up to five passes of single-level moves. A group stops when a pass changes
     * nothing; running it on changes nothing either, so all lanes run until none changes (or five passes).
     * Group g's scale goes to scales[so + g], its levels + nmax to L[lo + g*n ..].
     */
    static void stepwise(int n, int nmax, float[] xt, float[] lt, float[] st, int count, byte[] L, int lo,
                         float[] scales, int so) {
        stepwiseStart(n, nmax, xt, lt, st);
        for (int pass = 0; pass < 5; pass++) {
            if (!stepwisePass(n, nmax, xt, lt, st)) break;
        }
        FloatVector sumlx = get(st, SCALE), suml2 = get(st, BEST);
        VectorMask<Float> zero = get(st, FLAT_MIN).compare(LT, QuantSearch.GROUP_MAX_EPS);
        FloatVector scale = sumlx.div(suml2).blend(FloatVector.zero(F), suml2.compare(GT, 0f).not().or(zero));
        for (int g = 0; g < count; g++) scales[so + g] = scale.lane(g);
        FloatVector offset = FloatVector.broadcast(F, (float) nmax);
        for (int i = 0; i < n; i++) {
            FloatVector.fromArray(F, lt, i * LANES).add(offset).blend(FloatVector.zero(F), zero).intoArray(lt, i * LANES);
        }
        scatterLevels(n, lt, count, L, lo);
    }

    /** Start levels from the max-magnitude scale, and their Σw·x·l (in SCALE) and Σw·l² (in BEST). */
    private static void stepwiseStart(int n, int nmax, float[] xt, float[] lt, float[] st) {
        FloatVector amax = FloatVector.zero(F), max = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            FloatVector ax = xi.abs();
            VectorMask<Float> bigger = ax.compare(GT, amax);
            amax = amax.blend(ax, bigger);
            max = max.blend(xi, bigger);
        }
        FloatVector iscale = FloatVector.broadcast(F, (float) -nmax).div(max);
        FloatVector sumlx = FloatVector.zero(F), suml2 = FloatVector.zero(F);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            FloatVector l = xi.mul(iscale).add(MAGIC).reinterpretAsInts().and(0x007fffff).sub(0x00400000)
                    .max(-nmax).min(nmax - 1).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
            l.intoArray(lt, i * LANES);
            FloatVector w = xi.mul(xi);
            sumlx = sumlx.add(w.mul(xi).mul(l));
            suml2 = suml2.add(w.mul(l).mul(l));
        }
        put(st, FLAT_MIN, amax);
        put(st, SCALE, sumlx);
        put(st, BEST, suml2);
    }

    /** One pass of single-level moves; whether any lane moved a level. */
    private static boolean stepwisePass(int n, int nmax, float[] xt, float[] lt, float[] st) {
        FloatVector sumlx = get(st, SCALE), suml2 = get(st, BEST);
        VectorMask<Float> changed = F.maskAll(false);
        for (int i = 0; i < n; i++) {
            FloatVector xi = FloatVector.fromArray(F, xt, i * LANES);
            FloatVector li = FloatVector.fromArray(F, lt, i * LANES);
            FloatVector w = xi.mul(xi);
            FloatVector slx = sumlx.sub(w.mul(xi).mul(li));
            VectorMask<Float> take = slx.compare(GT, 0f);
            FloatVector sl2 = suml2.sub(w.mul(li).mul(li));
            FloatVector nl = xi.mul(sl2).div(slx).add(MAGIC).reinterpretAsInts().and(0x007fffff).sub(0x00400000)
                    .max(-nmax).min(nmax - 1).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
            slx = slx.add(w.mul(xi).mul(nl));
            sl2 = sl2.add(w.mul(nl).mul(nl));
            take = take.and(nl.compare(NE, li)).and(sl2.compare(GT, 0f))
                    .and(slx.mul(slx).mul(suml2).compare(GT, sumlx.mul(sumlx).mul(sl2)));
            li.blend(nl, take).intoArray(lt, i * LANES);
            sumlx = sumlx.blend(slx, take);
            suml2 = suml2.blend(sl2, take);
            changed = changed.or(take);
        }
        put(st, SCALE, sumlx);
        put(st, BEST, suml2);
        return changed.anyTrue();
    }

    /**
     * The K types' last pass, levels against the scales as stored: L[lo + i] = clamp(nearest_int((x + m)/d),
     * min, max) + offset for n values (a multiple of LANES). Each value is on its own, so lanes change nothing;
     * m = 0 for the symmetric types, where x + 0 only turns −0 into +0, which rounds to the same level.
     */
    static void requantize(float[] x, int xo, int n, float m, float d, int min, int max, int offset, byte[] L, int lo) {
        for (int i = 0; i < n; i += LANES) {
            IntVector l = FloatVector.fromArray(F, x, xo + i).add(m).div(d).add(MAGIC).reinterpretAsInts()
                    .and(0x007fffff).sub(0x00400000).max(min).min(max).add(offset);
            storeBytes(l, L, lo + i);
        }
    }

    /** The low byte of each lane, to out[o ..]. */
    static void storeBytes(IntVector v, byte[] out, int o) {
        if (B != null) {
            ((ByteVector) v.convertShape(VectorOperators.I2B, B, 0)).intoArray(out, o);
        } else {
            for (int k = 0; k < LANES; k++) out[o + k] = (byte) v.lane(k);
        }
    }

    /** Levels held transposed as floats back to bytes in group order. */
    private static void scatterLevels(int n, float[] lt, int count, byte[] L, int lo) {
        for (int g = 0; g < count; g++) {
            for (int i = 0; i < n; i++) L[lo + g * n + i] = (byte) (int) lt[i * LANES + g];
        }
    }
}
