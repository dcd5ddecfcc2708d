package dev.jemma.adapter;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.GGUFWriter;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.Projection;
import dev.jemma.tensor.GGMLType;
import dev.jemma.tensor.WeightMatrix;

import java.nio.file.Path;
import java.util.List;

/**
 * Folds adapters into a base model: W' = W + Σ scale · B·A for every adapted weight, written as f32, f16 or bf16;
 * every other tensor is copied as stored and every metadata entry (tokenizer included) unchanged. The output is
 * written atomically and streamed a row at a time, so only one row of a weight is ever held in f32.
 */
public final class Merge {
    /** Called after each tensor is written. */
    @FunctionalInterface
    public interface Progress {
        void tensorWritten(int done, int total, String name);
    }

    private Merge() {}

    /**
     * Writes {@code base} with {@code adapters} (read for {@code config}, scales as given) merged into {@code out}.
     * {@code mergedType} is F32, F16 or BF16.
     */
    public static void write(GGUFFile base, GemmaConfig config, List<LoraAdapter> adapters, GGMLType mergedType, Path out, Progress progress) {
        if (mergedType != GGMLType.F32 && mergedType != GGMLType.F16 && mergedType != GGMLType.BF16) {
            throw new IllegalArgumentException("merged weights are stored as F32, F16 or BF16, not " + mergedType);
        }
        for (LoraAdapter a : adapters) {
            if (!a.base().equals(config)) throw new IllegalArgumentException("an adapter was read for another base model");
        }
        GGUFWriter w = new GGUFWriter().putAll(base.metadata());
        List<TensorInfo> tensors = base.tensors();
        int total = tensors.size();
        int[] done = {0};
        for (TensorInfo t : tensors) {
            Target target = target(t.name(), config, adapters);
            GGUFWriter.TensorSource source = target == null ? sink -> sink.putBytes(base.tensorData(t)) : sink -> {
                WeightMatrix m = new WeightMatrix(t.name(), t.type(), BaseLayout.outputs(config, target.p), BaseLayout.inputs(config, target.p), base.tensorData(t));
                float[] row = new float[m.cols];
                for (int o = 0; o < m.rows; o++) {
                    m.dequantizeRow(o, row, 0);
                    addDelta(adapters, target.layer, target.p, o, row);
                    sink.putFloats(mergedType, row, 0, row.length);
                }
            };
            w.tensor(t.name(), t.shape(), target == null ? t.type() : mergedType, sink -> {
                source.writeTo(sink);
                if (progress != null) progress.tensorWritten(++done[0], total, t.name());
            });
        }
        w.write(out);
    }

    private record Target(int layer, Projection p) {}

    /** The adapted (layer, projection) this base tensor is, or null. */
    private static Target target(String name, GemmaConfig config, List<LoraAdapter> adapters) {
        for (int l = 0; l < config.layers(); l++) {
            if (!name.startsWith("blk." + l + ".")) continue;
            for (Projection p : Projection.values()) {
                if (!name.equals(BaseLayout.weightName(l, p))) continue;
                for (LoraAdapter a : adapters) if (a.targets(l, p)) return new Target(l, p);
                return null;
            }
        }
        return null;
    }

    /** row[i] += Σ_adapters scale · Σ_k B[o][k]·A[k][i], row o of a layer's projection. */
    private static void addDelta(List<LoraAdapter> adapters, int layer, Projection p, int o, float[] row) {
        int n = row.length;
        for (LoraAdapter ad : adapters) {
            float[] a = ad.a(layer, p), b = ad.b(layer, p);
            if (a == null) continue;
            int r = ad.rank();
            for (int k = 0; k < r; k++) {
                float c = ad.scale() * b[o * r + k];
                for (int i = 0; i < n; i++) row[i] += c * a[k * n + i];
            }
        }
    }
}
