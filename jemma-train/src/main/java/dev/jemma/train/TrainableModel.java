package dev.jemma.train;

import dev.jemma.JemmaException;
import dev.jemma.adapter.BaseLayout;
import dev.jemma.adapter.LoraAdapter;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.GemmaWeights;
import dev.jemma.model.Projection;
import dev.jemma.tensor.GGMLType;
import dev.jemma.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * What a run trains and the model its forward pass runs. LoRA: the base stays as stored (any quantization) and
 * the adapter's A and B train. Full: every weight is copied to f32 in native memory, which the forward pass reads
 * and the optimizer updates in place; norms are f32 arrays, as the core keeps them.
 */
final class TrainableModel implements AutoCloseable {
    final Gemma3Model model;
    final LoraAdapter lora;
    final Gradients grads;
    final List<Parameter> params;
    /** tensors of the trained model that do not train (a frozen embedding), for writing the whole model */
    final List<Parameter> frozen;
    private final Arena arena;

    private TrainableModel(Gemma3Model model, LoraAdapter lora, Gradients grads, List<Parameter> params,
                           List<Parameter> frozen, Arena arena) {
        this.model = model;
        this.lora = lora;
        this.grads = grads;
        this.params = params;
        this.frozen = frozen;
        this.arena = arena;
    }

    static WeightMatrix matrix(GemmaWeights.Layer w, Projection p) {
        return switch (p) {
            case Q -> w.q();
            case K -> w.k();
            case V -> w.v();
            case O -> w.o();
            case GATE -> w.gate();
            case UP -> w.up();
            case DOWN -> w.down();
        };
    }

    /**
     * A LoRA adapter on {@code targets}, initialised as PEFT does: A uniform in ±1/√in (Kaiming-uniform with
     * a = √5), B zero, so training starts from the base model exactly.
     */
    static TrainableModel lora(Gemma3Model base, int rank, float alpha, Set<Projection> targets, long seed) {
        GemmaConfig c = base.config;
        LoraAdapter lora = LoraAdapter.create(c, rank, alpha, targets);
        SplittableRandom random = new SplittableRandom(seed);
        Gradients g = Gradients.lora(c, lora);
        List<Parameter> params = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            for (Projection p : Projection.values()) {
                float[] a = lora.a(l, p);
                if (a == null) continue;
                int in = BaseLayout.inputs(c, p), out = BaseLayout.outputs(c, p);
                double bound = 1 / Math.sqrt(in);
                for (int i = 0; i < a.length; i++) a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                String name = BaseLayout.weightName(l, p);
                params.add(Parameter.ofArray(name + ".lora_a", new long[] {in, rank}, a, g.loraA[l][p.ordinal()], 0f));
                params.add(Parameter.ofArray(name + ".lora_b", new long[] {rank, out}, lora.b(l, p), g.loraB[l][p.ordinal()], 0f));
            }
        }
        return new TrainableModel(base, lora, g, params, List.of(), null);
    }

    /** Every weight trains (the embedding too unless frozen), from an f32 copy of the base. */
    static TrainableModel full(Gemma3Model base, boolean freezeEmbedding) {
        GemmaConfig c = base.config;
        GemmaWeights w = base.weights;
        if (w.output != w.tokenEmbedding) {
            throw new JemmaException("full fine-tuning needs the tied output head of Gemma 3; this file has a separate output.weight");
        }
        Arena arena = Arena.ofShared();
        try {
            Gradients g = Gradients.full(c, base.vocabRows(), !freezeEmbedding);
            List<Parameter> params = new ArrayList<>();
            WeightMatrix emb = copy(arena, w.tokenEmbedding);
            Parameter embedding = Parameter.ofSegment("token_embd.weight", new long[] {c.hidden(), emb.rows}, emb.data,
                    freezeEmbedding ? null : g.embedding);
            if (!freezeEmbedding) params.add(embedding);
            GemmaWeights.Layer[] layers = new GemmaWeights.Layer[c.layers()];
            for (int l = 0; l < c.layers(); l++) {
                GemmaWeights.Layer s = w.layers[l];
                WeightMatrix[] m = new WeightMatrix[Projection.values().length];
                for (Projection p : Projection.values()) m[p.ordinal()] = copy(arena, matrix(s, p));
                GemmaWeights.Layer d = new GemmaWeights.Layer(s.attnNorm().clone(), m[0], m[1], m[2], s.qNorm().clone(), s.kNorm().clone(),
                        m[3], s.postAttnNorm().clone(), s.ffnNorm().clone(), m[4], m[5], m[6], s.postFfnNorm().clone());
                layers[l] = d;
                for (Norm n : Norm.values()) {
                    float[] values = n.of(d);
                    params.add(Parameter.ofArray(n.tensorName(l), new long[] {values.length}, values, g.norms[l][n.ordinal()], 1f));
                }
                for (Projection p : Projection.values()) {
                    WeightMatrix x = m[p.ordinal()];
                    params.add(Parameter.ofSegment(BaseLayout.weightName(l, p), new long[] {x.cols, x.rows}, x.data, g.linear[l][p.ordinal()]));
                }
            }
            float[] outNorm = w.outputNorm.clone();
            params.add(Parameter.ofArray("output_norm.weight", new long[] {c.hidden()}, outNorm, g.outputNorm, 1f));
            GemmaWeights copy = GemmaWeights.of(c, emb, emb, outNorm, layers);
            return new TrainableModel(base.withWeights(copy), null, g, params, freezeEmbedding ? List.of(embedding) : List.of(), arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** An f32 copy of a matrix in native memory. */
    private static WeightMatrix copy(Arena arena, WeightMatrix m) {
        MemorySegment seg = arena.allocate(4L * m.rows * m.cols, 64);
        float[] row = new float[m.cols];
        for (int r = 0; r < m.rows; r++) {
            m.dequantizeRow(r, row, 0);
            MemorySegment.copy(row, 0, seg, ValueLayout.JAVA_FLOAT, 4L * r * m.cols, m.cols);
        }
        return new WeightMatrix(m.name, GGMLType.F32, m.rows, m.cols, seg);
    }

    @Override
    public void close() {
        if (arena != null) {
            model.close();
            arena.close();
        }
    }
}
