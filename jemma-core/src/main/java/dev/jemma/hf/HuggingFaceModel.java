package dev.jemma.hf;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.GGUFMetadata.Entry;
import dev.jemma.gguf.GGUFValueType;
import dev.jemma.gguf.GGUFWriter;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.safetensors.SafetensorsCheckpoint;
import dev.jemma.safetensors.SafetensorsDtype;
import dev.jemma.safetensors.SafetensorsTensor;
import dev.jemma.tensor.GGMLType;
import dev.jemma.tokenizer.Tokenizer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Hugging Face Gemma 3 folder ({@code config.json}, safetensors, tokenizer) seen as the GGUF model llama.cpp's
 * {@code convert_hf_to_gguf.py} would make of it: the same metadata keys and values, tensor names
 * ({@link Gemma3TensorNames}) and order, norms stored as 1 + w, the embedding cut to the vocabulary. {@link #view}
 * runs it directly (weights stay in the safetensors mapping in their stored type; only norms are computed);
 * {@link #convert} writes it as a GGUF file in f32, f16, bf16 or q8_0. docs/CONVERT.md lists the rules and
 * where Jemma departs from the converter.
 */
public final class HuggingFaceModel implements AutoCloseable {
    /** The output types of {@code jemma convert}; AUTO picks BF16 or F16 from the first matrix's stored type. */
    public enum OutType { AUTO, F32, F16, BF16, Q8_0 }

    /** One GGUF tensor: its name, the checkpoint tensor it comes from, its GGUF shape (ne order), its row count kept. */
    record Mapped(String name, String source, long[] shape, boolean norm, long rows) {}

    private final Path dir;
    private final Gemma3HfConfig config;
    private final SafetensorsCheckpoint weights;
    private final HfVocab vocab;
    private final List<Mapped> tensors;

    private HuggingFaceModel(Path dir, Gemma3HfConfig config, SafetensorsCheckpoint weights, HfVocab vocab, List<Mapped> tensors) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.vocab = vocab;
        this.tensors = tensors;
    }

    /** Whether {@code p} looks like a Hugging Face model folder (a directory with a config.json). */
    public static boolean isFolder(Path p) {
        return Files.isDirectory(p) && Files.isRegularFile(p.resolve("config.json"));
    }

    /** Opens and checks the folder: config, tokenizer, every tensor's presence, shape and dtype. */
    public static HuggingFaceModel open(Path dir) throws IOException {
        Gemma3HfConfig cfg = Gemma3HfConfig.read(dir);
        HfVocab vocab = Files.isRegularFile(dir.resolve("tokenizer.model")) ? HfVocab.read(dir, cfg.vocabSize()) : null;
        if (vocab == null && !Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new HuggingFaceFormatException(dir + " has neither tokenizer.model nor tokenizer.json");
        }
        SafetensorsCheckpoint st = SafetensorsCheckpoint.open(dir);
        try {
            long vocabRows = vocab != null ? vocab.tokens.length : -1;
            List<Mapped> mapped = Gemma3TensorNames.map(cfg, st, vocabRows, dir);
            return new HuggingFaceModel(dir, cfg, st, vocab, mapped);
        } catch (RuntimeException e) {
            st.close();
            throw e;
        }
    }

    public Gemma3HfConfig config() {
        return config;
    }

    /** The tokenizer: from tokenizer.json when the folder has one (Hugging Face's own definition), else tokenizer.model. */
    public Tokenizer tokenizer(GGUFMetadata md) {
        Path json = dir.resolve("tokenizer.json");
        return Files.isRegularFile(json) ? Tokenizer.fromTokenizerJson(json) : Tokenizer.fromGGUF(md);
    }

    /**
     * The folder as an in-memory GGUF model for running it directly: weights in their stored type (F32, F16 or
     * BF16; other float types converted to F32), norms computed. Closing the view closes this model.
     */
    public GGUFFile view() {
        Arena arena = Arena.ofShared();
        try {
            Map<String, MemorySegment> data = new LinkedHashMap<>();
            List<TensorInfo> infos = new ArrayList<>();
            long offset = 0;
            for (Mapped m : tensors) {
                SafetensorsTensor t = weights.tensor(m.source()).tensor();
                GGMLType type;
                MemorySegment seg;
                if (m.norm() || !directType(t.dtype())) {
                    float[] v = values(m);
                    seg = arena.allocate(4L * v.length, 64);
                    MemorySegment.copy(v, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, v.length);
                    type = GGMLType.F32;
                } else {
                    type = t.dtype() == SafetensorsDtype.BF16 ? GGMLType.BF16 : t.dtype() == SafetensorsDtype.F16 ? GGMLType.F16 : GGMLType.F32;
                    seg = weights.data(m.source()).asSlice(0, m.rows() * m.shape()[0] * t.dtype().byteSize());
                }
                infos.add(new TensorInfo(m.name(), m.shape(), type, offset, seg.byteSize()));
                offset += seg.byteSize();
                data.put(m.name(), seg);
            }
            GGUFMetadata md = GGUFMetadata.of(metadata(fileType(guessed()), true));
            return GGUFFile.assembled(dir, md, infos, data, () -> {
                arena.close();
                weights.close();
            });
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Writes the folder as a GGUF file, atomically. {@code progress} gets (tensors done, tensors in all). */
    public void convert(Path out, OutType outType, java.util.function.BiConsumer<Integer, Integer> progress) {
        if (vocab == null) throw new HuggingFaceFormatException(dir + " has no tokenizer.model, which llama.cpp's GGUF tokenizer metadata is built from");
        OutType t = outType == OutType.AUTO ? guessed() : outType;
        GGUFWriter w = new GGUFWriter();
        for (Map.Entry<String, Entry> e : metadata(fileType(t), false).entrySet()) w.put(e.getKey(), e.getValue());
        int[] done = {0};
        for (Mapped m : tensors) {
            GGMLType type = outputType(m, t);
            w.tensor(m.name(), m.shape(), type, sink -> {
                put(sink, type, values(m), (int) m.shape()[0]);
                if (progress != null) progress.accept(++done[0], tensors.size());
            });
        }
        w.write(out);
    }

    /** Writes the vision tower and projector as llama.cpp's mmproj file (multimodal checkpoints only), atomically. */
    public void convertMmproj(Path out, OutType outType) {
        LinkedHashMap<String, Entry> sampling = new LinkedHashMap<>();
        generationConfig(sampling);
        Gemma3MmprojConverter.convert(dir, config, weights, outType == OutType.AUTO ? guessed() : outType, out, sampling);
    }

    /** f32 values stored as the type: F32/F16/BF16 rounded by the writer, Q8_0 by ggml's reference quantizer. */
    static void put(GGUFWriter.Sink sink, GGMLType type, float[] values, int cols) throws java.io.IOException {
        if (type != GGMLType.Q8_0) {
            sink.putFloats(type, values, 0, values.length);
            return;
        }
        MemorySegment q = MemorySegment.ofArray(new byte[values.length / 32 * 34]);
        dev.jemma.quantize.Quantizers.quantize(type, values, 0, values.length / cols, cols, null, q, 0);
        sink.putBytes(q);
    }

    /** Elements of a tensor of this shape. */
    static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** The converter's per-tensor type: norms and vectors F32; Q8_0 falls back to F16 for rows not a multiple of 32. */
    static GGMLType outputType(Mapped m, OutType t) {
        return tensorType(m.name(), m.shape(), t);
    }

    /** As {@link #outputType}, for any GGUF tensor name and shape (ne order); the mmproj file uses it too. */
    static GGMLType tensorType(String name, long[] ne, OutType t) {
        if (ne.length <= 1 || name.endsWith("_norm.weight")) return GGMLType.F32;
        return switch (t) {
            case F32 -> GGMLType.F32;
            case F16, AUTO -> GGMLType.F16;
            case BF16 -> GGMLType.BF16;
            case Q8_0 -> ne[0] % 32 == 0 ? GGMLType.Q8_0 : GGMLType.F16;
        };
    }

    /** llama.cpp's "auto": BF16 if the first matrix is stored in bf16, F16 otherwise. */
    OutType guessed() {
        for (Mapped m : tensors) {
            SafetensorsTensor t = weights.tensor(m.source()).tensor();
            if (t.rank() < 2) continue;
            if (t.dtype() == SafetensorsDtype.BF16) return OutType.BF16;
            if (t.dtype() == SafetensorsDtype.F16) return OutType.F16;
            break;
        }
        return OutType.F16;
    }

    private static int fileType(OutType t) {
        return switch (t) {
            case F32 -> 0;
            case F16, AUTO -> 1;
            case BF16 -> 32;
            case Q8_0 -> 7;
        };
    }

    private static boolean directType(SafetensorsDtype d) {
        return d == SafetensorsDtype.F32 || d == SafetensorsDtype.F16 || d == SafetensorsDtype.BF16;
    }

    /** The tensor's values in f32 as the converter computes them: widened from the stored type, norms + 1, rows cut. */
    float[] values(Mapped m) {
        SafetensorsCheckpoint.Entry e = weights.tensor(m.source());
        float[] all = e.file().toFloats(e.tensor());
        int n = Math.toIntExact(m.rows() * m.shape()[0]);
        float[] v = n == all.length ? all : java.util.Arrays.copyOf(all, n);
        if (m.norm()) for (int i = 0; i < v.length; i++) v[i] = v[i] + 1f;
        return v;
    }

    /**
     * The metadata in the converter's order. {@code forRun}: also Jemma's own query_pre_attn_scalar key when the
     * config's value differs from what llama.cpp infers (the GGUF format has no key for it).
     */
    private LinkedHashMap<String, Entry> metadata(int fileType, boolean forRun) {
        Gemma3HfConfig c = config;
        LinkedHashMap<String, Entry> md = new LinkedHashMap<>();
        md.put("general.architecture", str("gemma3"));
        md.put("general.type", str("model"));
        long params = 0;
        for (Mapped m : tensors) params += elements(m.shape());
        generationConfig(md);
        ModelNaming.of(dir.toAbsolutePath().normalize().getFileName().toString(), params).addTo(md, params);
        md.put("gemma3.block_count", u32(c.layers()));
        md.put("gemma3.context_length", u32(c.contextLength()));
        md.put("gemma3.embedding_length", u32(c.hidden()));
        md.put("gemma3.feed_forward_length", u32(c.ffn()));
        md.put("gemma3.attention.head_count", u32(c.heads()));
        md.put("gemma3.attention.head_count_kv", u32(c.kvHeads()));
        if (c.ropeScaling() > 0) {
            md.put("gemma3.rope.scaling.type", str("linear"));
            md.put("gemma3.rope.scaling.factor", f32(c.ropeScaling()));
        }
        md.put("gemma3.rope.freq_base", f32(c.ropeTheta()));
        md.put("gemma3.rope.freq_base_swa", f32(c.ropeLocalTheta()));
        md.put("gemma3.attention.layer_norm_rms_epsilon", f32(c.rmsEps()));
        md.put("gemma3.attention.key_length", u32(c.headDim()));
        md.put("gemma3.attention.value_length", u32(c.headDim()));
        md.put("general.file_type", u32(fileType));
        if (c.finalLogitSoftcap() != null) md.put("gemma3.final_logit_softcapping", f32(c.finalLogitSoftcap()));
        if (c.slidingWindowPattern() != 1) md.put("gemma3.attention.sliding_window", u32(c.slidingWindow()));
        md.put("general.quantization_version", u32(2));
        if (vocab != null) vocab.addTo(md, dir, c);
        if (forRun) {
            double inferred = c.layers() == 62 ? (double) c.hidden() / c.heads() : c.headDim();
            if (c.queryPreAttnScalar() != inferred) md.put("gemma3.attention.query_pre_attn_scalar", f32(c.queryPreAttnScalar()));
        }
        return md;
    }

    /** The sampling defaults of generation_config.json, as the converter copies them (before the name). */
    private void generationConfig(LinkedHashMap<String, Entry> md) {
        com.fasterxml.jackson.databind.JsonNode g = HfVocab.json(dir.resolve("generation_config.json"));
        if (g == null || !g.isObject()) return;
        String[][] keys = {{"sequence", "sequence", "s"}, {"top_k", "top_k", "i"}, {"top_p", "top_p", "f"}, {"min_p", "min_p", "f"},
                {"xtc_probability", "xtc_probability", "f"}, {"xtc_threshold", "xtc_threshold", "f"}, {"temperature", "temp", "f"},
                {"penalty_last_n", "penalty_last_n", "i"}, {"penalty_repeat", "penalty_repeat", "f"}, {"mirostat", "mirostat", "i"},
                {"mirostat_tau", "mirostat_tau", "f"}, {"mirostat_eta", "mirostat_eta", "f"}};
        for (String[] k : keys) {
            com.fasterxml.jackson.databind.JsonNode v = g.get(k[0]);
            if (k[0].equals("penalty_repeat") && (v == null || v.isNull())) v = g.get("repetition_penalty");
            if (v == null || v.isNull()) continue;
            String key = "general.sampling." + k[1];
            switch (k[2]) {
                case "s" -> md.put(key, str(v.asText()));
                case "i" -> md.put(key, new Entry(GGUFValueType.INT32, null, v.asInt()));
                default -> md.put(key, new Entry(GGUFValueType.FLOAT32, null, (float) v.asDouble()));
            }
        }
    }

    private static Entry str(String s) {
        return new Entry(GGUFValueType.STRING, null, s);
    }

    private static Entry u32(long v) {
        return new Entry(GGUFValueType.UINT32, null, v);
    }

    private static Entry f32(double v) {
        return new Entry(GGUFValueType.FLOAT32, null, (float) v);
    }

    @Override
    public void close() {
        weights.close();
    }
}
