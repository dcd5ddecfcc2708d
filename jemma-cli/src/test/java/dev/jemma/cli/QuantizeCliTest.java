package dev.jemma.cli;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.tensor.GGMLType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.jemma.cli.CliTest.jemma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** jemma convert, imatrix and quantize end to end, and their bad input as one line on stderr. */
class QuantizeCliTest {
    static Path hfFolder() {
        return CliTest.repoRoot().resolve("jemma-core/src/test/resources/fixtures/hf/tiny-gemma3-text");
    }

    @Test
    void convertImatrixQuantizeAndRun(@TempDir Path tmp) throws Exception {
        Path f16 = tmp.resolve("m-f16.gguf");
        CliTest.Outcome c = jemma("convert", hfFolder().toString(), "--out", f16.toString(), "--type", "f16");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().isEmpty(), "stdout carries only results: " + c.out());
        Path text = Files.writeString(tmp.resolve("calib.txt"), "The quick brown fox jumps over the lazy dog. ".repeat(60));
        Path imatrix = tmp.resolve("imatrix.gguf");
        CliTest.Outcome i = jemma("imatrix", "--model", f16.toString(), "--ctx", "64", "-o", imatrix.toString(), text.toString(), "--threads", "1");
        assertEquals(0, i.code(), i.err());
        Path q = tmp.resolve("m-q4_0.gguf");
        CliTest.Outcome qo = jemma("quantize", f16.toString(), q.toString(), "q4_0", "--imatrix", imatrix.toString(), "-t", "2");
        assertEquals(0, qo.code(), qo.err());
        try (GGUFFile g = GGUFFile.open(q)) {
            assertEquals(GGMLType.Q4_0, g.tensor("blk.0.attn_q.weight").type());
            // 6 layers: n/8 = 0, so no ffn_down gets the imatrix guard's Q4_1
            assertEquals(GGMLType.Q4_0, g.tensor("blk.0.ffn_down.weight").type());
            assertEquals(2L, g.metadata().integer("general.file_type"));
            assertTrue(g.metadata().contains("quantize.imatrix.entries_count"));
        }
        CliTest.Outcome run = jemma("run", "--model", q.toString(), "--raw", "-n", "4", "--temperature", "0", "--threads", "1", "hello");
        assertEquals(0, run.code(), run.err());
        CliTest.Outcome direct = jemma("run", "--model", hfFolder().toString(), "--raw", "-n", "4", "--temperature", "0", "--threads", "1", "hello");
        assertEquals(0, direct.code(), direct.err());
    }

    @Test
    void convertWritesTheMmprojOfAMultimodalFolder(@TempDir Path tmp) throws Exception {
        Path vision = CliTest.repoRoot().resolve("jemma-core/src/test/resources/fixtures/hf/tiny-gemma3-vision");
        CliTest.Outcome o = jemma("convert", vision.toString(), "--out", tmp.resolve("m.gguf").toString(),
                "--mmproj-out", tmp.resolve("mmproj.gguf").toString());
        assertEquals(0, o.code(), o.err());
        try (GGUFFile g = GGUFFile.open(tmp.resolve("mmproj.gguf"))) {
            assertEquals("mmproj", g.metadata().string("general.type"));
            assertEquals("gemma3", g.metadata().string("clip.projector_type"));
        }
        CliTest.Outcome text = jemma("convert", hfFolder().toString(), "--out", tmp.resolve("t.gguf").toString(),
                "--mmproj-out", tmp.resolve("t-mmproj.gguf").toString());
        assertTrue(text.code() != 0 && text.err().contains("text-only"), text.err());
        assertTrue(Files.notExists(tmp.resolve("t-mmproj.gguf")) && Files.notExists(tmp.resolve("t.gguf")), "refused before writing");
    }

    @Test
    void badInputIsOneLine(@TempDir Path tmp) throws Exception {
        Path f32 = CliTest.synthetic("f32_basic").resolve("model.gguf");
        CliTest.Outcome same = jemma("quantize", f32.toString(), f32.toString(), "q8_0");
        assertEquals(1, same.code());
        assertTrue(same.err().contains("is the input file"), same.err());
        CliTest.Outcome type = jemma("quantize", f32.toString(), tmp.resolve("x.gguf").toString(), "q9_9");
        assertTrue(type.code() != 0 && type.err().contains("unknown quantization type"), type.err());
        CliTest.Outcome requant = jemma("quantize", CliTest.synthetic("q4_0").resolve("model.gguf").toString(), tmp.resolve("y.gguf").toString(), "q8_0");
        assertTrue(requant.code() != 0 && requant.err().contains("--allow-requantize"), requant.err());
        CliTest.Outcome notDir = jemma("convert", f32.toString(), "--out", tmp.resolve("z.gguf").toString());
        assertTrue(notDir.code() != 0 && notDir.err().contains("takes a Hugging Face folder"), notDir.err());
        CliTest.Outcome emptyDir = jemma("run", "--model", tmp.toString(), "hello");
        assertTrue(emptyDir.code() != 0 && emptyDir.err().contains("without config.json"), emptyDir.err());
        try (var files = Files.list(tmp)) {
            assertEquals(0, files.count(), "nothing written");
        }
    }
}
