package dev.jemma.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.GGUFValueType;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tiny random Gemma 3 saved by transformers (conformance/gen_hf_fixtures.py): run straight from the folder, its
 * logits equal transformers'; converted, the GGUF equals llama.cpp's convert_hf_to_gguf.py output key by key and
 * tensor by tensor (the committed listings), and Jemma's logits on it equal transformers'.
 */
class HuggingFaceConvertTest {
    static final Path FIXTURES = root().resolve("jemma-core/src/test/resources/fixtures/hf");
    static final String TEXT = "tiny-gemma3-text";
    /** Gemma3ForConditionalGeneration, f32, Google's tokenizer file layout; its query_pre_attn_scalar is head_dim */
    static final String VISION = "tiny-gemma3-vision";

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"tiny-gemma3-text,f32", "tiny-gemma3-text,f16", "tiny-gemma3-text,bf16",
            "tiny-gemma3-text,q8_0", "tiny-gemma3-vision,f32", "tiny-gemma3-vision,f16", "tiny-gemma3-vision,bf16",
            "tiny-gemma3-vision,q8_0"})
    void convertedFileEqualsLlamaCppConverter(String folder, String type, @TempDir Path tmp) throws Exception {
        Path out = tmp.resolve(folder + "." + type + ".gguf");
        try (HuggingFaceModel hf = HuggingFaceModel.open(FIXTURES.resolve(folder))) {
            hf.convert(out, HuggingFaceModel.OutType.valueOf(type.toUpperCase()), null);
        }
        JsonNode listing = new ObjectMapper().readTree(FIXTURES.resolve(folder + "." + type + ".listing.json").toFile());
        compareFile(listing, out);
    }

    /** The file against a converter listing: metadata, then every tensor's name, order, type, shape and bytes. */
    static void compareFile(JsonNode listing, Path file) throws Exception {
        try (GGUFFile f = GGUFFile.open(file)) {
            compareMetadata(listing, f.metadata());
            JsonNode tensors = listing.get("tensors");
            assertEquals(tensors.size(), f.tensors().size(), "tensor count");
            for (int i = 0; i < tensors.size(); i++) {
                JsonNode e = tensors.get(i);
                TensorInfo t = f.tensors().get(i);
                String n = e.get("name").asText();
                assertEquals(n, t.name(), "tensor " + i);
                assertEquals(e.get("type").asText(), t.type().name(), n + " type");
                List<Long> ne = new ArrayList<>();
                e.get("ne").forEach(x -> ne.add(x.asLong()));
                assertEquals(ne, java.util.Arrays.stream(t.shape()).boxed().toList(), n + " shape");
                assertEquals(e.get("sha256").asText(), sha(f.tensorData(t)), n + " bytes");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "f16", "bf16", "q8_0"})
    void mmprojEqualsLlamaCppConverter(String type, @TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("mmproj." + type + ".gguf");
        try (HuggingFaceModel hf = HuggingFaceModel.open(FIXTURES.resolve(VISION))) {
            hf.convertMmproj(out, HuggingFaceModel.OutType.valueOf(type.toUpperCase()));
        }
        JsonNode listing = new ObjectMapper().readTree(FIXTURES.resolve(VISION + ".mmproj." + type + ".listing.json").toFile());
        compareFile(listing, out);
    }

    /** Every key in the converter's order with its type and value; general.name depends on the folder's name. */
    static void compareMetadata(JsonNode listing, GGUFMetadata md) throws Exception {
        List<String> keys = new ArrayList<>();
        listing.get("metadata").forEach(m -> keys.add(m.get("key").asText()));
        assertEquals(keys, new ArrayList<>(md.keys()), "metadata keys in order");
        for (JsonNode m : listing.get("metadata")) {
            String k = m.get("key").asText();
            if (listing.path("volatile").has(k)) continue;
            GGUFMetadata.Entry e = md.entry(k);
            assertEquals(m.get("type").asText(), e.type().name(), k + " type");
            if (e.type() == GGUFValueType.ARRAY) {
                assertEquals(m.get("element_type").asText(), e.elementType().name(), k + " element type");
                if (m.has("sha256")) assertEquals(m.get("sha256").asText(), arraySha(e), k + " values");
                else assertEquals(m.get("value").toString(), new ObjectMapper().valueToTree(e.value()).toString(), k);
            } else if (e.type() == GGUFValueType.FLOAT32) {
                assertEquals(Long.decode(m.get("bits").asText()).intValue(), Float.floatToRawIntBits((Float) e.value()), k);
            } else if (e.type() == GGUFValueType.STRING) {
                assertEquals(m.get("value").asText(), e.value(), k);
            } else if (e.type() == GGUFValueType.BOOL) {
                assertEquals(m.get("value").asBoolean(), e.value(), k);
            } else {
                assertEquals(m.get("value").asLong(), ((Number) e.value()).longValue(), k);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {TEXT, VISION})
    void runsFromTheFolderAsTransformersDoes(String folder) throws Exception {
        JsonNode ref = new ObjectMapper().readTree(FIXTURES.resolve(folder + ".reference.json").toFile());
        try (Gemma3Model m = Gemma3Model.load(FIXTURES.resolve(folder), 1)) {
            double d = maxDiff(m, ref, "logits");
            System.out.printf("[hf] %s from the folder: max |Jemma - transformers| = %.3g%n", folder, d);
            assertTrue(d <= 1e-4, "max |Δ| " + d);
        }
    }

    /**
     * The converted f32 file: Jemma's logits on it equal transformers' (the vision model's text part) and, like
     * llama.cpp's, follow the file (the text model's query_pre_attn_scalar of 24 has no GGUF key, so both scale by
     * head_dim there); llama.cpp itself, run on Jemma's file, is within its usual 5e-3 of transformers.
     */
    @ParameterizedTest
    @ValueSource(strings = {TEXT, VISION})
    void convertedF32RunsAsTheReferencesDo(String folder, @TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("m.gguf");
        try (HuggingFaceModel hf = HuggingFaceModel.open(FIXTURES.resolve(folder))) {
            hf.convert(out, HuggingFaceModel.OutType.F32, null);
        }
        JsonNode ref = new ObjectMapper().readTree(FIXTURES.resolve(folder + ".reference.json").toFile());
        try (Gemma3Model m = Gemma3Model.load(out, 1)) {
            double vsLlama = maxDiff(m, ref, "llamacpp_logits");
            System.out.printf("[hf] %s converted to f32: max |Jemma - llama.cpp| = %.3g%n", folder, vsLlama);
            assertTrue(vsLlama <= 5e-3, "Jemma vs llama.cpp " + vsLlama);
            if (folder.equals(VISION)) {
                double d = maxDiff(m, ref, "logits");
                System.out.printf("[hf] %s converted to f32: max |Jemma - transformers| = %.3g%n", folder, d);
                assertTrue(d <= 1e-4, "max |Δ| " + d);
            }
        }
        String python = System.getenv("JEMMA_PYTHON");
        if (python == null || python.isBlank()) {
            if (dev.jemma.testutil.Assets.required()) org.junit.jupiter.api.Assertions.fail("JEMMA_PYTHON is not set");
            return;
        }
        // llama.cpp on the file Jemma wrote
        String script = """
                import json, sys, llama_cpp
                ids = json.loads(sys.argv[2])
                m = llama_cpp.Llama(model_path=sys.argv[1], logits_all=True, n_ctx=64, n_threads=1, verbose=False)
                m.eval(ids)
                print(json.dumps([[float(x) for x in m.scores[i]] for i in range(len(ids))]))
                """;
        Process p = new ProcessBuilder(python, "-c", script, out.toString(), ref.get("prompt_ids").toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        JsonNode llama = new ObjectMapper().readTree(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(3, java.util.concurrent.TimeUnit.MINUTES) && p.exitValue() == 0, "llama.cpp failed on " + out);
        double d = 0;
        String field = folder.equals(VISION) ? "logits" : "llamacpp_logits";
        for (int t = 0; t < llama.size(); t++) {
            for (int v = 0; v < ref.get(field).get(t).size(); v++) {
                d = Math.max(d, Math.abs(llama.get(t).get(v).asDouble() - ref.get(field).get(t).get(v).asDouble()));
            }
        }
        System.out.printf("[hf] %s: llama.cpp on Jemma's f32 file vs %s: %.3g%n", folder, field, d);
        assertTrue(d <= 5e-3, "llama.cpp on Jemma's file: " + d);
    }

    static double maxDiff(Gemma3Model m, JsonNode ref, String field) {
        int[] ids = new int[ref.get("prompt_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = ref.get("prompt_ids").get(i).asInt();
        int vocab = m.vocabRows();
        float[] logits = new float[ids.length * vocab];
        InferenceState s = m.newState(64);
        m.forward(s, ids, 0, ids.length, logits, true);
        double max = 0;
        JsonNode rows = ref.get(field);
        for (int t = 0; t < ids.length; t++) {
            JsonNode row = rows.get(t);
            assertEquals(vocab, row.size(), "vocab rows");
            for (int v = 0; v < vocab; v++) max = Math.max(max, Math.abs(logits[t * vocab + v] - row.get(v).asDouble()));
        }
        return max;
    }

    /** The listing's canonical bytes: numbers little-endian in their type; strings as u64 length + UTF-8. */
    static String arraySha(GGUFMetadata.Entry e) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Object v = e.value();
        switch (v) {
            case String[] s -> {
                for (String x : s) {
                    byte[] u = x.getBytes(StandardCharsets.UTF_8);
                    b.write(le(8).putLong(u.length).array());
                    b.write(u);
                }
            }
            case float[] f -> { for (float x : f) b.write(le(4).putFloat(x).array()); }
            case int[] f -> { for (int x : f) b.write(le(4).putInt(x).array()); }
            case long[] f -> { for (long x : f) b.write(le(8).putLong(x).array()); }
            case byte[] f -> b.write(f);
            default -> throw new AssertionError(v.getClass());
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.toByteArray()));
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    static String sha(MemorySegment s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
    }

    static Path root() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("conformance"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root");
        return p;
    }
}
