package dev.jemma.model;

import dev.jemma.tensor.LaneSum;
import dev.jemma.tensor.MatMul;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import dev.jemma.tensor.WorkerPool;

import java.util.Arrays;

/**
 * Self-attention of one layer for every segment of a {@link ForwardBatch}: QK-norm, NeoX RoPE (base and linear
 * scale by layer type), the KV cache write, then softmax attention with grouped KV heads over each segment's own
 * cache. A query at position p sees key k when k ≤ the segment's {@link Visibility#lastVisibleKey}(p) (p itself
 * when causal) and, on local layers, p − k &lt; window.
 *
 * <p>Batch-invariant by construction: each query keeps its own running max, sum and output, and keys are read in
 * blocks aligned to absolute positions, so a query's arithmetic depends only on its position and its sequence's
 * keys, never on the chunk or batch it is computed in. One instance per model; bound before each layer's run.
 */
final class Attention implements WorkerPool.RangeTask {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Token rows one work item takes: enough queries to reuse each key block, items enough for all workers. */
    static final int TOKEN_BLOCK = 8;
    /** Key positions read (and dequantized) at once: K and V blocks stay in L2. */
    static final int KEY_BLOCK = 64;
    /** queries and keys of a block whose score loops share L1 (8 and 16 rows: 24 KiB at head size 256) */
    private static final int QUERY_GROUP = 8, KEY_SLICE = 16;
    /**
     * Queries from this position on take softmax's exp in vector lanes, earlier ones in scalar code: the same bits
     * (see {@link #expInPlace}), but the vector code runs a hundred times slower until C2 has compiled it, which a
     * short prompt's first prefill would pay in full for a handful of exps (20 tokens: ~0.05 s of a ~0.85 s first
     * token); at long contexts, where the exps add up, it is compiled once and then pays.
     */
    static final int VECTOR_EXP_FROM = 1024;

    private final GemmaConfig c;
    private final float[] invFreqLocal;
    private final float[] invFreqGlobal;

    private ForwardBatch b;
    private Activations a;
    private int layer;
    private int totalBlocks, headSplit;
    /** first global token block of each segment, and one past the last segment's */
    private int[] segmentBlock = new int[8];

    Attention(GemmaConfig c) {
        this.c = c;
        invFreqLocal = c.ropeInverseFrequencies(false);
        invFreqGlobal = c.ropeInverseFrequencies(true);
    }

    /** QK-norm and RoPE of every row's q and k, then k and v into each segment's cache. */
    void prepare(ForwardBatch b, Activations a, GemmaWeights.Layer w, int layer) {
        int hd = c.headDim(), half = hd / 2, qd = c.qDim(), kvd = c.kvDim();
        float[] invFreq = c.isGlobal(layer) ? invFreqGlobal : invFreqLocal;
        float[] q = a.qRows.data(), k = a.kRows.data(), v = a.vRows.data(), cos = a.ropeCos, sin = a.ropeSin;
        for (int seg = 0; seg < b.segments; seg++) {
            InferenceState s = b.segs[seg].state;
            for (int i = 0; i < b.segs[seg].rows; i++) {
                int t = b.segs[seg].firstRow + i, pos = s.position + i;
                for (int j = 0; j < half; j++) {
                    float angle = pos * invFreq[j];
                    cos[t * half + j] = (float) Math.cos(angle);
                    sin[t * half + j] = (float) Math.sin(angle);
                }
                for (int h = 0; h < c.heads(); h++) {
                    int off = t * qd + h * hd;
                    Ops.rmsNorm(q, off, q, off, w.qNorm(), hd, c.rmsEps());
                    rope(q, off, cos, sin, t * half, half);
                }
                for (int h = 0; h < c.kvHeads(); h++) {
                    int off = t * kvd + h * hd;
                    Ops.rmsNorm(k, off, k, off, w.kNorm(), hd, c.rmsEps());
                    rope(k, off, cos, sin, t * half, half);
                }
                if (s.cache.rotated) rotate(q, k, v, t);
                s.cache.write(layer, pos, k, t * kvd, v, t * kvd);
                if (s.recorder != null) s.recorder.write(layer, pos, k, t * kvd, v, t * kvd);
            }
        }
    }

