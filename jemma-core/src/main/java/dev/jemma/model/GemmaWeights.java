package dev.jemma.model;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.ModelFormatException;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensors of a Gemma 3 GGUF, checked against the config: every required tensor present with the
 * expected shape. Matrices stay in the mapped file; norm vectors (with llama.cpp's baked-in +1) are
 * copied to f32 arrays.
 */
public final class GemmaWeights {
    private static final System.Logger LOG = System.getLogger("jemma.model");
    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d+)\\..*");

    /** One decoder layer. */
    public record Layer(
            float[] attnNorm, WeightMatrix q, WeightMatrix k, WeightMatrix v,
            float[] qNorm, float[] kNorm, WeightMatrix o, float[] postAttnNorm,
            float[] ffnNorm, WeightMatrix gate, WeightMatrix up, WeightMatrix down, float[] postFfnNorm) {}

    public final WeightMatrix tokenEmbedding;
    /** Output projection: the tied embedding unless the file has output.weight. */
    public final WeightMatrix output;
    public final float[] outputNorm;
    public final Layer[] layers;
    public final int vocabRows;

    private GemmaWeights(WeightMatrix emb, WeightMatrix out, float[] outNorm, Layer[] layers) {
        this.tokenEmbedding = emb;
        this.output = out;
        this.outputNorm = outNorm;
        this.layers = layers;
        this.vocabRows = emb.rows;
    }

    /** The matrices a forward pass multiplies by: the layers', in the order it uses them, then the output head. */
    public java.util.List<WeightMatrix> productMatrices() {
        java.util.List<WeightMatrix> all = layerMatrices();
        all.add(output);
        return all;
    }

    /** The layers' weight matrices, layer after layer in the order a forward pass uses them. */
    public java.util.List<WeightMatrix> layerMatrices() {
        java.util.List<WeightMatrix> all = new java.util.ArrayList<>(7 * layers.length);
        for (Layer l : layers) java.util.Collections.addAll(all, l.q(), l.k(), l.v(), l.o(), l.gate(), l.up(), l.down());
        return all;
    }

    /**
     * Weights held elsewhere, such as a trainer's f32 copy that it updates in place between forward passes.
     * Shapes are checked against the config.
     */
    public static GemmaWeights of(GemmaConfig c, WeightMatrix embedding, WeightMatrix output, float[] outputNorm, Layer[] layers) {
        if (layers.length != c.layers()) throw new IllegalArgumentException(layers.length + " layers, config has " + c.layers());
        if (embedding.cols != c.hidden() || output.cols != c.hidden() || outputNorm.length != c.hidden()) {
            throw new IllegalArgumentException("embedding, output head or output norm does not match hidden " + c.hidden());
        }
        return new GemmaWeights(embedding, output, outputNorm, layers);
    }

    public static GemmaWeights load(GGUFFile file, GemmaConfig c) {
        checkBlockCount(file, c);
        List<String> missing = new ArrayList<>();
        for (String name : requiredNames(c)) if (file.tensor(name) == null) missing.add(name);
        if (!missing.isEmpty()) {
            throw new ModelFormatException("missing tensors: " + String.join(", ", missing.size() > 20
                    ? missing.subList(0, 20) : missing) + (missing.size() > 20 ? " and " + (missing.size() - 20) + " more" : ""));
        }
        Set<String> known = new HashSet<>(requiredNames(c));
        known.add("output.weight");
        for (TensorInfo t : file.tensors()) {
            if (!known.contains(t.name())) LOG.log(System.Logger.Level.WARNING, "ignoring unknown tensor " + t.name());
        }
        TensorInfo embInfo = file.tensor("token_embd.weight");
        if (embInfo.shape().length != 2 || embInfo.shape()[0] != c.hidden() || embInfo.shape()[1] > Integer.MAX_VALUE) {
            throw shapeError(embInfo, "[" + c.hidden() + ", n_vocab]");
        }
        int vocab = (int) embInfo.shape()[1];
        WeightMatrix emb = matrix(file, "token_embd.weight", c.hidden(), vocab);
        WeightMatrix out = file.tensor("output.weight") != null ? matrix(file, "output.weight", c.hidden(), vocab) : emb;
        Layer[] layers = new Layer[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String p = "blk." + i + ".";
            layers[i] = new Layer(
                    vector(file, p + "attn_norm.weight", c.hidden()),
                    matrix(file, p + "attn_q.weight", c.hidden(), c.qDim()),
                    matrix(file, p + "attn_k.weight", c.hidden(), c.kvDim()),
                    matrix(file, p + "attn_v.weight", c.hidden(), c.kvDim()),
                    vector(file, p + "attn_q_norm.weight", c.headDim()),
                    vector(file, p + "attn_k_norm.weight", c.headDim()),
                    matrix(file, p + "attn_output.weight", c.qDim(), c.hidden()),
                    vector(file, p + "post_attention_norm.weight", c.hidden()),
                    vector(file, p + "ffn_norm.weight", c.hidden()),
                    matrix(file, p + "ffn_gate.weight", c.hidden(), c.ffn()),
                    matrix(file, p + "ffn_up.weight", c.hidden(), c.ffn()),
                    matrix(file, p + "ffn_down.weight", c.ffn(), c.hidden()),
                    vector(file, p + "post_ffw_norm.weight", c.hidden()));
        }
        return new GemmaWeights(emb, out, vector(file, "output_norm.weight", c.hidden()), layers);
    }

    static List<String> requiredNames(GemmaConfig c) {
        List<String> names = new ArrayList<>(List.of("token_embd.weight", "output_norm.weight"));
        String[] perLayer = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_q_norm", "attn_k_norm", "attn_output",
                "post_attention_norm", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down", "post_ffw_norm"};
        for (int i = 0; i < c.layers(); i++) for (String s : perLayer) names.add("blk." + i + "." + s + ".weight");
        return names;
    }

    private static void checkBlockCount(GGUFFile file, GemmaConfig c) {
        TreeSet<Integer> blocks = new TreeSet<>();
        for (TensorInfo t : file.tensors()) {
            Matcher m = BLOCK.matcher(t.name());
            if (m.matches() && m.group(1).length() < 6) blocks.add(Integer.parseInt(m.group(1)));
        }
        if (blocks.size() != c.layers() || (!blocks.isEmpty() && blocks.last() != c.layers() - 1)) {
            throw new ModelFormatException("gemma3.block_count = " + c.layers() + " but the file has tensors for "
                    + blocks.size() + " blocks" + (blocks.isEmpty() ? "" : " (blk." + blocks.first() + " .. blk." + blocks.last() + ")"));
        }
    }

    private static WeightMatrix matrix(GGUFFile file, String name, int in, int out) {
        TensorInfo t = file.tensor(name);
        long[] s = t.shape();
        if (s.length != 2 || s[0] != in || s[1] != out) throw shapeError(t, "[" + in + ", " + out + "]");
        try {
            return new WeightMatrix(name, t.type(), out, in, file.tensorData(t));
        } catch (dev.jemma.JemmaException e) {
            throw new ModelFormatException("tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    private static float[] vector(GGUFFile file, String name, int n) {
        TensorInfo t = file.tensor(name);
        if (t.shape().length != 1 || t.shape()[0] != n) throw shapeError(t, "[" + n + "]");
        float[] v = new float[n];
        try {
            dev.jemma.tensor.RowKernels.forType(t.type()).dequantize(file.tensorData(t), 0, v, 0, n);
        } catch (dev.jemma.JemmaException e) {
            throw new ModelFormatException("tensor '" + name + "': " + e.getMessage(), e);
        }
        for (float x : v) {
            if (!Float.isFinite(x)) throw new ModelFormatException("tensor '" + name + "' contains NaN or infinity");
        }
        return v;
    }

    private static ModelFormatException shapeError(TensorInfo t, String expected) {
        return new ModelFormatException("tensor '" + t.name() + "' has shape " + Arrays.toString(t.shape())
                + ", expected " + expected);
    }
}
