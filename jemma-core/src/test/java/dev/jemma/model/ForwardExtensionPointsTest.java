package dev.jemma.model;

import dev.jemma.tensor.Arithmetic;
import dev.jemma.tensor.Rows;
import dev.jemma.testutil.GgufBuilder;
import dev.jemma.testutil.TinyGemma;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The forward pass's extension points, each shown to do what the next features need: rows given as embeddings,
 * attention spans that see both ways, per-sequence adapters on the linear layers, and the recorder for training.
 */
class ForwardExtensionPointsTest {
    static final int[] TOKENS = {2, 270, 271, 272, 273, 274, 275, 276, 277, 278};
    static final int RANK = 2, QROWS = TinyGemma.HEADS * TinyGemma.HEAD_DIM;

    /** The logits of every position of tokens, computed in one segment. */
    static float[] logits(Gemma3Model m, java.util.function.Consumer<ForwardBatch> tweak) {
        float[] out = new float[TOKENS.length * m.vocabRows()];
        try (InferenceState s = m.newState(32, 16, KVType.F32)) {
            ForwardBatch b = new ForwardBatch();
            b.add(s, TOKENS, 0, TOKENS.length, ForwardBatch.Logits.ALL);
            b.logits(out);
            b.arithmetic(Arithmetic.BATCH_INVARIANT);
            tweak.accept(b);
            m.forward(b);
        }
        return out;
    }

    @Test
    void embeddingRowsEqualTheirTokens(@TempDir Path tmp) throws Exception {
        try (Gemma3Model m = Gemma3Model.load(TinyGemma.builder().write(tmp), 1)) {
            int h = m.config.hidden();
            float[] expected = logits(m, b -> { });
            float[] got = logits(m, b -> {
                float[] row = new float[h];
                for (int t = 3; t < 6; t++) { // rows 3..5 given as their scaled embeddings, as image soft tokens are
                    m.weights.tokenEmbedding.dequantizeRow(TOKENS[t], row, 0);
                    for (int i = 0; i < h; i++) row[i] *= m.config.embeddingScale();
                    b.embedding(t, row, 0, h);
                }
            });
            assertArrayEquals(expected, got);
        }
    }

    @Test
    void bidirectionalSpansSeeBothWaysAndOnlyThere(@TempDir Path tmp) throws Exception {
        BidirectionalSpans spans = new BidirectionalSpans(new int[][] {{6, 9}, {2, 5}});
        assertEquals(4, spans.lastVisibleKey(2));
        assertEquals(4, spans.lastVisibleKey(4));
        assertEquals(5, spans.lastVisibleKey(5));
        assertEquals(8, spans.lastVisibleKey(6));
        assertEquals(9, spans.lastVisibleKey(9));
        assertThrows(IllegalArgumentException.class, () -> new BidirectionalSpans(new int[][] {{1, 4}, {3, 6}}));
        try (Gemma3Model m = Gemma3Model.load(TinyGemma.builder().write(tmp), 1)) {
            int vocab = m.vocabRows();
            float[] causal = logits(m, b -> { });
            assertArrayEquals(causal, logits(m, b -> b.visibility(0, new BidirectionalSpans(new int[][] {{3, 4}}))),
                    "a one-position span is causal");
            float[] both = logits(m, b -> b.visibility(0, new BidirectionalSpans(new int[][] {{3, 7}})));
            assertArrayEquals(Arrays.copyOf(causal, 3 * vocab), Arrays.copyOf(both, 3 * vocab), "rows before the span are untouched");
            assertFalse(Arrays.equals(Arrays.copyOfRange(causal, 3 * vocab, 4 * vocab), Arrays.copyOfRange(both, 3 * vocab, 4 * vocab)),
                    "the span's first row sees the rows after it");
            assertThrows(IllegalArgumentException.class,
                    () -> logits(m, b -> b.visibility(0, new BidirectionalSpans(new int[][] {{8, 12}}))), "a span past the segment");
        }
    }

