package dev.jemma.vision;

import dev.jemma.JemmaException;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.ModelFormatException;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.tensor.GGMLType;
import dev.jemma.tensor.RowKernels;
import dev.jemma.tensor.WeightMatrix;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The tensors of a Gemma 3 mmproj file in llama.cpp's layout, each checked against the {@link VisionConfig}:
 * matrices stay in the mapping in their stored type (F32, F16, BF16, Q8_0); biases, norms and the position table
 * become f32 arrays. The projector's matrix is stored as Hugging Face keeps it, [vision width, text width]: it is
 * transposed once here into the usual one-row-per-output f32 layout (exact, whatever its stored type).
 */
public final class VisionWeights {
    /** One pre-LN transformer block. */
    public record Block(float[] ln1Weight, float[] ln1Bias, WeightMatrix q, float[] qBias, WeightMatrix k, float[] kBias,
                        WeightMatrix v, float[] vBias, WeightMatrix out, float[] outBias, float[] ln2Weight, float[] ln2Bias,
                        WeightMatrix up, float[] upBias, WeightMatrix down, float[] downBias) {}

    public final VisionConfig config;
    /** Conv2d(3 → hidden, kernel = stride = patch) as a matrix: row d holds the kernel in (channel, y, x) order. */
    public final WeightMatrix patch;
    public final float[] patchBias;
    /** patches × hidden, learned */
    public final float[] positions;
    public final Block[] blocks;
    public final float[] postLnWeight, postLnBias;
    /** Gemma's RMSNorm weight as stored: already 1 + w */
    public final float[] softEmbNorm;
    /** projectionDim rows of hidden values */
    public final WeightMatrix projection;

    private VisionWeights(VisionConfig c, GGUFFile f) {
        config = c;
        int d = c.hidden(), p = c.patchSize();
        patch = conv(f, "v.patch_embd.weight", p, d);
        patchBias = vector(f, "v.patch_embd.bias", d);
        positions = table(f, "v.position_embd.weight", d, c.patches());
        blocks = new Block[c.blocks()];
        for (int i = 0; i < blocks.length; i++) {
            String b = "v.blk." + i + ".";
            blocks[i] = new Block(vector(f, b + "ln1.weight", d), vector(f, b + "ln1.bias", d),
                    matrix(f, b + "attn_q.weight", d, d), vector(f, b + "attn_q.bias", d),
                    matrix(f, b + "attn_k.weight", d, d), vector(f, b + "attn_k.bias", d),
                    matrix(f, b + "attn_v.weight", d, d), vector(f, b + "attn_v.bias", d),
                    matrix(f, b + "attn_out.weight", d, d), vector(f, b + "attn_out.bias", d),
                    vector(f, b + "ln2.weight", d), vector(f, b + "ln2.bias", d),
                    matrix(f, b + "ffn_up.weight", d, c.ffn()), vector(f, b + "ffn_up.bias", c.ffn()),
                    matrix(f, b + "ffn_down.weight", c.ffn(), d), vector(f, b + "ffn_down.bias", d));
        }
        postLnWeight = vector(f, "v.post_ln.weight", d);
        postLnBias = vector(f, "v.post_ln.bias", d);
        softEmbNorm = vector(f, "mm.soft_emb_norm.weight", d);
        projection = transposed(f, "mm.input_projection.weight", d, c.projectionDim());
    }

    public static VisionWeights load(GGUFFile f, VisionConfig c) {
        return new VisionWeights(c, f);
    }

    private static TensorInfo tensor(GGUFFile f, String name) {
        TensorInfo t = f.tensor(name);
        if (t == null) throw new ModelFormatException("the mmproj file lacks tensor '" + name + "'");
        return t;
    }

    /** A [in, out] GGUF matrix (ne order): out rows of in values. */
    private static WeightMatrix matrix(GGUFFile f, String name, int in, int out) {
        TensorInfo t = tensor(f, name);
        long[] s = t.shape();
        if (s.length != 2 || s[0] != in || s[1] != out) throw shape(t, "[" + in + ", " + out + "]");
        return wrap(f, t, out, in);
    }

    private static WeightMatrix conv(GGUFFile f, String name, int p, int d) {
        TensorInfo t = tensor(f, name);
        long[] s = t.shape();
        if (s.length != 4 || s[0] != p || s[1] != p || s[2] != 3 || s[3] != d) throw shape(t, "[" + p + ", " + p + ", 3, " + d + "]");
        return wrap(f, t, d, 3 * p * p);
    }

    private static WeightMatrix wrap(GGUFFile f, TensorInfo t, int rows, int cols) {
        checkType(t);
        try {
            return new WeightMatrix(t.name(), t.type(), rows, cols, f.tensorData(t));
        } catch (JemmaException | IllegalArgumentException e) {
            throw new ModelFormatException("tensor '" + t.name() + "': " + e.getMessage(), e);
        }
    }

    private static void checkType(TensorInfo t) {
        GGMLType ty = t.type();
        if (ty != GGMLType.F32 && ty != GGMLType.F16 && ty != GGMLType.BF16 && ty != GGMLType.Q8_0) {
            throw new ModelFormatException("tensor '" + t.name() + "' is " + ty + "; vision weights may be F32, F16, BF16 or Q8_0");
        }
    }

    private static float[] vector(GGUFFile f, String name, int n) {
        TensorInfo t = tensor(f, name);
        if (t.shape().length != 1 || t.shape()[0] != n) throw shape(t, "[" + n + "]");
        return values(f, t, n);
    }

    /** [cols, rows] in ne order → rows × cols f32 values. */
    private static float[] table(GGUFFile f, String name, int cols, int rows) {
        TensorInfo t = tensor(f, name);
        long[] s = t.shape();
        if (s.length != 2 || s[0] != cols || s[1] != rows) throw shape(t, "[" + cols + ", " + rows + "]");
        return values(f, t, Math.multiplyExact(cols, rows));
    }

    /** HF's [in, out] matrix (ne [out, in]) as out rows of in values, f32. */
    private static WeightMatrix transposed(GGUFFile f, String name, int in, int out) {
        float[] hf = table(f, name, out, in); // in rows of out values
        float[] rows = new float[Math.multiplyExact(in, out)];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) rows[o * in + i] = hf[i * out + o];
        }
        return new WeightMatrix(name, GGMLType.F32, out, in, MemorySegment.ofArray(rows));
    }

    private static float[] values(GGUFFile f, TensorInfo t, int n) {
        checkType(t);
        float[] v = new float[n];
        try {
            RowKernels.forType(t.type()).dequantize(f.tensorData(t), 0, v, 0, n);
        } catch (JemmaException | IllegalArgumentException e) {
            throw new ModelFormatException("tensor '" + t.name() + "': " + e.getMessage(), e);
        }
        for (float x : v) {
            if (!Float.isFinite(x)) throw new ModelFormatException("tensor '" + t.name() + "' contains NaN or infinity");
        }
        return v;
    }

    private static ModelFormatException shape(TensorInfo t, String expected) {
        return new ModelFormatException("tensor '" + t.name() + "' has shape " + Arrays.toString(t.shape()) + ", expected " + expected);
    }
}
