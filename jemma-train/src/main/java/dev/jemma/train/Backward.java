package dev.jemma.train;

import dev.jemma.adapter.LoraAdapter;
import dev.jemma.model.ActivationRecorder.Stage;
import dev.jemma.model.ForwardBatch;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.GemmaWeights;
import dev.jemma.model.InferenceState;
import dev.jemma.model.KVType;
import dev.jemma.model.Projection;
import dev.jemma.tensor.Arithmetic;
import dev.jemma.tensor.Gemm;
import dev.jemma.tensor.Kernels;
import dev.jemma.tensor.VectorMath;
import dev.jemma.tensor.WeightMatrix;
import dev.jemma.tensor.WorkerPool;
import dev.jemma.train.data.TrainingExample;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Loss and gradients of a micro-batch: the core's forward pass (FAST arithmetic, one path for a micro-batch's
 * number of rows, so runs reproduce bit for bit) with a {@link Tape} attached, the loss through the
 * {@link OutputHead} at labelled positions only, then back through the layers, as transformers' Gemma3ForCausalLM
 * defines them (docs/GEMMA3.md; docs/TRAINING.md for the gradients). Gradients are added, times {@code lossScale},
 * to a {@link Gradients}: full-model buffers get every weight's gradient, LoRA buffers the adapter's. Not thread-safe; one instance per training run.
 */
final class Backward implements AutoCloseable {
    private final Gemma3Model model;
    private final GemmaConfig c;
    private final GemmaWeights w;
    private final LoraAdapter lora;
    private final WorkerPool pool;
    private final Gemm gemm;
    private final Tape tape;
    private final OutputHead head;
    private final AttentionBackward attention;
    private final ForwardBatch batch = new ForwardBatch();
    private final InferenceState[] states;
    private final int capacity, maxSequence;
    private final int[] first, length, labelRows, labelTargets;
    private final float[] dx, dOut, dIn, dQ, dK, dV, dAtt, dGate, dUp, dAct, xLast, weight, z, dz, at, dbt;

    /**
     * @param capacity    most rows (tokens of all sequences) in one micro-batch
     * @param maxSequence most tokens in one sequence
     * @param maxSequences most sequences in one micro-batch
     */
    Backward(Gemma3Model model, LoraAdapter lora, int threads, int capacity, int maxSequence, int maxSequences) {
        this.model = model;
        // training differentiates the f32 forward pass: the native kernels' 8-bit activations would make the
        // forward pass a slightly different function from the one the gradients are of
        model.kernels(Kernels.JAVA);
        this.c = model.config;
        this.w = model.weights;
        this.lora = lora;
        this.capacity = capacity;
        this.maxSequence = maxSequence;
        this.pool = new WorkerPool(threads);
        this.gemm = new Gemm(pool);
        this.tape = new Tape(c, capacity);
        this.head = new OutputHead(c, w.output, gemm);
        this.attention = new AttentionBackward(c, gemm, maxSequence);
        this.states = new InferenceState[maxSequences];
        for (int i = 0; i < maxSequences; i++) states[i] = model.newState(maxSequence, maxSequence, KVType.F32);
        first = new int[maxSequences];
        length = new int[maxSequences];
        labelRows = new int[capacity];
        labelTargets = new int[capacity];
        int h = c.hidden(), ffn = c.ffn(), r = lora == null ? 0 : lora.rank();
        dx = new float[capacity * h];
        dOut = new float[capacity * h];
        dIn = new float[capacity * Math.max(h, Math.max(ffn, c.qDim()))];
        dQ = new float[capacity * c.qDim()];
        dK = new float[capacity * c.kvDim()];
        dV = new float[capacity * c.kvDim()];
        dAtt = new float[capacity * c.qDim()];
        dGate = new float[capacity * ffn];
        dUp = new float[capacity * ffn];
        dAct = new float[capacity * ffn];
        xLast = new float[capacity * h];
        weight = new float[Math.max(Math.max(h, c.qDim()) * Math.max(ffn, c.qDim()), c.kvDim() * h)];
        z = new float[capacity * Math.max(r, 1)];
        dz = new float[capacity * Math.max(r, 1)];
        int widest = Math.max(Math.max(h, ffn), Math.max(c.qDim(), c.kvDim()));
        at = new float[widest * Math.max(r, 1)];
        dbt = new float[widest * Math.max(r, 1)];
    }