    /** Every head of row t's q, k and v into the Hadamard basis of an 8-bit cache (see {@link Hadamard}). */
    private void rotate(float[] q, float[] k, float[] v, int t) {
        int hd = c.headDim();
        for (int h = 0; h < c.heads(); h++) Hadamard.transform(q, t * c.qDim() + h * hd, hd);
        for (int h = 0; h < c.kvHeads(); h++) {
            Hadamard.transform(k, t * c.kvDim() + h * hd, hd);
            Hadamard.transform(v, t * c.kvDim() + h * hd, hd);
        }
    }

    static void rope(float[] x, int off, float[] cos, float[] sin, int tOff, int half) {
        for (int i = 0; i < half; i++) {
            float p = x[off + i], r = x[off + i + half];
            float co = cos[tOff + i], si = sin[tOff + i];
            x[off + i] = p * co - r * si;
            x[off + i + half] = r * co + p * si;
        }
    }

    /**
     * Work items are (kv head, part of its query-head group, block of one segment's tokens). Each item streams
     * the keys and values its queries need once, in blocks, with an online softmax, so memory traffic does not
     * grow with the number of query heads per KV head or tokens in the chunk.
     */
    Attention bind(ForwardBatch b, Activations a, int layer) {
        this.b = b;
        this.a = a;
        this.layer = layer;
        if (segmentBlock.length < b.segments + 1) segmentBlock = new int[2 * b.segments + 1];
        int blocks = 0;
        for (int seg = 0; seg < b.segments; seg++) {
            segmentBlock[seg] = blocks;
            blocks += (b.segs[seg].rows + TOKEN_BLOCK - 1) / TOKEN_BLOCK;
        }
        segmentBlock[b.segments] = blocks;
        totalBlocks = blocks;
        int group = c.heads() / c.kvHeads();
        headSplit = group;
        for (int d = 1; d <= group; d++) {
            if (group % d == 0 && (long) c.kvHeads() * d * blocks >= a.workers()) {
                headSplit = d;
                break;
            }
        }
        return this;
    }

    int items() {
        return c.kvHeads() * headSplit * totalBlocks;
    }

    /** Forgets the batch once the layer has run. */
    void unbind() {
        b = null;
        a = null;
    }

