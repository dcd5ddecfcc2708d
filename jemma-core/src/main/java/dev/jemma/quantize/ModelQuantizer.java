package dev.jemma.quantize;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.GGUFValueType;
import dev.jemma.gguf.GGUFWriter;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.tensor.GGMLType;
import dev.jemma.tensor.RowKernel;
import dev.jemma.tensor.RowKernels;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Rewrites a GGUF model with its weights in another type, as llama-quantize does: the same tensor types
 * ({@link TensorTypeRules}), the same bytes for each ({@link Quantizers}), the same order ({@link TensorOrder}) and
 * the same metadata changes ({@code general.file_type}, {@code general.quantization_version}, and the
 * {@code quantize.imatrix.*} keys when an importance matrix is used).
 *
 * <p>{@link #plan} checks everything that can be known before writing (the types, requantization, the
 * importance matrix's fit, the output's size); {@link #write} streams tensor by tensor, each converted to f32 in
 * slabs of rows and quantized by a fixed pool of threads, and writes atomically (temporary file, fsync, rename).
 */
public final class ModelQuantizer {
    /** Bytes of quantized rows kept in memory at once. */
    private static final long SLAB_BYTES = 64L << 20;
    /** Elements per unit of work handed to a thread (as llama.cpp's 32×512). */
    private static final int CHUNK_ELEMENTS = 32 * 512;

    /**
     * @param outputType / tokenEmbeddingType override the mix for those tensors (null: the mix decides)
     * @param importance null, or the importance matrix; {@code importanceFile} is recorded in the metadata
     */
    public record Options(QuantizationMix mix, GGMLType outputType, GGMLType tokenEmbeddingType, boolean pure,
                          boolean allowRequantize, ImportanceMatrix importance, String importanceFile, int threads) {
        public Options {
            if (mix == null) throw new IllegalArgumentException("mix");
            if (threads < 1) throw new IllegalArgumentException("threads must be at least 1");
            for (GGMLType t : new GGMLType[]{outputType, tokenEmbeddingType}) {
                if (t != null && !Quantizers.supports(t)) throw new QuantizeException("type " + t + " cannot be written; supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K");
            }
        }

        public static Options of(QuantizationMix mix, int threads) {
            return new Options(mix, null, null, false, false, null, null, threads);
        }
    }

    /** One tensor's fate: its target type and, when quantized with one, its importance vector. */
    public record TensorPlan(TensorInfo tensor, GGMLType type, float[] importance) {
        public boolean converted() {
            return type != tensor.type();
        }

        public long bytes() {
            return tensor.elementCount() / type.blockSize * type.blockBytes;
        }
    }

    public record Plan(List<TensorPlan> tensors, long outputBytes, int fallbacks, int importanceUsed) {}

    /** Called after each slab of rows and each tensor, from the writing thread. */
    @FunctionalInterface
    public interface Progress {
        void update(String tensor, long bytesDone, long bytesTotal);
    }

    private ModelQuantizer() {}

    /**
     * Starts compiling the quantizers {@code mix} will likely need, in a background thread, before the input is even
     * opened: on a small model a one-shot run otherwise spends most of its time waiting for the JIT (the Vector API
     * runs interpreted until then). Optional; the result is the same either way.
     */
    public static void warmUp(QuantizationMix mix, boolean importance) {
        QuantizerWarmup.start(TensorTypeRules.likelyTypes(mix), importance);
    }

    /** The type of every tensor, checked against the options; throws {@link QuantizeException} naming the problem. */
    public static Plan plan(GGUFFile in, Options o) {
        GGUFMetadata md = in.metadata();
        String arch = md.contains("general.architecture") ? md.string("general.architecture") : null;
        if (arch == null) throw new QuantizeException(in.path() + " has no general.architecture: not a model file");
        if (md.contains("general.type") && !md.string("general.type").equals("model")) {
            throw new QuantizeException(in.path() + " is a " + md.string("general.type") + " file, not a model");
        }
        if (!md.contains(arch + ".block_count")) throw new QuantizeException(in.path() + " has no " + arch + ".block_count");
        int layers = (int) md.integer(arch + ".block_count");
        int heads = (int) md.integer(arch + ".attention.head_count", 1);
        int kvHeads = (int) md.integer(arch + ".attention.head_count_kv", heads);

        List<TensorInfo> order = new ArrayList<>(in.tensors());
        order.sort(Comparator.comparing(TensorInfo::name, TensorOrder.BY_LAYER_THEN_NAME));
        List<String> names = order.stream().map(TensorInfo::name).toList();
        ImportanceMatrix imp = o.importance();
        TensorTypeRules rules = new TensorTypeRules(o.mix(), o.outputType(), o.tokenEmbeddingType(), o.pure(),
                imp != null, names, heads, kvHeads, layers);

        List<TensorPlan> plans = new ArrayList<>();
        long bytes = 0;
        int used = 0;
        for (TensorInfo t : order) {
            GGMLType target = rules.choose(t.name(), t.shape(), t.type());
            float[] w = null;
            if (target != t.type()) {
                if (!isFloat(t.type()) && !o.allowRequantize()) {
                    throw new QuantizeException("tensor " + t.name() + " is already " + t.type() + "; requantizing loses quality, pass --allow-requantize to do it anyway (or start from an F32/F16/BF16 file)");
                }
                if (t.type() != GGMLType.F32) {
                    try {
                        RowKernels.forType(t.type());
                    } catch (RuntimeException e) {
                        throw new QuantizeException("tensor " + t.name() + " has type " + t.type() + ", which Jemma cannot read");
                    }
                }
                if (!Quantizers.supports(target)) throw new QuantizeException("tensor " + t.name() + ": type " + target + " cannot be written");
                if (t.shape()[0] % target.blockSize != 0) {
                    throw new QuantizeException("tensor " + t.name() + " has rows of " + t.shape()[0] + ", not a multiple of " + target + "'s block of " + target.blockSize);
                }
                if (imp != null) {
                    w = imp.weights(t.name());
                    long expect = t.shape()[0] * (t.shape().length > 2 ? t.shape()[2] : 1);
                    if (w != null && w.length != expect) {
                        if (!TensorTypeRules.category(t.name()).equals(TensorTypeRules.Category.TOKEN_EMBD)) {
                            throw new QuantizeException("importance matrix " + o.importanceFile() + " has " + w.length + " values for " + t.name()
                                    + ", which has " + expect + " columns: it was made for another model");
                        }
                        w = null;
                    }
                    if (w != null) used++;
                }
            }
            // llama.cpp checks this even when the tensor already has the type
            boolean required = TensorTypeRules.allowsQuantization(t.name(), t.shape()) && rules.requiresImportance(t.name(), target);
            if (required && (imp == null || (target != t.type() && w == null))) {
                throw new QuantizeException("tensor " + t.name() + " becomes " + target + " in " + o.mix() + ", which needs an importance matrix"
                        + (imp == null ? " (--imatrix FILE; make one with jemma imatrix)" : " with an entry for it"));
            }
            TensorPlan p = new TensorPlan(t, target, w);
            plans.add(p);
            bytes = Math.addExact(bytes, p.bytes());
        }
        if (imp != null && used == 0) {
            throw new QuantizeException("importance matrix " + o.importanceFile() + " has no entry for any weight this model quantizes: it was made for another model");
        }
        return new Plan(List.copyOf(plans), bytes, rules.fallbacks(), used);
    }

    /** Writes the quantized model to {@code out} (atomically); refuses to overwrite the input or to start without room. */
    public static void write(GGUFFile in, Plan plan, Options o, Path out, Progress progress) {
        Path target = out.toAbsolutePath();
        try {
            if (Files.exists(target) && Files.isSameFile(target, in.path())) {
                throw new QuantizeException("the output " + out + " is the input file; write the quantized model elsewhere");
            }
            if (Files.isDirectory(target)) throw new QuantizeException("the output " + out + " is a directory");
            Path dir = target.getParent();
            if (dir == null || !Files.isDirectory(dir)) throw new QuantizeException("the output's directory " + dir + " does not exist");
        } catch (IOException e) {
            throw new QuantizeException("cannot check the output " + out + ": " + e.getMessage(), e);
        }

        GGUFWriter w = new GGUFWriter();
        GGUFMetadata md = in.metadata();
        for (String k : md.keys()) {
            if (k.equals("split.no") || k.equals("split.count") || k.equals("split.tensors.count")) continue;
            w.put(k, md, k);
        }
        // llama.cpp sets a key by removing it and appending it, so these keys end the list
        setLast(w, "general.quantization_version", GGUFValueType.UINT32, 2L);
        setLast(w, "general.file_type", GGUFValueType.UINT32, (long) o.mix().fileType);
        if (o.importance() != null) {
            ImportanceMatrix imp = o.importance();
            setLast(w, "quantize.imatrix.file", GGUFValueType.STRING, truncate(o.importanceFile() == null ? "" : o.importanceFile()));
            if (!imp.datasets().isEmpty()) setLast(w, "quantize.imatrix.dataset", GGUFValueType.STRING, truncate(imp.datasets().get(0)));
            setLast(w, "quantize.imatrix.entries_count", GGUFValueType.UINT32, (long) imp.entries().size());
            if (imp.chunkCount() > 0) setLast(w, "quantize.imatrix.chunks_count", GGUFValueType.UINT32, (long) imp.chunkCount());
        }

        // the plan's other types, past the first tensor's (the workers compile that one themselves, at once)
        List<GGMLType> warmedEarly = TensorTypeRules.likelyTypes(o.mix());
        List<GGMLType> rest = new ArrayList<>();
        GGMLType first = null;
        for (TensorPlan p : plan.tensors()) {
            if (!p.converted()) continue;
            if (first == null) first = p.type();
            if (p.type() != first && !warmedEarly.contains(p.type()) && !rest.contains(p.type())) rest.add(p.type());
        }
        QuantizerWarmup.start(rest, o.importance() != null);

        long total = plan.outputBytes();
        long[] done = {0};
        ExecutorService pool = o.threads() > 1 ? Executors.newFixedThreadPool(o.threads() - 1, r -> {
            Thread t = new Thread(r, "jemma-quantize");
            t.setDaemon(true);
            return t;
        }) : null;
        try {
            for (TensorPlan p : plan.tensors()) {
                TensorInfo t = p.tensor();
                MemorySegment src = in.tensorData(t);
                if (!p.converted()) {
                    w.tensor(t.name(), t.shape(), t.type(), sink -> {
                        sink.putBytes(src);
                        done[0] += t.byteSize();
                        if (progress != null) progress.update(t.name(), done[0], total);
                    });
                } else {
                    w.tensor(t.name(), t.shape(), p.type(), sink -> {
                        quantizeTensor(p, src, o.threads(), pool, (slab, bytes) -> {
                            sink.putBytes(slab.asSlice(0, bytes));
                            done[0] += bytes;
                            if (progress != null) progress.update(t.name(), done[0], total);
                        });
                    });
                }
            }
            w.write(target);
        } finally {
            if (pool != null) pool.shutdownNow();
        }
    }

    @FunctionalInterface
    private interface SlabSink {
        void accept(MemorySegment slab, long bytes) throws IOException;
    }

    /**
     * Converts and quantizes one tensor slab by slab (a slab never spans two matrices of a 3-D tensor, each of which
     * has its own slice of the importance vector); threads take chunks of rows from a shared counter.
     */
    private static void quantizeTensor(TensorPlan p, MemorySegment src, int threads, ExecutorService pool, SlabSink sink) throws IOException {
        TensorInfo t = p.tensor();
        int cols = Math.toIntExact(t.shape()[0]);
        long rows = t.rows();
        long rowsPerMatrix = t.shape().length > 1 ? t.shape()[1] : 1;
        long srcRowBytes = (long) cols / t.type().blockSize * t.type().blockBytes;
        long dstRowBytes = (long) cols / p.type().blockSize * p.type().blockBytes;
        int slabRows = (int) Math.max(1, Math.min(rowsPerMatrix, SLAB_BYTES / dstRowBytes));
        int chunkRows = Math.max(1, CHUNK_ELEMENTS / cols);
        MemorySegment slab = MemorySegment.ofArray(new byte[Math.toIntExact(slabRows * dstRowBytes)]);
        RowKernel reader = t.type() == GGMLType.F32 ? null : RowKernels.forType(t.type());
        for (long matrix = 0; matrix * rowsPerMatrix < rows; matrix++) {
            float[] imp = p.importance();
            if (imp != null && imp.length > cols) imp = Arrays.copyOfRange(imp, (int) (matrix * cols), (int) ((matrix + 1) * cols));
            final float[] importance = imp;
            long matrixEnd = Math.min(rows, (matrix + 1) * rowsPerMatrix);
            for (long first = matrix * rowsPerMatrix; first < matrixEnd; first += slabRows) {
                final long slabFirst = first;
                final int n = (int) Math.min(slabRows, matrixEnd - first);
                AtomicInteger next = new AtomicInteger();
                run(() -> {
                    float[] buf = new float[chunkRows * cols];
                    int r;
                    while ((r = next.getAndAdd(chunkRows)) < n) {
                        int m = Math.min(chunkRows, n - r);
                        for (int i = 0; i < m; i++) {
                            long off = (slabFirst + r + i) * srcRowBytes;
                            if (reader == null) MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED, off, buf, i * cols, cols);
                            else reader.dequantize(src, off, buf, i * cols, cols);
                        }
                        Quantizers.quantize(p.type(), buf, 0, m, cols, importance, slab, (long) r * dstRowBytes);
                    }
                }, threads, pool);
                sink.accept(slab, n * dstRowBytes);
            }
        }
    }

    private static void run(Runnable work, int threads, ExecutorService pool) {
        if (pool == null) {
            work.run();
            return;
        }
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 1; i < threads; i++) fs.add(pool.submit(work));
        Throwable failure = null;
        try {
            work.run();
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (Exception e) {
                if (failure == null) failure = e.getCause() != null ? e.getCause() : e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new QuantizeException("quantization failed: " + failure, failure);
    }

    private static void setLast(GGUFWriter w, String key, GGUFValueType type, Object value) {
        w.remove(key);
        w.put(key, type, value);
    }

    /** llama-quantize keeps at most 127 bytes of these strings. */
    private static String truncate(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= 127) return s;
        return new String(b, 0, 127, StandardCharsets.UTF_8);
    }

    static boolean isFloat(GGMLType t) {
        return t == GGMLType.F32 || t == GGMLType.F16 || t == GGMLType.BF16;
    }
}
