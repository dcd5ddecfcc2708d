package dev.jemma.model;

import dev.jemma.gguf.ModelFormatException;
import dev.jemma.testutil.GgufBuilder;
import dev.jemma.testutil.TinyGemma;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * docs/RELIABILITY.md, "Gemma hyper-parameters and tensors" and "Tokenizer metadata": inconsistent
 * Gemma hyper-parameters, missing or misshapen tensors and broken tokenizer metadata are refused with a
 * message naming the key or tensor. Runs in the "reliability" execution with -Xmx512m.
 */
@Tag("reliability")
@Timeout(10)
class GemmaLoadReliabilityTest {
    @TempDir
    Path tmp;

    void rejected(Consumer<GgufBuilder> breakIt, String... fragments) {
        GgufBuilder g = TinyGemma.builder();
        breakIt.accept(g);
        Path f = g.write(tmp);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> {
            try (Gemma3Model m = Gemma3Model.load(f, 1)) {
                fail("accepted");
            }
        });
        for (String s : fragments) {
            assertTrue(e.getMessage().toLowerCase(Locale.ROOT).contains(s.toLowerCase(Locale.ROOT)),
                    "message should mention '" + s + "': " + e.getMessage());
        }
    }

    @Test
    void theTinyModelLoadsAndRuns() throws Exception {
        try (Gemma3Model m = Gemma3Model.load(TinyGemma.builder().write(tmp), 1)) {
            float[] logits = new float[m.vocabRows()];
            m.forward(m.newState(16), new int[] {2, 270, 271, 272}, 0, 4, logits, false);
            for (float v : logits) assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void unknownExtraTensorIsOnlyAWarning() throws Exception {
        GgufBuilder g = TinyGemma.builder();
        g.tensorF32("extra.weight", new long[] {4}, new float[4]);
        try (Gemma3Model m = Gemma3Model.load(g.write(tmp), 1)) {
            assertEquals(TinyGemma.VOCAB, m.vocabRows());
        }
    }

    // hyper-parameters
    @Test
    void blockCount() {
        rejected(g -> g.u32("gemma3.block_count", 0), "gemma3.block_count", "0");
        rejected(g -> g.u32("gemma3.block_count", 513), "gemma3.block_count", "513");
        rejected(g -> g.u32("gemma3.block_count", 3), "gemma3.block_count = 3", "2 blocks");
        rejected(g -> g.u32("gemma3.block_count", 1), "gemma3.block_count = 1");
    }

    @Test
    void headCounts() {
        rejected(g -> g.u32("gemma3.attention.head_count", 0), "gemma3.attention.head_count");
        rejected(g -> g.u32("gemma3.attention.head_count_kv", 0), "gemma3.attention.head_count_kv");
        rejected(g -> g.u32("gemma3.attention.head_count_kv", 3).u32("gemma3.attention.head_count", 2),
                "head_count_kv = 3", "does not divide");
        rejected(g -> g.u32("gemma3.attention.head_count", 3).u32("gemma3.attention.head_count_kv", 1),
                "embedding_length = 32", "not divisible");
    }

    @Test
    void keyLengthMismatchedWithTheTensors() {
        rejected(g -> g.u32("gemma3.attention.key_length", 8).u32("gemma3.attention.value_length", 8),
                "attn_q", "expected");
        rejected(g -> g.u32("gemma3.attention.value_length", 8), "value_length");
    }

    @Test
    void contextAndWindow() {
        rejected(g -> g.u32("gemma3.context_length", 0), "gemma3.context_length");
        rejected(g -> g.remove("gemma3.context_length").u64("gemma3.context_length", 1L << 40), "gemma3.context_length");
        rejected(g -> g.u32("gemma3.attention.sliding_window", 0), "gemma3.attention.sliding_window");
        rejected(g -> g.u32("gemma3.attention.sliding_window", 65), "gemma3.attention.sliding_window", "65");
    }

    @Test
    void ropeBaseEpsilonAndSoftcapMustBeFinitePositive() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, 0f, -1f}) {
            rejected(g -> g.f32("gemma3.rope.freq_base", bad), "gemma3.rope.freq_base");
            rejected(g -> g.f32("gemma3.attention.layer_norm_rms_epsilon", bad), "layer_norm_rms_epsilon");
        }
        rejected(g -> g.f32("gemma3.final_logit_softcapping", Float.NaN), "final_logit_softcapping");
        rejected(g -> g.f32("gemma3.rope.scaling.factor", Float.NaN), "gemma3.rope.scaling.factor");
        rejected(g -> g.str("gemma3.rope.scaling.type", "yarn").f32("gemma3.rope.scaling.factor", 4), "yarn");
    }

    @Test
    void wrongArchitectureOrWrongKeyTypes() {
        rejected(g -> g.str("general.architecture", "llama"), "general.architecture", "llama");
        rejected(g -> g.remove("general.architecture"), "general.architecture");
        rejected(g -> g.str("gemma3.embedding_length", "32"), "gemma3.embedding_length", "integer");
        rejected(g -> g.remove("gemma3.feed_forward_length"), "missing", "gemma3.feed_forward_length");
    }

    // tensors
    @Test
    void missingTensorsAreListedByName() {
        rejected(g -> {
            g.tensors.remove(g.tensor("token_embd.weight"));
            g.tensors.remove(g.tensor("blk.0.attn_q_norm.weight"));
            g.tensors.remove(g.tensor("blk.1.attn_k_norm.weight"));
        }, "missing tensors", "token_embd.weight", "blk.0.attn_q_norm.weight", "blk.1.attn_k_norm.weight");
        rejected(g -> g.tensors.remove(g.tensor("blk.0.attn_q.weight")), "blk.0.attn_q.weight");
    }

    @Test
    void shapeMismatchSaysExpectedAndGot() {
        rejected(g -> g.tensor("blk.1.ffn_up.weight").dims = new long[] {64, 32},
                "blk.1.ffn_up.weight", "[64, 32]", "expected [32, 64]");
        rejected(g -> g.tensor("output_norm.weight").dims = new long[] {16, 2}, "output_norm.weight", "expected [32]");
    }

    @Test
    void nonFiniteNormWeights() {
        rejected(g -> {
            float[] w = new float[TinyGemma.HIDDEN];
            w[3] = Float.NaN;
            g.tensors.remove(g.tensor("blk.0.ffn_norm.weight"));
            g.tensorF32("blk.0.ffn_norm.weight", new long[] {TinyGemma.HIDDEN}, w);
        }, "blk.0.ffn_norm.weight", "NaN");
    }

    // tokenizer metadata
    @Test
    void tokenizerArrayLengthsDiffer() {
        rejected(g -> g.floats("tokenizer.ggml.scores", new float[TinyGemma.VOCAB - 1]), "tokenizer.ggml.scores");
        rejected(g -> g.ints("tokenizer.ggml.token_type", new int[TinyGemma.VOCAB + 1]), "tokenizer.ggml.token_type");
    }

    @Test
    void scoresOfTheWrongType() {
        rejected(g -> g.kv("tokenizer.ggml.scores", GgufBuilder.ARRAY, b -> {
            b.u32(GgufBuilder.UINT8).u64(TinyGemma.VOCAB);
            for (int i = 0; i < TinyGemma.VOCAB; i++) b.u8(0);
        }), "tokenizer.ggml.scores");
    }

    @Test
    void specialIdsOutOfRange() {
        rejected(g -> g.u32("tokenizer.ggml.bos_token_id", TinyGemma.VOCAB), "tokenizer.ggml.bos_token_id");
        rejected(g -> g.i32("tokenizer.ggml.eos_token_id", -1), "tokenizer.ggml.eos_token_id");
        rejected(g -> g.u32("tokenizer.ggml.padding_token_id", 1 << 30), "tokenizer.ggml.padding_token_id");
        rejected(g -> g.u32("tokenizer.ggml.unknown_token_id", 100_000), "tokenizer.ggml.unknown_token_id");
    }

    @Test
    void emptyVocabulary() {
        rejected(g -> g.strings("tokenizer.ggml.tokens", List.of()).floats("tokenizer.ggml.scores", new float[0])
                .ints("tokenizer.ggml.token_type", new int[0]), "tokenizer.ggml.tokens");
    }

    @Test
    void hugeTokenString() {
        // the length field claims 100 MB: refused by the reader's 16 MiB string cap before any allocation
        rejected(g -> g.kv("tokenizer.ggml.tokens", GgufBuilder.ARRAY, b -> b.u32(GgufBuilder.STRING).u64(1).u64(100L << 20)),
                "tokenizer.ggml.tokens", "length");
    }

    @Test
    void malformedByteTokens() {
        for (String bad : new String[] {"<0x-1>", "<0xZZ>"}) {
            rejected(g -> {
                List<String> t = new ArrayList<>(TinyGemma.tokens());
                t.set(6, bad);
                g.strings("tokenizer.ggml.tokens", t);
            }, bad);
        }
    }

    @Test
    void duplicateTokenStringsLoadWithFirstIdWinning() throws Exception {
        GgufBuilder g = TinyGemma.builder();
        List<String> t = new ArrayList<>(TinyGemma.tokens());
        t.set(299, "hello");
        g.strings("tokenizer.ggml.tokens", t);
        try (Gemma3Model m = Gemma3Model.load(g.write(tmp), 1)) {
            assertEquals(t.indexOf("hello"), m.tokenizer.idOf("hello"));
        }
    }
}