    /** Bytes this object holds for a model and micro-batch size (activations, gradients in flight, head buffers). */
    static long bytes(GemmaConfig c, int vocab, int threads, int capacity) {
        long perRow = 4L * (3L * c.hidden() + Math.max(c.hidden(), Math.max(c.ffn(), c.qDim())) + 2L * c.qDim()
                + 2L * c.kvDim() + 3L * c.ffn() + c.hidden());
        return Tape.bytes(c, capacity) + perRow * capacity + OutputHead.bytes(c, vocab, threads)
                + 4L * Math.max(c.hidden(), c.qDim()) * Math.max(c.ffn(), c.qDim());
    }

    /**
     * Forward and backward of {@code count} sequences together (tokens and labels of equal length; labels[i + 1]
     * is what position i predicts, {@link TrainingExample#IGNORE} for none). Adds lossScale · gradients to {@code g} and returns
     * the summed cross-entropy over the labelled positions.
     */
    double run(int[][] tokens, int[][] labels, int from, int count, float lossScale, Gradients g) {
        long t0 = System.nanoTime();
        int rows = forward(tokens, labels, from, count);
        long t1 = System.nanoTime();
        int h = c.hidden();
        Arrays.fill(dOut, 0, rows * h, 0f);
        double loss = head.lossAndGradient(tape.outputHidden, labelRows, labelTargets, labelled, lossScale, dOut, g.embedding);
        long t2 = System.nanoTime();
        backward(tokens, from, count, rows, g);
        long t3 = System.nanoTime();
        nanos[0] += t1 - t0;
        nanos[1] += t2 - t1;
        nanos[2] += t3 - t2;
        return loss;
    }

    /** time spent in the forward pass, the output head and the layers' backward, for profiling */
    final long[] nanos = new long[3];

    /** The summed cross-entropy of the sequences' labelled positions, without gradients (evaluation). */
    double loss(int[][] tokens, int[][] labels, int from, int count) {
        forward(tokens, labels, from, count);
        return head.loss(tape.outputHidden, labelRows, labelTargets, labelled);
    }

    private int labelled;

    /** The forward pass with the tape; returns the rows and sets the labelled positions. */
    private int forward(int[][] tokens, int[][] labels, int from, int count) {
        if (count > states.length) throw new IllegalArgumentException(count + " sequences exceed " + states.length);
        int rows = 0, labelled = 0;
        batch.clear();
        for (int s = 0; s < count; s++) {
            int[] tok = tokens[from + s], lab = labels[from + s];
            int n = tok.length;
            if (n > maxSequence) throw new IllegalArgumentException("a sequence of " + n + " tokens exceeds " + maxSequence);
            if (rows + n > capacity) throw new IllegalArgumentException("the micro-batch exceeds " + capacity + " rows");
            states[s].reset();
            int seg = batch.add(states[s], tok, 0, n, ForwardBatch.Logits.NONE);
            if (lora != null) batch.adapter(seg, lora);
            first[s] = rows;
            length[s] = n;
            for (int i = 0; i + 1 < n; i++) {
                if (lab[i + 1] == TrainingExample.IGNORE) continue;
                labelRows[labelled] = rows + i;
                labelTargets[labelled++] = lab[i + 1];
            }
            rows += n;
        }
        batch.arithmetic(Arithmetic.FAST);
        batch.recorder(tape);
        model.forward(batch);
        batch.clear();
        this.labelled = labelled;
        return rows;
    }

    private void backward(int[][] tokens, int from, int count, int rows, Gradients g) {
        int h = c.hidden();
        // the residual stream after the last layer, as the forward pass formed it, for the output norm's backward
        int last = c.layers() - 1;
        float[] x1 = tape.get(last, Stage.FFN_INPUT), d = tape.get(last, Stage.FFN_OUTPUT);
        float[] post = w.layers[last].postFfnNorm();
        for (int t = 0; t < rows; t++) {
            Norm.forward(d, t * h, post, xLast, t * h, h, c.rmsEps());
            for (int i = 0; i < h; i++) xLast[t * h + i] += x1[t * h + i];
        }
        for (int t = 0; t < rows; t++) {
            Norm.backward(xLast, t * h, w.outputNorm, dOut, t * h, dx, t * h, g.outputNorm, h, c.rmsEps(), false);
        }
        for (int l = last; l >= 0; l--) layer(l, rows, count, g);
        if (g.embedding != null) {
            float scale = c.embeddingScale();
            for (int s = 0; s < count; s++) {
                int[] tok = tokens[from + s];
                for (int i = 0; i < tok.length; i++) Gemm.axpy(scale, dx, (first[s] + i) * h, g.embedding, tok[i] * h, h);
            }
        }
    }