    /** A rank-2 adapter on layer 0's q projection equals merging B·A into the weight. */
    @Test
    void adaptersActPerSequenceLikeMergedWeights(@TempDir Path tmp) throws Exception {
        Random r = new Random(3);
        float[] a = new float[RANK * TinyGemma.HIDDEN], bm = new float[QROWS * RANK];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian() * 0.3f;
        for (int i = 0; i < bm.length; i++) bm[i] = (float) r.nextGaussian() * 0.3f;
        LinearAdapter lora = (layer, p, in, out, rows) -> {
            if (layer != 0 || p != Projection.Q) return;
            for (int t = 0; t < rows; t++) {
                float[] mid = new float[RANK];
                for (int k = 0; k < RANK; k++) {
                    for (int c = 0; c < TinyGemma.HIDDEN; c++) mid[k] += a[k * TinyGemma.HIDDEN + c] * in.data()[in.start(t) + c];
                }
                for (int o = 0; o < QROWS; o++) {
                    float d = 0;
                    for (int k = 0; k < RANK; k++) d += bm[o * RANK + k] * mid[k];
                    out.data()[out.start(t) + o] += d;
                }
            }
        };
        Path baseDir = Files.createDirectory(tmp.resolve("base")), mergedDir = Files.createDirectory(tmp.resolve("merged"));
        GgufBuilder merged = TinyGemma.builder();
        ByteBuffer w = ByteBuffer.wrap(merged.tensor("blk.0.attn_q.weight").data).order(ByteOrder.LITTLE_ENDIAN);
        for (int o = 0; o < QROWS; o++) {
            for (int c = 0; c < TinyGemma.HIDDEN; c++) {
                float d = 0;
                for (int k = 0; k < RANK; k++) d += bm[o * RANK + k] * a[k * TinyGemma.HIDDEN + c];
                int at = 4 * (o * TinyGemma.HIDDEN + c);
                w.putFloat(at, w.getFloat(at) + d);
            }
        }
        try (Gemma3Model base = Gemma3Model.load(TinyGemma.builder().write(baseDir), 1);
             Gemma3Model mergedModel = Gemma3Model.load(merged.write(mergedDir), 1)) {
            float[] plain = logits(base, b -> { });
            float[] expected = logits(mergedModel, b -> { });
            // two sequences in one batch: the first with the adapter, the second without
            int vocab = base.vocabRows();
            float[] out = new float[2 * TOKENS.length * vocab];
            try (InferenceState s1 = base.newState(32, 16, KVType.F32); InferenceState s2 = base.newState(32, 16, KVType.F32)) {
                ForwardBatch b = new ForwardBatch();
                int adapted = b.add(s1, TOKENS, 0, TOKENS.length, ForwardBatch.Logits.ALL);
                b.add(s2, TOKENS, 0, TOKENS.length, ForwardBatch.Logits.ALL);
                b.adapter(adapted, lora);
                b.logits(out);
                b.arithmetic(Arithmetic.BATCH_INVARIANT);
                base.forward(b);
            }
            float[] withAdapter = Arrays.copyOf(out, TOKENS.length * vocab);
            float[] without = Arrays.copyOfRange(out, TOKENS.length * vocab, 2 * TOKENS.length * vocab);
            assertArrayEquals(plain, without, "the sequence without an adapter is the base model, to the bit");
            double maxDiff = 0, moved = 0;
            for (int i = 0; i < expected.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(withAdapter[i] - expected[i]));
                moved = Math.max(moved, Math.abs(expected[i] - plain[i]));
            }
            assertTrue(moved > 1e-3, "the adapter changes the logits (by " + moved + ")");
            assertTrue(maxDiff < 1e-4, "adapter vs merged weights: max |Δlogit| " + maxDiff);
        }
    }

    @Test
    void theRecorderSeesEveryStageAndChangesNothing(@TempDir Path tmp) throws Exception {
        try (Gemma3Model m = Gemma3Model.load(TinyGemma.builder().write(tmp), 1)) {
            float[] plain = logits(m, b -> { });
            List<String> seen = new ArrayList<>();
            float[][] firstInput = new float[1][];
            float[] recorded = logits(m, b -> b.recorder((layer, stage, rows, n, width) -> {
                assertEquals(TOKENS.length, n);
                seen.add(layer + ":" + stage);
                if (layer == 0 && stage == ActivationRecorder.Stage.LAYER_INPUT) {
                    firstInput[0] = Arrays.copyOfRange(rows.data(), rows.start(0), rows.start(0) + width);
                }
            }));
            assertArrayEquals(plain, recorded);
            int stages = ActivationRecorder.Stage.values().length - 1;
            assertEquals(m.config.layers() * stages + 1, seen.size());
            assertEquals("-1:OUTPUT_HIDDEN", seen.getLast());
            float[] emb = new float[m.config.hidden()];
            m.weights.tokenEmbedding.dequantizeRow(TOKENS[0], emb, 0);
            for (int i = 0; i < emb.length; i++) emb[i] *= m.config.embeddingScale();
            assertArrayEquals(emb, firstInput[0], "layer 0's input is the scaled embedding");
        }
    }
}