    @Override
    public void run(int worker, int start, int end) {
        ForwardBatch b = this.b;
        Activations a = this.a;
        float[] q = a.qRows.data(), att = a.attRows.data();
        int hd = c.headDim(), qd = c.qDim();
        int group = c.heads() / c.kvHeads();
        int headsPerItem = group / headSplit;
        Activations.AttentionScratch w = a.attention[worker];
        boolean global = c.isGlobal(layer);
        int window = c.slidingWindow();
        float scale = c.attentionScale();
        for (int item = start; item < end; item++) {
            int gb = item % totalBlocks;
            int rest = item / totalBlocks;
            int part = rest % headSplit, kvHead = rest / headSplit;
            int seg = segment(gb);
            InferenceState s = b.segs[seg].state;
            Visibility vis = b.segs[seg].visibility;
            int segRow = b.segs[seg].firstRow;
            int t0 = segRow + (gb - segmentBlock[seg]) * TOKEN_BLOCK;
            int t1 = Math.min(segRow + b.segs[seg].rows, t0 + TOKEN_BLOCK);
            int firstPos = s.position + (t0 - segRow);
            int h0 = kvHead * group + part * headsPerItem;
            int queries = (t1 - t0) * headsPerItem;
            int lo = global ? 0 : Math.max(0, firstPos - window + 1);
            lo -= lo % KEY_BLOCK;
            int hi = 0;
            for (int t = t0; t < t1; t++) {
                int last = vis.lastVisibleKey(firstPos + (t - t0));
                w.lastKey[t - t0] = last;
                hi = Math.max(hi, last);
            }
            Arrays.fill(w.max, 0, queries, Float.NEGATIVE_INFINITY);
            Arrays.fill(w.sum, 0, queries, 0f);
            for (int t = t0; t < t1; t++) {
                int aOff = t * qd + h0 * hd;
                Arrays.fill(att, aOff, aOff + headsPerItem * hd, 0f);
            }
            for (int b0 = lo; b0 <= hi; b0 += KEY_BLOCK) {
                int count = Math.min(KEY_BLOCK, hi - b0 + 1);
                s.cache.readKeys(layer, kvHead, b0, count, w.keys);
                s.cache.readValues(layer, kvHead, b0, count, w.values);
                int n = 0;
                for (int t = t0; t < t1; t++) {
                    int pos = firstPos + (t - t0);
                    int first = Math.max(b0, global ? 0 : pos - window + 1);
                    int last = Math.min(w.lastKey[t - t0], b0 + count - 1);
                    if (first > last) continue;
                    for (int hh = 0; hh < headsPerItem; hh++) {
                        w.query[n] = (t - t0) * headsPerItem + hh;
                        w.qOff[n] = t * qd + (h0 + hh) * hd;
                        w.from[n] = first - b0;
                        w.to[n] = last - b0 + 1;
                        n++;
                    }
                }
                attendBlock(w, n, q, att, scale, hd, firstPos >= VECTOR_EXP_FROM);
            }
            for (int t = t0; t < t1; t++) {
                for (int hh = 0; hh < headsPerItem; hh++) {
                    int qi = (t - t0) * headsPerItem + hh;
                    int off = t * qd + (h0 + hh) * hd;
                    scale(att, off, hd, 1f / w.sum[qi]);
                    if (s.cache.rotated) Hadamard.transform(att, off, hd); // values were rotated: undo it
                }
            }
        }
    }

    /** The segment holding global token block gb. */
    private int segment(int gb) {
        int lo = 0, hi = b.segments - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segmentBlock[mid] <= gb) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /**
     * The block's queries (w.query, w.qOff, w.from, w.to for i &lt; n; output rows at the queries' offsets) against
     * its key rows: scores, the online-softmax update of each query's running max and sum (rescaling its output when
     * the max grows), then the output's weighted sum of value rows. Four queries share each pass over the values (a
     * register tile of four queries by four vectors of output), so a value row is loaded once for four queries.
     * Every output element is still the one query's own chain of FMAs in key order (a key outside a query's range
     * adds 0·v, which changes no bits), so the result is what one query at a time gives: the same bits in any batch
     * or chunk. (Scores stay one query by four keys: a four-by-four tile needs sixteen lane sums, which C2 would not
     * inline there, and its boxed vectors made it slower.)
     */
    static void attendBlock(Activations.AttentionScratch w, int n, float[] q, float[] out, float scale, int hd, boolean vectorExp) {
        float[] sc = w.scores, keys = w.keys;
        // Scores in cache-sized pieces: a group of queries' rows and a slice of keys stay in L1 while every query of
        // the group meets every key of the slice (the whole block, 64 KiB of keys at head size 256, does not fit,
        // and streaming it from L2 once per query bounded this loop). Each score is its own sum: the order is free.
        for (int g = 0; g < n; g += QUERY_GROUP) {
            int ge = Math.min(n, g + QUERY_GROUP);
            for (int kb = 0; kb < KEY_BLOCK; kb += KEY_SLICE) {
                for (int i = g; i < ge; i++) {
                    int j = Math.max(w.from[i], kb), to = Math.min(w.to[i], kb + KEY_SLICE), at = i * KEY_BLOCK;
                    for (; j + 4 <= to; j += 4) dot4(q, w.qOff[i], keys, j * hd, hd, sc, at + j, scale);
                    for (; j < to; j++) sc[at + j] = MatMul.dot(q, w.qOff[i], keys, j * hd, hd) * scale;
                }
            }
        }
        for (int i = 0; i < n; i++) softmax(w, i, out, hd, vectorExp);
        // values four output vectors at a time for every group of four queries, so those columns of the value rows
        // stay in L1 across the groups
        int tile = 4 * F.length(), whole = hd / tile * tile, fours = n / 4 * 4;
        for (int d = 0; d < whole; d += tile) {
            for (int i = 0; i < fours; i += 4) values4(w, i, out, hd, d);
        }
        for (int i = 0; i < fours && whole < hd; i++) values1(w, i, out, whole, hd);
        for (int i = fours; i < n; i++) values1(w, i, out, 0, hd);
    }

