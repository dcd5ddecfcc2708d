package dev.jemma.quantize;

import dev.jemma.JemmaException;
import dev.jemma.model.ActivationRecorder;
import dev.jemma.model.ForwardBatch;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import dev.jemma.tensor.Rows;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;

/**
 * Computes an importance matrix as llama-imatrix does: the text (BOS first) is cut into chunks of {@code ctx}
 * tokens, each chunk's first token replaced by BOS, and for every matrix product of a layer the squares of its
 * input columns are summed over the tokens, with the token count beside them. Products whose batch has fewer
 * than 16 rows are skipped, as llama-imatrix skips them. q/k/v share one input (the attention pre-norm's output),
 * gate/up another, so each pair or triple gets equal entries, as in llama-imatrix's file. Sums are kept in double
 * and stored as f32.
 */
public final class ImportanceCollector implements ActivationRecorder {
    private static final int MIN_ROWS = 16;

    /** [layer][input]: 0 attention normed, 1 attention output, 2 FFN normed, 3 FFN activation */
    private final double[][][] sums;
    private final long[][] counts;

    private ImportanceCollector(int layers) {
        this.sums = new double[layers][4][];
        this.counts = new long[layers][4];
    }

    @Override
    public void record(int layer, Stage stage, Rows values, int rows, int width) {
        if (layer < 0 || rows < MIN_ROWS) return;
        int input = switch (stage) {
            case ATTENTION_NORMED -> 0;
            case ATTENTION_OUTPUT -> 1;
            case FFN_NORMED -> 2;
            case FFN_ACTIVATION -> 3;
            default -> -1;
        };
        if (input < 0) return;
        double[] acc = sums[layer][input];
        if (acc == null) acc = sums[layer][input] = new double[width];
        float[] d = values.data();
        for (int t = 0; t < rows; t++) {
            int o = values.start(t);
            for (int j = 0; j < width; j++) {
                float x = d[o + j];
                acc[j] += (double) x * x;
            }
        }
        counts[layer][input] += rows;
    }

    /**
     * Runs the model over {@code tokens} in chunks of {@code ctx} ({@code maxChunks} < 0: all) and returns the
     * matrix; {@code progress} receives the number of chunks done.
     */
    public static ImportanceMatrix compute(Gemma3Model model, int[] tokens, int ctx, int maxChunks, String dataset, IntConsumer progress) {
        if (ctx < MIN_ROWS || ctx > model.config.contextLength()) {
            throw new JemmaException("imatrix context " + ctx + " must be between " + MIN_ROWS + " and " + model.config.contextLength());
        }
        int chunks = tokens.length / ctx;
        if (maxChunks >= 0) chunks = Math.min(chunks, maxChunks);
        if (chunks == 0) throw new JemmaException("the text has " + tokens.length + " tokens, fewer than one chunk of " + ctx + " (use a longer text or a smaller --ctx)");
        ImportanceCollector c = new ImportanceCollector(model.config.layers());
        InferenceState s = model.newState(ctx);
        ForwardBatch batch = new ForwardBatch();
        int[] chunk = new int[ctx];
        for (int k = 0; k < chunks; k++) {
            System.arraycopy(tokens, k * ctx, chunk, 0, ctx);
            chunk[0] = model.tokenizer.bosId();
            s.reset();
            for (int done = 0; done < ctx; ) {
                int n = Math.min(s.maxChunk, ctx - done);
                batch.clear().add(s, chunk, done, n, ForwardBatch.Logits.NONE);
                batch.recorder(c);
                model.forward(batch);
                done += n;
            }
            progress.accept(k + 1);
        }
        return c.result(dataset, chunks, ctx);
    }

    private ImportanceMatrix result(String dataset, int chunks, int ctx) {
        String[][] names = {{"attn_q", "attn_k", "attn_v"}, {"attn_output"}, {"ffn_gate", "ffn_up"}, {"ffn_down"}};
        Map<String, ImportanceMatrix.Entry> entries = new TreeMap<>();
        for (int l = 0; l < sums.length; l++) {
            for (int i = 0; i < 4; i++) {
                double[] acc = sums[l][i];
                if (acc == null) continue;
                float[] f = new float[acc.length];
                for (int j = 0; j < f.length; j++) f[j] = (float) acc[j];
                for (String n : names[i]) entries.put("blk." + l + "." + n + ".weight", new ImportanceMatrix.Entry(f.clone(), new long[]{counts[l][i]}));
            }
        }
        return new ImportanceMatrix(entries, dataset == null ? List.of() : List.of(dataset), chunks, ctx);
    }
}