    /** dx: in, the gradient of the layer's output; out, of its input. */
    private void layer(int l, int n, int sequences, Gradients g) {
        GemmaWeights.Layer lw = w.layers[l];
        int h = c.hidden(), ffn = c.ffn();
        float eps = c.rmsEps();
        float[][] norms = g.norms == null ? null : g.norms[l];
        // FFN block: x2 = x1 + norm(down(gelu(gate(f)) · up(f))), f = norm(x1)
        float[] d = tape.get(l, Stage.FFN_OUTPUT);
        for (int t = 0; t < n; t++) Norm.backward(d, t * h, lw.postFfnNorm(), dx, t * h, dOut, t * h, norm(norms, Norm.POST_FFN), h, eps, false);
        linear(l, Projection.DOWN, lw.down(), tape.get(l, Stage.FFN_ACTIVATION), dOut, dAct, n, g);
        float[] gate = tape.get(l, Stage.GATE), up = tape.get(l, Stage.UP);
        gemm.split(n, (worker, s, e) -> geluBackward(gate, up, dAct, dGate, dUp, s * ffn, e * ffn));
        float[] f = tape.get(l, Stage.FFN_NORMED);
        linear(l, Projection.GATE, lw.gate(), f, dGate, dIn, n, g);
        linearAccumulate(l, Projection.UP, lw.up(), f, dUp, dIn, n, g);
        float[] x1 = tape.get(l, Stage.FFN_INPUT);
        for (int t = 0; t < n; t++) Norm.backward(x1, t * h, lw.ffnNorm(), dIn, t * h, dx, t * h, norm(norms, Norm.FFN), h, eps, true);
        // attention block: x1 = x0 + norm(o(attention(q(a), k(a), v(a)))), a = norm(x0)
        float[] op = tape.get(l, Stage.ATTENTION_PROJECTED);
        for (int t = 0; t < n; t++) Norm.backward(op, t * h, lw.postAttnNorm(), dx, t * h, dOut, t * h, norm(norms, Norm.POST_ATTENTION), h, eps, false);
        linear(l, Projection.O, lw.o(), tape.get(l, Stage.ATTENTION_OUTPUT), dOut, dAtt, n, g);
        attention.backward(l, lw, sequences, first, length, tape.get(l, Stage.Q), tape.get(l, Stage.K), tape.get(l, Stage.V),
                tape.get(l, Stage.ATTENTION_OUTPUT), dAtt, dQ, dK, dV, norm(norms, Norm.QUERY), norm(norms, Norm.KEY));
        float[] a = tape.get(l, Stage.ATTENTION_NORMED);
        linear(l, Projection.Q, lw.q(), a, dQ, dIn, n, g);
        linearAccumulate(l, Projection.K, lw.k(), a, dK, dIn, n, g);
        linearAccumulate(l, Projection.V, lw.v(), a, dV, dIn, n, g);
        float[] x0 = tape.get(l, Stage.LAYER_INPUT);
        for (int t = 0; t < n; t++) Norm.backward(x0, t * h, lw.attnNorm(), dIn, t * h, dx, t * h, norm(norms, Norm.ATTENTION), h, eps, true);
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final float GELU_C = 0.7978845608028654f, GELU_A = 0.044715f, GELU_3A = 3 * 0.044715f;

    /**
     * dGate = dAct · up · gelu'(gate) and dUp = dAct · gelu(gate) on [from, to). With e = e^(−2u) and
     * s = 1 / (1 + e) = 0.5·(1 + tanh u): gelu = x·s and gelu' = s + 2x·s·(1 − s)·u', where 1 − s = e·s keeps its
     * precision as s nears 1 (docs/TRAINING.md). The vector loop and the scalar tail do the same operations.
     */
    static void geluBackward(float[] gate, float[] up, float[] dAct, float[] dGate, float[] dUp, int from, int to) {
        int i = from;
        FloatVector one = FloatVector.broadcast(F, 1f);
        for (int bound = from + F.loopBound(to - from); i < bound; i += F.length()) {
            FloatVector x = FloatVector.fromArray(F, gate, i), x2 = x.mul(x);
            FloatVector u = x2.fma(GELU_A, 1f).mul(x).mul(GELU_C);
            FloatVector e = VectorMath.exp(u.mul(-2f));
            FloatVector s = one.div(e.add(1f));
            FloatVector du = x2.fma(GELU_3A, 1f).mul(GELU_C);
            FloatVector dg = x.mul(2f).mul(s).mul(e.mul(s)).mul(du).add(s);
            FloatVector da = FloatVector.fromArray(F, dAct, i);
            da.mul(FloatVector.fromArray(F, up, i)).mul(dg).intoArray(dGate, i);
            da.mul(x.mul(s)).intoArray(dUp, i);
        }
        for (; i < to; i++) {
            float x = gate[i], x2 = x * x;
            float u = Math.fma(x2, GELU_A, 1f) * x * GELU_C;
            float e = VectorMath.exp(u * -2f);
            float s = 1f / (e + 1f);
            float du = Math.fma(x2, GELU_3A, 1f) * GELU_C;
            float dg = x * 2f * s * (e * s) * du + s;
            dGate[i] = dAct[i] * up[i] * dg;
            dUp[i] = dAct[i] * (x * s);
        }
    }

    private static float[] norm(float[][] norms, Norm n) {
        return norms == null ? null : norms[n.ordinal()];
    }

    /** dxIn = dy·W (overwritten), and the weight's or adapter's gradient. */
    private void linear(int l, Projection p, WeightMatrix m, float[] x, float[] dy, float[] dxIn, int n, Gradients g) {
        Arrays.fill(dxIn, 0, n * m.cols, 0f);
        linearAccumulate(l, p, m, x, dy, dxIn, n, g);
    }

    /**
     * Backward of y = x·Wᵀ (+ s·(x·Aᵀ)·Bᵀ): dxIn += dy·W (+ s·dy·B·A); dW += dyᵀ·x when the model trains;
     * dB += s·dyᵀ·(x·Aᵀ) and dA += s·(dy·B)ᵀ·x when the projection has an adapter.
     */
    private void linearAccumulate(int l, Projection p, WeightMatrix m, float[] x, float[] dy, float[] dxIn, int n, Gradients g) {
        int out = m.rows, in = m.cols;
        gemm.split(out, (worker, s, e) -> {
            for (int r = s; r < e; r++) m.dequantizeRow(r, weight, r * in);
        });
        gemm.multiplyAdd(n, out, in, dy, 0, out, 1, weight, 0, in, dxIn, 0, in);
        if (g.linear != null) gemm.multiplyAdd(out, n, in, dy, 0, 1, out, x, 0, in, g.linear[l][p.ordinal()], 0, in);
        float[] a = lora == null ? null : lora.a(l, p);
        if (a == null) return;
        int r = lora.rank();
        float s = lora.scale();
        float[] b = lora.b(l, p);
        boolean trains = g.loraA != null && g.loraA[l][p.ordinal()] != null;
        if (trains) {
            // z = s·x·Aᵀ through Aᵀ [in×r], then dBᵀ [r×out] = zᵀ·dy (a wide product), added transposed
            for (int q = 0; q < r; q++) for (int i = 0; i < in; i++) at[i * r + q] = a[q * in + i];
            Arrays.fill(z, 0, n * r, 0f);
            gemm.multiplyAdd(n, in, r, x, 0, in, 1, at, 0, r, z, 0, r);
            for (int i = 0; i < n * r; i++) z[i] *= s;
            Arrays.fill(dbt, 0, r * out, 0f);
            gemm.multiplyAdd(r, n, out, z, 0, 1, r, dy, 0, out, dbt, 0, out);
            float[] gb = g.loraB[l][p.ordinal()];
            for (int o = 0; o < out; o++) for (int q = 0; q < r; q++) gb[o * r + q] += dbt[q * out + o];
        }
        Arrays.fill(dz, 0, n * r, 0f);
        gemm.multiplyAdd(n, out, r, dy, 0, out, 1, b, 0, r, dz, 0, r);
        for (int i = 0; i < n * r; i++) dz[i] *= s;
        if (trains) gemm.multiplyAdd(r, n, in, dz, 0, 1, r, x, 0, in, g.loraA[l][p.ordinal()], 0, in);
        gemm.multiplyAdd(n, r, in, dz, 0, r, 1, a, 0, in, dxIn, 0, in);
    }

    @Override
    public void close() {
        for (InferenceState s : states) s.close();
        pool.close();
    }
}