    /**
     * Query i's online-softmax step over its scores [from, to): the new max, its output and sum rescaled when the
     * max grew, the scores replaced by exp(score − max), and 0 at the other keys of its tile's range.
     */
    private static void softmax(Activations.AttentionScratch w, int i, float[] out, int hd, boolean vectorExp) {
        float[] sc = w.scores;
        int qi = w.query[i], at = i * KEY_BLOCK, from = w.from[i], to = w.to[i];
        float localMax = Float.NEGATIVE_INFINITY;
        for (int j = from; j < to; j++) localMax = Math.max(localMax, sc[at + j]);
        float oldMax = w.max[qi];
        float newMax = Math.max(oldMax, localMax);
        if (newMax > oldMax && oldMax != Float.NEGATIVE_INFINITY) {
            float correction = (float) Math.exp(oldMax - newMax);
            w.sum[qi] *= correction;
            scale(out, w.qOff[i], hd, correction);
        }
        w.max[qi] = newMax;
        w.sum[qi] += expInPlace(sc, at, from, to, newMax, vectorExp);
    }

    /**
     * Output rows of queries i..i+3, columns [d, d + 4 vectors), += Σ p_j·v_j over their key range, in registers:
     * per key, four loads of v and four broadcasts serve sixteen FMAs. Per element this is the one query's chain
     * fma(v_j, p_j, o) in key order ({@link #values1}); keys outside its range add 0·v.
     */
    private static void values4(Activations.AttentionScratch w, int i, float[] out, int hd, int d) {
        float[] sc = w.scores, v = w.values;
        int lo = Math.min(Math.min(w.from[i], w.from[i + 1]), Math.min(w.from[i + 2], w.from[i + 3]));
        int hi = Math.max(Math.max(w.to[i], w.to[i + 1]), Math.max(w.to[i + 2], w.to[i + 3]));
        int o0 = w.qOff[i], o1 = w.qOff[i + 1], o2 = w.qOff[i + 2], o3 = w.qOff[i + 3];
        int p0 = i * KEY_BLOCK, p1 = p0 + KEY_BLOCK, p2 = p1 + KEY_BLOCK, p3 = p2 + KEY_BLOCK;
        int L = F.length();
        FloatVector c00 = FloatVector.fromArray(F, out, o0 + d), c01 = FloatVector.fromArray(F, out, o0 + d + L);
        FloatVector c02 = FloatVector.fromArray(F, out, o0 + d + 2 * L), c03 = FloatVector.fromArray(F, out, o0 + d + 3 * L);
        FloatVector c10 = FloatVector.fromArray(F, out, o1 + d), c11 = FloatVector.fromArray(F, out, o1 + d + L);
        FloatVector c12 = FloatVector.fromArray(F, out, o1 + d + 2 * L), c13 = FloatVector.fromArray(F, out, o1 + d + 3 * L);
        FloatVector c20 = FloatVector.fromArray(F, out, o2 + d), c21 = FloatVector.fromArray(F, out, o2 + d + L);
        FloatVector c22 = FloatVector.fromArray(F, out, o2 + d + 2 * L), c23 = FloatVector.fromArray(F, out, o2 + d + 3 * L);
        FloatVector c30 = FloatVector.fromArray(F, out, o3 + d), c31 = FloatVector.fromArray(F, out, o3 + d + L);
        FloatVector c32 = FloatVector.fromArray(F, out, o3 + d + 2 * L), c33 = FloatVector.fromArray(F, out, o3 + d + 3 * L);
        for (int j = lo; j < hi; j++) {
            int vo = j * hd + d;
            FloatVector v0 = FloatVector.fromArray(F, v, vo), v1 = FloatVector.fromArray(F, v, vo + L);
            FloatVector v2 = FloatVector.fromArray(F, v, vo + 2 * L), v3 = FloatVector.fromArray(F, v, vo + 3 * L);
            FloatVector p = FloatVector.broadcast(F, sc[p0 + j]);
            c00 = v0.fma(p, c00);
            c01 = v1.fma(p, c01);
            c02 = v2.fma(p, c02);
            c03 = v3.fma(p, c03);
            p = FloatVector.broadcast(F, sc[p1 + j]);
            c10 = v0.fma(p, c10);
            c11 = v1.fma(p, c11);
            c12 = v2.fma(p, c12);
            c13 = v3.fma(p, c13);
            p = FloatVector.broadcast(F, sc[p2 + j]);
            c20 = v0.fma(p, c20);
            c21 = v1.fma(p, c21);
            c22 = v2.fma(p, c22);
            c23 = v3.fma(p, c23);
            p = FloatVector.broadcast(F, sc[p3 + j]);
            c30 = v0.fma(p, c30);
            c31 = v1.fma(p, c31);
            c32 = v2.fma(p, c32);
            c33 = v3.fma(p, c33);
        }
        c00.intoArray(out, o0 + d);
        c01.intoArray(out, o0 + d + L);
        c02.intoArray(out, o0 + d + 2 * L);
        c03.intoArray(out, o0 + d + 3 * L);
        c10.intoArray(out, o1 + d);
        c11.intoArray(out, o1 + d + L);
        c12.intoArray(out, o1 + d + 2 * L);
        c13.intoArray(out, o1 + d + 3 * L);
        c20.intoArray(out, o2 + d);
        c21.intoArray(out, o2 + d + L);
        c22.intoArray(out, o2 + d + 2 * L);
        c23.intoArray(out, o2 + d + 3 * L);
        c30.intoArray(out, o3 + d);
        c31.intoArray(out, o3 + d + L);
        c32.intoArray(out, o3 + d + 2 * L);
        c33.intoArray(out, o3 + d + 3 * L);
    }

