package dev.jemma.adapter;

import dev.jemma.Jemma;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.GGUFWriter;
import dev.jemma.gguf.ModelFormatException;
import dev.jemma.model.ForwardBatch;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import dev.jemma.tensor.Arithmetic;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.Projection;
import dev.jemma.tensor.GGMLType;
import dev.jemma.testutil.TinyGemma;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

class LoraAdapterTest {
    static final int[] TOKENS = {2, 270, 271, 272, 273, 274, 275, 276, 277, 278};
    static final Set<Projection> ALL = EnumSet.allOf(Projection.class);

    @TempDir
    static Path shared;
    static Path tiny;
    static GemmaConfig config;

    @BeforeAll
    static void tinyModel() throws IOException {
        tiny = TinyGemma.builder().write(shared);
        try (GGUFFile f = GGUFFile.open(tiny)) {
            config = GemmaConfig.fromGGUF(f.metadata());
        }
    }

    static float[] logits(LoraAdapter adapter) throws IOException {
        try (Gemma3Model m = LoraFixtures.load(tiny, adapter)) {
            return LoraFixtures.logits(m, TOKENS);
        }
    }

    static LoraAdapter random(int rank, float alpha, Set<Projection> targets, long seed) {
        return LoraFixtures.random(config, rank, alpha, targets, seed, 0.2f, 0.2f);
    }

    // ----------------------------------------------------------------------------- the forward pass

    @Test
    void anAdapterWithBZeroIsTheBaseModelBitForBit() throws IOException {
        LoraAdapter a = random(4, 8, ALL, 1);
        for (int l = 0; l < config.layers(); l++) for (Projection p : ALL) Arrays.fill(a.b(l, p), 0f);
        assertArrayEquals(logits(null), logits(a));
    }

    @Test
    void theAdapterAtInferenceEqualsTheMergedModel(@TempDir Path tmp) throws IOException {
        LoraAdapter a = random(3, 6, ALL, 2).withScale(0.7f);
        Path merged = tmp.resolve("merged.gguf");
        List<String> progress = new java.util.ArrayList<>();
        try (GGUFFile base = GGUFFile.open(tiny)) {
            Merge.write(base, config, List.of(a), GGMLType.F32, merged, (done, total, name) -> progress.add(done + "/" + total));
        }
        assertEquals((2 + 13 * config.layers()) + "/" + (2 + 13 * config.layers()), progress.getLast());
        float[] plain = logits(null), adapted = logits(a), fromMerged;
        try (Gemma3Model m = Gemma3Model.load(merged, 2)) {
            fromMerged = LoraFixtures.logits(m, TOKENS);
        }
        double moved = LoraFixtures.maxAbs(plain, adapted), gap = LoraFixtures.maxAbs(adapted, fromMerged);
        assertTrue(moved > 1e-2, "the adapter acts (moved " + moved + ")");
        assertTrue(gap <= 1e-4, "adapter vs merged model: max |Δlogit| = " + gap);
        try (GGUFFile base = GGUFFile.open(tiny); GGUFFile m = GGUFFile.open(merged)) {
            assertEquals(base.metadata().keys(), m.metadata().keys());
            assertArrayEquals(base.metadata().stringArray("tokenizer.ggml.tokens"), m.metadata().stringArray("tokenizer.ggml.tokens"));
            assertEquals(-1, base.tensorData(base.tensor("blk.1.attn_norm.weight")).mismatch(m.tensorData(m.tensor("blk.1.attn_norm.weight"))),
                    "tensors without an adapter are copied as stored");
        }
    }

