package dev.jemma.adapter;

import dev.jemma.JemmaException;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.GGUFValueType;
import dev.jemma.gguf.GGUFWriter;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.LinearAdapter;
import dev.jemma.model.Projection;
import dev.jemma.tensor.GGMLType;
import dev.jemma.tensor.LaneSum;
import dev.jemma.tensor.Rows;
import dev.jemma.tensor.WeightMatrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A LoRA adapter on a Gemma 3 model's linear layers: for each targeted (layer, projection), out += scale · B·(A·in)
 * with A of rank × inputs and B of outputs × rank, both row-major f32, and scale = userScale · alpha / rank
 * (userScale when alpha is 0), as llama.cpp computes it.
 *
 * <p>Files are llama.cpp's adapter GGUF (convert_lora_to_gguf.py): {@code general.type = adapter},
 * {@code adapter.type = lora}, {@code adapter.lora.alpha}, and per base weight {@code <name>.lora_a}, ggml shape
 * [inputs, rank] (PEFT's lora_A [rank, in]), and {@code <name>.lora_b}, [rank, outputs] (PEFT's lora_B [out, rank]),
 * which are exactly the row-major A and B kept here.
 *
 * <p>The arrays returned by {@link #a} and {@link #b} are the live weights: a trainer updates them in place and
 * the next forward pass sees the change. {@link #withScale} shares them. An adapter read from a file is for
 * inference: it also keeps each B transposed (rank × outputs), so the forward's B product runs along the outputs
 * in vector lanes (a rank is often shorter than a vector); its arrays must not be changed.
 */
public final class LoraAdapter implements LinearAdapter {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final Pattern TENSOR = Pattern.compile("blk\\.(\\d{1,9})\\.([a-z_]+)\\.weight");
    private static final int PROJECTIONS = Projection.values().length;

    private final GemmaConfig base;
    private final int rank;
    private final float alpha;
    private final float userScale;
    private final float scale;
    /** [layer][projection] → row-major A (rank × inputs) and B (outputs × rank); null where not targeted */
    private final float[][][] a, b;
    /** [layer][projection] → B transposed (rank × outputs), for adapters read from a file; null for trainable ones */
    private final float[][][] bt;
    private final int[] inputs = new int[PROJECTIONS], outputs = new int[PROJECTIONS];
    /** each calling thread's A·x rows (rows × rank), grown when a call has more rows: workers call at once */
    private final ThreadLocal<float[]> mid = ThreadLocal.withInitial(() -> new float[0]);

    private LoraAdapter(GemmaConfig base, int rank, float alpha, float userScale, float[][][] a, float[][][] b, float[][][] bt) {
        this.base = base;
        this.rank = rank;
        this.alpha = alpha;
        this.userScale = userScale;
        this.scale = alpha == 0 ? userScale : userScale * alpha / rank;
        this.a = a;
        this.b = b;
        this.bt = bt;
        for (Projection p : Projection.values()) {
            inputs[p.ordinal()] = BaseLayout.inputs(base, p);
            outputs[p.ordinal()] = BaseLayout.outputs(base, p);
        }
    }

    /** A zero-filled adapter on every layer's {@code targets}, for a trainer to fill. */
    public static LoraAdapter create(GemmaConfig base, int rank, float alpha, Set<Projection> targets) {
        if (rank < 1) throw new IllegalArgumentException("rank must be ≥ 1, got " + rank);
        if (!Float.isFinite(alpha) || alpha < 0) throw new IllegalArgumentException("alpha must be finite and ≥ 0, got " + alpha);
        if (targets.isEmpty()) throw new IllegalArgumentException("an adapter needs at least one target projection");
        float[][][] a = new float[base.layers()][PROJECTIONS][], b = new float[base.layers()][PROJECTIONS][];
        for (int l = 0; l < base.layers(); l++) {
            for (Projection p : targets) {
                a[l][p.ordinal()] = new float[Math.multiplyExact(rank, BaseLayout.inputs(base, p))];
                b[l][p.ordinal()] = new float[Math.multiplyExact(BaseLayout.outputs(base, p), rank)];
            }
        }
        return new LoraAdapter(base, rank, alpha, 1f, a, b, null);
    }

    /**
     * Fills A and B with seeded Gaussian values (standard deviations {@code stdA}, {@code stdB}); returns this. For
     * benchmarks and tests, which need adapters that act (a trainer starts from B = 0).
     */
    public LoraAdapter fillGaussian(long seed, float stdA, float stdB) {
        java.util.Random r = new java.util.Random(seed);
        for (int l = 0; l < a.length; l++) {
            for (int p = 0; p < PROJECTIONS; p++) {
                if (a[l][p] == null) continue;
                for (int i = 0; i < a[l][p].length; i++) a[l][p][i] = (float) r.nextGaussian() * stdA;
                for (int i = 0; i < b[l][p].length; i++) b[l][p][i] = (float) r.nextGaussian() * stdB;
            }
        }
        return this;
    }

    /** The same weights (shared, not copied) with another user scale. */
    public LoraAdapter withScale(float userScale) {
        if (!Float.isFinite(userScale)) throw new IllegalArgumentException("scale must be finite, got " + userScale);
        return new LoraAdapter(base, rank, alpha, userScale, a, b, bt);
    }

    /** Bytes of the weight arrays this adapter holds (the transposed copies included). */
    public long bytes() {
        long n = 0;
        for (int l = 0; l < a.length; l++) {
            for (int p = 0; p < PROJECTIONS; p++) {
                if (a[l][p] == null) continue;
                n += a[l][p].length + (long) b[l][p].length * (bt == null ? 1 : 2);
            }
        }
        return n * Float.BYTES;
    }

    public int rank() {
        return rank;
    }

    public float alpha() {
        return alpha;
    }

    /** The user's factor (1 unless {@link #withScale} said otherwise). */
    public float userScale() {
        return userScale;
    }

    /** The factor applied to B·A: userScale · alpha / rank, or userScale when alpha is 0. */
    public float scale() {
        return scale;
    }

    /** The base model's hyper-parameters this adapter fits. */
    public GemmaConfig base() {
        return base;
    }

    public boolean targets(int layer, Projection p) {
        return a[layer][p.ordinal()] != null;
    }

    /** The live A (rank × inputs, row-major) of a layer's projection, or null when it is not targeted. */
    public float[] a(int layer, Projection p) {
        return a[layer][p.ordinal()];
    }

    /** The live B (outputs × rank, row-major) of a layer's projection, or null when it is not targeted. */
    public float[] b(int layer, Projection p) {
        return b[layer][p.ordinal()];
    }

    /**
     * out[t] += scale · B·(A·in[t]): first A·in for every row (rank dot products of the input width), then B.
     * Thread-safe: each thread has its own scratch rows, so the forward pass's workers can take disjoint rows at
     * once, and one adapter can be shared between models. Each row's arithmetic is its own.
     */
    @Override
    public void addTo(int layer, Projection p, Rows in, Rows out, int rows) {
        if (layer >= a.length) return;
        float[] A = a[layer][p.ordinal()], B = b[layer][p.ordinal()];
        if (A == null) return;
        float[] Bt = bt == null ? null : bt[layer][p.ordinal()];
        int nIn = inputs[p.ordinal()], nOut = outputs[p.ordinal()], r = rank;
        float[] x = in.data(), y = out.data();
        float[] m = mid.get();
        if (m.length < rows * r) {
            m = new float[rows * r];
            mid.set(m);
        }
        for (int t = 0; t < rows; t++) {
            int xo = in.start(t);
            for (int k = 0; k < r; k++) m[t * r + k] = scale * dot(A, k * nIn, x, xo, nIn);
        }
        if (Bt != null) {
            for (int t = 0; t < rows; t++) addTransposed(Bt, m, t * r, r, y, out.start(t), nOut);
        } else {
            for (int t = 0; t < rows; t++) {
                int yo = out.start(t);
                for (int o = 0; o < nOut; o++) y[yo + o] += dot(B, o * r, m, t * r, r);
            }
        }
    }

    /**
     * y[yo+o] += Σ_k bt[k·n+o]·m[mo+k] for o < n: each output's sum is one FMA chain over k (a fixed order, whatever
     * the rows of the call), computed for a vector of outputs at a time.
     */
    private static void addTransposed(float[] bt, float[] m, int mo, int r, float[] y, int yo, int n) {
        int o = 0;
        for (int bound = F.loopBound(n); o < bound; o += F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int k = 0; k < r; k++) acc = FloatVector.fromArray(F, bt, k * n + o).fma(FloatVector.broadcast(F, m[mo + k]), acc);
            FloatVector.fromArray(F, y, yo + o).add(acc).intoArray(y, yo + o);
        }
        for (; o < n; o++) {
            float s = 0;
            for (int k = 0; k < r; k++) s = Math.fma(bt[k * n + o], m[mo + k], s);
            y[yo + o] += s;
        }
    }

    /** rows × cols row-major → cols × rows row-major. */
    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }

    /** Σ u[uo+i]·v[vo+i] for i < n: lanes of the preferred species, then a scalar tail. */
    private static float dot(float[] u, int uo, float[] v, int vo, int n) {
        int i = 0;
        float s = 0;
        if (n >= F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                acc = FloatVector.fromArray(F, u, uo + i).fma(FloatVector.fromArray(F, v, vo + i), acc);
            }
            s = LaneSum.sum(acc); // one fixed order, interpreted or compiled: batch-invariant passes stay bit-exact
        }
        for (; i < n; i++) s += u[uo + i] * v[vo + i];
        return s;
    }

    /** Writes the adapter in llama.cpp's format (f32 tensors), atomically. The user scale is not stored. */
    public void write(Path path) {
        write(path, GGMLType.F32);
    }

    /** Writes the adapter with its tensors stored as {@code type} (f32, f16 or bf16), atomically. */
    public void write(Path path, GGMLType type) {
        if (type != GGMLType.F32 && type != GGMLType.F16 && type != GGMLType.BF16) {
            throw new IllegalArgumentException("an adapter is written as f32, f16 or bf16, not " + type);
        }
        GGUFWriter w = new GGUFWriter();
        w.putString("general.architecture", "gemma3");
        w.putString("general.type", "adapter");
        w.putString("general.name", "jemma-lora-r" + rank);
        w.putString("adapter.type", "lora");
        w.putF32("adapter.lora.alpha", alpha);
        for (int l = 0; l < a.length; l++) {
            for (Projection p : Projection.values()) {
                float[] A = a[l][p.ordinal()];
                if (A == null) continue;
                String name = BaseLayout.weightName(l, p);
                w.tensor(name + ".lora_a", new long[] {inputs[p.ordinal()], rank}, type, A);
                w.tensor(name + ".lora_b", new long[] {rank, outputs[p.ordinal()]}, type, b[l][p.ordinal()]);
            }
        }
        w.write(path);
    }

    /** Reads a llama.cpp LoRA adapter GGUF made for {@code base}, checking everything before it is used. */
    public static LoraAdapter read(Path path, GemmaConfig base) throws IOException {
        if (!Files.isRegularFile(path)) throw new AdapterFormatException("adapter file not found: " + path);
        try (GGUFFile f = GGUFFile.open(path)) {
            GGUFMetadata md = f.metadata();
            String type = stringKey(md, "general.type", path);
            if (!"adapter".equals(type)) {
                throw new AdapterFormatException(path + " is not an adapter (general.type is "
                        + (type == null ? "missing" : "'" + type + "'") + ")");
            }
            String arch = stringKey(md, "general.architecture", path);
            if (!"gemma3".equals(arch)) {
                throw new AdapterFormatException("adapter " + path + " is for architecture "
                        + (arch == null ? "(missing)" : "'" + arch + "'") + ", the base model is gemma3");
            }
            String kind = stringKey(md, "adapter.type", path);
            if (!"lora".equals(kind)) {
                throw new AdapterFormatException("adapter " + path + " has adapter.type "
                        + (kind == null ? "missing" : "'" + kind + "'") + "; only 'lora' is supported");
            }
            float alpha = alpha(md, path);
            Map<String, TensorInfo[]> pairs = pairs(f, base, path);
            int rank = -1;
            String rankFrom = null;
            long floats = 0;
            for (Map.Entry<String, TensorInfo[]> e : pairs.entrySet()) { // every pair checked before anything is allocated
                String name = e.getKey();
                TensorInfo ta = e.getValue()[0], tb = e.getValue()[1];
                if (ta == null || tb == null) {
                    throw new AdapterFormatException("adapter " + path + ": " + name + (ta == null ? ".lora_b has no .lora_a" : ".lora_a has no .lora_b"));
                }
                Projection p = projection(name);
                String role = BaseLayout.role(p);
                int nIn = BaseLayout.inputs(base, p), nOut = BaseLayout.outputs(base, p);
                if (ta.shape().length != 2 || ta.shape()[0] != nIn) {
                    throw new AdapterFormatException("tensor " + ta.name() + " has shape " + ta.shapeString() + ", the base's "
                            + role + " takes " + nIn + " inputs (expected [" + nIn + ", rank])");
                }
                if (tb.shape().length != 2 || tb.shape()[1] != nOut) {
                    throw new AdapterFormatException("tensor " + tb.name() + " has shape " + tb.shapeString() + ", the base's "
                            + role + " has " + nOut + " outputs (expected [rank, " + nOut + "])");
                }
                if (ta.shape()[1] != tb.shape()[0]) {
                    throw new AdapterFormatException("tensors " + ta.name() + " " + ta.shapeString() + " and " + tb.name() + " "
                            + tb.shapeString() + " disagree on the rank (" + ta.shape()[1] + " vs " + tb.shape()[0] + ")");
                }
                long r = tb.shape()[0];
                if (rank < 0) {
                    if (r > Integer.MAX_VALUE / Math.max(nIn, nOut)) throw new AdapterFormatException("tensor " + tb.name() + " has an impossible rank " + r);
                    rank = (int) r;
                    rankFrom = name;
                } else if (r != rank) {
                    throw new AdapterFormatException("adapter " + path + " mixes ranks: " + rankFrom + " has rank " + rank + ", "
                            + name + " has rank " + r + " (one rank per adapter is supported)");
                }
                checkType(ta);
                checkType(tb);
                floats += (long) rank * (nIn + 2L * nOut); // B is kept twice, as stored and transposed
            }
            checkHeap(path, floats);
            float[][][] as = new float[base.layers()][PROJECTIONS][], bs = new float[base.layers()][PROJECTIONS][];
            for (Map.Entry<String, TensorInfo[]> e : pairs.entrySet()) {
                Matcher m = TENSOR.matcher(e.getKey());
                m.matches();
                int layer = Integer.parseInt(m.group(1));
                Projection p = BaseLayout.fromRole(m.group(2));
                as[layer][p.ordinal()] = values(f, e.getValue()[0], rank, BaseLayout.inputs(base, p));
                bs[layer][p.ordinal()] = values(f, e.getValue()[1], BaseLayout.outputs(base, p), rank);
            }
            if (rank < 0) throw new AdapterFormatException("adapter " + path + " has no lora_a/lora_b tensors");
            float[][][] bts = new float[base.layers()][PROJECTIONS][];
            for (int l = 0; l < base.layers(); l++) {
                for (int p = 0; p < PROJECTIONS; p++) if (bs[l][p] != null) bts[l][p] = transpose(bs[l][p], bs[l][p].length / rank, rank);
            }
            return new LoraAdapter(base, rank, alpha, 1f, as, bs, bts);
        }
    }

    private static String stringKey(GGUFMetadata md, String key, Path path) {
        GGUFMetadata.Entry e = md.entry(key);
        if (e == null) return null;
        if (e.type() != GGUFValueType.STRING) throw new AdapterFormatException("adapter " + path + ": " + key + " must be a string, found " + e.type());
        return (String) e.value();
    }

    /** adapter.lora.alpha: absent means 0 (then scale = user scale), as in llama.cpp. */
    private static float alpha(GGUFMetadata md, Path path) {
        GGUFMetadata.Entry e = md.entry("adapter.lora.alpha");
        if (e == null) return 0f;
        if (e.type() != GGUFValueType.FLOAT32) {
            throw new AdapterFormatException("adapter " + path + ": adapter.lora.alpha must be FLOAT32, found " + e.type());
        }
        float alpha = (Float) e.value();
        if (!Float.isFinite(alpha) || alpha < 0) throw new AdapterFormatException("adapter " + path + ": adapter.lora.alpha = " + alpha + " (must be finite and ≥ 0)");
        return alpha;
    }

    /** Base weight name → {lora_a, lora_b}, every name checked against the base; norm vectors skipped as llama.cpp does. */
    private static Map<String, TensorInfo[]> pairs(GGUFFile f, GemmaConfig base, Path path) {
        Map<String, TensorInfo[]> pairs = new LinkedHashMap<>();
        for (TensorInfo t : f.tensors()) {
            String n = t.name();
            int which = n.endsWith(".lora_a") ? 0 : n.endsWith(".lora_b") ? 1 : -1;
            if (which < 0) {
                if (n.endsWith("_norm.weight")) continue; // llama.cpp ignores them too; Jemma's norms stay the base's
                throw new AdapterFormatException("adapter " + path + ": tensor " + n + " is neither a .lora_a nor a .lora_b");
            }
            String weight = n.substring(0, n.length() - ".lora_a".length());
            Matcher m = TENSOR.matcher(weight);
            if (weight.equals("token_embd.weight")) {
                throw new AdapterFormatException("adapter " + path + ": tensor " + n + " adapts the token embedding, which Jemma does not support");
            }
            if (!m.matches() || BaseLayout.fromRole(m.group(2)) == null
                    || !BaseLayout.weightName(Integer.parseInt(m.group(1)), BaseLayout.fromRole(m.group(2))).equals(weight)) {
                throw new AdapterFormatException("adapter " + path + ": tensor " + n + " names no linear layer of a Gemma 3 model (expected blk.N.{"
                        + String.join(",", Arrays.stream(Projection.values()).map(BaseLayout::role).toList()) + "}.weight.lora_a/.lora_b)");
            }
            if (Long.parseLong(m.group(1)) >= base.layers()) {
                throw new AdapterFormatException("adapter " + path + ": tensor " + n + " is for layer " + m.group(1)
                        + " but the base model has " + base.layers() + " layers");
            }
            pairs.computeIfAbsent(weight, k -> new TensorInfo[2])[which] = t;
        }
        return pairs;
    }

    /** The projection of a base weight name that {@link #pairs} accepted. */
    private static Projection projection(String weight) {
        Matcher m = TENSOR.matcher(weight);
        if (!m.matches()) throw new AssertionError(weight);
        return BaseLayout.fromRole(m.group(2));
    }

    private static void checkType(TensorInfo t) {
        if (t.type() != GGMLType.F32 && t.type() != GGMLType.F16 && t.type() != GGMLType.BF16 && t.type() != GGMLType.Q8_0) {
            throw new AdapterFormatException("tensor " + t.name() + " has type " + t.type() + "; adapters are read in F32, F16, BF16 or Q8_0");
        }
    }

    /** The weights are held as f32 on the heap: refuse, with the numbers, what cannot fit rather than run out of memory. */
    private static void checkHeap(Path path, long floats) {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        long need = floats * Float.BYTES;
        if (need > free) {
            throw new JemmaException(String.format("adapter %s needs %,d MiB of heap for its f32 weights but only %,d MiB are free"
                    + " (raise the JVM's maximum heap)", path, need >> 20, free >> 20));
        }
    }

    /** A tensor's values as rows × cols f32, checked for finiteness; type and size were checked before. */
    private static float[] values(GGUFFile f, TensorInfo t, int rows, int cols) {
        WeightMatrix w = new WeightMatrix(t.name(), t.type(), rows, cols, f.tensorData(t));
        float[] v = new float[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) w.dequantizeRow(r, v, r * cols);
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new AdapterFormatException("tensor " + t.name() + " holds a non-finite value (" + v[i] + ") at element " + i);
            }
        }
        return v;
    }

    @Override
    public String toString() {
        EnumSet<Projection> targets = EnumSet.noneOf(Projection.class);
        for (float[][] layer : a) for (Projection p : Projection.values()) if (layer[p.ordinal()] != null) targets.add(p);
        return "LoRA rank " + rank + ", alpha " + alpha + ", scale " + scale + " on " + targets;
    }
}
