package dev.jemma.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.jemma.cli.CliTest.jemma;
import static org.junit.jupiter.api.Assertions.*;

/** --lora on the model commands and `jemma merge`: the adapter acts, merging equals it, bad input is one line. */
class LoraCliTest {
    static final String TOKENS = "2,465,226,224,85,173,184,156";

    static Path model() {
        return CliTest.synthetic("f32_two_global").resolve("model.gguf");
    }

    static Path adapter() {
        return CliTest.repoRoot().resolve("jemma-core/src/test/resources/fixtures/lora/adapter.gguf");
    }

    static float[] logits(Path tmp, String name, String... extra) throws IOException {
        Path out = tmp.resolve(name + ".npy");
        String[] args = {"logits", "--model", model().toString(), "--tokens", TOKENS, "--out", out.toString(), "--threads", "1"};
        String[] all = new String[args.length + extra.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        CliTest.Outcome o = jemma(all);
        assertEquals(0, o.code(), o.err());
        return npy(out);
    }

    static float[] npy(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int start = 10 + ((b[8] & 0xFF) | (b[9] & 0xFF) << 8);
        ByteBuffer buf = ByteBuffer.wrap(b, start, b.length - start).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[(b.length - start) / 4];
        buf.asFloatBuffer().get(v);
        return v;
    }

    static double maxAbs(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @Test
    void loraChangesTheLogitsAndMergeBakesTheSameChangeIn(@TempDir Path tmp) throws IOException {
        float[] base = logits(tmp, "base");
        float[] adapted = logits(tmp, "adapted", "--lora", adapter().toString());
        float[] half = logits(tmp, "half", "--lora", adapter() + ":0.5");
        float[] twoHalves = logits(tmp, "halves", "--lora", adapter() + ":0.5", "--lora", adapter() + ":0.5");
        assertArrayEquals(base, logits(tmp, "zero", "--lora", adapter() + ":0"), "scale 0 is the base model");
        assertTrue(maxAbs(base, adapted) > 1, "the adapter acts");
        assertTrue(maxAbs(half, adapted) > 1e-2, "the scale matters");
        assertTrue(maxAbs(twoHalves, adapted) < 1e-4, "two halves add up to one: " + maxAbs(twoHalves, adapted));

        Path merged = tmp.resolve("merged.gguf");
        CliTest.Outcome o = jemma("merge", "--model", model().toString(), "--lora", adapter().toString(), "--out", merged.toString());
        assertEquals(0, o.code(), o.err());
        assertEquals("", o.out());
        assertTrue(o.err().contains("merging: 171/171 tensors"), o.err());
        Path out = tmp.resolve("m.npy");
        o = jemma("logits", "--model", merged.toString(), "--tokens", TOKENS, "--out", out.toString(), "--threads", "1");
        assertEquals(0, o.code(), o.err());
        float[] fromMerged = npy(out);
        assertTrue(maxAbs(fromMerged, adapted) < 1e-4, "merged vs --lora: " + maxAbs(fromMerged, adapted));
    }

    @Test
    void mergeCanStoreHalfPrecision(@TempDir Path tmp) {
        Path merged = tmp.resolve("m16.gguf");
        CliTest.Outcome o = jemma("merge", "--model", model().toString(), "--lora", adapter() + ":2", "--out", merged.toString(), "--out-type", "bf16");
        assertEquals(0, o.code(), o.err());
        assertTrue(Files.exists(merged));
    }

    @Test
    void badInputIsOneLineAndExitCode1(@TempDir Path tmp) throws IOException {
        String m = model().toString();
        expectError(jemma("logits", "--model", m, "--tokens", "2", "--out", tmp.resolve("x.npy").toString(), "--lora", tmp.resolve("none.gguf").toString()),
                "--lora " + tmp.resolve("none.gguf") + ": file not found");
        expectError(jemma("logits", "--model", m, "--tokens", "2", "--out", tmp.resolve("x.npy").toString(), "--lora", m),
                "is not an adapter");
        expectError(jemma("logits", "--model", m, "--tokens", "2", "--out", tmp.resolve("x.npy").toString(), "--lora", adapter() + ":abc"),
                "scale 'abc' is not a number");
        expectError(jemma("logits", "--model", CliTest.synthetic("f32_basic").resolve("model.gguf").toString(), "--tokens", "2",
                "--out", tmp.resolve("x.npy").toString(), "--lora", adapter().toString()), "but the base model has 7 layers");
        expectError(jemma("merge", "--model", m, "--out", tmp.resolve("m.gguf").toString()), "merge needs at least one --lora");
        expectError(jemma("merge", "--model", m, "--lora", adapter().toString(), "--out", tmp.resolve("m.gguf").toString(), "--out-type", "q4_0"),
                "--out-type q4_0 is not one of f32, f16, bf16");
        expectError(jemma("merge", "--model", m, "--lora", adapter().toString(), "--out", tmp.resolve("no/dir/m.gguf").toString()),
                "the directory does not exist");
        assertFalse(Files.exists(tmp.resolve("x.npy")));
    }

    @Test
    void namedAdaptersForServe() {
        String f = adapter().toString();
        assertEquals(new LoraOptions.Spec("support", adapter(), 0.5f), LoraOptions.parse("support=" + f + ":0.5"));
        assertEquals("support", LoraOptions.parse("support=" + f).modelId());
        assertEquals("adapter", LoraOptions.parse(f).modelId(), "unnamed: the file name without .gguf");
        assertNull(LoraOptions.parse(f + ":2").name());
        dev.jemma.JemmaException bad = assertThrows(dev.jemma.JemmaException.class, () -> LoraOptions.parse("../x=" + f));
        assertTrue(bad.getMessage().contains("adapter name '../x' is not valid"), bad.getMessage());
        expectError(jemma("serve", "--lora", "a b=" + f, "--port", "0"), "adapter name 'a b' is not valid");
    }

    static void expectError(CliTest.Outcome o, String text) {
        assertEquals(1, o.code(), o.err());
        assertTrue(o.err().startsWith("jemma: error: ") || o.err().contains("\njemma: error: "), o.err());
        assertTrue(o.err().contains(text), "expected '" + text + "' in: " + o.err());
        assertFalse(o.err().contains("\tat "), "no stack trace: " + o.err());
    }
}