    @Test
    void mergedWeightsCanBeStoredAsF16OrBF16(@TempDir Path tmp) throws IOException {
        LoraAdapter a = random(2, 0, EnumSet.of(Projection.Q, Projection.DOWN), 3);
        for (GGMLType t : new GGMLType[] {GGMLType.F16, GGMLType.BF16}) {
            Path out = tmp.resolve(t + ".gguf");
            try (GGUFFile base = GGUFFile.open(tiny)) {
                Merge.write(base, config, List.of(a), t, out, null);
            }
            try (GGUFFile m = GGUFFile.open(out); Gemma3Model model = Gemma3Model.load(out, 1)) {
                assertEquals(t, m.tensor("blk.0.attn_q.weight").type());
                assertEquals(t, m.tensor("blk.1.ffn_down.weight").type());
                assertEquals(GGMLType.F32, m.tensor("blk.0.attn_k.weight").type(), "not adapted: kept as stored");
                assertEquals(model.vocabRows(), TinyGemma.VOCAB);
            }
        }
    }

    @Test
    void theForwardPassSeesInPlaceUpdates() throws IOException {
        LoraAdapter a = LoraAdapter.create(config, 2, 4, EnumSet.of(Projection.V, Projection.UP));
        float[] base = logits(null);
        try (Gemma3Model m = LoraFixtures.load(tiny, a)) {
            assertArrayEquals(base, LoraFixtures.logits(m, TOKENS), "zero-filled: the base model");
            LoraAdapter filled = random(2, 4, EnumSet.of(Projection.V, Projection.UP), 4);
            for (int l = 0; l < config.layers(); l++) {
                for (Projection p : List.of(Projection.V, Projection.UP)) {
                    System.arraycopy(filled.a(l, p), 0, a.a(l, p), 0, a.a(l, p).length);
                    System.arraycopy(filled.b(l, p), 0, a.b(l, p), 0, a.b(l, p).length);
                }
            }
            assertArrayEquals(logits(filled), LoraFixtures.logits(m, TOKENS), "the same model now runs the filled weights");
        }
    }

    @Test
    void scaleIsUserScaleTimesAlphaOverRankAndWithScaleSharesTheWeights() {
        LoraAdapter a = LoraAdapter.create(config, 4, 8, EnumSet.of(Projection.Q));
        assertEquals(2f, a.scale());
        LoraAdapter half = a.withScale(0.5f);
        assertEquals(1f, half.scale());
        assertSame(a.a(0, Projection.Q), half.a(0, Projection.Q));
        assertSame(a.b(1, Projection.Q), half.b(1, Projection.Q));
        assertNull(a.a(0, Projection.K));
        assertEquals(0.5f, LoraAdapter.create(config, 4, 0, EnumSet.of(Projection.Q)).withScale(0.5f).scale(), "alpha 0: the user scale");
    }

    @Test
    void twoAdaptersAddUp() throws IOException {
        LoraAdapter a = random(2, 2, ALL, 5);
        float[] whole = logits(a);
        try (Gemma3Model m = LoraFixtures.load(tiny, AdapterSum.of(List.of(a.withScale(0.5f), a.withScale(0.5f))))) {
            double gap = LoraFixtures.maxAbs(whole, LoraFixtures.logits(m, TOKENS));
            assertTrue(gap < 1e-5, "X·0.5 + X·0.5 vs X: " + gap);
        }
    }

    /** As the scheduler runs them: every segment takes its state's adapter, and batching changes no bit. */
    @Test
    void batchInvariantPassesWithTheAdapterGiveTheSameBitsAloneOrBatched() throws IOException {
        try (Gemma3Model m = LoraFixtures.load(tiny, random(3, 3, ALL, 9))) {
            int vocab = m.vocabRows();
            float[] alone = new float[TOKENS.length * vocab], batched = new float[2 * TOKENS.length * vocab];
            try (InferenceState s = m.newState(32, 16)) {
                ForwardBatch b = new ForwardBatch();
                b.add(s, TOKENS, 0, TOKENS.length, ForwardBatch.Logits.ALL);
                b.arithmetic(Arithmetic.BATCH_INVARIANT);
                b.logits(alone);
                m.forward(b);
            }
            try (InferenceState s1 = m.newState(32, 16); InferenceState s2 = m.newState(32, 16)) {
                ForwardBatch b = new ForwardBatch();
                b.add(s1, new int[] {2, 300 - 1, 5}, 0, 3, ForwardBatch.Logits.ALL);
                b.add(s2, TOKENS, 0, TOKENS.length, ForwardBatch.Logits.ALL);
                b.arithmetic(Arithmetic.BATCH_INVARIANT);
                b.logits(batched);
                m.forward(b);
            }
            assertArrayEquals(alone, Arrays.copyOfRange(batched, 3 * vocab, (3 + TOKENS.length) * vocab));
        }
    }

