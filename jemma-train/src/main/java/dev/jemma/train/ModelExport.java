package dev.jemma.train;

import dev.jemma.gguf.GGUFValueType;
import dev.jemma.gguf.GGUFWriter;
import dev.jemma.model.Gemma3Model;
import dev.jemma.tensor.GGMLType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A fully fine-tuned model as a Gemma 3 GGUF that llama.cpp loads: the base's metadata (tokenizer, chat template,
 * hyper-parameters) with general.file_type for the new type, every tensor under its llama.cpp name, matrices in
 * f32, f16 or bf16, norm vectors in f32 holding 1 + w as llama.cpp's converter stores them. Written atomically.
 */
final class ModelExport {
    /** llama.cpp's llama_ftype for files whose matrices are all of one float type */
    private static int fileType(GGMLType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("a fine-tuned model is written as F32, F16 or BF16, not " + t);
        };
    }

    private ModelExport() {}

    /** {@code params} must hold every tensor of the model; frozen ones (the embedding) come from {@code frozen}. */
    static void write(Gemma3Model base, List<Parameter> params, List<Parameter> frozen, GGMLType type, Path out) {
        GGUFWriter w = new GGUFWriter().putAll(base.file.metadata());
        w.put("general.file_type", GGUFValueType.UINT32, (long) fileType(type));
        List<Parameter> all = new ArrayList<>(frozen);
        all.addAll(params);
        for (Parameter p : all) {
            GGMLType t = p.shape.length == 1 ? GGMLType.F32 : type;
            w.tensor(p.name, p.shape, t, sink -> {
                float[] block = new float[1 << 14];
                for (int off = 0; off < p.size; off += block.length) {
                    int n = Math.min(block.length, p.size - off);
                    p.read(off, block, n);
                    sink.putFloats(t, block, 0, n);
                }
            });
        }
        w.write(out);
    }
}
