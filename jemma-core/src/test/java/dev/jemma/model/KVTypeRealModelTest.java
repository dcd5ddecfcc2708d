package dev.jemma.model;

import dev.jemma.tensor.Kernels;
import dev.jemma.tensor.NativeKernels;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Quality cost of a smaller KV cache on the real 270M: the next-token argmax at each of 2,000
 * positions of real text (English, Chinese, code; past the 512 window) with an f16 and a q8_0 cache,
 * against the f32 cache; and the memory each actually holds.
 */
class KVTypeRealModelTest {
    static final int POSITIONS = 2000;
    static Gemma3Model model;

    @BeforeAll
    static void load() throws Exception {
        model = Gemma3Model.load(Assets.realModel(), 2);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
        model = null; // the test JVM goes on to other classes: let the model's heap go
    }

    static int[] realText(Gemma3Model m, int n) throws Exception {
        StringBuilder text = new StringBuilder();
        try (Stream<Path> files = Files.list(Assets.repoRoot().resolve("conformance/texts"))) {
            for (Path f : files.sorted().toList()) text.append(Files.readString(f, StandardCharsets.UTF_8)).append("\n\n");
        }
        int[] body = m.tokenizer.encode(text.toString());
        assertTrue(body.length + 1 >= n, "need " + n + " tokens of text, have " + (body.length + 1));
        int[] tokens = new int[n];
        tokens[0] = m.tokenizer.bosId();
        System.arraycopy(body, 0, tokens, 1, n - 1);
        return tokens;
    }

    /** The argmax of the logits at every position, computed in chunks. */
    static int[] argmaxes(Gemma3Model m, int[] tokens, KVType type) {
        int vocab = m.vocabRows(), chunk = Gemma3Model.DEFAULT_CHUNK;
        float[] logits = new float[chunk * vocab];
        int[] best = new int[tokens.length];
        try (InferenceState s = m.newState(tokens.length, type)) {
            for (int done = 0; done < tokens.length; done += chunk) {
                int n = Math.min(chunk, tokens.length - done);
                m.forward(s, tokens, done, n, logits, true);
                for (int t = 0; t < n; t++) {
                    int arg = 0;
                    for (int i = 1; i < vocab; i++) if (logits[t * vocab + i] > logits[t * vocab + arg]) arg = i;
                    best[done + t] = arg;
                }
            }
        }
        return best;
    }

    @Test
    void smallerCachesAgreeWithF32OnAtLeast99PercentOfPositions() throws Exception {
        int[] tokens = realText(model, POSITIONS);
        int[] exact = argmaxes(model, tokens, KVType.F32);
        // The integer kernels quantize activations to 8 bits before every product (llama.cpp's numerics), so a KV
        // type's rounding can carry an activation across a quantization step and the difference grows: where the
        // prefill takes them (AVX-512 VNNI), f16 agreed at 96.05% and q8_0 at 95.35% on an Intel Xeon (f32 kernels:
        // 99.95% and 99.10%). The f16 and q8_0 storage code is the same on both paths, and the f32-kernel run holds
        // it to 99%; the integer path is held to 94%.
        boolean integer = model.kernels() == Kernels.NATIVE && NativeKernels.integerPrefill(Gemma3Model.DEFAULT_CHUNK);
        double bound = integer ? 0.94 : 0.99;
        for (KVType type : new KVType[] {KVType.F16, KVType.Q8_0}) {
            int[] ours = argmaxes(model, tokens, type);
            int same = 0;
            for (int i = 0; i < POSITIONS; i++) if (ours[i] == exact[i]) same++;
            double agreement = same / (double) POSITIONS;
            System.out.printf("kv %s: argmax agrees with f32 at %d/%d positions (%.2f%%)%n", type.id(), same, POSITIONS, 100 * agreement);
            assertTrue(agreement >= bound, type.id() + ": " + same + "/" + POSITIONS + " (bound " + bound + ")");
        }
    }

    @Test
    void cacheMemoryShrinksByTheStorageRatio() {
        int ctx = 32768;
        long f32, f16, q8;
        try (InferenceState a = model.newState(ctx, KVType.F32)) { f32 = a.kvCacheBytes(); }
        try (InferenceState b = model.newState(ctx, KVType.F16)) { f16 = b.kvCacheBytes(); }
        try (InferenceState c = model.newState(ctx, KVType.Q8_0)) { q8 = c.kvCacheBytes(); }
        assertEquals(KVCache.bytes(model.config, ctx, Gemma3Model.DEFAULT_CHUNK, KVType.F32), f32);
        // 32 values take 128 bytes in f32, 34 in q8_0; plus the first positions kept exact (f32) in a quantized cache
        long sink = 2L * model.config.layers() * KVCache.SINK_POSITIONS * model.config.kvDim() * 4;
        assertEquals(f32 / 2 + sink, f16);
        assertEquals(f32 / 128 * 34 + sink, q8);
        System.out.printf("kv cache at %d: f32 %.1f MiB, f16 %.1f MiB, q8_0 %.1f MiB (%.2fx smaller)%n",
                ctx, f32 / 1048576.0, f16 / 1048576.0, q8 / 1048576.0, f32 / (double) q8);
    }
}