    @Test
    void theModelsAdapterMustBeSetBeforeItsFirstSequence() throws IOException {
        try (Gemma3Model m = Gemma3Model.load(tiny, 1)) {
            m.newState(16).close();
            assertThrows(IllegalStateException.class, () -> m.adapter(random(1, 1, ALL, 6)));
        }
    }

    @Test
    void jemmaBuilderAppliesAdapters(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("a.gguf");
        random(2, 4, ALL, 7).write(file);
        try (Jemma j = Jemma.builder().model(tiny).threads(1).adapter(file, 1f).adapter(file, 0.5f).build()) {
            AdapterSum sum = assertInstanceOf(AdapterSum.class, j.model().adapter());
            assertEquals(List.of(1f, 0.5f), sum.parts().stream().map(p -> ((LoraAdapter) p).userScale()).toList());
        }
        Path bad = tmp.resolve("bad.gguf");
        Files.copy(tiny, bad);
        assertThrows(AdapterFormatException.class, () -> Jemma.builder().model(tiny).threads(1).adapter(bad, 1f).build());
    }

    // ----------------------------------------------------------------------------- files

    @Test
    void writeThenReadGivesTheSameAdapter(@TempDir Path tmp) throws IOException {
        LoraAdapter a = random(3, 5, EnumSet.of(Projection.K, Projection.O, Projection.GATE), 8);
        Path file = tmp.resolve("a.gguf");
        a.write(file);
        LoraAdapter b = LoraAdapter.read(file, config);
        assertEquals(3, b.rank());
        assertEquals(5f, b.alpha());
        assertEquals(a.scale(), b.scale());
        for (int l = 0; l < config.layers(); l++) {
            for (Projection p : ALL) {
                assertArrayEquals(a.a(l, p), b.a(l, p), l + " " + p);
                assertArrayEquals(a.b(l, p), b.b(l, p), l + " " + p);
            }
        }
        try (GGUFFile f = GGUFFile.open(file)) {
            assertEquals("adapter", f.metadata().string("general.type"));
            assertEquals("gemma3", f.metadata().string("general.architecture"));
            assertEquals("lora", f.metadata().string("adapter.type"));
            assertTrue(f.metadata().contains("general.name"));
            assertArrayEquals(new long[] {TinyGemma.HIDDEN, 3}, f.tensor("blk.1.ffn_gate.weight.lora_a").shape());
            assertArrayEquals(new long[] {3, TinyGemma.FFN}, f.tensor("blk.1.ffn_gate.weight.lora_b").shape());
        }
    }

    /** An adapter file with the standard keys, then whatever {@code edit} does. */
    static Path adapterFile(Path dir, Consumer<GGUFWriter> edit) {
        GGUFWriter w = new GGUFWriter().putString("general.architecture", "gemma3").putString("general.type", "adapter")
                .putString("adapter.type", "lora").putF32("adapter.lora.alpha", 4f);
        edit.accept(w);
        Path p = dir.resolve("adapter-" + System.nanoTime() + ".gguf");
        w.write(p);
        return p;
    }

