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

    static Path synthetic(String name) {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (!Files.exists(p.resolve("jemma-core"))) p = p.getParent();
        return p.resolve("jemma-core/src/test/resources/fixtures/synthetic").resolve(name);
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