    /**
     * Output row of query i, columns [d0, hd), += Σ p_j·v_j over its own key range: whole vectors four keys per
     * pass (the output loaded and stored once per four), each element the chain fma(v_j, p_j, o) in key order;
     * the columns past the last whole vector in scalar, four keys per sum.
     */
    private static void values1(Activations.AttentionScratch w, int i, float[] out, int d0, int hd) {
        float[] sc = w.scores, values = w.values;
        int oOff = w.qOff[i], at = i * KEY_BLOCK, from = w.from[i], to = w.to[i];
        int j = from;
        int bound = d0 + (hd - d0) / F.length() * F.length();
        for (; j + 4 <= to; j += 4) {
            FloatVector w0 = FloatVector.broadcast(F, sc[at + j]), w1 = FloatVector.broadcast(F, sc[at + j + 1]);
            FloatVector w2 = FloatVector.broadcast(F, sc[at + j + 2]), w3 = FloatVector.broadcast(F, sc[at + j + 3]);
            int v0 = j * hd, v1 = v0 + hd, v2 = v1 + hd, v3 = v2 + hd;
            int d = d0;
            for (; d < bound; d += F.length()) {
                FloatVector o = FloatVector.fromArray(F, out, oOff + d);
                o = FloatVector.fromArray(F, values, v0 + d).fma(w0, o);
                o = FloatVector.fromArray(F, values, v1 + d).fma(w1, o);
                o = FloatVector.fromArray(F, values, v2 + d).fma(w2, o);
                o = FloatVector.fromArray(F, values, v3 + d).fma(w3, o);
                o.intoArray(out, oOff + d);
            }
            for (; d < hd; d++) {
                out[oOff + d] += sc[at + j] * values[v0 + d] + sc[at + j + 1] * values[v1 + d] + sc[at + j + 2] * values[v2 + d]
                        + sc[at + j + 3] * values[v3 + d];
            }
        }
        for (; j < to; j++) {
            FloatVector b = FloatVector.broadcast(F, sc[at + j]);
            int vo = j * hd;
            int d = d0;
            for (; d < bound; d += F.length()) {
                FloatVector.fromArray(F, values, vo + d).fma(b, FloatVector.fromArray(F, out, oOff + d)).intoArray(out, oOff + d);
            }
            for (; d < hd; d++) out[oOff + d] += sc[at + j] * values[vo + d];
        }
    }