    /** A well-formed lora_a/lora_b pair for blk.L.attn_q (32 in, 32 out). */
    static void qPair(GGUFWriter w, int layer, int rank) {
        w.tensor("blk." + layer + ".attn_q.weight.lora_a", new long[] {TinyGemma.HIDDEN, rank}, GGMLType.F32, new float[TinyGemma.HIDDEN * rank]);
        w.tensor("blk." + layer + ".attn_q.weight.lora_b", new long[] {rank, 32}, GGMLType.F32, new float[32 * rank]);
    }

    static String error(Path file) {
        return assertThrows(AdapterFormatException.class, () -> LoraAdapter.read(file, config)).getMessage();
    }

    @Test
    void aBaseModelIsNotAnAdapter() {
        assertTrue(error(tiny).contains("is not an adapter (general.type is missing"), error(tiny));
    }

    @Test
    void aMissingFileIsNamed(@TempDir Path tmp) {
        assertTrue(error(tmp.resolve("nope.gguf")).startsWith("adapter file not found"));
    }

    @Test
    void anotherArchitectureIsRefused(@TempDir Path tmp) {
        String m = error(adapterFile(tmp, w -> { w.putString("general.architecture", "llama"); qPair(w, 0, 2); }));
        assertTrue(m.contains("is for architecture 'llama', the base model is gemma3"), m);
    }

    @Test
    void anAdapterTypeOtherThanLoraIsRefused(@TempDir Path tmp) {
        String m = error(adapterFile(tmp, w -> { w.putString("adapter.type", "control_vector"); qPair(w, 0, 2); }));
        assertTrue(m.contains("adapter.type 'control_vector'"), m);
    }

    @Test
    void unknownTensorNamesAreRefused(@TempDir Path tmp) {
        String m = error(adapterFile(tmp, w -> w.tensor("blk.0.attn_qkv.weight.lora_a", new long[] {32, 2}, GGMLType.F32, new float[64])));
        assertTrue(m.contains("blk.0.attn_qkv.weight.lora_a names no linear layer"), m);
        m = error(adapterFile(tmp, w -> w.tensor("blk.0.attn_q.weight", new long[] {32, 2}, GGMLType.F32, new float[64])));
        assertTrue(m.contains("neither a .lora_a nor a .lora_b"), m);
        m = error(adapterFile(tmp, w -> qPair(w, 5, 2)));
        assertTrue(m.contains("is for layer 5 but the base model has 2 layers"), m);
        m = error(adapterFile(tmp, w -> w.tensor("token_embd.weight.lora_a", new long[] {32, 2}, GGMLType.F32, new float[64])));
        assertTrue(m.contains("adapts the token embedding"), m);
    }

    @Test
    void normVectorsAreSkippedAsLlamaCppSkipsThem(@TempDir Path tmp) throws IOException {
        Path p = adapterFile(tmp, w -> { qPair(w, 0, 2); w.tensor("blk.0.attn_norm.weight", new long[] {32}, GGMLType.F32, new float[32]); });
        assertEquals(2, LoraAdapter.read(p, config).rank());
    }

    @Test
    void loraAWithoutLoraBIsRefused(@TempDir Path tmp) {
        String m = error(adapterFile(tmp, w -> w.tensor("blk.1.ffn_up.weight.lora_a", new long[] {32, 2}, GGMLType.F32, new float[64])));
        assertTrue(m.contains("blk.1.ffn_up.weight.lora_a has no .lora_b"), m);
    }

