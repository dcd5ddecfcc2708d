package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * out[t·outStride + r] = W[r] · in[t·inStride ..] for t < tokens, split by rows across a worker pool.
 * With one token each row is a fused dequantize-and-dot; with several, each row is dequantized once
 * into a per-worker buffer and reused for every token: from {@link #TILE_MIN_TOKENS} tokens on, through the
 * {@link TokenTile} (activations transposed once per product, five rows × sixteen tokens per register tile).
 * {@link Arithmetic#DECODE} runs every token through the one-token fused kernels instead, each row read once.
 * With {@link Kernels#NATIVE}, matrices of the types {@link NativeKernels} covers take its integer kernels instead
 * (activations quantized once per product, then each worker's rows in one native call); a (row, token) result
 * there never depends on the batch, so every {@link Arithmetic} gives the same bits. FAST prefill chunks (from
 * {@link #TILE_MIN_TOKENS} tokens) may keep the f32 token tile: {@link NativeKernels#integerPrefill(int)}.
 * Instances are reusable and allocate nothing per call (the transposed activations grow to the largest chunk seen).
 */
public final class MatMul implements WorkerPool.RangeTask {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Dequantized rows per worker in prefill: 128 KiB of f32, a good share of a core's L2 */
    private static final int PANEL_FLOATS = 32 * 1024;
    private static final int MAX_PANEL_ROWS = 32;
    /** FAST runs this many tokens or fewer through the one-token kernels ({@link Arithmetic#DECODE}'s path). */
    static final int FUSED_MAX_TOKENS = 4;
    /** Fewer tokens than this waste too much of a 16-token tile; they take the dot-product paths. */
    static final int TILE_MIN_TOKENS = 8;
    /** Rows dequantized at once for the token tile: five tiles' worth, within PANEL_FLOATS when rows are narrow */
    private static final int TILE_PANEL_ROWS = 5 * TokenTile.ROWS;
    /** rows of the prefill register tile (5, or 8 with 512-bit vectors) */
    public static final int TILE_ROWS = TokenTile.ROWS;

    private final WorkerPool pool;
    private final float[][] rowScratch;
    private final float[][] tileAcc;
    private final int[][] tileRowOffsets;
    private final WorkerPool.RangeTask transposeTask = this::transposeTokens;
    /** the activations in TokenTile's layout, for products of at least TILE_MIN_TOKENS tokens */
    private float[] xT = new float[0];
    private boolean tiled;

    // Up to three matrices sharing one input run as a single job over their stacked rows (q, k, v; gate, up),
    // so a decode step pays one dispatch and one barrier for them instead of three.
    private static final int MAX_PARTS = 3;
    private final WeightMatrix[] ws = new WeightMatrix[MAX_PARTS];
    private final float[][] outs = new float[MAX_PARTS][];
    private final int[] outOffs = new int[MAX_PARTS];
    private final int[] outStrides = new int[MAX_PARTS];
    private int parts;
    private float[] in;
    private int inOff;
    private int inStride;
    private int tokens;
    private boolean decode;

    // native kernels: the choice, per-part use, quantized activations (grown to the largest product seen) and the
    // arrays of this call as segments (cached: the model passes the same few buffers every time)
    private Kernels kernels = Kernels.JAVA;
    private final boolean[] partNative = new boolean[MAX_PARTS];
    private final MemorySegment[] outSegs = new MemorySegment[MAX_PARTS];
    private final WorkerPool.RangeTask quantizeTask = this::quantizeTokens;
    private final Arena arena = Arena.ofAuto();
    private static final int KINDS = 3;
    private final MemorySegment[] quantized = {MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL};
    private final long[] quantizedStride = new long[KINDS];
    private final boolean[] quantizeKind = new boolean[KINDS];
    /** per part: its interleaved weights, or null for the stored layout */
    private final MemorySegment[] partPacked = new MemorySegment[MAX_PARTS];
    private MemorySegment inSeg;
    private final float[][] segmentKeys = new float[8][];
    private final MemorySegment[] segmentValues = new MemorySegment[8];
    private int segmentNext;

    public MatMul(WorkerPool pool, int maxCols) {
        this.pool = pool;
        this.rowScratch = new float[pool.size()][Math.max(Math.max(TokenTile.ROWS, RowKernel.SCRATCH_COLS) * maxCols, PANEL_FLOATS)];
        this.tileAcc = new float[pool.size()][TokenTile.ROWS * TokenTile.TOKENS];
        this.tileRowOffsets = new int[pool.size()][TokenTile.ROWS];
    }

    /**
     * Chooses the kernels of the products from now on (JAVA until then; a model passes its own choice) and returns
     * what runs (JAVA or NATIVE); NATIVE when the
     * library cannot run here is a {@link dev.jemma.JemmaException} with the reason. Not while a product runs.
     */
    public Kernels kernels(Kernels choice) {
        this.kernels = choice.resolve();
        return kernels;
    }

    /** JAVA or NATIVE. */
    public Kernels kernels() {
        return kernels;
    }

    /** out[t] = W · in[t] for t < tokens. */
    public void apply(WeightMatrix w, Rows in, Rows out, int tokens, Arithmetic arithmetic) {
        parts = 0;
        part(w, out);
        go(in, tokens, arithmetic);
    }

    /**
     * Two products of the same input as one job over their stacked rows (gate and up): one dispatch and one
     * barrier instead of two. The matrices must have the same number of columns.
     */
    public void apply(Rows in, int tokens, Arithmetic arithmetic, WeightMatrix w1, Rows out1, WeightMatrix w2, Rows out2) {
        parts = 0;
        part(w1, out1);
        part(w2, out2);
        go(in, tokens, arithmetic);
    }

    /** Three products of the same input as one job (q, k and v). */
    public void apply(Rows in, int tokens, Arithmetic arithmetic, WeightMatrix w1, Rows out1, WeightMatrix w2, Rows out2,
                      WeightMatrix w3, Rows out3) {
        parts = 0;
        part(w1, out1);
        part(w2, out2);
        part(w3, out3);
        go(in, tokens, arithmetic);
    }

    private void part(WeightMatrix w, Rows out) {
        if (TokenTile.ROWS * w.cols > rowScratch[0].length) throw new IllegalArgumentException(w.name + " wider than scratch");
        if (parts > 0 && w.cols != ws[0].cols) throw new IllegalArgumentException(w.name + ": columns differ from " + ws[0].name);
        ws[parts] = w;
        outs[parts] = out.data();
        outOffs[parts] = out.offset();
        outStrides[parts] = out.stride();
        parts++;
    }

    private void go(Rows in, int tokens, Arithmetic arithmetic) {
        // up to four tokens the one-token kernels (each weight block decoded once for the group) beat dequantizing
        // the panel; from eight, the token tile
        this.decode = arithmetic == Arithmetic.DECODE || (tokens <= FUSED_MAX_TOKENS && arithmetic == Arithmetic.FAST);
        this.in = in.data();
        this.inOff = in.offset();
        this.inStride = in.stride();
        this.tokens = tokens;
        int rows = 0;
        for (int i = 0; i < parts; i++) rows += ws[i].rows;
        try {
            boolean anyJava = prepareNative(arithmetic);
            tiled = anyJava && arithmetic == Arithmetic.FAST && tokens >= TILE_MIN_TOKENS;
            if (tiled) {
                int groups = (tokens + TokenTile.TOKENS - 1) / TokenTile.TOKENS;
                int need = groups * TokenTile.TOKENS * ws[0].cols;
                if (xT.length < need) xT = new float[need];
                pool.run(groups, transposeTask);
            }
            pool.run(rows, this);
        } finally {
            this.in = null;
            this.inSeg = null;
            for (int i = 0; i < parts; i++) {
                outs[i] = null;
                outSegs[i] = null;
                partPacked[i] = null;
                ws[i] = null;
            }
        }
    }

    /**
     * Marks the parts the native kernels take, checks their bounds (the C code trusts them), and quantizes the
     * activations once for all of them. Returns whether any part still takes the Java kernels.
     */
    private boolean prepareNative(Arithmetic arithmetic) {
        java.util.Arrays.fill(quantizeKind, false);
        boolean anyJava = false, anyNative = false;
        int cols = ws[0].cols;
        // FAST prefill chunks take the f32 token tile where it is the faster of the two (NativeKernels.integerPrefill)
        boolean use = kernels == Kernels.NATIVE
                && (arithmetic != Arithmetic.FAST || tokens < TILE_MIN_TOKENS || NativeKernels.integerPrefill(tokens));
        for (int i = 0; i < parts; i++) {
            int kind = use ? NativeKernels.activationKind(ws[i].type) : -1;
            partNative[i] = kind >= 0;
            partPacked[i] = null;
            if (kind < 0) {
                anyJava = true;
                continue;
            }
            long last = outOffs[i] + (long) (tokens - 1) * outStrides[i] + ws[i].rows;
            if (outOffs[i] < 0 || outStrides[i] < 0 || last > outs[i].length) {
                throw new IndexOutOfBoundsException(ws[i].name + ": output rows out of bounds");
            }
            outSegs[i] = segment(outs[i]);
            anyNative = true;
            if (ws[i].nativePacked()) kind = NativeKernels.packedActivationKind(ws[i].type);
            quantizeKind[kind] = true;
        }
        if (!anyNative) return true;
        if (inOff < 0 || inStride < 0 || inOff + (long) (tokens - 1) * inStride + cols > in.length) {
            throw new IndexOutOfBoundsException(ws[0].name + ": input rows out of bounds");
        }
        inSeg = segment(in);
        for (int i = 0; i < parts; i++) if (partNative[i] && ws[i].nativePacked()) partPacked[i] = ws[i].packed(pool);
        for (int kind = 0; kind < KINDS; kind++) {
            if (!quantizeKind[kind]) continue;
            long stride = NativeKernels.activationBytes(kind, cols);
            if (quantized[kind].byteSize() < stride * tokens) {
                quantized[kind] = arena.allocate(Math.max(stride * tokens, quantized[kind].byteSize() * 2), 64);
            }
            quantizedStride[kind] = stride;
        }
        pool.run(tokens, quantizeTask);
        return anyJava;
    }

    private void quantizeTokens(int worker, int start, int end) {
        for (int kind = 0; kind < KINDS; kind++) {
            if (!quantizeKind[kind]) continue;
            NativeKernels.quantize(kind, inSeg, inOff + (long) start * inStride, inStride, end - start, ws[0].cols,
                    quantized[kind], start * quantizedStride[kind], quantizedStride[kind]);
        }
    }

    /** The array as a heap segment, from a small cache (the model multiplies the same few buffers every step). */
    private MemorySegment segment(float[] a) {
        for (int i = 0; i < segmentKeys.length; i++) if (segmentKeys[i] == a) return segmentValues[i];
        int i = segmentNext;
        segmentNext = (segmentNext + 1) % segmentKeys.length;
        segmentKeys[i] = a;
        segmentValues[i] = MemorySegment.ofArray(a);
        return segmentValues[i];
    }

    @Override
    public void run(int worker, int start, int end) {
        int base = 0;
        for (int i = 0; i < parts && base < end; i++) {
            WeightMatrix w = ws[i];
            int lo = Math.max(start, base), hi = Math.min(end, base + w.rows);
            if (lo < hi) {
                if (partNative[i]) nativeRows(i, lo - base, hi - base);
                else rows(worker, w, outs[i], outOffs[i], outStrides[i], lo - base, hi - base);
            }
            base += w.rows;
        }
    }

    private void nativeRows(int part, int start, int end) {
        WeightMatrix w = ws[part];
        if (partPacked[part] != null) {
            int kind = NativeKernels.packedActivationKind(w.type);
            NativeKernels.matmulPacked(w.type, partPacked[part], start, end, w.cols, quantized[kind], quantizedStride[kind], tokens,
                    outSegs[part], outOffs[part] + start, outStrides[part]);
            return;
        }
        int kind = NativeKernels.activationKind(w.type);
        NativeKernels.matmul(w.type, w.data, start * w.rowBytes, w.rowBytes, end - start, w.cols, quantized[kind], quantizedStride[kind],
                tokens, outSegs[part], outOffs[part] + start, outStrides[part]);
    }

    private void transposeTokens(int worker, int start, int end) {
        TokenTile.transpose(in, inOff, inStride, tokens, ws[0].cols, xT, start, end);
    }

    private void rows(int worker, WeightMatrix w, float[] out, int outOff, int outStride, int start, int end) {
        if (decode) {
            if (tokens == 1) w.dotRows(start, end - start, in, inOff, out, outOff + start);
            else w.dotRowsTokens(start, end - start, in, inOff, inStride, tokens, out, outOff + start, outStride, rowScratch[worker]);
            return;
        }
        if (tiled) {
            tiledRows(worker, w, out, outOff, outStride, start, end);
            return;
        }
        float[] panel = rowScratch[worker];
        int cols = w.cols;
        int r = start;
        if (tokens >= 4) {
            // A panel of rows is dequantized, then every group of four tokens runs over the whole panel: the four
            // activation rows stay in L1 while the panel streams from L2. (Row pair by row pair over all tokens
            // instead streamed every token's activations from L2 for each pair, which bounded the FMA rate.)
            int panelRows = Math.max(2, Math.min(MAX_PANEL_ROWS, panel.length / cols) & ~1);
            while (end - r >= 2) {
                int n = Math.min(panelRows, (end - r) & ~1);
                for (int i = 0; i < n; i++) w.dequantizeRow(r + i, panel, i * cols);
                int t = 0;
                for (; t + 4 <= tokens; t += 4) {
                    for (int i = 0; i < n; i += 2) dot2x4(panel, i * cols, cols, r + i, t, out, outOff, outStride);
                }
                for (; t < tokens; t++) {
                    for (int i = 0; i < n; i++) out[outOff + t * outStride + r + i] = dot(panel, i * cols, in, inOff + t * inStride, cols);
                }
                r += n;
            }
        }
        for (; r < end; r++) {
            w.dequantizeRow(r, panel, 0);
            int t = 0;
            for (; t + 4 <= tokens; t += 4) dot4(panel, cols, r, t, out, outOff, outStride);
            for (; t < tokens; t++) out[outOff + t * outStride + r] = dot(panel, in, inOff + t * inStride, cols);
        }
    }

    /**
     * Rows [start, end) through the token tile: a panel of rows is dequantized, then each block of 16 tokens runs
     * over it {@link TokenTile#ROWS} rows at a time. A last group of fewer rows repeats its last row in the spare places.
     */
    private void tiledRows(int worker, WeightMatrix w, float[] out, int outOff, int outStride, int start, int end) {
        float[] panel = rowScratch[worker], acc = tileAcc[worker];
        int[] offs = tileRowOffsets[worker];
        int cols = w.cols, R = TokenTile.ROWS, T = TokenTile.TOKENS;
        int panelRows = Math.max(R, Math.min(TILE_PANEL_ROWS, PANEL_FLOATS / cols) / R * R);
        int groups = (tokens + T - 1) / T;
        for (int r = start; r < end; r += panelRows) {
            int n = Math.min(panelRows, end - r), last = n - 1;
            for (int i = 0; i < n; i++) w.dequantizeRow(r + i, panel, i * cols);
            for (int g = 0; g < groups; g++) {
                int xo = g * T * cols, valid = Math.min(T, tokens - g * T);
                for (int i = 0; i < n; i += R) {
                    for (int ri = 0; ri < R; ri++) offs[ri] = Math.min(i + ri, last) * cols;
                    TokenTile.tile(panel, offs, cols, xT, xo, acc);
                    int o = outOff + g * T * outStride + r + i;
                    for (int ri = 0, nr = Math.min(R, n - i); ri < nr; ri++) {
                        for (int j = 0; j < valid; j++) out[o + j * outStride + ri] = acc[T * ri + j];
                    }
                }
            }
        }
    }

    /**
     * Rows r and r+1 (at row[base..] and row[base + cols..]) against tokens t..t+3. Each (row, token) sum has its
     * own accumulator and is formed in exactly the order {@link #dot} uses, so the grouping never changes a result.
     */
    private void dot2x4(float[] row, int base, int cols, int r, int t, float[] out, int outOff, int outStride) {
        int b0 = inOff + t * inStride, b1 = b0 + inStride, b2 = b1 + inStride, b3 = b2 + inStride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        int i = 0;
        for (int bound = F.loopBound(cols); i < bound; i += F.length()) {
            FloatVector u = FloatVector.fromArray(F, row, base + i), v = FloatVector.fromArray(F, row, base + cols + i);
            FloatVector x0 = FloatVector.fromArray(F, in, b0 + i), x1 = FloatVector.fromArray(F, in, b1 + i);
            FloatVector x2 = FloatVector.fromArray(F, in, b2 + i), x3 = FloatVector.fromArray(F, in, b3 + i);
            a0 = u.fma(x0, a0);
            a1 = u.fma(x1, a1);
            a2 = u.fma(x2, a2);
            a3 = u.fma(x3, a3);
            c0 = v.fma(x0, c0);
            c1 = v.fma(x1, c1);
            c2 = v.fma(x2, c2);
            c3 = v.fma(x3, c3);
        }
        float s0 = LaneSum.sum(a0), s1 = LaneSum.sum(a1);
        float s2 = LaneSum.sum(a2), s3 = LaneSum.sum(a3);
        float p0 = LaneSum.sum(c0), p1 = LaneSum.sum(c1);
        float p2 = LaneSum.sum(c2), p3 = LaneSum.sum(c3);
        for (; i < cols; i++) {
            float u = row[base + i], v = row[base + cols + i];
            s0 += u * in[b0 + i];
            s1 += u * in[b1 + i];
            s2 += u * in[b2 + i];
            s3 += u * in[b3 + i];
            p0 += v * in[b0 + i];
            p1 += v * in[b1 + i];
            p2 += v * in[b2 + i];
            p3 += v * in[b3 + i];
        }
        int o = outOff + t * outStride + r;
        out[o] = s0;
        out[o + 1] = p0;
        out[o + outStride] = s1;
        out[o + outStride + 1] = p1;
        out[o + 2 * outStride] = s2;
        out[o + 2 * outStride + 1] = p2;
        out[o + 3 * outStride] = s3;
        out[o + 3 * outStride + 1] = p3;
    }

    /**
     * Row r against tokens t..t+3 at once: each weight vector is loaded once for four tokens, and the four
     * independent accumulators keep the FMA pipelines busy (one accumulator would wait on FMA latency).
     * Each token's sum is formed in exactly the order {@link #dot} uses, so results do not depend on grouping.
     */
    private void dot4(float[] row, int cols, int r, int t, float[] out, int outOff, int outStride) {
        int b0 = inOff + t * inStride, b1 = b0 + inStride, b2 = b1 + inStride, b3 = b2 + inStride;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = F.loopBound(cols); i < bound; i += F.length()) {
            FloatVector wv = FloatVector.fromArray(F, row, i);
            a0 = wv.fma(FloatVector.fromArray(F, in, b0 + i), a0);
            a1 = wv.fma(FloatVector.fromArray(F, in, b1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(F, in, b2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(F, in, b3 + i), a3);
        }
        float s0 = LaneSum.sum(a0), s1 = LaneSum.sum(a1);
        float s2 = LaneSum.sum(a2), s3 = LaneSum.sum(a3);
        for (; i < cols; i++) {
            s0 += row[i] * in[b0 + i];
            s1 += row[i] * in[b1 + i];
            s2 += row[i] * in[b2 + i];
            s3 += row[i] * in[b3 + i];
        }
        int o = outOff + t * outStride + r;
        out[o] = s0;
        out[o + outStride] = s1;
        out[o + 2 * outStride] = s2;
        out[o + 3 * outStride] = s3;
    }

    /**
     * One pass of the token tile's code (transpose and tile) on caller-owned scratch, for the load-time JIT warm-up:
     * x is {@code cols} activations, rows at least {@link #TILE_ROWS}·cols floats, xT at least 16·cols, acc at least
     * 16·{@link #TILE_ROWS}.
     */
    public static float warmUpTile(float[] rows, float[] x, float[] xT, float[] acc, int cols) {
        TokenTile.transpose(x, 0, 0, TokenTile.TOKENS, cols, xT, 0, 1);
        int[] offs = new int[TokenTile.ROWS];
        for (int r = 0; r < offs.length; r++) offs[r] = r * cols;
        TokenTile.tile(rows, offs, cols, xT, 0, acc);
        return acc[TokenTile.ROWS * TokenTile.TOKENS - 1];
    }

    /** f32 dot of a[0..n) and b[bOff..bOff+n). */
    public static float dot(float[] a, float[] b, int bOff, int n) {
        return dot(a, 0, b, bOff, n);
    }

    /** f32 dot of a[aOff..aOff+n) and b[bOff..bOff+n). */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float s = LaneSum.sum(acc);
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }
}