    /** sc[at..at+4) = scale · (q · k_r) for the four key rows starting at kOff; q is loaded once for all four. */
    private static void dot4(float[] q, int qOff, float[] k, int kOff, int hd, float[] sc, int at, float scale) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = F.loopBound(hd); i < bound; i += F.length()) {
            FloatVector x = FloatVector.fromArray(F, q, qOff + i);
            a0 = FloatVector.fromArray(F, k, kOff + i).fma(x, a0);
            a1 = FloatVector.fromArray(F, k, kOff + hd + i).fma(x, a1);
            a2 = FloatVector.fromArray(F, k, kOff + 2 * hd + i).fma(x, a2);
            a3 = FloatVector.fromArray(F, k, kOff + 3 * hd + i).fma(x, a3);
        }
        float s0 = LaneSum.sum(a0), s1 = LaneSum.sum(a1);
        float s2 = LaneSum.sum(a2), s3 = LaneSum.sum(a3);
        for (; i < hd; i++) {
            float x = q[qOff + i];
            s0 += x * k[kOff + i];
            s1 += x * k[kOff + hd + i];
            s2 += x * k[kOff + 2 * hd + i];
            s3 += x * k[kOff + 3 * hd + i];
        }
        sc[at] = s0 * scale;
        sc[at + 1] = s1 * scale;
        sc[at + 2] = s2 * scale;
        sc[at + 3] = s3 * scale;
    }

    /**
     * sc[at + j] = exp(sc[at + j] − max) for j in [from, to), 0 for the block's other keys; returns the sum of the
     * exps, added in key order. The difference is taken in f32 and its exp in double ({@link Ops#expNonPositive}),
     * rounded to f32: the f32 of Math.exp but for ties. With {@code vector}, whole vectors take
     * {@link Ops#expNonPositive(DoubleVector)}, the same operations lane by lane: the bits are the same either way,
     * and do not depend on whether the JIT has compiled the code (the Vector API's own exp does differ between its
     * interpreted and compiled forms). At 16K tokens the exp in scalar code was a fifth of prefill.
     */
    private static float expInPlace(float[] sc, int at, int from, int to, float max, boolean vector) {
        int j = at + from, end = at + to;
        if (vector) {
            for (int bound = j + Ops.F_HALF.loopBound(to - from); j < bound; j += Ops.F_HALF.length()) {
                FloatVector x = FloatVector.fromArray(Ops.F_HALF, sc, j).sub(max);
                DoubleVector e = Ops.expNonPositive((DoubleVector) x.convertShape(VectorOperators.F2D, Ops.D, 0));
                ((FloatVector) e.convertShape(VectorOperators.D2F, Ops.F_HALF, 0)).intoArray(sc, j);
            }
        }
        for (; j < end; j++) sc[j] = (float) Ops.expNonPositive(sc[j] - max);
        Arrays.fill(sc, at, at + from, 0f);
        Arrays.fill(sc, end, at + KEY_BLOCK, 0f);
        float sum = 0;
        for (j = at + from; j < end; j++) sum += sc[j];
        return sum;
    }

    static void scale(float[] x, int off, int n, float f) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, off + i).mul(f).intoArray(x, off + i);
        }
        for (; i < n; i++) x[off + i] *= f;
    }
}