    @Test
    void aShapeThatDoesNotFitTheBaseIsRefused(@TempDir Path tmp) {
        String m = error(adapterFile(tmp, w -> {
            w.tensor("blk.0.ffn_down.weight.lora_a", new long[] {32, 2}, GGMLType.F32, new float[64]);
            w.tensor("blk.0.ffn_down.weight.lora_b", new long[] {2, 32}, GGMLType.F32, new float[64]);
        }));
        assertTrue(m.contains("tensor blk.0.ffn_down.weight.lora_a has shape [32, 2], the base's ffn_down takes 64 inputs"), m);
        m = error(adapterFile(tmp, w -> {
            w.tensor("blk.0.attn_k.weight.lora_a", new long[] {32, 2}, GGMLType.F32, new float[64]);
            w.tensor("blk.0.attn_k.weight.lora_b", new long[] {2, 32}, GGMLType.F32, new float[64]);
        }));
        assertTrue(m.contains("the base's attn_k has 16 outputs"), m);
        m = error(adapterFile(tmp, w -> {
            w.tensor("blk.0.attn_q.weight.lora_a", new long[] {32, 2}, GGMLType.F32, new float[64]);
            w.tensor("blk.0.attn_q.weight.lora_b", new long[] {3, 32}, GGMLType.F32, new float[96]);
        }));
        assertTrue(m.contains("disagree on the rank (2 vs 3)"), m);
    }

    @Test
    void differentRanksInOneAdapterAreRefused(@TempDir Path tmp) {
        String m = error(adapterFile(tmp, w -> { qPair(w, 0, 2); qPair(w, 1, 4); }));
        assertTrue(m.contains("mixes ranks: blk.0.attn_q.weight has rank 2, blk.1.attn_q.weight has rank 4"), m);
    }

    @Test
    void nonFiniteValuesAreRefused(@TempDir Path tmp) {
        float[] b = new float[64];
        b[17] = Float.NaN;
        String m = error(adapterFile(tmp, w -> {
            w.tensor("blk.0.attn_q.weight.lora_a", new long[] {32, 2}, GGMLType.F32, new float[64]);
            w.tensor("blk.0.attn_q.weight.lora_b", new long[] {2, 32}, GGMLType.F32, b);
        }));
        assertTrue(m.contains("tensor blk.0.attn_q.weight.lora_b holds a non-finite value (NaN) at element 17"), m);
        m = error(adapterFile(tmp, w -> { w.putF32("adapter.lora.alpha", Float.POSITIVE_INFINITY); qPair(w, 0, 2); }));
        assertTrue(m.contains("adapter.lora.alpha = Infinity"), m);
    }

    @Test
    void unsupportedTensorTypesAreRefused(@TempDir Path tmp) {
        String m = error(adapterFile(tmp, w -> {
            w.tensor("blk.0.attn_q.weight.lora_a", new long[] {32, 2}, GGMLType.I32, MemorySegment.ofArray(new byte[256]));
            w.tensor("blk.0.attn_q.weight.lora_b", new long[] {2, 32}, GGMLType.F32, new float[64]);
        }));
        assertTrue(m.contains("has type I32; adapters are read in F32, F16, BF16 or Q8_0"), m);
    }

    @Test
    void f16AndBf16AdaptersAreRead(@TempDir Path tmp) throws IOException {
        float[] a = new float[64], b = new float[64];
        for (int i = 0; i < 64; i++) { a[i] = i / 64f; b[i] = -i / 32f; }
        Path p = adapterFile(tmp, w -> {
            w.tensor("blk.0.attn_q.weight.lora_a", new long[] {32, 2}, GGMLType.F16, a);
            w.tensor("blk.0.attn_q.weight.lora_b", new long[] {2, 32}, GGMLType.BF16, b);
        });
        LoraAdapter l = LoraAdapter.read(p, config);
        assertArrayEquals(a, l.a(0, Projection.Q)); // exact in both types
        assertArrayEquals(b, l.b(0, Projection.Q));
    }

    @Test
    void aBrokenGgufIsAModelFormatError(@TempDir Path tmp) throws IOException {
        Path p = tmp.resolve("trunc.gguf");
        Path good = adapterFile(tmp, w -> qPair(w, 0, 2));
        byte[] all = Files.readAllBytes(good);
        Files.write(p, Arrays.copyOf(all, all.length - 100));
        assertThrows(ModelFormatException.class, () -> LoraAdapter.read(p, config));
    }
}
